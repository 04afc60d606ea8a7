#include "load/order_gen.h"

#include <array>
#include <cassert>
#include <cctype>
#include <cmath>
#include <iterator>
#include <random>

#include "fmt/format.h"

namespace disthub {
namespace {

constexpr std::string_view kRefPlaceholder = "LD-00000000-0000000000";
static_assert(kRefPlaceholder.size() == kOrderRefSize);
static_assert(std::string_view(R"({"channel_order_ref":")").size() == kOrderRefOffset);

constexpr int kFirstSku = 10001;
constexpr int kSkuCount = 2000;

struct Channel {
  std::string_view name;
  bool business;  // a company buys on terms; otherwise a consumer pays up front
  std::string_view payment_state;
};
constexpr std::array<Channel, 5> kChannels = {{
    {"b2b-portal", true, "on_terms"},
    {"dtc-web", false, "captured"},
    {"marketplace-a", false, "captured"},
    {"marketplace-b", false, "captured"},
    {"edi-retail", true, "on_terms"},
}};

struct City {
  std::string_view city, region, postal_code, area_code;
  int tax_basis_points;
};
constexpr std::array<City, 16> kCities = {{
    {"Boston", "MA", "02110", "617", 625},
    {"Worcester", "MA", "01608", "508", 625},
    {"Providence", "RI", "02903", "401", 700},
    {"Hartford", "CT", "06103", "860", 635},
    {"Albany", "NY", "12207", "518", 800},
    {"Newark", "NJ", "07102", "973", 663},
    {"Philadelphia", "PA", "19107", "215", 800},
    {"Baltimore", "MD", "21202", "410", 600},
    {"Columbus", "OH", "43215", "614", 750},
    {"Chicago", "IL", "60606", "312", 1025},
    {"Denver", "CO", "80202", "303", 881},
    {"Phoenix", "AZ", "85004", "602", 860},
    {"Dallas", "TX", "75201", "214", 825},
    {"Atlanta", "GA", "30303", "404", 890},
    {"Seattle", "WA", "98104", "206", 1025},
    {"Sacramento", "CA", "95814", "916", 875},
}};

constexpr std::array<std::string_view, 16> kStreets = {
    "Main St",     "Industrial Way", "Commerce Dr",  "Harbor Rd",      "Elm St",  "Park Ave",
    "Depot St",    "Market St",      "Riverside Dr", "Mill Rd",        "Oak Ave", "Route 9",
    "Fulton Blvd", "Warehouse Ln",   "Center St",    "Enterprise Pkwy"};
constexpr std::array<std::string_view, 16> kCompanyStems = {
    "Acme",      "Bayside",  "Cedar",     "Granite",   "Harborview", "Keystone",
    "Lakeshore", "Meridian", "Northgate", "Pinnacle",  "Redwood",    "Summit",
    "Tri-State", "Valley",   "Westfield", "Ironbridge"};
constexpr std::array<std::string_view, 8> kCompanyKinds = {
    "Facilities LLC", "Medical Group",  "Janitorial Inc", "School District",
    "Property Mgmt",  "Hospitality Co", "Manufacturing",  "Office Partners"};
constexpr std::array<std::string_view, 16> kFirstNames = {
    "Alex",   "Jordan", "Maria", "Wei",    "Priya", "Samuel", "Grace", "Diego",
    "Fatima", "Liam",   "Noah",  "Olivia", "Chen",  "Amara",  "Ivan",  "Sofia"};
constexpr std::array<std::string_view, 16> kLastNames = {
    "Smith", "Garcia", "Nguyen", "Patel",  "Johnson", "Kim",   "Okafor", "Rossi",
    "Cohen", "Silva",  "Murphy", "Tanaka", "Haddad",  "Novak", "Larsen", "Brown"};

struct Product {
  std::string_view name;
  int each_price_minor;
  int case_of;  // eaches per case
};
constexpr std::array<Product, 20> kProducts = {{
    {"Nitrile gloves, box of 100", 1299, 10},
    {"Copy paper, letter, ream of 500", 899, 10},
    {"Safety glasses, clear, anti-fog", 649, 12},
    {"Trash liners, 33 gal, roll of 25", 1149, 12},
    {"Hand soap refill, 1000 ml", 1399, 12},
    {"Paper towels, multifold, pack of 250", 459, 16},
    {"Disinfectant wipes, canister of 80", 799, 12},
    {"Ballpoint pens, blue, box of 12", 549, 24},
    {"Hi-vis vest, ANSI class 2", 1699, 10},
    {"Stretch wrap, 18 in x 1500 ft", 2599, 4},
    {"Packing tape, 2 in x 110 yd", 399, 36},
    {"Corrugated boxes, 12x12x12, bundle of 25", 3499, 4},
    {"Floor cleaner, neutral pH, 1 gal", 1899, 4},
    {"Earplugs, foam, box of 200 pairs", 3299, 10},
    {"LED tube, T8, 4 ft", 799, 25},
    {"Toner cartridge, black, high yield", 8999, 5},
    {"Work gloves, leather palm", 999, 12},
    {"Shop towels, red, pack of 50", 1599, 8},
    {"Coffee filters, 12 cup, pack of 1000", 1299, 6},
    {"AA batteries, pack of 24", 1799, 12},
}};
constexpr std::array<std::string_view, 5> kVariants = {"", " (value pack)", " (premium)", " (eco)",
                                                       " (bulk)"};

struct Discount {
  std::string_view code;
  int basis_points;
};
constexpr std::array<Discount, 4> kDiscounts = {
    {{"VOL5", 500}, {"PROMO10", 1000}, {"CONTRACT3", 300}, {"CLEARANCE15", 1500}}};

// A SKU's catalogue entry is a function of the SKU alone, so every template agrees on
// what HS-10042 is and what it costs.
struct Sku {
  int number;
  const Product* product;
  std::string_view variant;
  int each_price_minor;
};
Sku SkuAt(int index) {
  const Product& p = kProducts[index % kProducts.size()];
  const int variant = (index / kProducts.size()) % kVariants.size();
  // Spread prices +-20% around the product's base, deterministically.
  const int spread = static_cast<int>((index * 7919) % 41) - 20;
  return Sku{kFirstSku + index, &p, kVariants[variant],
             p.each_price_minor + p.each_price_minor * spread / 100};
}

class Writer {
 public:
  explicit Writer(std::string_view currency) : currency_(currency) { out_.reserve(4096); }
  std::string& out() { return out_; }
  template <typename... Args>
  void Add(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(std::back_inserter(out_), f, std::forward<Args>(args)...);
  }
  void Money(int64_t amount_minor) {
    Add(R"({{"amount_minor":{},"currency":"{}"}})", amount_minor, currency_);
  }

 private:
  std::string out_;
  std::string_view currency_;
};

template <typename T, size_t N>
const T& Pick(std::mt19937_64& rng, const std::array<T, N>& a) {
  return a[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

int Between(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

int LineCount(std::mt19937_64& rng) {
  // 1-5 lines for ~80% of orders, up to 12 for the rest.
  static constexpr std::array<int, 12> kWeights = {22, 19, 15, 12, 9, 4, 4, 3, 3, 3, 3, 3};
  return std::discrete_distribution<int>(kWeights.begin(), kWeights.end())(rng) + 1;
}

int64_t Percent(int64_t amount, int basis_points) {
  return (amount * basis_points + 5000) / 10000;  // round half up
}

// `email` empty: a delivery address, without line2, phone or email.
void Address(Writer& w, std::mt19937_64& rng, const City& c, std::string_view name,
             std::string_view company, std::string_view email) {
  const bool full = !email.empty();
  w.Add(R"({{"name":"{}",)", name);
  if (!company.empty()) w.Add(R"("company":"{}",)", company);
  w.Add(R"("line1":"{} {}",)", Between(rng, 1, 2999), Pick(rng, kStreets));
  if (full) {
    w.Add(R"("line2":"{} {}",)", company.empty() ? "Apt" : "Suite", Between(rng, 1, 9) * 100);
  }
  w.Add(R"("city":"{}","region":"{}","postal_code":"{}","country":"US")", c.city, c.region,
        c.postal_code);
  if (full) {
    w.Add(R"(,"phone":"+1-{}-555-{:04}","email":"{}")", c.area_code, Between(rng, 100, 9999),
          email);
  }
  w.Add("}}");
}

std::string MakeOrder(std::mt19937_64& rng, bool invalid) {
  Writer w("USD");
  const Channel& ch = Pick(rng, kChannels);
  const City& bill_city = Pick(rng, kCities);
  const City& ship_city = Between(rng, 0, 3) == 0 ? Pick(rng, kCities) : bill_city;
  const int customer = Between(rng, 1000, 1299);
  std::string company, person, buyer_email, billing_email;
  if (ch.business) {
    const std::string_view stem = kCompanyStems[customer % kCompanyStems.size()];
    company = fmt::format("{} {}", stem, kCompanyKinds[(customer / 16) % kCompanyKinds.size()]);
    person = "Accounts Payable";
    std::string domain = fmt::format("{}.example", stem);
    for (char& c : domain) c = static_cast<char>(std::tolower(c));
    buyer_email = fmt::format("buyer{}@{}", customer, domain);
    billing_email = fmt::format("ap@{}", domain);
  } else {
    person = fmt::format("{} {}", kFirstNames[customer % kFirstNames.size()],
                         kLastNames[(customer / 16) % kLastNames.size()]);
    buyer_email = billing_email = fmt::format("customer{}@mail.example", customer);
  }

  w.Add(R"({{"channel_order_ref":"{}","channel":"{}",)", kRefPlaceholder, ch.name);
  w.Add(R"("customer":{{"external_ref":"C-{}","name":"{}","email":"{}",)", customer,
        ch.business ? company : person, buyer_email);
  w.Add(R"("phone":"+1-{}-555-{:04}")", bill_city.area_code, customer);
  if (ch.business) w.Add(R"(,"account_number":"A-{}")", customer);
  w.Add(R"(}},"bill_to":)");
  Address(w, rng, bill_city, person, company, billing_email);
  w.Add(R"(,"ship_to":)");
  Address(w, rng, ship_city,
          ch.business ? fmt::format("Receiving Dock {}", Between(rng, 1, 8)) : person, company,
          /*email=*/"");
  w.Add(R"(,"currency":"{}","lines":[)", "USD");

  int64_t subtotal = 0, discount = 0, tax = 0;
  const int lines = LineCount(rng);
  for (int i = 1; i <= lines; ++i) {
    // Squaring a uniform draw skews toward low indexes: a few SKUs are hot.
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const Sku sku = SkuAt(static_cast<int>(u * u * kSkuCount) % kSkuCount);
    const bool by_case = ch.name == "edi-retail" || (ch.business && Between(rng, 0, 2) == 0);
    const int64_t unit_price =
        by_case ? Percent(int64_t{sku.each_price_minor} * sku.product->case_of, 9500)
                : sku.each_price_minor;
    const int quantity = by_case ? Between(rng, 1, 10) : Between(rng, 1, 6);
    const int64_t extended = unit_price * quantity;
    if (i > 1) w.Add(",");
    w.Add(R"({{"line_no":{},"sku":"HS-{}","channel_line_ref":"{}","description":"{}{}",)", i,
          sku.number, i, sku.product->name, sku.variant);
    w.Add(R"("quantity":{},"uom":"{}","unit_price":)", quantity, by_case ? "case" : "each");
    w.Money(unit_price);
    w.Add(R"(,"discounts":[)");
    int64_t line_discount = 0;
    if (Between(rng, 0, 9) < 3) {
      const Discount& d = Pick(rng, kDiscounts);
      line_discount = Percent(extended, d.basis_points);
      w.Add(R"({{"code":"{}","amount":)", d.code);
      w.Money(line_discount);
      w.Add("}}");
    }
    const int64_t line_tax = Percent(extended - line_discount, ship_city.tax_basis_points);
    w.Add(R"(],"tax":)");
    w.Money(line_tax);
    w.Add("}}");
    subtotal += extended;
    discount += line_discount;
    tax += line_tax;
  }

  const int64_t shipping = subtotal - discount >= 50000 ? 0 : (ch.business ? 1500 : 995);
  const int64_t grand_total = subtotal - discount + tax + shipping + (invalid ? 1 : 0);
  w.Add(R"(],"totals":{{"subtotal":)");
  w.Money(subtotal);
  w.Add(R"(,"discount":)");
  w.Money(discount);
  w.Add(R"(,"tax":)");
  w.Money(tax);
  w.Add(R"(,"shipping":)");
  w.Money(shipping);
  w.Add(R"(,"grand_total":)");
  w.Money(grand_total);
  w.Add(R"(}},"service_level":"{}","payment_state":"{}",)",
        Between(rng, 0, 4) == 0 ? "express" : "standard", ch.payment_state);
  w.Add(R"("placed_at":"2026-11-26T{:02}:{:02}:{:02}Z"}})", Between(rng, 0, 23),
        Between(rng, 0, 59), Between(rng, 0, 59));
  return std::move(w.out());
}

// Minor units as Shopify writes money: "12.99".
std::string Decimal(int64_t minor) { return fmt::format("{}.{:02}", minor / 100, minor % 100); }

std::string MakeShopifyOrder(std::mt19937_64& rng) {
  const City& city = Pick(rng, kCities);
  const int customer = Between(rng, 1000, 1299);
  const std::string_view first = kFirstNames[customer % kFirstNames.size()];
  const std::string_view last = kLastNames[(customer / 16) % kLastNames.size()];
  std::string out;
  out.reserve(3072);
  auto add = [&out]<typename... Args>(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
  };
  auto address = [&] {
    add(R"({{"first_name":"{}","last_name":"{}","address1":"{} {}","city":"{}",)"
        R"("province_code":"{}","zip":"{}","country_code":"US","phone":"+1-{}-555-{:04}"}})",
        first, last, Between(rng, 1, 2999), Pick(rng, kStreets), city.city, city.region,
        city.postal_code, city.area_code, customer);
  };
  add(R"({{"id":"{}","created_at":"2026-11-26T{:02}:{:02}:{:02}-05:00","currency":"USD",)",
      kRefPlaceholder, Between(rng, 0, 23), Between(rng, 0, 59), Between(rng, 0, 59));
  add(R"("financial_status":"paid","email":"customer{}@mail.example","note":null,)", customer);
  add(R"("customer":{{"id":{},"first_name":"{}","last_name":"{}","email":"customer{}@mail.example"}},)",
      7'000'000'000'000LL + customer, first, last, customer);
  add(R"("billing_address":)");
  address();
  add(R"(,"shipping_address":)");
  address();
  add(R"(,"line_items":[)");
  int64_t subtotal = 0, discount = 0, tax = 0;
  const int lines = LineCount(rng);
  for (int i = 1; i <= lines; ++i) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const Sku sku = SkuAt(static_cast<int>(u * u * kSkuCount) % kSkuCount);
    const int quantity = Between(rng, 1, 6);
    const int64_t extended = int64_t{sku.each_price_minor} * quantity;
    const int64_t line_discount =
        Between(rng, 0, 9) < 3 ? Percent(extended, Pick(rng, kDiscounts).basis_points) : 0;
    const int64_t line_tax = Percent(extended - line_discount, city.tax_basis_points);
    if (i > 1) add(",");
    add(R"({{"id":{},"sku":"HS-{}","name":"{}{}","quantity":{},"price":"{}",)",
        9'000'000'000'000'000LL + i, sku.number, sku.product->name, sku.variant, quantity,
        Decimal(sku.each_price_minor));
    add(R"("discount_allocations":[)");
    if (line_discount > 0) add(R"({{"amount":"{}"}})", Decimal(line_discount));
    add(R"(],"tax_lines":[{{"title":"State tax","price":"{}"}}]}})", Decimal(line_tax));
    subtotal += extended;
    discount += line_discount;
    tax += line_tax;
  }
  const int64_t shipping = subtotal - discount >= 50000 ? 0 : 995;
  add(R"(],"shipping_lines":[{{"title":"Standard","price":"{}"}}],)", Decimal(shipping));
  add(R"("total_line_items_price":"{}","total_discounts":"{}","total_tax":"{}","total_price":"{}"}})",
      Decimal(subtotal), Decimal(discount), Decimal(tax),
      Decimal(subtotal - discount + tax + shipping));
  return out;
}

std::vector<std::string> MakeTemplates(int n, uint64_t seed, bool invalid) {
  assert(n >= 1);
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(MakeOrder(rng, invalid));
  return out;
}

}  // namespace

std::vector<std::string> MakeOrderTemplates(int n, uint64_t seed) {
  return MakeTemplates(n, seed, /*invalid=*/false);
}

std::vector<std::string> MakeInvalidOrderTemplates(int n, uint64_t seed) {
  return MakeTemplates(n, seed, /*invalid=*/true);
}

std::vector<std::string> MakeShopifyWebhookTemplates(int n, uint64_t seed) {
  assert(n >= 1);
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(MakeShopifyOrder(rng));
  return out;
}

void StampRef(std::string& body, size_t offset, uint32_t run_id, uint64_t seq) {
  assert(body.compare(offset - 1, 4, "\"LD-") == 0);
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = body.data() + offset + 3;  // past "LD-"
  for (int i = 7; i >= 0; --i, run_id >>= 4) p[i] = kHex[run_id & 0xf];
  p += 9;  // past the run id and "-"
  for (int i = 9; i >= 0; --i, seq /= 10) p[i] = static_cast<char>('0' + seq % 10);
}

}  // namespace disthub
