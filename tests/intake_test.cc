// The order intake API end to end: the real `disthub serve` on port 0, over HTTP.
#include <boost/json.hpp>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub_process.h"
#include "sim/scenario_orders.h"
#include "status_matchers.h"

namespace disthub::testing {
namespace {

using ::testing::HasSubstr;
namespace json = boost::json;

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers Auth(std::string_view key, std::string idempotency_key = "") {
  Headers h = {{"Authorization", StrCat("Bearer ", key)}, {"Content-Type", "application/json"}};
  if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
  return h;
}

std::vector<ScenarioProduct> HarborProducts() {
  auto csv = ReadFile(SourcePath("examples/harbor-products.csv"));
  return csv.ok() ? ScenarioProductsFromCsv(*csv) : std::vector<ScenarioProduct>{};
}

class IntakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hub_ = new HubProcess();
    start_ = hub_->Start();
  }
  void SetUp() override { ASSERT_TRUE(start_.ok()) << start_; }
  static void TearDownTestSuite() {
    delete hub_;
    hub_ = nullptr;
  }

  IntakeTest() : client_(hub_ ? hub_->url() : ""), gen_(HarborProducts(), 42) {}

  // A valid order for `channel` with a fresh reference.
  json::object Order(const std::string& channel = "dtc-web") {
    static int n = 0;
    return json::parse(ScenarioOrders::InboundJson(
                           gen_.Make(channel, StrCat("T-", ::getpid(), "-", ++n), absl::Now())))
        .as_object();
  }

