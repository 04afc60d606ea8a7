// The mapping engine on payloads written here (the core cases), and the built-in Shopify
// order mapping on the published fixtures in ../shared/fixtures (skipped without them).
#include "mapping/mapping.h"

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "base/files.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/mapping_testing.h"
#include "model/validate.h"
#include "status_matchers.h"

namespace disthub::mapping {
namespace {

namespace json = boost::json;
using ::disthub::testing::StatusIs;
using test::Fixture;
using test::FixturesDir;
using test::LoadBuiltIn;
using test::Mangle;
using test::SourceDir;
using test::TestPayload;
using test::Utc;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A Shopify orders/create webhook body written here, trimmed to what the mapping reads,
// with an id above 2^53, money as strings and a quantity sent as a string.
json::value ShopifyOrder() {
  absl::StatusOr<std::string> text =
      ReadFile(SourceDir() + "/mappings/testdata/shopify-order.json");
  EXPECT_TRUE(text.ok()) << text.status();
  return json::parse(text.ok() ? *text : "{}");
}

TEST(Mapping, AShopifyWebhookBecomesACanonicalOrder) {
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  EXPECT_EQ(m.name(), "shopify-order");
  EXPECT_EQ(m.version(), 1);
  MappedOrder r = MapOrder(m, ShopifyOrder(), {.vars = {{"channel", "shopify-us"}}});
  for (const MappingError& e : r.errors) ADD_FAILURE() << e.ToString(m.file());
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  const Order& o = *r.order;
  EXPECT_EQ(o.channel, "shopify-us");
  EXPECT_EQ(o.channel_order_ref, "9007199254740993");  // exact above 2^53
  EXPECT_EQ(o.placed_at,
            absl::FromCivil(absl::CivilSecond(2026, 11, 26, 21, 10, 7), absl::UTCTimeZone()));
  EXPECT_EQ(o.payment_state, PaymentState::kCaptured);
  EXPECT_EQ(o.customer.external_ref, "207119551");
  EXPECT_EQ(o.customer.name, "Ana Lima");
  EXPECT_EQ(o.customer.email, "ana@example.com");
  EXPECT_FALSE(o.bill_to.has_value());
  EXPECT_EQ(o.ship_to.region, "NJ");
  EXPECT_EQ(o.ship_to.line2, "");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0].line_no, 1);
  EXPECT_EQ(o.lines[0].quantity, 2);
  EXPECT_EQ(o.lines[0].unit_price, (Money{1999, "USD"}));
  ASSERT_EQ(o.lines[0].discounts.size(), 1u);
  EXPECT_EQ(o.lines[0].discounts[0].amount, (Money{400, "USD"}));
  EXPECT_EQ(o.lines[0].tax, (Money{240, "USD"}));
  EXPECT_EQ(o.lines[1].line_no, 2);
  EXPECT_EQ(o.lines[1].quantity, 1);  // sent as a string
  EXPECT_EQ(o.lines[1].description, "Nozzle");
  EXPECT_EQ(o.lines[1].tax, (Money{0, "USD"}));
  EXPECT_EQ(o.totals.shipping, (Money{599, "USD"}));
  EXPECT_EQ(o.totals.grand_total, (Money{4937, "USD"}));
  // The REST API's wrapper is found too.
  json::value wrapped = {{"order", ShopifyOrder()}};
  EXPECT_TRUE(MapOrder(m, wrapped, {.vars = {{"channel", "shopify-us"}}}).ok());
}

TEST(Mapping, AWooCommerceOrderBecomesACanonicalOrder) {
  Mapping m = LoadBuiltIn("woocommerce-order.yaml");
  MappedOrder r =
      MapOrder(m, TestPayload("woocommerce-order.json"), {.vars = {{"channel", "woo"}}});
  for (const MappingError& e : r.errors) ADD_FAILURE() << e.ToString(m.file());
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  const Order& o = *r.order;
  EXPECT_EQ(o.channel_order_ref, "727");
  // date_created_gmt: a zone-less time in UTC.
  EXPECT_EQ(o.placed_at,
            absl::FromCivil(absl::CivilSecond(2026, 11, 26, 16, 10, 7), absl::UTCTimeZone()));
  EXPECT_EQ(o.payment_state, PaymentState::kCaptured);
  EXPECT_EQ(o.notes, "Leave at the dock");
  ASSERT_TRUE(o.bill_to.has_value());
  EXPECT_EQ(o.bill_to->email, "john.doe@example.com");
  EXPECT_EQ(o.ship_to.postal_code, "94103");
  ASSERT_EQ(o.lines.size(), 2u);
  // The unit price is the line's subtotal per unit: 30.00 for 2, 15.00 for 3.
  EXPECT_EQ(o.lines[0].unit_price, (Money{1500, "USD"}));
  EXPECT_EQ(o.lines[1].unit_price, (Money{500, "USD"}));
  EXPECT_EQ(o.lines[1].quantity, 3);
  EXPECT_EQ(o.lines[1].tax, (Money{147, "USD"}));
  EXPECT_EQ(o.totals.grand_total, (Money{5895, "USD"}));
}

TEST(Mapping, ALineTotalThatDoesNotDivideIntoItsUnitsIsRefused) {
  Mapping m = LoadBuiltIn("woocommerce-order.yaml");
  json::value doc = TestPayload("woocommerce-order.json");
  doc.at("line_items").at(1).as_object()["subtotal"] = "10.00";
  MappingResult r = m.Apply(doc, {.vars = {{"channel", "woo"}}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString("w.yaml"),
            "w.yaml: rule lines[].unit_price at /line_items/1/subtotal: \"10.00\" does not divide "
            "evenly into 3 units of the currency's smallest unit");
}

// WooCommerce spreads a coupon over the lines: each line's discount is its subtotal less its
// total, and the order's discount_total is checked against their sum.
TEST(Mapping, WooCommerceCouponsBecomeLineDiscounts) {
  Mapping m = LoadBuiltIn("woocommerce-order.yaml");
  json::value doc = TestPayload("woocommerce-order.json");
  doc.at("line_items").at(0).as_object()["total"] = "27.00";  // subtotal 30.00
  doc.as_object()["coupon_lines"] = json::array{json::object{{"code", "SAVE10"}}};
  doc.as_object()["discount_total"] = "3.00";
  doc.as_object()["total"] = "55.95";
  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "woo"}}});
  ASSERT_TRUE(r.ok()) << r.errors[0].ToString(m.file());
  const Order& o = *r.order;
  ASSERT_EQ(o.lines[0].discounts.size(), 1u);
  EXPECT_EQ(o.lines[0].discounts[0].code, "SAVE10");
  EXPECT_EQ(o.lines[0].discounts[0].amount, (Money{300, "USD"}));
  EXPECT_EQ(o.lines[1].discounts[0].amount, (Money{0, "USD"}));
  EXPECT_EQ(o.totals.discount, (Money{300, "USD"}));
  EXPECT_EQ(o.totals.grand_total, (Money{5595, "USD"}));
  // A discount_total that disagrees with the lines is refused by the model's check.
  doc.as_object()["discount_total"] = "4.00";
  doc.as_object()["total"] = "54.95";
  MappedOrder off = MapOrder(m, doc, {.vars = {{"channel", "woo"}}});
  ASSERT_FALSE(off.ok());
  EXPECT_THAT(off.errors[0].ToString(m.file()), ::testing::HasSubstr("#/totals/discount"));
}

// A result's document lives in the result's arena: moving results around (into a list
// that grows, over another result, out of a function) keeps each document whole, and a
// moved-from result can take new values. ASan reports any use of a freed arena here.
TEST(Mapping, ResultsMoveWithTheirArenaAndStayWholeWhenAssignedOver) {
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  const MappingContext context{.vars = {{"channel", "shopify-us"}}};
  const std::string expected = json::serialize(m.Apply(ShopifyOrder(), context).document);
  std::vector<MappingResult> kept;
  for (int i = 0; i < 20; ++i) kept.push_back(m.Apply(ShopifyOrder(), context));  // regrows
  for (const MappingResult& r : kept) EXPECT_EQ(json::serialize(r.document), expected);

  MappingResult r = m.Apply(json::value{{"not", "an order"}}, context);
  EXPECT_FALSE(r.ok());
  r = m.Apply(ShopifyOrder(), context);  // over a result with its own arena
  EXPECT_EQ(json::serialize(r.document), expected);
  MappingResult taken = std::move(r);
  EXPECT_EQ(json::serialize(taken.document), expected);
  r.document = json::object{{"reused", true}};  // the moved-from result is usable again
  EXPECT_EQ(json::serialize(r.document), R"({"reused":true})");

  std::optional<MappedOrder> order;
  order = MapOrder(m, ShopifyOrder(), context);
  order = MapOrder(m, ShopifyOrder(), context);
  ASSERT_TRUE(order->ok());
  EXPECT_EQ(json::serialize(order->document), expected);
  MappedDocument d = MapDocument(m, ShopifyOrder(), context);
  d = MapDocument(m, ShopifyOrder(), context);
  EXPECT_EQ(json::serialize(d.document), expected);
  ASSERT_NE(d.get<Order>(), nullptr);
  EXPECT_EQ(d.get<Order>()->channel_order_ref, "9007199254740993");
}

