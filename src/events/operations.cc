#include "events/operations.h"

#include <boost/json.hpp>
#include <future>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "spdlog/spdlog.h"

namespace disthub {
namespace {

namespace json = boost::json;

// Submits `apply` and waits until its batch committed (or failed). For the replayer's own
// thread only: never call it on the writer thread.
template <typename ApplyFn>
absl::Status SubmitAndWait(CommitQueue* queue, ApplyFn apply) {
  std::promise<absl::Status> committed;
  SubmitFn(queue, std::move(apply), [&](absl::Status s) { committed.set_value(std::move(s)); });
  return committed.get_future().get();
}

std::string AuditDetail(std::initializer_list<std::pair<std::string_view, json::value>> fields) {
  json::object o;
  for (const auto& [k, v] : fields) o[json::string_view(k.data(), k.size())] = v;
  return json::serialize(o);
}

json::string_view J(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void RetryDeadLetters(CommitQueue* queue, const Clock* clock, std::vector<int64_t> ids,
                      OperatorAction action,
                      absl::AnyInvocable<void(absl::StatusOr<DeadLetterRetryResult>) &&> done) {
  auto result = std::make_shared<DeadLetterRetryResult>();
  SubmitFn(
      queue,
      [=, ids = std::move(ids), action = std::move(action)](WriteTxn& txn) -> absl::Status {
        *result = {};
        const absl::Time now = clock->Now();
        for (int64_t id : ids) {
          DISTHUB_ASSIGN_OR_RETURN(std::optional<DeadLetterRecord> d, txn.FindDeadLetter(id));
          if (!d) {
            result->skipped.emplace_back(id, "no such dead letter");
            continue;
          }
          if (d->state != "parked") {
            result->skipped.emplace_back(id, StrCat("it is ", d->state, ", not parked"));
            continue;
          }
          if (d->kind != "delivery") {
            result->skipped.emplace_back(
                id, StrCat("a ", d->kind, " dead letter is reprocessed from the inbound archive"));
            continue;
          }
          DISTHUB_ASSIGN_OR_RETURN(std::optional<OutboxRecord> o, txn.FindOutbox(d->ref));
          if (!o) {
            result->skipped.emplace_back(id, StrCat("its outbox message ", d->ref, " is gone"));
            continue;
          }
          DISTHUB_RETURN_IF_ERROR(txn.UpdateOutbox({.id = o->id,
                                                    .state = "pending",
                                                    .attempts = 0,
                                                    .next_attempt_at = now,
                                                    .updated_at = now,
                                                    .last_error = o->last_error}));
          DISTHUB_RETURN_IF_ERROR(
              txn.ResolveDeadLetter(id, "retried", now,
                                    StrCat(action.actor, " retried it",
                                           action.reason.empty() ? "" : ": ", action.reason)));
          DISTHUB_RETURN_IF_ERROR(
              txn.AppendAudit(
                     {.at = now,
                      .actor = action.actor,
                      .action = "dead_letter.retry",
                      .target = StrCat("dead_letter:", id),
                      .detail = AuditDetail({{"reason", J(action.reason)}, {"outbox_id", o->id}})})
                  .status());
          result->retried.push_back(id);
          result->outbox_ids.push_back(o->id);
        }
        return absl::OkStatus();
      },
      [result, done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) return std::move(done)(s);
        std::move(done)(std::move(*result));
      });
}

void DiscardDeadLetter(CommitQueue* queue, const Clock* clock, int64_t id, OperatorAction action,
                       absl::AnyInvocable<void(absl::Status) &&> done) {
  SubmitFn(
      queue,
      [=, action = std::move(action)](WriteTxn& txn) -> absl::Status {
        if (action.reason.empty()) {
          return absl::InvalidArgumentError("give the reason for discarding");
        }
        const absl::Time now = clock->Now();
        DISTHUB_ASSIGN_OR_RETURN(std::optional<DeadLetterRecord> d, txn.FindDeadLetter(id));
        if (!d) return absl::NotFoundError(StrCat("dead letter ", id, " not found"));
        if (d->state != "parked") {
          return absl::FailedPreconditionError(
              StrCat("dead letter ", id, " is ", d->state, ", not parked"));
        }
        DISTHUB_RETURN_IF_ERROR(txn.ResolveDeadLetter(
            id, "discarded", now, StrCat(action.actor, " discarded it: ", action.reason)));
        return txn
            .AppendAudit({.at = now,
                          .actor = action.actor,
                          .action = "dead_letter.discard",
                          .target = StrCat("dead_letter:", id),
                          .detail = AuditDetail({{"reason", J(action.reason)}})})
            .status();
      },
      std::move(done));
}

void PutSubscription(CommitQueue* queue, const Clock* clock, std::string name,
                     std::vector<std::string> types, int64_t cursor, OperatorAction action,
                     absl::AnyInvocable<void(absl::StatusOr<SubscriptionRecord>) &&> done) {
  auto out = std::make_shared<SubscriptionRecord>();
  SubmitFn(
      queue,
      [=, name = std::move(name), types = std::move(types),
       action = std::move(action)](WriteTxn& txn) -> absl::Status {
        const absl::Time now = clock->Now();
        DISTHUB_ASSIGN_OR_RETURN(std::optional<SubscriptionRecord> old, txn.FindSubscription(name));
        std::string joined;
        for (const std::string& t : types) joined += (joined.empty() ? "" : ",") + t;
        *out = SubscriptionRecord{.name = name,
                                  .cursor = cursor,
                                  .types = joined,
                                  .created_at = old ? old->created_at : now,
                                  .updated_at = now};
        DISTHUB_RETURN_IF_ERROR(txn.PutSubscription(*out));
        return txn
            .AppendAudit({.at = now,
                          .actor = action.actor,
                          .action = old ? "subscription.reset" : "subscription.create",
                          .target = StrCat("subscription:", name),
                          .detail = AuditDetail({{"cursor", cursor}, {"types", J(joined)}})})
            .status();
      },
      [out, done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) return std::move(done)(s);
        std::move(done)(*out);
      });
}

void AckSubscription(CommitQueue* queue, const Clock* clock, std::string name, int64_t seq,
                     int64_t last_seq,
                     absl::AnyInvocable<void(absl::StatusOr<SubscriptionRecord>) &&> done) {
  auto out = std::make_shared<SubscriptionRecord>();
  SubmitFn(
      queue,
      [=, name = std::move(name)](WriteTxn& txn) -> absl::Status {
        DISTHUB_ASSIGN_OR_RETURN(std::optional<SubscriptionRecord> sub, txn.FindSubscription(name));
        if (!sub) return absl::NotFoundError(StrCat("no subscription named ", name));
        if (seq < sub->cursor) {
          return absl::FailedPreconditionError(
              StrCat("seq ", seq, " is behind the cursor ", sub->cursor,
                     "; acknowledgements never go back (PUT the subscription to reset it)"));
        }
        if (seq > last_seq) {
          return absl::FailedPreconditionError(
              StrCat("seq ", seq, " is beyond the last event ", last_seq));
        }
        sub->cursor = seq;
        sub->updated_at = clock->Now();
        *out = *sub;
        return txn.PutSubscription(*sub);
      },
      [out, done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) return std::move(done)(s);
        std::move(done)(*out);
      });
}

