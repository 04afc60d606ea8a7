#include "lifecycle_ceiling.h"

#include <sqlite3.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <thread>
#include <vector>

#include "fmt/core.h"
#include "store/sqlite/sqlite_migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

using Steady = std::chrono::steady_clock;

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fmt::print(stderr, "lifecycle ceiling: {}: {}\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fresh database with the hub's schema and pragmas, and a second connection
// checkpointing it in the background as the hub does (as bench/sqlite_ceiling.cc).
class Db {
 public:
  Db(std::string dir, bool synchronous_normal) : dir_(std::move(dir)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ConfigureSqliteLibrary();  // the library as the store configures it
    Check(sqlite3_open((dir_ + "/ceiling.db").c_str(), &db_), db_, "open");
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL",
          synchronous_normal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL",
          "PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 0",
          "PRAGMA journal_size_limit = 67108864", "PRAGMA secure_delete = OFF"}) {
      Check(sqlite3_exec(db_, pragma, nullptr, nullptr, nullptr), db_, pragma);
    }
    for (const Migration& m : SqliteMigrations()) {
      Check(sqlite3_exec(db_, std::string(m.sql).c_str(), nullptr, nullptr, nullptr), db_,
            "schema");
    }
    Check(sqlite3_open((dir_ + "/ceiling.db").c_str(), &ck_), ck_, "open");
    checkpointer_ = std::thread([this] {
      while (!done_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        sqlite3_wal_checkpoint_v2(ck_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
    });
  }
  ~Db() {
    done_ = true;
    checkpointer_.join();
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close(ck_);
    sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void Exec(const char* sql) { Check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_, sql); }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    Check(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr), db_, sql);
    statements_.push_back(s);
    return s;
  }
  void Step(sqlite3_stmt* s, const char* what) {
    Check(sqlite3_step(s), db_, what);
    sqlite3_reset(s);
  }
  int64_t LastRowid() const { return sqlite3_last_insert_rowid(db_); }

 private:
  const std::string dir_;
  sqlite3* db_ = nullptr;
  sqlite3* ck_ = nullptr;
  std::atomic<bool> done_{false};
  std::thread checkpointer_;
  std::vector<sqlite3_stmt*> statements_;
};

// Runs `sql` (one row of doubles) against `db`; zeros when there is no row.
std::vector<double> Row(sqlite3* db, const char* sql, int columns) {
  std::vector<double> out(static_cast<size_t>(columns), 0.0);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
    fmt::print(stderr, "lifecycle ceiling: {}: {}\n", sql, sqlite3_errmsg(db));
    return out;
  }
  if (sqlite3_step(s) == SQLITE_ROW) {
    for (int i = 0; i < columns; ++i) out[static_cast<size_t>(i)] = sqlite3_column_double(s, i);
  }
  sqlite3_finalize(s);
  return out;
}

// CPU time of the calling thread, user and system.
double ThreadCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Carries fractional per-lifecycle counts: Take(1.4) gives 1, 1, 2, 1, 2, ...
class Carry {
 public:
  explicit Carry(double per) : per_(per) {}
  int Take() {
    acc_ += per_;
    int n = static_cast<int>(acc_);
    acc_ -= n;
    return n;
  }

 private:
  double per_;
  double acc_ = 0;
};

}  // namespace

double LifecycleWrites::Rows() const {
  return order_inserts + order_updates + idempotency_keys + events + outbox_inserts +
         outbox_updates + delivery_attempts + archive_rows + fulfillment_writes + timer_inserts +
         timer_deletes + position_writes + reservation_writes;
}

std::string LifecycleWrites::Describe() const {
  return fmt::format(
      "order {:.0f}+{:.1f} upd, idem key {:.1f}, events {:.1f} (inventory {:.1f}), outbox "
      "{:.1f}+{:.1f} upd, failed attempts {:.2f}, archive {:.1f}, fulfillment {:.1f} versions "
      "of {:.1f}, positions {:.1f}, reservations {:.1f}, timers +{:.1f}/-{:.1f}; average bytes: "
      "order {:.0f}, event {:.0f}, archive {:.0f}, fulfillment {:.0f}",
      order_inserts, order_updates, idempotency_keys, events, inventory_events, outbox_inserts,
      outbox_updates, delivery_attempts, archive_rows, fulfillment_writes, fulfillments,
      position_writes, reservation_writes, timer_inserts, timer_deletes, order_bytes, event_bytes,
      archive_bytes, fulfillment_bytes);
}

