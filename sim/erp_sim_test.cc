// The ERP simulator over real HTTP on 127.0.0.1: credit checks and quotes are posted to
// its endpoints, and invoices and credit memos are delivered the way the hub's outbox
// delivers them (envelope, Idempotency-Key). Also the PartnerSim `handler` hook it rides
// on. Rates are 0 or 1, so the tests are deterministic.
#include "sim/erp_sim.h"

#include <boost/json.hpp>

#include "base/http_client.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

// The hub's outbox envelope of an invoice.posted or credit_memo.posted.
std::string Posted(const std::string& type, const std::string& id_key, const std::string& id,
                   const std::string& order_id, const std::string& account, int64_t total) {
  json::object payload{{id_key, id},
                       {"order_id", order_id},
                       {"channel", "b2b-portal"},
                       {"account", account},
                       {"currency", "USD"},
                       {"lines", json::array{json::object{{"line", 1},
                                                          {"sku", "HB-1001"},
                                                          {"quantity_each", 2},
                                                          {"amount_minor", total},
                                                          {"tax_minor", 0}}}},
                       {"subtotal_minor", total},
                       {"tax_minor", 0},
                       {"total_minor", total}};
  if (type == "credit_memo.posted") payload["return_id"] = "ret_" + order_id;
  return json::serialize(
      json::object{{"seq", 9}, {"type", type}, {"subject", id}, {"payload", std::move(payload)}});
}

std::string Invoice(const std::string& id, const std::string& order_id, int64_t total) {
  return Posted("invoice.posted", "invoice_id", id, order_id, "ACME", total);
}

std::string CreditMemo(const std::string& id, const std::string& order_id, int64_t total) {
  return Posted("credit_memo.posted", "credit_memo_id", id, order_id, "ACME", total);
}

