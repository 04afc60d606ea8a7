// The canonical model: the hub's one vocabulary for orders, products, inventory, fulfillment,
// shipments, returns and invoices, whatever dialect a partner speaks.
//
// Plain value types with no invariants enforced on construction: decode them from JSON with
// model/json.h, check them with model/validate.h. Field names are the JSON names. An empty
// string means "absent". Amounts are Money (exact minor units); times are absl::Time.
// Thread-compatible, like any struct.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/money.h"

namespace disthub {

// ---- Enums, encoded as their lowercase snake_case names --------------------------------------

enum class ServiceLevel { kStandard, kExpress, kNextDay, kTwoDay, kFreight };
enum class PaymentState { kPending, kAuthorized, kCaptured, kOnTerms, kRefunded, kVoided };
// The order lifecycle of DESIGN.md; cancelled and rejected are ends.
enum class OrderStatus {
  kReceived,
  kValidated,
  kCreditHold,
  kAccepted,
  kAllocated,
  kBackordered,
  kReleased,
  kAcknowledged,
  kPartiallyShipped,
  kShipped,
  kInvoiced,
  kClosed,
  kCancelled,
  kRejected,
};
enum class FulfillmentStatus {
  kCreated,
  kReleased,
  kAcknowledged,
  kShipped,
  kCancelled,
  kRerouted
};
enum class ReturnStatus {
  kRequested,
  kAuthorized,
  kReceived,
  kInspected,
  kCredited,
  kClosed,
  kRejected,
};

// The names of each enum's values, indexed by the value.
constexpr std::array<std::string_view, 5> kServiceLevelNames = {"standard", "express", "next_day",
                                                                "two_day", "freight"};
constexpr std::array<std::string_view, 6> kPaymentStateNames = {
    "pending", "authorized", "captured", "on_terms", "refunded", "voided"};
constexpr std::array<std::string_view, 14> kOrderStatusNames = {
    "received",    "validated", "credit_hold",  "accepted",          "allocated",
    "backordered", "released",  "acknowledged", "partially_shipped", "shipped",
    "invoiced",    "closed",    "cancelled",    "rejected"};
constexpr std::array<std::string_view, 6> kFulfillmentStatusNames = {
    "created", "released", "acknowledged", "shipped", "cancelled", "rerouted"};
constexpr std::array<std::string_view, 7> kReturnStatusNames = {
    "requested", "authorized", "received", "inspected", "credited", "closed", "rejected"};

static_assert(kServiceLevelNames.size() == static_cast<size_t>(ServiceLevel::kFreight) + 1);
static_assert(kPaymentStateNames.size() == static_cast<size_t>(PaymentState::kVoided) + 1);
static_assert(kOrderStatusNames.size() == static_cast<size_t>(OrderStatus::kRejected) + 1);
static_assert(kFulfillmentStatusNames.size() ==
              static_cast<size_t>(FulfillmentStatus::kRerouted) + 1);
static_assert(kReturnStatusNames.size() == static_cast<size_t>(ReturnStatus::kRejected) + 1);

constexpr std::span<const std::string_view> EnumNames(ServiceLevel) { return kServiceLevelNames; }
constexpr std::span<const std::string_view> EnumNames(PaymentState) { return kPaymentStateNames; }
constexpr std::span<const std::string_view> EnumNames(OrderStatus) { return kOrderStatusNames; }
constexpr std::span<const std::string_view> EnumNames(FulfillmentStatus) {
  return kFulfillmentStatusNames;
}
constexpr std::span<const std::string_view> EnumNames(ReturnStatus) { return kReturnStatusNames; }

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  EnumNames(e);
};

// "next_day" for ServiceLevel::kNextDay.
template <NamedEnum E>
constexpr std::string_view EnumName(E e) {
  return EnumNames(e)[static_cast<size_t>(e)];
}

