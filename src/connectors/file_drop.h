// The legacy batch connector (connector type `csv-inventory-count`): a folder that a
// warehouse or ERP drops its nightly stock count into, as CSV. Each file is read once,
// whole, and becomes one reconciliation (DESIGN.md, inventory): drift found and, with
// `apply`, corrected, the file archived with the run.
//
// What happens to a file, in order:
//   1. It is taken once its size and modification time have held still for `settle_ms`
//      (partners that write in place rather than rename into the folder); names starting
//      with '.' and not matching `pattern` are left alone.
//   2. A file whose bytes were already taken (the same SHA-256, under any name; the inbound
//      archive is the record, so this holds across a crash between 3 and 4) is moved to
//      `processed_folder` as a duplicate, changing nothing.
//   3. It is read (connectors/inventory_count.h). Any bad row refuses the whole file (a
//      row left out would read as "none counted"): it moves to `rejected_folder` beside a
//      NAME.errors.txt listing every bad row by line, and nothing is applied.
//   4. Otherwise the reconciliation starts (durably) and the file moves to
//      `processed_folder`. If the hub cannot take it (store unavailable), the file stays
//      and is tried again at the next poll.
// Moves never overwrite: a name already there gets a time prefix.
//
// Thread-safety: one worker thread per instance; Describe() from any thread.
#pragma once

#include <memory>

#include "connectors/connector.h"

namespace disthub::connectors {

// The type, for src/app's registration list.
const ConnectorType& CsvInventoryCountType();

}  // namespace disthub::connectors
