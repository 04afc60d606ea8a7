#include "events/deliverer.h"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "events/event_json.h"
#include "spdlog/spdlog.h"

namespace disthub {
namespace {

// Response bodies are kept only this far, for the dead letter's reason.
constexpr size_t kMaxResponseBytes = 512;

// One finished attempt, to be written to the store.
struct Result {
  OutboxUpdate update;
  std::optional<DeliveryAttemptRecord> attempt;  // failures, and a success after failures
  std::optional<DeadLetterRecord> dead_letter;
};

// Applies a batch of delivery results in the writer's transaction.
class ResultsOp final : public WriteOp {
 public:
  explicit ResultsOp(std::vector<Result> results) : results_(std::move(results)) {}
  absl::Status Apply(WriteTxn& txn) override {
    for (const Result& r : results_) {
      DISTHUB_RETURN_IF_ERROR(txn.UpdateOutbox(r.update));
      if (r.attempt) DISTHUB_RETURN_IF_ERROR(txn.InsertDeliveryAttempt(*r.attempt));
      if (r.dead_letter) DISTHUB_RETURN_IF_ERROR(txn.InsertDeadLetter(*r.dead_letter).status());
    }
    return absl::OkStatus();
  }
  void Done(absl::Status status) override {
    if (!status.ok()) {
      // The messages stay as they were in the store; after a restart they are sent
      // again with the same keys, so nothing is lost.
      spdlog::warn("delivery: recording {} outcomes failed: {}", results_.size(),
                   status.ToString());
    }
  }

 private:
  std::vector<Result> results_;
};

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t bytes = size * n;
  if (out->size() < kMaxResponseBytes) {
    out->append(data, std::min(bytes, kMaxResponseBytes - out->size()));
  }
  return bytes;
}

size_t CollectRetryAfter(char* data, size_t size, size_t n, void* user) {
  size_t bytes = size * n;
  std::string_view line(data, bytes);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string lower(line.substr(0, kName.size()));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == kName) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.remove_suffix(1);
      *static_cast<std::string*>(user) = std::string(v);
    }
  }
  return bytes;
}

std::string TransportCause(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return "connect";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return "reset";
    default:
      return "network";
  }
}

}  // namespace

struct Deliverer::Impl {
  // A message waiting or in flight.
  struct Msg {
    OutboxRecord record;
    EventRecord event;
    int failures = 0;  // attempts that failed (429s excluded): bounded by max_attempts
  };

  struct Sub;

  // One HTTP attempt in flight.
  struct Transfer {
    CURL* easy = nullptr;
    Sub* sub = nullptr;
    int64_t id = 0;
    std::string body;
    std::string response;
    std::string retry_after;
    curl_slist* headers = nullptr;
    absl::Time started;
    bool probe = false;
  };

  // Metrics of one (subscriber, message type).
  struct TypeMetrics {
    Histogram* latency;
    Counter* delivered;
    Counter* dead;
    std::map<std::string, Counter*> failures;  // by cause
    std::map<std::string, Counter*> attempts;  // by outcome
  };

  struct Sub {
    SubscriberConfig config;
    TokenBucket bucket;
    CircuitBreaker circuit;
    // Messages ready to try, by (due time, id). With `ordered`, only the head of each
    // subject's line is here.
    std::priority_queue<std::pair<absl::Time, int64_t>, std::vector<std::pair<absl::Time, int64_t>>,
                        std::greater<>>
        ready;
    std::unordered_map<std::string, std::deque<int64_t>> lines;  // by subject (ordered)
    std::unordered_map<int64_t, Msg> msgs;                         // waiting or in flight
    int in_flight = 0;
    std::vector<CURL*> idle_handles;
    std::map<std::string, TypeMetrics> by_type;
    Gauge* circuit_gauge = nullptr;
    Gauge* in_flight_gauge = nullptr;
    Gauge* waiting_gauge = nullptr;
    Gauge* oldest_gauge = nullptr;
    std::atomic<int64_t> delivered_total{0}, dead_total{0}, waiting_now{0}, in_flight_now{0};
    std::atomic<int> circuit_now{0};