TEST(Mapping, EveryErrorNamesTheRuleAndThePayloadPath) {
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  json::value doc = ShopifyOrder();
  doc.at("line_items").at(1).as_object()["price"] = "5,00";
  doc.as_object().erase("created_at");
  doc.at("line_items").at(0).as_object()["quantity"] = 1.5;
  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "shopify-us"}}});
  ASSERT_EQ(r.errors.size(), 3u);
  std::string all;
  for (const MappingError& e : r.errors) all += e.ToString("shopify-order.yaml") + "\n";
  EXPECT_THAT(
      all,
      AllOf(
          HasSubstr("shopify-order.yaml: rule placed_at at /created_at: is missing"),
          HasSubstr("rule lines[].quantity at /line_items/0/quantity: 1.5 is not a whole number"),
          HasSubstr(
              "rule lines[].unit_price at /line_items/1/price: \"5,00\" is not an amount in USD")));
  EXPECT_FALSE(r.order.has_value());
}

TEST(Mapping, TotalsThatDisagreeWithTheLinesAreRefusedByTheModelsChecks) {
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  json::value doc = ShopifyOrder();
  doc.as_object()["total_price"] = "50.00";
  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "shopify-us"}}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rule, "canonical #/totals/grand_total");
  EXPECT_THAT(r.errors[0].message, HasSubstr("subtotal - discount + tax + shipping"));
}

TEST(Mapping, CodeTablesDefaultsVariablesAndConstants) {
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Parse(R"(
mapping: t
version: 2
from: test
to: order
tables:
  service: {GROUND: standard, "2DAY": two_day}
fields:
  channel: {var: channel}
  service_level: {path: /ship, table: service}
  notes: {value: imported}
  channel_order_ref: {path: /ref, default: none}
)",
                                                 "t.yaml"));
  MappingResult r = m.Apply(json::parse(R"({"ship":"2DAY"})"), {.vars = {{"channel", "c"}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(
      json::serialize(r.document),
      R"({"channel":"c","service_level":"two_day","notes":"imported","channel_order_ref":"none"})");
  r = m.Apply(json::parse(R"({"ship":"AIR"})"), {});
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].message, "the variable channel is not set");
  EXPECT_EQ(r.errors[1].ToString("t.yaml"),
            "t.yaml: rule service_level at /ship: \"AIR\" is not in table service (2DAY, GROUND)");
}

TEST(Mapping, ABadMappingFileIsRefusedNamingTheFileLineAndRule) {
  EXPECT_THAT(
      Mapping::Parse(
          "mapping: x\nversion: 1\nfrom: y\nto: order\nfields:\n  sku: {path: /a, pth: /b}\n",
          "m.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m.yaml:6:")));
  EXPECT_THAT(
      Mapping::Parse("mapping: x\nversion: 1\nfrom: y\nto: order\nfields:\n"
                     "  sku: {path: /a, value: b}\n  tax: {sum: /t, as: string}\n"
                     "  placed_at: {path: /t, as: time, time: local}\n"
                     "  payment_state: {path: /p, table: nowhere}\n",
                     "m.yaml"),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          AllOf(HasSubstr("m.yaml: rule sku: give exactly one of path"),
                HasSubstr("m.yaml: rule tax: sum needs as: money or as: integer"),
                HasSubstr("m.yaml: rule placed_at: time: local needs zone"),
                HasSubstr("m.yaml: rule payment_state: table: \"nowhere\" is not under tables"))));
  EXPECT_THAT(Mapping::Parse("mapping: x\nfrom: y\nto: invoice\nfields: {}\n", "m.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version")));
  EXPECT_THAT(Mapping::Load("/nonexistent/m.yaml"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(Mapping, APayloadThatIsNotAnObjectOrLacksTheRootIsAnErrorNotACrash) {
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  for (const char* payload : {"[]", "42", "null", R"({"order": 5})", R"({"line_items": {}})"}) {
    MappedOrder r = MapOrder(m, json::parse(payload), {.vars = {{"channel", "c"}}});
    EXPECT_FALSE(r.ok()) << payload;
    EXPECT_FALSE(r.order.has_value()) << payload;
  }
}

TEST(Mapping, EveryBuiltInMappingCompiles) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/mappings")) {
    if (entry.path().extension() != ".yaml") continue;
    absl::StatusOr<Mapping> m = Mapping::Load(entry.path().string());
    EXPECT_TRUE(m.ok()) << m.status();
    ++n;
  }
  EXPECT_GE(n, 11);
}

// A small mapping over `yaml` (the fields), for the engine's cases.
Mapping Compile(const std::string& fields) {
  absl::StatusOr<Mapping> m =
      Mapping::Parse("mapping: t\nversion: 1\nfrom: test\nto: order\nfields:\n" + fields, "t.yaml");
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

std::string Errors(const MappingResult& r) {
  std::string all;
  for (const MappingError& e : r.errors) all += e.ToString("t.yaml") + "\n";
  return all;
}

TEST(Mapping, FiltersSelectListElementsByAMembersValue) {
  Mapping m = Compile(R"(
  currency: {value: USD}
  price: {path: "/charges/*[type=PRODUCT]/amount", as: money}
  shipping: {sum: "/charges/*[type=SHIPPING]/amount", as: money}
  other: {sum: "/charges/*[type!=PRODUCT]/amount", as: money}
  flagged: {path: "/charges/*[taxable=true]/type"}
  numbered: {path: "/charges/*[n=7]/type"}
  lines:
    each: "/charges/*[type!=PRODUCT]"
    fields:
      line_no: {index: 1}
      kind: {path: type}
)");
  MappingResult r = m.Apply(json::parse(R"({"charges": [
      {"type": "PRODUCT", "amount": "10.00"},
      {"type": "SHIPPING", "amount": 2.5, "taxable": true},
      {"type": "FEE", "amount": "0.99", "n": 7},
      {"type": "SHIPPING", "amount": "1.00"}]})"));
  ASSERT_TRUE(r.ok()) << Errors(r);
  EXPECT_EQ(json::serialize(r.document.at("price")), R"({"amount_minor":1000,"currency":"USD"})");
  EXPECT_EQ(r.document.at("shipping").at("amount_minor"), 350);
  EXPECT_EQ(r.document.at("other").at("amount_minor"), 449);
  EXPECT_EQ(r.document.at("flagged"), "SHIPPING");
  EXPECT_EQ(r.document.at("numbered"), "FEE");
  // Filtered elements are numbered in the order they are mapped.
  EXPECT_EQ(json::serialize(r.document.at("lines")),
            R"([{"line_no":1,"kind":"SHIPPING"},{"line_no":2,"kind":"FEE"},)"
            R"({"line_no":3,"kind":"SHIPPING"}])");

  // Errors name the element a filter found, and the filter when nothing passes it.
  r = m.Apply(json::parse(R"({"charges": [{"type": "SHIPPING", "amount": "x"},)"
                          R"(             {"type": "PRODUCT", "amount": "1,00"}]})"));
  EXPECT_THAT(Errors(r),
              AllOf(HasSubstr("rule price at /charges/1/amount: \"1,00\" is not an amount"),
                    HasSubstr("rule shipping at /charges/0/amount: \"x\" is not an amount"),
                    HasSubstr("rule other at /charges/0/amount: \"x\" is not an amount"),
                    HasSubstr("rule flagged at /charges/*[taxable=true]/type: is missing")))
      << Errors(r);
}

TEST(Mapping, SumAddsSeveralPathsAndMinusSubtracts) {
  Mapping m = Compile(R"(
  currency: {value: EUR}
  net: {sum: [/a, /b/*/x], minus: [/c, /d], as: money}
  off: {minus: /b/*/x, as: money}
  count: {sum: [/n, /m], minus: /k, as: integer}
  unit: {sum: [/a, /c], as: money, per: /qty}
)");
  MappingResult r =
      m.Apply(json::parse(R"({"a": "10.00", "b": [{"x": 1}, {"x": "0.50"}], "c": "2.00",
                                            "n": 3, "m": "4", "k": 2, "qty": 3})"));
  ASSERT_TRUE(r.ok()) << Errors(r);
  EXPECT_EQ(r.document.at("net").at("amount_minor"), 1000 + 150 - 200);  // /d is absent: 0
  EXPECT_EQ(r.document.at("off").at("amount_minor"), -150);
  EXPECT_EQ(r.document.at("count"), 5);
  EXPECT_EQ(r.document.at("unit").at("amount_minor"), 400);  // (10.00 + 2.00) / 3
  r = m.Apply(json::parse(R"({"a": "10.00", "c": "0.01", "qty": 3})"));
  EXPECT_THAT(Errors(r), HasSubstr("rule unit: the sum 10.01 does not divide evenly into 3 units"));
}

TEST(Mapping, SingleMapsAnObjectAsAListOfOneAndWhenOmitsAList) {
  Mapping m = Compile(R"(
  currency: {value: USD}
  lines:
    each: /items
    fields:
      discounts:
        each: promo
        single: true
        when: promo_ids
        fields:
          amount: {path: amount, as: money}
)");
  MappingResult r = m.Apply(json::parse(R"({"items": [
      {"promo": {"amount": "1.00"}, "promo_ids": ["P1"]},
      {"promo": {"amount": "0.00"}}]})"));
  ASSERT_TRUE(r.ok()) << Errors(r);
  EXPECT_EQ(json::serialize(r.document.at("lines")),
            R"([{"discounts":[{"amount":{"amount_minor":100,"currency":"USD"}}]},{}])");
  r = m.Apply(json::parse(R"({"items": [{"promo": {"amount": "x"}, "promo_ids": []}]})"));
  EXPECT_THAT(Errors(r), HasSubstr("rule lines[].discounts[].amount at /items/0/promo/amount"));
  // Without `single`, an object where a list belongs is refused.
  Mapping strict = Compile("  lines: {each: /items, fields: {sku: {path: sku}}}\n");
  r = strict.Apply(json::parse(R"({"items": {"sku": "A"}})"));
  EXPECT_EQ(Errors(r), "t.yaml: rule lines at /items: is not a list\n");
}

