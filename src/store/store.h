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
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace disthub {

// One order as stored: the indexed columns plus the canonical JSON document.
struct OrderRecord {
  std::string id;           // hub id, time-sortable ("ord_01J...")
  std::string channel;      // the sales channel it came from
  std::string channel_ref;  // the channel's own order number, unique per channel
  std::string status;       // lifecycle state (DESIGN.md, Order lifecycle)
  int64_t version = 1;      // bumped by every change
  absl::Time created_at;
  absl::Time updated_at;
  std::string body;  // canonical Order JSON

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

  friend bool operator==(const EventRecord&, const EventRecord&) = default;
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

  virtual absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyKey(
      const std::string& scope, const std::string& key) = 0;
  // kAlreadyExists when (scope, key) is taken.
  virtual absl::Status InsertIdempotencyKey(const IdempotencyRecord& record) = 0;

  // Appends `event` with the next global sequence number and returns it.
  virtual absl::StatusOr<int64_t> AppendEvent(const EventRecord& event) = 0;

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

  virtual absl::StatusOr<std::optional<OrderRecord>> GetOrder(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<OrderRecord>> ListOrders(const OrderQuery& query) = 0;
  // Events with seq > after, in order, at most `limit`.
  virtual absl::StatusOr<std::vector<EventRecord>> ListEvents(int64_t after, int limit) = 0;
  virtual absl::StatusOr<int64_t> LastEventSeq() = 0;
  virtual absl::StatusOr<int64_t> CountOrders() = 0;

  // The schema version after migrations.
  virtual absl::StatusOr<int> SchemaVersion() = 0;
  // Whether the store can serve requests now (for /readyz).
  virtual absl::Status Check() = 0;
};

}  // namespace disthub