    Sub(SubscriberConfig c, absl::Time now)
        : config(std::move(c)),
          bucket(config.policy.rate_per_second, config.policy.burst, now),
          circuit(config.policy.circuit) {}
  };

  Store* store;
  CommitQueue* queue;
  Registry* metrics;
  Clock* clock;
  DelivererOptions options;
  std::mt19937_64 rng;

  std::vector<std::unique_ptr<Sub>> subs;
  std::unordered_map<std::string, Sub*> sub_by_name;
  CURLM* multi = nullptr;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> wake{true};
  int64_t loaded_through = 0;  // highest outbox id loaded
  int64_t in_memory = 0;
  std::vector<Result> results;  // written at the end of each loop turn
  std::unordered_set<Transfer*> transfers;  // in flight, owned

  mutable std::mutex requeue_mu;
  std::vector<int64_t> requeue;  // guarded by requeue_mu

  Histogram* batch_hist = nullptr;

  Impl(Store* s, CommitQueue* q, Registry* m, Clock* c, DelivererOptions o)
      : store(s), queue(q), metrics(m), clock(c), options(std::move(o)) {
    rng.seed(options.seed != 0 ? options.seed
                               : static_cast<uint64_t>(absl::ToUnixNanos(clock->Now())));
    absl::Time now = clock->Now();
    for (const SubscriberConfig& cfg : options.subscribers) {
      auto sub = std::make_unique<Sub>(cfg, now);
      Labels l{{"subscriber", cfg.name}};
      sub->circuit_gauge = metrics->Gauge("disthub_delivery_circuit_state",
                                          "Circuit breaker: 0 closed, 1 half-open, 2 open.", l);
      sub->in_flight_gauge =
          metrics->Gauge("disthub_delivery_in_flight", "Delivery attempts in flight.", l);
      sub->waiting_gauge = metrics->Gauge("disthub_outbox_waiting",
                                          "Outbox messages loaded and waiting to be delivered.", l);
      sub->oldest_gauge =
          metrics->Gauge("disthub_outbox_oldest_undelivered_age_seconds",
                         "Age of the oldest message not yet delivered (0 when none).", l);
      sub_by_name[cfg.name] = sub.get();
      subs.push_back(std::move(sub));
    }
  }

  TypeMetrics& MetricsFor(Sub& sub, const std::string& type) {
    auto it = sub.by_type.find(type);
    if (it != sub.by_type.end()) return it->second;
    Labels l{{"subscriber", sub.config.name}, {"type", type}};
    TypeMetrics m{
        .latency = metrics->Histogram("disthub_delivery_latency_seconds",
                                      "From commit of the change to the partner's acknowledgement.",
                                      l, LatencyBuckets()),
        .delivered = metrics->Counter("disthub_delivered_total", "Messages delivered.", l),
        .dead = metrics->Counter("disthub_dead_lettered_total",
                                 "Messages parked as dead letters.", l),
    };
    return sub.by_type.emplace(type, std::move(m)).first->second;
  }

  void CountAttempt(Sub& sub, const std::string& type, const std::string& cause) {
    TypeMetrics& m = MetricsFor(sub, type);
    auto it = m.attempts.find(cause);
    if (it == m.attempts.end()) {
      Labels l{{"subscriber", sub.config.name}, {"type", type}, {"cause", cause}};
      it = m.attempts
               .emplace(cause, metrics->Counter("disthub_delivery_attempts_total",
                                                "Delivery attempts by outcome cause.", l))
               .first;
    }
    it->second->Inc();
    if (cause != "ok") {
      auto f = m.failures.find(cause);
      if (f == m.failures.end()) {
        Labels l{{"subscriber", sub.config.name}, {"type", type}, {"cause", cause}};
        f = m.failures
                .emplace(cause, metrics->Counter("disthub_delivery_failures_total",
                                                 "Failed delivery attempts by cause.", l))
                .first;
      }
      f->second->Inc();
    }
  }