absl::StatusOr<LifecycleWrites> CountLifecycleWrites(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(fmt::format("opening {}: {}", db_path, error));
  }
  // The completed orders, materialized once.
  sqlite3_exec(db,
               "CREATE TEMP TABLE done AS SELECT id FROM orders WHERE status IN ('invoiced', "
               "'closed'); CREATE UNIQUE INDEX temp.done_id ON done (id)",
               nullptr, nullptr, nullptr);
  LifecycleWrites w;
  std::vector<double> o =
      Row(db, "SELECT count(*), sum(version), avg(length(body)) FROM orders WHERE id IN done", 3);
  w.lifecycles = static_cast<int64_t>(o[0]);
  if (w.lifecycles == 0) {
    sqlite3_close(db);
    return absl::NotFoundError("no order completed");
  }
  const double n = o[0];
  w.order_inserts = 1;
  w.order_updates = o[1] / n - 1;
  w.order_bytes = o[2];
  w.idempotency_keys =
      Row(db, "SELECT count(*) FROM idempotency_keys WHERE resource_id IN done", 1)[0] / n;
  std::vector<double> e = Row(db,
                              "SELECT count(*), avg(length(payload)), sum(type LIKE 'inventory.%'),"
                              " sum(type LIKE 'fulfillment.release.%') FROM events"
                              " WHERE subject IN done",
                              4);
  w.events = e[0] / n;
  w.event_bytes = e[1];
  w.inventory_events = e[2] / n;
  w.releases = e[3] / n;
  std::vector<double> ob =
      Row(db, "SELECT count(*), sum(state <> 'pending') FROM outbox WHERE subject IN done", 2);
  w.outbox_inserts = ob[0] / n;
  w.outbox_updates = ob[1] / n;
  w.delivery_attempts = Row(db,
                            "SELECT count(*) FROM delivery_attempts WHERE outbox_id IN"
                            " (SELECT id FROM outbox WHERE subject IN done)",
                            1)[0] /
                        n;
  std::vector<double> a = Row(db,
                              "SELECT count(*), avg(length(body) + length(headers)) FROM "
                              "inbound_archive WHERE result IN done",
                              2);
  w.archive_rows = a[0] / n;
  w.archive_bytes = a[1];
  std::vector<double> f = Row(db,
                              "SELECT count(*), sum(version), avg(length(body)) FROM "
                              "fulfillment_orders WHERE order_id IN done",
                              3);
  w.fulfillments = f[0] / n;
  w.fulfillment_writes = f[1] / n;
  w.fulfillment_bytes = f[2];
  const double close_timers =
      Row(db, "SELECT count(*) FROM timers WHERE subject IN done", 1)[0] / n;
  // Each order arms an advance timer at intake (deleted when it is taken forward), each
  // release an ack deadline (deleted by the acknowledgement), each invoice a close timer
  // (still there).
  w.timer_deletes = 1 + w.releases;
  w.timer_inserts = w.timer_deletes + close_timers;
  w.position_writes = w.inventory_events;
  w.reservation_writes = w.inventory_events;
  sqlite3_close(db);
  return w;
}