  HttpResult Post(const json::value& body, std::string_view key = kWriterKey,
                  std::string idempotency_key = "") {
    return PostRaw(json::serialize(body), key, idempotency_key);
  }
  HttpResult PostRaw(const std::string& body, std::string_view key = kWriterKey,
                     std::string idempotency_key = "") {
    auto r = client_.Send("POST", "/v1/orders", Auth(key, idempotency_key), body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResult{};
  }
  HttpResult Get(const std::string& path, std::string_view key = kReaderKey) {
    auto r = client_.Get(path, {{"Authorization", StrCat("Bearer ", key)}});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResult{};
  }
  static json::object Body(const HttpResult& r) {
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    return ec || !v.is_object() ? json::object() : v.as_object();
  }
  // The pointers (or parameters/headers) named in a problem's errors.
  static std::vector<std::string> Pointers(const HttpResult& r) {
    std::vector<std::string> out;
    json::object b = Body(r);
    if (auto* errs = b.if_contains("errors")) {
      for (const auto& e : errs->as_array()) {
        for (const char* k : {"pointer", "parameter", "header"}) {
          if (auto* p = e.as_object().if_contains(k)) out.emplace_back(p->as_string());
        }
      }
    }
    return out;
  }
  int64_t CountEvents() {
    int64_t n = 0, after = 0;
    while (true) {
      json::object page = Body(Get(StrCat("/v1/events?limit=1000&after=", after)));
      const auto& list = page["events"].as_array();
      if (list.empty()) return n;
      n += static_cast<int64_t>(list.size());
      after = page["next_after"].as_int64();
    }
  }

  static HubProcess* hub_;
  static absl::Status start_;
  HttpClient client_;
  ScenarioOrders gen_;
};

HubProcess* IntakeTest::hub_ = nullptr;
absl::Status IntakeTest::start_;

TEST_F(IntakeTest, CreatesAnOrderAndReadsItBack) {
  json::object order = Order();
  HttpResult r = Post(order);
  ASSERT_EQ(r.status, 201) << r.body;
  json::object created = Body(r);
  std::string id(created["id"].as_string());
  EXPECT_TRUE(id.starts_with("ord_")) << id;
  EXPECT_EQ(created["status"].as_string(), "received");
  EXPECT_TRUE(created.contains("received_at"));
  EXPECT_EQ(created["channel_order_ref"], order["channel_order_ref"]);
  EXPECT_EQ(created["lines"], order["lines"]);
  EXPECT_EQ(created["totals"], order["totals"]);
  EXPECT_EQ(r.Header("location"), "/v1/orders/" + id);
  EXPECT_EQ(r.Header("content-type"), "application/json");

  HttpResult got = Get("/v1/orders/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, r.body);
}

TEST_F(IntakeTest, RepeatWithTheSameKeyReturnsTheFirstResultAndStoresOneOrder) {
  int64_t events_before = CountEvents();
  json::object order = Order();
  HttpResult first = Post(order, kWriterKey, "repeat-key-1");
  ASSERT_EQ(first.status, 201);
  HttpResult again = Post(order, kWriterKey, "repeat-key-1");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  EXPECT_EQ(first.Header("idempotent-replayed"), "");
  EXPECT_EQ(CountEvents(), events_before + 1);
}

TEST_F(IntakeTest, RepeatOfTheSameChannelOrderWithoutAKeyReturnsTheFirstOrder) {
  json::object order = Order("b2b-portal");
  HttpResult first = Post(order);
  ASSERT_EQ(first.status, 201);
  order["notes"] = "resent by the channel";  // a resend need not be byte-identical
  HttpResult again = Post(order);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(Body(again)["id"], Body(first)["id"]);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  EXPECT_FALSE(Body(again).contains("notes"));
}

TEST_F(IntakeTest, ReusingAKeyForAnotherOrderIs422AndChangesNothing) {
  ASSERT_EQ(Post(Order(), kWriterKey, "reused-key").status, 201);
  int64_t events = CountEvents();
  HttpResult r = Post(Order(), kWriterKey, "reused-key");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
  EXPECT_EQ(Body(r)["type"].as_string(), "https://disthub.dev/problems/idempotency-key-reused");
  EXPECT_THAT(Pointers(r), ::testing::ElementsAre("Idempotency-Key"));
  EXPECT_EQ(CountEvents(), events);
}

TEST_F(IntakeTest, KeysAreScopedToTheCaller) {
  json::object order = Order("b2b-portal");
  ASSERT_EQ(Post(order, kWriterKey, "shared-key").status, 201);
  // Another partner using the same key string is another request, not a repeat…
  json::object other = Order("b2b-portal");
  HttpResult r = Post(other, kPortalKey, "shared-key");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.Header("idempotent-replayed"), "");
}

TEST_F(IntakeTest, MalformedJsonIs400) {
  int64_t events = CountEvents();
  HttpResult r = PostRaw(R"({"channel": "dtc-web", "lines": [)");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["type"].as_string(), "https://disthub.dev/problems/malformed-json");
  EXPECT_EQ(CountEvents(), events);
}

TEST_F(IntakeTest, SchemaViolationsAre422NamingEveryFieldPath) {
  int64_t events = CountEvents();
  json::object order = Order();
  order["lines"].as_array()[0].as_object()["quantity"] = "ten";
  order["ship_to"].as_object().erase("country");
  order["colour"] = "blue";
  HttpResult r = Post(order);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Body(r)["type"].as_string(), "https://disthub.dev/problems/validation-failed");
  EXPECT_THAT(Pointers(r), ::testing::UnorderedElementsAre("#/lines/0/quantity",
                                                           "#/ship_to/country", "#/colour"));
  EXPECT_EQ(CountEvents(), events);
}

TEST_F(IntakeTest, BusinessRuleViolationsAre422NamingTheField) {
  json::object order = Order();
  order["totals"].as_object()["grand_total"].as_object()["amount_minor"] = 1;
  EXPECT_THAT(Pointers(Post(order)), ::testing::ElementsAre("#/totals/grand_total"));

  order = Order();
  order["lines"].as_array()[0].as_object()["sku"] = "NO-SUCH-SKU";
  EXPECT_THAT(Pointers(Post(order)), ::testing::ElementsAre("#/lines/0/sku"));

  order = Order();
  order["channel"] = "fax";
  EXPECT_THAT(Pointers(Post(order)), ::testing::Contains("#/channel"));
}

