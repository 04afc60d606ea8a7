// The X12 segments disthub trades, as the standard (004010, with 005010's differences
// allowed) defines them: each element's requirement, type and length, and the segment's
// syntax notes. ReadX12 checks every segment of a set that has an entry here; segments
// without one (there are hundreds in the standard) are carried unchecked.
//
// Types: AN text, ID a code, N0/N2 an integer (N2 with two implied decimals), R a decimal,
// DT a date (CCYYMMDD, or YYMMDD before 004010), TM a time (HHMM[SS[d..]]), and C a
// composite (its components are not checked). Lengths count characters, not the sign or
// decimal point, as X12 counts them.
//
// Syntax notes, as X12 writes them: P0607 "if either of 06 and 07 is present, both are
// required"; R0203 "at least one of 02 and 03"; C0302 "if 03 is present, 02 is required";
// E0405 "not more than one of 04 and 05"; L010203 "if 01 is present, at least one of 02
// and 03".
//
// Thread-safe: the dictionary is built once and never changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "formats/x12.h"
#include "formats/x12_envelope.h"

namespace disthub::formats {

enum class X12Type : uint8_t { kAN, kID, kN0, kN2, kR, kDT, kTM, kComposite };

struct X12ElementSpec {
  char requirement = 'O';  // 'M' mandatory, 'O' optional, 'X' conditional (by a note)
  X12Type type = X12Type::kAN;
  uint8_t min = 1;
  uint8_t max = 80;
};

struct X12SyntaxNote {
  std::string_view text;  // "P0607"
  char kind = 'P';        // P, R, C, E or L
  std::vector<int> at;    // the elements it names: {6, 7}
  size_t first = 0;       // the smallest of them
};

struct X12SegmentSpec {
  std::string_view id;
  std::string_view name;
  std::vector<X12ElementSpec> elements;  // [0] is element 01
  std::vector<X12SyntaxNote> notes;
  size_t mandatory_through = 0;  // the position of the last mandatory element
};

// The entry for a segment id, or null.
const X12SegmentSpec* FindX12Segment(std::string_view id);

// Checks one segment of a set against its entry, appending an element error (level
// kElement, AK403's codes) for each problem found. `position` is the segment's in its set.
void CheckX12Segment(const X12SegmentSpec& spec, const X12Segment& segment, size_t position,
                     std::vector<X12Error>& errors);

// True when `value` is a date X12 takes: CCYYMMDD or YYMMDD, a real day.
bool IsX12Date(std::string_view value);
// True when `value` is a time X12 takes: HHMM, HHMMSS or HHMMSSd..
bool IsX12Time(std::string_view value);

}  // namespace disthub::formats