// ServiceLevel::kNextDay for "next_day"; nullopt for any other text.
template <NamedEnum E>
constexpr std::optional<E> EnumFromName(std::string_view name) {
  const auto names = EnumNames(E{});
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

// ---- Parties ---------------------------------------------------------------------------------

struct Address {
  std::string name;
  std::string company;
  std::string line1;
  std::string line2;
  std::string city;
  std::string region;  // state or province
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2: "US"
  std::string phone;
  std::string email;

  friend bool operator==(const Address&, const Address&) = default;
};

struct Customer {
  std::string id;            // the hub's customer id, if known
  std::string external_ref;  // the partner's customer id, exactly as sent
  std::string name;
  std::string email;
  std::string phone;
  std::string account_number;  // the ERP account of a B2B customer
  bool tax_exempt = false;

  friend bool operator==(const Customer&, const Customer&) = default;
};

// ---- Orders ----------------------------------------------------------------------------------

struct Discount {
  std::string code;  // promotion or coupon code, may be empty
  Money amount;      // off the whole line (not per unit), positive

  friend bool operator==(const Discount&, const Discount&) = default;
};

struct OrderLine {
  int line_no = 0;               // >= 1, unique within the order
  std::string sku;               // our SKU (mappings translate partner SKUs)
  std::string channel_line_ref;  // the partner's line id, exactly as sent
  std::string description;
  int64_t quantity = 0;      // > 0, in `uom`
  std::string uom = "each";  // a unit of the product: "each", "case", ...
  Money unit_price;          // per `uom`, before discounts and tax
  std::vector<Discount> discounts;
  Money tax;  // for the whole line

  friend bool operator==(const OrderLine&, const OrderLine&) = default;
};

struct OrderTotals {
  Money subtotal;  // sum of quantity * unit_price
  Money discount;  // sum of the lines' discounts
  Money tax;       // sum of the lines' tax
  Money shipping;
  Money grand_total;  // subtotal - discount + tax + shipping

  friend bool operator==(const OrderTotals&, const OrderTotals&) = default;
};

struct Order {
  std::string id;                 // output: the hub's order id
  std::string channel;            // the sales channel instance: "b2b-portal", "amazon-us"
  std::string channel_order_ref;  // the partner's order number, exactly as sent
  Customer customer;
  std::optional<Address> bill_to;  // marketplaces often withhold it
  Address ship_to;
  std::string currency;          // ISO 4217; every Money in the order uses it
  std::vector<OrderLine> lines;  // 1..1000
  OrderTotals totals;
  ServiceLevel service_level = ServiceLevel::kStandard;
  PaymentState payment_state = PaymentState::kPending;
  absl::Time placed_at;                         // when the customer placed it
  OrderStatus status = OrderStatus::kReceived;  // output: set by orchestration
  std::optional<absl::Time> received_at;        // output: when the hub committed it
  std::string notes;
  std::map<std::string, std::string> attributes;  // partner extras, <= 50 entries

  friend bool operator==(const Order&, const Order&) = default;
};

// ---- Products and inventory ------------------------------------------------------------------

struct UomConversion {
  std::string uom;   // "case"
  int each_per = 1;  // base units in one `uom`: 12 for a case of 12

  friend bool operator==(const UomConversion&, const UomConversion&) = default;
};

struct Product {
  std::string sku;
  std::string description;
  std::string base_uom = "each";
  std::vector<UomConversion> uoms;  // units other than base_uom
  int64_t weight_grams = 0;         // of one base unit
  bool active = true;

  friend bool operator==(const Product&, const Product&) = default;
};

// `qty` of `uom` in the product's base unit. InvalidArgument if the product has no such
// unit (the message names the uom and the SKU) or if the result overflows int64.
absl::StatusOr<int64_t> ToEaches(const Product& product, int64_t qty, std::string_view uom);

// `eaches` base units expressed in `uom`. InvalidArgument for an unknown unit or if `eaches`
// is not a whole number of `uom` (13 eaches is not a whole number of cases of 12).
absl::StatusOr<int64_t> FromEaches(const Product& product, int64_t eaches, std::string_view uom);

struct InventoryPosition {
  std::string sku;
  std::string location;
  int64_t on_hand = 0;   // owned by the WMS or 3PL; may be negative if they say so
  int64_t reserved = 0;  // owned by the hub
  int64_t safety_stock = 0;
  int64_t inbound = 0;
  absl::Time as_of;        // the source's time for this position
  int64_t source_seq = 0;  // the source's sequence number; stale updates are not applied

  friend bool operator==(const InventoryPosition&, const InventoryPosition&) = default;
};

// Available to promise: max(0, on_hand - reserved - safety_stock), saturating instead of
// overflowing.
int64_t Atp(const InventoryPosition& position);

// ---- Fulfillment, shipments, returns, invoices -----------------------------------------------

// A quantity of one order line, in the line's unit.
struct LineQuantity {
  int line_no = 0;  // the order line it belongs to
  std::string sku;
  int64_t quantity = 0;

  friend bool operator==(const LineQuantity&, const LineQuantity&) = default;
};

// The part of an order that one location ships.
struct FulfillmentOrder {
  std::string id;
  std::string order_id;
  std::string location;
  FulfillmentStatus status = FulfillmentStatus::kCreated;
  std::vector<LineQuantity> lines;
  absl::Time created_at;
  std::optional<absl::Time> updated_at;

  friend bool operator==(const FulfillmentOrder&, const FulfillmentOrder&) = default;
};

struct Shipment {
  std::string id;
  std::string order_id;
  std::string fulfillment_order_id;
  std::string carrier;  // "ups"
  std::string service;  // "ground"
  std::string tracking_number;
  absl::Time shipped_at;
  std::vector<LineQuantity> lines;

  friend bool operator==(const Shipment&, const Shipment&) = default;
};

struct ReturnLine {
  int line_no = 0;
  std::string sku;
  int64_t quantity = 0;
  std::string reason;     // "damaged", "wrong_item", ...
  std::string condition;  // what inspection found: "new", "opened", "damaged", ...

  friend bool operator==(const ReturnLine&, const ReturnLine&) = default;
};

struct Return {
  std::string id;
  std::string order_id;
  ReturnStatus status = ReturnStatus::kRequested;
  std::vector<ReturnLine> lines;
  absl::Time requested_at;

  friend bool operator==(const Return&, const Return&) = default;
};

struct InvoiceLine {
  int line_no = 0;
  std::string sku;
  int64_t quantity = 0;
  Money unit_price;
  Money tax;
  Money total;

  friend bool operator==(const InvoiceLine&, const InvoiceLine&) = default;
};

struct InvoiceTotals {
  Money subtotal;
  Money tax;
  Money shipping;
  Money grand_total;

  friend bool operator==(const InvoiceTotals&, const InvoiceTotals&) = default;
};

struct Invoice {
  std::string id;
  std::string order_id;
  std::string number;  // the ERP's invoice number, exactly as sent
  std::string currency;
  std::vector<InvoiceLine> lines;
  InvoiceTotals totals;
  absl::Time issued_at;
  std::optional<absl::Time> due_at;

  friend bool operator==(const Invoice&, const Invoice&) = default;
};

// The entities that have a JSON form and a schema (model/json.h, model/schema.h).
template <class T>
concept JsonEntity =
    std::same_as<T, Order> || std::same_as<T, OrderLine> || std::same_as<T, Customer> ||
    std::same_as<T, Address> || std::same_as<T, Money> || std::same_as<T, Product> ||
    std::same_as<T, InventoryPosition> || std::same_as<T, FulfillmentOrder> ||
    std::same_as<T, Shipment> || std::same_as<T, Return> || std::same_as<T, Invoice>;

}  // namespace disthub
