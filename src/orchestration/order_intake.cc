#include "orchestration/order_intake.h"

#include "base/status_macros.h"
#include "base/strings.h"
#include "events/event_types.h"
#include "model/json.h"
#include "store/packed_text.h"

namespace disthub {
namespace {

class IntakeOp final : public WriteOp {
 public:
  IntakeOp(IntakeRequest request, const IntakeHooks* hooks, OrderIntake::Callback done)
      : request_(std::move(request)), hooks_(hooks), done_(std::move(done)) {}

  absl::Status Apply(WriteTxn& txn) override {
    const IntakeRequest& r = request_;
    const bool keyed = !r.idempotency_key.empty();
    if (keyed) {
      DISTHUB_ASSIGN_OR_RETURN(auto first,
                               txn.FindIdempotencyKey(r.idempotency_scope, r.idempotency_key));
      if (first.has_value()) {
        if (first->request_hash != r.request_hash) {
          return absl::InvalidArgumentError(StrCat("Idempotency-Key \"", r.idempotency_key,
                                                   "\" was first used for a different "
                                                   "request (order ",
                                                   first->resource_id,
                                                   "); use a new key for a new request"));
        }
        DISTHUB_ASSIGN_OR_RETURN(auto order, txn.FindOrder(first->resource_id));
        if (!order.has_value()) {
          return absl::InternalError(StrCat("Idempotency-Key \"", r.idempotency_key,
                                            "\" points at missing order ", first->resource_id));
        }
        result_ = {IntakeOutcome::kReplayed, *std::move(order), first->status_code};
        return Archive(txn);
      }
    }
    // Insert first: the unique (channel, channel_ref) index finds a repeat in the same
    // b-tree descent, so a new order costs no separate lookup.
    absl::Status inserted = txn.InsertOrder(r.order);
    if (absl::IsAlreadyExists(inserted)) {
      // The same channel order again (a duplicate webhook, a resend): the first stands.
      DISTHUB_ASSIGN_OR_RETURN(auto existing,
                               txn.FindOrderByChannelRef(r.order.channel, r.order.channel_ref));
      if (!existing.has_value()) return inserted;  // the id itself collided: a bug, not a repeat
      result_ = {IntakeOutcome::kReplayed, *std::move(existing), 201};
    } else {
      DISTHUB_RETURN_IF_ERROR(inserted);
      DISTHUB_RETURN_IF_ERROR(
          txn.AppendEvent(EventRecord{.type = std::string(event_types::kOrderReceived),
                                      .subject = r.order.id,
                                      .correlation_id = r.order.id,
                                      .causation_id = r.causation_id,
                                      .occurred_at = r.order.created_at,
                                      .recorded_at = absl::Now(),
                                      .payload = r.order.body,
                                      .packed_payload = r.order.packed_body})
              .status());
      if (hooks_->in_txn) DISTHUB_RETURN_IF_ERROR(hooks_->in_txn(txn, r.order));
      result_ = {IntakeOutcome::kCreated, r.order, 201};
    }
    DISTHUB_RETURN_IF_ERROR(Archive(txn));
    if (keyed) {
      DISTHUB_RETURN_IF_ERROR(txn.InsertIdempotencyKey({.scope = r.idempotency_scope,
                                                        .key = r.idempotency_key,
                                                        .request_hash = r.request_hash,
                                                        .resource_id = result_.order.id,
                                                        .status_code = result_.status_code,
                                                        .created_at = r.order.created_at}));
    }
    return absl::OkStatus();
  }

  // Keeps the message as received, with what became of it.
  absl::Status Archive(WriteTxn& txn) {
    if (request_.inbound.kind.empty()) return absl::OkStatus();
    InboundRecord archived = request_.inbound;
    archived.outcome = result_.outcome == IntakeOutcome::kCreated ? "accepted" : "duplicate";
    archived.result = result_.order.id;
    return txn.InsertInbound(archived).status();
  }

  void Done(absl::Status status) override {
    if (status.ok()) {
      if (result_.outcome == IntakeOutcome::kCreated && hooks_->created) {
        hooks_->created(result_.order, request_.causation_id);
      }
      std::move(done_)(std::move(result_));
    } else {
      std::move(done_)(std::move(status));
    }
  }

 private:
  IntakeRequest request_;
  const IntakeHooks* hooks_;
  OrderIntake::Callback done_;
  IntakeResult result_{IntakeOutcome::kCreated, {}, 201};
};

}  // namespace

OrderRecord AcceptNewOrder(Order& order, IdGenerator& ids, absl::Time now) {
  order.id = ids.Next("ord");
  order.status = OrderStatus::kReceived;
  order.received_at = now;
  std::string body = SerializeOrder(order);
  PackedForm packed{PackAhead(body)};  // here, not on the writer thread
  return OrderRecord{.id = order.id,
                     .channel = order.channel,
                     .channel_ref = order.channel_order_ref,
                     .status = std::string(EnumName(order.status)),
                     .version = 1,
                     .created_at = now,
                     .updated_at = now,
                     .body = std::move(body),
                     .packed_body = std::move(packed)};
}

void OrderIntake::Submit(IntakeRequest request, Callback done) {
  // A refused op is answered by the queue through Done(), so `done` runs exactly once.
  (void)queue_->Submit(std::make_unique<IntakeOp>(std::move(request), &hooks_, std::move(done)));
}

}  // namespace disthub