  // Adds a loaded message to its subscriber's lines.
  void Add(Msg msg, absl::Time now) {
    auto it = sub_by_name.find(msg.record.subscriber);
    if (it == sub_by_name.end()) return;  // a subscriber no longer configured: left pending
    Sub& sub = *it->second;
    const int64_t id = msg.record.id;
    if (sub.msgs.count(id) != 0) return;
    absl::Time due = std::max(msg.record.next_attempt_at, absl::InfinitePast());
    msg.failures = msg.record.attempts;
    bool head = true;
    if (sub.config.policy.ordered) {
      auto& line = sub.lines[msg.record.subject];
      // Requeued messages may be older than the line's head: keep the line sorted.
      auto pos = std::lower_bound(line.begin(), line.end(), id);
      head = pos == line.begin();
      if (head && !line.empty()) {
        // The old head is displaced. It stays in `ready`, but Pump() skips entries that
        // are not their line's head.
      }
      line.insert(pos, id);
    }
    sub.msgs.emplace(id, std::move(msg));
    ++in_memory;
    if (head) sub.ready.emplace(std::max(due, now - absl::Hours(24 * 365)), id);
  }

  void LoadNew() {
    while (in_memory < options.max_in_memory) {
      int limit = static_cast<int>(std::min<int64_t>(options.load_batch,
                                                     options.max_in_memory - in_memory));
      auto page = store->PendingOutbox(loaded_through, limit);
      if (!page.ok()) {
        spdlog::warn("delivery: reading the outbox failed: {}", page.status().ToString());
        return;
      }
      absl::Time now = clock->Now();
      for (OutboxMessage& m : *page) {
        loaded_through = std::max(loaded_through, m.record.id);
        Add(Msg{.record = std::move(m.record), .event = std::move(m.event)}, now);
      }
      if (static_cast<int>(page->size()) < limit) return;
    }
  }

  void LoadRequeued() {
    std::vector<int64_t> ids;
    {
      std::lock_guard<std::mutex> lock(requeue_mu);
      ids.swap(requeue);
    }
    absl::Time now = clock->Now();
    for (int64_t id : ids) {
      auto rec = store->GetOutbox(id);
      if (!rec.ok() || !rec->has_value() || (*rec)->state != "pending") continue;
      auto events = store->QueryEvents({.after = (*rec)->event_seq - 1,
                                        .to_seq = (*rec)->event_seq, .limit = 1});
      Msg msg{.record = **rec};
      if (events.ok() && !events->empty()) msg.event = events->front();
      Add(std::move(msg), now);
    }
  }

  bool IsHead(Sub& sub, const Msg& msg) {
    if (!sub.config.policy.ordered) return true;
    auto it = sub.lines.find(msg.record.subject);
    return it != sub.lines.end() && !it->second.empty() && it->second.front() == msg.record.id;
  }

  // Starts as many attempts as the policy allows now; returns when to look again.
  absl::Time Pump(Sub& sub, absl::Time now) {
    absl::Time next = absl::InfiniteFuture();
    while (!sub.ready.empty()) {
      auto [due, id] = sub.ready.top();
      auto it = sub.msgs.find(id);
      if (it == sub.msgs.end() || !IsHead(sub, it->second)) {
        sub.ready.pop();  // stale entry: delivered, dead, or displaced as head
        continue;
      }
      if (due > now) return std::min(next, due);
      if (sub.in_flight >= sub.config.policy.concurrency) return next;
      if (!sub.circuit.Allow(now)) {
        return std::min(next, sub.circuit.NextAllowed(now));
      }
      bool probe = sub.circuit.state() == CircuitBreaker::State::kHalfOpen;
      if (!sub.bucket.TryTake(now)) {
        if (probe) sub.circuit.OnNeutral();  // give the probe slot back
        return std::min(next, sub.bucket.NextAvailable(now));
      }
      sub.ready.pop();
      StartTransfer(sub, it->second, now, probe);
    }
    return next;
  }

