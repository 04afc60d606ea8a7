// A marketplace the hub polls for orders, shaped like Amazon's Selling Partner API
// Orders v0 (the `rest-order-poller` connector type, connectors/order_poller.h). It is a
// PartnerSim — same listener, faults (a quota answers 429 with Retry-After), control API —
// whose `handler` answers:
//
//   GET /orders/v0/orders?LastUpdatedAfter=T[&NextToken=X]
//       {"payload": {"Orders": [...], "NextToken": "..."}}: the orders last updated at or
//       after T (RFC 3339), oldest first, `page_size` a page; NextToken while more remain
//   GET /orders/v0/orders/{id}/orderItems
//       {"payload": {"AmazonOrderId": id, "OrderItems": [...]}}, or 404
//
// The orders are the documents a test or the demo adds (each with AmazonOrderId and
// LastUpdateDate); the sim invents nothing. With `access_token`, a request whose
// x-amz-access-token header is not that token gets 403.
//
//   DISTHUB_ASSIGN_OR_RETURN(auto m, MarketplaceSim::Start({}, {.page_size = 2}));
//   m->AddOrder(order_json, items_json);
//   ... the hub polls m->url() ...
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/partner_sim.h"

namespace disthub {

struct MarketplaceSimOptions {
  int page_size = 2;         // orders per page of the list
  std::string access_token;  // required in x-amz-access-token; empty: not checked
};

class MarketplaceSim {
 public:
  static absl::StatusOr<std::unique_ptr<MarketplaceSim>> Start(PartnerSimOptions partner,
                                                               MarketplaceSimOptions options);
  ~MarketplaceSim();

  // Adds an order (replacing one with the same AmazonOrderId: an update). Thread-safe.
  void AddOrder(boost::json::object order, boost::json::array items);

  std::string url() const { return partner_->url(); }
  PartnerSim& partner() { return *partner_; }

  // The targets of the order-list requests answered 200, in order; item requests answered.
  std::vector<std::string> ListRequests() const;
  int64_t item_requests() const;

 private:
  struct State;
  MarketplaceSim() = default;
  std::shared_ptr<State> state_;
  std::unique_ptr<PartnerSim> partner_;
};

}  // namespace disthub
