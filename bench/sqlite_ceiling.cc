#include "sqlite_ceiling.h"

#include <sqlite3.h>

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/ids.h"
#include "fmt/core.h"
#include "store/packed_text.h"
#include "store/sqlite/sqlite_migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

using Steady = std::chrono::steady_clock;

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fmt::print(stderr, "ceiling: {}: {}\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// A document as the store stores it: packed (a BLOB) when PackText says so, else text.
struct StoredDocument {
  std::string bytes;
  bool packed = false;
};

StoredDocument Stored(const std::string& text) {
  StoredDocument d;
  d.packed = PackText(text, d.bytes);
  if (!d.packed) d.bytes = text;
  return d;
}

// Binds `text` as SqliteStore binds a document, packing it into `buffer` (reused).
void Document(sqlite3_stmt* s, int i, const std::string& text, std::string& buffer) {
  if (!PackText(text, buffer)) return Text(s, i, text);
  sqlite3_bind_blob(s, i, buffer.data(), static_cast<int>(buffer.size()), SQLITE_STATIC);
}

void Document(sqlite3_stmt* s, int i, const StoredDocument& d) {
  if (!d.packed) return Text(s, i, d.bytes);
  sqlite3_bind_blob(s, i, d.bytes.data(), static_cast<int>(d.bytes.size()), SQLITE_STATIC);
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fresh database under `dir` with the hub's schema and the hub's pragmas, and a second
// connection checkpointing it in the background as the hub does. The destructor stops
// the checkpointer, finalizes the statements, closes both and removes `dir`.
class CeilingDb {
 public:
  explicit CeilingDb(std::string dir) : dir_(std::move(dir)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ConfigureSqliteLibrary();  // the library as the store configures it
    Check(sqlite3_open((dir_ + "/ceiling.db").c_str(), &db_), db_, "open");
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA cache_size = -65536",
          "PRAGMA wal_autocheckpoint = 0", "PRAGMA journal_size_limit = 67108864",
          "PRAGMA secure_delete = OFF"}) {
      Check(sqlite3_exec(db_, pragma, nullptr, nullptr, nullptr), db_, pragma);
    }
    for (const Migration& m : SqliteMigrations()) {
      Check(sqlite3_exec(db_, std::string(m.sql).c_str(), nullptr, nullptr, nullptr), db_,
            "schema");
    }
    Check(sqlite3_open((dir_ + "/ceiling.db").c_str(), &ck_), ck_, "open");
    Check(sqlite3_exec(ck_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr), ck_,
          "read");
    checkpointer_ = std::thread([this] {
      while (!done_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        sqlite3_wal_checkpoint_v2(ck_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
    });
  }
  ~CeilingDb() {
    done_ = true;
    checkpointer_.join();
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close(ck_);
    sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }
  CeilingDb(const CeilingDb&) = delete;
  CeilingDb& operator=(const CeilingDb&) = delete;

  sqlite3* db() const { return db_; }
  void Exec(const char* sql) { Check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_, sql); }
  // A statement on the write connection, finalized by the destructor.
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    Check(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr), db_, sql);
    statements_.push_back(s);
    return s;
  }
  // Runs `s` (a write) and resets it for the next use.
  void Step(sqlite3_stmt* s, const char* what) {
    Check(sqlite3_step(s), db_, what);
    sqlite3_reset(s);
  }

 private:
  const std::string dir_;
  sqlite3* db_ = nullptr;
  sqlite3* ck_ = nullptr;  // the checkpointer's connection
  std::atomic<bool> done_{false};
  std::thread checkpointer_;
  std::vector<sqlite3_stmt*> statements_;
};

}  // namespace