std::string ReplayFilter::ToJson() const {
  json::object o;
  o["from_seq"] = from_seq;
  o["to_seq"] = to_seq;
  if (from_time != absl::InfinitePast()) o["from_time"] = disthub::FormatTime(from_time);
  if (to_time != absl::InfiniteFuture()) o["to_time"] = disthub::FormatTime(to_time);
  if (!subject.empty()) o["subject"] = subject;
  json::array t;
  for (const std::string& s : types) t.emplace_back(J(s));
  o["types"] = std::move(t);
  return json::serialize(o);
}

absl::StatusOr<ReplayFilter> ReplayFilter::FromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(J(text), ec);
  if (ec || !v.is_object())
    return absl::InvalidArgumentError("the replay filter is not a JSON object");
  const json::object& o = v.as_object();
  ReplayFilter f;
  auto time = [&](const char* key, absl::Time& out) -> absl::Status {
    const json::value* t = o.if_contains(key);
    if (t == nullptr || t->is_null()) return absl::OkStatus();
    std::string err;
    if (!t->is_string() ||
        !absl::ParseTime(absl::RFC3339_full, std::string(t->as_string()), &out, &err)) {
      return absl::InvalidArgumentError(StrCat(key, " must be an RFC 3339 time"));
    }
    return absl::OkStatus();
  };
  auto seq = [&](const char* key, int64_t& out) -> absl::Status {
    const json::value* n = o.if_contains(key);
    if (n == nullptr || n->is_null()) return absl::OkStatus();
    if (!n->is_int64() || n->as_int64() < 0) {
      return absl::InvalidArgumentError(StrCat(key, " must be a non-negative integer"));
    }
    out = n->as_int64();
    return absl::OkStatus();
  };
  for (const auto& kv : o) {
    static const std::set<std::string> kKnown = {"from_seq", "to_seq", "from_time", "to_time",
                                                 "subject",  "types",  "subscriber"};
    if (!kKnown.count(std::string(kv.key()))) {
      return absl::InvalidArgumentError(
          StrCat("unknown field \"", std::string(kv.key()),
                 "\" (known: subscriber, from_seq, to_seq, from_time, to_time, subject, types)"));
    }
  }
  DISTHUB_RETURN_IF_ERROR(seq("from_seq", f.from_seq));
  DISTHUB_RETURN_IF_ERROR(seq("to_seq", f.to_seq));
  DISTHUB_RETURN_IF_ERROR(time("from_time", f.from_time));
  DISTHUB_RETURN_IF_ERROR(time("to_time", f.to_time));
  if (const json::value* s = o.if_contains("subject"); s != nullptr && !s->is_null()) {
    if (!s->is_string()) return absl::InvalidArgumentError("subject must be a string");
    f.subject = std::string(s->as_string());
  }
  if (const json::value* t = o.if_contains("types"); t != nullptr && !t->is_null()) {
    if (!t->is_array()) return absl::InvalidArgumentError("types must be a list of strings");
    for (const json::value& x : t->as_array()) {
      if (!x.is_string()) return absl::InvalidArgumentError("types must be a list of strings");
      f.types.emplace_back(x.as_string());
    }
  }
  if (f.to_seq != 0 && f.to_seq < f.from_seq) {
    return absl::InvalidArgumentError("to_seq is before from_seq");
  }
  if (f.from_time != absl::InfinitePast() && f.to_time != absl::InfiniteFuture() &&
      f.to_time <= f.from_time) {
    return absl::InvalidArgumentError("to_time must be after from_time");
  }
  return f;
}

