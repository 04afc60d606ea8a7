// The inventory routes (DESIGN.md, Inventory; docs/api.md documents every field).
//
//   GET  /v1/inventory/{sku}                   every location and every channel's sellable
//   GET  /v1/inventory/{sku}/updates[?limit=&cursor=]   warehouse updates received, stale too
//   GET  /v1/availability?channel=[&limit=&cursor=]     what a channel may sell, SKU by SKU
//   POST /v1/inventory/adjustments             {"adjustments": [{"id", "sku", "location",
//                                              "delta", "sequence" | "as_of"}]}
//   POST /v1/inventory/snapshots               {"id", "location", "sequence" | "as_of",
//                                              "items": [{"sku", "on_hand", "safety_stock",
//                                              "inbound"}]}
//   POST /v1/inventory/reconciliations         {"apply", "sequence" | "as_of", "items":
//                                              [{"sku", "location", "on_hand"}]}: a full count;
//                                              202 with its id, then it runs in the background
//   GET  /v1/inventory/reconciliations[/{id}]  progress, and the drift report
//   GET  /v1/inventory/reservations?order_id=  the order's reservations
//   POST /v1/inventory/reservations            {"order_id", "line", "sku", "channel",
//                                              "quantity", "locations", "allow_split"}
//   POST /v1/inventory/reservations/release    {"order_id", "line", "location"}
//   POST /v1/inventory/reservations/consume    {"order_id", "line", "location", "quantity"}
//   POST /v1/inventory/reservations/transfer   {"order_id", "line", "from", "to"}
//
// Reads need inventory:read, changes inventory:write. An update's source is the calling
// partner; its id (unique per source) makes a repeat return the first outcome.
#pragma once

#include <optional>
#include <string_view>

#include "api/auth.h"
#include "api/http.h"
#include "base/clock.h"
#include "inventory/service.h"

namespace disthub {

class InventoryApi {
 public:
  // `service` must outlive the API. With `archive_inbound`, every update and count taken in
  // is kept in the inbound archive as received (GET /v1/inbound).
  InventoryApi(inventory::InventoryService* service, const Clock* clock, bool archive_inbound)
      : service_(service), clock_(clock), archive_inbound_(archive_inbound) {}

  // Whether `path` is one of these routes.
  static bool Owns(std::string_view path);

  // Answers a request on one of these routes from an authenticated caller.
  void Handle(const HttpRequest& req, const Principal& who, Responder respond);

 private:
  void Updates(const HttpRequest& req, const Principal& who, bool snapshot, Responder respond);
  void Reconcile(const HttpRequest& req, const Principal& who, Responder respond);
  void Command(const HttpRequest& req, const Principal& who, std::string_view action,
               Responder respond);

  // The request as the inbound archive keeps it, or nullopt when archiving is off.
  std::optional<InboundRecord> Inbound(const HttpRequest& req, const Principal& who,
                                       std::string_view kind) const;

  inventory::InventoryService* service_;
  const Clock* clock_;
  bool archive_inbound_;
};

}  // namespace disthub
