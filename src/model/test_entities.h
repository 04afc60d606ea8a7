// Test data for the model tests: one realistic inbound order document, and one instance of
// each entity with every field set (so an encoding of it shows every field).
#pragma once

#include <ostream>
#include <string_view>

#include "absl/time/time.h"
#include "model/entities.h"
#include "model/fields.h"
#include "model/json.h"

namespace disthub {

// GoogleTest prints entities as their JSON and errors as "pointer: detail".
template <JsonEntity T>
void PrintTo(const T& entity, std::ostream* os) {
  *os << Serialize(entity);
}
inline void PrintTo(const FieldError& e, std::ostream* os) { *os << e.pointer << ": " << e.detail; }

}  // namespace disthub

namespace disthub::test {

// A B2B portal order as a partner sends it: 5 lines, consistent totals (USD), a time with a
// -05:00 offset, an integer external_ref, no output-only fields. About 2 KB.
inline constexpr std::string_view kRealisticOrderJson = R"json({
  "channel": "b2b-portal",
  "channel_order_ref": "PO-2026-118734",
  "customer": {
    "external_ref": 4417,
    "name": "Harbor Point Hardware",
    "email": "purchasing@harborpoint.example",
    "phone": "+1-207-555-0142",
    "account_number": "C-00912",
    "tax_exempt": false
  },
  "bill_to": {
    "name": "Accounts Payable",
    "company": "Harbor Point Hardware LLC",
    "line1": "PO Box 2210",
    "city": "Portland",
    "region": "ME",
    "postal_code": "04112",
    "country": "US"
  },
  "ship_to": {
    "name": "Receiving Dock 3",
    "company": "Harbor Point Hardware LLC",
    "line1": "88 Commercial St",
    "line2": "Rear entrance",
    "city": "Portland",
    "region": "ME",
    "postal_code": "04101",
    "country": "US",
    "phone": "+1-207-555-0199"
  },
  "currency": "USD",
  "lines": [
    {"line_no": 1, "sku": "WID-100-BLK", "channel_line_ref": "1", "description": "Widget, black",
     "quantity": 12, "uom": "each", "unit_price": {"amount_minor": 1299, "currency": "USD"},
     "discounts": [{"code": "SPRING10", "amount": {"amount_minor": 1000, "currency": "USD"}}],
     "tax": {"amount_minor": 1247, "currency": "USD"}},
    {"line_no": 2, "sku": "GAD-220", "channel_line_ref": "2", "description": "Gadget 220, case of 12",
     "quantity": 2, "uom": "case", "unit_price": {"amount_minor": 8400, "currency": "USD"},
     "tax": {"amount_minor": 1344, "currency": "USD"}},
    {"line_no": 3, "sku": "CBL-USB-C-2M", "channel_line_ref": "3", "description": "USB-C cable 2 m",
     "quantity": 25, "unit_price": {"amount_minor": 349, "currency": "USD"},
     "discounts": [{"code": "CABLE5", "amount": {"amount_minor": 500, "currency": "USD"}}],
     "tax": {"amount_minor": 658, "currency": "USD"}},
    {"line_no": 4, "sku": "MNT-ARM-DUAL", "channel_line_ref": "4", "description": "Dual monitor arm",
     "quantity": 1, "unit_price": {"amount_minor": 15900, "currency": "USD"},
     "tax": {"amount_minor": 1272, "currency": "USD"}},
    {"line_no": 5, "sku": "LBL-4X6-1000", "channel_line_ref": "5", "description": "Labels 4x6, roll of 1000",
     "quantity": 3, "unit_price": {"amount_minor": 2499, "currency": "USD"},
     "tax": {"amount_minor": 600, "currency": "USD"}}
  ],
  "totals": {
    "subtotal": {"amount_minor": 64510, "currency": "USD"},
    "discount": {"amount_minor": 1500, "currency": "USD"},
    "tax": {"amount_minor": 5121, "currency": "USD"},
    "shipping": {"amount_minor": 2495, "currency": "USD"},
    "grand_total": {"amount_minor": 70626, "currency": "USD"}
  },
  "service_level": "two_day",
  "payment_state": "on_terms",
  "placed_at": "2026-11-26T16:10:07-05:00",
  "notes": "Deliver before noon, dock closes at 2pm.",
  "attributes": {"portal_user": "jdoe", "cost_center": "STORE-12"}
})json";

inline absl::Time At(int64_t unix_millis) { return absl::FromUnixMillis(unix_millis); }
inline Money Usd(int64_t minor) { return {minor, "USD"}; }

