// A full stock count as warehouses and ERPs export it: a CSV with one row per SKU and
// location (the nightly snapshot DESIGN.md's reconciliation runs against). The columns are
// named by configuration, so a partner's own export is read as it is; a file without a
// location column counts one configured location.
//
//   InventoryCountCsv options{.columns = {.sku = "SKU", .on_hand = "Quantity"},
//                             .location = "wh-east"};
//   absl::StatusOr<InventoryCountFile> count = ReadInventoryCountCsv(text, options);
//   if (!count.ok()) ...              // the file as a whole cannot be read (no such column)
//   if (!count->bad.empty()) ...      // rows that are wrong, each with its line and reason
//
// A count with a bad row must not be applied (a row left out reads as "none counted"), so
// the caller refuses the whole file and reports every bad row. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace disthub::connectors {

struct InventoryCountColumns {
  std::string sku = "sku";
  std::string location = "location";  // ignored when InventoryCountCsv::location is set
  std::string on_hand = "on_hand";
};

struct InventoryCountCsv {
  char delimiter = ',';
  InventoryCountColumns columns;
  std::string location;  // every row's location, for files without a location column
};

struct InventoryCountRow {
  int64_t line = 0;  // in the file, from 1
  std::string sku;
  std::string location;
  int64_t on_hand = 0;
};

struct BadRow {
  int64_t line = 0;
  std::string reason;  // "on_hand \"ten\" is not a whole number of units"
};

struct InventoryCountFile {
  std::vector<InventoryCountRow> rows;  // the good rows, in file order
  std::vector<BadRow> bad;              // every bad row (and malformed CSV record), by line
};

// kInvalidArgument when nothing can be read: an empty file, or a header that lacks a
// configured column (naming it and the columns the file has).
absl::StatusOr<InventoryCountFile> ReadInventoryCountCsv(std::string_view text,
                                                         const InventoryCountCsv& options = {});

}  // namespace disthub::connectors
