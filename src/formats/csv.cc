#include "formats/csv.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace disthub::formats {
namespace {

using ::disthub::StrCat;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

CsvReader::CsvReader(std::string_view text, CsvOptions options) : text_(text), options_(options) {
  if (text_.starts_with(kBom)) pos_ = kBom.size();
}

absl::StatusOr<bool> CsvReader::Next(CsvRecord& record) {
  const std::string_view t = text_;
  const char delim = options_.delimiter;
  // Skips blank lines (LF, CRLF or a lone CR).
  while (pos_ < t.size() && (t[pos_] == '\n' || t[pos_] == '\r')) {
    if (t[pos_] == '\r' && pos_ + 1 < t.size() && t[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }
  if (pos_ >= t.size()) return false;

  record.line = line_;
  size_t used = 0;  // fields of `record` filled so far; the vector's strings are reused
  auto next_field = [&]() -> std::string* {
    if (used == record.fields.size()) record.fields.emplace_back();
    std::string* f = &record.fields[used++];
    f->clear();
    return f;
  };
  // On a malformed record: skip to the start of the next line outside any quotes the
  // record opened, count the lines passed, and report the record's first line.
  auto fail = [&](std::string_view why) -> absl::Status {
    while (pos_ < t.size() && t[pos_] != '\n' && t[pos_] != '\r') ++pos_;
    if (pos_ < t.size()) {
      if (t[pos_] == '\r' && pos_ + 1 < t.size() && t[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
    }
    record.fields.resize(std::max<size_t>(used, 1));
    return absl::InvalidArgumentError(StrCat("line ", record.line, ": ", why));
  };

  while (true) {
    if (used >= options_.max_fields) {
      return fail(StrCat("more than ", options_.max_fields, " fields"));
    }
    std::string* field = next_field();
    if (pos_ < t.size() && t[pos_] == '"') {
      ++pos_;
      const int64_t opened_on = line_;
      while (true) {
        size_t quote = t.find('"', pos_);
        if (quote == std::string_view::npos) {
          pos_ = t.size();
          record.fields.resize(used);
          return absl::InvalidArgumentError(StrCat("line ", record.line,
                                                   ": the quoted field opened on line ", opened_on,
                                                   " is never closed"));
        }
        std::string_view chunk = t.substr(pos_, quote - pos_);
        line_ += std::count(chunk.begin(), chunk.end(), '\n');
        if (field->size() + chunk.size() > options_.max_field_bytes) {
          pos_ = quote + 1;
          return fail(StrCat("a field longer than ", options_.max_field_bytes, " bytes"));
        }
        field->append(chunk);
        pos_ = quote + 1;
        if (pos_ < t.size() && t[pos_] == '"') {  // "" is one quote
          field->push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < t.size() && t[pos_] != delim && t[pos_] != '\n' && t[pos_] != '\r') {
        return fail(StrCat("text after the closing quote of field ", used - 1));
      }
    } else {
      size_t end = pos_;
      while (end < t.size() && t[end] != delim && t[end] != '\n' && t[end] != '\r') ++end;
      std::string_view raw = t.substr(pos_, end - pos_);
      pos_ = end;
      if (raw.find('"') != std::string_view::npos) {
        return fail(StrCat("a quote inside unquoted field ", used - 1,
                           " (quote the whole field and double the quote)"));
      }
      if (raw.size() > options_.max_field_bytes) {
        return fail(StrCat("a field longer than ", options_.max_field_bytes, " bytes"));
      }
      field->assign(raw);
    }
    if (pos_ < t.size() && t[pos_] == delim) {
      ++pos_;
      continue;
    }
    // End of the record: a line end or the end of the input.
    if (pos_ < t.size()) {
      if (t[pos_] == '\r' && pos_ + 1 < t.size() && t[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
    }
    record.fields.resize(used);
    return true;
  }
}

absl::StatusOr<std::vector<size_t>> FindColumns(const CsvRecord& header,
                                                const std::vector<std::string>& required) {
  std::vector<std::string> names;
  names.reserve(header.fields.size());
  for (const std::string& f : header.fields) {
    names.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(f)));
  }
  std::vector<size_t> columns;
  columns.reserve(required.size());
  for (const std::string& want : required) {
    std::string key = absl::AsciiStrToLower(want);
    auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      return absl::InvalidArgumentError(
          StrCat("the header has no column \"", want, "\"; it has: ", absl::StrJoin(names, ", ")));
    }
    columns.push_back(static_cast<size_t>(it - names.begin()));
  }
  return columns;
}

}  // namespace disthub::formats
