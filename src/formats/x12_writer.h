// X12 written as partners expect it (issue 7's writer): segments with the partner's
// delimiters, interchanges with fixed-width ISA fields and the control numbers the caller
// hands in (the caller keeps them per partner and never repeats one), and the
// acknowledgements of what was read: a 997 (or a 999 for 005010 partners) per functional
// group, a TA1 per interchange.
//
//   X12OutSet po{.id = "855", .segments = {{"BAK", "00", "AD", "PO123", "20261128"}, ...}};
//   absl::StatusOr<std::string> edi = WriteX12Interchange(envelope, {.interchange = 17,
//       .group = 17}, {X12OutGroup{.functional_id = "PR", .sets = {po}}}, clock.Now());
//
// X12 has no escape character: a value holding one of the delimiters cannot be written and
// is refused (kInvalidArgument naming the segment and element), never silently altered.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "formats/x12.h"
#include "formats/x12_envelope.h"

namespace disthub::formats {

// One segment after another with one set of delimiters. Thread-compatible.
class X12Writer {
 public:
  // `line_breaks`: a line break after each terminator (most partners accept it, and it
  // keeps files readable); ignored when the terminator is itself a line break.
  X12Writer(X12Delimiters delimiters, bool line_breaks);

  // Appends a segment, its id first; trailing empty elements are left off. After the
  // first refused value, status() holds the error and nothing more is written.
  void Add(std::span<const std::string> elements);
  void Add(std::initializer_list<std::string_view> elements);

  const absl::Status& status() const { return status_; }
  size_t segments() const { return segments_; }
  std::string Take() { return std::move(out_); }

 private:
  void AddViews(std::span<const std::string_view> elements);

  X12Delimiters delimiters_;
  bool line_breaks_;
  std::string out_;
  size_t segments_ = 0;
  absl::Status status_;
};

// What one trading relationship writes in its envelopes.
struct X12Envelope {
  std::string sender_qualifier = "ZZ";    // ISA05
  std::string sender;                     // ISA06 (up to 15)
  std::string receiver_qualifier = "ZZ";  // ISA07
  std::string receiver;                   // ISA08 (up to 15)
  std::string application_sender;         // GS02; ISA06 when empty
  std::string application_receiver;       // GS03; ISA08 when empty
  std::string version = "00401";          // ISA12: "00401", "00501", ...
  std::string group_version = "004010";   // GS08: "004010", "005010", ...
  bool ack_requested = false;             // ISA14: a TA1 is wanted back
  std::string usage = "P";                // ISA15: "P" production, "T" test
  X12Delimiters delimiters{.element = '*', .component = '>', .repetition = '^', .segment = '~'};
  bool line_breaks = true;  // a line break after each segment terminator
};

// A transaction set to write: its body, without ST and SE (the writer adds them, with
// control numbers 0001, 0002, ... in its group).
struct X12OutSet {
  std::string id;              // "855"
  std::string implementation;  // ST03 for 005010 guides; may be empty
  std::vector<std::vector<std::string>> segments;
};

struct X12OutGroup {
  std::string functional_id;  // GS01: "PR" for 855, "SH" 856, "IN" 810, "OW" 940, "FA" 997
  std::vector<X12OutSet> sets;
};

struct X12ControlNumbers {
  uint64_t interchange = 1;  // ISA13/IEA02: 1..999999999
  uint64_t group = 1;        // GS06/GE02 of the first group; the next ones count up
};

// `n` in at least `width` digits, zeros in front: control numbers (ISA13 is 9 digits).
std::string ZeroPadded(uint64_t n, size_t width);

// One interchange holding `groups`, after the interchange-level segments `ta1s` (TA1s
// come between ISA and the first GS). kInvalidArgument for a control number out of range,
// a sender or receiver longer than its field, or a value holding a delimiter.
absl::StatusOr<std::string> WriteX12Interchange(
    const X12Envelope& envelope, X12ControlNumbers controls, std::span<const X12OutGroup> groups,
    absl::Time at, std::span<const std::vector<std::string>> ta1s = {});

// The envelope that answers `interchange`: from its receiver back to its sender, with its
// version and delimiters (a repetition separator '^' where it declared none).
X12Envelope ReplyEnvelope(const X12Interchange& interchange);

// Everything `interchange` gets back, as one interchange in ReplyEnvelope(): its TA1 when
// `ta1` (ISA14 asked for one, or the interchange is refused: then it is all there is), and
// one FA group holding a 997 or 999 per functional group read (but groups of 997s and
// 999s, which are never acknowledged). "" when there is nothing
// to send (no TA1 wanted and no group read).
absl::StatusOr<std::string> WriteAcknowledgements(const X12Interchange& interchange,
                                                  X12ControlNumbers controls, bool ta1,
                                                  absl::Time at);

// The 997 (or 999 when `group.version` is 005010 or later) for a group that was read: AK1,
// an AK2..AK5 per set with an AK3/AK4 (IK3/IK4) per segment and element error, and AK9.
// `delimiters` are those it will be written with: values echoed from the partner that hold
// one (garbage, already reported) are replaced ("0" for a control number), and a copy of
// bad data (AK404) is left out.
X12OutSet FunctionalAcknowledgement(const X12Group& group, const X12Delimiters& delimiters);

// A TA1 for an interchange that was read: accepted ("A", note "000") or rejected with the
// first of its errors' codes.
std::vector<std::string> InterchangeAcknowledgement(const X12Interchange& interchange);

// A 997 or 999 read back: what a partner said of our groups.
struct X12AckedSet {
  std::string id;                   // AK201
  std::string control;              // AK202
  std::string code;                 // AK501 / IK501: A, E, R, ...
  std::vector<std::string> errors;  // "PO1 at 12: element 7 code 2", "set code 4", ...
};
struct X12AckedGroup {
  std::string functional_id;  // AK101
  std::string control;        // AK102: our GS06
  std::string code;           // AK901: A, E, P, R
  int included = 0;           // AK902
  int received = 0;           // AK903
  int accepted = 0;           // AK904
  std::vector<X12AckedSet> sets;
  std::vector<std::string> errors;  // AK905.. codes
};
// kInvalidArgument when `set` is not a well-formed 997 or 999 (no AK1, an AK2 without its
// AK5, no AK9, ...).
absl::StatusOr<std::vector<X12AckedGroup>> ReadFunctionalAcknowledgement(
    std::span<const X12Segment> set);

}  // namespace disthub::formats