TEST_F(IntakeTest, PartnerIdsBeyondTwoToThe53SurviveExactly) {
  json::object order = Order();
  order["channel_order_ref"] = json::value(uint64_t{9007199254740993u});  // 2^53 + 1, a JSON number
  order["customer"].as_object()["external_ref"] = json::value(uint64_t{18446744073709551615u});
  HttpResult r = Post(order);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"("channel_order_ref":"9007199254740993")"));
  EXPECT_THAT(r.body, HasSubstr(R"("external_ref":"18446744073709551615")"));
  HttpResult got = Get("/v1/orders/" + std::string(Body(r)["id"].as_string()));
  EXPECT_THAT(got.body, HasSubstr(R"("channel_order_ref":"9007199254740993")"));
}

TEST_F(IntakeTest, BodiesOverTheLimitAre413) {
  std::string huge = StrCat(R"({"notes":")", std::string(70'000, 'x'), R"("})");
  auto r = client_.Send("POST", "/v1/orders", Auth(kWriterKey), huge);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Header("content-type"), "application/problem+json");
}

TEST_F(IntakeTest, OtherMediaTypesAre415) {
  auto r = client_.Send("POST", "/v1/orders",
                        {{"Authorization", StrCat("Bearer ", kWriterKey)}, {"Content-Type", "text/csv"}},
                        "a,b\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 415);
}

TEST_F(IntakeTest, EveryV1RouteNeedsAKey) {
  for (std::string path : {"/v1/orders", "/v1/orders/ord_x", "/v1/events", "/v1/schemas/order"}) {
    auto none = client_.Get(path);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(none->Header("www-authenticate"), "Bearer realm=\"disthub\"");
    auto wrong = client_.Get(path, {{"Authorization", "Bearer not-a-key"}});
    EXPECT_EQ(wrong->status, 401) << path;
  }
  EXPECT_EQ(PostRaw("{}", "not-a-key").status, 401);
  // Outside /v1 the probes stay open for load balancers and Prometheus.
  EXPECT_EQ(client_.Get("/healthz")->status, 200);
}

TEST_F(IntakeTest, MissingScopesAndForeignChannelsAre403) {
  EXPECT_EQ(Post(Order(), kReaderKey).status, 403);              // read-only key writing
  EXPECT_EQ(Get("/v1/events", kWriterKey).status, 403);          // no events:read
  HttpResult foreign = Post(Order("dtc-web"), kPortalKey);       // b2b-portal's key
  EXPECT_EQ(foreign.status, 403);
  EXPECT_THAT(Body(foreign)["detail"].as_string().c_str(), HasSubstr("dtc-web"));
  EXPECT_EQ(Get("/v1/orders", kHashedKey).status, 200);          // a key configured by digest
}

TEST_F(IntakeTest, AKeyLimitedToAChannelCannotSeeOtherChannelsOrders) {
  HttpResult r = Post(Order("dtc-web"));
  ASSERT_EQ(r.status, 201);
  std::string id(Body(r)["id"].as_string());
  EXPECT_EQ(Get("/v1/orders/" + id, kPortalKey).status, 404);
  EXPECT_EQ(Get("/v1/orders/" + id, kWriterKey).status, 200);
  EXPECT_EQ(Get("/v1/orders?channel=dtc-web", kPortalKey).status, 403);
}

TEST_F(IntakeTest, ListsPageThroughOrdersWithFilters) {
  std::set<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    HttpResult r = Post(Order("b2b-portal"));
    ASSERT_EQ(r.status, 201);
    mine.insert(std::string(Body(r)["id"].as_string()));
  }
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    HttpResult page = Get(StrCat("/v1/orders?channel=b2b-portal&status=received&limit=2",
                                 cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    json::object b = Body(page);
    for (const auto& o : b["orders"].as_array()) {
      EXPECT_EQ(o.at("channel").as_string(), "b2b-portal");
      EXPECT_TRUE(seen.insert(std::string(o.at("id").as_string())).second) << "listed twice";
    }
    cursor = b.contains("next_cursor") ? std::string(b["next_cursor"].as_string()) : "";
    ++pages;
  } while (!cursor.empty() && pages < 1000);
  for (const auto& id : mine) EXPECT_TRUE(seen.count(id)) << id;
}

TEST_F(IntakeTest, BadQueryParametersAre400NamingTheParameter) {
  HttpResult r = Get("/v1/orders?limit=0");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Pointers(r), ::testing::ElementsAre("limit"));
  EXPECT_THAT(Pointers(Get("/v1/orders?status=lost")), ::testing::ElementsAre("status"));
  EXPECT_THAT(Pointers(Get("/v1/orders?colour=red")), ::testing::ElementsAre("colour"));
  EXPECT_THAT(Pointers(Get("/v1/events?after=-1")), ::testing::ElementsAre("after"));
}

