// The store's packed form of large documents (order bodies, event payloads, archived
// messages): LZ4-compressed, with a tag and the text's length in front. A 2 KB order takes
// about 1 KB packed, so every order's three copies (the order, its `order.received` event,
// its archived request) put half the bytes through the WAL, the fsync and the checkpoint.
// The SQLite store keeps packed documents as BLOBs and everything else as TEXT, so a reader
// tells them apart by the column's type, and databases written before packing (all TEXT)
// read as they are. Packing can be done ahead, off the writer thread (PackAhead, PackedForm
// in store.h); the writer then only checks it (PacksTo) at a fifth of packing's cost.
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

// The packed form of `text` made ahead of its write, on any thread, for a record's
// PackedForm: "" when `text` is to be kept as it is.
std::string PackAhead(std::string_view text);

// True when `packed` holds exactly `text` (it is unpacked and compared): how a store checks
// a PackedForm made elsewhere before it stores those bytes for the text.
bool PacksTo(std::string_view packed, std::string_view text);

// The text PackText packed. DataLoss when `packed` is not a packed document (damaged, or
// a BLOB the store did not write).
absl::StatusOr<std::string> UnpackText(std::string_view packed);

}  // namespace disthub