TEST(Mapping, VariablesTakeTheirDefaultAndSetTheDocumentsCurrency) {
  Mapping m = Compile(R"(
  currency: {var: currency, default: USD}
  region: {var: region, optional: true}
  total: {path: /t, as: money}
)");
  MappingResult r = m.Apply(json::parse(R"({"t": 12.5})"));
  ASSERT_TRUE(r.ok()) << Errors(r);
  EXPECT_EQ(json::serialize(r.document),
            R"({"currency":"USD","total":{"amount_minor":1250,"currency":"USD"}})");
  r = m.Apply(json::parse(R"({"t": 1250})"), {.vars = {{"currency", "JPY"}}});
  EXPECT_EQ(json::serialize(r.document.at("total")), R"({"amount_minor":1250,"currency":"JPY"})");
}

TEST(Mapping, AnAmountInAnotherCurrencyThanTheDocumentsIsRefused) {
  Mapping m = Compile(R"(
  currency: {path: /total/code}
  price: {path: /price/amount, as: money, currency: /price/code}
  fee: {path: /fee/amount, as: money, currency: /fee/code}
)");
  MappingResult r =
      m.Apply(json::parse(R"({"total": {"code": "USD"}, "price": {"code": "BRL", "amount": "1.00"},
                                            "fee": {"amount": "2.00"}})"));
  ASSERT_EQ(r.errors.size(), 1u) << Errors(r);
  EXPECT_EQ(r.errors[0].ToString("t.yaml"),
            "t.yaml: rule price at /price/code: the amount is in BRL, not in the document's "
            "currency (USD)");
  // Without its own currency, an amount is in the document's.
  EXPECT_EQ(r.document.at("fee").at("currency"), "USD");
}

TEST(Mapping, ABadFilterOrSumIsRefusedWhenTheMappingCompiles) {
  EXPECT_THAT(
      Mapping::Parse("mapping: x\nversion: 1\nfrom: y\nto: order\nfields:\n"
                     "  a: {path: \"/l/*[type]/x\"}\n"
                     "  b: {sum: \"/l/*[=1]\", as: money}\n"
                     "  c: {minus: /l/*/x}\n"
                     "  d: {path: /x, when: /y}\n"
                     "  e: {path: /x, single: true}\n",
                     "m.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("m.yaml: rule a: \"/l/*[type]/x\": \"*[type]\" is not a filter"),
                     HasSubstr("m.yaml: rule b: \"/l/*[=1]\": \"*[=1]\" is not a filter"),
                     HasSubstr("m.yaml: rule c: minus needs as: money or as: integer"),
                     HasSubstr("m.yaml: rule d: when: applies only to fields and each"),
                     HasSubstr("m.yaml: rule e: single: applies only to each"))));
  EXPECT_THAT(
      Mapping::Parse("mapping: x\nversion: 1\nfrom: y\nto: order\nroot: [\"/a/*\"]\nfields: {}\n",
                     "m.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without \"*\" or filters")));
}

// ---- Dialects: the built-in mappings on the payloads written here ------------------------------

MappedOrder MapTestdata(const Mapping& m, const std::string& file, MappingContext context) {
  MappedOrder r = MapOrder(m, TestPayload(file), context);
  for (const MappingError& e : r.errors) ADD_FAILURE() << e.ToString(m.file());
  return r;
}

// The connector's composite of GET /v2/orders/{id}, its products and shipping addresses.
TEST(Dialects, ABigCommerceCompositeOrderBecomesACanonicalOrder) {
  Mapping m = LoadBuiltIn("bigcommerce-order.yaml");
  MappedOrder r = MapTestdata(m, "bigcommerce-order.json", {.vars = {{"channel", "bc"}}});
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  const Order& o = *r.order;
  EXPECT_EQ(o.channel_order_ref, "312");
  EXPECT_EQ(o.placed_at, Utc(2026, 11, 26, 21, 10, 7));  // RFC 2822
  EXPECT_EQ(o.payment_state, PaymentState::kCaptured);   // 11, Awaiting Fulfillment
  EXPECT_EQ(o.notes, "Gate code 4412");
  EXPECT_EQ(o.customer.external_ref, "");  // guests have 0: kept in attributes
  EXPECT_EQ(o.attributes.at("customer_id"), "14");
  EXPECT_EQ(o.customer.email, "ana@example.com");
  ASSERT_TRUE(o.bill_to.has_value());
  EXPECT_EQ(o.bill_to->country, "US");
  EXPECT_EQ(o.ship_to.company, "Lima Garden Co");
  EXPECT_EQ(o.ship_to.line2, "Suite 4");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0].sku, "BC-HOSE-25");
  EXPECT_EQ(o.lines[0].channel_line_ref, "201");
  EXPECT_EQ(o.lines[0].quantity, 2);
  EXPECT_EQ(o.lines[0].unit_price, (Money{1599, "USD"}));  // "15.9900"
  ASSERT_EQ(o.lines[0].discounts.size(), 1u);
  EXPECT_EQ(o.lines[0].discounts[0].code, "HOSE10");
  EXPECT_EQ(o.lines[0].discounts[0].amount, (Money{320, "USD"}));
  EXPECT_EQ(o.lines[0].tax, (Money{223, "USD"}));
  EXPECT_EQ(o.lines[1].sku, "BC-NOZ-1");
  EXPECT_EQ(o.lines[1].unit_price, (Money{749, "USD"}));
  EXPECT_TRUE(o.lines[1].discounts.empty());
  EXPECT_EQ(o.totals.subtotal, (Money{3947, "USD"}));
  EXPECT_EQ(o.totals.discount, (Money{320, "USD"}));
  EXPECT_EQ(o.totals.tax, (Money{281, "USD"}));
  EXPECT_EQ(o.totals.shipping, (Money{995, "USD"}));
  EXPECT_EQ(o.totals.grand_total, (Money{4903, "USD"}));
}

TEST(Dialects, TaxOnBigCommerceShippingIsRefusedNamingTheTax) {
  Mapping m = LoadBuiltIn("bigcommerce-order.yaml");
  json::value doc = TestPayload("bigcommerce-order.json");
  json::object& order = doc.at("order").as_object();
  order["shipping_cost_tax"] = "0.7700";
  order["total_tax"] = "3.5800";
  order["total_inc_tax"] = "49.8000";
  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "bc"}}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rule, "canonical #/totals/tax");
  EXPECT_THAT(r.errors[0].message,
              HasSubstr("expected 2.81 (the sum of the lines' tax), got 3.58"));
}

