#include "connectors/inventory_count.h"

#include <charconv>
#include <map>
#include <utility>

#include "base/strings.h"
#include "formats/csv.h"

namespace disthub::connectors {
namespace {

// A whole, non-negative number of units: "12", or "12.0" as spreadsheets write it.
bool ParseUnits(std::string_view s, int64_t& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  size_t dot = s.find('.');
  if (dot != std::string_view::npos) {
    if (s.find_first_not_of('0', dot + 1) != std::string_view::npos) return false;
    s = s.substr(0, dot);
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 0;
}

}  // namespace

absl::StatusOr<InventoryCountFile> ReadInventoryCountCsv(std::string_view text,
                                                         const InventoryCountCsv& options) {
  formats::CsvReader reader(text, {.delimiter = options.delimiter});
  formats::CsvRecord record;
  InventoryCountFile out;

  // The header: the first record that reads.
  std::vector<size_t> columns;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok())
      return absl::InvalidArgumentError(StrCat("the header ", more.status().message()));
    if (!*more)
      return absl::InvalidArgumentError("the file is empty: a count needs a header and rows");
    std::vector<std::string> wanted = {options.columns.sku, options.columns.on_hand};
    if (options.location.empty()) wanted.push_back(options.columns.location);
    absl::StatusOr<std::vector<size_t>> found = formats::FindColumns(record, wanted);
    if (!found.ok()) {
      return absl::InvalidArgumentError(
          StrCat("line ", record.line, ": ", found.status().message()));
    }
    columns = *std::move(found);
    break;
  }
  const size_t width = record.fields.size();

  std::map<std::pair<std::string, std::string>, int64_t> seen;  // (sku, location) → line
  while (true) {
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok()) {
      // "line 7: a quote inside ..." → line 7, the rest as the reason.
      std::string_view m(more.status().message().data(), more.status().message().size());
      size_t colon = m.find(": ");
      int64_t line = reader.line();
      if (m.starts_with("line ") && colon != std::string_view::npos) {
        std::from_chars(m.data() + 5, m.data() + colon, line);
        m.remove_prefix(colon + 2);
      }
      out.bad.push_back({.line = line, .reason = std::string(m)});
      continue;
    }
    if (!*more) break;
    if (record.fields.size() != width) {
      out.bad.push_back(
          {.line = record.line,
           .reason = StrCat(record.fields.size(), " fields where the header has ", width)});
      continue;
    }
    InventoryCountRow row{
        .line = record.line,
        .sku = record.fields[columns[0]],
        .location = options.location.empty() ? record.fields[columns[2]] : options.location};
    const std::string& units = record.fields[columns[1]];
    if (row.sku.empty()) {
      out.bad.push_back({.line = row.line, .reason = StrCat(options.columns.sku, " is empty")});
      continue;
    }
    if (row.location.empty()) {
      out.bad.push_back(
          {.line = row.line, .reason = StrCat(options.columns.location, " is empty")});
      continue;
    }
    if (!ParseUnits(units, row.on_hand)) {
      out.bad.push_back({.line = row.line,
                         .reason = StrCat(options.columns.on_hand, " \"", units,
                                          "\" is not a whole, non-negative number of units")});
      continue;
    }
    auto [it, fresh] = seen.emplace(std::make_pair(row.sku, row.location), row.line);
    if (!fresh) {
      out.bad.push_back({.line = row.line,
                         .reason = StrCat(row.sku, " at ", row.location,
                                          " is counted twice (first on line ", it->second, ")")});
      continue;
    }
    out.rows.push_back(std::move(row));
  }
  if (out.rows.empty() && out.bad.empty()) {
    return absl::InvalidArgumentError("the count has a header but no rows");
  }
  return out;
}

}  // namespace disthub::connectors
