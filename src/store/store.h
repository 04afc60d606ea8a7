// The persistence interface every backend implements (SQLite now, PostgreSQL later).
//
// Nothing here names a backend: only src/app knows the concrete stores. Records are
// plain rows; the canonical documents they carry (Order JSON, event payloads) are
// encoded and decoded above this layer.
//
// Threading: the read methods of Store are thread-safe (backends keep a pool of read
// connections). Write() is for a single writer thread at a time (the CommitQueue);
// REQUIRES: callers never call Write() concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace disthub {

// One order as stored: the indexed columns plus the canonical JSON document.
// A document's packed form (PackAhead, store/packed_text.h) made ahead of its write, off
// the writer thread, or empty. A store that packs documents stores these bytes, once it
// has checked that they hold the text, instead of packing on its writer thread. A cache of
// the text beside it, not part of the record's value: records compare equal whatever their
// PackedForm holds, and what the store reads back has none.
struct PackedForm {
  std::string bytes;

  friend bool operator==(const PackedForm&, const PackedForm&) { return true; }
};

struct OrderRecord {
  std::string id;           // hub id, time-sortable ("ord_01J...")
  std::string channel;      // the sales channel it came from
  std::string channel_ref;  // the channel's own order number, unique per channel
  std::string status;       // lifecycle state (DESIGN.md, Order lifecycle)
  int64_t version = 1;      // bumped by every change
  absl::Time created_at;
  absl::Time updated_at;
  std::string body;  // canonical Order JSON
  PackedForm packed_body;

  friend bool operator==(const OrderRecord&, const OrderRecord&) = default;
};

// One entry of the global event log.
struct EventRecord {
  int64_t seq = 0;             // global sequence, assigned by the store: 1, 2, 3 … no gaps
  std::string type;            // "order.received"
  std::string subject;         // what changed: an order id
  std::string correlation_id;  // the business flow it belongs to (the order)
  std::string causation_id;    // the message that caused it (an inbound request id)
  absl::Time occurred_at;      // when it happened in the world
  absl::Time recorded_at;      // when the hub recorded it
  std::string payload;         // JSON
  PackedForm packed_payload;

  friend bool operator==(const EventRecord&, const EventRecord&) = default;
};

// One message waiting in, or gone through, the transactional outbox: written in the same
// transaction as the change that caused it, then delivered by the events layer.
struct OutboxRecord {
  int64_t id = 0;                 // delivery order, assigned by the store
  std::string subscriber;         // the partner endpoint it goes to (configuration name)
  int64_t event_seq = 0;          // the event it carries
  std::string message_type;       // the event type ("order.received")
  std::string subject;            // the order (or other subject) it is about: ordering unit
  std::string key;                // stable idempotency key sent with every attempt
  std::string body;               // the bytes to send; empty: the event's standard envelope
  std::string state = "pending";  // "pending", "delivered" or "dead"
  int attempts = 0;               // delivery attempts so far
  absl::Time created_at;
  absl::Time next_attempt_at;  // not tried again before this
  absl::Time updated_at;
  std::string last_error;  // why the last attempt failed ("" when none did)
  std::string replay_id;   // the replay that queued it, "" for the original delivery

  friend bool operator==(const OutboxRecord&, const OutboxRecord&) = default;
};

// A pending outbox message with what the deliverer needs to send it.
struct OutboxMessage {
  OutboxRecord record;
  EventRecord event;  // the event it carries (seq 0 if it was pruned)
};

// Changes one outbox message after a delivery attempt or an operator action.
struct OutboxUpdate {
  int64_t id = 0;
  std::string state;  // "pending", "delivered" or "dead"
  int attempts = 0;
  absl::Time next_attempt_at;
  absl::Time updated_at;
  std::string last_error;
};

// One delivery attempt that did not succeed at once, or the one that did after others.
struct DeliveryAttemptRecord {
  int64_t outbox_id = 0;
  int attempt = 0;  // 1, 2, 3 …
  absl::Time started_at;
  int64_t duration_us = 0;
  std::string outcome;  // "delivered", "retry" or "dead"
  std::string cause;    // "ok", "http_5xx", "http_4xx", "quota", "timeout", "reset",
                        // "connect", "circuit_open", "expired", …
  int http_status = 0;  // 0 when no answer came
  std::string detail;   // a readable line: what happened

  friend bool operator==(const DeliveryAttemptRecord&, const DeliveryAttemptRecord&) = default;
};

