// An Amazon store polled by the real `disthub serve` (a rest-order-poller connector
// against the SP-API-style marketplace simulator): its orders come in once each, an order
// the hub refuses is archived with the reason, and after a kill -9 the poller goes on
// from its saved cursor. A refused order is archived and parked as a dead letter.
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub_process.h"
#include "sim/marketplace_sim.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

class PolledStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = MarketplaceSim::Start({}, {.page_size = 2, .access_token = "atza|it"});
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    auto text = ReadFile(SourcePath("mappings/testdata/amazon-order.json"));
    ASSERT_TRUE(text.ok());
    template_ = json::parse(*text).as_object();
    // SKUs of Harbor's catalog, which the hub checks orders against.
    json::array& items = template_["items"].as_array();
    items[0].as_object()["SellerSKU"] = "HS-10001";
    items[1].as_object()["SellerSKU"] = "HS-10002";
    setenv("TEST_AMAZON_IT_TOKEN", "atza|it", 1);
    hub_ = std::make_unique<HubProcess>(StrCat(R"(
connectors:
  - name: amazon-us
    type: rest-order-poller
    url: )",
                                               sim_->url(), R"(
    token_env: TEST_AMAZON_IT_TOKEN
    mapping: )",
                                               SourcePath("mappings/amazon-order.yaml"), R"(
    channel: amazon-us
    poll_interval_ms: 50
    requests_per_minute: 0
)"),
                                        "", "  - name: amazon-us\n");
  }

  void Add(int n, int minute, const std::string& sku = "") {
    json::object order = template_.at("order").as_object();
    order["AmazonOrderId"] = StrCat("114-7000000-", 1000000 + n);
    order["LastUpdateDate"] = StrCat("2026-11-27T11:", minute < 10 ? "0" : "", minute, ":00Z");
    json::array items = template_.at("items").as_array();
    if (!sku.empty()) items[0].as_object()["SellerSKU"] = sku;
    sim_->AddOrder(order, items);
  }
  json::object Get(const std::string& path, const char* key) {
    HttpClient client(hub_->url(), 10);
    auto r = client.Get(path, {{"Authorization", StrCat("Bearer ", key)}});
    EXPECT_TRUE(r.ok() && r->status == 200) << path << (r.ok() ? r->body : "");
    boost::system::error_code ec;
    json::value v = json::parse(r.ok() ? r->body : "", ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }
  size_t Orders() {
    json::object page = Get("/v1/orders?channel=amazon-us&limit=100", kReaderKey);
    return page.contains("orders") ? page["orders"].as_array().size() : 0;
  }
  template <typename Pred>
  bool Eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  std::unique_ptr<MarketplaceSim> sim_;
  json::object template_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(PolledStoreTest, OrdersComeInOnceRefusalsAreKeptAndAKilledHubGoesOnFromItsCursor) {
  Add(1, 1);
  Add(2, 2, "NO-SUCH-SKU");
  Add(3, 3);
  ASSERT_TRUE(hub_->Start().ok()) << hub_->Stderr();
  ASSERT_TRUE(Eventually([&] { return Orders() == 2; })) << hub_->Stderr();
  ASSERT_TRUE(Eventually([&] {
    json::object c = Get("/v1/connectors", kReaderKey)["items"].as_array()[0].as_object();
    return c["cursor"] == "2026-11-27T11:03:00Z";
  }));
  json::object order =
      Get("/v1/orders?channel=amazon-us&limit=100", kReaderKey)["orders"].as_array()[0].as_object();
  EXPECT_EQ(order["channel"], "amazon-us");

  // The refused order is archived from the connector, with the hub's reason.
  json::object inbound = Get("/v1/inbound?source=amazon-us", kOpsKey);
  int rejected = 0;
  for (const json::value& m : inbound["messages"].as_array()) {
    if (m.at("outcome") == "rejected") {
      ++rejected;
      EXPECT_EQ(m.at("key"), "114-7000000-1000002");
      EXPECT_THAT(std::string(m.at("result").as_string()), HasSubstr("#/lines/0/sku"));
    }
  }
  EXPECT_EQ(rejected, 1) << json::serialize(inbound);
  // ... and parked as an inbound dead letter pointing at the archived message.
  json::array dead = Get("/v1/dead-letters?kind=inbound", kOpsKey)["dead_letters"].as_array();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("partner"), "amazon-us");
  EXPECT_EQ(dead[0].at("cause"), "unmappable");
  EXPECT_EQ(dead[0].at("subject"), "114-7000000-1000002");
  EXPECT_THAT(std::string(dead[0].at("reason").as_string()), HasSubstr("#/lines/0/sku"));

  // Reprocessing maps the refused order through the poller's mapping again: still refused
  // for its SKU. A candidate mapping that translates the partner's SKU would take it.
  int64_t refused_id = 0;
  for (const json::value& m : inbound["messages"].as_array()) {
    if (m.at("outcome") == "rejected") refused_id = m.at("id").as_int64();
  }
  ASSERT_GT(refused_id, 0);
  HttpClient ops(hub_->url(), 10);
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", StrCat("Bearer ", kOpsKey)}, {"Content-Type", "application/json"}};
  auto again = ops.Send("POST", StrCat("/v1/inbound/", refused_id, "/reprocess"), auth, "");
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->body, HasSubstr(R"("outcome":"invalid")"));
  EXPECT_THAT(again->body, HasSubstr("#/lines/0/sku"));
  auto text = ReadFile(SourcePath("mappings/amazon-order.yaml"));
  ASSERT_TRUE(text.ok());
  std::string candidate = *text;
  const std::string sku_rule = "sku: {path: SellerSKU}";
  ASSERT_NE(candidate.find(sku_rule), std::string::npos);
  candidate.replace(candidate.find(sku_rule), sku_rule.size(),
                    "sku: {path: SellerSKU, table: skus}");
  candidate.replace(
      candidate.find("tables:"), 7,
      "tables:\n  skus: {HS-10001: HS-10001, HS-10002: HS-10002, NO-SUCH-SKU: HS-10003}");
  auto plan =
      ops.Send("POST", "/v1/inbound/reprocess", auth,
               json::serialize(json::object{{"source", "amazon-us"}, {"mapping", candidate}}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->status, 200) << plan->body;
  EXPECT_EQ(json::parse(plan->body).at("counts"), (json::object{{"unchanged", 2}, {"new", 1}}))
      << plan->body;

  // kill -9; a new order meanwhile; the restarted hub asks from the saved cursor.
  hub_->Kill();
  const size_t asked = sim_->ListRequests().size();
  Add(4, 40);
  ASSERT_TRUE(hub_->Start().ok()) << hub_->Stderr();
  ASSERT_TRUE(Eventually([&] { return Orders() == 3; })) << hub_->Stderr();
  ASSERT_GT(sim_->ListRequests().size(), asked);
  EXPECT_EQ(sim_->ListRequests()[asked],
            "/orders/v0/orders?LastUpdatedAfter=2026-11-27T11%3A03%3A00Z");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // more polls: nothing doubles
  EXPECT_EQ(Orders(), 3u);
}

}  // namespace
}  // namespace disthub::testing
