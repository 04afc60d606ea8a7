// X12 interchanges read segment by segment (issue 7's reader, its first layer): the
// delimiters taken from the ISA as partners actually write it, then each segment split
// into its elements, never reading past the input. Envelopes (ISA/IEA, GS/GE, ST/SE) are
// the next layer's; this one knows only syntax.
//
//   X12Reader r(bytes);
//   X12Segment s;
//   while (true) {
//     absl::StatusOr<bool> more = r.Next(s);  // error: kInvalidArgument naming the segment
//     if (!more.ok() || !*more) break;
//     s.id();          // "ISA", "GS", "ST", "BEG", ...
//     s.element(3);    // the third element after the id ("" when absent)
//   }
//
// What the delimiters may be, as the published interchanges show them: the element
// separator is the byte after "ISA" (`*`, `~`, `|`, ...); the component separator is
// ISA16, the byte after the sixteenth element separator, wherever that is (ISA fields
// are often not padded to their fixed width, or padded with non-breaking spaces); the
// segment terminator is the byte after ISA16 (`~`, `$`, a line break, ...); the repetition
// separator is ISA11 when that is not a letter or digit (00402 and later). Around
// segments: a UTF-8 byte-order mark, line breaks after terminators (LF or CRLF), and
// indentation (spaces, tabs) are skipped. Line breaks inside segments (interchanges
// hard-wrapped at 80 columns, an ISA broken across two lines) are removed when the
// segment terminator is not itself a line break; when it is, a line break inside the ISA
// ends it early, and the ISA is refused. Component separators ending a segment (an empty
// last component, as partners that declare '~' in ISA16 and end lines with "~" write)
// are dropped.
//
// Thread-compatible; `bytes` must outlive the reader and the segments it returns.
// Streaming: the input is read in place (a file can be mapped), never copied whole.
#pragma once

#include <cstddef>
#include <forward_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace disthub::formats {

struct X12Delimiters {
  char element = '*';
  char component = ':';
  char repetition = 0;  // 0: none (ISA11 is a standards identifier such as "U")
  char segment = '~';   // '\n' for interchanges whose segments end with line breaks
};

// One segment: its id and elements. The element views point into the input or, for a
// segment that had line breaks removed, into the reader's own copy (valid until the
// reader's Recycle()); the span holding them is the reader's, valid until its next Next()
// (a caller that keeps segments copies the views, as ReadX12 does for a set).
struct X12Segment {
  std::span<const std::string_view> elements;  // elements[0] is the id
  size_t position = 0;  // 1-based, in the input (ISA is 1), as a 997's AK3 counts in a set
  size_t line = 0;      // 1-based line of the input where it starts

  std::string_view id() const { return elements.empty() ? std::string_view() : elements[0]; }
  // The n-th element after the id (1-based, as X12 numbers them: BEG03 is element(3));
  // "" when the segment has fewer.
  std::string_view element(size_t n) const {
    return n < elements.size() ? elements[n] : std::string_view();
  }
  size_t size() const { return elements.empty() ? 0 : elements.size() - 1; }
};

class X12Reader {
 public:
  explicit X12Reader(std::string_view bytes);

  // The next segment into `out`: true, or false at the end of the input. The first call
  // reads the ISA and fixes the delimiters; kInvalidArgument when the input does not start
  // with an ISA this reader can take, naming what is wrong. Later interchanges in the same
  // input (a second ISA) are read with their own delimiters.
  absl::StatusOr<bool> Next(X12Segment& out);

  const X12Delimiters& delimiters() const { return delimiters_; }

  // Segments returned so far are no longer needed: the copies made of wrapped ones are
  // freed. Until then the element views of every segment returned stay valid, so a caller
  // can hold a whole transaction set.
  void Recycle() { unwrapped_.clear(); }

  // Bytes consumed so far (for progress and throughput).
  size_t offset() const { return at_; }

 private:
  absl::Status ReadIsa(X12Segment& out);
  void Split(std::string_view text, X12Segment& out);

  std::string_view bytes_;
  size_t at_ = 0;
  size_t line_ = 1;
  size_t position_ = 0;
  bool started_ = false;
  X12Delimiters delimiters_;
  // Segments with their line breaks removed: a list, so that no copy moves while views
  // into it are out, and nothing is allocated for inputs that need none.
  std::forward_list<std::string> unwrapped_;
  std::vector<std::string_view> current_;  // the last segment's elements
};

}  // namespace disthub::formats
