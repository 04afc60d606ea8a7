// Operator actions on the delivery machinery, each applied by the single writer and
// recorded in the audit log in the same transaction: retrying and discarding dead
// letters, pull subscriptions and their cursors, and replays of events to a subscriber.
//
// Every function answers through `done` once the change committed (or failed), on the
// writer thread: keep the callbacks short.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "events/outbox.h"
#include "observe/metrics.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub {

// Who acts, and why (the reason is required for discards).
struct OperatorAction {
  std::string actor;   // "partner/key" of the caller
  std::string reason;
};

struct DeadLetterRetryResult {
  std::vector<int64_t> retried;                             // dead-letter ids
  std::vector<int64_t> outbox_ids;                          // messages set back to pending
  std::vector<std::pair<int64_t, std::string>> skipped;     // id and why not
};

// Sets the outbox messages of these parked delivery dead letters back to pending (their
// attempt count restarts; their key stays) and marks the dead letters retried. Dead
// letters that are not parked, unknown, or inbound are skipped with the reason.
void RetryDeadLetters(CommitQueue* queue, const Clock* clock, std::vector<int64_t> ids,
                      OperatorAction action,
                      absl::AnyInvocable<void(absl::StatusOr<DeadLetterRetryResult>) &&> done);

// Marks a parked dead letter discarded with the reason (required), and its outbox
// message dead for good. kNotFound, or kFailedPrecondition when it is not parked.
void DiscardDeadLetter(CommitQueue* queue, const Clock* clock, int64_t id, OperatorAction action,
                       absl::AnyInvocable<void(absl::Status) &&> done);

// Creates or resets a pull subscription to start after `cursor`.
void PutSubscription(CommitQueue* queue, const Clock* clock, std::string name,
                     std::vector<std::string> types, int64_t cursor, OperatorAction action,
                     absl::AnyInvocable<void(absl::StatusOr<SubscriptionRecord>) &&> done);

// Moves a subscription's cursor forward to `seq`. kNotFound; kFailedPrecondition when
// `seq` is behind the cursor (acknowledgements never go back; PUT resets) or ahead of
// `last_seq`.
void AckSubscription(CommitQueue* queue, const Clock* clock, std::string name, int64_t seq,
                     int64_t last_seq,
                     absl::AnyInvocable<void(absl::StatusOr<SubscriptionRecord>) &&> done);

// What a replay selects. Unset bounds select everything up to the log's end at start.
struct ReplayFilter {
  int64_t from_seq = 0;  // first seq included (0: the beginning)
  int64_t to_seq = 0;    // last seq included (0: the last event when the replay starts)
  absl::Time from_time = absl::InfinitePast();
  absl::Time to_time = absl::InfiniteFuture();
  std::string subject;
  std::vector<std::string> types;  // default: the subscriber's own patterns

  std::string ToJson() const;
  static absl::StatusOr<ReplayFilter> FromJson(std::string_view json);
};

// Runs replays in the background, a page at a time: each page's outbox rows and the
// replay's progress commit together, so a replay interrupted by a crash resumes exactly
// where it stopped, without sending anything twice or skipping anything. Replayed
// messages carry the event's usual key (so a partner that deduplicates sees them as
// repeats) and an X-Disthub-Replay header naming the replay.
//
// Thread-safety: all methods may be called from any thread.
class Replayer {
 public:
  // `metrics` may be null.
  Replayer(Store* store, CommitQueue* queue, const Clock* clock,
           std::vector<SubscriberConfig> subscribers, Registry* metrics = nullptr,
           int page_size = 500);
  ~Replayer();

  // Resumes replays left running by a previous process, and starts the thread.
  absl::Status Start();
  void Stop();

  // Validates and records a new replay; `done` gets its record (state "running").
  void Begin(std::string id, std::string subscriber, ReplayFilter filter, OperatorAction action,
             absl::AnyInvocable<void(absl::StatusOr<ReplayRecord>) &&> done);
  // Stops a running replay after its current page. kNotFound if it is not running.
  absl::Status Cancel(const std::string& id, OperatorAction action);

 private:
  void Run();
  // Replays one page of `replay`; false when it finished or failed.
  bool Step(ReplayRecord& replay);

  Store* store_;
  CommitQueue* queue_;
  const Clock* clock_;
  std::vector<SubscriberConfig> subscribers_;
  const int page_size_;
  Registry* metrics_;
  Gauge* running_gauge_ = nullptr;  // replays running

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReplayRecord> running_;               // guarded by mu_
  std::vector<std::pair<std::string, OperatorAction>> cancels_;  // guarded by mu_
  bool stopping_ = false;                           // guarded by mu_
  std::thread thread_;
};

}  // namespace disthub