// The poller's composite of getOrder's payload and getOrderItems' OrderItems.
TEST(Dialects, AnAmazonOrderWithItsItemsBecomesACanonicalOrder) {
  Mapping m = LoadBuiltIn("amazon-order.yaml");
  MappedOrder r = MapTestdata(m, "amazon-order.json", {.vars = {{"channel", "amazon-us"}}});
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  const Order& o = *r.order;
  EXPECT_EQ(o.channel_order_ref, "114-3941689-8772232");
  EXPECT_EQ(o.placed_at, Utc(2026, 11, 26, 20, 10, 7));
  EXPECT_EQ(o.payment_state, PaymentState::kAuthorized);  // Unshipped
  EXPECT_EQ(o.service_level, ServiceLevel::kTwoDay);      // SecondDay
  EXPECT_EQ(o.ship_to.line1, "1200 Harbor Way");
  EXPECT_EQ(o.ship_to.postal_code, "94607-1234");
  EXPECT_EQ(o.customer.email, "x7kq2m9v3t@marketplace.amazon.com");
  EXPECT_EQ(o.attributes.at("marketplace_id"), "ATVPDKIKX0DER");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0].sku, "HS-1");
  EXPECT_EQ(o.lines[0].channel_line_ref, "90071992547409931");  // exact, above 2^53
  EXPECT_EQ(o.lines[0].quantity, 2);
  EXPECT_EQ(o.lines[0].unit_price, (Money{1999, "USD"}));  // ItemPrice 39.98 is for 2
  ASSERT_EQ(o.lines[0].discounts.size(), 1u);
  EXPECT_EQ(o.lines[0].discounts[0].amount, (Money{400, "USD"}));
  EXPECT_EQ(o.lines[0].tax, (Money{297, "USD"}));  // 3.30 less the promotion's 0.33
  EXPECT_EQ(o.lines[1].sku, "HS-2");
  EXPECT_EQ(o.lines[1].unit_price, (Money{749, "USD"}));
  EXPECT_TRUE(o.lines[1].discounts.empty());  // no PromotionIds
  EXPECT_EQ(o.lines[1].tax, (Money{62, "USD"}));
  EXPECT_EQ(o.totals.subtotal, (Money{4747, "USD"}));
  EXPECT_EQ(o.totals.discount, (Money{400, "USD"}));
  EXPECT_EQ(o.totals.tax, (Money{359, "USD"}));
  EXPECT_EQ(o.totals.shipping, (Money{599, "USD"}));      // 5.99 + 2.00 less its 2.00 discount
  EXPECT_EQ(o.totals.grand_total, (Money{5305, "USD"}));  // OrderTotal, checked
}

TEST(Dialects, AnAmazonItemPriceThatDoesNotDivideIntoItsQuantityIsRefused) {
  Mapping m = LoadBuiltIn("amazon-order.yaml");
  json::value doc = TestPayload("amazon-order.json");
  doc.at("items").at(0).at("ItemPrice").as_object()["Amount"] = "39.99";
  MappingResult r = m.Apply(doc, {.vars = {{"channel", "amazon-us"}}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(
      r.errors[0].ToString("amazon-order.yaml"),
      "amazon-order.yaml: rule lines[].unit_price at /items/0/ItemPrice/Amount: \"39.99\" does not "
      "divide evenly into 2 units of the currency's smallest unit");
}

TEST(Dialects, AWalmartOrderBecomesACanonicalOrder) {
  Mapping m = LoadBuiltIn("walmart-order.yaml");
  MappedOrder r = MapTestdata(m, "walmart-order.json", {.vars = {{"channel", "walmart-us"}}});
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  const Order& o = *r.order;
  EXPECT_EQ(o.channel_order_ref, "4792982839777");
  EXPECT_EQ(o.attributes.at("customer_order_id"), "5291999883501");
  EXPECT_EQ(o.placed_at, Utc(2026, 11, 26, 22, 10, 7, 123));  // epoch milliseconds
  EXPECT_EQ(o.payment_state, PaymentState::kAuthorized);      // Created
  EXPECT_EQ(o.service_level, ServiceLevel::kExpress);
  EXPECT_EQ(o.ship_to.country, "US");  // "USA"
  EXPECT_EQ(o.ship_to.phone, "5105551234");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0].sku, "WM-HOSE-25");
  EXPECT_EQ(o.lines[0].channel_line_ref, "1");
  EXPECT_EQ(o.lines[0].quantity, 2);                       // "2"
  EXPECT_EQ(o.lines[0].uom, "each");                       // "EACH", through the uom table
  EXPECT_EQ(o.lines[0].unit_price, (Money{1599, "USD"}));  // the PRODUCT charge 31.98 for 2
  EXPECT_EQ(o.lines[0].tax, (Money{313, "USD"}));          // 2.64 on the product, 0.49 on shipping
  EXPECT_EQ(o.lines[1].sku, "WM-NOZ-1");
  EXPECT_EQ(o.lines[1].unit_price, (Money{749, "USD"}));
  EXPECT_EQ(o.lines[1].tax, (Money{62, "USD"}));
  EXPECT_EQ(o.totals.subtotal, (Money{3947, "USD"}));
  EXPECT_EQ(o.totals.discount, (Money{0, "USD"}));
  EXPECT_EQ(o.totals.tax, (Money{375, "USD"}));
  EXPECT_EQ(o.totals.shipping, (Money{599, "USD"}));
  EXPECT_EQ(o.totals.grand_total, (Money{4921, "USD"}));
}

// Walmart's XML (Accept: application/xml) is its JSON's elements: the same mapping reads
// it to the same canonical order, lone lines, charges and statuses read as lists of one.
// Units of measure through the mapping's table: Walmart's codes become the catalog's units;
// one the table does not know is refused, naming the codes it knows.
TEST(Dialects, AWalmartLinesUnitOfMeasureGoesThroughItsTable) {
  Mapping m = LoadBuiltIn("walmart-order.yaml");
  json::value doc = TestPayload("walmart-order.json");
  json::object& quantity =
      doc.at("order").at("orderLines").at("orderLine").at(1).at("orderLineQuantity").as_object();
  quantity["unitOfMeasurement"] = "CS";
  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "walmart-us"}}});
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  EXPECT_EQ(r.order->lines[1].uom, "case");
  quantity["unitOfMeasurement"] = "PALLET";
  r = MapOrder(m, doc, {.vars = {{"channel", "walmart-us"}}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].ToString("w.yaml"),
              HasSubstr("rule lines[].uom at /order/orderLines/orderLine/1/orderLineQuantity/"
                        "unitOfMeasurement: \"PALLET\" is not in table uom"));
}

TEST(Dialects, AWalmartOrderInXmlMapsToTheSameOrderAsInJson) {
  Mapping m = LoadBuiltIn("walmart-order.yaml");
  EXPECT_TRUE(m.ReadsJson());
  EXPECT_TRUE(m.ReadsXml());
  absl::StatusOr<std::string> xml = ReadFile(SourceDir() + "/mappings/testdata/walmart-order.xml");
  ASSERT_TRUE(xml.ok());
  absl::StatusOr<ParsedPayload> parsed = ParsePayload(m, *xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->format, PayloadFormat::kXml);
  EXPECT_TRUE(parsed->value.at("order")
                  .at("orderLines")
                  .at("orderLine")
                  .at(1)
                  .at("charges")
                  .at("charge")
                  .is_object())
      << "a lone charge is not a list in XML";
  MappedOrder from_xml =
      MapOrder(m, parsed->value, {.vars = {{"channel", "walmart-us"}}, .format = parsed->format});
  for (const MappingError& e : from_xml.errors) ADD_FAILURE() << e.ToString(m.file());
  MappedOrder from_json =
      MapTestdata(m, "walmart-order.json", {.vars = {{"channel", "walmart-us"}}});
  ASSERT_TRUE(from_json.ok());
  EXPECT_EQ(json::serialize(from_xml.document), json::serialize(from_json.document));
  ASSERT_TRUE(from_xml.order.has_value());
  EXPECT_EQ(from_xml.order->lines[1].tax, (Money{62, "USD"}));  // the lone charge's tax

  // The same tree read as JSON has no lists of one: the lone charge is not found.
  MappedOrder strict = MapOrder(m, parsed->value, {.vars = {{"channel", "walmart-us"}}});
  EXPECT_FALSE(strict.ok());
}

TEST(Dialects, AnXmlPayloadNamesWhatIsWrongByItsPath) {
  Mapping m = LoadBuiltIn("walmart-order.yaml");
  absl::StatusOr<std::string> xml = ReadFile(SourceDir() + "/mappings/testdata/walmart-order.xml");
  ASSERT_TRUE(xml.ok());
  std::string bad = *xml;
  bad.replace(bad.find("<ns2:amount>7.49</ns2:amount>"), 29, "<ns2:amount>7,49</ns2:amount>");
  absl::StatusOr<ParsedPayload> parsed = ParsePayload(m, bad);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  MappedOrder r =
      MapOrder(m, parsed->value, {.vars = {{"channel", "walmart-us"}}, .format = parsed->format});
  ASSERT_FALSE(r.ok());
  // The lone charge is element 0 of its list of one, as the mapping's paths read it.
  EXPECT_THAT(r.errors[0].ToString(m.file()),
              HasSubstr("rule lines[].unit_price at "
                        "/order/orderLines/orderLine/1/charges/charge/0/chargeAmount/amount: "
                        "\"7,49\" is not an amount in USD"));
}

