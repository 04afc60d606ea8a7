#include "events/threshold_alerts.h"

#include <boost/json.hpp>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

namespace json = boost::json;

// Threshold alerts against the real store and writer, with a fake clock.
class ThresholdAlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-alerts-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = OpenSqliteStore({.path = dir_ + "/hub.db", .synchronous = "normal"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    queue_ = std::make_unique<CommitQueue>(store_.get(), CommitQueueOptions{});
    backordered_ = metrics_.Gauge("disthub_orders", "", {{"status", "backordered"}});
    metrics_.Gauge("disthub_orders", "", {{"status", "released"}})->Set(500);
  }
  void TearDown() override {
    alerts_.reset();
    queue_->Close();
    queue_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Make(std::vector<AlertRule> rules) {
    alerts_ = std::make_unique<ThresholdAlerts>(&metrics_, queue_.get(), &clock_,
                                                ThresholdAlertsOptions{.rules = std::move(rules)});
  }
  std::vector<json::object> Alerts() {
    auto e = store_->QueryEvents({.types = {"alert.threshold"}, .limit = 100});
    std::vector<json::object> out;
    if (e.ok()) {
      for (const EventRecord& r : *e) out.push_back(json::parse(r.payload).as_object());
    }
    return out;
  }

  std::string dir_;
  FakeClock clock_;
  Registry metrics_;
  Gauge* backordered_ = nullptr;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitQueue> queue_;
  std::unique_ptr<ThresholdAlerts> alerts_;
};

TEST_F(ThresholdAlertsTest, FiresAfterStayingAboveThenResolvesOnce) {
  Make({{.name = "backorders",
         .metric = "disthub_orders",
         .labels = {{"status", "backordered"}},
         .above = 100,
         .for_duration = absl::Minutes(5)}});
  backordered_->Set(150);
  EXPECT_EQ(alerts_->Evaluate(), 0);  // above, not for long enough yet
  clock_.Advance(absl::Minutes(4));
  EXPECT_EQ(alerts_->Evaluate(), 0);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(alerts_->Evaluate(), 1);
  EXPECT_EQ(alerts_->Evaluate(), 0);  // still firing: said once
  EXPECT_NE(metrics_.Render().find("disthub_alert_firing{rule=\"backorders\"} 1"),
            std::string::npos);
  backordered_->Set(100);  // at the threshold is not above it
  EXPECT_EQ(alerts_->Evaluate(), 1);
  auto alerts = Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].at("state"), "firing");
  EXPECT_EQ(alerts[0].at("value").to_number<double>(), 150);
  EXPECT_EQ(alerts[0].at("threshold").to_number<double>(), 100);
  EXPECT_EQ(alerts[0].at("rule"), "backorders");
  EXPECT_EQ(alerts[1].at("state"), "resolved");
  EXPECT_NE(metrics_.Render().find("disthub_alert_firing{rule=\"backorders\"} 0"),
            std::string::npos);
}

TEST_F(ThresholdAlertsTest, ABlipShorterThanTheWindowDoesNotFire) {
  Make({{.name = "backorders",
         .metric = "disthub_orders",
         .labels = {{"status", "backordered"}},
         .above = 100,
         .for_duration = absl::Minutes(5)}});
  backordered_->Set(150);
  alerts_->Evaluate();
  clock_.Advance(absl::Minutes(3));
  backordered_->Set(10);
  alerts_->Evaluate();
  clock_.Advance(absl::Minutes(3));
  backordered_->Set(150);
  EXPECT_EQ(alerts_->Evaluate(), 0);  // the window starts again
  EXPECT_TRUE(Alerts().empty());
}

TEST_F(ThresholdAlertsTest, ACounterRuleComparesItsIncreaseOverTheWindowAndResolves) {
  Counter* past_promise = metrics_.Counter("disthub_orders_past_promise_total", "");
  past_promise->Inc(40);  // before the hub's alerts started: not an increase
  Make({{.name = "promises-missed",
         .metric = "disthub_orders_past_promise_total",
         .above = 5,
         .increase_over = absl::Minutes(10)}});
  EXPECT_EQ(alerts_->Evaluate(), 0);
  clock_.Advance(absl::Minutes(2));
  past_promise->Inc(4);
  EXPECT_EQ(alerts_->Evaluate(), 0);  // 4 in the window
  clock_.Advance(absl::Minutes(2));
  past_promise->Inc(3);
  EXPECT_EQ(alerts_->Evaluate(), 1);  // 7 in the window: fires
  // The counter stops growing; once the growth leaves the window the alert resolves.
  clock_.Advance(absl::Minutes(7));   // t=11 min: the window (from t=1) still holds 7
  EXPECT_EQ(alerts_->Evaluate(), 0);
  clock_.Advance(absl::Minutes(2));   // t=13: from the last reading before t=3 (44): 3
  EXPECT_EQ(alerts_->Evaluate(), 1);
  auto alerts = Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].at("state"), "firing");
  EXPECT_EQ(alerts[0].at("value").to_number<double>(), 7);
  EXPECT_EQ(alerts[0].at("increase_over_seconds").to_number<double>(), 600);
  EXPECT_EQ(alerts[1].at("state"), "resolved");
  EXPECT_EQ(alerts[1].at("value").to_number<double>(), 3);
}

TEST_F(ThresholdAlertsTest, AgesTakeTheLargestSeriesNotTheirSum) {
  Make({{.name = "oldest", .metric = "disthub_orders", .max = true, .above = 400}});
  backordered_->Set(150);  // 150 and 500: the largest is 500
  EXPECT_EQ(alerts_->Evaluate(), 1);
  auto alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].at("value").as_int64(), 500);  // whole numbers stay integers
  EXPECT_EQ(alerts[0].at("aggregate"), "max");
}

TEST_F(ThresholdAlertsTest, LabelsSelectSeriesAndAbsentMetricsReadZero) {
  Make({{.name = "all-orders", .metric = "disthub_orders", .above = 600},
        {.name = "nothing-here", .metric = "disthub_no_such_metric", .above = -1}});
  backordered_->Set(150);             // 150 + 500 released
  EXPECT_EQ(alerts_->Evaluate(), 2);  // 650 > 600; an absent family reads 0 > -1
  auto alerts = Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].at("value").to_number<double>(), 650);
}

}  // namespace
}  // namespace disthub
