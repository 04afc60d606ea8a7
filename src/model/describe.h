// The one source of truth for the JSON form of every entity: its fields, in order, with their
// JSON names and rules. The decoder and encoder (json.cc), the JSON Schemas (schema.cc) and
// the structural checks (validate.cc) are all derived from the Describe() functions below,
// so they cannot drift apart. To add a field, add one line here.
//
// A visitor V has one member template, called once per field:
//   template <class T> void Field(std::string_view name, T& value, const Rules& rules);
// T is std::string, int, int64_t, bool, absl::Time, a NamedEnum, a Described struct, or a
// std::optional / std::vector of those, or std::map<std::string, std::string>; T is const
// when the visitor only reads (encoder, checks, schema).
#pragma once

#include <concepts>
#include <string_view>
#include <type_traits>

#include "base/money.h"
#include "model/entities.h"
#include "model/fields.h"

namespace disthub {

// `O` is T or const T: the decoder fills an entity, the other visitors read one.
template <class O, class T>
concept EntityRef = std::same_as<std::remove_const_t<O>, T>;

// The name of a described type in schemas ("order_line": the $defs key and the schema file)
// and in messages ("OrderLine").
struct TypeNames {
  std::string_view schema;
  std::string_view title;
};

constexpr TypeNames NamesOf(const Money*) { return {"money", "Money"}; }
template <class V, EntityRef<Money> O>
void Describe(V& v, O& m) {
  v.Field("amount_minor", m.minor, {.required = true});
  v.Field("currency", m.currency, {.required = true, .format = Format::kCurrency});
}

constexpr TypeNames NamesOf(const Address*) { return {"address", "Address"}; }
template <class V, EntityRef<Address> O>
void Describe(V& v, O& a) {
  v.Field("name", a.name, {.max_len = 200});
  v.Field("company", a.company, {.max_len = 200});
  v.Field("line1", a.line1, {.required = true, .max_len = 200});
  v.Field("line2", a.line2, {.max_len = 200});
  v.Field("city", a.city, {.required = true, .max_len = 100});
  v.Field("region", a.region, {.max_len = 100});
  v.Field("postal_code", a.postal_code, {.max_len = 20});
  v.Field("country", a.country, {.required = true, .format = Format::kCountry});
  v.Field("phone", a.phone, {.max_len = 40});
  v.Field("email", a.email, {.max_len = 254});
}

constexpr TypeNames NamesOf(const Customer*) { return {"customer", "Customer"}; }
template <class V, EntityRef<Customer> O>
void Describe(V& v, O& c) {
  v.Field("id", c.id, {.max_len = 64});
  v.Field("external_ref", c.external_ref, {.format = Format::kId, .max_len = 128});
  v.Field("name", c.name, {.max_len = 200});
  v.Field("email", c.email, {.max_len = 254});
  v.Field("phone", c.phone, {.max_len = 40});
  v.Field("account_number", c.account_number, {.format = Format::kId, .max_len = 64});
  v.Field("tax_exempt", c.tax_exempt);
}

constexpr TypeNames NamesOf(const Discount*) { return {"discount", "Discount"}; }
template <class V, EntityRef<Discount> O>
void Describe(V& v, O& d) {
  v.Field("code", d.code, {.max_len = 64});
  v.Field("amount", d.amount, {.required = true});
}

constexpr TypeNames NamesOf(const OrderLine*) { return {"order_line", "OrderLine"}; }
template <class V, EntityRef<OrderLine> O>
void Describe(V& v, O& l) {
  v.Field("line_no", l.line_no, {.required = true, .min = 1});
  v.Field("sku", l.sku, {.required = true, .max_len = 64});
  v.Field("channel_line_ref", l.channel_line_ref, {.format = Format::kId, .max_len = 128});
  v.Field("description", l.description, {.max_len = 1000});
  v.Field("quantity", l.quantity, {.required = true, .min = 1});
  v.Field("uom", l.uom, {.max_len = 16});
  v.Field("unit_price", l.unit_price, {.required = true});
  v.Field("discounts", l.discounts, {.max_items = 20});
  v.Field("tax", l.tax, {.required = true});
}

constexpr TypeNames NamesOf(const OrderTotals*) { return {"order_totals", "OrderTotals"}; }
template <class V, EntityRef<OrderTotals> O>
void Describe(V& v, O& t) {
  v.Field("subtotal", t.subtotal, {.required = true});
  v.Field("discount", t.discount, {.required = true});
  v.Field("tax", t.tax, {.required = true});
  v.Field("shipping", t.shipping, {.required = true});
  v.Field("grand_total", t.grand_total, {.required = true});
}

// id, status and received_at are output-only: DecodeMode::kInbound refuses them.
constexpr TypeNames NamesOf(const Order*) { return {"order", "Order"}; }
template <class V, EntityRef<Order> O>
void Describe(V& v, O& o) {
  v.Field("id", o.id, {.output_only = true, .max_len = 64});
  v.Field("channel", o.channel, {.required = true, .max_len = 64});
  v.Field("channel_order_ref", o.channel_order_ref,
          {.required = true, .format = Format::kId, .max_len = 128});
  v.Field("customer", o.customer, {.required = true});
  v.Field("bill_to", o.bill_to);
  v.Field("ship_to", o.ship_to, {.required = true});
  v.Field("currency", o.currency, {.required = true, .format = Format::kCurrency});
  v.Field("lines", o.lines, {.required = true, .min_items = 1, .max_items = 1000});
  v.Field("totals", o.totals, {.required = true});
  v.Field("service_level", o.service_level);
  v.Field("payment_state", o.payment_state);
  v.Field("placed_at", o.placed_at, {.required = true});
  v.Field("status", o.status, {.output_only = true});
  v.Field("received_at", o.received_at, {.output_only = true});
  v.Field("notes", o.notes, {.max_len = 4000});
  v.Field("attributes", o.attributes, {.max_len = 1024, .max_items = 50});
}

constexpr TypeNames NamesOf(const UomConversion*) { return {"uom_conversion", "UomConversion"}; }
template <class V, EntityRef<UomConversion> O>
void Describe(V& v, O& u) {
  v.Field("uom", u.uom, {.required = true, .max_len = 16});
  v.Field("each_per", u.each_per, {.required = true, .min = 1});
}

constexpr TypeNames NamesOf(const Product*) { return {"product", "Product"}; }
template <class V, EntityRef<Product> O>
void Describe(V& v, O& p) {
  v.Field("sku", p.sku, {.required = true, .max_len = 64});
  v.Field("description", p.description, {.max_len = 1000});
  v.Field("base_uom", p.base_uom, {.max_len = 16});
  v.Field("uoms", p.uoms, {.max_items = 20});
  v.Field("weight_grams", p.weight_grams, {.min = 0});
  v.Field("active", p.active);
}

constexpr TypeNames NamesOf(const InventoryPosition*) {
  return {"inventory_position", "InventoryPosition"};
}
template <class V, EntityRef<InventoryPosition> O>
void Describe(V& v, O& p) {
  v.Field("sku", p.sku, {.required = true, .max_len = 64});
  v.Field("location", p.location, {.required = true, .max_len = 64});
  v.Field("on_hand", p.on_hand, {.required = true});
  v.Field("reserved", p.reserved, {.min = 0});
  v.Field("safety_stock", p.safety_stock, {.min = 0});
  v.Field("inbound", p.inbound, {.min = 0});
  v.Field("as_of", p.as_of, {.required = true});
  v.Field("source_seq", p.source_seq, {.min = 0});
}

constexpr TypeNames NamesOf(const LineQuantity*) { return {"line_quantity", "LineQuantity"}; }
template <class V, EntityRef<LineQuantity> O>
void Describe(V& v, O& l) {
  v.Field("line_no", l.line_no, {.required = true, .min = 1});
  v.Field("sku", l.sku, {.required = true, .max_len = 64});
  v.Field("quantity", l.quantity, {.required = true, .min = 1});
}

constexpr TypeNames NamesOf(const FulfillmentOrder*) {
  return {"fulfillment_order", "FulfillmentOrder"};
}
template <class V, EntityRef<FulfillmentOrder> O>
void Describe(V& v, O& f) {
  v.Field("id", f.id, {.max_len = 64});
  v.Field("order_id", f.order_id, {.required = true, .max_len = 64});
  v.Field("location", f.location, {.required = true, .max_len = 64});
  v.Field("status", f.status);
  v.Field("lines", f.lines, {.required = true, .min_items = 1, .max_items = 1000});
  v.Field("created_at", f.created_at, {.required = true});
  v.Field("updated_at", f.updated_at);
}

constexpr TypeNames NamesOf(const Shipment*) { return {"shipment", "Shipment"}; }
template <class V, EntityRef<Shipment> O>
void Describe(V& v, O& s) {
  v.Field("id", s.id, {.max_len = 64});
  v.Field("order_id", s.order_id, {.required = true, .max_len = 64});
  v.Field("fulfillment_order_id", s.fulfillment_order_id, {.max_len = 64});
  v.Field("carrier", s.carrier, {.required = true, .max_len = 64});
  v.Field("service", s.service, {.max_len = 64});
  v.Field("tracking_number", s.tracking_number, {.format = Format::kId, .max_len = 128});
  v.Field("shipped_at", s.shipped_at, {.required = true});
  v.Field("lines", s.lines, {.required = true, .min_items = 1, .max_items = 1000});
}

constexpr TypeNames NamesOf(const ReturnLine*) { return {"return_line", "ReturnLine"}; }
template <class V, EntityRef<ReturnLine> O>
void Describe(V& v, O& l) {
  v.Field("line_no", l.line_no, {.required = true, .min = 1});
  v.Field("sku", l.sku, {.required = true, .max_len = 64});
  v.Field("quantity", l.quantity, {.required = true, .min = 1});
  v.Field("reason", l.reason, {.max_len = 200});
  v.Field("condition", l.condition, {.max_len = 64});
}

constexpr TypeNames NamesOf(const Return*) { return {"return", "Return"}; }
template <class V, EntityRef<Return> O>
void Describe(V& v, O& r) {
  v.Field("id", r.id, {.max_len = 64});
  v.Field("order_id", r.order_id, {.required = true, .max_len = 64});
  v.Field("status", r.status);
  v.Field("lines", r.lines, {.required = true, .min_items = 1, .max_items = 1000});
  v.Field("requested_at", r.requested_at, {.required = true});
}

constexpr TypeNames NamesOf(const InvoiceLine*) { return {"invoice_line", "InvoiceLine"}; }
template <class V, EntityRef<InvoiceLine> O>
void Describe(V& v, O& l) {
  v.Field("line_no", l.line_no, {.required = true, .min = 1});
  v.Field("sku", l.sku, {.required = true, .max_len = 64});
  v.Field("quantity", l.quantity, {.required = true, .min = 1});
  v.Field("unit_price", l.unit_price, {.required = true});
  v.Field("tax", l.tax, {.required = true});
  v.Field("total", l.total, {.required = true});
}

constexpr TypeNames NamesOf(const InvoiceTotals*) { return {"invoice_totals", "InvoiceTotals"}; }
template <class V, EntityRef<InvoiceTotals> O>
void Describe(V& v, O& t) {
  v.Field("subtotal", t.subtotal, {.required = true});
  v.Field("tax", t.tax, {.required = true});
  v.Field("shipping", t.shipping, {.required = true});
  v.Field("grand_total", t.grand_total, {.required = true});
}

constexpr TypeNames NamesOf(const Invoice*) { return {"invoice", "Invoice"}; }
template <class V, EntityRef<Invoice> O>
void Describe(V& v, O& i) {
  v.Field("id", i.id, {.max_len = 64});
  v.Field("order_id", i.order_id, {.required = true, .max_len = 64});
  v.Field("number", i.number, {.required = true, .format = Format::kId, .max_len = 64});
  v.Field("currency", i.currency, {.required = true, .format = Format::kCurrency});
  v.Field("lines", i.lines, {.required = true, .min_items = 1, .max_items = 1000});
  v.Field("totals", i.totals, {.required = true});
  v.Field("issued_at", i.issued_at, {.required = true});
  v.Field("due_at", i.due_at);
}

// A struct with a Describe() above (possibly const).
template <class T>
concept Described = requires(const std::remove_const_t<T>* p) {
  { NamesOf(p) } -> std::same_as<TypeNames>;
};

template <Described T>
constexpr TypeNames NamesOfType() {
  return NamesOf(static_cast<const std::remove_const_t<T>*>(nullptr));
}

}  // namespace disthub
