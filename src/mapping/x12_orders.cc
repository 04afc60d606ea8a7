#include "mapping/x12_orders.h"

#include <algorithm>

#include "base/money.h"
#include "base/strings.h"
#include "mapping/x12_common.h"

namespace disthub::mapping {
namespace {

using formats::X12Segment;
using x12_internal::Problems;
using x12_internal::WholeQuantity;

// Alpha-3 country codes partners put in N404, for the trading regions of the scenario.
constexpr std::pair<std::string_view, std::string_view> kAlpha3[] = {
    {"USA", "US"}, {"CAN", "CA"}, {"MEX", "MX"}, {"GBR", "GB"}, {"DEU", "DE"},
    {"FRA", "FR"}, {"NLD", "NL"}, {"AUS", "AU"}, {"CHN", "CN"}, {"JPN", "JP"}};

// The party loop an N1 opened: where its N2/N3/N4 go.
struct Party {
  std::string code;  // N101: "ST", "BT", "BY", ...
  Address address;
  std::string id;  // N104
};

}  // namespace

absl::StatusOr<Order> OrderFrom850(std::span<const X12Segment> set, const X12Dialect& dialect) {
  Problems problems("the 850 cannot become an order");
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
      if (std::optional<absl::Time> t = x12_internal::X12DateTime(s.element(5))) {
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
      if (std::optional<std::string> unit =
              x12_internal::ModelUnit(s, position, 3, dialect, problems)) {
        line.uom = *unit;
      }
      prices.push_back({order.lines.size() - 1, &s, position});
      // The SKU: the first preferred qualifier among the PO106/07 ... PO124/25 pairs.
      static constexpr int kPairs[] = {6, 8, 10, 12, 14, 16, 18, 20, 22, 24};
      line.sku = std::string(x12_internal::PreferredProductId(s, kPairs, dialect));
      if (line.sku.empty()) problems.Add(s, position, 6, x12_internal::NoSkuMessage(dialect));
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