double RawCeiling(const std::string& dir, int batch, double seconds,
                  const std::vector<std::string>& bodies, bool with_archive, Packing packing) {
  std::vector<StoredDocument> stored;
  if (packing == Packing::kBeforehand) {
    for (const std::string& body : bodies) stored.push_back(Stored(body));
  }
  std::string packed_order, packed_event, packed_archive;  // kInTheLoop's buffers
  auto bind_body = [&](sqlite3_stmt* s, int i, size_t k, std::string& buffer) {
    if (packing == Packing::kBeforehand) return Document(s, i, stored[k]);
    Document(s, i, bodies[k], buffer);
  };
  CeilingDb c(dir);
  sqlite3_stmt* order = c.Prepare(
      "INSERT INTO orders (id, channel, channel_ref, status, version, created_at, updated_at, body)"
      " VALUES (?, ?, ?, 'received', 1, ?, ?, ?)");
  sqlite3_stmt* key = c.Prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, status_code, "
      "created_at)"
      " VALUES ('loadgen', ?, ?, ?, 201, ?)");
  // The inbound archive row the hub keeps per order (archive.inbound, on by default).
  sqlite3_stmt* archive = c.Prepare(
      "INSERT INTO inbound_archive (received_at, source, kind, key, headers, body, outcome, result)"
      " VALUES (?, 'loadgen', 'order', ?, ?, ?, 'accepted', ?)");
  const std::string headers =
      R"({"content-type":"application/json","idempotency-key":"LD-0000000000","host":"127.0.0.1"})";
  sqlite3_stmt* event = c.Prepare(
      "INSERT INTO events (seq, type, subject, correlation_id, causation_id, occurred_at,"
      " recorded_at, payload) VALUES (?, 'order.received', ?, ?, ?, ?, ?, ?)");
  IdGenerator ids;
  const std::string hash(64, 'a');
  int64_t seq = 0, orders = 0;
  auto start = Steady::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    c.Exec("BEGIN IMMEDIATE");
    for (int i = 0; i < batch; ++i, ++orders) {
      const size_t body = static_cast<size_t>(orders) % bodies.size();
      std::string id = ids.Next("ord"), msg = ids.Next("msg");
      std::string ref = fmt::format("LD-ceiling-{:010}", orders);
      int64_t now = NowMicros();
      Text(order, 1, id);
      sqlite3_bind_text(order, 2, "b2b-portal", -1, SQLITE_STATIC);
      Text(order, 3, ref);
      sqlite3_bind_int64(order, 4, now);
      sqlite3_bind_int64(order, 5, now);
      bind_body(order, 6, body, packed_order);
      c.Step(order, "insert order");
      Text(key, 1, ref);
      Text(key, 2, hash);
      Text(key, 3, id);
      sqlite3_bind_int64(key, 4, now);
      c.Step(key, "insert key");
      sqlite3_bind_int64(event, 1, ++seq);
      Text(event, 2, id);
      Text(event, 3, id);
      Text(event, 4, msg);
      sqlite3_bind_int64(event, 5, now);
      sqlite3_bind_int64(event, 6, now);
      bind_body(event, 7, body, packed_event);
      c.Step(event, "insert event");
      if (with_archive) {
        sqlite3_bind_int64(archive, 1, now);
        Text(archive, 2, ref);
        Text(archive, 3, headers);
        // The request as received: not the stored order's bytes, so packed on its own.
        bind_body(archive, 4, (body + 1) % bodies.size(), packed_archive);
        Text(archive, 5, id);
        c.Step(archive, "insert archive");
      }
    }
    c.Exec("COMMIT");
  }
  double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  return static_cast<double>(orders) / elapsed;
}

