#include "mapping/x12_orders.h"

#include <algorithm>

#include "absl/time/civil_time.h"
#include "base/money.h"
#include "base/strings.h"

namespace disthub::mapping {
namespace {

using formats::X12Segment;

// Alpha-3 country codes partners put in N404, for the trading regions of the scenario.
constexpr std::pair<std::string_view, std::string_view> kAlpha3[] = {
    {"USA", "US"}, {"CAN", "CA"}, {"MEX", "MX"}, {"GBR", "GB"}, {"DEU", "DE"},
    {"FRA", "FR"}, {"NLD", "NL"}, {"AUS", "AU"}, {"CHN", "CN"}, {"JPN", "JP"}};

// The problems found, each naming where it is, for one kInvalidArgument.
class Problems {
 public:
  void Add(const X12Segment& s, size_t position, int element, std::string message) {
    list_.push_back(StrCat(s.id(), element == 0 ? "" : (element < 10 ? "0" : ""),
                           element == 0 ? "" : std::to_string(element), " (segment ", position,
                           " of the set, line ", s.line, "): ", message));
  }
  void Add(std::string message) { list_.push_back(std::move(message)); }
  bool empty() const { return list_.empty(); }
  absl::Status ToStatus() const {
    std::string joined;
    for (const std::string& p : list_) joined += StrCat(joined.empty() ? "" : "; ", p);
    return absl::InvalidArgumentError(StrCat("the 850 cannot become an order: ", joined));
  }

