#include "sqlite_ceiling.h"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/ids.h"
#include "fmt/core.h"
#include "store/sqlite/sqlite_migrations.h"

namespace disthub {
namespace {

using Steady = std::chrono::steady_clock;

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fmt::print(stderr, "ceiling: {}: {}\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

}  // namespace

double RawCeiling(const std::string& dir, int batch, double seconds,
                  const std::vector<std::string>& bodies, bool with_archive) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  Check(sqlite3_open((dir + "/ceiling.db").c_str(), &db), db, "open");
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                             "PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 0",
                             "PRAGMA journal_size_limit = 67108864"}) {
    Check(sqlite3_exec(db, pragma, nullptr, nullptr, nullptr), db, pragma);
  }
  for (const Migration& m : SqliteMigrations()) {
    Check(sqlite3_exec(db, std::string(m.sql).c_str(), nullptr, nullptr, nullptr), db, "schema");
  }
  // The hub checkpoints from a second connection in the background; so does this.
  sqlite3* ck = nullptr;
  Check(sqlite3_open((dir + "/ceiling.db").c_str(), &ck), ck, "open");
  Check(sqlite3_exec(ck, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr), ck, "read");
  std::atomic<bool> done{false};
  std::thread checkpointer([&] {
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      sqlite3_wal_checkpoint_v2(ck, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
  });
  auto prep = [db](const char* sql) {
    sqlite3_stmt* s = nullptr;
    Check(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), db, sql);
    return s;
  };
  sqlite3_stmt* order = prep(
      "INSERT INTO orders (id, channel, channel_ref, status, version, created_at, updated_at, body)"
      " VALUES (?, ?, ?, 'received', 1, ?, ?, ?)");
  sqlite3_stmt* key = prep(
      "INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, status_code, created_at)"
      " VALUES ('loadgen', ?, ?, ?, 201, ?)");
  // The inbound archive row the hub keeps per order (archive.inbound, on by default).
  sqlite3_stmt* archive = prep(
      "INSERT INTO inbound_archive (received_at, source, kind, key, headers, body, outcome, result)"
      " VALUES (?, 'loadgen', 'order', ?, ?, ?, 'accepted', ?)");
  const std::string headers =
      R"({"content-type":"application/json","idempotency-key":"LD-0000000000","host":"127.0.0.1"})";
  sqlite3_stmt* event = prep(
      "INSERT INTO events (seq, type, subject, correlation_id, causation_id, occurred_at,"
      " recorded_at, payload) VALUES (?, 'order.received', ?, ?, ?, ?, ?, ?)");
  IdGenerator ids;
  const std::string hash(64, 'a');
  int64_t seq = 0, orders = 0;
  auto start = Steady::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    Check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db, "begin");
    for (int i = 0; i < batch; ++i, ++orders) {
      const std::string& body = bodies[static_cast<size_t>(orders) % bodies.size()];
      std::string id = ids.Next("ord"), msg = ids.Next("msg");
      std::string ref = fmt::format("LD-ceiling-{:010}", orders);
      int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
      auto text = [](sqlite3_stmt* s, int i, const std::string& v) {
        sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
      };
      text(order, 1, id);
      sqlite3_bind_text(order, 2, "b2b-portal", -1, SQLITE_STATIC);
      text(order, 3, ref);
      sqlite3_bind_int64(order, 4, now);
      sqlite3_bind_int64(order, 5, now);
      text(order, 6, body);
      Check(sqlite3_step(order), db, "insert order");
      sqlite3_reset(order);
      text(key, 1, ref);
      text(key, 2, hash);
      text(key, 3, id);
      sqlite3_bind_int64(key, 4, now);
      Check(sqlite3_step(key), db, "insert key");
      sqlite3_reset(key);
      sqlite3_bind_int64(event, 1, ++seq);
      text(event, 2, id);
      text(event, 3, id);
      text(event, 4, msg);
      sqlite3_bind_int64(event, 5, now);
      sqlite3_bind_int64(event, 6, now);
      text(event, 7, body);
      Check(sqlite3_step(event), db, "insert event");
      sqlite3_reset(event);
      if (with_archive) {
        sqlite3_bind_int64(archive, 1, now);
        text(archive, 2, ref);
        text(archive, 3, headers);
        text(archive, 4, body);
        text(archive, 5, id);
        Check(sqlite3_step(archive), db, "insert archive");
        sqlite3_reset(archive);
      }
    }
    Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  done = true;
  checkpointer.join();
  for (sqlite3_stmt* s : {order, key, event, archive}) sqlite3_finalize(s);
  sqlite3_close(ck);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
  return static_cast<double>(orders) / elapsed;
}

}  // namespace disthub