inline Address FullAddress() {
  return {.name = "Receiving",
          .company = "Harbor Point Hardware LLC",
          .line1 = "88 Commercial St",
          .line2 = "Dock 3",
          .city = "Portland",
          .region = "ME",
          .postal_code = "04101",
          .country = "US",
          .phone = "+1-207-555-0199",
          .email = "dock@harborpoint.example"};
}

inline Customer FullCustomer() {
  return {.id = "cus_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .external_ref = "18446744073709551615",
          .name = "Harbor Point Hardware",
          .email = "purchasing@harborpoint.example",
          .phone = "+1-207-555-0142",
          .account_number = "C-00912",
          .tax_exempt = true};
}

inline OrderLine FullOrderLine() {
  return {.line_no = 1,
          .sku = "WID-100-BLK",
          .channel_line_ref = "9007199254740993",
          .description = "Widget, black",
          .quantity = 12,
          .uom = "case",
          .unit_price = Usd(1299),
          .discounts = {{.code = "SPRING10", .amount = Usd(1000)}},
          .tax = Usd(1167)};
}

// Every field set, totals consistent.
inline Order FullOrder() {
  return {.id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .channel = "b2b-portal",
          .channel_order_ref = "9007199254740993",
          .customer = FullCustomer(),
          .bill_to = FullAddress(),
          .ship_to = FullAddress(),
          .currency = "USD",
          .lines = {FullOrderLine()},
          .totals = {.subtotal = Usd(15588),
                     .discount = Usd(1000),
                     .tax = Usd(1167),
                     .shipping = Usd(995),
                     .grand_total = Usd(16750)},
          .service_level = ServiceLevel::kNextDay,
          .payment_state = PaymentState::kCaptured,
          .placed_at = At(1795727407123),  // 2026-11-26T21:10:07.123Z
          .status = OrderStatus::kPartiallyShipped,
          .received_at = At(1795727408456),
          .notes = "leave at dock",
          .attributes = {{"gift/wrap", "yes"}, {"portal_user", "jdoe"}}};
}

inline Product FullProduct() {
  return {.sku = "GAD-220",
          .description = "Gadget 220",
          .base_uom = "each",
          .uoms = {{.uom = "case", .each_per = 12}, {.uom = "pallet", .each_per = 480}},
          .weight_grams = 350,
          .active = false};
}

inline InventoryPosition FullInventoryPosition() {
  return {.sku = "GAD-220",
          .location = "wh-east",
          .on_hand = 120,
          .reserved = 30,
          .safety_stock = 10,
          .inbound = 480,
          .as_of = At(1795727407123),
          .source_seq = 88121};
}

inline FulfillmentOrder FullFulfillmentOrder() {
  return {.id = "ful_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .order_id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .location = "wh-east",
          .status = FulfillmentStatus::kAcknowledged,
          .lines = {{.line_no = 1, .sku = "WID-100-BLK", .quantity = 12}},
          .created_at = At(1795727409000),
          .updated_at = At(1795727500001)};
}

inline Shipment FullShipment() {
  return {.id = "shp_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .order_id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .fulfillment_order_id = "ful_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .carrier = "ups",
          .service = "ground",
          .tracking_number = "1Z999AA10123456784",
          .shipped_at = At(1795813807000),
          .lines = {{.line_no = 1, .sku = "WID-100-BLK", .quantity = 5},
                    {.line_no = 2, .sku = "GAD-220", .quantity = 1}}};
}

inline Return FullReturn() {
  return {.id = "ret_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .order_id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .status = ReturnStatus::kInspected,
          .lines = {{.line_no = 1,
                     .sku = "WID-100-BLK",
                     .quantity = 2,
                     .reason = "damaged",
                     .condition = "opened"}},
          .requested_at = At(1796000000000)};
}

inline Invoice FullInvoice() {
  return {.id = "inv_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .order_id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ",
          .number = "INV-2026-004411",
          .currency = "USD",
          .lines = {{.line_no = 1,
                     .sku = "WID-100-BLK",
                     .quantity = 12,
                     .unit_price = Usd(1299),
                     .tax = Usd(1247),
                     .total = Usd(16835)}},
          .totals = {.subtotal = Usd(15588),
                     .tax = Usd(1247),
                     .shipping = Usd(995),
                     .grand_total = Usd(17830)},
          .issued_at = At(1795900000000),
          .due_at = At(1798500000000)};
}

}  // namespace disthub::test