InventoryCeiling RawInventoryCeiling(
    const std::string& dir, int batch, double seconds,
    const std::vector<std::pair<std::string, std::string>>& positions,
    const std::vector<std::string>& payloads, double release_share) {
  assert(!positions.empty() && !payloads.empty());
  CeilingDb c(dir);
  // The statements of SqliteStore's PutPosition, PutReservation and AppendEvent.
  sqlite3_stmt* position = c.Prepare(
      "INSERT OR REPLACE INTO inventory_positions (sku, location, on_hand, reserved, safety_stock,"
      " inbound, last_sequence, last_as_of, updated_at) VALUES (?, ?, ?, ?, 2, 0, 1, ?, ?)");
  sqlite3_stmt* reservation = c.Prepare(
      "INSERT INTO inventory_reservations (order_id, line, location, sku, channel, quantity,"
      " consumed, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'b2b-portal', ?, 0, ?, ?, ?)"
      " ON CONFLICT (order_id, line, location) DO UPDATE SET sku = excluded.sku, channel ="
      " excluded.channel, quantity = excluded.quantity, consumed = excluded.consumed, state ="
      " excluded.state, updated_at = excluded.updated_at");
  sqlite3_stmt* event = c.Prepare(
      "INSERT INTO events (seq, type, subject, correlation_id, causation_id, occurred_at,"
      " recorded_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  // Every position exists before the first reservation, as the warehouses' snapshot made them.
  c.Exec("BEGIN IMMEDIATE");
  for (const auto& [sku, location] : positions) {
    Text(position, 1, sku);
    Text(position, 2, location);
    sqlite3_bind_int64(position, 3, 1000);
    sqlite3_bind_int64(position, 4, 0);
    sqlite3_bind_int64(position, 5, NowMicros());
    sqlite3_bind_int64(position, 6, NowMicros());
    c.Step(position, "seed position");
  }
  c.Exec("COMMIT");
  struct Held {
    std::string order;
    size_t position;
  };
  std::vector<Held> held;  // reserved, not released yet
  IdGenerator ids;
  uint64_t rng = 0x9e3779b97f4a7c15;
  auto next = [&rng] {  // xorshift64
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
  };
  std::string packed_payload;  // the event's payload as the store packs it
  int64_t seq = 0, commands = 0, reservations = 0;
  auto start = Steady::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    c.Exec("BEGIN IMMEDIATE");
    for (int i = 0; i < batch; ++i, ++commands) {
      const bool release =
          !held.empty() && static_cast<double>(next() >> 11) * 0x1.0p-53 < release_share;
      Held line;
      if (release) {
        const size_t k = next() % held.size();
        line = std::move(held[k]);
        held[k] = std::move(held.back());
        held.pop_back();
      } else {
        line = {ids.Next("ord"), static_cast<size_t>(reservations++) % positions.size()};
      }
      const auto& [sku, location] = positions[line.position];
      const std::string& payload = payloads[static_cast<size_t>(commands) % payloads.size()];
      const std::string cause = ids.Next("msg");
      const int64_t now = NowMicros();
      Text(position, 1, sku);
      Text(position, 2, location);
      sqlite3_bind_int64(position, 3, 1000 + commands);
      sqlite3_bind_int64(position, 4, commands);
      sqlite3_bind_int64(position, 5, now);
      sqlite3_bind_int64(position, 6, now);
      c.Step(position, "upsert position");
      Text(reservation, 1, line.order);
      sqlite3_bind_int64(reservation, 2, 1);
      Text(reservation, 3, location);
      Text(reservation, 4, sku);
      sqlite3_bind_int64(reservation, 5, 1 + commands % 5);
      sqlite3_bind_text(reservation, 6, release ? "released" : "active", -1, SQLITE_STATIC);
      sqlite3_bind_int64(reservation, 7, now);
      sqlite3_bind_int64(reservation, 8, now);
      c.Step(reservation, "upsert reservation");
      sqlite3_bind_int64(event, 1, ++seq);
      sqlite3_bind_text(event, 2, release ? "inventory.released" : "inventory.reserved", -1,
                        SQLITE_STATIC);
      Text(event, 3, line.order);
      Text(event, 4, line.order);
      Text(event, 5, cause);
      sqlite3_bind_int64(event, 6, now);
      sqlite3_bind_int64(event, 7, now);
      Document(event, 8, payload, packed_payload);
      c.Step(event, "insert event");
      if (!release) held.push_back(std::move(line));
    }
    c.Exec("COMMIT");
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  return {.commands_per_s = static_cast<double>(commands) / elapsed,
          .reservations_per_s = static_cast<double>(reservations) / elapsed};
}

}  // namespace disthub
