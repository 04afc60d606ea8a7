#include "mapping/x12_documents.h"

#include <cassert>
#include <map>
#include <optional>

#include "base/money.h"
#include "base/strings.h"
#include "formats/x12_dictionary.h"
#include "mapping/x12_common.h"

namespace disthub::mapping {
namespace {

using formats::X12OutSet;
using formats::X12Segment;
using x12_internal::Problems;
using x12_internal::WholeQuantity;
using Segment = std::vector<std::string>;

std::string Day(absl::Time t) { return absl::FormatTime("%Y%m%d", t, absl::UTCTimeZone()); }
std::string Clock(absl::Time t) { return absl::FormatTime("%H%M", t, absl::UTCTimeZone()); }

const OrderLine* FindLine(const Order& order, int line_no) {
  for (const OrderLine& line : order.lines) {
    if (line.line_no == line_no) return &line;
  }
  return nullptr;
}

// What the partner knows the line by: its own PO101 when the order came by 850.
std::string LineRef(const OrderLine& line) {
  return line.channel_line_ref.empty() ? std::to_string(line.line_no) : line.channel_line_ref;
}

// What a document line shipped, billed or released: its own SKU, else its order line's.
const std::string& SkuOf(const std::string& given, const OrderLine& line) {
  return given.empty() ? line.sku : given;
}

// The key of `table` (X12 code → model name) whose value is `name`; "" when none is.
std::string CodeFor(const std::map<std::string, std::string>& table, std::string_view name) {
  for (const auto& [code, model] : table) {
    if (model == name) return code;
  }
  return "";
}

// One outbound set as a writer builds it: its segments, and the problems of its canonical
// input, which the writer keeps collecting so that one error lists them all.
class OutDocument {
 public:
  OutDocument(std::string id, const X12Dialect& dialect)
      : id_(std::move(id)),
        dialect_(dialect),
        problems_(StrCat("the ", id_, " cannot be written")) {}

  void Add(Segment segment) { segments_.push_back(std::move(segment)); }
  void Problem(std::string message) { problems_.Add(std::move(message)); }

  // The order line that line `field` of the document (with its line_no and quantity)
  // ships, bills or releases; null, with the problem added, when the order has no such line.
  const OrderLine* LineOf(const Order& order, int line_no, int64_t quantity,
                          std::string_view field) {
    const OrderLine* line = FindLine(order, line_no);
    if (line == nullptr) {
      Problem(StrCat(field, ".line_no ", line_no, " is not a line of the order"));
    } else if (quantity <= 0) {
      Problem(StrCat(field, ".quantity ", quantity, " is not above 0"));
    }
    return line;
  }

  // The X12 unit code of `line`'s uom (`line` is one of `order`'s lines), or "" with the
  // problem added.
  std::string UnitOf(const Order& order, const OrderLine& line) {
    std::string code = CodeFor(dialect_.units, line.uom);
    if (code.empty()) {
      std::vector<std::string> known;
      for (const auto& [c, unit] : dialect_.units) known.push_back(StrCat(c, " ", unit));
      Problem(StrCat("order.lines[", &line - order.lines.data(), "].uom \"", line.uom,
                     "\" has no X12 code in the partner's unit table (",
                     x12_internal::Listed(known), ")"));
    }
    return code;
  }

  // `amount` as a decimal ("54.00"), after checking it is in the document's `currency`.
  std::string Decimal(const Money& amount, std::string_view currency, std::string_view field) {
    if (amount.currency != currency) {
      Problem(StrCat(field, " is in \"", amount.currency, "\", the document in ", currency));
    }
    return FormatDecimal(amount);
  }

  // `amount` in hundredths, as N2 elements (TDS, SAC) carry money whatever the currency.
  std::string Hundredths(const Money& amount, std::string_view currency, std::string_view field) {
    Decimal(amount, currency, field);
    absl::StatusOr<int> decimals = MinorUnits(currency);
    if (!decimals.ok()) {
      Problem(StrCat(field, ": ", decimals.status().message()));
      return "";
    }
    int64_t n = amount.minor;
    for (int d = *decimals; d < 2; ++d) {
      if (n > INT64_MAX / 10 || n < INT64_MIN / 10) {
        Problem(StrCat(field, " ", FormatDecimal(amount), " is too large for X12"));
        return "";
      }
      n *= 10;
    }
    for (int d = *decimals; d > 2; --d) {
      if (n % 10 != 0) {
        Problem(StrCat(field, " ", FormatDecimal(amount), " ", currency,
                       " has more decimals than the two X12 carries in an implied-decimal "
                       "amount"));
        return "";
      }
      n /= 10;
    }
    return std::to_string(n);
  }