TEST(Dialects, APayloadInAFormatTheMappingDoesNotReadIsRefusedNamingIt) {
  Mapping shopify = LoadBuiltIn("shopify-order.yaml");
  EXPECT_FALSE(shopify.ReadsXml());
  EXPECT_THAT(ParsePayload(shopify, "\xEF\xBB\xBF <order><id>1</id></order>"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the payload is XML; mapping shopify-order reads JSON only")));
  EXPECT_THAT(ParsePayload(shopify, "{\"id\": "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  Mapping walmart = LoadBuiltIn("walmart-order.yaml");
  EXPECT_THAT(ParsePayload(walmart, "<order><id>1</order>"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not well-formed XML at line 1, column 15: mismatched tag")));
  absl::StatusOr<Mapping> xml_only = Mapping::Parse(
      "mapping: x\nversion: 1\nfrom: p\nto: order\nformats: [xml]\nfields: {channel: {var: c}}\n",
      "x.yaml");
  ASSERT_TRUE(xml_only.ok()) << xml_only.status();
  EXPECT_THAT(ParsePayload(*xml_only, "{}"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reads XML only")));
  EXPECT_THAT(Mapping::Parse("mapping: x\nversion: 1\nfrom: p\nto: order\nformats: [csv]\n"
                             "fields: {channel: {var: c}}\n",
                             "x.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("formats: \"csv\" is not a format (json, xml)")));
}

TEST(Dialects, AWalmartChargeOfAnUnmappedKindIsRefusedByTheTotals) {
  Mapping m = LoadBuiltIn("walmart-order.yaml");
  json::value doc = TestPayload("walmart-order.json");
  doc.at_pointer("/order/orderLines/orderLine/1/charges/charge")
      .as_array()
      .push_back(json::parse(R"({"chargeType": "FEE", "chargeName": "Fee",)"
                             R"( "chargeAmount": {"currency": "USD", "amount": 1.5}})"));
  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "walmart-us"}}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rule, "canonical #/totals/grand_total");
}

TEST(Dialects, AShipStationOrderBecomesACanonicalOrderInPacificTime) {
  Mapping m = LoadBuiltIn("shipstation-order.yaml");
  MappedOrder r = MapTestdata(m, "shipstation-order.json", {.vars = {{"channel", "shipstation"}}});
  ASSERT_TRUE(r.order.has_value()) << json::serialize(r.document);
  const Order& o = *r.order;
  EXPECT_EQ(o.channel_order_ref, "418825563");
  EXPECT_EQ(o.attributes.at("order_number"), "SS-100482");
  // "2026-11-26T13:10:07.1234567" in Los Angeles (PST, UTC-8), to the millisecond.
  EXPECT_EQ(o.placed_at, Utc(2026, 11, 26, 21, 10, 7, 123));
  EXPECT_EQ(o.currency, "USD");  // the channel's currency variable, unset
  EXPECT_EQ(o.payment_state, PaymentState::kCaptured);
  EXPECT_EQ(o.customer.external_ref, "53311298");
  EXPECT_FALSE(o.bill_to.has_value());  // ShipStation fills billTo with nulls
  EXPECT_EQ(o.ship_to.line1, "1200 Harbor Way");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0].sku, "HS-1");
  EXPECT_EQ(o.lines[0].channel_line_ref, "612339871");
  EXPECT_EQ(o.lines[0].quantity, 2);
  EXPECT_EQ(o.lines[0].unit_price, (Money{2499, "USD"}));  // 24.99, a JSON number
  EXPECT_EQ(o.lines[0].tax, (Money{387, "USD"}));
  EXPECT_EQ(o.lines[1].unit_price, (Money{749, "USD"}));
  EXPECT_EQ(o.totals.subtotal, (Money{5747, "USD"}));
  EXPECT_EQ(o.totals.tax, (Money{445, "USD"}));
  EXPECT_EQ(o.totals.shipping, (Money{850, "USD"}));
  EXPECT_EQ(o.totals.grand_total, (Money{7042, "USD"}));
  // Another account's currency comes from the channel.
  MappedOrder cad = MapOrder(m, TestPayload("shipstation-order.json"),
                             {.vars = {{"channel", "shipstation"}, {"currency", "CAD"}}});
  ASSERT_TRUE(cad.order.has_value());
  EXPECT_EQ(cad.order->totals.grand_total, (Money{7042, "CAD"}));
}

// ---- Published fixtures ----------------------------------------------------------------------

// Each Shopify order in the fixtures maps, or is refused with a reason the test states.
TEST(MappingFixtures, ShopifyOrdersMapOrAreRefusedWithTheirReason) {
  if (!std::filesystem::exists(FixturesDir() + "/shopify")) {
    GTEST_SKIP() << "no fixtures at " << FixturesDir() << " (../shared is absent in this clone)";
  }
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  std::vector<std::pair<std::string, json::value>> orders;  // file, order
  for (const char* file :
       {"pyapi_order.json", "rbapi_order.json", "pyapi_orders.json", "rbapi_orders.json"}) {
    absl::StatusOr<std::string> text = ReadFile(FixturesDir() + "/shopify/" + file);
    ASSERT_TRUE(text.ok()) << text.status();
    json::value doc = json::parse(*text);
    if (const json::value* list = doc.as_object().if_contains("orders")) {
      for (const json::value& o : list->as_array()) orders.emplace_back(file, o);
    } else {
      orders.emplace_back(file, doc);
    }
  }
  ASSERT_GE(orders.size(), 4u);
  for (const auto& [file, doc] : orders) {
    MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "shopify-us"}}});
    std::string errors;
    for (const MappingError& e : r.errors) errors += e.ToString(m.file()) + "\n";
    if (file == "pyapi_orders.json") {
      // A list page that carries only a few fields of each order: no line items.
      EXPECT_THAT(errors, HasSubstr("rule lines at /line_items: is missing")) << file;
      continue;
    }
    // The classic test-shop order #1001: its 11.94 of tax is carried on the order, not on
    // its lines (their tax_lines are empty); the canonical model keeps tax per line, so the
    // model's totals check refuses it, naming the total.
    EXPECT_THAT(
        errors,
        HasSubstr(
            "rule canonical #/totals/tax: expected 0.00 (the sum of the lines' tax), got 11.94"))
        << file << "\n"
        << errors;
  }
}

// The only WooCommerce order published under a permissive licence is a minimal one: no
// SKUs, no addresses, a local time without the GMT one. It is refused, naming each gap.
TEST(MappingFixtures, TheMinimalWooCommerceOrderIsRefusedNamingWhatItLacks) {
  const std::string file = FixturesDir() + "/woocommerce/wcrestts_mcp_orders_minimal.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no fixtures at " << FixturesDir();
  Mapping m = LoadBuiltIn("woocommerce-order.yaml");
  absl::StatusOr<std::string> text = ReadFile(file);
  ASSERT_TRUE(text.ok());
  const json::value list = json::parse(*text);
  ASSERT_EQ(list.as_array().size(), 1u);
  MappedOrder r = MapOrder(m, list.as_array()[0], {.vars = {{"channel", "woo"}}});
  std::string errors;
  for (const MappingError& e : r.errors) errors += e.ToString("w.yaml") + "\n";
  EXPECT_THAT(errors,
              AllOf(HasSubstr("rule placed_at at /date_created_gmt: is missing"),
                    HasSubstr("rule ship_to.line1 at /shipping/address_1: is missing"),
                    HasSubstr("rule lines[].sku at /line_items/0/sku: is missing"),
                    HasSubstr("rule lines[].unit_price at /line_items/1/subtotal: is missing")))
      << errors;
  EXPECT_FALSE(r.order.has_value());
}

std::string AllErrors(const MappedOrder& r, const Mapping& m) {
  return test::AllErrors(r.errors, m.file());
}

#define SKIP_WITHOUT_FIXTURES(dir)                                                                 \
  if (!std::filesystem::exists(FixturesDir() + "/" dir)) {                                         \
    GTEST_SKIP() << "no fixtures at " << FixturesDir() << "/" dir                                  \
                 << " (../shared is absent in this clone; set DISTHUB_FIXTURES to point at them)"; \
  }

// The published BigCommerce order is GET /v2/orders alone: its products and shipping
// addresses are sub-resource URLs (and it is a digital order with no shipping address).
// Whether the connector wraps it as the composite without the sub-resources, or it is
// given bare, it is refused, naming what it lacks.
TEST(MappingFixtures, TheBareBigCommerceOrderIsRefusedNamingItsMissingProductsAndAddress) {
  SKIP_WITHOUT_FIXTURES("bigcommerce");
  Mapping m = LoadBuiltIn("bigcommerce-order.yaml");
  const json::value list = Fixture("bigcommerce/bcapiruby_v2_orders.json");
  ASSERT_EQ(list.as_array().size(), 1u);
  const json::value& order = list.as_array()[0];

  MappedOrder r = MapOrder(m, json::value{{"order", order}}, {.vars = {{"channel", "bc"}}});
  const std::string errors = AllErrors(r, m);
  EXPECT_THAT(
      errors,
      AllOf(
          HasSubstr("bigcommerce-order.yaml: rule lines at /products: is missing: expected a list"),
          HasSubstr("rule ship_to.line1 at /shipping_addresses/0/street_1: is missing"),
          HasSubstr("rule ship_to.city at /shipping_addresses/0/city: is missing"),
          HasSubstr("rule ship_to.country at /shipping_addresses/0/country_iso2: is missing")))
      << errors;
  EXPECT_EQ(r.errors.size(), 4u) << errors;  // the order itself maps: id, RFC 2822 date, totals
  EXPECT_FALSE(r.order.has_value());
  EXPECT_EQ(r.document.at("placed_at"), "2012-03-02T21:36:24.000Z");
  EXPECT_EQ(json::serialize(r.document.at("totals").at("grand_total")),
            R"({"amount_minor":1,"currency":"USD"})");

  MappedOrder bare = MapOrder(m, order, {.vars = {{"channel", "bc"}}});
  EXPECT_THAT(AllErrors(bare, m),
              AllOf(HasSubstr("rule channel_order_ref at /order/id: is missing"),
                    HasSubstr("rule lines at /products: is not a list")));  // the link
  EXPECT_FALSE(bare.order.has_value());
}