class ErpSimTest : public ::testing::Test {
 protected:
  static ErpOptions Options() {
    ErpOptions o;
    o.customers = {{.account = "ACME", .limit_minor = 10'000},
                   {.account = "HOLD", .limit_minor = 1'000'000, .on_hold = true},
                   {.account = "EXEMPT", .limit_minor = 10'000, .tax_exempt = true}};
    o.default_limit_minor = 500;
    o.prices = {{"HB-1001", 1250}};
    o.default_price_min_minor = 200;
    o.default_price_max_minor = 300;
    o.tax_rates = {{"US-CA", 0.0725}, {"US-OR", 0}};
    o.default_tax_rate = 0.05;
    return o;
  }

  void Start(ErpOptions options = Options(), PartnerFaults faults = {}) {
    PartnerSimOptions partner;
    partner.faults = faults;
    ASSERT_OK_AND_ASSIGN(erp_, StartErpSim(partner, options));
  }

  // Posts JSON on a fresh connection, without an idempotency key.
  HttpResult Post(const std::string& path, const json::value& body) {
    HttpClient client(erp_->url(), 5);
    absl::StatusOr<HttpResult> r =
        client.Send("POST", path, {{"Content-Type", "application/json"}}, json::serialize(body));
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : HttpResult{};
  }

  // A credit check answered 200; its JSON.
  json::object Check(const std::string& account, const std::string& order_id, int64_t amount) {
    HttpResult r = Post("/credit-checks", json::object{{"account", account},
                                                       {"order_id", order_id},
                                                       {"amount_minor", amount},
                                                       {"currency", "USD"}});
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = json::parse(r.body);
    return v.is_object() ? v.get_object() : json::object{};
  }

  // A quote answered 200; its JSON.
  json::object Quote(const std::string& account, const std::string& region,
                     const json::array& lines) {
    HttpResult r = Post("/quotes", json::object{{"account", account},
                                                {"currency", "USD"},
                                                {"ship_to", json::object{{"region", region}}},
                                                {"lines", lines}});
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = json::parse(r.body);
    return v.is_object() ? v.get_object() : json::object{};
  }

  // Delivers as the hub's outbox does; returns the partner's answer body.
  std::string Deliver(const std::string& body, const std::string& key) {
    HttpClient client(erp_->url(), 5);
    absl::StatusOr<HttpResult> r =
        client.Send("POST", "/erp/events",
                    {{"Idempotency-Key", key}, {"Content-Type", "application/json"}}, body);
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }

  std::unique_ptr<ErpPartner> erp_;
};

TEST_F(ErpSimTest, CreditCheckApprovesWithinTheLimitAndDeclinesOverIt) {
  Start();
  json::object first = Check("ACME", "ord_1", 6000);
  EXPECT_EQ(first.at("approved"), true);
  EXPECT_EQ(first.at("account"), "ACME");
  EXPECT_EQ(Int(first.at("limit_minor")), 10'000);
  EXPECT_EQ(Int(first.at("exposure_minor")), 0);
  EXPECT_EQ(Int(first.at("available_minor")), 10'000);
  EXPECT_EQ(first.at("reason"), "approved");

  json::object second = Check("ACME", "ord_2", 5000);
  EXPECT_EQ(second.at("approved"), false);
  EXPECT_EQ(Int(second.at("exposure_minor")), 6000);
  EXPECT_EQ(Int(second.at("available_minor")), 4000);
  EXPECT_EQ(second.at("reason"), "over_limit");

  EXPECT_EQ(erp_->erp().Exposure("ACME"), 6000);  // the declined check added nothing
  ErpStats s = erp_->erp().Stats();
  EXPECT_EQ(s.credit_approved, 1);
  EXPECT_EQ(s.credit_declined, 1);
}

TEST_F(ErpSimTest, AccountOnHoldIsDeclinedWhateverItsLimit) {
  Start();
  json::object d = Check("HOLD", "ord_1", 1);
  EXPECT_EQ(d.at("approved"), false);
  EXPECT_EQ(d.at("reason"), "on_hold");
  EXPECT_EQ(erp_->erp().Exposure("HOLD"), 0);
}

TEST_F(ErpSimTest, UnknownAccountGetsTheDefaultLimit) {
  Start();
  json::object d = Check("NEW-1", "ord_1", 400);
  EXPECT_EQ(d.at("approved"), true);
  EXPECT_EQ(Int(d.at("limit_minor")), 500);
  EXPECT_EQ(Check("NEW-1", "ord_2", 200).at("reason"), "over_limit");
}

TEST_F(ErpSimTest, UnknownAccountIsNotFoundWhenUnknownAccountsAreRejected) {
  ErpOptions o = Options();
  o.reject_unknown_accounts = true;
  Start(o);
  HttpResult r = Post(
      "/credit-checks",
      json::object{
          {"account", "NEW-1"}, {"order_id", "ord_1"}, {"amount_minor", 1}, {"currency", "USD"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
  EXPECT_THAT(r.body, HasSubstr("no customer account NEW-1"));
  EXPECT_EQ(erp_->erp().Stats().unknown_accounts, 1);
  EXPECT_EQ(Check("ACME", "ord_2", 1).at("approved"), true);
}

TEST_F(ErpSimTest, RepeatedCheckOfAnOrderReturnsTheFirstDecisionAndAddsOnce) {
  Start();
  json::object first = Check("ACME", "ord_1", 6000);
  json::object again = Check("ACME", "ord_1", 6000);
  EXPECT_EQ(json::serialize(again), json::serialize(first));
  EXPECT_EQ(erp_->erp().Exposure("ACME"), 6000);
  // Declines are sticky too: the first answer, even after room has been made.
  EXPECT_EQ(Check("ACME", "ord_2", 9000).at("approved"), false);
  EXPECT_EQ(Check("ACME", "ord_2", 1).at("approved"), false);
  ErpStats s = erp_->erp().Stats();
  EXPECT_EQ(s.credit_checks, 4);
  EXPECT_EQ(s.credit_repeats, 2);
  EXPECT_EQ(s.credit_approved, 1);
  EXPECT_EQ(erp_->erp().CreditDecisions().size(), 2u);
}

TEST_F(ErpSimTest, CreditMemoReducesExposure) {
  Start();
  ASSERT_EQ(Check("ACME", "ord_1", 6000).at("approved"), true);
  EXPECT_THAT(Deliver(CreditMemo("cm_1", "ord_1", 2500), "out-1"), HasSubstr("accepted"));
  EXPECT_EQ(erp_->erp().Exposure("ACME"), 3500);
  EXPECT_EQ(Check("ACME", "ord_2", 6500).at("approved"), true);
  // Never below zero.
  Deliver(CreditMemo("cm_2", "ord_2", 50'000), "out-2");
  EXPECT_EQ(erp_->erp().Exposure("ACME"), 0);
  ErpStats s = erp_->erp().Stats();
  EXPECT_EQ(s.credit_memos, 2);
  EXPECT_EQ(s.credited_minor, 52'500);
}

TEST_F(ErpSimTest, QuotePricesFromThePriceListWithRegionalTax) {
  Start();
  json::object q = Quote(
      "ACME", "US-CA", json::array{json::object{{"line", 1}, {"sku", "HB-1001"}, {"quantity", 3}}});
  EXPECT_EQ(q.at("currency"), "USD");
  const json::array& lines = q.at("lines").get_array();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Int(lines[0].at("line")), 1);
  EXPECT_EQ(lines[0].at("sku"), "HB-1001");
  EXPECT_EQ(Int(lines[0].at("unit_price_minor")), 1250);
  EXPECT_EQ(Int(lines[0].at("tax_minor")), 272);  // 3750 × 7.25% = 271.875, rounded half up
  EXPECT_EQ(Int(q.at("total_minor")), 3750 + 272);
}

TEST_F(ErpSimTest, QuotePricesAnUnlistedSkuTheSameEveryTime) {
  Start();
  json::array lines{json::object{{"line", 1}, {"sku", "HB-9999"}, {"quantity", 1}},
                    json::object{{"line", 2}, {"sku", "HB-8888"}, {"quantity", 1}}};
  json::object q1 = Quote("ACME", "US-OR", lines);
  json::object q2 = Quote("ACME", "US-OR", lines);
  const int64_t price = Int(q1.at("lines").at(0).at("unit_price_minor"));
  EXPECT_GE(price, 200);
  EXPECT_LE(price, 300);
  EXPECT_EQ(Int(q2.at("lines").at(0).at("unit_price_minor")), price);
  EXPECT_EQ(Int(q1.at("lines").at(0).at("tax_minor")), 0);  // US-OR: 0
  EXPECT_EQ(erp_->erp().Stats().quotes, 2);
  EXPECT_EQ(erp_->erp().Stats().quote_lines, 4);
}

TEST_F(ErpSimTest, QuoteUsesTheDefaultRateForOtherRegionsAndNoTaxForExemptAccounts) {
  Start();
  json::array lines{json::object{{"line", 1}, {"sku", "HB-1001"}, {"quantity", 2}}};
  EXPECT_EQ(Int(Quote("ACME", "US-TX", lines).at("lines").at(0).at("tax_minor")), 125);
  EXPECT_EQ(Int(Quote("EXEMPT", "US-CA", lines).at("lines").at(0).at("tax_minor")), 0);
}

TEST_F(ErpSimTest, BadRequestsAreAnsweredWithProblems) {
  Start();
  HttpClient client(erp_->url(), 5);
  ASSERT_OK_AND_ASSIGN(HttpResult not_json, client.Send("POST", "/credit-checks", {}, "{"));
  EXPECT_EQ(not_json.status, 400);
  HttpResult missing = Post("/credit-checks", json::object{{"account", "ACME"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("order_id: must be a non-empty string"));
  HttpResult euros = Post(
      "/credit-checks",
      json::object{
          {"account", "ACME"}, {"order_id", "ord_1"}, {"amount_minor", 1}, {"currency", "EUR"}});
  EXPECT_EQ(euros.status, 422);
  HttpResult no_quantity = Post(
      "/quotes", json::object{{"account", "ACME"},
                              {"currency", "USD"},
                              {"lines", json::array{json::object{{"line", 1}, {"sku", "X"}}}}});
  EXPECT_EQ(no_quantity.status, 400);
  EXPECT_THAT(no_quantity.body, HasSubstr("lines[0].quantity"));
  ASSERT_OK_AND_ASSIGN(HttpResult get, client.Get("/credit-checks"));
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(erp_->erp().Stats().bad_requests, 4);
}

TEST_F(ErpSimTest, InvoiceIsBookedOnceAndAnotherKeyForItCountsAsADuplicateInvoice) {
  Start();
  const std::string invoice = Invoice("inv_1", "ord_1", 4200);
  EXPECT_THAT(Deliver(invoice, "out-1"), HasSubstr("accepted"));
  EXPECT_THAT(Deliver(invoice, "out-1"), HasSubstr("duplicate"));  // the same key
  ErpStats s = erp_->erp().Stats();
  EXPECT_EQ(s.invoices, 1);
  EXPECT_EQ(s.duplicate_invoices, 0);
  EXPECT_EQ(erp_->partner().Stats().duplicates, 1);

  EXPECT_THAT(Deliver(invoice, "out-7"), HasSubstr("accepted"));  // another key
  s = erp_->erp().Stats();
  EXPECT_EQ(s.invoices, 1);
  EXPECT_EQ(s.duplicate_invoices, 1);
  EXPECT_EQ(s.invoiced_minor, 4200);
  std::optional<ErpDocument> booked = erp_->erp().Invoice("inv_1");
  ASSERT_TRUE(booked.has_value());
  EXPECT_EQ(booked->order_id, "ord_1");
  EXPECT_EQ(booked->account, "ACME");
  EXPECT_EQ(booked->total_minor, 4200);
  ASSERT_EQ(booked->lines.size(), 1u);
  EXPECT_EQ(booked->lines[0].quantity_each, 2);
  EXPECT_THAT(booked->keys, ElementsAre("out-1", "out-7"));

  Deliver(Invoice("inv_2", "ord_1", 100), "out-8");  // a second invoice id for the order
  EXPECT_EQ(erp_->erp().Stats().orders_invoiced_twice, 1);
}

TEST_F(ErpSimTest, OtherAndMalformedDeliveriesAreCountedNotBooked) {
  Start();
  Deliver(R"({"type":"order.created","payload":{}})", "out-1");
  Deliver(R"({"type":"invoice.posted","payload":{"order_id":"ord_1"}})", "out-2");
  ErpStats s = erp_->erp().Stats();
  EXPECT_EQ(s.messages, 2);
  EXPECT_EQ(s.other_messages, 1);
  EXPECT_EQ(s.malformed, 1);
  EXPECT_TRUE(erp_->erp().Invoices().empty());
}

TEST_F(ErpSimTest, FaultsApplyToTheSynchronousEndpoints) {
  PartnerFaults failing;
  failing.error_rate = 1;
  Start(Options(), failing);
  json::object check{
      {"account", "ACME"}, {"order_id", "ord_1"}, {"amount_minor", 1}, {"currency", "USD"}};
  EXPECT_EQ(Post("/credit-checks", check).status, 500);
  EXPECT_EQ(erp_->erp().Stats().credit_checks, 0);  // never reached the ERP
  EXPECT_EQ(erp_->partner().Stats().faults.error, 1);

  ASSERT_OK(erp_->partner().SetFaults({}));
  EXPECT_EQ(Post("/credit-checks", check).status, 200);
  EXPECT_EQ(erp_->erp().Stats().credit_approved, 1);
}

TEST_F(ErpSimTest, ControlPathServesStatsAndBooks) {
  Start();
  Check("ACME", "ord_1", 6000);
  Deliver(Invoice("inv_1", "ord_1", 6000), "out-1");
  Deliver(CreditMemo("cm_1", "ord_1", 1000), "out-2");

  HttpClient control(erp_->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, control.Get("/_sim/erp"));
  ASSERT_EQ(r.status, 200);
  json::value doc = json::parse(r.body);
  EXPECT_EQ(doc.at("currency"), "USD");
  EXPECT_EQ(Int(doc.at("stats").at("credit_approved")), 1);
  EXPECT_EQ(Int(doc.at("stats").at("invoices")), 1);
  EXPECT_EQ(Int(doc.at("stats").at("credit_memos")), 1);
  EXPECT_EQ(Int(doc.at("exposure").at("ACME")), 5000);
  EXPECT_EQ(Int(doc.at("exposure").at("HOLD")), 0);
  EXPECT_EQ(doc.at("credit_checks").at(0).at("order_id"), "ord_1");
  EXPECT_EQ(doc.at("invoices").at(0).at("invoice_id"), "inv_1");
  EXPECT_EQ(Int(doc.at("invoices").at(0).at("deliveries")), 1);
  EXPECT_EQ(doc.at("invoices_by_order").at("ord_1").at(0), "inv_1");
  EXPECT_EQ(doc.at("credit_memos").at(0).at("credit_memo_id"), "cm_1");
  EXPECT_EQ(doc.at("credit_memos").at(0).at("return_id"), "ret_ord_1");
}

// The PartnerSim hook the ERP rides on.
TEST(PartnerSimHandler, AnswersGetAndKeylessRequestsItTakesAndNeverRecordsThem) {
  PartnerSimOptions options;
  options.handler = [](const PartnerRequest& r) -> std::optional<PartnerReply> {
    if (!r.target.starts_with("/mine")) return std::nullopt;
    return PartnerReply{.status = 201,
                        .content_type = "text/plain",
                        .body = StrCat(r.method, " ", r.target, " key=", r.key, " ", r.body)};
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartnerSim> sim, StartPartnerSim(options));
  HttpClient client(sim->url(), 5);

  ASSERT_OK_AND_ASSIGN(HttpResult get, client.Get("/mine?x=1"));
  EXPECT_EQ(get.status, 201);
  EXPECT_EQ(get.Header("content-type"), "text/plain");
  EXPECT_EQ(get.body, "GET /mine?x=1 key= ");
  ASSERT_OK_AND_ASSIGN(HttpResult post,
                       client.Send("POST", "/mine", {{"Idempotency-Key", "k"}}, "b"));
  EXPECT_EQ(post.body, "POST /mine key=k b");

  // Declined: as without a handler.
  ASSERT_OK_AND_ASSIGN(HttpResult other_get, client.Get("/other"));
  EXPECT_EQ(other_get.status, 405);
  ASSERT_OK_AND_ASSIGN(HttpResult keyless, client.Send("POST", "/other", {}, "b"));
  EXPECT_EQ(keyless.status, 400);
  ASSERT_OK_AND_ASSIGN(HttpResult delivered,
                       client.Send("POST", "/other", {{"Idempotency-Key", "k"}}, "b"));
  EXPECT_THAT(delivered.body, HasSubstr("accepted"));

  PartnerSimStats s = sim->Stats();
  EXPECT_EQ(s.received, 5);
  EXPECT_EQ(s.accepted, 1);  // only the declined delivery was recorded
  EXPECT_EQ(s.missing_key, 1);
  ASSERT_EQ(sim->Messages().size(), 1u);
  EXPECT_EQ(sim->Messages()[0].path, "/other");
}

TEST(PartnerSimHandler, FaultsComeFirstAndSlowDelaysItsAnswers) {
  PartnerSimOptions options;
  options.handler = [](const PartnerRequest&) -> std::optional<PartnerReply> {
    return PartnerReply{.body = "{}"};
  };
  options.faults.reject.body_contains = {"poison"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartnerSim> sim, StartPartnerSim(options));
  HttpClient client(sim->url(), 5);
  ASSERT_OK_AND_ASSIGN(HttpResult rejected, client.Send("POST", "/x", {}, "poison"));
  EXPECT_EQ(rejected.status, 422);

  PartnerFaults slow;
  slow.slow_rate = 1;
  slow.slow_ms = 150;
  ASSERT_OK(sim->SetFaults(slow));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(HttpResult answered, client.Get("/x"));
  EXPECT_EQ(answered.status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(140));
  EXPECT_EQ(sim->Stats().faults.slow, 1);
}

TEST(ErpSimConfig, ReadsTheErpSection) {
  const std::string yaml = R"(listen: 127.0.0.1:0
faults:
  error_rate: 0.02
erp:
  currency: USD
  default_limit_minor: 100000
  unknown_accounts: reject
  customers:
    - {account: ACME, limit_minor: 5000000}
    - account: HOLD
      on_hold: true
      tax_exempt: true
  prices:
    HB-1001: 1299
    HB-2002: 45000
  default_price_min_minor: 150
  default_price_max_minor: 9000
  tax_rates:
    US-CA: 0.0725
  default_tax_rate: 0.05
  seed: 7
)";
  ASSERT_OK_AND_ASSIGN(ErpSimConfig c, ParseErpSimConfig(yaml, "erp.yaml"));
  EXPECT_EQ(c.partner.faults.error_rate, 0.02);
  EXPECT_EQ(c.erp.default_limit_minor, 100'000);
  EXPECT_TRUE(c.erp.reject_unknown_accounts);
  ASSERT_EQ(c.erp.customers.size(), 2u);
  EXPECT_EQ(c.erp.customers[0].account, "ACME");
  EXPECT_EQ(c.erp.customers[0].limit_minor, 5'000'000);
  EXPECT_TRUE(c.erp.customers[1].on_hold);
  EXPECT_TRUE(c.erp.customers[1].tax_exempt);
  EXPECT_EQ(c.erp.prices.at("HB-2002"), 45'000);
  EXPECT_EQ(c.erp.default_price_min_minor, 150);
  EXPECT_EQ(c.erp.default_price_max_minor, 9000);
  EXPECT_EQ(c.erp.tax_rates.at("US-CA"), 0.0725);
  EXPECT_EQ(c.erp.default_tax_rate, 0.05);
  EXPECT_EQ(c.erp.seed, 7u);
}

TEST(ErpSimConfig, ErrorsNameFileLineAndKey) {
  EXPECT_THAT(ParseErpSimConfig("erp:\n  default_limt_minor: 5\n", "erp.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("erp.yaml:2: erp.default_limt_minor: unknown key")));
  EXPECT_THAT(ParseErpSimConfig("erp:\n  customers:\n    - {limit_minor: 5}\n", "erp.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("erp.yaml:3: erp.customers[0].account: is required")));
  EXPECT_THAT(ParseErpSimConfig("erp:\n  tax_rates:\n    US-CA: 7.25\n", "erp.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("erp.yaml:3: erp.tax_rates.US-CA: must be a rate from 0 to 1")));
  EXPECT_THAT(ParseErpSimConfig("erp:\n  unknown_accounts: deny\n", "erp.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("erp.yaml:2: erp.unknown_accounts: must be default or reject")));
  EXPECT_THAT(
      ParseErpSimConfig("erp:\n  customers:\n    - {account: A}\n    - {account: A}\n", "erp.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("erp.yaml: erp.customers[1].account: \"A\" is listed twice")));
}

}  // namespace
}  // namespace disthub::testing