  void StartTransfer(Sub& sub, Msg& msg, absl::Time now, bool probe) {
    auto* t = new Transfer();
    t->sub = &sub;
    t->id = msg.record.id;
    t->started = now;
    t->probe = probe;
    if (!msg.record.body.empty()) {
      t->body = msg.record.body;
    } else {
      AppendEventJson(msg.event, t->body);
    }
    if (!sub.idle_handles.empty()) {
      t->easy = sub.idle_handles.back();
      sub.idle_handles.pop_back();
    } else {
      t->easy = curl_easy_init();
    }
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, sub.config.url.c_str());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(sub.config.policy.connect_timeout)));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(sub.config.policy.timeout)));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CollectBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->response);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CollectRetryAfter);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t->retry_after);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    const int attempt = msg.record.attempts + 1;
    for (const std::string& h :
         {std::string("Content-Type: application/json"), std::string("Expect:"),
          StrCat(sub.config.key_header, ": ", msg.record.key),
          StrCat("X-Disthub-Message-Type: ", msg.record.message_type),
          StrCat("X-Disthub-Event-Seq: ", msg.record.event_seq),
          StrCat("X-Disthub-Attempt: ", attempt)}) {
      t->headers = curl_slist_append(t->headers, h.c_str());
    }
    if (!msg.record.replay_id.empty()) {
      t->headers =
          curl_slist_append(t->headers, StrCat("X-Disthub-Replay: ", msg.record.replay_id).c_str());
    }
    for (const auto& [name, value] : sub.config.headers) {
      t->headers = curl_slist_append(t->headers, StrCat(name, ": ", value).c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    ++sub.in_flight;
    transfers.insert(t);
    curl_multi_add_handle(multi, e);
  }

  void Finish(Sub& sub, Msg& msg) {
    if (sub.config.policy.ordered) {
      auto line = sub.lines.find(msg.record.subject);
      if (line != sub.lines.end()) {
        auto& q = line->second;
        q.erase(std::remove(q.begin(), q.end(), msg.record.id), q.end());
        if (q.empty()) {
          sub.lines.erase(line);
        } else {
          auto next = sub.msgs.find(q.front());
          if (next != sub.msgs.end()) {
            sub.ready.emplace(next->second.record.next_attempt_at, q.front());
          }
        }
      }
    }
    sub.msgs.erase(msg.record.id);
    --in_memory;
  }

  void Complete(Transfer* t, CURLcode code) {
    Sub& sub = *t->sub;
    --sub.in_flight;
    curl_multi_remove_handle(multi, t->easy);
    sub.idle_handles.push_back(t->easy);
    curl_slist_free_all(t->headers);
    std::unique_ptr<Transfer> owned(t);
    transfers.erase(t);

    auto it = sub.msgs.find(t->id);
    if (it == sub.msgs.end()) return;
    Msg& msg = it->second;
    const absl::Time now = clock->Now();
    long status = 0;
    if (code == CURLE_OK) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    AttemptOutcome outcome = ClassifyAttempt(
        static_cast<int>(status), code == CURLE_OK ? "" : TransportCause(code));
    const int attempt = msg.record.attempts + 1;
    msg.record.attempts = attempt;
    CountAttempt(sub, msg.record.message_type, outcome.cause);

    std::string detail =
        status > 0 ? StrCat("HTTP ", static_cast<int64_t>(status),
                            t->response.empty() ? "" : ": ", t->response)
                   : StrCat(outcome.cause, ": ", curl_easy_strerror(code));
    DeliveryAttemptRecord rec{.outbox_id = msg.record.id,
                              .attempt = attempt,
                              .started_at = t->started,
                              .duration_us = absl::ToInt64Microseconds(now - t->started),
                              .cause = outcome.cause,
                              .http_status = static_cast<int>(status),
                              .detail = detail};
    Result result{.update = {.id = msg.record.id, .attempts = attempt, .updated_at = now}};

    switch (outcome.verdict) {
      case AttemptVerdict::kDelivered: {
        sub.circuit.OnSuccess();
        TypeMetrics& m = MetricsFor(sub, msg.record.message_type);
        m.delivered->Inc();
        m.latency->Observe(absl::ToDoubleSeconds(now - msg.record.created_at));
        ++sub.delivered_total;
        result.update.state = "delivered";
        result.update.next_attempt_at = now;
        if (attempt > 1) {
          rec.outcome = "delivered";
          result.attempt = rec;
        }
        results.push_back(std::move(result));
        Finish(sub, msg);
        return;
      }
      case AttemptVerdict::kPermanent:
        sub.circuit.OnNeutral();
        rec.outcome = "dead";
        result.attempt = rec;
        DeadLetter(sub, msg, std::move(result), "http_4xx",
                   StrCat("the partner refused the message: ", detail), now);
        return;
      case AttemptVerdict::kQuota: {
        sub.circuit.OnNeutral();
        absl::Time until = ParseRetryAfter(t->retry_after, now)
                               .value_or(now + RetryDelay(sub.config.policy.retry, 1, rng));
        sub.bucket.PauseUntil(until);
        Reschedule(sub, msg, std::move(result), std::move(rec), until, now);
        return;
      }
      case AttemptVerdict::kRetry: {
        sub.circuit.OnFailure(now);
        ++msg.failures;
        const RetryPolicy& retry = sub.config.policy.retry;
        if (msg.failures >= retry.max_attempts) {
          rec.outcome = "dead";
          result.attempt = rec;
          DeadLetter(sub, msg, std::move(result), "max_attempts",
                     StrCat("gave up after ", static_cast<int64_t>(msg.failures),
                            " failed attempts; the last: ", detail),
                     now);
          return;
        }
        if (now - msg.record.created_at >= retry.max_age) {
          rec.outcome = "dead";
          result.attempt = rec;
          DeadLetter(sub, msg, std::move(result), "max_age",
                     StrCat("still undelivered after ", absl::FormatDuration(retry.max_age),
                            "; the last attempt: ", detail),
                     now);
          return;
        }
        Reschedule(sub, msg, std::move(result), std::move(rec),
                   now + RetryDelay(retry, msg.failures, rng), now);
        return;
      }
    }
  }

  void Reschedule(Sub& sub, Msg& msg, Result result, DeliveryAttemptRecord rec, absl::Time due,
                  absl::Time now) {
    (void)now;
    rec.outcome = "retry";
    result.attempt = std::move(rec);
    result.update.state = "pending";
    result.update.next_attempt_at = due;
    result.update.last_error = result.attempt->detail;
    msg.record.next_attempt_at = due;
    msg.record.last_error = result.attempt->detail;
    results.push_back(std::move(result));
    sub.ready.emplace(due, msg.record.id);
  }

  void DeadLetter(Sub& sub, Msg& msg, Result result, const std::string& cause,
                  std::string reason, absl::Time now) {
    std::string bytes = msg.record.body;
    if (bytes.empty()) AppendEventJson(msg.event, bytes);
    result.update.state = "dead";
    result.update.next_attempt_at = now;
    result.update.last_error = reason;
    result.dead_letter = DeadLetterRecord{.kind = "delivery",
                                          .partner = sub.config.name,
                                          .message_type = msg.record.message_type,
                                          .subject = msg.record.subject,
                                          .ref = msg.record.id,
                                          .cause = cause,
                                          .reason = reason,
                                          .attempts = msg.record.attempts,
                                          .bytes = std::move(bytes),
                                          .state = "parked",
                                          .created_at = now,
                                          .resolved_at = absl::UnixEpoch()};
    spdlog::warn("delivery: {} message {} ({} {}) dead-lettered: {}", sub.config.name,
                 msg.record.id, msg.record.message_type, msg.record.subject, reason);
    MetricsFor(sub, msg.record.message_type).dead->Inc();
    ++sub.dead_total;
    results.push_back(std::move(result));
    Finish(sub, msg);
  }

  void Flush() {
    if (results.empty()) return;
    (void)queue->Submit(std::make_unique<ResultsOp>(std::move(results)));
    results.clear();
  }

  void UpdateGauges(absl::Time now) {
    for (auto& s : subs) {
      Sub& sub = *s;
      absl::Time oldest = absl::InfiniteFuture();
      // The oldest waiting message is the lowest id (ids follow commit order).
      int64_t lowest = INT64_MAX;
      for (const auto& [id, msg] : sub.msgs) {
        if (id < lowest) {
          lowest = id;
          oldest = msg.record.created_at;
        }
      }
      int state = sub.circuit.state() == CircuitBreaker::State::kClosed   ? 0
                  : sub.circuit.state() == CircuitBreaker::State::kHalfOpen ? 1
                                                                            : 2;
      sub.circuit_gauge->Set(state);
      sub.circuit_now = state;
      sub.in_flight_gauge->Set(sub.in_flight);
      sub.in_flight_now = sub.in_flight;
      sub.waiting_gauge->Set(static_cast<double>(sub.msgs.size()) - sub.in_flight);
      sub.waiting_now = static_cast<int64_t>(sub.msgs.size()) - sub.in_flight;
      sub.oldest_gauge->Set(oldest == absl::InfiniteFuture()
                                ? 0
                                : std::max(0.0, absl::ToDoubleSeconds(now - oldest)));
    }
  }

  void Run() {
    absl::Time last_load = absl::InfinitePast();
    absl::Time last_gauges = absl::InfinitePast();
    while (!stopping.load()) {
      absl::Time now = clock->Now();
      if (wake.exchange(false) || now - last_load >= options.poll_interval) {
        LoadRequeued();
        LoadNew();
        last_load = now;
      }
      absl::Time next = now + options.poll_interval;
      for (auto& sub : subs) next = std::min(next, Pump(*sub, now));

      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      bool finished_any = false;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
        Complete(t, m->data.result);
        finished_any = true;
      }
      Flush();
      if (now - last_gauges >= absl::Milliseconds(500)) {
        UpdateGauges(now);
        last_gauges = now;
      }
      // A finished attempt frees a slot (and may unblock a subject's next message): pump
      // again at once. Otherwise sleep until the next due time, a transfer's progress, or
      // a Wake(); never spin while the policy holds messages back (open circuit, quota).
      const absl::Time after = clock->Now();
      int timeout_ms = finished_any ? 0
                                    : static_cast<int>(std::clamp<int64_t>(
                                          absl::ToInt64Milliseconds(next - after) + 1, 1, 250));
      if (timeout_ms > 0 && !wake.load()) curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
    }
    // Abandon what is in flight: those messages are still pending in the store.
    for (auto& sub : subs) {
      for (CURL* e : sub->idle_handles) curl_easy_cleanup(e);
      sub->idle_handles.clear();
    }
    for (Transfer* t : transfers) {
      curl_multi_remove_handle(multi, t->easy);
      curl_easy_cleanup(t->easy);
      curl_slist_free_all(t->headers);
      delete t;
    }
    transfers.clear();
  }
};

