// The machine's ceiling for durable writes: SQLite alone committing the hub's rows (an
// order, its idempotency key, its event and, with `with_archive`, its inbound archive
// row) in batches, WAL, synchronous=FULL, with a
// background checkpointer as the hub has. Benchmarks print their figures beside it.
#pragma once

#include <string>
#include <vector>

namespace disthub {

// Orders per second that SQLite alone commits in batches of `batch` for `seconds`, in a
// fresh database under `dir` (removed afterwards). `bodies` are the order documents.
double RawCeiling(const std::string& dir, int batch, double seconds,
                  const std::vector<std::string>& bodies, bool with_archive = true);

}  // namespace disthub
