// The machine's ceiling for durable writes: SQLite alone committing the hub's rows in
// batches, WAL, synchronous=FULL, the hub's schema (SqliteMigrations) and pragmas, with a
// background checkpointer as the hub has. Benchmarks print their figures beside it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace disthub {

// How the ceiling stores the documents: as SqliteStore does, packed (packed_text.h) on
// the writing thread, or packed before the clock starts (SQLite's share alone).
enum class Packing { kInTheLoop, kBeforehand };

// Orders per second that SQLite alone commits in batches of `batch` for `seconds`, in a
// fresh database under `dir` (removed afterwards): per order, an order, its idempotency
// key, its event and, with `with_archive`, its inbound archive row. `bodies` are the
// order documents; the order, its event's payload and its archived copy are each stored
// as the store stores a document (packed when that pays), packed per `packing`.
double RawCeiling(const std::string& dir, int batch, double seconds,
                  const std::vector<std::string>& bodies, bool with_archive = true,
                  Packing packing = Packing::kInTheLoop);

// What SQLite alone commits of the inventory's writes, per second.
struct InventoryCeiling {
  double commands_per_s = 0;      // reservations and releases
  double reservations_per_s = 0;  // of which reservations
};

// SQLite alone committing, in batches of `batch` for `seconds` in a fresh database under
// `dir` (removed afterwards), the rows InventoryService writes per command: a reservation
// taken at one location is a position upsert, a new reservation row and an
// "inventory.reserved" event; a release (`release_share` of the commands, of a line
// reserved earlier) is a position upsert, that reservation row updated and an
// "inventory.released" event. `positions` (sku, location) are seeded first and then
// taken in turn, so hot ones repeat as often as in the workload; `payloads` are the
// events' payloads, used in turn.
// REQUIRES: `positions` and `payloads` are not empty.
InventoryCeiling RawInventoryCeiling(
    const std::string& dir, int batch, double seconds,
    const std::vector<std::pair<std::string, std::string>>& positions,
    const std::vector<std::string>& payloads, double release_share);

}  // namespace disthub