LifecycleCeiling RawLifecycleCeiling(const std::string& dir, const LifecycleWrites& w, int batch,
                                     double seconds, bool synchronous_normal) {
  Db c(dir, synchronous_normal);
  sqlite3_stmt* order = c.Prepare(
      "INSERT INTO orders (id, channel, channel_ref, status, version, created_at, updated_at, body)"
      " VALUES (?, 'dtc-web', ?, 'received', 1, ?, ?, ?)");
  sqlite3_stmt* order_update = c.Prepare(
      "UPDATE orders SET status = 'released', version = version + 1, updated_at = ?, body = ?"
      " WHERE id = ?");
  sqlite3_stmt* key = c.Prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, status_code, "
      "created_at) VALUES ('loadgen', ?, ?, ?, 201, ?)");
  sqlite3_stmt* event = c.Prepare(
      "INSERT INTO events (seq, type, subject, correlation_id, causation_id, occurred_at,"
      " recorded_at, payload) VALUES (?, 'order.released', ?, ?, ?, ?, ?, ?)");
  sqlite3_stmt* outbox = c.Prepare(
      "INSERT INTO outbox (id, subscriber, event_seq, message_type, subject, key, body, state,"
      " attempts, created_at, next_attempt_at, updated_at, last_error, replay_id)"
      " VALUES (NULL, 'dtc-status', ?, 'order.status.dtc-web', ?, ?, '', 'pending', 0, ?, ?, ?,"
      " '', '')");
  sqlite3_stmt* outbox_update = c.Prepare(
      "UPDATE outbox SET state = 'delivered', attempts = 1, next_attempt_at = ?, updated_at = ?,"
      " last_error = '' WHERE id = ?");
  sqlite3_stmt* attempt = c.Prepare(
      "INSERT OR REPLACE INTO delivery_attempts (outbox_id, attempt, started_at, duration_us,"
      " outcome, cause, http_status, detail) VALUES (?, 1, ?, 900, 'retry', 'http_5xx', 503, '')");
  sqlite3_stmt* archive = c.Prepare(
      "INSERT INTO inbound_archive (id, received_at, source, kind, key, headers, body, outcome,"
      " result) VALUES (NULL, ?, 'wms', 'fulfillment.acknowledgement', ?, '{}', ?, 'accepted', ?)");
  sqlite3_stmt* fulfillment = c.Prepare(
      "INSERT OR REPLACE INTO fulfillment_orders (id, order_id, location, state, attempt, version,"
      " created_at, updated_at, body) VALUES (?, ?, 'wh-east', 'released', 1, ?, ?, ?, ?)");
  sqlite3_stmt* position = c.Prepare(
      "INSERT OR REPLACE INTO inventory_positions (sku, location, on_hand, reserved, safety_stock,"
      " inbound, last_sequence, last_as_of, updated_at) VALUES (?, 'wh-east', ?, ?, 0, 0, 1, ?, "
      "?)");
  sqlite3_stmt* reservation = c.Prepare(
      "INSERT INTO inventory_reservations (order_id, line, location, sku, channel, quantity,"
      " consumed, state, created_at, updated_at) VALUES (?, ?, 'wh-east', ?, 'dtc-web', 2, ?,"
      " 'active', ?, ?) ON CONFLICT (order_id, line, location) DO UPDATE SET sku = excluded.sku,"
      " channel = excluded.channel, quantity = excluded.quantity, consumed = excluded.consumed,"
      " state = excluded.state, updated_at = excluded.updated_at");
  sqlite3_stmt* timer = c.Prepare(
      "INSERT OR REPLACE INTO timers (id, kind, subject, due_at, payload) VALUES (?, "
      "'ack_deadline',"
      " ?, ?, '{\"attempt\":1}')");
  sqlite3_stmt* timer_delete = c.Prepare("DELETE FROM timers WHERE id = ?");

  const std::string order_body(static_cast<size_t>(std::max(16.0, w.order_bytes)), 'o');
  const std::string event_body(static_cast<size_t>(std::max(16.0, w.event_bytes)), 'e');
  const std::string archive_body(static_cast<size_t>(std::max(16.0, w.archive_bytes)), 'a');
  const std::string fulfillment_body(static_cast<size_t>(std::max(16.0, w.fulfillment_bytes)), 'f');
  const std::string hash(64, 'h');
  Carry updates(w.order_updates), keys(w.idempotency_keys), events(w.events),
      outboxes(w.outbox_inserts), outbox_updates(w.outbox_updates), attempts(w.delivery_attempts),
      archives(w.archive_rows), fulfillments(w.fulfillment_writes), positions(w.position_writes),
      reservations(w.reservation_writes), timers(w.timer_inserts), timer_deletes(w.timer_deletes);
  std::deque<std::string> live_timers;  // inserted, not deleted yet
  std::deque<int64_t> undelivered;      // outbox rows not updated yet
  constexpr int kSkus = 600;
  int64_t seq = 0, lifecycles = 0, rows = 0, commits = 0;
  const double cpu_start = ThreadCpuSeconds();
  const auto start = Steady::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    c.Exec("BEGIN IMMEDIATE");
    for (int b = 0; b < batch; ++b, ++lifecycles) {
      const std::string id = fmt::format("ord_{:016x}", lifecycles);
      const std::string ref = fmt::format("LC-{:010}", lifecycles);
      const int64_t now = NowMicros();
      Text(order, 1, id);
      Text(order, 2, ref);
      sqlite3_bind_int64(order, 3, now);
      sqlite3_bind_int64(order, 4, now);
      Text(order, 5, order_body);
      c.Step(order, "insert order");
      ++rows;
      for (int i = updates.Take(); i > 0; --i, ++rows) {
        sqlite3_bind_int64(order_update, 1, now);
        Text(order_update, 2, order_body);
        Text(order_update, 3, id);
        c.Step(order_update, "update order");
      }
      for (int i = keys.Take(); i > 0; --i, ++rows) {
        Text(key, 1, ref);
        Text(key, 2, hash);
        Text(key, 3, id);
        sqlite3_bind_int64(key, 4, now);
        c.Step(key, "insert key");
      }
      for (int i = events.Take(); i > 0; --i, ++rows) {
        sqlite3_bind_int64(event, 1, ++seq);
        Text(event, 2, id);
        Text(event, 3, id);
        Text(event, 4, ref);
        sqlite3_bind_int64(event, 5, now);
        sqlite3_bind_int64(event, 6, now);
        Text(event, 7, event_body);
        c.Step(event, "insert event");
      }
      for (int i = outboxes.Take(); i > 0; --i, ++rows) {
        const std::string k = fmt::format("dh-dtc-status-{}-{}", seq, i);
        sqlite3_bind_int64(outbox, 1, seq);
        Text(outbox, 2, id);
        Text(outbox, 3, k);
        sqlite3_bind_int64(outbox, 4, now);
        sqlite3_bind_int64(outbox, 5, now);
        sqlite3_bind_int64(outbox, 6, now);
        c.Step(outbox, "insert outbox");
        undelivered.push_back(c.LastRowid());
      }
      for (int i = outbox_updates.Take(); i > 0 && !undelivered.empty(); --i, ++rows) {
        sqlite3_bind_int64(outbox_update, 1, now);
        sqlite3_bind_int64(outbox_update, 2, now);
        sqlite3_bind_int64(outbox_update, 3, undelivered.front());
        undelivered.pop_front();
        c.Step(outbox_update, "update outbox");
      }
      for (int i = attempts.Take(); i > 0; --i, ++rows) {
        sqlite3_bind_int64(attempt, 1, seq * 16 + i);
        sqlite3_bind_int64(attempt, 2, now);
        c.Step(attempt, "insert attempt");
      }
      for (int i = archives.Take(); i > 0; --i, ++rows) {
        const std::string k = fmt::format("ack:{}:{}", id, i);
        sqlite3_bind_int64(archive, 1, now);
        Text(archive, 2, k);
        Text(archive, 3, archive_body);
        Text(archive, 4, id);
        c.Step(archive, "insert archive");
      }
      const std::string ful = "ful_" + id.substr(4);
      for (int i = fulfillments.Take(), version = 1; i > 0; --i, ++rows, ++version) {
        Text(fulfillment, 1, ful);
        Text(fulfillment, 2, id);
        sqlite3_bind_int64(fulfillment, 3, version);
        sqlite3_bind_int64(fulfillment, 4, now);
        sqlite3_bind_int64(fulfillment, 5, now);
        Text(fulfillment, 6, fulfillment_body);
        c.Step(fulfillment, "upsert fulfillment");
      }
      for (int i = positions.Take(); i > 0; --i, ++rows) {
        const std::string sku = fmt::format("HS-{}", 10001 + (seq + i) % kSkus);
        Text(position, 1, sku);
        sqlite3_bind_int64(position, 2, 1'000'000 - lifecycles);
        sqlite3_bind_int64(position, 3, lifecycles % 1000);
        sqlite3_bind_int64(position, 4, now);
        sqlite3_bind_int64(position, 5, now);
        c.Step(position, "upsert position");
      }
      for (int i = reservations.Take(), line = 1; i > 0; --i, ++rows, ++line) {
        // Every other write updates the line written before it (reserve, then consume).
        const std::string sku = fmt::format("HS-{}", 10001 + (seq + line) % kSkus);
        Text(reservation, 1, id);
        sqlite3_bind_int64(reservation, 2, (line + 1) / 2);
        Text(reservation, 3, sku);
        sqlite3_bind_int64(reservation, 4, line % 2 == 0 ? 2 : 0);
        sqlite3_bind_int64(reservation, 5, now);
        sqlite3_bind_int64(reservation, 6, now);
        c.Step(reservation, "upsert reservation");
      }
      for (int i = timers.Take(); i > 0; --i, ++rows) {
        live_timers.push_back(fmt::format("ack:{}:{}", ful, i));
        Text(timer, 1, live_timers.back());
        Text(timer, 2, id);
        sqlite3_bind_int64(timer, 3, now + 900'000'000);
        c.Step(timer, "insert timer");
      }
      for (int i = timer_deletes.Take(); i > 0 && !live_timers.empty(); --i, ++rows) {
        Text(timer_delete, 1, live_timers.front());
        c.Step(timer_delete, "delete timer");
        live_timers.pop_front();
      }
    }
    c.Exec("COMMIT");
    ++commits;
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  const double cpu = ThreadCpuSeconds() - cpu_start;
  return {.lifecycles_per_s = static_cast<double>(lifecycles) / elapsed,
          .rows_per_s = static_cast<double>(rows) / elapsed,
          .commits_per_s = static_cast<double>(commits) / elapsed,
          .cpu_share = cpu / elapsed,
          .cpu_us_per_lifecycle = lifecycles > 0 ? 1e6 * cpu / static_cast<double>(lifecycles) : 0};
}

}  // namespace disthub