// The published getOrder and getOrderItems samples are not one order: 123-4567890-1234567
// in USD (149.99) and the items of 701-3922379-8329033 in BRL (1.00). Composed as the poller
// would, the pair is refused: getOrder carries no ShippingAddress (restricted data) and the
// items are not in the order's currency.
TEST(MappingFixtures, ThePublishedAmazonPairIsTwoOrdersInTwoCurrenciesAndIsRefused) {
  SKIP_WITHOUT_FIXTURES("amazon");
  Mapping m = LoadBuiltIn("amazon-order.yaml");
  const json::value order = Fixture("amazon/spsamples_orders-getOrder.json").at("payload");
  const json::value items = Fixture("amazon/spsamples_orders-getOrderItems.json").at("payload");
  ASSERT_NE(order.at("AmazonOrderId"), items.at("AmazonOrderId"));
  json::value doc = {{"order", order}, {"items", items.at("OrderItems")}};

  MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "amazon-br"}}});
  const std::string errors = AllErrors(r, m);
  EXPECT_THAT(
      errors,
      AllOf(
          HasSubstr("rule ship_to.line1 at /order/ShippingAddress/AddressLine1: is missing"),
          HasSubstr("rule ship_to.city at /order/ShippingAddress/City: is missing"),
          HasSubstr("rule lines[].unit_price at /items/0/ItemPrice/CurrencyCode: the amount is in "
                    "BRL, not in the document's currency (USD)"),
          HasSubstr("rule lines[].tax at /items/0/ItemTax/CurrencyCode: the amount is in BRL")))
      << errors;
  EXPECT_FALSE(r.order.has_value());
  EXPECT_EQ(r.document.at("channel_order_ref"), "123-4567890-1234567");
  EXPECT_EQ(r.document.at("placed_at"), "2025-10-15T14:22:33.000Z");

  // Given an address and the items in the order's currency, the two still do not add up to
  // one order: 149.99 is not 1.00 of goods plus 7.02 of shipping.
  doc.at("order").as_object()["ShippingAddress"] = {
      {"AddressLine1", "1 Main St"}, {"City", "Austin"}, {"CountryCode", "US"}};
  for (json::value& item : doc.at("items").as_array()) {
    for (auto& kv : item.as_object()) {
      if (kv.value().is_object() && kv.value().as_object().contains("CurrencyCode")) {
        kv.value().as_object()["CurrencyCode"] = "USD";
      }
    }
  }
  r = MapOrder(m, doc, {.vars = {{"channel", "amazon-us"}}});
  ASSERT_EQ(r.errors.size(), 1u) << AllErrors(r, m);
  EXPECT_EQ(r.errors[0].rule, "canonical #/totals/grand_total");
  EXPECT_THAT(r.errors[0].message, HasSubstr("expected 8.02"));
  EXPECT_THAT(r.errors[0].message, HasSubstr("got 149.99"));
}

// Every example order in Walmart's published Orders API model maps: the ten of GET
// /v3/orders, the ten of GET /v3/orders/released, the two of GET /v3/orders/{id} and the
// orders the acknowledge, cancel, refund and shipping calls return.
TEST(MappingFixtures, EveryWalmartExampleOrderMaps) {
  SKIP_WITHOUT_FIXTURES("walmart");
  Mapping m = LoadBuiltIn("walmart-order.yaml");
  const json::value spec = Fixture("walmart/walmart_openapi_us_mp_orders.json");
  const json::value& paths = spec.at("paths");
  auto content = [&](const char* path, const char* method) -> const json::value& {
    return paths.at(path).at(method).at("responses").at("200").at("content").at("application/json");
  };
  std::vector<std::pair<std::string, const json::value*>> orders;  // where, order
  for (const char* path : {"/v3/orders", "/v3/orders/released"}) {
    const json::array& list =
        content(path, "get").at("example").at("list").at("elements").at("order").as_array();
    ASSERT_EQ(list.size(), 10u) << path;
    for (size_t i = 0; i < list.size(); ++i) orders.emplace_back(StrCat(path, " #", i), &list[i]);
  }
  for (const auto& kv : content("/v3/orders/{purchaseOrderId}", "get").at("examples").as_object()) {
    orders.emplace_back(StrCat("GET /v3/orders/{id} ", std::string(kv.key())),
                        &kv.value().at("value"));
  }
  for (const char* action : {"acknowledge", "cancel", "refund", "shipping"}) {
    orders.emplace_back(
        action,
        &content(StrCat("/v3/orders/{purchaseOrderId}/", action).c_str(), "post").at("example"));
  }
  ASSERT_EQ(orders.size(), 26u);
  int with_tax = 0, with_shipping = 0;
  for (const auto& [where, doc] : orders) {
    MappedOrder r = MapOrder(m, *doc, {.vars = {{"channel", "walmart-us"}}});
    ASSERT_TRUE(r.ok()) << where << "\n" << AllErrors(r, m);
    const Order& o = *r.order;
    EXPECT_EQ(o.currency, "USD") << where;
    EXPECT_EQ(o.ship_to.country, "US") << where;
    EXPECT_GT(o.placed_at, Utc(2016, 1, 1, 0, 0, 0)) << where;  // milliseconds, not seconds
    EXPECT_LT(o.placed_at, Utc(2022, 1, 1, 0, 0, 0)) << where;
    with_tax += o.totals.tax.minor > 0;
    with_shipping += o.totals.shipping.minor > 0;
  }
  EXPECT_GT(with_tax, 0);
  EXPECT_GT(with_shipping, 0);

  // The first order of GET /v3/orders, in full.
  MappedOrder r = MapOrder(m, *orders[0].second, {.vars = {{"channel", "walmart-us"}}});
  ASSERT_TRUE(r.order.has_value());
  const Order& o = *r.order;
  EXPECT_EQ(o.channel_order_ref, "1796277083022");
  EXPECT_EQ(o.placed_at, Utc(2019, 9, 14, 13, 9, 31));  // 1568466571000
  EXPECT_EQ(o.service_level, ServiceLevel::kStandard);  // "Value"
  EXPECT_EQ(o.ship_to.line2, "Garage");
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].sku, "test1");
  EXPECT_EQ(o.lines[0].channel_line_ref, "4");
  EXPECT_EQ(o.lines[0].quantity, 1);
  EXPECT_EQ(o.lines[0].unit_price, (Money{1000, "USD"}));
  EXPECT_EQ(o.lines[0].tax, (Money{80, "USD"}));  // 0.8, a JSON number
  EXPECT_EQ(o.totals.grand_total, (Money{1080, "USD"}));
  // The first released order carries a SHIPPING charge: 99 + 60.
  r = MapOrder(m, *orders[10].second, {.vars = {{"channel", "walmart-us"}}});
  ASSERT_TRUE(r.order.has_value());
  EXPECT_EQ(r.order->service_level, ServiceLevel::kExpress);
  EXPECT_EQ(r.order->totals.subtotal, (Money{9900, "USD"}));
  EXPECT_EQ(r.order->totals.shipping, (Money{6000, "USD"}));
}

