// Order intake: stores a validated order exactly once, with its "order.received" event
// in the same transaction, through the single-writer CommitQueue.
//
// A repeat is recognised by the caller's Idempotency-Key (scoped to the caller) or by
// the channel plus the channel's order reference; either way the first result comes
// back and nothing is written twice.
#pragma once

#include <functional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "base/ids.h"
#include "model/entities.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub {

struct IntakeRequest {
  OrderRecord order;              // fully prepared: id, channel, channel_ref, status, times, body
  std::string idempotency_scope;  // who sent it (the partner), so keys never collide across callers
  std::string idempotency_key;    // the Idempotency-Key header, or "" when none was sent
  std::string request_hash;       // fingerprint of the request body, to refuse a key's reuse
  std::string causation_id;       // the inbound message's id, recorded on the event
  // The message as received, archived in the same transaction with its outcome
  // ("accepted" or "duplicate") and the order it became; kind "" archives nothing.
  InboundRecord inbound;
};

enum class IntakeOutcome {
  kCreated,   // a new order was stored
  kReplayed,  // a repeat: `order` is the one stored the first time
};

struct IntakeResult {
  IntakeOutcome outcome;
  OrderRecord order;
  int status_code = 201;  // the HTTP status the first request was answered with
};

// Makes a decoded, checked inbound order the hub's: a new id, status received, received
// at `now`; returns its store record (version 1, the canonical document as body).
OrderRecord AcceptNewOrder(Order& order, IdGenerator& ids, absl::Time now);

// What orchestration does with a new order: `in_txn` runs inside the order's own
// transaction (a durable "take it forward" timer, so a crash right after the commit cannot
// strand it); `created` runs on the writer thread once it committed (the prompt nudge).
struct IntakeHooks {
  std::function<absl::Status(WriteTxn&, const OrderRecord&)> in_txn;
  std::function<void(const OrderRecord&, const std::string& cause)> created;
};

class OrderIntake {
 public:
  // `queue` must outlive this object.
  explicit OrderIntake(CommitQueue* queue, IntakeHooks hooks = {})
      : queue_(queue), hooks_(std::move(hooks)) {}

  // Called exactly once with the outcome, after it is durable: from the writer thread, or
  // from the calling thread when the queue refuses the work. Errors:
  //   kInvalidArgument  the Idempotency-Key was first used for a different request
  //   kUnavailable      the write queue is full, or the store failed: nothing was stored
  using Callback = absl::AnyInvocable<void(absl::StatusOr<IntakeResult>) &&>;
  void Submit(IntakeRequest request, Callback done);

 private:
  CommitQueue* queue_;
  const IntakeHooks hooks_;
};

}  // namespace disthub
