// Declarative mappings from a partner's dialect to the canonical model (DESIGN.md,
// canonical model and mapping): one YAML file per dialect, document and direction,
// compiled once and applied to each parsed payload. docs/mappings.md documents the file;
// mappings/ holds the built-in ones.
//
//   DISTHUB_ASSIGN_OR_RETURN(Mapping m, Mapping::Load("mappings/shopify-order.yaml"));
//   MappingResult r = m.Apply(payload, {.vars = {{"channel", "shopify-us"}}});
//   if (!r.ok()) ...  // each error names the mapping file, the rule and the payload path
//   MappedOrder order = MapOrder(m, payload, {...});  // plus the model's decoding and checks
//   MappedDocument d = MapDocument(m, payload, {...});  // any target: shipment, tracking, ...
//
// A rule fills one canonical field from the payload:
//
//   placed_at: {path: /created_at, as: time}                       # RFC 3339 by default
//   quantity: {path: quantity, as: integer}                        # relative to the element
//   unit_price: {path: price, as: money}                           # in the document's currency
//   payment_state: {path: /financial_status, table: payment}      # a code table
//   lines: {each: /line_items, fields: {...}}                      # one element per item
//   tax: {sum: [ItemTax/Amount, ShippingTax/Amount], minus: PromotionDiscountTax/Amount, as: money}
//   price: {path: "charges/*[type=PRODUCT]/amount", as: money}    # a list element by value
//
// `to:` names the canonical document (Targets()): order, shipment, return, inventory (model
// entities, model/entities.h), tracking or cancellation (mapping/tracking.h,
// mapping/cancellation.h: not in the model yet), or partner (canonical → partner).
// `checks:` holds rules whose values are dropped: when one fails, the payload is refused
// before any field is mapped (a Shopify fulfillment that failed, an EasyPost Event that is
// not about a Tracker).
//
// Thread-safety: a Mapping is immutable after Parse(); Apply() may run on any number of
// threads at once.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "mapping/cancellation.h"
#include "mapping/tracking.h"
#include "model/entities.h"

namespace disthub::mapping {

struct Rule;

// What went wrong while mapping one payload.
struct MappingError {
  std::string rule;     // the canonical field whose rule failed: "lines[].unit_price"
  std::string at;       // JSON Pointer into the payload: "/order/line_items/2/price"; "" if none
  std::string message;  // "\"12,50\" is not an amount in USD: ..."

  // "FILE: rule lines[].unit_price at /order/line_items/2/price: MESSAGE"
  std::string ToString(const std::string& file) const;
};

// A mapped document and the arena its memory comes from, which go together: the
// document's nodes are allocated from the arena without reference counts and freed with it
// at once. Moving (construction or assignment) hands the arena over with the document and
// leaves the source an empty null; copying is not allowed — copy the document itself
// (json::value(d.document, storage)) to keep it beyond its arena.
class ArenaDocument {
 public:
  ArenaDocument();
  ArenaDocument(ArenaDocument&& other) noexcept;
  ArenaDocument& operator=(ArenaDocument&& other) noexcept;
  ~ArenaDocument();

 private:
  std::unique_ptr<boost::json::monotonic_resource> arena_;  // outlives `document`

 public:
  // A JSON object, in the arena, until something else is put there.
  boost::json::value document;
};

// What a payload came as. XML is read as a JSON tree (formats/xml.h) whose lone elements
// are not lists, so a mapping applied to one reads a value where it expects a list as a
// list of one (`each`, "*", filters, index 0).
enum class PayloadFormat { kJson, kXml };

struct MappingContext {
  // Values rules read with `var: NAME` (the channel instance's name, say).
  std::map<std::string, std::string> vars;
  PayloadFormat format = PayloadFormat::kJson;  // ParsePayload's
};

struct MappingResult : ArenaDocument {
  // `document`: the canonical JSON object, as the API would take it.
  std::vector<MappingError> errors;
  // A `to: partner` mapping's request (its `request:`): the HTTP method ("POST" unless it
  // says otherwise) and the path to add to the subscriber's url, each {POINTER} of its
  // template replaced by that value as one percent-encoded segment ("" without one).
  std::string method = "POST";
  std::string path;  // empty: every rule applied

