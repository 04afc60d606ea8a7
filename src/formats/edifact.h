// UN/EDIFACT interchanges (ISO 9735, syntax versions 1 to 4), read in two layers like the
// X12 ones (x12.h, x12_envelope.h): EdifactReader splits the bytes into segments, and
// ReadEdifact checks the envelopes around them (UNB/UNZ, UNG/UNE, UNH/UNT) as a partner's
// translator does before it sends a CONTRL.
//
//   absl::StatusOr<std::vector<EdifactInterchange>> read = ReadEdifact(bytes, {
//       .message = [&](const EdifactInterchange& x, const EdifactGroup* g,  // g: no UNG
//                      const EdifactMessage& m, std::span<const EdifactSegment> segments) {
//         for (const EdifactSegment& s : segments) {
//           s.tag();         // "UNH", "BGM", "NAD", ...
//           s.value(2, 1);   // the second element's first component ("" when absent)
//         }
//       },
//   });
//
// Delimiters: those of the service string advice (UNA, "UNA:+.? '" giving the component
// separator, element separator, decimal mark, release character, a reserved character
// (the repetition separator in syntax 4) and the segment terminator), or those defaults
// when an interchange has none. The release character makes the next character data
// ("?+" is a '+', "??" a '?'); values come with it resolved. A space as UNA4 means there
// is no release character. Line breaks (LF or CRLF) after a segment terminator, or inside a
// segment (interchanges wrapped at a fixed width), are not data; a UTF-8 byte-order mark
// before the first segment is skipped. Repeated data elements (syntax 4) are not split: a
// value keeps its repetition separators.
//
// Envelope errors are recorded where a CONTRL reports them, with their UN/EDIFACT 0085
// "syntax error, coded" values (the service code list of ISO 9735; CONTRL's UCI, UCF, UCM
// and UCS segments carry them):
//   2  syntax version or level not supported: UNB S001 version not 1 to 4
//   12 invalid value: a date, time or count that is not one
//   13 missing: a mandatory service data element, a trailer (UNT, UNE, UNZ), or a
//      segment a message type must start with (kLeadingSegments in edifact.cc)
//   16 too many constituents: more data elements or components than the segment has
//   20 character invalid as service character: a UNA decimal mark other than '.' or ','
//   26 duplicate detected: a message or group reference used twice in an interchange
//   28 references do not match: UNT/UNE/UNZ against UNH/UNG/UNB
//   29 control count does not match number of instances received: UNT, UNE, UNZ counts
//   30 functional groups and messages mixed
//   32 lower level empty: an interchange or group without messages
//   33 invalid occurrence outside message or functional group: a segment between
//      messages, a UNT or UNE without its header
//   35 too many segment repetitions: a second UNS of the same section in a message
//   39 data element too long: references (an..14) and message identifiers (S009, S008)
// Data segments are not checked against a message directory: their elements, code lists
// and structure are the mapping's to judge. Nor are characters checked against the
// syntax level (UNOA, UNOB, ...), which partners ignore in practice.
//
// Fatal (kInvalidArgument, naming the segment and line): input that is not EDIFACT at all
// (not starting with UNA or UNB; a TRADACOMS file, recognized by its "STX=", or an X12
// one), a UNA whose delimiters cannot be told apart, input that ends inside a segment or a
// segment that does not start with a tag, and segments after a UNZ that are not a new
// interchange. Interchanges completed before that point were handed over already.
//
// Thread-compatible. The input is read in place; only the open message's segments are held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace disthub::formats {

struct EdifactDelimiters {
  char component = ':';
  char element = '+';
  char decimal = '.';
  char release = '?';     // 0: none (UNA4 is a space)
  char repetition = ' ';  // UNA5: '*' in syntax 4, else reserved (a space)
  char segment = '\'';
};

// One segment: its tag and its data elements, each of one or more components, with the
// release characters resolved. The views point into the input or, for a segment that had
// release characters or line breaks, into the reader's copy of it (valid until the
// reader's Recycle()); the spans are the reader's, valid until its next Next().
struct EdifactSegment {
  std::span<const std::string_view> values;  // every component of every element; [0] is the tag
  std::span<const uint32_t> starts;          // where each element's components start in `values`
  size_t position = 0;  // 1-based in its interchange: UNB is 1 (UNA is not a segment)
  size_t line = 0;      // 1-based line of the input where it starts

  std::string_view tag() const { return values.empty() ? std::string_view() : values[0]; }
  // Data elements after the tag.
  size_t size() const { return starts.empty() ? 0 : starts.size() - 1; }
  // Components of the n-th data element (1-based); 0 when the segment has fewer elements.
  size_t components(size_t n) const {
    if (n == 0 || n >= starts.size()) return 0;
    return (n + 1 < starts.size() ? starts[n + 1] : values.size()) - starts[n];
  }
  // The n-th data element's component (both 1-based, as CONTRL's UCD counts them); "" when
  // absent.
  std::string_view value(size_t n, size_t component = 1) const {
    if (component == 0 || component > components(n)) return {};
    return values[starts[n] + component - 1];
  }
};

class EdifactReader {
 public:
  explicit EdifactReader(std::string_view bytes);