  // CUR*SE (the seller's currency, which is ours) when it is not the partner's default.
  void Currency(std::string_view currency) {
    if (currency != dialect_.currency) Add({"CUR", "SE", std::string(currency)});
  }

  // The N1 loop of `address`: N1 (company, else name), N2 (the name beside a company), N3
  // and N4 when the address has a street and a city.
  void Party(std::string_view code, const Address& a, std::string_view field) {
    if (a.company.empty() && a.name.empty()) Problem(StrCat(field, " has no name or company"));
    Add({"N1", std::string(code), a.company.empty() ? a.name : a.company});
    if (!a.company.empty() && !a.name.empty()) Add({"N2", a.name});
    if (!a.line1.empty()) Add({"N3", a.line1, a.line2});
    if (!a.city.empty()) Add({"N4", a.city, a.region, a.postal_code, a.country});
  }

  // The set, once its canonical input had no problem and every segment passes the
  // dictionary's checks (lengths, mandatory elements, syntax notes).
  absl::StatusOr<X12OutSet> Finish() {
    if (!problems_.empty()) return problems_.ToStatus();
    for (size_t i = 0; i < segments_.size(); ++i) {
      const formats::X12SegmentSpec* spec = formats::FindX12Segment(segments_[i][0]);
      assert(spec != nullptr && "writers write only segments the dictionary has");
      const std::vector<std::string_view> views(segments_[i].begin(), segments_[i].end());
      const size_t position = i + 2;  // ST is 1
      std::vector<formats::X12Error> errors;
      formats::CheckX12Segment(*spec, X12Segment{.elements = views, .position = position}, position,
                               errors);
      for (const formats::X12Error& e : errors) {
        problems_.Add(StrCat(e.message, " (segment ", position, " of the set)"));
      }
    }
    if (!problems_.empty()) return problems_.ToStatus();
    return X12OutSet{.id = id_, .implementation = "", .segments = std::move(segments_)};
  }