  bool ok() const { return errors.empty(); }
};

class Mapping {
 public:
  // Compiles a mapping file's text; `file` names it in errors, which give file:line and the
  // key path. kInvalidArgument listing every problem.
  static absl::StatusOr<Mapping> Parse(const std::string& yaml, const std::string& file);
  // Reads and compiles `file`.
  static absl::StatusOr<Mapping> Load(const std::string& file);
  // Load(file), refused unless its `to:` is `target`: kFailedPrecondition
  // "FILE maps to X; WHY", where `why` says what the caller needs ("a channel takes orders").
  static absl::StatusOr<Mapping> Load(const std::string& file, std::string_view target,
                                      std::string_view why);

  Mapping(Mapping&&) noexcept;
  Mapping& operator=(Mapping&&) noexcept;
  ~Mapping();

  const std::string& name() const;     // `mapping:`, "shopify-order"
  int version() const;                 // `version:`, bumped at every change
  const std::string& dialect() const;  // `from:`, "shopify"
  const std::string& target() const;   // `to:`, the canonical document: "order", Targets()
  const std::string& file() const;
  // `formats:`, what payloads it reads: JSON (the default), XML, or both.
  bool ReadsJson() const;
  bool ReadsXml() const;

  // Maps one payload. Never throws; errors stop at 100.
  MappingResult Apply(const boost::json::value& payload, const MappingContext& context = {}) const;

  struct Impl;  // the compiled rules (mapping.cc)

 private:
  explicit Mapping(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What `bytes` are: XML when they start with '<' (after a byte-order mark and white
// space), else JSON.
PayloadFormat FormatOf(std::string_view bytes);

// A payload's bytes parsed for `mapping` as FormatOf says, XML as formats/xml.h describes;
// the format goes in the MappingContext given to Apply, MapOrder or MapDocument.
// kInvalidArgument naming what is malformed (for XML, its line and column);
// kFailedPrecondition for a format the mapping does not read (`formats:`).
struct ParsedPayload {
  boost::json::value value;
  PayloadFormat format = PayloadFormat::kJson;
};
absl::StatusOr<ParsedPayload> ParsePayload(const Mapping& mapping, std::string_view bytes,
                                           boost::json::storage_ptr storage = {});

// An order mapped and then decoded and checked as the API checks orders (model/json.h,
// model/validate.h): errors of the model name the canonical field ("#/totals/tax").
struct MappedOrder : ArenaDocument {
  // `document`: the canonical JSON object, as in MappingResult.
  std::optional<Order> order;  // engaged iff errors is empty
  std::vector<MappingError> errors;

  bool ok() const { return errors.empty(); }
};
MappedOrder MapOrder(const Mapping& mapping, const boost::json::value& payload,
                     const MappingContext& context = {});

// The canonical documents `to:` may name: "order", "shipment", "return", "inventory" (an
// InventoryPosition), "tracking" (mapping/tracking.h), "cancellation"
// (mapping/cancellation.h) and "partner" (outbound). A mapping file naming another is
// refused by Mapping::Parse, listing these.
std::span<const std::string_view> Targets();

// Any target's document, mapped and then decoded and checked: model entities by the model
// (Decode<T> of model/json.h, and ValidateOrder for orders, exactly as MapOrder), tracking
// by DecodeTracking, cancellations by DecodeCancellation. Errors of the decoding name the canonical
// field ("canonical
// #/lines/0/quantity"), like MapOrder's.
struct MappedDocument : ArenaDocument {
  // `document`: the canonical JSON object, as in MappingResult.
  // The decoded document, of the mapping's target; engaged (not monostate) iff errors is
  // empty — except for `to: partner` (canonical → partner), whose result is `document`
  // itself and which stays monostate.
  std::variant<std::monostate, Order, Shipment, Return, InventoryPosition, Tracking, Cancellation>
      value;
  std::vector<MappingError> errors;

  bool ok() const { return errors.empty(); }
  // The decoded document if it is a T, else nullptr.
  template <class T>
  const T* get() const {
    return std::get_if<T>(&value);
  }
};
// Never throws; for `to: order`, the same errors and order as MapOrder.
MappedDocument MapDocument(const Mapping& mapping, const boost::json::value& payload,
                           const MappingContext& context = {});

}  // namespace disthub::mapping
