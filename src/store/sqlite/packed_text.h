// The SQLite store keeps large documents (order bodies, event payloads, archived messages)
// LZ4-compressed. A 2 KB order takes about 1 KB packed, so every order's three copies (the
// order, its `order.received` event, its archived request) put half the bytes through the
// WAL, the fsync and the checkpoint. Packed documents are BLOBs and everything else the
// store writes is TEXT, so a reader tells them apart by the column's type, and databases
// written before packing (all TEXT) read as they are.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace disthub {

// Documents shorter than this are kept as text: packing would save too little.
inline constexpr size_t kPackFromBytes = 256;

// Packs `text` into `packed` and returns true when that saves at least an eighth of it;
// returns false, leaving `packed` unspecified, when `text` should be kept as it is.
// `packed` keeps its capacity from call to call.
bool PackText(std::string_view text, std::string& packed);

// The text PackText packed. DataLoss when `packed` is not a packed document (damaged, or
// a BLOB the store did not write).
absl::StatusOr<std::string> UnpackText(std::string_view packed);

}  // namespace disthub
