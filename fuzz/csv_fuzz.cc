// CSV as partners send it (formats/csv.h): the bytes read to the end with the default
// options, with ';' as delimiter, and with '\t' and small limits. Nothing may crash, leak,
// hit undefined behaviour, throw or loop, and the reader keeps its contract:
//   - records and errors name lines from 1, each later than the one before (a record ends
//     before the next begins; after an error reading goes on at the next line), never past
//     the reader's line() nor the input's last line;
//   - a record has 1..max_fields fields, each at most max_field_bytes, together no longer
//     than the input (unquoting only removes bytes);
//   - an error is kInvalidArgument "line N: ...";
//   - Next() returns false within one call per input byte (plus one), and again after that;
//   - FindColumns() finds each of the header's own names (as written, spaces trimmed) at a
//     column that has that name, and an absent name is kInvalidArgument.
//
// Seeds: ../shared/fixtures/datasets/*.csv and ../shared/fixtures/shopify/*.csv;
// scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fail.h"
#include "formats/csv.h"

namespace {

using disthub::formats::CsvOptions;
using disthub::formats::CsvReader;
using disthub::formats::CsvRecord;
using disthub::fuzz::Fail;

std::string_view Trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool SameName(std::string_view a, std::string_view b) {
  a = Trim(a);
  b = Trim(b);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void CheckHeader(const CsvRecord& header) {
  std::vector<std::string> names;
  for (const std::string& f : header.fields) {
    // Names as written, without spaces around them (how those are trimmed is its choice).
    if (!Trim(f).empty() && Trim(f).size() == f.size() && names.size() < 8) names.push_back(f);
  }
  absl::StatusOr<std::vector<size_t>> columns = disthub::formats::FindColumns(header, names);
  if (!columns.ok())
    Fail("FindColumns misses a name of the header: " + columns.status().ToString());
  if (columns->size() != names.size())
    Fail("FindColumns returned a column count unlike the names'");
  for (size_t i = 0; i < names.size(); ++i) {
    if ((*columns)[i] >= header.fields.size() ||
        !SameName(header.fields[(*columns)[i]], names[i])) {
      Fail("FindColumns put \"" + names[i] + "\" at a column of another name");
    }
  }
  bool absent = true;
  for (const std::string& f : header.fields) absent = absent && !SameName(f, "no such column");
  if (absent) {
    absl::StatusOr<std::vector<size_t>> none =
        disthub::formats::FindColumns(header, {"no such column"});
    if (none.ok() || none.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail(
          "FindColumns found an absent column, or refused it with another code than "
          "kInvalidArgument");
    }
  }
}

void ReadAll(std::string_view text, const CsvOptions& options) {
  int64_t lines = 1;  // at most: a lone CR counted as a line end too
  for (char c : text) lines += c == '\n' || c == '\r';
  CsvReader reader(text, options);
  CsvRecord record;
  int64_t last = 0;
  bool header = true;
  for (size_t calls = 0;; ++calls) {
    if (calls > text.size() + 1) Fail("Next() has not returned false after one call per byte");
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok()) {
      const std::string message(more.status().message());
      if (more.status().code() != absl::StatusCode::kInvalidArgument ||
          !message.starts_with("line ")) {
        Fail("an error that is not kInvalidArgument \"line N: ...\": " + more.status().ToString());
      }
      const int64_t n = std::strtoll(message.c_str() + 5, nullptr, 10);
      if (n <= last || n > lines) {
        Fail("an error names line " + std::to_string(n) + " after line " + std::to_string(last) +
             " of " + std::to_string(lines));
      }
      last = n;
      continue;
    }
    if (!*more) break;
    if (record.line < 1 || record.line <= last || record.line > lines ||
        record.line > reader.line()) {
      Fail("record line " + std::to_string(record.line) + " after " + std::to_string(last) +
           ", reader at " + std::to_string(reader.line()) + ", input of " + std::to_string(lines) +
           " lines");
    }
    last = record.line;
    if (record.fields.empty() || record.fields.size() > options.max_fields) {
      Fail("a record of " + std::to_string(record.fields.size()) + " fields");
    }
    size_t bytes = 0;
    for (const std::string& f : record.fields) {
      if (f.size() > options.max_field_bytes)
        Fail("a field of " + std::to_string(f.size()) + " bytes");
      bytes += f.size();
    }
    if (bytes > text.size()) Fail("a record's fields are longer than the input");
    if (header) CheckHeader(record);
    header = false;
  }
  absl::StatusOr<bool> after = reader.Next(record);
  if (!after.ok() || *after) Fail("Next() after the end did not return false again");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ReadAll(text, {});
  ReadAll(text, {.delimiter = ';'});
  ReadAll(text, {.delimiter = '\t', .max_field_bytes = 8, .max_fields = 4});
  return 0;
}