Replayer::Replayer(Store* store, CommitQueue* queue, const Clock* clock,
                   std::vector<SubscriberConfig> subscribers, Registry* metrics, int page_size)
    : store_(store),
      queue_(queue),
      clock_(clock),
      subscribers_(std::move(subscribers)),
      page_size_(page_size),
      metrics_(metrics) {
  if (metrics_ != nullptr) {
    running_gauge_ = metrics_->Gauge("disthub_replays_running", "Replays in progress.");
  }
}

Replayer::~Replayer() { Stop(); }

absl::Status Replayer::Start() {
  DISTHUB_ASSIGN_OR_RETURN(std::vector<ReplayRecord> all, store_->ListReplays());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (ReplayRecord& r : all) {
      if (r.state == "running") {
        spdlog::info("replay {} to {} resumes after seq {}", r.id, r.subscriber, r.cursor);
        running_.push_back(std::move(r));
      }
    }
  }
  thread_ = std::thread([this] {
    NameThisThread("dh-replay");
    Run();
  });
  return absl::OkStatus();
}

void Replayer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Replayer::Begin(std::string id, std::string subscriber, ReplayFilter filter,
                     OperatorAction action,
                     absl::AnyInvocable<void(absl::StatusOr<ReplayRecord>) &&> done) {
  const SubscriberConfig* sub = nullptr;
  for (const SubscriberConfig& s : subscribers_) {
    if (s.name == subscriber) sub = &s;
  }
  if (sub == nullptr) {
    std::string names;
    for (const SubscriberConfig& s : subscribers_) names += (names.empty() ? "" : ", ") + s.name;
    return std::move(done)(
        absl::NotFoundError(StrCat("no subscriber named \"", subscriber,
                                   "\" (configured: ", names.empty() ? "none" : names, ")")));
  }
  auto last = store_->LastEventSeq();
  if (!last.ok()) return std::move(done)(last.status());
  if (filter.types.empty()) filter.types = sub->events;
  const absl::Time now = clock_->Now();
  ReplayRecord record{.id = std::move(id),
                      .subscriber = subscriber,
                      .filter = filter.ToJson(),
                      .state = "running",
                      .cursor = filter.from_seq > 0 ? filter.from_seq - 1 : 0,
                      .end_seq = filter.to_seq > 0 ? std::min(filter.to_seq, *last) : *last,
                      .matched = 0,
                      .actor = action.actor,
                      .created_at = now,
                      .updated_at = now};
  SubmitFn(
      queue_,
      [record, action](WriteTxn& txn) -> absl::Status {
        DISTHUB_RETURN_IF_ERROR(txn.PutReplay(record));
        return txn
            .AppendAudit({.at = record.created_at,
                          .actor = action.actor,
                          .action = "replay.start",
                          .target = StrCat("replay:", record.id),
                          .detail = StrCat(R"({"subscriber":")", record.subscriber,
                                           R"(","filter":)", record.filter, "}")})
            .status();
      },
      [this, record, done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) return std::move(done)(s);
        {
          std::lock_guard<std::mutex> lock(mu_);
          running_.push_back(record);
        }
        cv_.notify_all();
        std::move(done)(record);
      });
}