TEST_F(IntakeTest, UnknownOrdersAre404AndWrongMethods405) {
  EXPECT_EQ(Get("/v1/orders/ord_00000000000000000000000000").status, 404);
  auto r = client_.Send("DELETE", "/v1/orders/ord_x", Auth(kWriterKey));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("allow"), "GET");
  EXPECT_EQ(Get("/v2/anything").status, 404);
}

TEST_F(IntakeTest, EventLogRecordsEachNewOrderOnceWithCorrelationAndCausation) {
  int64_t before = 0;
  {
    json::object page = Body(Get("/v1/events?limit=1000&after=0"));
    before = page["next_after"].as_int64();
    while (true) {
      json::object next = Body(Get(StrCat("/v1/events?limit=1000&after=", before)));
      if (next["events"].as_array().empty()) break;
      before = next["next_after"].as_int64();
    }
  }
  HttpResult r = Post(Order(), kWriterKey, "event-key");
  ASSERT_EQ(r.status, 201);
  ASSERT_EQ(Post(Order(), kWriterKey, "event-key").status, 422);  // reuse: no event
  std::string id(Body(r)["id"].as_string());
  json::object page = Body(Get(StrCat("/v1/events?after=", before)));
  const auto& events = page["events"].as_array();
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0].as_object();
  EXPECT_EQ(e.at("seq").as_int64(), before + 1);
  EXPECT_EQ(e.at("type").as_string(), "order.received");
  EXPECT_EQ(e.at("subject").as_string(), id);
  EXPECT_EQ(e.at("correlation_id").as_string(), id);
  EXPECT_TRUE(std::string(e.at("causation_id").as_string()).starts_with("msg_"));
  EXPECT_EQ(e.at("payload").at("id").as_string(), id);
}

TEST_F(IntakeTest, PublishesAJsonSchemaPerObject) {
  HttpResult list = Get("/v1/schemas");
  ASSERT_EQ(list.status, 200);
  for (std::string name : {"order", "order_line", "customer", "address", "money", "product",
                           "inventory_position", "fulfillment_order", "shipment", "return",
                           "invoice"}) {
    HttpResult s = Get("/v1/schemas/" + name);
    ASSERT_EQ(s.status, 200) << name;
    EXPECT_EQ(s.Header("content-type"), "application/schema+json");
    EXPECT_EQ(Body(s)["$id"].as_string(), StrCat("https://disthub.dev/schemas/", name, ".json"));
  }
  EXPECT_EQ(Get("/v1/schemas/widget").status, 404);
}

TEST_F(IntakeTest, ProbesAndMetrics) {
  EXPECT_EQ(client_.Get("/readyz")->status, 200);
  ASSERT_EQ(Post(Order()).status, 201);
  auto m = client_.Get("/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status, 200);
  EXPECT_THAT(m->body, HasSubstr("disthub_http_requests_total{method=\"POST\",route=\"/v1/orders\",status=\"201\"}"));
  EXPECT_THAT(m->body, HasSubstr("disthub_http_request_duration_seconds_bucket{"));
  EXPECT_THAT(m->body, HasSubstr("disthub_commit_batch_size_bucket{"));
  EXPECT_THAT(m->body, HasSubstr("disthub_store_commit_duration_seconds_count"));
}

}  // namespace
}  // namespace disthub::testing
