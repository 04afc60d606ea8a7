// EDIFACT interchanges through EdifactReader (formats/edifact.h), to the end of the input.
// Nothing may crash, leak, hit undefined behaviour, read past the input or loop, and the
// reader keeps its contract:
//   - the first segment is a UNB, and every UNB is at position 1; the others count up
//     by one, and lines never go back;
//   - every tag is three capital letters or digits; values never hold a line break but
//     where a release character made one data;
//   - the delimiters (from a UNA, or the defaults) are told apart;
//   - Next() returns false or an error within one call per input byte (plus one), and
//     an error is kInvalidArgument.
//
// Then the same input through the envelopes (ReadEdifact):
//   - it fails exactly when the reader did, with the same error, or for segments after a
//     UNZ that are not a new interchange;
//   - every message handed over has the segments it counts, from its UNH, and every error
//     a 0085 code of the header's list and a level's position.
//
// Seeds: ../shared/fixtures/edifact/*; scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fail.h"
#include "formats/edifact.h"

namespace {

using disthub::fuzz::Fail;
using namespace disthub::formats;  // NOLINT: a fuzz target's own file

void CheckEnvelopes(const std::string& input, const absl::Status& reader_status) {
  size_t handed = 0;
  absl::StatusOr<std::vector<EdifactInterchange>> read = ReadEdifact(
      input, {.message = [&](const EdifactInterchange&, const EdifactGroup*,
                             const EdifactMessage& m, std::span<const EdifactSegment> segments) {
        ++handed;
        if (segments.empty() || segments[0].tag() != "UNH") Fail("a message not from its UNH");
        if (segments.size() != m.segments) Fail("a message handed over with other segments");
      }});
  if (!reader_status.ok() && read.ok()) Fail("ReadEdifact took what EdifactReader refused");
  if (!read.ok()) {
    if (read.status() != reader_status &&
        read.status().message().find("follows the UNZ") == std::string_view::npos) {
      Fail("ReadEdifact failed with an error of neither the reader nor the envelopes");
    }
    return;
  }
  static const std::set<std::string> kCodes = {"2",  "12", "13", "16", "20", "26", "28",
                                               "29", "30", "32", "33", "35", "39"};
  size_t messages = 0;
  auto check = [&](const std::vector<EdifactError>& errors) {
    for (const EdifactError& e : errors) {
      if (!kCodes.contains(e.code)) Fail("an error code outside the list: " + e.code);
      if (e.message.empty()) Fail("an error without a message");
    }
  };
  auto check_message = [&](const EdifactMessage& m) {
    ++messages;
    check(m.errors);
    for (const EdifactError& e : m.errors) {
      if (e.position > m.segments + 1) Fail("a message error past its message");
    }
  };
  for (const EdifactInterchange& x : *read) {
    check(x.errors);
    for (const EdifactGroup& g : x.groups) {
      check(g.errors);
      for (const EdifactMessage& m : g.messages) check_message(m);
    }
    for (const EdifactMessage& m : x.messages) check_message(m);
  }
  if (handed != messages) Fail("not every message handed over once");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string copy(reinterpret_cast<const char*>(data), size);  // exactly the input
  EdifactReader reader(copy);
  EdifactSegment s;
  size_t calls = 0, position = 0, line = 0;
  absl::Status reader_status;
  while (true) {
    if (++calls > size + 2) Fail("Next() did not finish within one call per byte");
    absl::StatusOr<bool> more = reader.Next(s);
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) Fail("not kInvalidArgument");
      reader_status = more.status();
      break;
    }
    if (!*more) break;
    const EdifactDelimiters& d = reader.delimiters();
    if (d.element == d.component || d.element == d.segment || d.component == d.segment) {
      Fail("delimiters that clash");
    }
    if (calls == 1 && s.tag() != "UNB") Fail("a first segment that is not a UNB");
    if (s.tag() == "UNB" ? s.position != 1 : s.position != position + 1) {
      Fail("positions that do not count up from the UNB");
    }
    if (s.line < line) Fail("lines that go back");
    position = s.position;
    line = s.line;
    if (s.tag().size() != 3) Fail("a tag of the wrong length");
    for (char c : s.tag()) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) Fail("a tag of other characters");
    }
    if (s.starts.empty() || s.starts[0] != 0) Fail("elements that do not start at the tag");
    for (size_t i = 1; i < s.starts.size(); ++i) {
      if (s.starts[i] <= s.starts[i - 1] || s.starts[i] >= s.values.size()) {
        Fail("element starts out of order");
      }
    }
    for (std::string_view v : s.values) {
      if (d.release == 0 &&
          (v.find('\n') != std::string_view::npos || v.find(d.segment) != std::string_view::npos)) {
        Fail("a value holding a line break or the terminator with no release character");
      }
    }
  }
  CheckEnvelopes(copy, reader_status);
  return 0;
}