absl::Status Replayer::Cancel(const std::string& id, OperatorAction action) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool found = false;
    for (const ReplayRecord& r : running_) found |= r.id == id;
    if (!found) return absl::NotFoundError(StrCat("no running replay ", id));
    cancels_.emplace_back(id, std::move(action));
  }
  cv_.notify_all();
  return absl::OkStatus();
}

bool Replayer::Step(ReplayRecord& replay) {
  auto filter = ReplayFilter::FromJson(replay.filter);
  if (!filter.ok()) {
    replay.state = "failed";
    replay.error = std::string(filter.status().message());
  } else {
    EventQuery q{.after = replay.cursor,
                 .to_seq = replay.end_seq,
                 .subject = filter->subject,
                 .types = filter->types,
                 .from_time = filter->from_time,
                 .to_time = filter->to_time,
                 .limit = page_size_};
    auto page = replay.cursor >= replay.end_seq ? absl::StatusOr<std::vector<EventRecord>>()
                                                : store_->QueryEvents(q);
    if (!page.ok()) {
      spdlog::warn("replay {}: reading events failed, retrying: {}", replay.id,
                   page.status().ToString());
      return true;
    }
    std::vector<EventRecord> events = std::move(page).value();
    const bool last_page = static_cast<int>(events.size()) < page_size_;
    ReplayRecord next = replay;
    next.cursor = last_page ? replay.end_seq : events.back().seq;
    next.matched += static_cast<int64_t>(events.size());
    next.updated_at = clock_->Now();
    if (last_page) next.state = "done";
    absl::Status s = SubmitAndWait(queue_, [&, next](WriteTxn& txn) -> absl::Status {
      for (const EventRecord& e : events) {
        DISTHUB_RETURN_IF_ERROR(
            txn.InsertOutbox(OutboxRowFor(next.subscriber, e, next.updated_at, next.id)).status());
      }
      return txn.PutReplay(next);
    });
    if (!s.ok()) {
      spdlog::warn("replay {}: writing a page failed, retrying: {}", replay.id, s.ToString());
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; });
      return true;
    }
    if (metrics_ != nullptr) {
      metrics_
          ->Counter("disthub_replay_messages_total", "Messages queued for redelivery by replays.",
                    {{"subscriber", next.subscriber}})
          ->Inc(static_cast<uint64_t>(events.size()));
    }
    replay = next;
    if (last_page) {
      spdlog::info("replay {} to {} done: {} events queued", replay.id, replay.subscriber,
                   replay.matched);
    }
    return !last_page;
  }
  // Failed: record it.
  (void)SubmitAndWait(queue_, [&](WriteTxn& txn) { return txn.PutReplay(replay); });
  return false;
}

void Replayer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (running_gauge_ != nullptr) running_gauge_->Set(static_cast<double>(running_.size()));
    cv_.wait(lock, [this] { return stopping_ || !running_.empty(); });
    if (stopping_) return;
    // Cancellations first.
    auto cancels = std::move(cancels_);
    cancels_.clear();
    for (auto& [id, action] : cancels) {
      for (auto it = running_.begin(); it != running_.end(); ++it) {
        if (it->id != id) continue;
        ReplayRecord r = *it;
        running_.erase(it);
        r.state = "cancelled";
        r.updated_at = clock_->Now();
        lock.unlock();
        (void)SubmitAndWait(queue_, [&](WriteTxn& txn) -> absl::Status {
          DISTHUB_RETURN_IF_ERROR(txn.PutReplay(r));
          return txn
              .AppendAudit(
                  {.at = r.updated_at,
                   .actor = action.actor,
                   .action = "replay.cancel",
                   .target = StrCat("replay:", r.id),
                   .detail = AuditDetail({{"reason", J(action.reason)}, {"cursor", r.cursor}})})
              .status();
        });
        lock.lock();
        break;
      }
    }
    if (running_.empty()) continue;
    // One page of the oldest running replay, then look again (so cancellations and new
    // replays are seen between pages).
    ReplayRecord r = running_.front();
    lock.unlock();
    bool more = Step(r);
    lock.lock();
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      if (it->id != r.id) continue;
      if (more) {
        *it = r;
      } else {
        running_.erase(it);
      }
      break;
    }
  }
}

}  // namespace disthub
