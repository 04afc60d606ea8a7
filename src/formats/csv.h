// CSV as partners send it (RFC 4180, and what the fixtures show beside it): a UTF-8 byte
// order mark, CRLF or LF line ends, quoted fields with doubled quotes and line breaks
// inside, a last line without a line end. Bytes in, records out; knows nothing of what
// the columns mean.
//
//   CsvReader reader(text);
//   CsvRecord record;
//   while (true) {
//     absl::StatusOr<bool> more = reader.Next(record);
//     if (!more.ok()) { report(more.status()); continue; }  // "line 7: ..."; reading goes on
//     if (!*more) break;
//     use(record.line, record.fields);
//   }
//
// A malformed record (a quote inside an unquoted field, text after a closing quote, a field
// over the size limit, a quoted field still open at the end of the input) is one error that
// names its line; the reader then goes on at the next line, so one bad row never hides the
// rest. Blank lines are skipped. It never reads outside `text`.
//
// Thread-safety: a reader is used by one thread; `text` must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace disthub::formats {

struct CsvOptions {
  char delimiter = ',';              // ';' and '\t' are common too
  size_t max_field_bytes = 1 << 20;  // a longer field is an error, not an allocation
  size_t max_fields = 4096;          // per record
};

struct CsvRecord {
  int64_t line = 0;                 // the line the record starts on, from 1
  std::vector<std::string> fields;  // unquoted; at least one (a line "" is one empty field)
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view text, CsvOptions options = {});

  // The next record into `record` (its buffers are reused): true, or false at the end of
  // the input. kInvalidArgument "line N: ..." for a malformed record, after which the next
  // call reads on from the line after it.
  absl::StatusOr<bool> Next(CsvRecord& record);

  // The line the reader is on (from 1); after the end, the last line plus one.
  int64_t line() const { return line_; }

 private:
  std::string_view text_;
  CsvOptions options_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

// The index of each name in a header record, matched without regard to case and
// surrounding spaces; kInvalidArgument naming the first of `required` the header lacks
// ("the header has no column \"on_hand\"; it has: sku, location, qty").
absl::StatusOr<std::vector<size_t>> FindColumns(const CsvRecord& header,
                                                const std::vector<std::string>& required);

}  // namespace disthub::formats