Deliverer::Deliverer(Store* store, CommitQueue* queue, Registry* metrics, Clock* clock,
                     DelivererOptions options)
    : impl_(std::make_unique<Impl>(store, queue, metrics, clock, std::move(options))) {}

Deliverer::~Deliverer() { Stop(); }

absl::Status Deliverer::Start() {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) return absl::InternalError("libcurl failed to initialise");
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr) return absl::InternalError("curl_multi_init failed");
  long total = 0;
  for (const auto& s : impl_->subs) total += s->config.policy.concurrency;
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, std::max(8L, total * 2));
  impl_->thread = std::thread([this] { impl_->Run(); });
  return absl::OkStatus();
}

void Deliverer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  if (impl_->multi != nullptr) curl_multi_wakeup(impl_->multi);
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->multi != nullptr) curl_multi_cleanup(impl_->multi);
  impl_->multi = nullptr;
}

void Deliverer::Wake() {
  if (impl_->wake.exchange(true)) return;
  if (impl_->multi != nullptr) curl_multi_wakeup(impl_->multi);
}

void Deliverer::Requeue(std::vector<int64_t> outbox_ids) {
  {
    std::lock_guard<std::mutex> lock(impl_->requeue_mu);
    impl_->requeue.insert(impl_->requeue.end(), outbox_ids.begin(), outbox_ids.end());
  }
  impl_->wake = false;
  Wake();
}

std::vector<SubscriberStatus> Deliverer::Status() const {
  std::vector<SubscriberStatus> out;
  for (const auto& s : impl_->subs) {
    int c = s->circuit_now.load();
    out.push_back({.name = s->config.name,
                   .circuit = c == 0 ? "closed" : c == 1 ? "half_open" : "open",
                   .waiting = s->waiting_now.load(),
                   .in_flight = s->in_flight_now.load(),
                   .delivered = s->delivered_total.load(),
                   .dead = s->dead_total.load()});
  }
  return out;
}

}  // namespace disthub