// A message that could not be processed or delivered, parked for an operator.
struct DeadLetterRecord {
  int64_t id = 0;            // assigned by the store
  std::string kind;          // "delivery" (outbound) or "inbound"
  std::string partner;       // the subscriber (delivery) or the sender (inbound)
  std::string message_type;  // event type, or inbound document kind
  std::string subject;       // order id or partner reference
  int64_t ref = 0;           // the outbox id (delivery) or inbound archive id (inbound)
  std::string cause;         // machine-readable cause ("http_4xx", "max_attempts", …)
  std::string reason;        // what went wrong, for people
  int attempts = 0;
  std::string bytes;             // the original bytes
  std::string state = "parked";  // "parked", "retried" or "discarded"
  absl::Time created_at;
  absl::Time resolved_at;  // when retried or discarded (Unix epoch while parked)
  std::string resolution;  // who did what and why

  friend bool operator==(const DeadLetterRecord&, const DeadLetterRecord&) = default;
};

// Filters for listing dead letters; empty fields match everything. Newest first.
struct DeadLetterQuery {
  std::string kind;
  std::string partner;
  std::string state;
  std::string cause;
  std::string message_type;
  int64_t before_id = 0;  // exclusive cursor; 0: from the newest
  int limit = 50;
};

// One operator action (or automatic one) recorded for audit.
struct AuditRecord {
  int64_t id = 0;  // assigned by the store
  absl::Time at;
  std::string actor;   // partner/key id of the caller, or "system"
  std::string action;  // "dead_letter.retry", "dead_letter.discard", "replay.start", …
  std::string target;  // what it acted on ("dead_letter:17")
  std::string detail;  // JSON or text: the reason, the filter

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

// A named pull subscription: a consumer's durable cursor into the event log.
struct SubscriptionRecord {
  std::string name;
  int64_t cursor = 0;  // the last event seq the consumer acknowledged
  std::string types;   // comma-separated event type patterns ("order.*"); "" = all
  absl::Time created_at;
  absl::Time updated_at;

  friend bool operator==(const SubscriptionRecord&, const SubscriptionRecord&) = default;
};

// One inbound message exactly as received, and what became of it.
struct InboundRecord {
  int64_t id = 0;  // assigned by the store
  absl::Time received_at;
  std::string source;   // the sending partner
  std::string kind;     // "order", …
  std::string key;      // its idempotency key
  std::string headers;  // JSON object of the headers kept (never credentials)
  std::string body;     // the bytes as received
  std::string outcome;  // "accepted", "duplicate", "rejected"
  std::string result;   // the resource it became (order id) or the error
  PackedForm packed_body;

  friend bool operator==(const InboundRecord&, const InboundRecord&) = default;
};

// A replay of events to one subscriber; progress is kept so it can resume.
struct ReplayRecord {
  std::string id;
  std::string subscriber;
  std::string filter;   // JSON: from_seq, to_seq, from_time, to_time, subject, types
  std::string state;    // "running", "done", "cancelled", "failed"
  int64_t cursor = 0;   // last event seq examined
  int64_t end_seq = 0;  // the last seq it will examine
  int64_t matched = 0;  // events queued for redelivery so far
  std::string actor;
  std::string error;
  absl::Time created_at;
  absl::Time updated_at;

  friend bool operator==(const ReplayRecord&, const ReplayRecord&) = default;
};

// One SKU at one location (src/inventory gives the columns their meaning).
struct InventoryPositionRecord {
  std::string sku;
  std::string location;
  int64_t on_hand = 0;
  int64_t reserved = 0;  // sum of the active reservations here, kept in the same transaction
  int64_t safety_stock = 0;
  int64_t inbound = 0;
  int64_t last_sequence = 0;                     // newest source sequence applied, 0: none
  absl::Time last_as_of = absl::InfinitePast();  // newest source timestamp applied
  absl::Time updated_at;

  friend bool operator==(const InventoryPositionRecord&, const InventoryPositionRecord&) = default;
};

// The reservation of one order line at one location.
struct ReservationRecord {
  std::string order_id;
  int64_t line = 0;
  std::string location;
  std::string sku;
  std::string channel;
  int64_t quantity = 0;
  int64_t consumed = 0;
  std::string state;  // "active", "released", "consumed"
  absl::Time created_at;
  absl::Time updated_at;

