// What one complete order lifecycle writes to the store, counted in a hub's database
// after a run, and the machine's ceiling for those writes: SQLite alone committing the
// same mix of row writes (same schema, pragmas and row sizes) in batches. Used by
// disthub-lifecycle-bench to print the hub's lifecycles/s as a ratio of that ceiling.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace disthub {

// Row writes per complete lifecycle (averages over the completed orders of a run). A
// write is one INSERT, UPDATE, upsert or DELETE of one row.
struct LifecycleWrites {
  int64_t lifecycles = 0;         // completed (invoiced) orders the averages are over
  double order_inserts = 0;       // the order row
  double order_updates = 0;       // its status changes (version - 1)
  double idempotency_keys = 0;    // intake's idempotency key rows
  double events = 0;              // events whose subject is the order (all types)
  double inventory_events = 0;    // of which inventory.* (one per inventory command)
  double outbox_inserts = 0;      // outbox rows of those events (one per subscriber routed)
  double outbox_updates = 0;      // outcomes written back (rows no longer pending)
  double delivery_attempts = 0;   // failed attempts recorded
  double archive_rows = 0;        // inbound archive: the order, acks, shipments
  double fulfillment_writes = 0;  // fulfillment order row versions (each an upsert)
  double fulfillments = 0;        // fulfillment orders
  double releases = 0;            // fulfillment.release.* events (each arms an ack timer)
  double timer_inserts = 0;       // advance + ack deadlines + close
  double timer_deletes = 0;       // advance + ack deadlines
  // One position upsert and one reservation upsert per inventory command (what
  // InventoryService::WriteResult writes); not countable from the final rows.
  double position_writes = 0;
  double reservation_writes = 0;
  // Average sizes in bytes of the large columns.
  double order_bytes = 0;
  double event_bytes = 0;
  double archive_bytes = 0;  // body + headers
  double fulfillment_bytes = 0;

  double Rows() const;
  // "orders 1+6, events 15.0 (inventory 4.0), outbox 5.0+5.0, ..." on one line.
  std::string Describe() const;
};

// Counts in the hub database at `db_path` (the hub stopped). kNotFound when no order
// completed.
absl::StatusOr<LifecycleWrites> CountLifecycleWrites(const std::string& db_path);

struct LifecycleCeiling {
  double lifecycles_per_s = 0;
  double rows_per_s = 0;
  double commits_per_s = 0;
  double cpu_share = 0;  // CPU time of the writing thread / wall time
  double cpu_us_per_lifecycle = 0;
};

// SQLite alone writing `w`'s rows for `batch` lifecycles per fsynced transaction, for
// `seconds`, in a fresh database under `dir` (removed afterwards): WAL, synchronous
// FULL (or NORMAL when `synchronous_normal`), the hub's schema (SqliteMigrations) and a
// background checkpointer as the hub has. Fractional counts are carried from one
// lifecycle to the next. Writes only: the reads the hub's steps make inside the
// transaction (the order, its fulfillment orders) are not in it.
LifecycleCeiling RawLifecycleCeiling(const std::string& dir, const LifecycleWrites& w, int batch,
                                     double seconds, bool synchronous_normal = false);

}  // namespace disthub