 private:
  std::string id_;
  const X12Dialect& dialect_;
  Problems problems_;
  std::vector<Segment> segments_;
};

// The purchase order number every document after the 850 repeats.
const std::string& PoNumber(const Order& order, OutDocument& doc) {
  if (order.channel_order_ref.empty()) {
    doc.Problem("order.channel_order_ref is empty: the partner's purchase order number is needed");
  }
  return order.channel_order_ref;
}

}  // namespace

absl::StatusOr<X12OutSet> Ack855(const Order& order, std::span<const LineQuantity> accepted,
                                 X12Unaccepted rest, absl::Time at, const X12Dialect& dialect) {
  OutDocument doc("855", dialect);
  std::map<int, int64_t> accepted_by_line;
  for (size_t i = 0; i < accepted.size(); ++i) {
    const LineQuantity& a = accepted[i];
    if (FindLine(order, a.line_no) == nullptr) {
      doc.Problem(StrCat("accepted[", i, "].line_no ", a.line_no, " is not a line of the order"));
    } else if (a.quantity < 0) {
      doc.Problem(StrCat("accepted[", i, "].quantity ", a.quantity, " is below 0"));
    } else {
      accepted_by_line[a.line_no] += a.quantity;
    }
  }
  if (order.lines.empty()) doc.Problem("order.lines is empty");
  int64_t accepted_total = 0;
  bool changed = false;
  for (const OrderLine& line : order.lines) {
    const int64_t yes = accepted_by_line[line.line_no];
    if (yes > line.quantity) {
      doc.Problem(StrCat("accepted quantity ", yes, " of line ", line.line_no, " is more than the ",
                         line.quantity, " ordered"));
    }
    accepted_total += yes;
    changed |= yes < line.quantity;
  }
  const bool rejected = accepted_total == 0 && rest == X12Unaccepted::kRejected;
  doc.Add({"BAK", "00", rejected ? "RD" : (changed ? "AC" : "AD"), PoNumber(order, doc),
           Day(order.placed_at), "", "", "", order.id, Day(at)});
  doc.Currency(order.currency);
  int64_t hash = 0;
  for (size_t i = 0; i < order.lines.size(); ++i) {
    const OrderLine& line = order.lines[i];
    const std::string field = StrCat("order.lines[", i, "]");
    const std::string unit = doc.UnitOf(order, line);
    doc.Add({"PO1", LineRef(line), std::to_string(line.quantity), unit,
             doc.Decimal(line.unit_price, order.currency, field + ".unit_price"), "", "VN",
             line.sku});
    hash += line.quantity;
    const int64_t yes = accepted_by_line[line.line_no];
    if (yes > 0) doc.Add({"ACK", "IA", std::to_string(yes), unit});
    if (yes < line.quantity) {
      doc.Add({"ACK", rest == X12Unaccepted::kBackordered ? "IB" : "IR",
               std::to_string(line.quantity - yes), unit});
    }
  }
  doc.Add({"CTT", std::to_string(order.lines.size()), std::to_string(hash)});
  return doc.Finish();
}

absl::StatusOr<X12OutSet> ShipNotice856(const Order& order, const Shipment& shipment,
                                        const X12Dialect& dialect) {
  OutDocument doc("856", dialect);
  if (shipment.id.empty()) doc.Problem("shipment.id is empty: BSN02 needs it");
  if (shipment.lines.empty()) doc.Problem("shipment.lines is empty");
  doc.Add({"BSN", "00", shipment.id, Day(shipment.shipped_at), Clock(shipment.shipped_at), "0001"});
  // Shipment level.
  doc.Add({"HL", "1", "", "S", "1"});
  const std::string scac = CodeFor(dialect.carriers, shipment.carrier);
  std::string words = shipment.carrier;
  if (!shipment.service.empty()) words += StrCat(words.empty() ? "" : " ", shipment.service);
  if (!scac.empty() || !words.empty()) {
    doc.Add({"TD5", "B", scac.empty() ? "" : "2", scac, "", words});
  }
  if (!shipment.tracking_number.empty()) doc.Add({"REF", "CN", shipment.tracking_number});
  doc.Add({"DTM", "011", Day(shipment.shipped_at), Clock(shipment.shipped_at)});
  doc.Party("ST", order.ship_to, "order.ship_to");
  // Order level, one pack, an item per line.
  doc.Add({"HL", "2", "1", "O", "1"});
  doc.Add({"PRF", PoNumber(order, doc), "", "", Day(order.placed_at)});
  doc.Add({"HL", "3", "2", "P", "1"});
  if (!shipment.tracking_number.empty()) doc.Add({"MAN", "CP", shipment.tracking_number});
  int hl = 3;
  int64_t hash = 0;
  for (size_t i = 0; i < shipment.lines.size(); ++i) {
    const LineQuantity& shipped = shipment.lines[i];
    const std::string field = StrCat("shipment.lines[", i, "]");
    const OrderLine* line = doc.LineOf(order, shipped.line_no, shipped.quantity, field);
    if (line == nullptr) continue;
    doc.Add({"HL", std::to_string(++hl), "3", "I", "0"});
    doc.Add({"LIN", LineRef(*line), "VN", SkuOf(shipped.sku, *line)});
    doc.Add({"SN1", "", std::to_string(shipped.quantity), doc.UnitOf(order, *line)});
    hash += shipped.quantity;
  }
  doc.Add({"CTT", std::to_string(hl), std::to_string(hash)});
  return doc.Finish();
}

absl::StatusOr<X12OutSet> Invoice810(const Order& order, const Invoice& invoice,
                                     const X12Dialect& dialect) {
  OutDocument doc("810", dialect);
  const std::string& currency = invoice.currency.empty() ? order.currency : invoice.currency;
  if (invoice.number.empty()) doc.Problem("invoice.number is empty: BIG02 needs it");
  if (invoice.lines.empty()) doc.Problem("invoice.lines is empty: an invoice bills some line");
  doc.Add(
      {"BIG", Day(invoice.issued_at), invoice.number, Day(order.placed_at), PoNumber(order, doc)});
  doc.Currency(currency);
  doc.Party("ST", order.ship_to, "order.ship_to");
  if (order.bill_to) doc.Party("BT", *order.bill_to, "order.bill_to");
  int64_t hash = 0;
  for (size_t i = 0; i < invoice.lines.size(); ++i) {
    const InvoiceLine& billed = invoice.lines[i];
    const std::string field = StrCat("invoice.lines[", i, "]");
    const OrderLine* line = doc.LineOf(order, billed.line_no, billed.quantity, field);
    if (line == nullptr) continue;
    doc.Add({"IT1", LineRef(*line), std::to_string(billed.quantity), doc.UnitOf(order, *line),
             doc.Decimal(billed.unit_price, currency, field + ".unit_price"), "", "VN",
             SkuOf(billed.sku, *line)});
    hash += billed.quantity;
  }
  doc.Add(
      {"TDS", doc.Hundredths(invoice.totals.grand_total, currency, "invoice.totals.grand_total")});
  if (invoice.totals.tax.minor != 0) {
    doc.Add({"TXI", "TX", doc.Decimal(invoice.totals.tax, currency, "invoice.totals.tax")});
  }
  if (invoice.totals.shipping.minor != 0) {
    // G830: shipping and handling.
    doc.Add({"SAC", "C", "G830", "", "",
             doc.Hundredths(invoice.totals.shipping, currency, "invoice.totals.shipping")});
  }
  doc.Add({"CTT", std::to_string(invoice.lines.size()), std::to_string(hash)});
  return doc.Finish();
}

absl::StatusOr<X12OutSet> ShippingOrder940(const Order& order, const FulfillmentOrder& fo,
                                           const X12Dialect& dialect) {
  OutDocument doc("940", dialect);
  if (fo.id.empty()) doc.Problem("fulfillment_order.id is empty: W0502 needs it");
  if (fo.lines.empty()) doc.Problem("fulfillment_order.lines is empty");
  doc.Add({"W05", "N", fo.id, PoNumber(order, doc)});
  doc.Party("ST", order.ship_to, "order.ship_to");
  int64_t total = 0;
  for (size_t i = 0; i < fo.lines.size(); ++i) {
    const LineQuantity& release = fo.lines[i];
    const std::string field = StrCat("fulfillment_order.lines[", i, "]");
    const OrderLine* line = doc.LineOf(order, release.line_no, release.quantity, field);
    if (line == nullptr) continue;
    doc.Add({"LX", std::to_string(line->line_no)});
    doc.Add({"W01", std::to_string(release.quantity), doc.UnitOf(order, *line), "", "VN",
             SkuOf(release.sku, *line)});
    total += release.quantity;
  }
  doc.Add({"W76", std::to_string(total)});
  return doc.Finish();
}

absl::StatusOr<X12ShippingAdvice> ShippingAdviceFrom945(std::span<const X12Segment> set,
                                                        const X12Dialect& dialect) {
  Problems problems("the 945 cannot become a shipping advice");
  X12ShippingAdvice advice;
  bool seen_w06 = false;
  std::optional<absl::Time> shipped_date, shipped_at;  // W0603; G62*11
  // The tracking number by its source's rank (lower wins): MAN*CP, 2I, CN, BM.
  int tracking_rank = 99;
  const auto tracking = [&](int rank, std::string_view value) {
    if (rank < tracking_rank && !value.empty()) {
      tracking_rank = rank;
      advice.shipment.tracking_number = std::string(value);
    }
  };
  std::optional<int> lx;
  int64_t shipped_total = 0;
  std::optional<std::pair<const X12Segment*, size_t>> w03;
  for (size_t i = 0; i < set.size(); ++i) {
    const X12Segment& s = set[i];
    const size_t position = i + 1;
    const std::string_view id = s.id();
    if (id == "W06") {
      seen_w06 = true;
      advice.fulfillment_order_id = std::string(s.element(2));
      advice.shipment.fulfillment_order_id = advice.fulfillment_order_id;
      advice.shipment.id = std::string(s.element(4).empty() ? s.element(5) : s.element(4));
      advice.po_number = std::string(s.element(6));
      if (!s.element(3).empty()) {
        shipped_date = x12_internal::X12DateTime(s.element(3));
        if (!shipped_date) {
          problems.Add(s, position, 3, StrCat("\"", s.element(3), "\" is not a CCYYMMDD date"));
        }
      }
      if (advice.fulfillment_order_id.empty()) {
        problems.Add(s, position, 2, "no depositor order number: which release shipped?");
      }
    } else if (id == "G62" && s.element(1) == "11") {
      shipped_at = x12_internal::X12DateTime(s.element(2), s.element(4));
      if (!shipped_at) {
        problems.Add(
            s, position, 2,
            StrCat("\"", s.element(2), "\" \"", s.element(4), "\" is not a date and time"));
      }
    } else if (id == "W27") {
      const std::string scac(s.element(2));
      auto it = dialect.carriers.find(scac);
      advice.shipment.carrier = it != dialect.carriers.end() ? it->second : scac;
    } else if (id == "MAN" && s.element(1) == "CP") {
      tracking(0, s.element(2));
    } else if (id == "N9" || id == "REF") {
      static constexpr std::string_view kRanked[] = {"2I", "CN", "BM"};
      for (size_t r = 0; r < std::size(kRanked); ++r) {
        if (s.element(1) == kRanked[r]) tracking(static_cast<int>(r) + 1, s.element(2));
      }
    } else if (id == "LX") {
      std::optional<int64_t> n = WholeQuantity(s.element(1));
      if (!n || *n < 1 || *n > 999999) {
        problems.Add(s, position, 1, StrCat("\"", s.element(1), "\" is not a line number"));
      } else {
        lx = static_cast<int>(*n);
      }
    } else if (id == "W12") {
      X12AdvisedLine& line = advice.lines.emplace_back();
      line.line_no = lx.value_or(static_cast<int>(advice.lines.size()));
      line.status = std::string(s.element(1));
      std::optional<int64_t> shipped = WholeQuantity(s.element(3));
      if (!shipped) {
        problems.Add(s, position, 3,
                     StrCat("shipped quantity \"", s.element(3), "\" is not a whole number"));
      }
      std::optional<int64_t> ordered = s.element(2).empty() ? shipped : WholeQuantity(s.element(2));
      if (!ordered) {
        problems.Add(s, position, 2,
                     StrCat("ordered quantity \"", s.element(2), "\" is not a whole number"));
      }
      if (shipped && ordered && *shipped > *ordered) {
        problems.Add(s, position, 3,
                     StrCat("shipped ", *shipped, " is more than the ", *ordered, " ordered"));
      }
      line.shipped = shipped.value_or(0);
      line.ordered = ordered.value_or(0);
      shipped_total += line.shipped;
      if (std::optional<std::string> unit =
              x12_internal::ModelUnit(s, position, 5, dialect, problems)) {
        line.uom = *unit;
      }
      static constexpr int kPairs[] = {7, 13, 15, 20};
      line.sku = std::string(x12_internal::PreferredProductId(s, kPairs, dialect));
      if (line.sku.empty()) problems.Add(s, position, 7, x12_internal::NoSkuMessage(dialect));
    } else if (id == "W03") {
      w03 = std::make_pair(&s, position);
    }
  }
  if (!seen_w06) problems.Add("no W06 segment: not a warehouse shipping advice");
  if (advice.lines.empty()) problems.Add("no W12 segment: a shipping advice without lines");
  if (shipped_at || shipped_date) {
    advice.shipment.shipped_at = shipped_at ? *shipped_at : *shipped_date;
  } else if (seen_w06) {
    problems.Add("no ship date: neither W0603 nor G62*11 says when it shipped");
  }
  if (w03) {
    std::optional<int64_t> stated = WholeQuantity(w03->first->element(1));
    if (stated != shipped_total) {
      problems.Add(*w03->first, w03->second, 1,
                   StrCat("total \"", w03->first->element(1), "\" is not what the W12s shipped, ",
                          shipped_total));
    }
  }
  if (!problems.empty()) return problems.ToStatus();
  for (const X12AdvisedLine& line : advice.lines) {
    if (line.shipped > 0) advice.shipment.lines.push_back({line.line_no, line.sku, line.shipped});
    if (line.shipped < line.ordered) {
      advice.short_lines.push_back({line.line_no, line.sku, line.ordered - line.shipped});
    }
  }
  return advice;
}

absl::StatusOr<X12InventoryAdvice> InventoryAdviceFrom846(std::span<const X12Segment> set,
                                                          const X12Dialect& dialect) {
  Problems problems("the 846 cannot become an inventory advice");
  X12InventoryAdvice advice;
  // An item while its quantities are read: both codes kept until the end decides.
  struct Pending {
    const X12Segment* lin;
    size_t position;
    std::string sku;
    std::string location;
    std::optional<std::pair<int64_t, std::string>> on_hand, available;  // QTY*17, QTY*33
  };
  std::vector<Pending> items;
  bool seen_bia = false;
  std::string heading_location;
  size_t lins = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    const X12Segment& s = set[i];
    const size_t position = i + 1;
    const std::string_view id = s.id();
    if (id == "BIA") {
      seen_bia = true;
      advice.reference = std::string(s.element(3));
      if (std::optional<absl::Time> t = x12_internal::X12DateTime(s.element(4), s.element(5))) {
        advice.as_of = *t;
      } else {
        problems.Add(
            s, position, 4,
            StrCat("\"", s.element(4), "\" \"", s.element(5), "\" is not a date and time"));
      }
    } else if (id == "LIN") {
      ++lins;
      static constexpr int kPairs[] = {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
      Pending& item = items.emplace_back();
      item = {.lin = &s,
              .position = position,
              .sku = std::string(x12_internal::PreferredProductId(s, kPairs, dialect)),
              .location = heading_location};
      if (item.sku.empty()) problems.Add(s, position, 2, x12_internal::NoSkuMessage(dialect));
    } else if (id == "N1" && s.element(1) == "WH") {
      const std::string location(s.element(4).empty() ? s.element(2) : s.element(4));
      if (items.empty()) {
        heading_location = location;
      } else if (items.back().on_hand || items.back().available) {
        // A second warehouse in the same LIN loop: the same SKU, another item.
        Pending next = items.back();
        next.location = location;
        next.on_hand.reset();
        next.available.reset();
        items.push_back(std::move(next));
      } else {
        items.back().location = location;
      }
    } else if (id == "QTY" && !items.empty() && (s.element(1) == "17" || s.element(1) == "33")) {
      std::optional<int64_t> q = x12_internal::SignedWholeQuantity(s.element(2));
      if (!q) {
        problems.Add(s, position, 2,
                     StrCat("quantity \"", s.element(2), "\" is not a whole number"));
        continue;
      }
      std::optional<std::string> unit;
      if (s.element(3).empty()) {
        problems.Add(s, position, 3, "no unit: the quantity could be eaches or cases");
      } else {
        unit = x12_internal::ModelUnit(s, position, 3, dialect, problems);
      }
      if (!unit) continue;
      auto& slot = s.element(1) == "17" ? items.back().on_hand : items.back().available;
      slot = std::make_pair(*q, *unit);
    } else if (id == "CTT") {
      std::optional<int64_t> stated = WholeQuantity(s.element(1));
      if (stated != static_cast<int64_t>(lins)) {
        problems.Add(s, position, 1,
                     StrCat("\"", s.element(1), "\" is not the number of LIN segments, ", lins));
      }
    }
  }
  if (!seen_bia) problems.Add("no BIA segment: not an inventory advice");
  for (const Pending& p : items) {
    const auto& quantity = p.on_hand ? p.on_hand : p.available;
    if (!quantity) {
      if (!p.sku.empty()) {
        problems.Add(*p.lin, p.position, 0,
                     StrCat("SKU \"", p.sku, "\" has no QTY*17 (on hand) or QTY*33 (available)"));
      }
      continue;
    }
    advice.items.push_back({.sku = p.sku,
                            .location = p.location,
                            .on_hand = quantity->first,
                            .uom = quantity->second});
  }
  if (!problems.empty()) return problems.ToStatus();
  return advice;
}

}  // namespace disthub::mapping