  friend bool operator==(const ReservationRecord&, const ReservationRecord&) = default;
};

// One stock update from a warehouse as received, with what became of it; stale and
// refused ones are kept too.
struct StockUpdateRecord {
  int64_t id = 0;          // assigned by the store
  std::string source;      // the partner that sent it
  std::string message_id;  // its id, unique per source: repeats are answered from here
  std::string kind;        // "adjustment" or "snapshot"
  std::string sku;
  std::string location;
  std::optional<int64_t> delta;
  std::optional<int64_t> on_hand;
  int64_t sequence = 0;
  absl::Time as_of = absl::InfinitePast();
  std::string outcome;  // "applied", "unchanged" (stale), "refused"
  std::string reason;
  absl::Time received_at;

  friend bool operator==(const StockUpdateRecord&, const StockUpdateRecord&) = default;
};

// One reconciliation of the hub's stock against the system of record's count.
struct ReconciliationRecord {
  std::string id;
  std::string state;   // "running", "done", "failed", "interrupted"
  bool apply = false;  // corrects the drift (false: a report only)
  int64_t total = 0;   // positions to compare
  int64_t checked = 0;
  int64_t drifts = 0;
  int64_t corrected = 0;
  std::string actor;
  std::string report;  // JSON: the drifts found
  std::string error;
  absl::Time created_at;
  absl::Time updated_at;

  friend bool operator==(const ReconciliationRecord&, const ReconciliationRecord&) = default;
};

// What a channel was last told it may sell of one SKU (the availability feed).
struct FeedStateRecord {
  std::string channel;
  std::string sku;
  int64_t sellable = 0;
  absl::Time pushed_at;

  friend bool operator==(const FeedStateRecord&, const FeedStateRecord&) = default;
};

// Where a polling connector has read up to (connectors/order_poller.h): its cursor, kept so
// that a restart goes on from there rather than from the start.
struct ConnectorStateRecord {
  std::string connector;  // the instance's name
  std::string cursor;     // the connector's own text (a time, a token)
  absl::Time updated_at;

  friend bool operator==(const ConnectorStateRecord&, const ConnectorStateRecord&) = default;
};

// One fulfillment order: the part of an order one location ships (src/orchestration
// gives the state and the body their meaning).
struct FulfillmentRecord {
  std::string id;  // "ful_01J..."
  std::string order_id;
  std::string location;
  std::string state;    // "released", "acknowledged", "shipped", "cancel_requested", …
  int attempt = 0;      // release messages sent to the location so far
  int64_t version = 1;  // bumped by every change
  absl::Time created_at;
  absl::Time updated_at;
  std::string body;  // JSON: lines, shipments, times

  friend bool operator==(const FulfillmentRecord&, const FulfillmentRecord&) = default;
};

// One return of goods from an order (src/orchestration gives the state and the body
// their meaning).
struct ReturnRecord {
  std::string id;  // "ret_01J..."
  std::string order_id;
  std::string location;  // where the goods come back to
  std::string state;     // "requested", "authorized", "received", "inspected", "credited",
                         // "closed", "rejected"
  int64_t version = 1;
  absl::Time created_at;
  absl::Time updated_at;
  std::string body;  // JSON: the channel's reference, lines, receipt, inspection, credit

  friend bool operator==(const ReturnRecord&, const ReturnRecord&) = default;
};

// A durable timer: survives restarts and fires once its time has come.
struct TimerRecord {
  // Deterministic per purpose ("ack:ful_01J...:2"), so setting a timer twice keeps one.
  std::string id;
  std::string kind;     // what to do when it fires ("ack_deadline", "backorder_recheck", …)
  std::string subject;  // the order it is about
  absl::Time due_at;
  std::string payload;  // JSON for the handler, or ""

  friend bool operator==(const TimerRecord&, const TimerRecord&) = default;
};

// Selects events for pull feeds and replays. Empty fields match everything.
struct EventQuery {
  int64_t after = 0;   // seq > after
  int64_t to_seq = 0;  // seq <= to_seq; 0: no bound
  std::string subject;
  std::vector<std::string> types;               // exact types or prefixes ending in '*'
  absl::Time from_time = absl::InfinitePast();  // recorded_at >= from_time
  absl::Time to_time = absl::InfiniteFuture();  // recorded_at < to_time
  int limit = 100;
};

// Per-subscriber outbox figures for metrics.
struct OutboxDepth {
  std::string subscriber;
  int64_t pending = 0;
  int64_t dead = 0;
  absl::Time oldest_pending = absl::InfiniteFuture();
};

// Observes every event appended, inside the same transaction (and savepoint), so what
// it writes commits or rolls back with the event. Used by the outbox router.
class WriteTxn;
class EventObserver {
 public:
  virtual ~EventObserver() = default;
  virtual absl::Status OnEventAppended(WriteTxn& txn, const EventRecord& event) = 0;
};

// What an Idempotency-Key was first used for, per caller scope.
struct IdempotencyRecord {
  std::string scope;         // who used the key (the partner), so callers never collide
  std::string key;           // the Idempotency-Key header
  std::string request_hash;  // fingerprint of the first request, to refuse reuse with another
  std::string resource_id;   // what the first request created (an order id)
  int status_code = 0;       // the first answer's HTTP status
  absl::Time created_at;

  friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

// A page of orders, newest first. Empty fields match everything.
struct OrderQuery {
  std::string channel;
  std::string status;
  std::string before_id;  // exclusive cursor: only ids sorting before this one
  int limit = 50;
};

// The write side of one transaction. Valid only inside Store::Write's callback.
class WriteTxn {
 public:
  virtual ~WriteTxn() = default;

  virtual absl::StatusOr<std::optional<OrderRecord>> FindOrder(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<OrderRecord>> FindOrderByChannelRef(
      const std::string& channel, const std::string& channel_ref) = 0;
  // kAlreadyExists when the id or the (channel, channel_ref) pair is taken.
  virtual absl::Status InsertOrder(const OrderRecord& order) = 0;
  // Replaces status, version, updated_at and body of the order with `order.id`, only if
  // its stored version is `order.version - 1` (optimistic check): kNotFound when there is
  // no such order, kAborted when the version moved.
  virtual absl::Status UpdateOrder(const OrderRecord& order) = 0;

  virtual absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyKey(
      const std::string& scope, const std::string& key) = 0;
  // kAlreadyExists when (scope, key) is taken.
  virtual absl::Status InsertIdempotencyKey(const IdempotencyRecord& record) = 0;

  // Appends `event` with the next global sequence number and returns it. The store's
  // EventObserver (if any) runs inside, seeing the event with its seq.
  virtual absl::StatusOr<int64_t> AppendEvent(const EventRecord& event) = 0;

  // Outbox. InsertOutbox returns the new id.
  virtual absl::StatusOr<int64_t> InsertOutbox(const OutboxRecord& record) = 0;
  // kNotFound when the id is unknown.
  virtual absl::Status UpdateOutbox(const OutboxUpdate& update) = 0;
  virtual absl::StatusOr<std::optional<OutboxRecord>> FindOutbox(int64_t id) = 0;
  virtual absl::Status InsertDeliveryAttempt(const DeliveryAttemptRecord& attempt) = 0;

  // Dead letters. InsertDeadLetter returns the new id.
  virtual absl::StatusOr<int64_t> InsertDeadLetter(const DeadLetterRecord& record) = 0;
  virtual absl::StatusOr<std::optional<DeadLetterRecord>> FindDeadLetter(int64_t id) = 0;
  // Sets state, resolved_at and resolution. kNotFound when the id is unknown.
  virtual absl::Status ResolveDeadLetter(int64_t id, const std::string& state,
                                         absl::Time resolved_at, const std::string& resolution) = 0;

  virtual absl::StatusOr<int64_t> AppendAudit(const AuditRecord& record) = 0;

  // Creates or replaces a pull subscription.
  virtual absl::Status PutSubscription(const SubscriptionRecord& record) = 0;
  virtual absl::StatusOr<std::optional<SubscriptionRecord>> FindSubscription(
      const std::string& name) = 0;

  virtual absl::StatusOr<int64_t> InsertInbound(const InboundRecord& record) = 0;

  // Creates or replaces a replay's record.
  virtual absl::Status PutReplay(const ReplayRecord& record) = 0;

  // Inventory: positions and reservations are created or replaced whole.
  virtual absl::Status PutPosition(const InventoryPositionRecord& record) = 0;
  virtual absl::Status PutReservation(const ReservationRecord& record) = 0;
  virtual absl::StatusOr<std::optional<StockUpdateRecord>> FindStockUpdate(
      const std::string& source, const std::string& message_id) = 0;
  // Returns the new id; kAlreadyExists when (source, message_id) is taken.
  virtual absl::StatusOr<int64_t> InsertStockUpdate(const StockUpdateRecord& record) = 0;
  // Creates or replaces a reconciliation's record.
  virtual absl::Status PutReconciliation(const ReconciliationRecord& record) = 0;
  // Creates or replaces what a channel was last told of a SKU.
  virtual absl::Status PutFeedState(const FeedStateRecord& record) = 0;
  // Inserts or replaces a connector's state.
  virtual absl::Status PutConnectorState(const ConnectorStateRecord& record) = 0;

  // Fulfillment orders are created or replaced whole.
  virtual absl::Status PutFulfillment(const FulfillmentRecord& record) = 0;
  virtual absl::StatusOr<std::optional<FulfillmentRecord>> FindFulfillment(
      const std::string& id) = 0;
  // The fulfillment orders of one order, oldest first.
  virtual absl::StatusOr<std::vector<FulfillmentRecord>> FindFulfillments(
      const std::string& order_id) = 0;
  // Returns are created or replaced whole.
  virtual absl::Status PutReturn(const ReturnRecord& record) = 0;
  virtual absl::StatusOr<std::optional<ReturnRecord>> FindReturn(const std::string& id) = 0;
  // The returns of one order, oldest first.
  virtual absl::StatusOr<std::vector<ReturnRecord>> FindReturns(const std::string& order_id) = 0;
  // Creates or replaces a timer (by id).
  virtual absl::Status PutTimer(const TimerRecord& record) = 0;
  virtual absl::StatusOr<std::optional<TimerRecord>> FindTimer(const std::string& id) = 0;
  // Removes a timer; removing one that is not there is not an error.
  virtual absl::Status DeleteTimer(const std::string& id) = 0;

  // Runs `fn` so that if it fails, everything it wrote (and every sequence number it
  // took) is undone while the rest of the transaction stands. Returns fn's status.
  virtual absl::Status Isolated(absl::FunctionRef<absl::Status()> fn) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one transaction and commits it durably (as the backend's sync setting
  // says) before returning. If `fn` fails or the commit fails, nothing of it is kept.
  virtual absl::Status Write(absl::FunctionRef<absl::Status(WriteTxn&)> fn) = 0;

  // Group commit with the flush to disk off the writer's path (CommitQueue). Like Write(),
  // but may return once the transaction is committed and before it is durable; a later
  // SyncCommitted() makes every commit returned so far durable. SyncCommitted() may run on
  // another thread while the next WriteUnsynced() runs. What could leave the hub before it
  // is durable is held back until it is: ListEvents(), QueryEvents(), LastEventSeq() and
  // PendingOutbox() stop at the last synced commit. A backend without that split commits durably
  // here and has nothing left to sync.
  virtual absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) {
    return Write(fn);
  }
  // After an error, commits made since the last successful sync may be lost: the caller
  // must treat their outcome as unknown (and the backend's later syncs cannot vouch for
  // them either, since the kernel may have dropped the pages it failed to write).
  virtual absl::Status SyncCommitted() { return absl::OkStatus(); }

  virtual absl::StatusOr<std::optional<OrderRecord>> GetOrder(const std::string& id) = 0;
  // The order a channel knows by `channel_ref`, if any.
  virtual absl::StatusOr<std::optional<OrderRecord>> GetOrderByChannelRef(
      const std::string& channel, const std::string& channel_ref) = 0;
  virtual absl::StatusOr<std::vector<OrderRecord>> ListOrders(const OrderQuery& query) = 0;
  // Events with seq > after, in order, at most `limit`.
  virtual absl::StatusOr<std::vector<EventRecord>> ListEvents(int64_t after, int limit) = 0;
  virtual absl::StatusOr<int64_t> LastEventSeq() = 0;
  virtual absl::StatusOr<int64_t> CountOrders() = 0;

  // Events matching `query`, in seq order.
  virtual absl::StatusOr<std::vector<EventRecord>> QueryEvents(const EventQuery& query) = 0;

  // Pending outbox messages with id > after_id, in id order, with their events.
  virtual absl::StatusOr<std::vector<OutboxMessage>> PendingOutbox(int64_t after_id, int limit) = 0;
  virtual absl::StatusOr<std::optional<OutboxRecord>> GetOutbox(int64_t id) = 0;
  // Outbox messages of one subscriber (all if ""), newest first, in one state (all if "").
  virtual absl::StatusOr<std::vector<OutboxRecord>> ListOutbox(const std::string& subscriber,
                                                               const std::string& state,
                                                               int64_t before_id, int limit) = 0;
  virtual absl::StatusOr<std::vector<DeliveryAttemptRecord>> ListDeliveryAttempts(
      int64_t outbox_id) = 0;
  virtual absl::StatusOr<std::vector<OutboxDepth>> OutboxDepths() = 0;

  virtual absl::StatusOr<std::optional<DeadLetterRecord>> GetDeadLetter(int64_t id) = 0;
  virtual absl::StatusOr<std::vector<DeadLetterRecord>> ListDeadLetters(
      const DeadLetterQuery& query) = 0;
  // Parked dead letters per partner ("" key: all).
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ParkedDeadLetters() = 0;

  // Audit entries with id > after, oldest first.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, int limit) = 0;

  virtual absl::StatusOr<std::optional<SubscriptionRecord>> GetSubscription(
      const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<SubscriptionRecord>> ListSubscriptions() = 0;

  virtual absl::StatusOr<std::optional<InboundRecord>> GetInbound(int64_t id) = 0;
  // Newest first; `source` "" for every source.
  virtual absl::StatusOr<std::vector<InboundRecord>> ListInbound(const std::string& source,
                                                                 int64_t before_id, int limit) = 0;

  virtual absl::StatusOr<std::optional<ReplayRecord>> GetReplay(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<ReplayRecord>> ListReplays() = 0;

  // Inventory. Positions of one SKU, by location.
  virtual absl::StatusOr<std::vector<InventoryPositionRecord>> ListPositions(
      const std::string& sku) = 0;
  // Every position of the first `sku_limit` SKUs sorting after `after_sku`, by SKU then
  // location.
  virtual absl::StatusOr<std::vector<InventoryPositionRecord>> PagePositions(
      const std::string& after_sku, int sku_limit) = 0;
  // Calls `fn` for every position, then every reservation (start-up loading).
  virtual absl::Status ScanInventory(
      absl::FunctionRef<void(const InventoryPositionRecord&)> on_position,
      absl::FunctionRef<void(const ReservationRecord&)> on_reservation) = 0;
  virtual absl::StatusOr<std::optional<ReconciliationRecord>> GetReconciliation(
      const std::string& id) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<ReconciliationRecord>> ListReconciliations(int limit) = 0;
  // Every channel's last pushed availability, by channel then SKU.
  virtual absl::StatusOr<std::vector<FeedStateRecord>> ListFeedState() = 0;
  virtual absl::StatusOr<std::optional<ConnectorStateRecord>> GetConnectorState(
      const std::string& connector) = 0;
  // The reservations of one order, by line then location.
  virtual absl::StatusOr<std::vector<ReservationRecord>> ListReservations(
      const std::string& order_id) = 0;
  // Stock updates for `sku` ("" any), newest first, with ids below `before_id` (0: any).
  virtual absl::StatusOr<std::vector<StockUpdateRecord>> ListStockUpdates(const std::string& sku,
                                                                          int64_t before_id,
                                                                          int limit) = 0;

  // Orchestration. A fulfillment order by id; those of one order, oldest first.
  virtual absl::StatusOr<std::optional<FulfillmentRecord>> GetFulfillment(
      const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<FulfillmentRecord>> ListFulfillments(
      const std::string& order_id) = 0;
  virtual absl::StatusOr<std::optional<ReturnRecord>> GetReturn(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<ReturnRecord>> ListReturns(const std::string& order_id) = 0;
  // Fulfillment orders per (location, state), for metrics.
  virtual absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>>
  CountFulfillments() = 0;
  // Timers due at or before `now`, soonest first, at most `limit`.
  virtual absl::StatusOr<std::vector<TimerRecord>> DueTimers(absl::Time now, int limit) = 0;
  // The timers of one subject, soonest first.
  virtual absl::StatusOr<std::vector<TimerRecord>> ListTimers(const std::string& subject) = 0;
  // When the next timer is due (InfiniteFuture when there is none).
  virtual absl::StatusOr<absl::Time> NextTimerDue() = 0;
  // Outbox messages about one subject (an order), oldest first.
  virtual absl::StatusOr<std::vector<OutboxRecord>> ListOutboxBySubject(
      const std::string& subject) = 0;
  // Per order status, how many orders and the oldest updated_at (order age by state).
  struct StatusCount {
    std::string status;
    int64_t orders = 0;
    absl::Time oldest_update = absl::InfiniteFuture();
  };
  virtual absl::StatusOr<std::vector<StatusCount>> CountOrdersByStatus() = 0;

  // Sets the observer every AppendEvent calls (nullptr: none). Call before writing;
  // `observer` must outlive the store's use.
  virtual void SetEventObserver(EventObserver* observer) = 0;

  // The schema version after migrations.
  virtual absl::StatusOr<int> SchemaVersion() = 0;
  // Whether the store can serve requests now (for /readyz).
  virtual absl::Status Check() = 0;
};

}  // namespace disthub