  // The next segment into `out`: true, or false at the end of the input. A UNA is read
  // where an interchange may start (at the beginning, or after a UNZ), and sets the
  // delimiters until the next interchange; it is not returned. kInvalidArgument for input
  // that is not EDIFACT (see the top of this file).
  absl::StatusOr<bool> Next(EdifactSegment& out);

  const EdifactDelimiters& delimiters() const { return delimiters_; }
  // Whether the current interchange's delimiters came from a UNA.
  bool advised() const { return advised_; }

  // Segments returned so far are no longer needed: the copies made of escaped or wrapped
  // ones are freed. Until then the views of every segment returned stay valid.
  void Recycle() { copies_.clear(); }

 private:
  absl::Status ReadAdvice();
  absl::Status RefuseStart() const;

  std::string_view bytes_;
  size_t at_ = 0;
  size_t line_ = 1;
  size_t position_ = 0;
  bool started_ = false;
  bool after_unz_ = false;  // an interchange may start next, with a UNA of its own
  bool advised_ = false;
  EdifactDelimiters delimiters_;
  std::deque<std::string> copies_;
  std::vector<std::pair<uint32_t, uint32_t>> spans_;  // the values' offsets and sizes
  std::vector<std::string_view> values_;
  std::vector<uint32_t> starts_;
};

enum class EdifactLevel { kInterchange, kGroup, kMessage };

// One error, as a CONTRL reports it.
struct EdifactError {
  EdifactLevel level = EdifactLevel::kMessage;
  std::string code;  // 0085, as listed at the top of this file: "29"
  std::string tag;   // the segment it is about (for a missing segment, the one missing)
  // Message errors: the segment's position in the message, UNH = 1 (UCS 0096); group and
  // interchange errors: in the interchange, UNB = 1.
  size_t position = 0;
  size_t line = 0;      // 1-based line of the input
  int element = 0;      // 1-based data element in the segment, when it is about one (UCD)
  int component = 0;    // 1-based component in that element, when it is about one
  std::string message;  // for people: what is wrong, naming the values
};

struct EdifactMessage {
  std::string reference;      // UNH 0062
  std::string type;           // S009 0065: "ORDERS"
  std::string version;        // 0052: "D"
  std::string release;        // 0054: "96A"
  std::string agency;         // 0051: "UN"
  std::string association;    // 0057: "EAN008"; may be empty
  std::string trailer_count;  // UNT 0074 as sent
  size_t line = 0;
  size_t segments = 0;  // counted, UNH and UNT included (what UNT 0074 must say)
  std::vector<EdifactError> errors;

  bool accepted() const { return errors.empty(); }
};

struct EdifactGroup {
  std::string id;                   // UNG 0038: "ORDERS"
  std::string sender;               // S006 0040
  std::string sender_qualifier;     // S006 0007
  std::string recipient;            // S007 0044
  std::string recipient_qualifier;  // S007 0007
  std::string date;                 // S004 0017
  std::string time;                 // S004 0019
  std::string reference;            // 0048
  std::string agency;               // 0051
  std::string version;              // S008 0052
  std::string release;              // S008 0054
  std::string association;          // S008 0057
  std::string trailer_count;        // UNE 0060 as sent
  size_t line = 0;
  std::vector<EdifactMessage> messages;
  std::vector<EdifactError> errors;  // the group's own (UCF)
};

struct EdifactInterchange {
  EdifactDelimiters delimiters;
  bool advised = false;             // the delimiters came from a UNA
  std::string syntax;               // S001 0001: "UNOA"
  std::string syntax_version;       // S001 0002: "1" to "4"
  std::string sender;               // S002 0004
  std::string sender_qualifier;     // S002 0007
  std::string recipient;            // S003 0010
  std::string recipient_qualifier;  // S003 0007
  std::string date;                 // S004 0017: YYMMDD, CCYYMMDD in syntax 4
  std::string time;                 // S004 0019: HHMM
  std::string reference;            // 0020
  std::string application;          // 0026; may be empty
  std::string test;                 // 0035: "1" for a test interchange; may be empty
  std::string trailer_count;        // UNZ 0036 as sent
  size_t line = 0;
  std::vector<EdifactGroup> groups;      // when it uses UNG...UNE
  std::vector<EdifactMessage> messages;  // when it does not
  std::vector<EdifactError> errors;      // the interchange's own (UCI)

  // No error at any level.
  bool accepted() const;
};

struct EdifactHandlers {
  // Each message where it ends (its UNT, or where the next UNH, UNE, UNZ, UNB or the end
  // of the input shows it had none), with its segments from UNH; `group` is null in an
  // interchange without UNG. The references are valid during the call only.
  std::function<void(const EdifactInterchange&, const EdifactGroup* group, const EdifactMessage&,
                     std::span<const EdifactSegment>)>
      message;
  // Each interchange where it ends, with every group and message it held.
  std::function<void(const EdifactInterchange&)> interchange;
};

absl::StatusOr<std::vector<EdifactInterchange>> ReadEdifact(std::string_view bytes,
                                                            const EdifactHandlers& handlers = {});

// "interchange", "group" or "message", for messages and JSON.
std::string_view EdifactLevelName(EdifactLevel level);

}  // namespace disthub::formats
