// Alerts when a metric crosses a threshold (the business SLAs of DESIGN.md: order age by
// state, backorders piling up, deliveries stuck, dead letters parked). Rules come from
// configuration (`alerts.rules`); every `interval` each rule's value is read from the
// hub's own metrics — the sum of the family's series that carry the rule's labels — and
//
//   above the threshold for `for_duration`  →  event alert.threshold, state "firing"
//   back at or below it                      →  event alert.threshold, state "resolved"
//
// A rule on a counter (a _total that only grows) compares its increase over the last
// `increase_over` instead of its value, so it resolves once the counter stops growing:
// "more than 5 orders past their promise in the last 10 minutes".
//
// The events go through the outbox like every other: route `alert.*` to the alert
// webhook with a subscriber. The subject is the rule's name, so one rule's alerts reach
// the webhook in order. State lives in memory: after a restart a condition still true
// fires again (once). The gauge disthub_alert_firing{rule} is 1 while a rule fires.
//
//   ThresholdAlerts alerts(&registry, queue, Clock::Real(), {.rules = {...}});
//   alerts.Start();   // or Evaluate() from a test with a fake clock
#pragma once

#include <condition_variable>
#include <deque>
#include <utility>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "observe/metrics.h"
#include "store/commit_queue.h"

namespace disthub {

struct AlertRule {
  std::string name;    // unique: "backorders-piling-up"
  std::string metric;  // a family of the hub's /metrics: "disthub_orders"
  Labels labels;       // series that carry all of these count: {{"status", "backordered"}}
  // How their values combine: false, summed (counts: orders, messages); true, the largest
  // (ages, depths per partner: "the oldest anywhere").
  bool max = false;
  double above = 0;                                    // fires while the value is above this ...
  absl::Duration for_duration = absl::ZeroDuration();  // ... for at least this long
  // Non-zero: the value is the increase over this window (the value now minus the value
  // this long ago; until the rule has been read that long, since its first reading).
  absl::Duration increase_over = absl::ZeroDuration();
  std::string severity = "warning";
  std::string description;  // for people: what it means and what to do
};

struct ThresholdAlertsOptions {
  std::vector<AlertRule> rules;
  absl::Duration interval = absl::Seconds(10);
};

// Thread-safe.
class ThresholdAlerts {
 public:
  // Pointers must outlive the object.
  ThresholdAlerts(Registry* metrics, CommitQueue* queue, const Clock* clock,
                  ThresholdAlertsOptions options);
  ~ThresholdAlerts();  // Stop()

  void Start();
  void Stop();

  // Reads every rule once and submits the events of the rules that changed state; returns
  // how many. Waits until they are committed.
  int Evaluate();

 private:
  struct State {
    bool firing = false;
    absl::Time above_since = absl::InfinitePast();  // InfinitePast: not above
    std::deque<std::pair<absl::Time, double>> history;  // readings, for increase_over
  };

  Registry* const metrics_;
  CommitQueue* const queue_;
  const Clock* const clock_;
  const ThresholdAlertsOptions options_;
  std::mutex eval_mu_;         // one evaluation at a time
  std::vector<State> states_;  // per rule, guarded by eval_mu_
  std::vector<Gauge*> firing_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace disthub