 private:
  std::vector<std::string> list_;
};

// "120", "120.0", "120.000" → 120; nullopt for fractions, signs and non-numbers.
std::optional<int64_t> WholeQuantity(std::string_view text) {
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  if (dot != std::string_view::npos) {
    for (char c : text.substr(dot + 1)) {
      if (c != '0') return std::nullopt;
    }
  }
  if (whole.empty() || whole.size() > 15) return std::nullopt;
  int64_t n = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<absl::Time> Date(std::string_view ccyymmdd) {
  if (ccyymmdd.size() != 8) return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t widths[3] = {4, 2, 2};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    for (size_t k = 0; k < widths[i]; ++k, ++at) {
      const char c = ccyymmdd[at];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  const absl::CivilDay day(parts[0], parts[1], parts[2]);
  if (day.year() != parts[0] || day.month() != parts[1] || day.day() != parts[2]) {
    return std::nullopt;
  }
  return absl::FromCivil(day, absl::UTCTimeZone());
}

// The party loop an N1 opened: where its N2/N3/N4 go.
struct Party {
  std::string code;  // N101: "ST", "BT", "BY", ...
  Address address;
  std::string id;  // N104
};

}  // namespace

absl::StatusOr<Order> OrderFrom850(std::span<const X12Segment> set, const X12Dialect& dialect) {
  Problems problems;
  Order order;
  order.channel = dialect.channel;
  order.customer.account_number = dialect.account_number;
  order.payment_state = PaymentState::kOnTerms;
  order.currency = dialect.currency;
  std::vector<Party> parties;
  bool seen_beg = false;
  bool in_lines = false;
  std::optional<int64_t> ctt_lines, ctt_hash;
  std::optional<std::pair<std::string, size_t>> amt;  // the text and its position
  const X12Segment* amt_segment = nullptr;
  int64_t quantity_total = 0;
  // Prices are read once the currency is known (CUR may follow BEG): kept until the end.
  struct PendingPrice {
    size_t line;  // index into order.lines
    const X12Segment* segment;
    size_t position;
  };
  std::vector<PendingPrice> prices;

  for (size_t i = 0; i < set.size(); ++i) {
    const X12Segment& s = set[i];
    const size_t position = i + 1;
    const std::string_view id = s.id();
    if (id == "BEG") {
      seen_beg = true;
      if (s.element(1) != "00") {
        return absl::UnimplementedError(
            StrCat("BEG01 \"", s.element(1),
                   "\": only original purchase orders (00) become orders; changes, "
                   "cancellations and confirmations by 850 are not taken yet"));
      }
      order.channel_order_ref = std::string(s.element(3));
      if (!s.element(2).empty()) order.attributes["x12.po_type"] = std::string(s.element(2));
      if (std::optional<absl::Time> t = Date(s.element(5))) {
        order.placed_at = *t;
      } else {
        problems.Add(s, position, 5, StrCat("\"", s.element(5), "\" is not a CCYYMMDD date"));
      }
    } else if (id == "CUR" && !in_lines) {
      if (s.element(1) == "BY" || s.element(1) == "SE" || s.element(1).empty()) {
        order.currency = std::string(s.element(2));
      }
    } else if (id == "REF" && !in_lines && parties.empty()) {
      if (s.element(1) == "DP") order.attributes["x12.department"] = std::string(s.element(2));
      if (s.element(1) == "IA") order.attributes["x12.vendor"] = std::string(s.element(2));
    } else if (id == "DTM" && !in_lines) {
      if (s.element(1) == "002") {
        order.attributes["x12.requested_delivery"] = std::string(s.element(2));
      }
    } else if (id == "N1" && !in_lines) {
      Party& p = parties.emplace_back();
      p.code = std::string(s.element(1));
      p.address.company = std::string(s.element(2));
      p.id = std::string(s.element(4));
    } else if (id == "N2" && !in_lines && !parties.empty()) {
      parties.back().address.name = std::string(s.element(1));
    } else if (id == "N3" && !in_lines && !parties.empty()) {
      // N301 fills line1, and everything after it line2.
      Address& a = parties.back().address;
      for (std::string_view part : {s.element(1), s.element(2)}) {
        if (part.empty()) continue;
        if (a.line1.empty()) {
          a.line1 = std::string(part);
        } else {
          a.line2 += StrCat(a.line2.empty() ? "" : ", ", part);
        }
      }
    } else if (id == "N4" && !in_lines && !parties.empty()) {
      Address& a = parties.back().address;
      a.city = std::string(s.element(1));
      a.region = std::string(s.element(2));
      a.postal_code = std::string(s.element(3));
      std::string_view country = s.element(4);
      if (country.empty()) {
        a.country = dialect.country;
      } else if (country.size() == 2) {
        a.country = std::string(country);
      } else {
        auto it = std::find_if(std::begin(kAlpha3), std::end(kAlpha3),
                               [&](const auto& e) { return e.first == country; });
        if (it == std::end(kAlpha3)) {
          problems.Add(s, position, 4,
                       StrCat("country \"", country, "\" is not one disthub knows"));
        } else {
          a.country = std::string(it->second);
        }
      }
    } else if (id == "PO1") {
      in_lines = true;
      OrderLine& line = order.lines.emplace_back();
      line.line_no = static_cast<int>(order.lines.size());
      line.channel_line_ref = std::string(s.element(1));
      if (std::optional<int64_t> q = WholeQuantity(s.element(2)); q && *q > 0) {
        line.quantity = *q;
        quantity_total += *q;
      } else {
        problems.Add(s, position, 2,
                     StrCat("quantity \"", s.element(2), "\" is not a whole number above 0"));
      }
      if (auto it = dialect.units.find(std::string(s.element(3))); it != dialect.units.end()) {
        line.uom = it->second;
      } else {
        std::string known;
        for (const auto& [code, unit] : dialect.units)
          known += StrCat(known.empty() ? "" : ", ", code);
        problems.Add(
            s, position, 3,
            StrCat("unit \"", s.element(3), "\" is not in the partner's unit table (", known, ")"));
      }
      prices.push_back({order.lines.size() - 1, &s, position});
      // The SKU: the first preferred qualifier among the PO106/07 ... PO124/25 pairs.
      for (const std::string& wanted : dialect.sku_qualifiers) {
        for (size_t e = 6; e + 1 <= 25 && line.sku.empty(); e += 2) {
          if (s.element(e) == wanted && !s.element(e + 1).empty()) {
            line.sku = std::string(s.element(e + 1));
          }
        }
        if (!line.sku.empty()) break;
      }
      if (line.sku.empty()) {
        std::string wanted;
        for (const std::string& q : dialect.sku_qualifiers)
          wanted += StrCat(wanted.empty() ? "" : ", ", q);
        problems.Add(
            s, position, 6,
            StrCat("no product id with a qualifier the partner's SKUs use (", wanted, ")"));
      }
    } else if (id == "PID" && in_lines && !order.lines.empty()) {
      if (s.element(1) == "F" && order.lines.back().description.empty()) {
        order.lines.back().description = std::string(s.element(5));
      }
    } else if (id == "CTT") {
      ctt_lines = WholeQuantity(s.element(1));
      if (!s.element(2).empty()) ctt_hash = WholeQuantity(s.element(2));
      if (!ctt_lines) problems.Add(s, position, 1, StrCat("\"", s.element(1), "\" is not a count"));
    } else if (id == "AMT" && (s.element(1) == "TT" || s.element(1) == "1")) {
      amt = std::make_pair(std::string(s.element(2)), position);
      amt_segment = &s;
    }
  }
  if (!seen_beg) problems.Add("no BEG segment: not a purchase order");
  if (order.lines.empty()) problems.Add("no PO1 segment: a purchase order without lines");

  // Prices, now that the currency is known.
  Money subtotal{0, order.currency};
  for (const PendingPrice& p : prices) {
    OrderLine& line = order.lines[p.line];
    absl::StatusOr<Money> price = ParseDecimal(p.segment->element(4), order.currency);
    if (!price.ok()) {
      problems.Add(
          *p.segment, p.position, 4,
          StrCat("unit price \"", p.segment->element(4), "\": ", price.status().message()));
      continue;
    }
    line.unit_price = *price;
    line.tax = Money{0, order.currency};
    absl::StatusOr<Money> amount = Multiply(*price, line.quantity);
    absl::StatusOr<Money> sum = amount.ok() ? Add(subtotal, *amount) : amount;
    if (!sum.ok()) {
      problems.Add(*p.segment, p.position, 4, std::string(sum.status().message()));
      continue;
    }
    subtotal = *sum;
  }
  order.totals = {.subtotal = subtotal,
                  .discount = Money{0, order.currency},
                  .tax = Money{0, order.currency},
                  .shipping = Money{0, order.currency},
                  .grand_total = subtotal};

  // The document's own totals.
  if (ctt_lines && *ctt_lines != static_cast<int64_t>(order.lines.size())) {
    problems.Add(StrCat("CTT01 says ", *ctt_lines, " line items, the order has ",
                        order.lines.size(), " PO1 segments"));
  }
  if (ctt_hash && *ctt_hash != quantity_total) {
    problems.Add(
        StrCat("CTT02 hash total ", *ctt_hash, " is not the lines' quantities, ", quantity_total));
  }
  if (amt) {
    absl::StatusOr<Money> stated = ParseDecimal(amt->first, order.currency);
    if (!stated.ok()) {
      problems.Add(*amt_segment, amt->second, 2,
                   StrCat("\"", amt->first, "\": ", stated.status().message()));
    } else if (*stated != subtotal) {
      problems.Add(*amt_segment, amt->second, 2,
                   StrCat("the total ", FormatDecimal(*stated),
                          " is not what the lines add up to, ", FormatDecimal(subtotal)));
    }
  }

  for (Party& p : parties) {
    if (p.code == "ST") {
      order.ship_to = p.address;
    } else if (p.code == "BT") {
      order.bill_to = p.address;
    } else if (p.code == "BY") {
      order.customer.name = p.address.company;
      order.customer.external_ref = p.id;
    }
  }
  const auto party = [&](std::string_view code) {
    return std::find_if(parties.begin(), parties.end(),
                        [&](const Party& p) { return p.code == code; });
  };
  if (party("ST") == parties.end()) {
    if (auto buyer = party("BY"); buyer != parties.end() && !buyer->address.line1.empty()) {
      order.ship_to = buyer->address;
    } else {
      problems.Add(
          "no N1*ST ship-to party, nor a buyer (N1*BY) with an address: the order has "
          "nowhere to go");
    }
  } else if (order.ship_to.line1.empty() || order.ship_to.city.empty()) {
    problems.Add(StrCat("the ship-to party \"", order.ship_to.company,
                        "\" has no street (N3) or city (N4)"));
  }
  if (!problems.empty()) return problems.ToStatus();
  return order;
}

}  // namespace disthub::mapping
