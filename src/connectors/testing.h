// A fake ConnectorHost for connector tests: records what connectors hand over and answers
// as the hub would (connectors/connector.h), or fails every call with a set status.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "connectors/connector.h"
#include "observe/metrics.h"

namespace disthub::testing {

// Records counts handed over and answers each with the next id (or `fail_with`).
class FakeConnectorHost final : public connectors::ConnectorHost {
 public:
  const Clock& clock() const override { return *Clock::Real(); }
  Registry& metrics() override { return metrics_; }
  // `secrets` when it names the variable (nullopt: unset), else "secret-of-NAME".
  std::optional<std::string> Secret(const std::string& name) const override {
    auto it = secrets.find(name);
    return it != secrets.end() ? it->second : std::optional<std::string>("secret-of-" + name);
  }
  std::map<std::string, std::optional<std::string>> secrets;
  absl::StatusOr<bool> AlreadyReceived(const std::string& source, const std::string& key) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    return received_.count(source + "\n" + key) > 0;
  }
  void SubmitInventoryCount(connectors::InventoryCountMessage count, CountDone done) override {
    absl::Status failure;
    std::string id;
    {
      std::lock_guard lock(mu_);
      failure = fail_with;
      if (failure.ok()) {
        received_.insert(count.source + "\n" + count.key);
        id = StrCat("rec-", static_cast<int64_t>(counts_.size() + 1));
        counts_.push_back(std::move(count));
      }
    }
    if (!failure.ok()) return std::move(done)(failure);
    std::move(done)(id);
  }

  void SubmitOrder(connectors::OrderMessage m, OrderDone done) override {
    connectors::OrderTaken taken;
    absl::Status failure;
    {
      std::lock_guard lock(mu_);
      failure = fail_with;
      if (failure.ok()) {
        auto [it, fresh] = order_ids_.emplace(
            m.source + "\n" + m.key, StrCat("ord-", static_cast<int64_t>(orders_.size() + 1)));
        taken.order_id = it->second;
        taken.duplicate = !fresh;
        if (fresh) orders_.push_back(std::move(m));
      }
    }
    if (!failure.ok()) return std::move(done)(failure);
    std::move(done)(std::move(taken));
  }
  void RecordRefused(std::string source, std::string key, std::string body, std::string reason,
                     Done done) override {
    {
      std::lock_guard lock(mu_);
      refused_.push_back({source, key, reason});
    }
    (void)body;
    std::move(done)(absl::OkStatus());
  }
  absl::StatusOr<std::vector<connectors::HubEvent>> EventsAfter(int64_t after_seq,
                                                                int limit) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::vector<connectors::HubEvent> out;
    for (const connectors::HubEvent& e : events_) {
      if (e.seq > after_seq && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  absl::StatusOr<int64_t> LastEventSeq() override {
    std::lock_guard lock(mu_);
    return events_.empty() ? 0 : events_.back().seq;
  }
  absl::StatusOr<std::optional<Order>> GetOrder(const std::string& order_id) override {
    std::lock_guard lock(mu_);
    if (!fail_with.ok()) return fail_with;
    auto it = stored_orders_.find(order_id);
    return it == stored_orders_.end() ? std::optional<Order>() : std::optional<Order>(it->second);
  }
  void SubmitFulfillment(connectors::FulfillmentMessage m, FulfillmentDone done) override {
    absl::Status failure;
    connectors::FulfillmentTaken taken{.verdict = "applied", .reason = ""};
    {
      std::lock_guard lock(mu_);
      failure = fail_with;
      if (failure.ok()) {
        if (!fulfillment_keys_.insert(m.source + "\n" + m.key).second) {
          taken = {.verdict = "unchanged", .reason = "taken before"};
        } else {
          fulfillments_.push_back(std::move(m));
        }
      }
    }
    if (!failure.ok()) return std::move(done)(failure);
    std::move(done)(std::move(taken));
  }
  void RaiseAlert(std::string type, std::string subject, std::string payload, Done done) override {
    {
      std::lock_guard lock(mu_);
      alerts_.push_back({std::move(type), std::move(subject), std::move(payload)});
    }
    std::move(done)(absl::OkStatus());
  }
  // (type, subject, payload) of each alert raised.
  std::vector<std::vector<std::string>> alerts() const {
    std::lock_guard lock(mu_);
    return alerts_;
  }
  std::vector<connectors::FulfillmentMessage> fulfillments() const {
    std::lock_guard lock(mu_);
    return fulfillments_;
  }

  // Appends an event to the log EventsAfter() reads (its seq the next one), and holds
  // `orders` for GetOrder().
  void AddEvent(std::string type, std::string subject, std::string payload) {
    std::lock_guard lock(mu_);
    const int64_t seq = events_.empty() ? 1 : events_.back().seq + 1;
    events_.push_back({.seq = seq,
                       .type = std::move(type),
                       .subject = std::move(subject),
                       .payload = std::move(payload),
                       .occurred_at = absl::Now()});
  }
  void PutOrder(const Order& order) {
    std::lock_guard lock(mu_);
    stored_orders_[order.id] = order;
  }

  absl::StatusOr<std::string> LoadCursor(const std::string& connector) override {
    std::lock_guard lock(mu_);
    return cursors_[connector];
  }
  void SaveCursor(const std::string& connector, std::string cursor, Done done) override {
    {
      std::lock_guard lock(mu_);
      cursors_[connector] = std::move(cursor);
    }
    std::move(done)(absl::OkStatus());
  }

  std::vector<connectors::OrderMessage> orders() const {
    std::lock_guard lock(mu_);
    return orders_;
  }
  // (source, key, reason) of each message recorded as refused.
  std::vector<std::vector<std::string>> refused() const {
    std::lock_guard lock(mu_);
    return refused_;
  }
  std::string cursor(const std::string& connector) const {
    std::lock_guard lock(mu_);
    auto it = cursors_.find(connector);
    return it == cursors_.end() ? "" : it->second;
  }

  std::vector<connectors::InventoryCountMessage> counts() const {
    std::lock_guard lock(mu_);
    return counts_;
  }
  void SetFailure(absl::Status s) {
    std::lock_guard lock(mu_);
    fail_with = std::move(s);
  }

 private:
  mutable std::mutex mu_;
  absl::Status fail_with;
  std::set<std::string> received_;
  std::vector<connectors::InventoryCountMessage> counts_;
  std::map<std::string, std::string> order_ids_;
  std::vector<connectors::OrderMessage> orders_;
  std::vector<std::vector<std::string>> refused_;
  std::map<std::string, std::string> cursors_;
  std::vector<connectors::HubEvent> events_;
  std::set<std::string> fulfillment_keys_;
  std::vector<connectors::FulfillmentMessage> fulfillments_;
  std::vector<std::vector<std::string>> alerts_;
  std::map<std::string, Order> stored_orders_;
  Registry metrics_;
};

// The settings of `type` with every default filled in; a test sets the rest.
inline connectors::Settings DefaultSettings(const connectors::ConnectorType& type) {
  connectors::Settings s;
  for (const connectors::SettingSpec& spec : type.settings) {
    if (spec.default_value) s.Set(spec.key, *spec.default_value);
  }
  return s;
}

}  // namespace disthub::testing
