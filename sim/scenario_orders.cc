#include "sim/scenario_orders.h"

#include <algorithm>
#include <charconv>

#include "base/strings.h"
#include <boost/json.hpp>

#include "model/json.h"

namespace disthub {
namespace {

struct City {
  const char* city;
  const char* region;
  const char* postal;
};

constexpr City kCities[] = {
    {"Boston", "MA", "02110"},     {"Worcester", "MA", "01608"}, {"Newark", "NJ", "07102"},
    {"Columbus", "OH", "43215"},   {"Atlanta", "GA", "30303"},   {"Chicago", "IL", "60606"},
    {"Dallas", "TX", "75201"},     {"Denver", "CO", "80202"},    {"Phoenix", "AZ", "85004"},
    {"Sacramento", "CA", "95814"}, {"Portland", "OR", "97204"},  {"Seattle", "WA", "98104"},
};

constexpr const char* kCompanies[] = {"Acme Facilities LLC", "Northwind Maintenance",
                                      "Bluegate Schools",    "Riverside Clinic",
                                      "Summit Property Mgmt", "Keystone Builders"};
constexpr const char* kStreets[] = {"Main St", "Industrial Way", "Harbor Rd", "Commerce Dr",
                                    "Elm Ave", "Depot St"};

}  // namespace

std::vector<ScenarioProduct> ScenarioProductsFromCsv(std::string_view csv) {
  std::vector<ScenarioProduct> products;
  bool header = true;
  while (!csv.empty()) {
    size_t eol = csv.find('\n');
    std::string_view line = csv.substr(0, eol);
    csv = eol == std::string_view::npos ? std::string_view() : csv.substr(eol + 1);
    if (header || line.empty()) {
      header = false;
      continue;
    }
    size_t c1 = line.find(','), c3 = line.rfind(',');
    if (c1 == std::string_view::npos || c3 <= c1) continue;
    size_t c2 = line.rfind(',', c3 - 1);
    if (c2 <= c1) continue;
    int case_qty = 0;
    std::string_view qty = line.substr(c2 + 1, c3 - c2 - 1);
    auto r = std::from_chars(qty.data(), qty.data() + qty.size(), case_qty);
    if (r.ec != std::errc() || case_qty < 1) continue;
    products.push_back({std::string(line.substr(0, c1)), std::string(line.substr(c1 + 1, c2 - c1 - 1)),
                        case_qty});
  }
  return products;
}

ScenarioOrders::ScenarioOrders(std::vector<ScenarioProduct> products, uint64_t seed)
    : products_(std::move(products)), rng_(seed) {}

const std::vector<std::pair<std::string, double>>& ScenarioOrders::ChannelMix() {
  static const auto* mix = new std::vector<std::pair<std::string, double>>{
      {"b2b-portal", 0.25}, {"dtc-web", 0.35}, {"marketplace-a", 0.20},
      {"marketplace-b", 0.12}, {"edi-retail", 0.08}};
  return *mix;
}

std::string ScenarioOrders::PickChannel() {
  double x = std::uniform_real_distribution<double>(0, 1)(rng_);
  for (const auto& [name, share] : ChannelMix()) {
    if ((x -= share) < 0) return name;
  }
  return ChannelMix().back().first;
}

const ScenarioProduct& ScenarioOrders::PickProduct() {
  // A fifth of all lines go to 20 hot SKUs.
  size_t n = products_.size();
  size_t hot = std::min<size_t>(20, n);
  if (std::uniform_int_distribution<int>(0, 4)(rng_) == 0) {
    return products_[std::uniform_int_distribution<size_t>(0, hot - 1)(rng_)];
  }
  return products_[std::uniform_int_distribution<size_t>(0, n - 1)(rng_)];
}

Address ScenarioOrders::PickAddress() {
  const City& c = kCities[std::uniform_int_distribution<size_t>(0, std::size(kCities) - 1)(rng_)];
  Address a;
  a.name = "Receiving";
  a.company = kCompanies[std::uniform_int_distribution<size_t>(0, std::size(kCompanies) - 1)(rng_)];
  a.line1 = StrCat(std::uniform_int_distribution<int>(1, 9999)(rng_), " ",
                   kStreets[std::uniform_int_distribution<size_t>(0, std::size(kStreets) - 1)(rng_)]);
  a.city = c.city;
  a.region = c.region;
  a.postal_code = c.postal;
  a.country = "US";
  return a;
}

Order ScenarioOrders::Make(const std::string& channel, const std::string& ref, absl::Time now) {
  Order o;
  o.channel = channel;
  o.channel_order_ref = ref;
  o.currency = "USD";
  int customer = std::uniform_int_distribution<int>(1000, 9999)(rng_);
  o.customer.external_ref = StrCat("C-", customer);
  o.customer.name = kCompanies[customer % std::size(kCompanies)];
  o.customer.email = StrCat("buyer", customer, "@example.com");
  o.ship_to = PickAddress();
  o.bill_to = o.ship_to;
  o.bill_to->name = "Accounts Payable";
  o.placed_at = now - absl::Seconds(std::uniform_int_distribution<int>(1, 600)(rng_));
  const bool edi = channel == "edi-retail";
  const bool b2b = channel == "b2b-portal" || edi;
  o.payment_state = b2b ? PaymentState::kOnTerms : PaymentState::kCaptured;
  o.service_level = channel == "marketplace-a" ? ServiceLevel::kNextDay
                    : channel == "dtc-web"     ? ServiceLevel::kExpress
                                               : ServiceLevel::kStandard;
  // Most orders have 1-5 lines, some 6-20, a few over 50.
  int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
  int lines = roll < 85   ? std::uniform_int_distribution<int>(1, 5)(rng_)
              : roll < 98 ? std::uniform_int_distribution<int>(6, 20)(rng_)
                          : std::uniform_int_distribution<int>(50, 60)(rng_);
  int64_t subtotal = 0, tax_total = 0, discount_total = 0;
  for (int i = 1; i <= lines; ++i) {
    const ScenarioProduct& p = PickProduct();
    OrderLine l;
    l.line_no = i;
    l.sku = p.sku;
    l.channel_line_ref = StrCat(i);
    l.description = p.description;
    bool by_case = p.case_qty > 1 && (edi || std::uniform_int_distribution<int>(0, 3)(rng_) == 0);
    l.uom = by_case ? "case" : "each";
    l.quantity = std::uniform_int_distribution<int>(1, by_case ? 10 : 24)(rng_);
    int64_t each_price = std::uniform_int_distribution<int>(99, 4999)(rng_);
    int64_t unit = by_case ? each_price * p.case_qty : each_price;
    l.unit_price = {unit, "USD"};
    int64_t gross = unit * l.quantity;
    if (b2b && std::uniform_int_distribution<int>(0, 4)(rng_) == 0) {
      int64_t off = gross / 20;  // 5% volume discount
      l.discounts.push_back({.code = "VOL5", .amount = {off, "USD"}});
      discount_total += off;
    }
    int64_t tax = edi ? 0 : gross * 625 / 10000;  // 6.25%; retail partners are tax-exempt
    l.tax = {tax, "USD"};
    subtotal += gross;
    tax_total += tax;
    o.lines.push_back(std::move(l));
  }
  int64_t shipping = b2b ? 0 : 995;
  o.totals.subtotal = {subtotal, "USD"};
  o.totals.discount = {discount_total, "USD"};
  o.totals.tax = {tax_total, "USD"};
  o.totals.shipping = {shipping, "USD"};
  o.totals.grand_total = {subtotal - discount_total + tax_total + shipping, "USD"};
  return o;
}

std::string ScenarioOrders::InboundJson(const Order& order) {
  boost::json::value v = EncodeOrder(order);
  for (const char* output_only : {"id", "status", "received_at"}) v.as_object().erase(output_only);
  return boost::json::serialize(v);
}

}  // namespace disthub
