#include "events/threshold_alerts.h"

#include <boost/json.hpp>
#include <algorithm>
#include <cmath>
#include <future>
#include <memory>

#include "base/strings.h"
#include "base/thread_name.h"
#include "spdlog/spdlog.h"

namespace disthub {
namespace {

namespace json = boost::json;

// Appends the alert events in one transaction.
class AppendAlerts final : public WriteOp {
 public:
  explicit AppendAlerts(std::vector<EventRecord> events) : events_(std::move(events)) {}
  absl::Status Apply(WriteTxn& txn) override {
    for (const EventRecord& e : events_) {
      absl::StatusOr<int64_t> seq = txn.AppendEvent(e);
      if (!seq.ok()) return seq.status();
    }
    return absl::OkStatus();
  }
  void Done(absl::Status status) override { done_.set_value(std::move(status)); }
  std::future<absl::Status> Result() { return done_.get_future(); }

 private:
  std::vector<EventRecord> events_;
  std::promise<absl::Status> done_;
};

// Whole numbers as integers ("150", not "1.5E2"), for the people reading the webhook.
json::value Number(double v) {
  if (std::abs(v) < 9e15 && v == std::floor(v)) return json::value(static_cast<int64_t>(v));
  return json::value(v);
}

}  // namespace

ThresholdAlerts::ThresholdAlerts(Registry* metrics, CommitQueue* queue, const Clock* clock,
                                 ThresholdAlertsOptions options)
    : metrics_(metrics), queue_(queue), clock_(clock), options_(std::move(options)) {
  states_.resize(options_.rules.size());
  for (const AlertRule& r : options_.rules) {
    firing_.push_back(metrics_->Gauge("disthub_alert_firing",
                                      "1 while the threshold alert rule fires (alerts.rules).",
                                      {{"rule", r.name}}));
  }
}

ThresholdAlerts::~ThresholdAlerts() { Stop(); }

int ThresholdAlerts::Evaluate() {
  std::lock_guard<std::mutex> lock(eval_mu_);
  const absl::Time now = clock_->Now();
  std::vector<EventRecord> events;
  std::vector<std::pair<size_t, bool>> changes;  // rule, firing after
  for (size_t i = 0; i < options_.rules.size(); ++i) {
    const AlertRule& rule = options_.rules[i];
    State& st = states_[i];
    double value = metrics_->Sum(rule.metric, rule.labels, rule.max).value_or(0);
    if (rule.increase_over > absl::ZeroDuration()) {
      // Keep one reading at or before the window's start, and every one after it.
      st.history.emplace_back(now, value);
      while (st.history.size() > 2 && st.history[1].first <= now - rule.increase_over) {
        st.history.pop_front();
      }
      value = std::max(0.0, value - st.history.front().second);  // a reset counts as none
    }
    const bool above = value > rule.above;
    if (above && st.above_since == absl::InfinitePast()) st.above_since = now;
    if (!above) st.above_since = absl::InfinitePast();
    const bool fire = above && now - st.above_since >= rule.for_duration;
    if (fire == st.firing) continue;
    json::object labels;
    for (const auto& [k, v] : rule.labels) labels[k] = v;
    json::object payload{{"rule", rule.name},
                         {"state", fire ? "firing" : "resolved"},
                         {"severity", rule.severity},
                         {"metric", rule.metric},
                         {"labels", std::move(labels)},
                         {"aggregate", rule.max ? "max" : "sum"},
                         {"value", Number(value)},
                         {"threshold", Number(rule.above)},
                         {"description", rule.description}};
    if (fire) payload["since"] = disthub::FormatTime(st.above_since);
    if (rule.increase_over > absl::ZeroDuration()) {
      payload["increase_over_seconds"] = Number(absl::ToDoubleSeconds(rule.increase_over));
    }
    events.push_back({.type = "alert.threshold",
                      .subject = rule.name,
                      .correlation_id = rule.name,
                      .causation_id = StrCat("alert-rule:", rule.name),
                      .occurred_at = now,
                      .recorded_at = now,
                      .payload = json::serialize(payload)});
    changes.emplace_back(i, fire);
  }
  if (events.empty()) return 0;
  auto op = std::make_unique<AppendAlerts>(std::move(events));
  std::future<absl::Status> result = op->Result();
  const int n = static_cast<int>(changes.size());
  if (absl::Status s = queue_->Submit(std::move(op)); !s.ok()) {
    spdlog::warn("threshold alerts: not recorded, tried again next time: {}", s.ToString());
    return 0;
  }
  if (absl::Status s = result.get(); !s.ok()) {
    spdlog::warn("threshold alerts: not recorded, tried again next time: {}", s.ToString());
    return 0;
  }
  for (const auto& [i, fire] : changes) {
    states_[i].firing = fire;
    firing_[i]->Set(fire ? 1 : 0);
    spdlog::info("alert {} {}", options_.rules[i].name, fire ? "firing" : "resolved");
  }
  return n;
}

void ThresholdAlerts::Start() {
  if (options_.rules.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    NameThisThread("dh-alerts");
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      Evaluate();
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval),
                   [this] { return stopping_; });
    }
  });
}

void ThresholdAlerts::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace disthub
