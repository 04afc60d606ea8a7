// X12 interchanges through X12Reader (formats/x12.h), to the end of the input. Nothing may
// crash, leak, hit undefined behaviour, read past the input or loop, and the reader keeps
// its contract:
//   - the first segment is an ISA with 16 elements, whose delimiters are all different
//     and none a letter or digit;
//   - positions count 1, 2, 3... within an interchange (an ISA starts again at 1), and
//     lines never go back;
//   - every segment id is 1 to 3 letters or digits, and no element holds the element
//     separator or (but ISA's own) the segment terminator;
//   - Next() returns false or an error within one call per input byte (plus one), and
//     an error is kInvalidArgument.
//
// Seeds: ../shared/fixtures/x12/*.edi; scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fail.h"
#include "formats/x12.h"

namespace {

using disthub::fuzz::Fail;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string copy(reinterpret_cast<const char*>(data), size);  // exactly the input
  disthub::formats::X12Reader reader(copy);
  disthub::formats::X12Segment s;
  size_t calls = 0, position = 0, line = 0;
  while (true) {
    if (++calls > size + 2) Fail("Next() did not finish within one call per byte");
    absl::StatusOr<bool> more = reader.Next(s);
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) Fail("not kInvalidArgument");
      break;
    }
    if (!*more) break;
    const disthub::formats::X12Delimiters& d = reader.delimiters();
    if (s.id() == "ISA") {
      if (s.size() != 16) Fail("an ISA without 16 elements");
      if (d.element == d.component || d.element == d.segment || d.component == d.segment ||
          IsAlnum(d.element) || IsAlnum(d.component) || IsAlnum(d.segment)) {
        Fail("delimiters that clash");
      }
      if (s.position != 1) Fail("an ISA not at position 1");
    } else {
      if (calls == 1) Fail("a first segment that is not an ISA");
      if (s.position != position + 1) Fail("positions that do not count up");
    }
    if (s.line < line) Fail("lines that go back");
    position = s.position;
    line = s.line;
    if (s.id().empty() || s.id().size() > 3) Fail("a segment id of the wrong length");
    for (char c : s.id()) {
      if (!IsAlnum(c)) Fail("a segment id that is not letters and digits");
    }
    for (std::string_view e : s.elements) {
      if (e.find(d.element) != std::string_view::npos) Fail("an element holding the separator");
      if (s.id() != "ISA" && d.segment != '\n' && e.find(d.segment) != std::string_view::npos) {
        Fail("an element holding the segment terminator");
      }
    }
  }
  return 0;
}
