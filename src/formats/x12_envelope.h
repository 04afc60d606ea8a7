// X12 envelopes checked as a trading partner's translator checks them (issue 7's second
// layer, over X12Reader): ISA/IEA, GS/GE and ST/SE, their counts and control numbers, and
// each segment of a transaction set against the segment dictionary (x12_dictionary.h).
// Every error is recorded where an acknowledgement reports it, with its code:
//
//   level         reported in          codes (X12 data element)
//   interchange   TA1 (TA105)          "001" control numbers differ, "021" group count, ...
//   group         997/999 AK9 (AK905)  "3" GE missing, "4" control numbers differ, "5" count
//   set           AK5 / IK5 (AK502)    "2" SE missing, "3" control numbers, "4" segment count
//   segment       AK3 / IK3 (AK304)    "8" has data element errors (then its element errors)
//   element       AK4 / IK4 (AK403)    "1" mandatory missing, "2" conditional required
//                                       missing, "3" too many, "4"/"5" too short/long,
//                                       "6" invalid character, "8"/"9" invalid date/time,
//                                       "10" exclusion violated
//
//   absl::StatusOr<std::vector<X12Interchange>> read = ReadX12(bytes, {
//       .set = [&](const X12Interchange& i, const X12Group& g, const X12Set& s,
//                  std::span<const X12Segment> segments) { ... },  // ST..SE, at its end
//   });
//
// The input is read once, in place; only the set being read is held (its segments are
// views into `bytes`), so an interchange of any size needs memory for its largest set.
// A transaction set is accepted when it has no error of its own and its group and
// interchange have none either; handlers see every set, accepted or not, and decide at
// the interchange's end (the `interchange` handler) what to keep.
//
// kInvalidArgument only when the bytes stop being X12 at all (X12Reader's errors: no ISA,
// a segment cut short; or segments after an IEA that no ISA opens); sets and interchanges
// before that point were already handed over.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "formats/x12.h"

namespace disthub::formats {

enum class X12Level { kInterchange, kGroup, kSet, kSegment, kElement };

// One error, as an acknowledgement reports it.
struct X12Error {
  X12Level level = X12Level::kSet;
  std::string code;        // TA105, AK905, AK502, AK304 or AK403, as above
  std::string segment_id;  // the segment it is in (segment and element errors)
  size_t position = 0;     // segment and element errors: in the set, ST = 1 (AK302)
  size_t line = 0;         // 1-based line of the input
  int element = 0;         // element errors: its position in the segment (AK401-1)
  int component = 0;       // ... and in the composite, when it is in one (AK401-2)
  std::string data;        // element errors: a copy of the bad data (AK404), when there is some
  std::string message;     // for people: what is wrong, naming the values
};

struct X12Set {
  std::string id;              // ST01: "850"
  std::string control;         // ST02
  std::string implementation;  // ST03, 005010 guides ("005010X230"); may be empty
  size_t line = 0;
  size_t segments = 0;  // counted, ST and SE included (what SE01 must say)
  std::vector<X12Error> errors;

  bool accepted() const { return errors.empty(); }
};

struct X12Group {
  std::string functional_id;  // GS01: "PO", "IN", "SH", "FA", ...
  std::string sender;         // GS02
  std::string receiver;       // GS03
  std::string date;           // GS04
  std::string time;           // GS05
  std::string control;        // GS06
  std::string agency;         // GS07
  std::string version;        // GS08: "004010", "005010X222A1", ...
  std::string trailer_count;  // GE01 as sent (the count the 997's AK902 repeats)
  size_t line = 0;
  std::vector<X12Set> sets;
  std::vector<X12Error> errors;  // the group's own (AK9)

  size_t accepted_sets() const;
  // AK901: "A" every set accepted, "P" some, "R" none or the group itself in error.
  std::string ack_code() const;
};

struct X12Interchange {
  std::string authorization_qualifier;  // ISA01
  std::string security_qualifier;       // ISA03
  std::string sender_qualifier;         // ISA05
  std::string sender;                   // ISA06, trimmed
  std::string receiver_qualifier;       // ISA07
  std::string receiver;                 // ISA08, trimmed
  std::string date;                     // ISA09: YYMMDD
  std::string time;                     // ISA10: HHMM
  std::string standards;                // ISA11 ("U", or the repetition separator)
  std::string version;                  // ISA12: "00401", "00501"
  std::string control;                  // ISA13
  std::string ack_requested;            // ISA14: "0" or "1"
  std::string usage;                    // ISA15: "P" production, "T" test
  X12Delimiters delimiters;
  size_t line = 0;
  size_t ta1s = 0;  // TA1 segments it carries (acknowledgements of ours)
  std::vector<X12Group> groups;
  std::vector<X12Error> errors;  // the interchange's own (TA1)

  bool accepted() const { return errors.empty(); }
  // Sets accepted all the way up (their group's and interchange's errors included).
  size_t accepted_sets() const;
};

struct X12Handlers {
  // Each transaction set where it ends (its SE, or where the next ST, GE, IEA or the end
  // of the input shows it had none), with its segments from ST. The references are valid
  // during the call only.
  std::function<void(const X12Interchange&, const X12Group&, const X12Set&,
                     std::span<const X12Segment>)>
      set;
  // Each interchange where it ends, with every group and set it held.
  std::function<void(const X12Interchange&)> interchange;
};

struct X12ReadOptions {
  // Check each segment of a set against the dictionary (x12_dictionary.h). Off: envelopes
  // only, for a partner whose documents are known to bend the standard.
  bool check_segments = true;
  // At most this many errors are recorded per set; the rest are counted in one more.
  size_t max_errors_per_set = 100;
};

absl::StatusOr<std::vector<X12Interchange>> ReadX12(std::string_view bytes,
                                                    const X12Handlers& handlers = {},
                                                    const X12ReadOptions& options = {});

// "interchange", "group", ... for messages and JSON.
std::string_view X12LevelName(X12Level level);

// Control numbers are N0 in the envelopes: "000003438" and "3438" are the same one. The
// number without its leading zeros ("0" and "000" give "0"), to compare or key it by.
std::string_view WithoutLeadingZeros(std::string_view control);

}  // namespace disthub::formats
