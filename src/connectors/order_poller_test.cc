// The rest-order-poller against the SP-API-style marketplace simulator and a fake hub:
// paging, the durable cursor, repeats, the quota, refused orders and an unavailable
// marketplace.
#include "connectors/order_poller.h"

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "base/files.h"
#include "connectors/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/marketplace_sim.h"

namespace disthub::connectors {
namespace {

namespace json = boost::json;
using ::disthub::testing::DefaultSettings;
using ::disthub::testing::FakeConnectorHost;
using ::testing::HasSubstr;

class OrderPoller : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = MarketplaceSim::Start({}, {.page_size = 2, .access_token = "atza|test"});
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    auto text =
        ReadFile(std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/mappings/testdata/amazon-order.json");
    ASSERT_TRUE(text.ok());
    template_ = json::parse(*text).as_object();
    host_.secrets["TEST_AMAZON_TOKEN"] = "atza|test";
  }
  void TearDown() override {
    if (poller_) poller_->Stop();
  }

  // An order of the testdata with its own id and update time (minutes after 10:00).
  void Add(int n, int minute) {
    json::object order = template_.at("order").as_object();
    order["AmazonOrderId"] = StrCat("114-0000000-", 1000000 + n);
    order["LastUpdateDate"] = StrCat("2026-11-27T10:", minute < 10 ? "0" : "", minute, ":00Z");
    sim_->AddOrder(order, template_.at("items").as_array());
  }

