// A Store that passes every call to another one. Derive from it to change one behaviour
// (a failing or slow commit in a fault test) without restating the whole interface.
//
// REQUIRES: `inner` outlives the ForwardingStore.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace disthub {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store* inner) : inner_(inner) {}

  // Through WriteUnsynced and SyncCommitted, so that a subclass changing those changes
  // every write.
  absl::Status Write(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    if (absl::Status s = WriteUnsynced(fn); !s.ok()) return s;
    return SyncCommitted();
  }
  absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    return inner_->WriteUnsynced(fn);
  }
  absl::Status SyncCommitted() override { return inner_->SyncCommitted(); }
  absl::StatusOr<std::optional<OrderRecord>> GetOrder(const std::string& id) override {
    return inner_->GetOrder(id);
  }
  absl::StatusOr<std::optional<OrderRecord>> GetOrderByChannelRef(
      const std::string& channel, const std::string& channel_ref) override {
    return inner_->GetOrderByChannelRef(channel, channel_ref);
  }
  absl::StatusOr<std::vector<OrderRecord>> ListOrders(const OrderQuery& q) override {
    return inner_->ListOrders(q);
  }
  absl::StatusOr<std::vector<EventRecord>> ListEvents(int64_t after, int limit) override {
    return inner_->ListEvents(after, limit);
  }
  absl::StatusOr<int64_t> LastEventSeq() override { return inner_->LastEventSeq(); }
  absl::StatusOr<int64_t> CountOrders() override { return inner_->CountOrders(); }
  absl::StatusOr<std::vector<EventRecord>> QueryEvents(const EventQuery& q) override {
    return inner_->QueryEvents(q);
  }
  absl::StatusOr<std::vector<OutboxMessage>> PendingOutbox(int64_t after_id, int limit) override {
    return inner_->PendingOutbox(after_id, limit);
  }
  absl::StatusOr<std::optional<OutboxRecord>> GetOutbox(int64_t id) override {
    return inner_->GetOutbox(id);
  }
  absl::StatusOr<std::vector<OutboxRecord>> ListOutbox(const std::string& subscriber,
                                                       const std::string& state, int64_t before_id,
                                                       int limit) override {
    return inner_->ListOutbox(subscriber, state, before_id, limit);
  }
  absl::StatusOr<std::vector<DeliveryAttemptRecord>> ListDeliveryAttempts(
      int64_t outbox_id) override {
    return inner_->ListDeliveryAttempts(outbox_id);
  }
  absl::StatusOr<std::vector<OutboxDepth>> OutboxDepths() override {
    return inner_->OutboxDepths();
  }
  absl::StatusOr<std::optional<DeadLetterRecord>> GetDeadLetter(int64_t id) override {
    return inner_->GetDeadLetter(id);
  }
  absl::StatusOr<std::vector<DeadLetterRecord>> ListDeadLetters(const DeadLetterQuery& q) override {
    return inner_->ListDeadLetters(q);
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ParkedDeadLetters() override {
    return inner_->ParkedDeadLetters();
  }
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, int limit) override {
    return inner_->ListAudit(after, limit);
  }
  absl::StatusOr<std::optional<SubscriptionRecord>> GetSubscription(
      const std::string& name) override {
    return inner_->GetSubscription(name);
  }
  absl::StatusOr<std::vector<SubscriptionRecord>> ListSubscriptions() override {
    return inner_->ListSubscriptions();
  }
  absl::StatusOr<std::optional<InboundRecord>> GetInbound(int64_t id) override {
    return inner_->GetInbound(id);
  }
  absl::StatusOr<std::vector<InboundRecord>> ListInbound(const std::string& source,
                                                         int64_t before_id, int limit) override {
    return inner_->ListInbound(source, before_id, limit);
  }
  absl::StatusOr<std::optional<ReplayRecord>> GetReplay(const std::string& id) override {
    return inner_->GetReplay(id);
  }
  absl::StatusOr<std::vector<ReplayRecord>> ListReplays() override { return inner_->ListReplays(); }
  absl::StatusOr<std::vector<InventoryPositionRecord>> ListPositions(
      const std::string& sku) override {
    return inner_->ListPositions(sku);
  }
  absl::StatusOr<std::vector<InventoryPositionRecord>> PagePositions(const std::string& after_sku,
                                                                     int sku_limit) override {
    return inner_->PagePositions(after_sku, sku_limit);
  }
  absl::Status ScanInventory(
      absl::FunctionRef<void(const InventoryPositionRecord&)> on_position,
      absl::FunctionRef<void(const ReservationRecord&)> on_reservation) override {
    return inner_->ScanInventory(on_position, on_reservation);
  }
  absl::StatusOr<std::optional<ReconciliationRecord>> GetReconciliation(
      const std::string& id) override {
    return inner_->GetReconciliation(id);
  }
  absl::StatusOr<std::vector<ReconciliationRecord>> ListReconciliations(int limit) override {
    return inner_->ListReconciliations(limit);
  }
  absl::StatusOr<std::vector<FeedStateRecord>> ListFeedState() override {
    return inner_->ListFeedState();
  }
  absl::StatusOr<std::optional<ConnectorStateRecord>> GetConnectorState(
      const std::string& connector) override {
    return inner_->GetConnectorState(connector);
  }
  absl::StatusOr<std::vector<ReservationRecord>> ListReservations(
      const std::string& order_id) override {
    return inner_->ListReservations(order_id);
  }
  absl::StatusOr<std::optional<FulfillmentRecord>> GetFulfillment(const std::string& id) override {
    return inner_->GetFulfillment(id);
  }
  absl::StatusOr<std::vector<FulfillmentRecord>> ListFulfillments(
      const std::string& order_id) override {
    return inner_->ListFulfillments(order_id);
  }
  absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>>
  CountFulfillments() override {
    return inner_->CountFulfillments();
  }
  absl::StatusOr<std::optional<ReturnRecord>> GetReturn(const std::string& id) override {
    return inner_->GetReturn(id);
  }
  absl::StatusOr<std::vector<ReturnRecord>> ListReturns(const std::string& order_id) override {
    return inner_->ListReturns(order_id);
  }
  absl::StatusOr<std::vector<TimerRecord>> DueTimers(absl::Time now, int limit) override {
    return inner_->DueTimers(now, limit);
  }
  absl::StatusOr<std::vector<TimerRecord>> ListTimers(const std::string& subject) override {
    return inner_->ListTimers(subject);
  }
  absl::StatusOr<absl::Time> NextTimerDue() override { return inner_->NextTimerDue(); }
  absl::StatusOr<std::vector<OutboxRecord>> ListOutboxBySubject(
      const std::string& subject) override {
    return inner_->ListOutboxBySubject(subject);
  }
  absl::StatusOr<std::vector<StatusCount>> CountOrdersByStatus() override {
    return inner_->CountOrdersByStatus();
  }
  absl::StatusOr<std::vector<StockUpdateRecord>> ListStockUpdates(const std::string& sku,
                                                                  int64_t before_id,
                                                                  int limit) override {
    return inner_->ListStockUpdates(sku, before_id, limit);
  }
  void SetEventObserver(EventObserver* observer) override { inner_->SetEventObserver(observer); }
  absl::StatusOr<int> SchemaVersion() override { return inner_->SchemaVersion(); }
  absl::Status Check() override { return inner_->Check(); }

 protected:
  Store* inner() const { return inner_; }

 private:
  Store* inner_;
};

}  // namespace disthub