// The three published ShipStation orders carry their tax on the order only (their items'
// taxAmount is null), which the canonical model, keeping tax per line, cannot take; the
// TEST-ORDER-API-DOCS ones also carry a "10% OFF" adjustment item of -20.55, an order-level
// discount. Each is refused naming those totals, while everything else maps: Pacific times,
// JSON-number prices, orderTotal agreeing with the lines (through the subtotal check).
// The Order model (a create request) has no orderId and no orderTotal yet.
TEST(MappingFixtures, ShipStationOrdersAreRefusedForTaxAndDiscountsOnTheOrder) {
  SKIP_WITHOUT_FIXTURES("threepl");
  Mapping m = LoadBuiltIn("shipstation-order.yaml");
  const MappingContext context{.vars = {{"channel", "shipstation"}}};

  const json::value get = Fixture("threepl/shipstation_v1_GetOrderResponse.json");
  MappedOrder r = MapOrder(m, get, context);
  EXPECT_THAT(
      AllErrors(r, m),
      AllOf(
          HasSubstr("rule canonical #/totals/discount: expected 0.00 (the sum of the lines' "
                    "discounts), got 20.55"),
          HasSubstr(
              "rule canonical #/totals/tax: expected 0.00 (the sum of the lines' tax), got 5.00")));
  EXPECT_EQ(r.errors.size(), 2u) << AllErrors(r, m);  // the subtotal and grand total agree
  // 08:46:27 in Los Angeles in June is PDT, UTC-7.
  EXPECT_EQ(r.document.at("placed_at"), "2015-06-29T15:46:27.000Z");
  ASSERT_EQ(r.document.at("lines").as_array().size(), 1u);  // the adjustment is not a line
  EXPECT_EQ(r.document.at("lines").at(0).at("sku"), "ABC123");
  EXPECT_EQ(r.document.at("totals").at("subtotal").at("amount_minor"), 19998);

  const json::value list = Fixture("threepl/shipstation_v1_ListOrdersResponse.json");
  ASSERT_EQ(list.at("orders").as_array().size(), 2u);
  const json::value& international = list.at("orders").at(0);
  r = MapOrder(m, international, context);
  ASSERT_EQ(r.errors.size(), 1u) << AllErrors(r, m);
  EXPECT_EQ(r.errors[0].rule, "canonical #/totals/tax");
  EXPECT_THAT(r.errors[0].message, HasSubstr("got 27.99"));
  EXPECT_EQ(r.document.at("ship_to").at("country"), "GB");
  EXPECT_EQ(r.document.at("lines").as_array().size(), 2u);
  EXPECT_EQ(r.document.at("totals").at("subtotal").at("amount_minor"), 32498);  // 2 * 49.99 + 225
  r = MapOrder(m, list.at("orders").at(1), context);
  EXPECT_THAT(AllErrors(r, m), HasSubstr("rule canonical #/totals/discount"));

  const json::value create = Fixture("threepl/shipstation_v1_Order.json");
  r = MapOrder(m, create, context);
  EXPECT_THAT(AllErrors(r, m),
              AllOf(HasSubstr("rule channel_order_ref at /orderId: is missing"),
                    HasSubstr("rule totals.grand_total at /orderTotal: is missing")));
  EXPECT_EQ(r.document.at("placed_at"), "2015-06-29T15:46:27.000Z");  // 6 fractional digits
  EXPECT_FALSE(r.order.has_value());
}

// ---- Bad input -------------------------------------------------------------------------------

// Thousands of mangled payloads (values swapped for other types, huge numbers, odd strings,
// keys removed): mapping never crashes or throws, and whatever it accepts passes the model's
// checks. (Run under ASan and UBSan in CI.)
TEST(MappingRobustness, MangledPayloadsAreRefusedOrMappedNeverCrash) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"shopify-order.yaml", "shopify-order.json"},
      {"woocommerce-order.yaml", "woocommerce-order.json"},
      {"bigcommerce-order.yaml", "bigcommerce-order.json"},
      {"amazon-order.yaml", "amazon-order.json"},
      {"walmart-order.yaml", "walmart-order.json"},
      {"shipstation-order.yaml", "shipstation-order.json"}};
  const std::vector<json::value> replacements = {nullptr,
                                                 true,
                                                 0,
                                                 -1,
                                                 json::value(INT64_MIN),
                                                 json::value(UINT64_MAX),
                                                 1e300,
                                                 -0.5,
                                                 12.345,
                                                 "",
                                                 "x",
                                                 "9999999999999999999999",
                                                 "-0",
                                                 "1e5",
                                                 "2026-13-45T99:99:99Z",
                                                 "\xff\xfe",
                                                 json::array{},
                                                 json::array{1, "a"},
                                                 json::object{},
                                                 json::object{{"a", nullptr}}};
  std::mt19937_64 rng(20261127);
  int mapped = 0, refused = 0;
  for (const auto& [mapping_file, payload_file] : cases) {
    Mapping m = LoadBuiltIn(mapping_file);
    const json::value original = TestPayload(payload_file);
    for (int round = 0; round < 1500; ++round) {
      json::value doc = original;
      Mangle(doc, rng, replacements);
      MappedOrder r = MapOrder(m, doc, {.vars = {{"channel", "c"}}});
      if (r.ok()) {
        ++mapped;
        ASSERT_TRUE(r.order.has_value());
        EXPECT_TRUE(ValidateOrder(*r.order).empty()) << json::serialize(doc);
      } else {
        ++refused;
        EXPECT_FALSE(r.order.has_value());
        for (const MappingError& e : r.errors) EXPECT_FALSE(e.message.empty());
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(mapped, 0);  // some mangling hits nothing the mapping reads
}

// What the fuzzers found (fuzz/regressions, docs/fuzzing.md), held here too so that the
// ordinary and sanitizer test runs keep them fixed.
bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(MappingFuzzRegressions, MappingFilesTheFuzzerFoundAreRefusedOrCompiledNeverCrash) {
  const std::string dir = SourceDir() + "/fuzz/regressions/mapping_file_fuzz";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    SCOPED_TRACE(entry.path().string());
    absl::StatusOr<std::string> text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    absl::StatusOr<Mapping> m = Mapping::Parse(*text, entry.path().filename().string());
    if (entry.path().filename() == "yaml-alias-expansion.yaml") {
      EXPECT_THAT(m.status().message(), ::testing::HasSubstr("more than 10000 rules"));
    }
    if (entry.path().filename() == "yaml-tag-empty-from.yaml") {
      EXPECT_THAT(m.status().message(), ::testing::HasSubstr("from: must not be empty"));
    }
    if (entry.path().filename() == "yaml-alias-cycle.yaml" ||
        entry.path().filename() == "fields-nested-200-deep.yaml") {
      EXPECT_THAT(m.status().message(), ::testing::HasSubstr("nest more than 32 levels deep"));
    }
    if (entry.path().filename() == "index-base-overflow.yaml") {
      EXPECT_THAT(m.status().message(), ::testing::HasSubstr("index: must be 0 to 1000000"));
    }
  }
  EXPECT_GE(files, 8);
}

TEST(MappingFuzzRegressions, AnErrorQuotingALongNonAsciiValueStaysValidUtf8) {
  absl::StatusOr<std::string> text =
      ReadFile(SourceDir() + "/fuzz/regressions/mapping_fuzz/error-cut-inside-utf8.json");
  ASSERT_TRUE(text.ok());
  Mapping m = LoadBuiltIn("shopify-order.yaml");
  MappedOrder r = MapOrder(m, json::parse(*text), {.vars = {{"channel", "c"}}});
  ASSERT_FALSE(r.ok());
  for (const MappingError& e : r.errors) {
    EXPECT_TRUE(ValidUtf8(e.message)) << e.message;
  }
}

// ---- Outbound: canonical → partner -------------------------------------------------------

// The hub's event envelope around `payload`, as the deliverer hands it to a mapping.
json::value Envelope(const std::string& type, const std::string& payload) {
  return json::parse(R"({"seq":7,"type":")" + type +
                     R"(","subject":"s","correlation_id":"c","causation_id":"x",)"
                     R"("occurred_at":"2026-11-27T10:00:00.000Z","recorded_at":)"
                     R"("2026-11-27T10:00:00.000Z","payload":)" +
                     payload + "}");
}

