// The order lifecycle routes (DESIGN.md, Order lifecycle; docs/api.md documents every field).
//
// Warehouses and 3PLs (scope fulfillment:write):
//   POST /v1/fulfillments/{id}/acknowledgement  {"message_id"?}: the release was received
//   POST /v1/fulfillments/{id}/shipments        {"shipment_id", "lines": [{"line",
//                                               "quantity"}], "carrier", "tracking",
//                                               "final"?: true}
//   POST /v1/fulfillments/{id}/cancellation     {"accepted": bool, "reason"?}: the answer
//                                               to a cancellation request
//   POST /v1/returns/{id}/receipt              {"lines": [{"line", "quantity"}]}: goods in
//   POST /v1/returns/{id}/inspection           {"lines": [{"line", "accepted", "restock"?,
//                                               "note"?}]}: restocks, credits, closes
// Channels and operators:
//   POST /v1/orders/{id}/cancel                 {"reason"?} (orders:write)
//   POST /v1/orders/{id}/returns                {"reference", "lines": [{"line", "quantity",
//                                               "reason"?}]} (orders:write): 201 authorized
//   GET  /v1/orders/{id}/returns, GET /v1/returns/{id}   (orders:read)
//   GET  /v1/orders/{id}/timeline               every event of the order, with what each
//                                               sent out and the message behind it
//   GET  /v1/orders/{id}/fulfillments           its fulfillment orders (orders:read)
//   GET  /v1/fulfillments/{id}                  one fulfillment order (orders:read)
//
// Commands answer 200 {"outcome": "applied" | "unchanged", "reason", "order_id",
// "order_status", "fulfillment_id", "fulfillment_state"} once durable; a refused one is
// 409 with the reason, an unknown id 404. A repeat is "unchanged" and changes nothing.
#pragma once

#include <string_view>

#include "api/auth.h"
#include "api/http.h"
#include "base/clock.h"
#include "orchestration/lifecycle.h"
#include "store/store.h"

namespace disthub {

class FulfillmentApi {
 public:
  // Pointers must outlive the API. With `archive_inbound`, every message taken in is kept
  // in the inbound archive as received, with what became of it.
  FulfillmentApi(orchestration::Lifecycle* lifecycle, Store* store, const Clock* clock,
                 bool archive_inbound)
      : lifecycle_(lifecycle), store_(store), clock_(clock), archive_inbound_(archive_inbound) {}

  static bool Owns(std::string_view path);
  void Handle(const HttpRequest& req, const Principal& who, Responder respond);

 private:
  void FulfillmentCommand(const HttpRequest& req, const Principal& who, const std::string& id,
                          std::string_view action, Responder respond);
  HttpResponse Timeline(const HttpRequest& req, const std::string& order_id);

  orchestration::Lifecycle* lifecycle_;
  Store* store_;
  const Clock* clock_;
  bool archive_inbound_;
};

}  // namespace disthub
