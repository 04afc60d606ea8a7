#include "events/deliverer.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/curl_tls.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_name.h"
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

std::string TransportCause(CURLcode code) {
  if (IsTlsError(code)) return "tls";
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
    std::optional<RenderedMessage> rendered;  // the subscriber's mapping's message, once made
  };

  struct Sub;

  // One HTTP attempt in flight, or idle with its easy handle kept for the next one.
  // Reused attempt after attempt: the options that never change are set once, and the
  // strings keep their capacity.
  struct Transfer {
    CURL* easy = nullptr;
    Sub* sub = nullptr;
    int64_t id = 0;
    std::string body;
    std::string url;  // the subscriber's, and the rendered message's path
    std::string response;
    // The request's header lines, each ended by '\0'; `headers` points into it (the
    // list is ours, so curl_slist_free_all must never see it).
    std::string header_text;
    std::vector<curl_slist> headers;
    absl::Time started;
    bool probe = false;
    char error[CURL_ERROR_SIZE] = {};  // libcurl's detail of a failed attempt
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
    std::unordered_map<int64_t, Msg> msgs;                       // waiting or in flight
    int in_flight = 0;
    std::vector<Transfer*> idle;  // owned; their connections stay in the multi's cache
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
  std::vector<Result> results;                        // written in batches, see MaybeFlush()
  absl::Time results_since = absl::InfiniteFuture();  // when the oldest unwritten came
  std::unordered_set<Transfer*> transfers;            // in flight, owned

  // The event loop: curl tells which sockets to watch (OnSocket) and when its next
  // timeout is due (OnTimer); Wake() and Stop() write to `wake_fd`.
  int epoll_fd = -1;
  int wake_fd = -1;
  std::optional<std::chrono::steady_clock::time_point> curl_due;

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
        .dead =
            metrics->Counter("disthub_dead_lettered_total", "Messages parked as dead letters.", l),
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

  // Reads one page of new pending messages; returns whether more may be waiting. One
  // page per loop turn, so that a large backlog loads while deliveries go on.
  bool LoadNewPage() {
    if (in_memory >= options.max_in_memory) return false;
    int limit =
        static_cast<int>(std::min<int64_t>(options.load_batch, options.max_in_memory - in_memory));
    auto page = store->PendingOutbox(loaded_through, limit);
    if (!page.ok()) {
      spdlog::warn("delivery: reading the outbox failed: {}", page.status().ToString());
      return false;
    }
    absl::Time now = clock->Now();
    for (OutboxMessage& m : *page) {
      loaded_through = std::max(loaded_through, m.record.id);
      Add(Msg{.record = std::move(m.record), .event = std::move(m.event)}, now);
    }
    return static_cast<int>(page->size()) == limit;
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
      auto events = store->QueryEvents(
          {.after = (*rec)->event_seq - 1, .to_seq = (*rec)->event_seq, .limit = 1});
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
      Msg& msg = it->second;
      if (sub.config.render && msg.record.body.empty() && !msg.rendered) {
        absl::StatusOr<RenderedMessage> body = sub.config.render(msg.event);
        if (!body.ok()) {  // no attempt can succeed: park it, costing no token or probe
          sub.ready.pop();
          DeadLetter(
              sub, msg,
              Result{.update = {.id = msg.record.id,
                                .attempts = msg.record.attempts,
                                .updated_at = now}},
              "unmappable",
              StrCat("the subscriber's mapping cannot render the event: ", body.status().message()),
              now);
          continue;
        }
        msg.rendered = *std::move(body);
      }
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

  // A transfer with its easy handle: an idle one of `sub`, or a new one with the options
  // that stay the same from attempt to attempt.
  Transfer* TakeTransfer(Sub& sub) {
    if (!sub.idle.empty()) {
      Transfer* t = sub.idle.back();
      sub.idle.pop_back();
      return t;
    }
    auto* t = new Transfer();
    t->sub = &sub;
    t->easy = curl_easy_init();
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(
        e, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(sub.config.policy.connect_timeout)));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(sub.config.policy.timeout)));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CollectBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->response);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, kCurlReceiveBufferBytes);
    SetCurlTls(e, sub.config.tls);
    return t;
  }

  static void DestroyTransfer(Transfer* t) {
    curl_easy_cleanup(t->easy);
    delete t;
  }

  // Fills t->header_text and points t->headers at its lines.
  static void BuildHeaders(Transfer& t, const Sub& sub, const Msg& msg, int attempt) {
    std::string& h = t.header_text;
    h.clear();
    auto line = [&h](const auto&... parts) {
      (strings_internal::Append(h, parts), ...);
      h.push_back('\0');
    };
    line("Content-Type: application/json");
    line("Expect:");
    line(sub.config.key_header, ": ", msg.record.key);
    line("X-Disthub-Message-Type: ", msg.record.message_type);
    line("X-Disthub-Event-Seq: ", msg.record.event_seq);
    line("X-Disthub-Attempt: ", attempt);
    if (!msg.record.replay_id.empty()) line("X-Disthub-Replay: ", msg.record.replay_id);
    for (const auto& [name, value] : sub.config.headers) line(name, ": ", value);
    t.headers.clear();
    for (size_t pos = 0; pos < h.size(); pos = h.find('\0', pos) + 1) {
      t.headers.push_back(curl_slist{.data = h.data() + pos, .next = nullptr});
    }
    for (size_t i = 1; i < t.headers.size(); ++i) t.headers[i - 1].next = &t.headers[i];
  }

  void StartTransfer(Sub& sub, Msg& msg, absl::Time now, bool probe) {
    Transfer* t = TakeTransfer(sub);
    t->id = msg.record.id;
    t->started = now;
    t->probe = probe;
    t->response.clear();
    t->body.clear();
    t->error[0] = '\0';
    t->url = sub.config.url;
    const char* method = nullptr;  // POST
    if (!msg.record.body.empty()) {
      t->body = msg.record.body;
    } else if (msg.rendered) {
      t->body = msg.rendered->body;
      if (!msg.rendered->path.empty() && t->url.ends_with('/')) t->url.pop_back();
      t->url += msg.rendered->path;
      if (msg.rendered->method != "POST") method = msg.rendered->method.c_str();
    } else {
      AppendEventJson(msg.event, t->body);
    }
    BuildHeaders(*t, sub, msg, msg.record.attempts + 1);
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers.data());
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
    transfers.erase(t);
    sub.idle.push_back(t);  // its strings stay valid until its next StartTransfer

    auto it = sub.msgs.find(t->id);
    if (it == sub.msgs.end()) return;
    Msg& msg = it->second;
    const absl::Time now = clock->Now();
    long status = 0;
    if (code == CURLE_OK) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    AttemptOutcome outcome =
        ClassifyAttempt(static_cast<int>(status), code == CURLE_OK ? "" : TransportCause(code));
    const int attempt = msg.record.attempts + 1;
    msg.record.attempts = attempt;
    CountAttempt(sub, msg.record.message_type, outcome.cause);

    Result result{.update = {.id = msg.record.id, .attempts = attempt, .updated_at = now}};
    if (outcome.verdict == AttemptVerdict::kDelivered && attempt == 1) {
      // The common case: nothing to record but the mark.
      Delivered(sub, msg, std::move(result), now);
      return;
    }

    std::string detail = status > 0 ? StrCat("HTTP ", static_cast<int64_t>(status),
                                             t->response.empty() ? "" : ": ", t->response)
                                    : StrCat(outcome.cause, ": ", CurlErrorText(code, t->error));
    DeliveryAttemptRecord rec{.outbox_id = msg.record.id,
                              .attempt = attempt,
                              .started_at = t->started,
                              .duration_us = absl::ToInt64Microseconds(now - t->started),
                              .cause = outcome.cause,
                              .http_status = static_cast<int>(status),
                              .detail = detail};

    switch (outcome.verdict) {
      case AttemptVerdict::kDelivered: {
        rec.outcome = "delivered";
        result.attempt = std::move(rec);
        Delivered(sub, msg, std::move(result), now);
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
        // Only a 429's headers are looked at: its Retry-After, if any.
        std::string_view retry_after;
        curl_header* h = nullptr;
        if (curl_easy_header(t->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
          retry_after = h->value;
        }
        absl::Time until = ParseRetryAfter(retry_after, now)
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

  void Delivered(Sub& sub, Msg& msg, Result result, absl::Time now) {
    sub.circuit.OnSuccess();
    TypeMetrics& m = MetricsFor(sub, msg.record.message_type);
    m.delivered->Inc();
    m.latency->Observe(absl::ToDoubleSeconds(now - msg.record.created_at));
    ++sub.delivered_total;
    result.update.state = "delivered";
    result.update.next_attempt_at = now;
    AddResult(std::move(result), now);
    Finish(sub, msg);
  }

  void Reschedule(Sub& sub, Msg& msg, Result result, DeliveryAttemptRecord rec, absl::Time due,
                  absl::Time now) {
    rec.outcome = "retry";
    result.attempt = std::move(rec);
    result.update.state = "pending";
    result.update.next_attempt_at = due;
    result.update.last_error = result.attempt->detail;
    msg.record.next_attempt_at = due;
    msg.record.last_error = result.attempt->detail;
    AddResult(std::move(result), now);
    sub.ready.emplace(due, msg.record.id);
  }

  void DeadLetter(Sub& sub, Msg& msg, Result result, const std::string& cause, std::string reason,
                  absl::Time now) {
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
    AddResult(std::move(result), now);
    Finish(sub, msg);
  }

  void AddResult(Result result, absl::Time now) {
    if (results.empty()) results_since = now;
    results.push_back(std::move(result));
  }

  // Writes the outcomes once enough have gathered or the oldest has waited long enough:
  // a few larger transactions cost the writer far less than many small ones.
  void MaybeFlush(absl::Time now) {
    if (results.empty()) return;
    if (static_cast<int>(results.size()) < options.results_batch &&
        now - results_since < options.results_delay) {
      return;
    }
    Flush();
  }

  void Flush() {
    if (results.empty()) return;
    (void)queue->Submit(std::make_unique<ResultsOp>(std::move(results)));
    results.clear();
    results_since = absl::InfiniteFuture();
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
      int state = sub.circuit.state() == CircuitBreaker::State::kClosed     ? 0
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

  // Interrupts the loop's sleep; any thread.
  void Signal() const {
    if (wake_fd < 0) return;
    const uint64_t one = 1;
    (void)!write(wake_fd, &one, sizeof one);
  }

  // CURLMOPT_SOCKETFUNCTION: watch `s` for what curl asks, or stop watching it.
  static int OnSocket(CURL*, curl_socket_t s, int what, void* user, void* socketp) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->epoll_fd, EPOLL_CTL_DEL, s, nullptr);  // fails harmlessly once closed
      return 0;
    }
    epoll_event ev{};
    ev.data.fd = s;
    ev.events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    const bool known = socketp != nullptr;
    // The other operation when the first fails: a descriptor number reused, or closed
    // (and so dropped by epoll) without a REMOVE.
    if (epoll_ctl(self->epoll_fd, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0 &&
        epoll_ctl(self->epoll_fd, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev) != 0) {
      // The transfer then ends by its timeout, as a failed attempt.
      spdlog::warn("delivery: cannot watch socket {}: {}", s, std::strerror(errno));
    }
    if (!known) curl_multi_assign(self->multi, s, self);
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: when curl wants CurlTimeouts() to run (-1: not at all).
  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (timeout_ms < 0) {
      self->curl_due.reset();
    } else {
      self->curl_due = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  // Lets curl act on its expired timeouts, among them starting newly added transfers.
  void CurlTimeouts() {
    if (!curl_due || *curl_due > std::chrono::steady_clock::now()) return;
    curl_due.reset();  // curl sets the next one from inside the call
    int running = 0;
    curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
  }

  void CompleteFinished() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
      Complete(t, m->data.result);
    }
  }

  // How long the loop may sleep: until the next due time (at least 1 ms, so that it
  // never spins while the policy holds messages back), curl's next timeout, or the
  // results' flush; at most 250 ms.
  int WaitMs(absl::Time next, absl::Time now) const {
    int64_t ms = std::clamp<int64_t>(absl::ToInt64Milliseconds(next - now) + 1, 1, 250);
    if (!results.empty()) {
      ms = std::min<int64_t>(
          ms, std::max<int64_t>(
                  0, absl::ToInt64Milliseconds(results_since + options.results_delay - now) + 1));
    }
    if (curl_due) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*curl_due -
                                                               std::chrono::steady_clock::now());
      ms = std::min<int64_t>(ms, std::max<int64_t>(0, left.count()));
    }
    return static_cast<int>(ms);
  }

  void Run() {
    absl::Time last_load = absl::InfinitePast();
    absl::Time last_gauges = absl::InfinitePast();
    std::array<epoll_event, 64> events;
    bool loading = false;  // new messages may be waiting in the store
    while (!stopping.load()) {
      absl::Time now = clock->Now();
      if (wake.exchange(false) || now - last_load >= options.poll_interval) {
        LoadRequeued();
        loading = true;
        last_load = now;
      }
      if (loading) loading = LoadNewPage();
      absl::Time next = now + options.poll_interval;
      for (auto& sub : subs) next = std::min(next, Pump(*sub, now));
      CurlTimeouts();
      MaybeFlush(now);
      if (now - last_gauges >= absl::Milliseconds(500)) {
        UpdateGauges(now);
        last_gauges = now;
      }
      // Sleep until a socket is ready, a timeout or due time comes, or a Wake(); then
      // let curl read and write, and record what finished. A finished attempt frees a
      // slot (and may unblock a subject's next message): the next turn pumps at once.
      const int wait_ms = loading || wake.load() ? 0 : WaitMs(next, clock->Now());
      const int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), wait_ms);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd) {
          uint64_t count = 0;
          (void)!read(wake_fd, &count, sizeof count);
          continue;
        }
        const uint32_t ev = events[i].events;
        const int mask = ((ev & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                         ((ev & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                         ((ev & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
        int running = 0;
        curl_multi_socket_action(multi, fd, mask, &running);
      }
      CurlTimeouts();
      CompleteFinished();
    }
    // What finished is recorded; what is in flight is abandoned: those messages are
    // still pending in the store.
    Flush();
    for (auto& sub : subs) {
      for (Transfer* t : sub->idle) DestroyTransfer(t);
      sub->idle.clear();
    }
    for (Transfer* t : transfers) {
      curl_multi_remove_handle(multi, t->easy);
      DestroyTransfer(t);
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
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  impl_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) {
    return absl::InternalError(StrCat("delivery event loop: ", std::strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = impl_->wake_fd;
  if (epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &ev) != 0) {
    return absl::InternalError(StrCat("delivery event loop: ", std::strerror(errno)));
  }
  impl_->thread = std::thread([this] {
    NameThisThread("dh-deliver");
    impl_->Run();
  });
  return absl::OkStatus();
}

void Deliverer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->Signal();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->multi != nullptr) curl_multi_cleanup(impl_->multi);  // may still call OnSocket
  impl_->multi = nullptr;
  for (int* fd : {&impl_->wake_fd, &impl_->epoll_fd}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void Deliverer::Wake() {
  if (impl_->wake.exchange(true)) return;
  impl_->Signal();
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
                   .circuit = c == 0   ? "closed"
                              : c == 1 ? "half_open"
                                       : "open",
                   .waiting = s->waiting_now.load(),
                   .in_flight = s->in_flight_now.load(),
                   .delivered = s->delivered_total.load(),
                   .dead = s->dead_total.load()});
  }
  return out;
}

}  // namespace disthub
