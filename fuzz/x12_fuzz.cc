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
// Then the same input through the envelope layer (formats/x12_envelope.h) and the writer:
//   - ReadX12 fails when the reader did, with the same error, or for segments after an
//     IEA that no ISA opens;
//   - a set's errors are capped as X12ReadOptions says, and element errors sit at a
//     position inside their set;
//   - the 997/999 for every group read, written as an interchange of ours, reads back with
//     envelopes that are right (no interchange, group or set error but "5", errors in
//     segments, which garbage control numbers copied into AK1/AK2 may cause), and
//     ReadFunctionalAcknowledgement takes each set of it.
//
// Seeds: ../shared/fixtures/x12/*.edi; scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fail.h"
#include "formats/x12.h"
#include "formats/x12_envelope.h"
#include "formats/x12_writer.h"

namespace {

using disthub::fuzz::Fail;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void CheckEnvelopes(const std::string& input, const absl::Status& reader_status) {
  using namespace disthub::formats;  // NOLINT: a fuzz target's own file
  constexpr size_t kCap = 20;
  absl::StatusOr<std::vector<X12Interchange>> read =
      ReadX12(input, {}, {.check_segments = true, .max_errors_per_set = kCap});
  if (!reader_status.ok() && read.ok()) Fail("ReadX12 took what X12Reader refused");
  if (!read.ok()) {
    if (read.status() != reader_status &&
        read.status().message().find("follows the IEA") == std::string_view::npos) {
      Fail("ReadX12 failed with an error of neither the reader nor the envelopes");
    }
    return;
  }
  for (const X12Interchange& x : *read) {
    for (const X12Group& g : x.groups) {
      for (const X12Set& set : g.sets) {
        if (set.errors.size() > kCap + 12) Fail("a set's errors beyond the cap");
        for (const X12Error& e : set.errors) {
          if (e.level == X12Level::kElement && (e.position < 2 || e.position > set.segments)) {
            Fail("an element error outside its set");
          }
        }
      }
    }
    if (x.groups.empty()) continue;
    X12Envelope ours;
    ours.sender = "DISTHUB";
    ours.receiver = "PARTNER";
    std::vector<X12OutGroup> acks(1);
    acks[0].functional_id = "FA";
    for (const X12Group& g : x.groups)
      acks[0].sets.push_back(FunctionalAcknowledgement(g, ours.delimiters));
    absl::StatusOr<std::string> written =
        WriteX12Interchange(ours, {.interchange = 1, .group = 1}, acks, absl::UnixEpoch());
    if (!written.ok()) continue;  // a control number holding one of our delimiters
    size_t acknowledgements = 0;
    absl::StatusOr<std::vector<X12Interchange>> back =
        ReadX12(*written, {.set = [&](const X12Interchange&, const X12Group&, const X12Set&,
                                      std::span<const X12Segment> segments) {
          ++acknowledgements;
          absl::StatusOr<std::vector<X12AckedGroup>> acked =
              ReadFunctionalAcknowledgement(segments);
          if (!acked.ok()) Fail("our 997 does not read back: " + acked.status().ToString());
        }});
    if (!back.ok() || back->size() != 1) Fail("our 997 interchange does not read back");
    if (!back->front().errors.empty() || !back->front().groups.at(0).errors.empty()) {
      Fail("our 997 interchange has envelope errors");
    }
    for (const X12Set& set : back->front().groups[0].sets) {
      for (const X12Error& e : set.errors) {
        if (e.level == X12Level::kSet && e.code != "5") Fail("our 997 set has envelope errors");
      }
    }
    if (acknowledgements != x.groups.size()) Fail("not one 997 per group");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string copy(reinterpret_cast<const char*>(data), size);  // exactly the input
  disthub::formats::X12Reader reader(copy);
  disthub::formats::X12Segment s;
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
  CheckEnvelopes(copy, reader_status);
  return 0;
}
