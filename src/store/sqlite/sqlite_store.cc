#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "store/packed_text.h"
#include "store/sqlite/sqlite_migrations.h"

namespace disthub {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
// Infinite times stored as the extremes of the microsecond range.
absl::Time ClampTime(absl::Time t) {
  if (t == absl::InfinitePast()) return absl::FromUnixMicros(std::numeric_limits<int64_t>::min());
  if (t == absl::InfiniteFuture()) return absl::FromUnixMicros(std::numeric_limits<int64_t>::max());
  return t;
}
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

absl::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = StrCat(what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(msg);
      }
      return absl::FailedPreconditionError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A document bound as a statement parameter: packed (packed_text.h) when that pays, with
// the packed form made ahead when there is one that holds the text.
struct Document {
  std::string_view text;
  const PackedForm* ahead = nullptr;
};

// A prepared statement, reset after every use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  // `persistent`: kept for the connection's life (prepared once, run many times).
  absl::Status Prepare(sqlite3* db, std::string_view sql, bool persistent = true) {
    db_ = db;
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, StrCat("preparing ", sql));
    return absl::OkStatus();
  }

  // Binds parameters 1..n in order.
  template <typename... Args>
  Stmt& Bind(const Args&... args) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    damage_ = absl::OkStatus();
    packed_used_ = 0;
    int i = 0;
    (BindOne(++i, args), ...);
    return *this;
  }

  // Binds parameter `i` (from 1) after a Bind().
  template <typename T>
  void BindAt(int i, const T& value) {
    BindOne(i, value);
  }

  // Steps once: true when a row is available, false when done.
  absl::StatusOr<bool> Step() {
    if (!damage_.ok()) {  // a row read since the last step held a damaged document
      sqlite3_reset(stmt_);
      return std::exchange(damage_, absl::OkStatus());
    }
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    sqlite3_reset(stmt_);
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, sqlite3_extended_errcode(db_), "executing statement");
  }

  absl::Status Exec() {
    DISTHUB_ASSIGN_OR_RETURN(bool row, Step());
    if (row) sqlite3_reset(stmt_);
    return absl::OkStatus();
  }

  void Reset() { sqlite3_reset(stmt_); }

  // Resets after reading a row: DataLoss if a document in it did not unpack.
  absl::Status Finish() {
    sqlite3_reset(stmt_);
    return std::exchange(damage_, absl::OkStatus());
  }

  // Steps to the end after a Bind(), reading every row with `read`.
  template <typename Read>
  auto All(Read read) -> absl::StatusOr<std::vector<decltype(read(*this))>> {
    std::vector<decltype(read(*this))> rows;
    while (true) {
      DISTHUB_ASSIGN_OR_RETURN(bool row, Step());
      if (!row) return rows;
      rows.push_back(read(*this));
    }
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<int64_t> OptInt(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, col);
  }
  // A column's text. Documents bound packed come back unpacked; one that does not unpack
  // comes back empty and fails the next Step() or Finish() with DataLoss.
  std::string Text(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_BLOB) return Unpacked(col);
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  void BindOne(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void BindOne(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void BindOne(int i, Document d) {
    if (d.ahead != nullptr && !d.ahead->bytes.empty() && PacksTo(d.ahead->bytes, d.text)) {
      const std::string& packed = d.ahead->bytes;  // the record outlives the statement's run
      sqlite3_bind_blob(stmt_, i, packed.data(), static_cast<int>(packed.size()), SQLITE_STATIC);
      return;
    }
    if (packed_used_ == packed_.size()) packed_.emplace_back();
    std::string& packed = packed_[packed_used_];
    if (!PackText(d.text, packed)) return BindOne(i, d.text);
    ++packed_used_;
    sqlite3_bind_blob(stmt_, i, packed.data(), static_cast<int>(packed.size()), SQLITE_STATIC);
  }
  void BindOne(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindOne(int i, int v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindOne(int i, const std::optional<int64_t>& v) {
    if (v) {
      sqlite3_bind_int64(stmt_, i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }

  std::string Unpacked(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    const auto n = static_cast<size_t>(sqlite3_column_bytes(stmt_, col));
    absl::StatusOr<std::string> text =
        UnpackText(std::string_view(p ? static_cast<const char*>(p) : "", n));
    if (text.ok()) return *std::move(text);
    if (damage_.ok()) {
      damage_ = absl::DataLossError(StrCat("column \"", sqlite3_column_name(stmt_, col), "\" of ",
                                           sqlite3_sql(stmt_), ": ", text.status().message()));
    }
    return std::string();
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  mutable absl::Status damage_;     // set by Text() on a document that does not unpack
  std::deque<std::string> packed_;  // the packed documents bound (stable addresses)
  size_t packed_used_ = 0;
};

}  // namespace

void ConfigureSqliteLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Without memory statistics SQLite's allocator takes no process-wide mutex per call.
    // Debian's build has no lookaside, so every small allocation of every connection went
    // through that one mutex. sqlite3_config() only works before sqlite3_initialize();
    // if something else already initialized the library it refuses, and that is harmless.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

namespace {

absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = StrCat(err ? err : sqlite3_errstr(rc), " in: ", sql.substr(0, 120));
    sqlite3_free(err);
    absl::Status s = SqliteError(nullptr, rc, "sqlite");
    return absl::Status(s.code(), msg);
  }
  return absl::OkStatus();
}

absl::StatusOr<sqlite3*> OpenConnection(const SqliteOptions& options, bool read_only) {
  ConfigureSqliteLibrary();
  sqlite3* db = nullptr;
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(db, rc, StrCat("opening ", options.path));
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  // Debian builds SQLite with SECURE_DELETE, which zero-fills every byte a row update or
  // delete frees (outbox states, order versions, timers): a memset on the writer's path
  // for forensic hygiene the store does not promise. Upstream's default is off.
  if (!read_only) DISTHUB_RETURN_IF_ERROR(Exec(db, "PRAGMA secure_delete = OFF"));
  return db;
}

constexpr std::string_view kOrderColumns =
    "id, channel, channel_ref, status, version, created_at, updated_at, body";

OrderRecord ReadOrder(const Stmt& s) {
  return OrderRecord{.id = s.Text(0),
                     .channel = s.Text(1),
                     .channel_ref = s.Text(2),
                     .status = s.Text(3),
                     .version = s.Int(4),
                     .created_at = FromMicros(s.Int(5)),
                     .updated_at = FromMicros(s.Int(6)),
                     .body = s.Text(7)};
}

absl::StatusOr<std::optional<OrderRecord>> OneOrder(Stmt& s) {
  DISTHUB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::nullopt;
  OrderRecord r = ReadOrder(s);
  DISTHUB_RETURN_IF_ERROR(s.Finish());
  return r;
}

constexpr std::string_view kOutboxColumns =
    "id, subscriber, event_seq, message_type, subject, key, body, state, attempts, created_at, "
    "next_attempt_at, updated_at, last_error, replay_id";

OutboxRecord ReadOutbox(const Stmt& s, int c = 0) {
  return OutboxRecord{.id = s.Int(c + 0),
                      .subscriber = s.Text(c + 1),
                      .event_seq = s.Int(c + 2),
                      .message_type = s.Text(c + 3),
                      .subject = s.Text(c + 4),
                      .key = s.Text(c + 5),
                      .body = s.Text(c + 6),
                      .state = s.Text(c + 7),
                      .attempts = static_cast<int>(s.Int(c + 8)),
                      .created_at = FromMicros(s.Int(c + 9)),
                      .next_attempt_at = FromMicros(s.Int(c + 10)),
                      .updated_at = FromMicros(s.Int(c + 11)),
                      .last_error = s.Text(c + 12),
                      .replay_id = s.Text(c + 13)};
}

constexpr std::string_view kEventColumns =
    "seq, type, subject, correlation_id, causation_id, occurred_at, recorded_at, payload";

EventRecord ReadEvent(const Stmt& s, int c = 0) {
  return EventRecord{.seq = s.Int(c + 0),
                     .type = s.Text(c + 1),
                     .subject = s.Text(c + 2),
                     .correlation_id = s.Text(c + 3),
                     .causation_id = s.Text(c + 4),
                     .occurred_at = FromMicros(s.Int(c + 5)),
                     .recorded_at = FromMicros(s.Int(c + 6)),
                     .payload = s.Text(c + 7)};
}

constexpr std::string_view kDeadLetterColumns =
    "id, kind, partner, message_type, subject, ref, cause, reason, attempts, bytes, state, "
    "created_at, resolved_at, resolution";

DeadLetterRecord ReadDeadLetter(const Stmt& s) {
  return DeadLetterRecord{.id = s.Int(0),
                          .kind = s.Text(1),
                          .partner = s.Text(2),
                          .message_type = s.Text(3),
                          .subject = s.Text(4),
                          .ref = s.Int(5),
                          .cause = s.Text(6),
                          .reason = s.Text(7),
                          .attempts = static_cast<int>(s.Int(8)),
                          .bytes = s.Text(9),
                          .state = s.Text(10),
                          .created_at = FromMicros(s.Int(11)),
                          .resolved_at = FromMicros(s.Int(12)),
                          .resolution = s.Text(13)};
}

constexpr std::string_view kSubscriptionColumns = "name, cursor, types, created_at, updated_at";

SubscriptionRecord ReadSubscription(const Stmt& s) {
  return SubscriptionRecord{.name = s.Text(0),
                            .cursor = s.Int(1),
                            .types = s.Text(2),
                            .created_at = FromMicros(s.Int(3)),
                            .updated_at = FromMicros(s.Int(4))};
}

constexpr std::string_view kInboundColumns =
    "id, received_at, source, kind, key, headers, body, outcome, result";

InboundRecord ReadInbound(const Stmt& s) {
  return InboundRecord{.id = s.Int(0),
                       .received_at = FromMicros(s.Int(1)),
                       .source = s.Text(2),
                       .kind = s.Text(3),
                       .key = s.Text(4),
                       .headers = s.Text(5),
                       .body = s.Text(6),
                       .outcome = s.Text(7),
                       .result = s.Text(8)};
}

constexpr std::string_view kReplayColumns =
    "id, subscriber, filter, state, cursor, end_seq, matched, actor, error, created_at, "
    "updated_at";

ReplayRecord ReadReplay(const Stmt& s) {
  return ReplayRecord{.id = s.Text(0),
                      .subscriber = s.Text(1),
                      .filter = s.Text(2),
                      .state = s.Text(3),
                      .cursor = s.Int(4),
                      .end_seq = s.Int(5),
                      .matched = s.Int(6),
                      .actor = s.Text(7),
                      .error = s.Text(8),
                      .created_at = FromMicros(s.Int(9)),
                      .updated_at = FromMicros(s.Int(10))};
}

// Inventory. "No time" (InfinitePast) is stored as the smallest microsecond count.
int64_t AsOfMicros(absl::Time t) {
  return t == absl::InfinitePast() ? std::numeric_limits<int64_t>::min() : Micros(t);
}
absl::Time AsOfFromMicros(int64_t us) {
  return us == std::numeric_limits<int64_t>::min() ? absl::InfinitePast() : FromMicros(us);
}

constexpr std::string_view kPositionColumns =
    "sku, location, on_hand, reserved, safety_stock, inbound, last_sequence, last_as_of, "
    "updated_at";

InventoryPositionRecord ReadPosition(const Stmt& s) {
  return InventoryPositionRecord{.sku = s.Text(0),
                                 .location = s.Text(1),
                                 .on_hand = s.Int(2),
                                 .reserved = s.Int(3),
                                 .safety_stock = s.Int(4),
                                 .inbound = s.Int(5),
                                 .last_sequence = s.Int(6),
                                 .last_as_of = AsOfFromMicros(s.Int(7)),
                                 .updated_at = FromMicros(s.Int(8))};
}

constexpr std::string_view kReservationColumns =
    "order_id, line, location, sku, channel, quantity, consumed, state, created_at, updated_at";

ReservationRecord ReadReservation(const Stmt& s) {
  return ReservationRecord{.order_id = s.Text(0),
                           .line = s.Int(1),
                           .location = s.Text(2),
                           .sku = s.Text(3),
                           .channel = s.Text(4),
                           .quantity = s.Int(5),
                           .consumed = s.Int(6),
                           .state = s.Text(7),
                           .created_at = FromMicros(s.Int(8)),
                           .updated_at = FromMicros(s.Int(9))};
}

constexpr std::string_view kFulfillmentColumns =
    "id, order_id, location, state, attempt, version, created_at, updated_at, body";

FulfillmentRecord ReadFulfillment(const Stmt& s) {
  return FulfillmentRecord{.id = s.Text(0),
                           .order_id = s.Text(1),
                           .location = s.Text(2),
                           .state = s.Text(3),
                           .attempt = static_cast<int>(s.Int(4)),
                           .version = s.Int(5),
                           .created_at = FromMicros(s.Int(6)),
                           .updated_at = FromMicros(s.Int(7)),
                           .body = s.Text(8)};
}

constexpr std::string_view kReturnColumns =
    "id, order_id, location, state, version, created_at, updated_at, body";

ReturnRecord ReadReturn(const Stmt& s) {
  return ReturnRecord{.id = s.Text(0),
                      .order_id = s.Text(1),
                      .location = s.Text(2),
                      .state = s.Text(3),
                      .version = s.Int(4),
                      .created_at = FromMicros(s.Int(5)),
                      .updated_at = FromMicros(s.Int(6)),
                      .body = s.Text(7)};
}

constexpr std::string_view kTimerColumns = "id, kind, subject, due_at, payload";

TimerRecord ReadTimer(const Stmt& s) {
  return TimerRecord{.id = s.Text(0),
                     .kind = s.Text(1),
                     .subject = s.Text(2),
                     .due_at = FromMicros(s.Int(3)),
                     .payload = s.Text(4)};
}

constexpr std::string_view kReconciliationColumns =
    "id, state, apply, total, checked, drifts, corrected, actor, report, error, created_at, "
    "updated_at";

ReconciliationRecord ReadReconciliation(const Stmt& s) {
  return ReconciliationRecord{.id = s.Text(0),
                              .state = s.Text(1),
                              .apply = s.Int(2) != 0,
                              .total = s.Int(3),
                              .checked = s.Int(4),
                              .drifts = s.Int(5),
                              .corrected = s.Int(6),
                              .actor = s.Text(7),
                              .report = s.Text(8),
                              .error = s.Text(9),
                              .created_at = FromMicros(s.Int(10)),
                              .updated_at = FromMicros(s.Int(11))};
}

constexpr std::string_view kStockUpdateColumns =
    "id, source, message_id, kind, sku, location, delta, on_hand, sequence, as_of, outcome, "
    "reason, received_at";

StockUpdateRecord ReadStockUpdate(const Stmt& s) {
  return StockUpdateRecord{.id = s.Int(0),
                           .source = s.Text(1),
                           .message_id = s.Text(2),
                           .kind = s.Text(3),
                           .sku = s.Text(4),
                           .location = s.Text(5),
                           .delta = s.OptInt(6),
                           .on_hand = s.OptInt(7),
                           .sequence = s.Int(8),
                           .as_of = AsOfFromMicros(s.Int(9)),
                           .outcome = s.Text(10),
                           .reason = s.Text(11),
                           .received_at = FromMicros(s.Int(12))};
}

// "a, b" → "t.a, t.b"
std::string Qualified(std::string_view table, std::string_view columns) {
  std::string out;
  for (std::string_view rest = columns; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view col = rest.substr(0, comma);
    while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out += StrCat(table, ".", col);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return out;
}

// Prepares `sql` once for this call, binds `args` and reads every row with `read`.
template <typename Row, typename Read, typename... Args>
absl::StatusOr<std::vector<Row>> QueryAll(sqlite3* db, std::string_view sql, Read read,
                                          const Args&... args) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(stmt.Prepare(db, sql, /*persistent=*/false));
  stmt.Bind(args...);
  std::vector<Row> out;
  while (true) {
    DISTHUB_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(read(stmt));
  }
}

// As QueryAll, for at most one row.
template <typename Row, typename Read, typename... Args>
absl::StatusOr<std::optional<Row>> QueryOne(sqlite3* db, std::string_view sql, Read read,
                                            const Args&... args) {
  DISTHUB_ASSIGN_OR_RETURN(std::vector<Row> rows, QueryAll<Row>(db, sql, read, args...));
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

// Runs a statement that changes rows; kNotFound naming `what` when none changed.
template <typename... Args>
absl::Status ChangeOne(sqlite3* db, std::string_view sql, std::string_view what,
                       const Args&... args) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(stmt.Prepare(db, sql, /*persistent=*/false));
  DISTHUB_RETURN_IF_ERROR(stmt.Bind(args...).Exec());
  if (sqlite3_changes(db) == 0) return absl::NotFoundError(StrCat(what, " not found"));
  return absl::OkStatus();
}

// The statements a read connection uses.
struct ReadConn {
  sqlite3* db = nullptr;
  Stmt get_order, list_events, last_seq, count_orders;
  Stmt pending_outbox;  // run by the deliverer after every commit
  // close_v2 defers the close until the statements (members, destroyed after this body)
  // are finalized.
  ~ReadConn() { sqlite3_close_v2(db); }

  absl::Status Prepare() {
    DISTHUB_RETURN_IF_ERROR(
        get_order.Prepare(db, StrCat("SELECT ", kOrderColumns, " FROM orders WHERE id = ?")));
    DISTHUB_RETURN_IF_ERROR(list_events.Prepare(
        db, StrCat("SELECT ", kEventColumns, " FROM events WHERE seq > ? ORDER BY seq LIMIT ?")));
    DISTHUB_RETURN_IF_ERROR(last_seq.Prepare(db, "SELECT COALESCE(MAX(seq), 0) FROM events"));
    DISTHUB_RETURN_IF_ERROR(count_orders.Prepare(db, "SELECT COUNT(*) FROM orders"));
    DISTHUB_RETURN_IF_ERROR(pending_outbox.Prepare(
        db, StrCat("SELECT ", Qualified("o", kOutboxColumns), ", ", Qualified("e", kEventColumns),
                   " FROM outbox o LEFT JOIN events e ON e.seq = o.event_seq"
                   " WHERE o.state = 'pending' AND o.id > ? ORDER BY o.id LIMIT ?")));
    return absl::OkStatus();
  }
};

class SqliteStore;

class SqliteWriteTxn final : public WriteTxn {
 public:
  explicit SqliteWriteTxn(SqliteStore* store) : store_(store) {}

  absl::StatusOr<std::optional<OrderRecord>> FindOrder(const std::string& id) override;
  absl::StatusOr<std::optional<OrderRecord>> FindOrderByChannelRef(
      const std::string& channel, const std::string& channel_ref) override;
  absl::Status InsertOrder(const OrderRecord& order) override;
  absl::Status UpdateOrder(const OrderRecord& order) override;
  absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyKey(
      const std::string& scope, const std::string& key) override;
  absl::Status InsertIdempotencyKey(const IdempotencyRecord& record) override;
  absl::StatusOr<int64_t> AppendEvent(const EventRecord& event) override;
  absl::Status Isolated(absl::FunctionRef<absl::Status()> fn) override;

  absl::StatusOr<int64_t> InsertOutbox(const OutboxRecord& record) override;
  absl::Status UpdateOutbox(const OutboxUpdate& update) override;
  absl::StatusOr<std::optional<OutboxRecord>> FindOutbox(int64_t id) override;
  absl::Status InsertDeliveryAttempt(const DeliveryAttemptRecord& attempt) override;
  absl::StatusOr<int64_t> InsertDeadLetter(const DeadLetterRecord& record) override;
  absl::StatusOr<std::optional<DeadLetterRecord>> FindDeadLetter(int64_t id) override;
  absl::Status ResolveDeadLetter(int64_t id, const std::string& state, absl::Time resolved_at,
                                 const std::string& resolution) override;
  absl::StatusOr<int64_t> AppendAudit(const AuditRecord& record) override;
  absl::Status PutSubscription(const SubscriptionRecord& record) override;
  absl::StatusOr<std::optional<SubscriptionRecord>> FindSubscription(
      const std::string& name) override;
  absl::StatusOr<int64_t> InsertInbound(const InboundRecord& record) override;
  absl::Status PutReplay(const ReplayRecord& record) override;
  absl::Status PutPosition(const InventoryPositionRecord& record) override;
  absl::Status PutReservation(const ReservationRecord& record) override;
  absl::StatusOr<std::optional<StockUpdateRecord>> FindStockUpdate(
      const std::string& source, const std::string& message_id) override;
  absl::StatusOr<int64_t> InsertStockUpdate(const StockUpdateRecord& record) override;
  absl::Status PutFeedState(const FeedStateRecord& record) override;
  absl::Status PutConnectorState(const ConnectorStateRecord& record) override;
  absl::Status PutReconciliation(const ReconciliationRecord& record) override;
  absl::Status PutFulfillment(const FulfillmentRecord& record) override;
  absl::StatusOr<std::optional<FulfillmentRecord>> FindFulfillment(const std::string& id) override;
  absl::StatusOr<std::vector<FulfillmentRecord>> FindFulfillments(
      const std::string& order_id) override;
  absl::Status PutReturn(const ReturnRecord& record) override;
  absl::StatusOr<std::optional<ReturnRecord>> FindReturn(const std::string& id) override;
  absl::StatusOr<std::vector<ReturnRecord>> FindReturns(const std::string& order_id) override;
  absl::Status PutTimer(const TimerRecord& record) override;
  absl::StatusOr<std::optional<TimerRecord>> FindTimer(const std::string& id) override;
  absl::Status DeleteTimer(const std::string& id) override;

 private:
  SqliteStore* store_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  ~SqliteStore() override {
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    readers_.clear();
    // close_v2: the writer's statements (w_) are finalized after this body runs.
    sqlite3_close_v2(checkpoint_db_);
    sqlite3_close_v2(writer_);
    if (wal_fd_ >= 0) close(wal_fd_);
  }

  absl::Status Open() {
    DISTHUB_ASSIGN_OR_RETURN(writer_, OpenConnection(options_, /*read_only=*/false));
    if (options_.synchronous != "full" && options_.synchronous != "normal") {
      return absl::InvalidArgumentError(StrCat(
          "store.synchronous must be \"full\" or \"normal\", not \"", options_.synchronous, "\""));
    }
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA journal_mode = WAL"));
    // The writer never waits for the disk itself: with "full", SyncCommitted() flushes the
    // WAL (on the commit queue's own thread) and nothing that could leave the hub is handed
    // out until it has (durable_seq_, durable_outbox_). In WAL mode NORMAL keeps the database
    // consistent across any crash; the flush is what makes a commit survive power loss.
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA synchronous = NORMAL"));
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA foreign_keys = ON"));
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA cache_size = -65536"));  // 64 MiB
    // Every operation runs in a savepoint; a savepoint journal past 64 KiB otherwise
    // spills to a temp file, and those writes were a fifth of the writer's CPU.
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA temp_store = MEMORY"));
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA wal_autocheckpoint = 0"));
    // Once checkpointed, a WAL that grew during a burst is cut back to 64 MiB.
    DISTHUB_RETURN_IF_ERROR(Exec(writer_, "PRAGMA journal_size_limit = 67108864"));
    DISTHUB_RETURN_IF_ERROR(Migrate());
    DISTHUB_RETURN_IF_ERROR(PrepareWriter());

    DISTHUB_ASSIGN_OR_RETURN(w_.next_seq, ReadLastSeq(writer_));
    committed_seq_ = w_.next_seq;
    ++w_.next_seq;
    {
      Stmt max_outbox;
      DISTHUB_RETURN_IF_ERROR(
          max_outbox.Prepare(writer_, "SELECT COALESCE(MAX(id), 0) FROM outbox", false));
      DISTHUB_ASSIGN_OR_RETURN(bool row, max_outbox.Bind().Step());
      w_.last_outbox_id = row ? max_outbox.Int(0) : 0;
      committed_outbox_ = w_.last_outbox_id;
    }
    wal_path_ = options_.path + "-wal";
    // What a crashed process left in the WAL may still be only in the page cache.
    DISTHUB_RETURN_IF_ERROR(SyncCommitted());

    for (int i = 0; i < std::max(1, options_.read_connections); ++i) {
      auto conn = std::make_unique<ReadConn>();
      DISTHUB_ASSIGN_OR_RETURN(conn->db, OpenConnection(options_, /*read_only=*/true));
      DISTHUB_RETURN_IF_ERROR(conn->Prepare());
      idle_readers_.push_back(conn.get());
      readers_.push_back(std::move(conn));
    }

    DISTHUB_ASSIGN_OR_RETURN(checkpoint_db_, OpenConnection(options_, /*read_only=*/false));
    // A connection joins the WAL only once it has read the database; until then its
    // checkpoints silently do nothing.
    DISTHUB_RETURN_IF_ERROR(Exec(checkpoint_db_, "SELECT count(*) FROM sqlite_master"));
    sqlite3_wal_hook(writer_, &SqliteStore::OnWalCommit, this);
    checkpointer_ = std::thread([this] {
      NameThisThread("dh-checkpoint");
      CheckpointLoop();
    });
    return absl::OkStatus();
  }

  absl::Status Write(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    DISTHUB_RETURN_IF_ERROR(WriteUnsynced(fn));
    return SyncCommitted();
  }

  absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    const int64_t seq_at_start = w_.next_seq;
    const int64_t outbox_at_start = w_.last_outbox_id;
    DISTHUB_RETURN_IF_ERROR(w_.begin.Exec());
    SqliteWriteTxn txn(this);
    absl::Status status = fn(txn);
    if (status.ok()) status = w_.commit.Exec();
    if (!status.ok()) {
      // Roll back whatever is open (a failed COMMIT may leave the transaction open).
      if (!sqlite3_get_autocommit(writer_)) (void)w_.rollback.Exec();
      w_.next_seq = seq_at_start;
      w_.last_outbox_id = outbox_at_start;
      return status;
    }
    // Published after the commit's WAL writes: a sync that reads these flushes those.
    committed_seq_.store(w_.next_seq - 1, std::memory_order_release);
    committed_outbox_.store(w_.last_outbox_id, std::memory_order_release);
    return status;
  }

  absl::Status SyncCommitted() override {
    std::lock_guard<std::mutex> lock(sync_mu_);
    const int64_t seq = committed_seq_.load(std::memory_order_acquire);
    const int64_t outbox = committed_outbox_.load(std::memory_order_acquire);
    if (options_.synchronous == "full") DISTHUB_RETURN_IF_ERROR(FlushWal());
    durable_seq_.store(std::max(seq, durable_seq_.load()), std::memory_order_release);
    durable_outbox_.store(std::max(outbox, durable_outbox_.load()), std::memory_order_release);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<OrderRecord>> GetOrder(const std::string& id) override {
    Lease r(this);
    return OneOrder(r->get_order.Bind(id));
  }

  absl::StatusOr<std::optional<OrderRecord>> GetOrderByChannelRef(
      const std::string& channel, const std::string& channel_ref) override {
    Lease r(this);
    return QueryOne<OrderRecord>(
        r->db,
        StrCat("SELECT ", kOrderColumns, " FROM orders WHERE channel = ? AND channel_ref = ?"),
        ReadOrder, channel, channel_ref);
  }

  absl::StatusOr<std::vector<OrderRecord>> ListOrders(const OrderQuery& q) override {
    // Built per call: the filter shape varies, and listing is not a hot path.
    std::string sql = StrCat("SELECT ", kOrderColumns, " FROM orders WHERE 1=1");
    std::vector<std::string> args;
    if (!q.channel.empty()) {
      sql += " AND channel = ?";
      args.push_back(q.channel);
    }
    if (!q.status.empty()) {
      sql += " AND status = ?";
      args.push_back(q.status);
    }
    if (!q.before_id.empty()) {
      sql += " AND id < ?";
      args.push_back(q.before_id);
    }
    sql += " ORDER BY id DESC LIMIT ?";
    Lease r(this);
    Stmt stmt;
    DISTHUB_RETURN_IF_ERROR(stmt.Prepare(r->db, sql, /*persistent=*/false));
    stmt.Bind();
    int i = 0;
    for (const std::string& a : args) stmt.BindAt(++i, a);
    stmt.BindAt(++i, int64_t{q.limit});
    std::vector<OrderRecord> out;
    while (true) {
      DISTHUB_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      out.push_back(ReadOrder(stmt));
    }
  }

  absl::StatusOr<std::vector<EventRecord>> ListEvents(int64_t after, int limit) override {
    // Only durable events: a reader of the feed must never see a seq that a power loss
    // could give to another event.
    const int64_t durable = durable_seq_.load(std::memory_order_acquire);
    std::vector<EventRecord> out;
    if (after >= durable) return out;
    Lease r(this);
    Stmt& s = r->list_events.Bind(after, std::min<int64_t>(limit, durable - after));
    while (true) {
      DISTHUB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (s.Int(0) > durable) {
        s.Reset();
        break;
      }
      out.push_back(ReadEvent(s));
    }
    return out;
  }

  absl::StatusOr<int64_t> LastEventSeq() override {
    const int64_t durable = durable_seq_.load(std::memory_order_acquire);
    Lease r(this);
    DISTHUB_ASSIGN_OR_RETURN(int64_t last, ReadLastSeq(r->db));
    return std::min(last, durable);
  }

  absl::StatusOr<int64_t> CountOrders() override {
    Lease r(this);
    Stmt& s = r->count_orders.Bind();
    DISTHUB_ASSIGN_OR_RETURN(bool row, s.Step());
    int64_t n = row ? s.Int(0) : 0;
    s.Reset();
    return n;
  }

  absl::StatusOr<std::vector<EventRecord>> QueryEvents(const EventQuery& q) override {
    std::string sql = StrCat("SELECT ", kEventColumns, " FROM events WHERE seq > ?1");
    sql += " AND (?2 = 0 OR seq <= ?2)";
    if (q.from_time != absl::InfinitePast()) sql += " AND recorded_at >= ?3";
    if (q.to_time != absl::InfiniteFuture()) sql += " AND recorded_at < ?4";
    if (!q.subject.empty()) sql += " AND subject = ?6";
    if (!q.types.empty()) {
      sql += " AND (";
      for (size_t i = 0; i < q.types.size(); ++i) {
        if (i > 0) sql += " OR ";
        const std::string& t = q.types[i];
        sql += (!t.empty() && t.back() == '*')
                   ? StrCat("substr(type, 1, ", static_cast<int64_t>(t.size() - 1), ") = ?",
                            static_cast<int64_t>(7 + i))
                   : StrCat("type = ?", static_cast<int64_t>(7 + i));
      }
      sql += ")";
    }
    sql += " ORDER BY seq LIMIT ?5";
    // Only durable events, as ListEvents: pull subscriptions and replays read through here.
    const int64_t durable = durable_seq_.load(std::memory_order_acquire);
    if (q.after >= durable) return std::vector<EventRecord>();
    Lease r(this);
    // No index on recorded_at (it would tax every append): times become a seq range by
    // binary search over the primary key, widened by kTimeSlack because times follow seq
    // only nearly (events are stamped just before the writer orders them); the exact
    // time filter then applies within that range.
    int64_t after = q.after, to_seq = q.to_seq;
    if (q.from_time != absl::InfinitePast() || q.to_time != absl::InfiniteFuture()) {
      constexpr int64_t kTimeSlack = 10'000;
      DISTHUB_ASSIGN_OR_RETURN(int64_t last, ReadLastSeq(r->db));
      Stmt at;
      DISTHUB_RETURN_IF_ERROR(
          at.Prepare(r->db, "SELECT recorded_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1",
                     /*persistent=*/false));
      // The first seq whose time is >= t (last + 1 if none).
      auto first_at_or_after = [&](absl::Time t) -> absl::StatusOr<int64_t> {
        int64_t lo = 1, hi = last + 1;
        while (lo < hi) {
          int64_t mid = lo + (hi - lo) / 2;
          DISTHUB_ASSIGN_OR_RETURN(bool row, at.Bind(mid).Step());
          int64_t us = row ? at.Int(0) : std::numeric_limits<int64_t>::max();
          at.Reset();
          if (us >= Micros(t)) {
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        return lo;
      };
      if (q.from_time != absl::InfinitePast()) {
        DISTHUB_ASSIGN_OR_RETURN(int64_t first, first_at_or_after(q.from_time));
        after = std::max(after, first - 1 - kTimeSlack);
      }
      if (q.to_time != absl::InfiniteFuture()) {
        DISTHUB_ASSIGN_OR_RETURN(int64_t end, first_at_or_after(q.to_time));
        int64_t bound = end - 1 + kTimeSlack;
        to_seq = to_seq > 0 ? std::min(to_seq, bound) : bound;
      }
    }
    to_seq = to_seq > 0 ? std::min(to_seq, durable) : durable;
    Stmt stmt;
    DISTHUB_RETURN_IF_ERROR(stmt.Prepare(r->db, sql, /*persistent=*/false));
    stmt.Bind(after, to_seq, Micros(ClampTime(q.from_time)), Micros(ClampTime(q.to_time)),
              int64_t{q.limit});
    if (!q.subject.empty()) stmt.BindAt(6, q.subject);
    std::vector<std::string> prefixes;
    prefixes.reserve(q.types.size());
    for (size_t i = 0; i < q.types.size(); ++i) {
      const std::string& t = q.types[i];
      prefixes.push_back((!t.empty() && t.back() == '*') ? t.substr(0, t.size() - 1) : t);
      stmt.BindAt(static_cast<int>(7 + i), prefixes.back());
    }
    std::vector<EventRecord> out;
    while (true) {
      DISTHUB_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      out.push_back(ReadEvent(stmt));
    }
  }

  absl::StatusOr<std::vector<OutboxMessage>> PendingOutbox(int64_t after_id, int limit) override {
    // Only durable messages: nothing is sent to a partner that a power loss could undo.
    const int64_t durable = durable_outbox_.load(std::memory_order_acquire);
    std::vector<OutboxMessage> out;
    if (after_id >= durable) return out;
    Lease r(this);
    Stmt& s = r->pending_outbox.Bind(after_id, int64_t{limit});
    while (true) {
      DISTHUB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      if (s.Int(0) > durable) {
        s.Reset();
        return out;
      }
      out.push_back(OutboxMessage{ReadOutbox(s, 0), ReadEvent(s, 14)});
    }
  }

  absl::StatusOr<std::optional<OutboxRecord>> GetOutbox(int64_t id) override {
    Lease r(this);
    return QueryOne<OutboxRecord>(
        r->db, StrCat("SELECT ", kOutboxColumns, " FROM outbox WHERE id = ?"),
        [](const Stmt& s) { return ReadOutbox(s); }, id);
  }

  absl::StatusOr<std::vector<OutboxRecord>> ListOutbox(const std::string& subscriber,
                                                       const std::string& state, int64_t before_id,
                                                       int limit) override {
    Lease r(this);
    return QueryAll<OutboxRecord>(
        r->db,
        StrCat("SELECT ", kOutboxColumns,
               " FROM outbox WHERE (?1 = '' OR subscriber = ?1) AND (?2 = '' OR state = ?2)"
               " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4"),
        [](const Stmt& s) { return ReadOutbox(s); }, subscriber, state, before_id, int64_t{limit});
  }

  absl::StatusOr<std::vector<DeliveryAttemptRecord>> ListDeliveryAttempts(
      int64_t outbox_id) override {
    Lease r(this);
    return QueryAll<DeliveryAttemptRecord>(
        r->db,
        "SELECT outbox_id, attempt, started_at, duration_us, outcome, cause, http_status, detail"
        " FROM delivery_attempts WHERE outbox_id = ? ORDER BY attempt",
        [](const Stmt& s) {
          return DeliveryAttemptRecord{.outbox_id = s.Int(0),
                                       .attempt = static_cast<int>(s.Int(1)),
                                       .started_at = FromMicros(s.Int(2)),
                                       .duration_us = s.Int(3),
                                       .outcome = s.Text(4),
                                       .cause = s.Text(5),
                                       .http_status = static_cast<int>(s.Int(6)),
                                       .detail = s.Text(7)};
        },
        outbox_id);
  }

  absl::StatusOr<std::vector<OutboxDepth>> OutboxDepths() override {
    Lease r(this);
    return QueryAll<OutboxDepth>(
        r->db,
        "SELECT subscriber, SUM(state = 'pending'), SUM(state = 'dead'),"
        " MIN(CASE WHEN state = 'pending' THEN created_at END)"
        " FROM outbox WHERE state != 'delivered' GROUP BY subscriber",
        [](const Stmt& s) {
          OutboxDepth d{.subscriber = s.Text(0), .pending = s.Int(1), .dead = s.Int(2)};
          if (s.Int(1) > 0) d.oldest_pending = FromMicros(s.Int(3));
          return d;
        });
  }

  absl::StatusOr<std::optional<DeadLetterRecord>> GetDeadLetter(int64_t id) override {
    Lease r(this);
    return QueryOne<DeadLetterRecord>(
        r->db, StrCat("SELECT ", kDeadLetterColumns, " FROM dead_letters WHERE id = ?"),
        ReadDeadLetter, id);
  }

  absl::StatusOr<std::vector<DeadLetterRecord>> ListDeadLetters(const DeadLetterQuery& q) override {
    Lease r(this);
    return QueryAll<DeadLetterRecord>(
        r->db,
        StrCat("SELECT ", kDeadLetterColumns,
               " FROM dead_letters WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR partner = ?2)"
               " AND (?3 = '' OR state = ?3) AND (?4 = '' OR cause = ?4)"
               " AND (?5 = '' OR message_type = ?5) AND (?6 = 0 OR id < ?6)"
               " ORDER BY id DESC LIMIT ?7"),
        ReadDeadLetter, q.kind, q.partner, q.state, q.cause, q.message_type, q.before_id,
        int64_t{q.limit});
  }

  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ParkedDeadLetters() override {
    Lease r(this);
    return QueryAll<std::pair<std::string, int64_t>>(
        r->db, "SELECT partner, COUNT(*) FROM dead_letters WHERE state = 'parked' GROUP BY partner",
        [](const Stmt& s) { return std::make_pair(s.Text(0), s.Int(1)); });
  }

  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, int limit) override {
    Lease r(this);
    return QueryAll<AuditRecord>(
        r->db,
        "SELECT id, at, actor, action, target, detail FROM audit_log WHERE id > ? "
        "ORDER BY id LIMIT ?",
        [](const Stmt& s) {
          return AuditRecord{.id = s.Int(0),
                             .at = FromMicros(s.Int(1)),
                             .actor = s.Text(2),
                             .action = s.Text(3),
                             .target = s.Text(4),
                             .detail = s.Text(5)};
        },
        after, int64_t{limit});
  }

  absl::StatusOr<std::optional<SubscriptionRecord>> GetSubscription(
      const std::string& name) override {
    Lease r(this);
    return QueryOne<SubscriptionRecord>(
        r->db, StrCat("SELECT ", kSubscriptionColumns, " FROM subscriptions WHERE name = ?"),
        ReadSubscription, name);
  }

  absl::StatusOr<std::vector<SubscriptionRecord>> ListSubscriptions() override {
    Lease r(this);
    return QueryAll<SubscriptionRecord>(
        r->db, StrCat("SELECT ", kSubscriptionColumns, " FROM subscriptions ORDER BY name"),
        ReadSubscription);
  }

  absl::StatusOr<std::optional<InboundRecord>> GetInbound(int64_t id) override {
    Lease r(this);
    return QueryOne<InboundRecord>(
        r->db, StrCat("SELECT ", kInboundColumns, " FROM inbound_archive WHERE id = ?"),
        ReadInbound, id);
  }

  absl::StatusOr<std::vector<InboundRecord>> ListInbound(const std::string& source,
                                                         int64_t before_id, int limit) override {
    Lease r(this);
    return QueryAll<InboundRecord>(
        r->db,
        StrCat("SELECT ", kInboundColumns,
               " FROM inbound_archive WHERE (?1 = '' OR source = ?1) AND (?2 = 0 OR id < ?2)"
               " ORDER BY id DESC LIMIT ?3"),
        ReadInbound, source, before_id, int64_t{limit});
  }

  absl::StatusOr<std::optional<ReplayRecord>> GetReplay(const std::string& id) override {
    Lease r(this);
    return QueryOne<ReplayRecord>(
        r->db, StrCat("SELECT ", kReplayColumns, " FROM replays WHERE id = ?"), ReadReplay, id);
  }

  absl::StatusOr<std::vector<ReplayRecord>> ListReplays() override {
    Lease r(this);
    return QueryAll<ReplayRecord>(
        r->db, StrCat("SELECT ", kReplayColumns, " FROM replays ORDER BY created_at DESC"),
        ReadReplay);
  }
  absl::StatusOr<std::vector<InventoryPositionRecord>> ListPositions(
      const std::string& sku) override {
    Lease r(this);
    return QueryAll<InventoryPositionRecord>(
        r->db,
        StrCat("SELECT ", kPositionColumns,
               " FROM inventory_positions WHERE sku = ? ORDER BY location"),
        ReadPosition, sku);
  }

  absl::StatusOr<std::vector<InventoryPositionRecord>> PagePositions(const std::string& after_sku,
                                                                     int sku_limit) override {
    Lease r(this);
    return QueryAll<InventoryPositionRecord>(
        r->db,
        StrCat("SELECT ", kPositionColumns,
               " FROM inventory_positions WHERE sku IN (SELECT DISTINCT sku FROM "
               "inventory_positions WHERE sku > ?1 ORDER BY sku LIMIT ?2) ORDER BY sku, location"),
        ReadPosition, after_sku, int64_t{sku_limit});
  }

  absl::Status ScanInventory(
      absl::FunctionRef<void(const InventoryPositionRecord&)> on_position,
      absl::FunctionRef<void(const ReservationRecord&)> on_reservation) override {
    Lease r(this);
    // One read transaction, so positions and reservations are of the same moment.
    DISTHUB_RETURN_IF_ERROR(Exec(r->db, "BEGIN"));
    auto scan = [&]() -> absl::Status {
      Stmt stmt;
      DISTHUB_RETURN_IF_ERROR(stmt.Prepare(
          r->db, StrCat("SELECT ", kPositionColumns, " FROM inventory_positions"), false));
      while (true) {
        DISTHUB_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        on_position(ReadPosition(stmt));
      }
      Stmt res;
      DISTHUB_RETURN_IF_ERROR(res.Prepare(
          r->db, StrCat("SELECT ", kReservationColumns, " FROM inventory_reservations"), false));
      while (true) {
        DISTHUB_ASSIGN_OR_RETURN(bool row, res.Step());
        if (!row) break;
        on_reservation(ReadReservation(res));
      }
      return absl::OkStatus();
    };
    absl::Status s = scan();
    (void)Exec(r->db, "COMMIT");
    return s;
  }

  absl::StatusOr<std::optional<ReconciliationRecord>> GetReconciliation(
      const std::string& id) override {
    Lease r(this);
    return QueryOne<ReconciliationRecord>(
        r->db,
        StrCat("SELECT ", kReconciliationColumns, " FROM inventory_reconciliations WHERE id = ?"),
        ReadReconciliation, id);
  }

  absl::StatusOr<std::vector<ReconciliationRecord>> ListReconciliations(int limit) override {
    Lease r(this);
    return QueryAll<ReconciliationRecord>(
        r->db,
        StrCat("SELECT ", kReconciliationColumns,
               " FROM inventory_reconciliations ORDER BY created_at DESC, id DESC LIMIT ?"),
        ReadReconciliation, int64_t{limit});
  }

  absl::StatusOr<std::optional<ConnectorStateRecord>> GetConnectorState(
      const std::string& connector) override {
    Lease r(this);
    return QueryOne<ConnectorStateRecord>(
        r->db, "SELECT connector, cursor, updated_at FROM connector_state WHERE connector = ?",
        [](const Stmt& s) {
          return ConnectorStateRecord{
              .connector = s.Text(0), .cursor = s.Text(1), .updated_at = FromMicros(s.Int(2))};
        },
        connector);
  }

  absl::StatusOr<std::vector<FeedStateRecord>> ListFeedState() override {
    Lease r(this);
    return QueryAll<FeedStateRecord>(
        r->db,
        "SELECT channel, sku, sellable, pushed_at FROM availability_feed ORDER BY channel, sku",
        [](const Stmt& s) {
          return FeedStateRecord{.channel = s.Text(0),
                                 .sku = s.Text(1),
                                 .sellable = s.Int(2),
                                 .pushed_at = FromMicros(s.Int(3))};
        });
  }

  absl::StatusOr<std::vector<ReservationRecord>> ListReservations(
      const std::string& order_id) override {
    Lease r(this);
    return QueryAll<ReservationRecord>(
        r->db,
        StrCat("SELECT ", kReservationColumns,
               " FROM inventory_reservations WHERE order_id = ? ORDER BY line, location"),
        ReadReservation, order_id);
  }

  absl::StatusOr<std::vector<StockUpdateRecord>> ListStockUpdates(const std::string& sku,
                                                                  int64_t before_id,
                                                                  int limit) override {
    Lease r(this);
    return QueryAll<StockUpdateRecord>(
        r->db,
        StrCat("SELECT ", kStockUpdateColumns,
               " FROM stock_updates WHERE (?1 = '' OR sku = ?1) AND (?2 = 0 OR id < ?2)"
               " ORDER BY id DESC LIMIT ?3"),
        ReadStockUpdate, sku, before_id, int64_t{limit});
  }

  absl::StatusOr<std::optional<FulfillmentRecord>> GetFulfillment(const std::string& id) override {
    Lease r(this);
    return QueryOne<FulfillmentRecord>(
        r->db, StrCat("SELECT ", kFulfillmentColumns, " FROM fulfillment_orders WHERE id = ?"),
        ReadFulfillment, id);
  }

  absl::StatusOr<std::vector<FulfillmentRecord>> ListFulfillments(
      const std::string& order_id) override {
    Lease r(this);
    return QueryAll<FulfillmentRecord>(
        r->db,
        StrCat("SELECT ", kFulfillmentColumns,
               " FROM fulfillment_orders WHERE order_id = ? ORDER BY created_at, id"),
        ReadFulfillment, order_id);
  }

  absl::StatusOr<std::optional<ReturnRecord>> GetReturn(const std::string& id) override {
    Lease r(this);
    return QueryOne<ReturnRecord>(
        r->db, StrCat("SELECT ", kReturnColumns, " FROM returns WHERE id = ?"), ReadReturn, id);
  }

  absl::StatusOr<std::vector<ReturnRecord>> ListReturns(const std::string& order_id) override {
    Lease r(this);
    return QueryAll<ReturnRecord>(
        r->db,
        StrCat("SELECT ", kReturnColumns,
               " FROM returns WHERE order_id = ? ORDER BY created_at, id"),
        ReadReturn, order_id);
  }

  absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>>
  CountFulfillments() override {
    Lease r(this);
    using Row = std::pair<std::pair<std::string, std::string>, int64_t>;
    return QueryAll<Row>(r->db,
                         "SELECT location, state, COUNT(*) FROM fulfillment_orders"
                         " GROUP BY location, state ORDER BY location, state",
                         [](const Stmt& s) {
                           return Row{{s.Text(0), s.Text(1)}, s.Int(2)};
                         });
  }

  absl::StatusOr<std::vector<TimerRecord>> DueTimers(absl::Time now, int limit) override {
    Lease r(this);
    return QueryAll<TimerRecord>(
        r->db,
        StrCat("SELECT ", kTimerColumns,
               " FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?"),
        ReadTimer, Micros(now), int64_t{limit});
  }

  absl::StatusOr<std::vector<TimerRecord>> ListTimers(const std::string& subject) override {
    Lease r(this);
    return QueryAll<TimerRecord>(
        r->db,
        StrCat("SELECT ", kTimerColumns, " FROM timers WHERE subject = ? ORDER BY due_at, id"),
        ReadTimer, subject);
  }

  absl::StatusOr<absl::Time> NextTimerDue() override {
    Lease r(this);
    DISTHUB_ASSIGN_OR_RETURN(
        std::optional<int64_t> due,
        QueryOne<int64_t>(r->db, "SELECT due_at FROM timers ORDER BY due_at LIMIT 1",
                          [](const Stmt& s) { return s.Int(0); }));
    return due ? FromMicros(*due) : absl::InfiniteFuture();
  }

  absl::StatusOr<std::vector<OutboxRecord>> ListOutboxBySubject(
      const std::string& subject) override {
    Lease r(this);
    return QueryAll<OutboxRecord>(
        r->db, StrCat("SELECT ", kOutboxColumns, " FROM outbox WHERE subject = ? ORDER BY id"),
        [](const Stmt& s) { return ReadOutbox(s); }, subject);
  }

  absl::StatusOr<std::vector<StatusCount>> CountOrdersByStatus() override {
    Lease r(this);
    return QueryAll<StatusCount>(
        r->db,
        "SELECT status, COUNT(*), MIN(updated_at) FROM orders GROUP BY status ORDER BY status",
        [](const Stmt& s) {
          return StatusCount{
              .status = s.Text(0), .orders = s.Int(1), .oldest_update = FromMicros(s.Int(2))};
        });
  }

  void SetEventObserver(EventObserver* observer) override { observer_ = observer; }

  absl::StatusOr<int> SchemaVersion() override {
    Lease r(this);
    return ReadSchemaVersion(r->db);
  }

  absl::Status Check() override {
    Lease r(this);
    return Exec(r->db, "SELECT 1 FROM events LIMIT 1");
  }

 private:
  friend class SqliteWriteTxn;

  // The writer's prepared statements, and the next event sequence number.
  struct WriterState {
    Stmt begin, commit, rollback, savepoint, release, rollback_to;
    Stmt find_order, find_order_by_ref, insert_order, update_order;
    Stmt find_key, insert_key, append_event;
    Stmt insert_outbox, update_outbox, insert_attempt, insert_inbound;
    Stmt put_position, put_reservation, find_stock_update, insert_stock_update, put_feed;
    Stmt put_connector_state;
    Stmt put_fulfillment, find_fulfillment, find_fulfillments, put_timer, find_timer, delete_timer,
        put_return, find_return, find_returns;
    int64_t next_seq = 1;
    int64_t last_outbox_id = 0;  // the highest outbox id written, committed or not
  };

  // fdatasync of the WAL through a descriptor of our own: fsync acts on the file, whichever
  // descriptor wrote it. Reopened if the WAL was replaced (same path, another inode).
  absl::Status FlushWal() {
    struct stat by_path {};
    if (stat(wal_path_.c_str(), &by_path) != 0) {
      return absl::UnavailableError(StrCat("cannot flush ", wal_path_, ": ", std::strerror(errno)));
    }
    struct stat open_one {};
    if (wal_fd_ >= 0 && (fstat(wal_fd_, &open_one) != 0 || open_one.st_ino != by_path.st_ino ||
                         open_one.st_dev != by_path.st_dev)) {
      close(wal_fd_);
      wal_fd_ = -1;
    }
    if (wal_fd_ < 0) {
      wal_fd_ = open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) {
        return absl::UnavailableError(
            StrCat("cannot open ", wal_path_, " to flush it: ", std::strerror(errno)));
      }
    }
    if (fdatasync(wal_fd_) != 0) {
      return absl::UnavailableError(
          StrCat("flushing ", wal_path_, " to disk failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // Borrows a read connection for the life of the lease.
  class Lease {
   public:
    explicit Lease(SqliteStore* s) : store_(s) {
      std::unique_lock<std::mutex> lock(s->readers_mu_);
      s->readers_cv_.wait(lock, [s] { return !s->idle_readers_.empty(); });
      conn_ = s->idle_readers_.back();
      s->idle_readers_.pop_back();
    }
    ~Lease() {
      {
        std::lock_guard<std::mutex> lock(store_->readers_mu_);
        store_->idle_readers_.push_back(conn_);
      }
      store_->readers_cv_.notify_one();
    }
    ReadConn* operator->() { return conn_; }

   private:
    SqliteStore* store_;
    ReadConn* conn_;
  };

  static absl::StatusOr<int64_t> ReadLastSeq(sqlite3* db) {
    Stmt s;
    DISTHUB_RETURN_IF_ERROR(s.Prepare(db, "SELECT COALESCE(MAX(seq), 0) FROM events"));
    DISTHUB_ASSIGN_OR_RETURN(bool row, s.Bind().Step());
    return row ? s.Int(0) : 0;
  }

  static absl::StatusOr<int> ReadSchemaVersion(sqlite3* db) {
    Stmt s;
    DISTHUB_RETURN_IF_ERROR(
        s.Prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    DISTHUB_ASSIGN_OR_RETURN(bool row, s.Bind().Step());
    return row ? static_cast<int>(s.Int(0)) : 0;
  }

  absl::Status Migrate() {
    DISTHUB_RETURN_IF_ERROR(Exec(writer_,
                                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                                 " applied_at INTEGER NOT NULL)"));
    DISTHUB_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(writer_));
    auto migrations = SqliteMigrations();
    int latest = migrations.empty() ? 0 : migrations.back().version;
    if (current > latest) {
      return absl::FailedPreconditionError(StrCat(options_.path, " has schema version ", current,
                                                  " but this disthub knows only up to ", latest,
                                                  "; run the newer disthub that wrote it"));
    }
    for (const Migration& m : migrations) {
      if (m.version <= current) continue;
      DISTHUB_RETURN_IF_ERROR(Exec(writer_, "BEGIN IMMEDIATE"));
      absl::Status s = Exec(writer_, std::string(m.sql));
      if (s.ok()) {  // bound, not spliced: a name may hold any character
        Stmt record;
        s = record.Prepare(writer_, "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                           /*persistent=*/false);
        if (s.ok()) {
          s = record.Bind(int64_t{m.version}, std::string(m.name), Micros(absl::Now())).Exec();
        }
      }
      if (s.ok()) s = Exec(writer_, "COMMIT");
      if (!s.ok()) {
        (void)Exec(writer_, "ROLLBACK");
        return Annotate(s, StrCat("applying migration ", m.version, " (", m.name, ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status PrepareWriter() {
    auto& w = w_;
    DISTHUB_RETURN_IF_ERROR(w.begin.Prepare(writer_, "BEGIN IMMEDIATE"));
    DISTHUB_RETURN_IF_ERROR(w.commit.Prepare(writer_, "COMMIT"));
    DISTHUB_RETURN_IF_ERROR(w.rollback.Prepare(writer_, "ROLLBACK"));
    DISTHUB_RETURN_IF_ERROR(w.savepoint.Prepare(writer_, "SAVEPOINT op"));
    DISTHUB_RETURN_IF_ERROR(w.release.Prepare(writer_, "RELEASE op"));
    DISTHUB_RETURN_IF_ERROR(w.rollback_to.Prepare(writer_, "ROLLBACK TO op"));
    DISTHUB_RETURN_IF_ERROR(w.find_order.Prepare(
        writer_, StrCat("SELECT ", kOrderColumns, " FROM orders WHERE id = ?")));
    DISTHUB_RETURN_IF_ERROR(w.find_order_by_ref.Prepare(
        writer_,
        StrCat("SELECT ", kOrderColumns, " FROM orders WHERE channel = ? AND channel_ref = ?")));
    DISTHUB_RETURN_IF_ERROR(w.insert_order.Prepare(
        writer_,
        StrCat("INSERT INTO orders (", kOrderColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.find_key.Prepare(
        writer_,
        "SELECT request_hash, resource_id, status_code, created_at FROM idempotency_keys "
        "WHERE scope = ? AND key = ?"));
    DISTHUB_RETURN_IF_ERROR(w.insert_key.Prepare(
        writer_,
        "INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, status_code, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    DISTHUB_RETURN_IF_ERROR(w.update_order.Prepare(
        writer_,
        "UPDATE orders SET status = ?, version = ?, updated_at = ?, body = ? "
        "WHERE id = ? AND version = ?"));
    DISTHUB_RETURN_IF_ERROR(w.append_event.Prepare(
        writer_,
        "INSERT INTO events (seq, type, subject, correlation_id, causation_id, occurred_at, "
        "recorded_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    DISTHUB_RETURN_IF_ERROR(w.insert_outbox.Prepare(
        writer_, StrCat("INSERT INTO outbox (", kOutboxColumns,
                        ") VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.update_outbox.Prepare(
        writer_,
        "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, updated_at = ?, "
        "last_error = ? WHERE id = ?"));
    DISTHUB_RETURN_IF_ERROR(
        w.insert_inbound.Prepare(writer_, StrCat("INSERT INTO inbound_archive (", kInboundColumns,
                                                 ") VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.insert_attempt.Prepare(
        writer_,
        "INSERT OR REPLACE INTO delivery_attempts (outbox_id, attempt, started_at, duration_us, "
        "outcome, cause, http_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    DISTHUB_RETURN_IF_ERROR(w.put_position.Prepare(
        writer_, StrCat("INSERT OR REPLACE INTO inventory_positions (", kPositionColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.put_reservation.Prepare(
        writer_, StrCat("INSERT INTO inventory_reservations (", kReservationColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id, line, "
                        "location) DO UPDATE SET sku = excluded.sku, channel = excluded.channel, "
                        "quantity = excluded.quantity, consumed = excluded.consumed, "
                        "state = excluded.state, updated_at = excluded.updated_at")));
    DISTHUB_RETURN_IF_ERROR(w.find_stock_update.Prepare(
        writer_, StrCat("SELECT ", kStockUpdateColumns,
                        " FROM stock_updates WHERE source = ? AND message_id = ?")));
    DISTHUB_RETURN_IF_ERROR(w.put_connector_state.Prepare(
        writer_,
        "INSERT OR REPLACE INTO connector_state (connector, cursor, updated_at) "
        "VALUES (?, ?, ?)"));
    DISTHUB_RETURN_IF_ERROR(w.put_feed.Prepare(
        writer_,
        "INSERT OR REPLACE INTO availability_feed (channel, sku, sellable, pushed_at) "
        "VALUES (?, ?, ?, ?)"));
    DISTHUB_RETURN_IF_ERROR(w.put_fulfillment.Prepare(
        writer_, StrCat("INSERT OR REPLACE INTO fulfillment_orders (", kFulfillmentColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.find_fulfillment.Prepare(
        writer_, StrCat("SELECT ", kFulfillmentColumns, " FROM fulfillment_orders WHERE id = ?")));
    DISTHUB_RETURN_IF_ERROR(w.find_fulfillments.Prepare(
        writer_, StrCat("SELECT ", kFulfillmentColumns,
                        " FROM fulfillment_orders WHERE order_id = ? ORDER BY created_at, id")));
    DISTHUB_RETURN_IF_ERROR(w.put_timer.Prepare(
        writer_,
        StrCat("INSERT OR REPLACE INTO timers (", kTimerColumns, ") VALUES (?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.find_timer.Prepare(
        writer_, StrCat("SELECT ", kTimerColumns, " FROM timers WHERE id = ?")));
    DISTHUB_RETURN_IF_ERROR(w.delete_timer.Prepare(writer_, "DELETE FROM timers WHERE id = ?"));
    DISTHUB_RETURN_IF_ERROR(
        w.put_return.Prepare(writer_, StrCat("INSERT OR REPLACE INTO returns (", kReturnColumns,
                                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")));
    DISTHUB_RETURN_IF_ERROR(w.find_return.Prepare(
        writer_, StrCat("SELECT ", kReturnColumns, " FROM returns WHERE id = ?")));
    DISTHUB_RETURN_IF_ERROR(w.find_returns.Prepare(
        writer_, StrCat("SELECT ", kReturnColumns,
                        " FROM returns WHERE order_id = ? ORDER BY created_at, id")));
    DISTHUB_RETURN_IF_ERROR(w.insert_stock_update.Prepare(
        writer_, StrCat("INSERT INTO stock_updates (", kStockUpdateColumns,
                        ") VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    return absl::OkStatus();
  }

  // Called by SQLite on the writer thread after each commit, with the WAL's size.
  static int OnWalCommit(void* self, sqlite3*, const char*, int pages) {
    auto* store = static_cast<SqliteStore*>(self);
    if (pages >= store->options_.checkpoint_pages) {
      {
        std::lock_guard<std::mutex> lock(store->checkpoint_mu_);
        store->checkpoint_wanted_ = true;
      }
      store->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    std::unique_lock<std::mutex> lock(checkpoint_mu_);
    while (true) {
      checkpoint_cv_.wait(lock, [this] { return stopping_ || checkpoint_wanted_; });
      if (stopping_) return;
      checkpoint_wanted_ = false;
      lock.unlock();
      // PASSIVE never blocks the writer; the WAL restarts from its beginning once a
      // checkpoint has caught up and the writer next commits.
      sqlite3_wal_checkpoint_v2(checkpoint_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
      lock.lock();
    }
  }

  SqliteOptions options_;
  sqlite3* writer_ = nullptr;
  WriterState w_;
  EventObserver* observer_ = nullptr;  // set before writing starts

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<ReadConn>> readers_;
  std::vector<ReadConn*> idle_readers_;  // guarded by readers_mu_

  // Commits become visible to readers at once and durable at the next SyncCommitted():
  // the last event seq and outbox id committed, and those a sync has made durable.
  std::atomic<int64_t> committed_seq_{0}, committed_outbox_{0};
  std::atomic<int64_t> durable_seq_{0}, durable_outbox_{0};
  std::mutex sync_mu_;  // one flush at a time; guards wal_fd_
  std::string wal_path_;
  int wal_fd_ = -1;

  sqlite3* checkpoint_db_ = nullptr;
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool stopping_ = false;           // guarded by checkpoint_mu_
};

absl::StatusOr<std::optional<OrderRecord>> SqliteWriteTxn::FindOrder(const std::string& id) {
  return OneOrder(store_->w_.find_order.Bind(id));
}

absl::StatusOr<std::optional<OrderRecord>> SqliteWriteTxn::FindOrderByChannelRef(
    const std::string& channel, const std::string& channel_ref) {
  return OneOrder(store_->w_.find_order_by_ref.Bind(channel, channel_ref));
}

absl::Status SqliteWriteTxn::InsertOrder(const OrderRecord& o) {
  return store_->w_.insert_order
      .Bind(o.id, o.channel, o.channel_ref, o.status, o.version, Micros(o.created_at),
            Micros(o.updated_at), Document{o.body, &o.packed_body})
      .Exec();
}

absl::Status SqliteWriteTxn::UpdateOrder(const OrderRecord& o) {
  DISTHUB_RETURN_IF_ERROR(store_->w_.update_order
                              .Bind(o.status, o.version, Micros(o.updated_at),
                                    Document{o.body, &o.packed_body}, o.id, o.version - 1)
                              .Exec());
  if (sqlite3_changes(store_->writer_) > 0) return absl::OkStatus();
  DISTHUB_ASSIGN_OR_RETURN(std::optional<OrderRecord> current, FindOrder(o.id));
  if (!current) return absl::NotFoundError(StrCat("order ", o.id, " not found"));
  return absl::AbortedError(
      StrCat("order ", o.id, " is at version ", current->version, ", not ", o.version - 1));
}

absl::StatusOr<std::optional<IdempotencyRecord>> SqliteWriteTxn::FindIdempotencyKey(
    const std::string& scope, const std::string& key) {
  Stmt& s = store_->w_.find_key.Bind(scope, key);
  DISTHUB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::nullopt;
  IdempotencyRecord r{.scope = scope,
                      .key = key,
                      .request_hash = s.Text(0),
                      .resource_id = s.Text(1),
                      .status_code = static_cast<int>(s.Int(2)),
                      .created_at = FromMicros(s.Int(3))};
  s.Reset();
  return r;
}

absl::Status SqliteWriteTxn::InsertIdempotencyKey(const IdempotencyRecord& r) {
  return store_->w_.insert_key
      .Bind(r.scope, r.key, r.request_hash, r.resource_id, r.status_code, Micros(r.created_at))
      .Exec();
}

absl::StatusOr<int64_t> SqliteWriteTxn::AppendEvent(const EventRecord& e) {
  int64_t seq = store_->w_.next_seq;
  DISTHUB_RETURN_IF_ERROR(store_->w_.append_event
                              .Bind(seq, e.type, e.subject, e.correlation_id, e.causation_id,
                                    Micros(e.occurred_at), Micros(e.recorded_at),
                                    Document{e.payload, &e.packed_payload})
                              .Exec());
  ++store_->w_.next_seq;
  if (store_->observer_ != nullptr) {
    EventRecord appended = e;
    appended.seq = seq;
    DISTHUB_RETURN_IF_ERROR(store_->observer_->OnEventAppended(*this, appended));
  }
  return seq;
}

absl::StatusOr<int64_t> SqliteWriteTxn::InsertOutbox(const OutboxRecord& o) {
  DISTHUB_RETURN_IF_ERROR(store_->w_.insert_outbox
                              .Bind(o.subscriber, o.event_seq, o.message_type, o.subject, o.key,
                                    Document{o.body}, o.state, o.attempts, Micros(o.created_at),
                                    Micros(o.next_attempt_at), Micros(o.updated_at), o.last_error,
                                    o.replay_id)
                              .Exec());
  const int64_t id = sqlite3_last_insert_rowid(store_->writer_);
  store_->w_.last_outbox_id = std::max(store_->w_.last_outbox_id, id);
  return id;
}

absl::Status SqliteWriteTxn::UpdateOutbox(const OutboxUpdate& u) {
  DISTHUB_RETURN_IF_ERROR(store_->w_.update_outbox
                              .Bind(u.state, u.attempts, Micros(u.next_attempt_at),
                                    Micros(u.updated_at), u.last_error, u.id)
                              .Exec());
  if (sqlite3_changes(store_->writer_) == 0) {
    return absl::NotFoundError(StrCat("outbox message ", u.id, " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<OutboxRecord>> SqliteWriteTxn::FindOutbox(int64_t id) {
  return QueryOne<OutboxRecord>(
      store_->writer_, StrCat("SELECT ", kOutboxColumns, " FROM outbox WHERE id = ?"),
      [](const Stmt& s) { return ReadOutbox(s); }, id);
}

absl::Status SqliteWriteTxn::InsertDeliveryAttempt(const DeliveryAttemptRecord& a) {
  return store_->w_.insert_attempt
      .Bind(a.outbox_id, a.attempt, Micros(a.started_at), a.duration_us, a.outcome, a.cause,
            a.http_status, a.detail)
      .Exec();
}

absl::StatusOr<int64_t> SqliteWriteTxn::InsertDeadLetter(const DeadLetterRecord& d) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(stmt.Prepare(
      store_->writer_, StrCat("INSERT INTO dead_letters (", kDeadLetterColumns,
                              ") VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  DISTHUB_RETURN_IF_ERROR(stmt.Bind(d.kind, d.partner, d.message_type, d.subject, d.ref, d.cause,
                                    d.reason, d.attempts, Document{d.bytes}, d.state,
                                    Micros(d.created_at), Micros(d.resolved_at), d.resolution)
                              .Exec());
  return sqlite3_last_insert_rowid(store_->writer_);
}

absl::StatusOr<std::optional<DeadLetterRecord>> SqliteWriteTxn::FindDeadLetter(int64_t id) {
  return QueryOne<DeadLetterRecord>(
      store_->writer_, StrCat("SELECT ", kDeadLetterColumns, " FROM dead_letters WHERE id = ?"),
      ReadDeadLetter, id);
}

absl::Status SqliteWriteTxn::ResolveDeadLetter(int64_t id, const std::string& state,
                                               absl::Time resolved_at,
                                               const std::string& resolution) {
  return ChangeOne(store_->writer_,
                   "UPDATE dead_letters SET state = ?, resolved_at = ?, resolution = ? "
                   "WHERE id = ?",
                   StrCat("dead letter ", id), state, Micros(resolved_at), resolution, id);
}

absl::StatusOr<int64_t> SqliteWriteTxn::AppendAudit(const AuditRecord& a) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(
      stmt.Prepare(store_->writer_,
                   "INSERT INTO audit_log (id, at, actor, action, target, detail) "
                   "VALUES (NULL, ?, ?, ?, ?, ?)"));
  DISTHUB_RETURN_IF_ERROR(stmt.Bind(Micros(a.at), a.actor, a.action, a.target, a.detail).Exec());
  return sqlite3_last_insert_rowid(store_->writer_);
}

absl::Status SqliteWriteTxn::PutSubscription(const SubscriptionRecord& r) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(
      stmt.Prepare(store_->writer_, StrCat("INSERT OR REPLACE INTO subscriptions (",
                                           kSubscriptionColumns, ") VALUES (?, ?, ?, ?, ?)")));
  return stmt.Bind(r.name, r.cursor, r.types, Micros(r.created_at), Micros(r.updated_at)).Exec();
}

absl::StatusOr<std::optional<SubscriptionRecord>> SqliteWriteTxn::FindSubscription(
    const std::string& name) {
  return QueryOne<SubscriptionRecord>(
      store_->writer_,
      StrCat("SELECT ", kSubscriptionColumns, " FROM subscriptions WHERE name = ?"),
      ReadSubscription, name);
}

absl::StatusOr<int64_t> SqliteWriteTxn::InsertInbound(const InboundRecord& r) {
  // On the intake path (one per order taken in): a statement prepared once.
  DISTHUB_RETURN_IF_ERROR(store_->w_.insert_inbound
                              .Bind(Micros(r.received_at), r.source, r.kind, r.key, r.headers,
                                    Document{r.body, &r.packed_body}, r.outcome, r.result)
                              .Exec());
  return sqlite3_last_insert_rowid(store_->writer_);
}

absl::Status SqliteWriteTxn::PutReplay(const ReplayRecord& r) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(
      stmt.Prepare(store_->writer_, StrCat("INSERT OR REPLACE INTO replays (", kReplayColumns,
                                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  return stmt
      .Bind(r.id, r.subscriber, r.filter, r.state, r.cursor, r.end_seq, r.matched, r.actor, r.error,
            Micros(r.created_at), Micros(r.updated_at))
      .Exec();
}

absl::Status SqliteWriteTxn::PutPosition(const InventoryPositionRecord& r) {
  return store_->w_.put_position
      .Bind(r.sku, r.location, r.on_hand, r.reserved, r.safety_stock, r.inbound, r.last_sequence,
            AsOfMicros(r.last_as_of), Micros(r.updated_at))
      .Exec();
}

absl::Status SqliteWriteTxn::PutReservation(const ReservationRecord& r) {
  return store_->w_.put_reservation
      .Bind(r.order_id, r.line, r.location, r.sku, r.channel, r.quantity, r.consumed, r.state,
            Micros(r.created_at), Micros(r.updated_at))
      .Exec();
}

absl::StatusOr<std::optional<StockUpdateRecord>> SqliteWriteTxn::FindStockUpdate(
    const std::string& source, const std::string& message_id) {
  Stmt& stmt = store_->w_.find_stock_update;
  stmt.Bind(source, message_id);
  DISTHUB_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::nullopt;
  StockUpdateRecord r = ReadStockUpdate(stmt);
  stmt.Reset();
  return r;
}

absl::Status SqliteWriteTxn::PutReconciliation(const ReconciliationRecord& r) {
  Stmt stmt;
  DISTHUB_RETURN_IF_ERROR(stmt.Prepare(
      store_->writer_,
      StrCat("INSERT OR REPLACE INTO inventory_reconciliations (", kReconciliationColumns,
             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  return stmt
      .Bind(r.id, r.state, int64_t{r.apply ? 1 : 0}, r.total, r.checked, r.drifts, r.corrected,
            r.actor, Document{r.report}, r.error, Micros(r.created_at), Micros(r.updated_at))
      .Exec();
}

absl::Status SqliteWriteTxn::PutConnectorState(const ConnectorStateRecord& r) {
  return store_->w_.put_connector_state.Bind(r.connector, r.cursor, Micros(r.updated_at)).Exec();
}

absl::Status SqliteWriteTxn::PutFeedState(const FeedStateRecord& r) {
  return store_->w_.put_feed.Bind(r.channel, r.sku, r.sellable, Micros(r.pushed_at)).Exec();
}

absl::StatusOr<int64_t> SqliteWriteTxn::InsertStockUpdate(const StockUpdateRecord& r) {
  DISTHUB_RETURN_IF_ERROR(store_->w_.insert_stock_update
                              .Bind(r.source, r.message_id, r.kind, r.sku, r.location, r.delta,
                                    r.on_hand, r.sequence, AsOfMicros(r.as_of), r.outcome, r.reason,
                                    Micros(r.received_at))
                              .Exec());
  return sqlite3_last_insert_rowid(store_->writer_);
}

absl::Status SqliteWriteTxn::PutFulfillment(const FulfillmentRecord& r) {
  return store_->w_.put_fulfillment
      .Bind(r.id, r.order_id, r.location, r.state, int64_t{r.attempt}, r.version,
            Micros(r.created_at), Micros(r.updated_at), Document{r.body})
      .Exec();
}

absl::StatusOr<std::optional<FulfillmentRecord>> SqliteWriteTxn::FindFulfillment(
    const std::string& id) {
  DISTHUB_ASSIGN_OR_RETURN(std::vector<FulfillmentRecord> rows,
                           store_->w_.find_fulfillment.Bind(id).All(ReadFulfillment));
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

absl::StatusOr<std::vector<FulfillmentRecord>> SqliteWriteTxn::FindFulfillments(
    const std::string& order_id) {
  return store_->w_.find_fulfillments.Bind(order_id).All(ReadFulfillment);
}

absl::Status SqliteWriteTxn::PutReturn(const ReturnRecord& r) {
  return store_->w_.put_return
      .Bind(r.id, r.order_id, r.location, r.state, r.version, Micros(r.created_at),
            Micros(r.updated_at), Document{r.body})
      .Exec();
}

absl::StatusOr<std::optional<ReturnRecord>> SqliteWriteTxn::FindReturn(const std::string& id) {
  DISTHUB_ASSIGN_OR_RETURN(std::vector<ReturnRecord> rows,
                           store_->w_.find_return.Bind(id).All(ReadReturn));
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

absl::StatusOr<std::vector<ReturnRecord>> SqliteWriteTxn::FindReturns(const std::string& order_id) {
  return store_->w_.find_returns.Bind(order_id).All(ReadReturn);
}

absl::Status SqliteWriteTxn::PutTimer(const TimerRecord& r) {
  return store_->w_.put_timer.Bind(r.id, r.kind, r.subject, Micros(r.due_at), Document{r.payload})
      .Exec();
}

absl::StatusOr<std::optional<TimerRecord>> SqliteWriteTxn::FindTimer(const std::string& id) {
  DISTHUB_ASSIGN_OR_RETURN(std::vector<TimerRecord> rows,
                           store_->w_.find_timer.Bind(id).All(ReadTimer));
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

absl::Status SqliteWriteTxn::DeleteTimer(const std::string& id) {
  return store_->w_.delete_timer.Bind(id).Exec();
}

absl::Status SqliteWriteTxn::Isolated(absl::FunctionRef<absl::Status()> fn) {
  auto& w = store_->w_;
  const int64_t seq_before = w.next_seq;
  const int64_t outbox_before = w.last_outbox_id;  // a rolled-back id is given out again
  DISTHUB_RETURN_IF_ERROR(w.savepoint.Exec());
  absl::Status status = fn();
  if (status.ok()) return w.release.Exec();
  w.next_seq = seq_before;
  w.last_outbox_id = outbox_before;
  DISTHUB_RETURN_IF_ERROR(w.rollback_to.Exec());
  DISTHUB_RETURN_IF_ERROR(w.release.Exec());
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  DISTHUB_RETURN_IF_ERROR(store->Open());
  return store;
}

}  // namespace disthub