TEST(OutboundMapping, AShippedStatusBecomesAShopifyFulfillment) {
  Mapping m = LoadBuiltIn("shopify-fulfillment-out.yaml");
  EXPECT_EQ(m.target(), "partner");
  MappedDocument d = MapDocument(
      m, Envelope("order.status.shopify-ca",
                  R"({"order_id":"ord_1","channel":"shopify-ca","channel_ref":"5743916220473",)"
                  R"("status":"partially_shipped","at":"2026-11-27T10:00:00.000Z","shipments":[)"
                  R"({"shipment_id":"s1","location":"wh-west","carrier":"fedex",)"
                  R"("tracking":"7489 2210","lines":[{"line":1,"quantity":2}]}]})"));
  ASSERT_TRUE(d.ok()) << d.errors[0].ToString(m.file());
  EXPECT_EQ(json::serialize(d.document),
            R"({"fulfillment":{"order_id":"5743916220473","tracking_number":"7489 2210",)"
            R"("tracking_company":"FedEx","notify_customer":true}})");
  // Sent to the order's fulfillments, under the store's API url.
  MappingResult r =
      m.Apply(Envelope("order.status.shopify-ca",
                       R"({"order_id":"ord_1","channel_ref":"5743916220473","status":"shipped",)"
                       R"("shipments":[{"carrier":"ups","tracking":"1Z"}]})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/orders/5743916220473/fulfillments.json");
  MappedDocument released = MapDocument(
      m, Envelope("order.status.shopify-ca",
                  R"({"order_id":"ord_1","channel_ref":"1","status":"released","at":"x"})"));
  ASSERT_EQ(released.errors.size(), 1u);
  EXPECT_THAT(released.errors[0].message, ::testing::HasSubstr("\"released\" is not in table"));
}

// A status update is a PUT to the store's order: the request's path carries the order's id,
// percent-encoded as one segment.
TEST(OutboundMapping, AStatusBecomesAWooCommerceOrderUpdateAtTheOrdersPath) {
  Mapping m = LoadBuiltIn("woocommerce-order-status-out.yaml");
  auto status = [&](const std::string& ref, const std::string& state) {
    return m.Apply(Envelope("order.status.woo",
                            StrCat(R"({"order_id":"ord_1","channel_ref":)", ref, R"(,"status":")",
                                   state, R"(","at":"2026-11-27T10:00:00.000Z"})")));
  };
  MappingResult shipped = status("\"727\"", "shipped");
  ASSERT_TRUE(shipped.ok()) << shipped.errors[0].ToString(m.file());
  EXPECT_EQ(json::serialize(shipped.document), R"({"status":"completed"})");
  EXPECT_EQ(shipped.method, "PUT");
  EXPECT_EQ(shipped.path, "/orders/727");
  EXPECT_EQ(json::serialize(status("\"727\"", "released").document), R"({"status":"processing"})");
  EXPECT_EQ(json::serialize(status("\"727\"", "backordered").document), R"({"status":"on-hold"})");
  EXPECT_EQ(status("\"a/b c\"", "cancelled").path, "/orders/a%2Fb%20c");
  EXPECT_EQ(status("9007199254740993", "shipped").path, "/orders/9007199254740993");

  MappingResult invoiced = status("\"727\"", "invoiced");
  ASSERT_EQ(invoiced.errors.size(), 1u);
  EXPECT_THAT(invoiced.errors[0].message, HasSubstr("\"invoiced\" is not in table status"));
  MappingResult nameless = m.Apply(Envelope("order.status.woo", R"({"status":"shipped"})"));
  ASSERT_EQ(nameless.errors.size(), 1u);
  EXPECT_EQ(nameless.errors[0].ToString("w.yaml"),
            "w.yaml: rule request.path at /payload/channel_ref: is missing");
}

// Every member of `sent` (objects and lists' first elements, recursively) is where the
// published document `model` has one: the names and the nesting are the partner's own.
void ExpectShapeWithin(const json::value& sent, const json::value& model, const std::string& at) {
  if (sent.is_object()) {
    ASSERT_TRUE(model.is_object()) << at << " is not an object in the published document";
    for (const auto& member : sent.get_object()) {
      const std::string where = at + "/" + std::string(member.key());
      const json::value* there = model.get_object().if_contains(member.key());
      ASSERT_NE(there, nullptr) << where << " is not in the published document";
      ExpectShapeWithin(member.value(), *there, where);
    }
  } else if (sent.is_array() && !sent.get_array().empty()) {
    ASSERT_TRUE(model.is_array() && !model.get_array().empty()) << at << " is not a list there";
    ExpectShapeWithin(sent.get_array()[0], model.get_array()[0], at + "/0");
  }
}

// A release becomes ShipStation's CreateOrder in the shape of its published example, keyed
// by the fulfillment order (ShipStation updates rather than adds an order with a known key)
// and dated in Pacific wall-clock time.
TEST(OutboundMapping, AReleaseBecomesAShipStationOrderInItsPublishedShape) {
  Mapping m = LoadBuiltIn("shipstation-order-out.yaml");
  const json::value release = Envelope(
      "fulfillment.release.wh-west",
      R"({"fulfillment_id":"ful_01","order_id":"ord_01","channel":"b2b-portal",)"
      R"("channel_ref":"9007199254740993","location":"wh-west","attempt":1,)"
      R"("lines":[{"line":1,"sku":"HS-10001","quantity":2},{"line":2,"sku":"HS-10002","quantity":1}],)"
      R"("ship_to":{"name":"Ana Lima","line1":"1200 Harbor Way","line2":"Suite 4",)"
      R"("city":"Oakland","region":"CA","postal_code":"94607","country":"US"},)"
      R"("service_level":"express","carrier":"usps","service":"priority"})");
  MappingResult r = m.Apply(release);
  ASSERT_TRUE(r.ok()) << r.errors[0].ToString(m.file());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/orders/createorder");
  const json::object& o = r.document.as_object();
  EXPECT_EQ(o.at("orderNumber"), "9007199254740993");  // exact above 2^53
  EXPECT_EQ(o.at("orderKey"), "ful_01");
  EXPECT_EQ(o.at("orderDate"), "2026-11-27T02:00:00.000000");  // 10:00 UTC is 02:00 PST
  EXPECT_EQ(o.at("orderStatus"), "awaiting_shipment");
  EXPECT_EQ(o.at("shipTo").at("street1"), "1200 Harbor Way");
  EXPECT_EQ(o.at("shipTo").at("state"), "CA");
  EXPECT_EQ(o.at("items").as_array().size(), 2u);
  EXPECT_EQ(o.at("items").at(1),
            (json::value{{"lineItemKey", "2"}, {"sku", "HS-10002"}, {"quantity", 1}}));
  EXPECT_EQ(o.at("carrierCode"), "stamps_com");
  EXPECT_EQ(o.at("advancedOptions").at("customField1"), "ord_01");

  const std::string published = FixturesDir() + "/threepl/shipstation_v1_Order.json";
  if (!std::filesystem::exists(published)) GTEST_SKIP() << "no fixtures at " << FixturesDir();
  ExpectShapeWithin(r.document, Fixture("threepl/shipstation_v1_Order.json"), "");
}

TEST(OutboundMapping, ARequestIsCheckedWhenTheMappingCompiles) {
  const std::string head = "mapping: x\nversion: 1\nfrom: canonical\n";
  const std::string fields = "fields: {status: {path: /status}}\n";
  auto parse = [&](const std::string& to, const std::string& request) {
    return Mapping::Parse(StrCat(head, "to: ", to, "\nrequest:\n", request, fields), "x.yaml");
  };
  EXPECT_TRUE(parse("partner", "  method: PATCH\n  path: /a/{/id}/b/{/c/d}\n").ok());
  EXPECT_THAT(parse("order", "  path: /a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request: only a mapping to: partner sends requests")));
  EXPECT_THAT(parse("partner", "  method: DELETE\n  path: /a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request.method: \"DELETE\" is not one of POST, PUT, PATCH")));
  EXPECT_THAT(parse("partner", "  path: a/{/id}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must start with \"/\"")));
  EXPECT_THAT(parse("partner", "  path: /a/{/id\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without its \"}\"")));
  EXPECT_THAT(parse("partner", "  path: /a/}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without its \"{\"")));
  EXPECT_THAT(parse("partner", "  path: /a/{/lines/*/sku}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("{/lines/*/sku} must be a JSON Pointer from the document")));
  EXPECT_THAT(parse("partner", "  path: /a\n  verb: PUT\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("verb")));
  EXPECT_THAT(parse("partner", "  method: PUT\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request.path")));
  EXPECT_THAT(
      Mapping::Parse(StrCat(head, "to: partner\nfields: {d: {path: /at, as: local_time}}\n"),
                     "x.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("as: local_time needs zone")));
}

TEST(OutboundMapping, AnAvailabilityFeedBecomesWalmartsInventoryFeedInItsOwnShape) {
  Mapping m = LoadBuiltIn("walmart-inventory-feed.yaml");
  MappedDocument d =
      MapDocument(m, Envelope("inventory.availability.walmart",
                              R"({"channel":"walmart","items":[{"sku":"HS-10001","sellable":12},)"
                              R"({"sku":"HS-10002","sellable":0}]})"));
  ASSERT_TRUE(d.ok()) << d.errors[0].ToString(m.file());
  EXPECT_EQ(json::serialize(d.document),
            R"({"InventoryHeader":{"version":"1.4"},"Inventory":[)"
            R"({"sku":"HS-10001","quantity":{"unit":"EACH","amount":12}},)"
            R"({"sku":"HS-10002","quantity":{"unit":"EACH","amount":0}}]})");
  // Each element has the shape of Walmart's own example in its published Inventory model.
  const std::string file = FixturesDir() + "/walmart/walmart_openapi_us_mp_inventory.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no fixtures at " << FixturesDir();
  absl::StatusOr<std::string> text = ReadFile(file);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find(R"("sku": "97964_KFTest")"), std::string::npos);
  EXPECT_NE(text->find(R"("quantity": {)"), std::string::npos);
  EXPECT_NE(text->find(R"("unit": "EACH")"), std::string::npos);
}

TEST(OutboundMapping, DecimalWritesCanonicalMoneyAsPartnersDo) {
  absl::StatusOr<Mapping> m = Mapping::Parse(R"(
mapping: money-out
version: 1
from: canonical
to: partner
fields:
  price: {path: /price, as: decimal}
  yen: {path: /yen, as: decimal}
)",
                                             "money-out.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  MappingResult r = m->Apply(json::parse(
      R"({"price":{"amount_minor":1299,"currency":"USD"},"yen":{"amount_minor":500,"currency":"JPY"}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(json::serialize(r.document), R"({"price":"12.99","yen":"500"})");
  MappingResult bad =
      m->Apply(json::parse(R"({"price":12.99,"yen":{"amount_minor":1,"currency":"XXQ"}})"));
  ASSERT_EQ(bad.errors.size(), 2u);
  EXPECT_EQ(bad.errors[0].at, "/price");
  EXPECT_THAT(bad.errors[0].message,
              ::testing::HasSubstr("is not an amount {amount_minor, currency}"));
  EXPECT_THAT(bad.errors[1].message, ::testing::HasSubstr("\"XXQ\" is not an ISO 4217 currency"));
}

}  // namespace
}  // namespace disthub::mapping
