// The embedded SQLite backend: one database file in WAL mode.
//
// One write connection (used by one writer thread at a time, see Store::Write) and a
// pool of read connections, so readers never wait for the writer. Automatic WAL
// checkpoints are moved off the write path onto a background thread so a commit never
// pays for one. Schema migrations (sqlite_migrations.cc) are applied by Open().
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace disthub {

struct SqliteOptions {
  // The database file; its folder must exist. ":memory:" is not supported (WAL needs a file).
  std::string path;
  // "full": every commit is fsynced before Write() returns (durable across power loss).
  // "normal": the WAL is fsynced only at checkpoints (durable across process crashes only).
  std::string synchronous = "full";
  // Read connections kept open for concurrent readers.
  int read_connections = 4;
  // Start a background checkpoint once the WAL holds this many pages.
  int checkpoint_pages = 8192;
  // How long a statement waits for a lock held by another process before failing.
  int busy_timeout_ms = 5000;
};

// Process-wide SQLite settings the store wants (no allocator statistics). Called by
// OpenSqliteStore; benchmarks that open SQLite directly call it first so they measure the
// same library. Idempotent and thread-safe.
void ConfigureSqliteLibrary();

// Opens (creating if needed) and migrates the database. kFailedPrecondition if the file
// was written by a newer disthub (a schema version this build does not know).
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace disthub