  void Make(std::map<std::string, std::string> overrides = {}) {
    Settings s = DefaultSettings(RestOrderPollerType());
    s.Set("url", sim_->url());
    s.Set("channel", "amazon-us");
    s.Set("mapping", std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/mappings/amazon-order.yaml");
    s.Set("token_env", "TEST_AMAZON_TOKEN");
    s.Set("poll_interval_ms", "30");
    s.Set("requests_per_minute", "0");
    for (auto& [k, v] : overrides) s.Set(k, v);
    auto made = RestOrderPollerType().create("amazon-us", s, host_);
    ASSERT_TRUE(made.ok()) << made.status();
    poller_ = *std::move(made);
    ASSERT_TRUE(poller_->Start().ok());
  }

  template <typename Pred>
  bool Eventually(Pred pred, int ms = 10000) {
    for (int i = 0; i < ms / 10; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
  int64_t Stat(const char* group, const char* outcome) {
    json::object d = poller_->Describe();
    return d[group].as_object()[outcome].to_number<int64_t>();
  }

  std::unique_ptr<MarketplaceSim> sim_;
  json::object template_;
  FakeConnectorHost host_;
  std::unique_ptr<Connector> poller_;
};

TEST_F(OrderPoller, ReadsEveryPageTakesEachOrderOnceAndMovesTheCursor) {
  for (int n = 1; n <= 5; ++n) Add(n, n);
  Make();
  ASSERT_TRUE(Eventually([&] { return host_.cursor("amazon-us") == "2026-11-27T10:05:00Z"; }));
  auto orders = host_.orders();
  ASSERT_EQ(orders.size(), 5u);
  EXPECT_EQ(orders[0].source, "amazon-us");
  EXPECT_EQ(orders[0].key, "114-0000000-1000001");
  EXPECT_EQ(orders[0].order.channel, "amazon-us");
  EXPECT_EQ(orders[0].order.channel_order_ref, "114-0000000-1000001");
  EXPECT_EQ(orders[0].order.lines.size(), template_.at("items").as_array().size());
  EXPECT_THAT(orders[0].body, HasSubstr(R"("items":[)"));
  // The first poll: the start cursor, then two more pages by token.
  std::vector<std::string> asked = sim_->ListRequests();
  ASSERT_GE(asked.size(), 3u);
  EXPECT_EQ(asked[0], "/orders/v0/orders?LastUpdatedAfter=1970-01-01T00%3A00%3A00Z");
  EXPECT_THAT(asked[1], HasSubstr("NextToken="));
  EXPECT_THAT(asked[2], HasSubstr("NextToken="));
  // Later polls ask from the cursor; the newest order comes again and is a repeat.
  ASSERT_TRUE(Eventually([&] { return Stat("orders", "duplicate") >= 1; }));
  EXPECT_THAT(sim_->ListRequests().back(), HasSubstr("LastUpdatedAfter=2026-11-27T10%3A05%3A00Z"));
  Add(6, 30);
  ASSERT_TRUE(Eventually([&] { return host_.orders().size() == 6; }));
  ASSERT_TRUE(Eventually([&] { return host_.cursor("amazon-us") == "2026-11-27T10:30:00Z"; }));
  EXPECT_EQ(Stat("orders", "created"), 6);
}

TEST_F(OrderPoller, ABacklogLongerThanOnePollGoesOnByTokenAndThenMovesTheCursor) {
  for (int n = 1; n <= 7; ++n) Add(n, n);
  Make({{"max_pages_per_poll", "1"}});
  ASSERT_TRUE(Eventually([&] { return host_.cursor("amazon-us") == "2026-11-27T10:07:00Z"; }));
  EXPECT_EQ(host_.orders().size(), 7u);
  // Polls 2 to 4 went on by token rather than starting over from the start cursor.
  std::vector<std::string> asked = sim_->ListRequests();
  ASSERT_GE(asked.size(), 4u);
  EXPECT_THAT(asked[1], HasSubstr("NextToken="));
  EXPECT_THAT(asked[3], HasSubstr("NextToken="));
  EXPECT_EQ(Stat("orders", "created"), 7);
}

TEST_F(OrderPoller, ARestartGoesOnFromTheSavedCursor) {
  for (int n = 1; n <= 3; ++n) Add(n, n);
  Make();
  ASSERT_TRUE(Eventually([&] { return host_.cursor("amazon-us") == "2026-11-27T10:03:00Z"; }));
  poller_->Stop();
  const size_t asked = sim_->ListRequests().size();
  Make();
  ASSERT_TRUE(Eventually([&] { return sim_->ListRequests().size() > asked; }));
  EXPECT_EQ(sim_->ListRequests()[asked],
            "/orders/v0/orders?LastUpdatedAfter=2026-11-27T10%3A03%3A00Z");
  EXPECT_EQ(host_.orders().size(), 3u);
}

TEST_F(OrderPoller, TheQuotaIsKeptAndA429WaitsItsRetryAfter) {
  for (int n = 1; n <= 4; ++n) Add(n, n);
  PartnerFaults faults;
  faults.quota = {.rate = 4, .burst = 2, .retry_after_seconds = 1};
  ASSERT_TRUE(sim_->partner().SetFaults(faults).ok());
  Make({{"requests_per_minute", "600"}, {"burst", "20"}});  // more than the quota allows
  ASSERT_TRUE(Eventually([&] { return host_.orders().size() == 4; }, 20000));
  EXPECT_GT(Stat("requests", "throttled"), 0);
  EXPECT_GT(sim_->partner().Stats().faults.quota, 0);
}

TEST_F(OrderPoller, AnOrderTheMappingRefusesIsRecordedWithItsReasonAndTheRestGoOn) {
  Add(1, 1);
  json::object bad = template_.at("order").as_object();
  bad["AmazonOrderId"] = "114-0000000-1000002";
  bad["LastUpdateDate"] = "2026-11-27T10:02:00Z";
  bad.erase("PurchaseDate");
  sim_->AddOrder(bad, template_.at("items").as_array());
  Add(3, 3);
  Make();
  ASSERT_TRUE(Eventually([&] { return host_.cursor("amazon-us") == "2026-11-27T10:03:00Z"; }));
  EXPECT_EQ(host_.orders().size(), 2u);
  auto refused = host_.refused();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0][1], "114-0000000-1000002");
  EXPECT_THAT(refused[0][2], HasSubstr("amazon-order v1: rule placed_at: is missing"));
  EXPECT_THAT(std::string(poller_->Describe()["last_error"].as_string()),
              HasSubstr("114-0000000-1000002 refused"));
}

TEST_F(OrderPoller, WhileTheMarketplaceFailsTheCursorStays) {
  for (int n = 1; n <= 2; ++n) Add(n, n);
  PartnerFaults faults;
  faults.error_rate = 1;
  ASSERT_TRUE(sim_->partner().SetFaults(faults).ok());
  Make();
  ASSERT_TRUE(Eventually([&] {
    json::object d = poller_->Describe();
    return d.contains("last_error") && Stat("requests", "failed") >= 2;
  }));
  EXPECT_EQ(host_.cursor("amazon-us"), "");
  EXPECT_TRUE(host_.orders().empty());
  ASSERT_TRUE(sim_->partner().SetFaults({}).ok());
  ASSERT_TRUE(Eventually([&] { return host_.orders().size() == 2; }));
}

TEST_F(OrderPoller, AWrongTokenOrAMissingVariableIsClear) {
  host_.secrets["TEST_AMAZON_TOKEN_UNSET"] = std::nullopt;
  Settings s = DefaultSettings(RestOrderPollerType());
  s.Set("url", sim_->url());
  s.Set("channel", "amazon-us");
  s.Set("mapping", std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/mappings/amazon-order.yaml");
  s.Set("token_env", "TEST_AMAZON_TOKEN_UNSET");
  auto made = RestOrderPollerType().create("amazon-us", s, host_);
  EXPECT_EQ(made.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(made.status().message()), HasSubstr("TEST_AMAZON_TOKEN_UNSET"));

  host_.secrets["TEST_AMAZON_TOKEN"] = "wrong";
  Add(1, 1);
  Make();
  ASSERT_TRUE(Eventually([&] {
    json::object d = poller_->Describe();
    return d.contains("last_error") &&
           std::string(d["last_error"].as_string()).find("403") != std::string::npos;
  }));
  EXPECT_TRUE(host_.orders().empty());
}

}  // namespace
}  // namespace disthub::connectors
