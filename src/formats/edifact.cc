#include "formats/edifact.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <optional>
#include <set>
#include <utility>

#include "base/strings.h"

namespace disthub::formats {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kAdviceSize = 9;  // "UNA" and its six service characters

bool IsBreak(char c) { return c == '\r' || c == '\n'; }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsTagChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A value for messages, quoted and cut to a readable length.
std::string Quoted(std::string_view s) {
  if (s.empty()) return "nothing";
  return StrCat("\"", s.substr(0, 40), s.size() > 40 ? "...\"" : "\"");
}

// Counts are numeric (n..6, n..10 in syntax 4): "0003" and "3" are the same count.
bool SameNumber(std::string_view a, size_t n) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  return a == std::to_string(n);
}

// S004 and UNG's date: YYMMDD, CCYYMMDD in syntax 4; the time HHMM.
bool IsDate(std::string_view d, size_t digits) {
  if (d.size() != digits || !IsDigits(d)) return false;
  const int month = (d[digits - 4] - '0') * 10 + (d[digits - 3] - '0');
  const int day = (d[digits - 2] - '0') * 10 + (d[digits - 1] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}
bool IsTime(std::string_view t) {
  return t.size() == 4 && IsDigits(t) && (t[0] - '0') * 10 + (t[1] - '0') < 24 &&
         (t[2] - '0') * 10 + (t[3] - '0') < 60;
}

// A service segment's data element (ISO 9735 part 1, and part 10 for syntax 4): how many
// components it may have and how many of its first ones are mandatory (0: conditional).
struct ServiceElement {
  uint8_t components;
  uint8_t mandatory;
};

// UNB S001 gained 0080 and 0133 in syntax 4, S002 and S003 an internal sub-identification;
// UNH S009 gained 0110 and 0113, and three composites (S016-S018); UNG made all but its
// reference conditional.
constexpr ServiceElement kUnb[] = {{2, 2}, {3, 1}, {3, 1}, {2, 2}, {1, 1}, {2, 0},
                                   {1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}};
constexpr ServiceElement kUnb4[] = {{4, 2}, {4, 1}, {4, 1}, {2, 2}, {1, 1}, {2, 0},
                                    {1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}};
constexpr ServiceElement kUng[] = {{1, 1}, {2, 1}, {2, 1}, {2, 2}, {1, 1}, {1, 1}, {3, 2}, {1, 0}};
constexpr ServiceElement kUng4[] = {{1, 0}, {2, 0}, {2, 0}, {2, 0}, {1, 1}, {1, 0}, {3, 0}, {1, 0}};
constexpr ServiceElement kUnh[] = {{1, 1}, {5, 4}, {1, 0}, {2, 0}};
constexpr ServiceElement kUnh4[] = {{1, 1}, {7, 4}, {1, 0}, {2, 0}, {4, 0}, {4, 0}, {4, 0}};
constexpr ServiceElement kTrailer[] = {{1, 1}, {1, 1}};  // UNT, UNE, UNZ: count, reference

std::span<const ServiceElement> ServiceSpec(std::string_view tag, bool syntax4) {
  using Spec = std::span<const ServiceElement>;
  if (tag == "UNB") return syntax4 ? Spec(kUnb4) : Spec(kUnb);
  if (tag == "UNG") return syntax4 ? Spec(kUng4) : Spec(kUng);
  if (tag == "UNH") return syntax4 ? Spec(kUnh4) : Spec(kUnh);
  return kTrailer;
}

// Envelope values with a maximum length: references an..14, the message identifier's
// parts (S009, and S008 in UNG: version and release an..3, association code an..6).
struct MaxLength {
  std::string_view tag;
  int element;
  int component;  // 0: a simple data element
  size_t length;
  std::string_view name;
};
constexpr MaxLength kMaxLengths[] = {
    {"UNB", 5, 0, 14, "0020 interchange control reference"},
    {"UNG", 5, 0, 14, "0048 group reference number"},
    {"UNG", 7, 1, 3, "S008 0052 message version number"},
    {"UNG", 7, 2, 3, "S008 0054 message release number"},
    {"UNG", 7, 3, 6, "S008 0057 association assigned code"},
    {"UNH", 1, 0, 14, "0062 message reference number"},
    {"UNH", 2, 1, 6, "S009 0065 message type"},
    {"UNH", 2, 2, 3, "S009 0052 message version number"},
    {"UNH", 2, 3, 3, "S009 0054 message release number"},
    {"UNH", 2, 5, 6, "S009 0057 association assigned code"},
};

// The segments a message type must start with after its UNH, in every UN directory (D.93A
// to D.10A: BGM M1, then DTM M35): enough to tell a message missing its beginning without
// a message directory, which checking anything further would need.
struct Leading {
  std::string_view type;
  std::array<std::string_view, 2> tags;
};
constexpr Leading kLeadingSegments[] = {
    {"INVOIC", {"BGM", "DTM"}},
    {"ORDCHG", {"BGM", "DTM"}},
    {"ORDERS", {"BGM", "DTM"}},
    {"ORDRSP", {"BGM", "DTM"}},
};

// The open message's segments, their views copied into a few growing arrays.
class MessageStore {
 public:
  void Clear() {
    segments_.clear();
    values_.clear();
    starts_.clear();
    bounds_.clear();
  }
  void Add(const EdifactSegment& s) {
    bounds_.emplace_back(values_.size(), starts_.size());
    values_.insert(values_.end(), s.values.begin(), s.values.end());
    starts_.insert(starts_.end(), s.starts.begin(), s.starts.end());
    EdifactSegment& kept = segments_.emplace_back();
    kept.position = s.position;
    kept.line = s.line;
  }
  size_t size() const { return segments_.size(); }
  std::string_view tag(size_t i) const { return values_[bounds_[i].first]; }
  size_t line(size_t i) const { return segments_[i].line; }
  // The segments with their spans pointing into the arrays (which Add() may move).
  std::span<const EdifactSegment> Segments() {
    for (size_t i = 0; i < segments_.size(); ++i) {
      const bool last = i + 1 == segments_.size();
      const auto [values, starts] = bounds_[i];
      const size_t values_end = last ? values_.size() : bounds_[i + 1].first;
      const size_t starts_end = last ? starts_.size() : bounds_[i + 1].second;
      segments_[i].values = {values_.data() + values, values_end - values};
      segments_[i].starts = {starts_.data() + starts, starts_end - starts};
    }
    return segments_;
  }

 private:
  std::vector<EdifactSegment> segments_;
  std::vector<std::string_view> values_;
  std::vector<uint32_t> starts_;
  std::vector<std::pair<size_t, size_t>> bounds_;  // each segment's first value and start
};

// Where an envelope error goes and how its position counts.
struct Sink {
  std::vector<EdifactError>* errors;
  EdifactLevel level;
  size_t first = 1;  // the position that counts as 1 (the UNH's, for message errors)
};

void Report(const Sink& sink, std::string_view code, std::string_view tag, size_t position,
            size_t line, int element, int component, std::string message) {
  EdifactError& e = sink.errors->emplace_back();
  e.level = sink.level;
  e.code = std::string(code);
  e.tag = std::string(tag);
  e.position = position >= sink.first ? position - sink.first + 1 : 0;
  e.line = line;
  e.element = element;
  e.component = component;
  e.message = std::move(message);
}

// A service segment's data elements against its specification (13, 16) and lengths (39).
void CheckService(const EdifactSegment& s, bool syntax4, const Sink& sink) {
  const std::string_view tag = s.tag();
  const std::span<const ServiceElement> spec = ServiceSpec(tag, syntax4);
  auto report = [&](std::string_view code, int element, int component, std::string message) {
    Report(sink, code, tag, s.position, s.line, element, component,
           StrCat(tag, " at line ", s.line, ": ", message));
  };
  for (size_t n = 1; n <= spec.size(); ++n) {
    const ServiceElement e = spec[n - 1];
    const size_t present = s.components(n);
    bool any = false;
    for (size_t c = 1; c <= present; ++c) any = any || !s.value(n, c).empty();
    if (e.mandatory > 0 && !any) {
      report("13", static_cast<int>(n), 0, StrCat("mandatory data element ", n, " is missing"));
    } else if (e.mandatory > 0) {
      for (size_t c = 1; c <= e.mandatory; ++c) {
        if (s.value(n, c).empty()) {
          report("13", static_cast<int>(n), static_cast<int>(c),
                 StrCat("mandatory component ", c, " of data element ", n, " is missing"));
        }
      }
    }
    for (size_t c = e.components + 1; c <= present; ++c) {
      if (!s.value(n, c).empty()) {
        report("16", static_cast<int>(n), static_cast<int>(c),
               StrCat("data element ", n, " has ", present, " components, at most ",
                      static_cast<int>(e.components), " are defined (", Quoted(s.value(n, c)),
                      " is one too many)"));
        break;
      }
    }
  }
  // Empty data elements after the last defined one (a trailing separator) carry nothing.
  for (size_t n = spec.size() + 1; n <= s.size(); ++n) {
    bool any = false;
    for (size_t c = 1; c <= s.components(n); ++c) any = any || !s.value(n, c).empty();
    if (any) {
      report("16", static_cast<int>(n), 0,
             StrCat("it has ", s.size(), " data elements, at most ", spec.size(), " are defined"));
      break;
    }
  }
  for (const MaxLength& m : kMaxLengths) {
    if (m.tag != tag) continue;
    const std::string_view v = s.value(m.element, std::max(m.component, 1));
    if (v.size() > m.length) {
      report("39", m.element, m.component,
             StrCat(m.name, " ", Quoted(v), " is longer than ", m.length, " characters"));
    }
  }
}

// The trailer's count (data element 1): a number equal to `counted`.
void CheckCount(const EdifactSegment& trailer, size_t counted, std::string_view what,
                const Sink& sink) {
  const std::string_view count = trailer.value(1);
  if (count.empty()) return;  // CheckService reported it missing
  if (!IsDigits(count)) {
    Report(sink, "12", trailer.tag(), trailer.position, trailer.line, 1, 0,
           StrCat(trailer.tag(), " at line ", trailer.line, ": the count ", Quoted(count),
                  " is not a number"));
  } else if (!SameNumber(count, counted)) {
    Report(sink, "29", trailer.tag(), trailer.position, trailer.line, 1, 0,
           StrCat(trailer.tag(), " at line ", trailer.line, " says ", Quoted(count), " ", what,
                  ", there are ", counted));
  }
}

// The trailer's reference (data element 2) against its header's.
void CheckReference(const EdifactSegment& trailer, std::string_view header_tag,
                    std::string_view reference, const Sink& sink) {
  const std::string_view sent = trailer.value(2);
  if (sent.empty() || sent == reference) return;  // references are an..14: compared as text
  Report(sink, "28", trailer.tag(), trailer.position, trailer.line, 2, 0,
         StrCat(trailer.tag(), " at line ", trailer.line, ": reference ", Quoted(sent), " is not ",
                header_tag, "'s ", Quoted(reference)));
}

void CheckDateTime(const EdifactSegment& s, int element, bool syntax4, const Sink& sink) {
  const std::string_view date = s.value(element, 1), time = s.value(element, 2);
  const size_t digits = syntax4 ? 8 : 6;
  if (!date.empty() && !IsDate(date, digits)) {
    Report(sink, "12", s.tag(), s.position, s.line, element, 1,
           StrCat(s.tag(), " at line ", s.line, ": date ", Quoted(date), " is not ",
                  syntax4 ? "CCYYMMDD" : "YYMMDD"));
  }
  if (!time.empty() && !IsTime(time)) {
    Report(sink, "12", s.tag(), s.position, s.line, element, 2,
           StrCat(s.tag(), " at line ", s.line, ": time ", Quoted(time), " is not HHMM"));
  }
}

// Reads segments and keeps the envelope state. One per ReadEdifact call.
class Walker {
 public:
  explicit Walker(const EdifactHandlers& handlers) : handlers_(handlers) {}

  absl::Status Run(std::string_view bytes) {
    EdifactReader reader(bytes);
    EdifactSegment s;
    while (true) {
      absl::StatusOr<bool> more = reader.Next(s);
      if (!more.ok()) return more.status();  // what was complete has been handed over
      if (!*more) break;
      const std::string_view tag = s.tag();
      end_line_ = s.line;
      if (!open_ && tag != "UNB") {
        return absl::InvalidArgumentError(
            StrCat("segment ", s.position, " (", tag, ") at line ", s.line,
                   " follows the UNZ that closed its interchange; a new one must start with "
                   "UNA or UNB"));
      }
      if (tag == "UNB" || tag == "UNZ" || tag == "UNG" || tag == "UNE" || tag == "UNH") {
        outside_reported_ = false;
      }
      if (tag == "UNB") {
        if (open_) EndInterchange(s.line, nullptr);
        StartInterchange(s, reader);
      } else if (tag == "UNZ") {
        EndInterchange(s.line, &s);
      } else if (tag == "UNG") {
        StartGroup(s);
      } else if (tag == "UNE" && (group_open_ || !in_message_)) {
        EndGroup(s.line, &s);
      } else if (tag == "UNH") {
        StartMessage(s);
      } else if (in_message_) {
        store_.Add(s);
        if (tag == "UNT") {
          EndMessage(s.line, &s);
        } else if (tag == "UNS") {
          CheckSection(s);
        } else if (tag == "UNE") {
          // No group to end: a segment of the message (UNT counts it) out of place.
          Outside(s, "a UNE without a UNG, inside a message");
        }
      } else {
        Outside(s, tag == "UNT" ? "a UNT without its UNH" : "a segment outside any message");
      }
      if (!in_message_) reader.Recycle();
    }
    if (open_) EndInterchange(end_line_, nullptr);
    return absl::OkStatus();
  }

  std::vector<EdifactInterchange> done;

 private:
  Sink InterchangeSink() { return {&open_->errors, EdifactLevel::kInterchange}; }
  Sink GroupSink() { return {&open_->groups.back().errors, EdifactLevel::kGroup}; }
  Sink MessageSink() { return {&Message().errors, EdifactLevel::kMessage, unh_position_}; }
  EdifactMessage& Message() {
    return group_open_ ? open_->groups.back().messages.back() : open_->messages.back();
  }

  void StartInterchange(const EdifactSegment& unb, const EdifactReader& reader) {
    open_.emplace();
    EdifactInterchange& x = *open_;
    x.delimiters = reader.delimiters();
    x.advised = reader.advised();
    x.syntax = std::string(unb.value(1, 1));
    x.syntax_version = std::string(unb.value(1, 2));
    x.sender = std::string(unb.value(2, 1));
    x.sender_qualifier = std::string(unb.value(2, 2));
    x.recipient = std::string(unb.value(3, 1));
    x.recipient_qualifier = std::string(unb.value(3, 2));
    x.date = std::string(unb.value(4, 1));
    x.time = std::string(unb.value(4, 2));
    x.reference = std::string(unb.value(5));
    x.application = std::string(unb.value(7));
    x.test = std::string(unb.value(11));
    x.line = unb.line;
    syntax4_ = x.syntax_version == "4";
    group_open_ = in_message_ = mixed_reported_ = false;
    message_references_.clear();
    group_references_.clear();
    const Sink sink = InterchangeSink();
    CheckService(unb, syntax4_, sink);
    if (!x.syntax_version.empty() &&
        (x.syntax_version.size() != 1 || x.syntax_version[0] < '1' || x.syntax_version[0] > '4')) {
      Report(sink, "2", "UNB", unb.position, unb.line, 1, 2,
             StrCat("UNB at line ", unb.line, ": syntax version ", Quoted(x.syntax_version),
                    " is not 1 to 4"));
    }
    CheckDateTime(unb, 4, syntax4_, sink);
    if (x.advised && x.delimiters.decimal != '.' && x.delimiters.decimal != ',') {
      Report(sink, "20", "UNA", 0, unb.line, 0, 0,
             StrCat("the UNA before line ", unb.line, " declares ", ShownByte(x.delimiters.decimal),
                    " as the decimal mark, which is '.' or ','"));
    }
  }

  void EndInterchange(size_t line, const EdifactSegment* unz) {
    if (in_message_) EndMessage(line, nullptr);
    if (group_open_) EndGroup(line, nullptr);
    EdifactInterchange& x = *open_;
    const Sink sink = InterchangeSink();
    if (unz == nullptr) {
      Report(sink, "13", "UNZ", 0, line, 0, 0,
             StrCat("the interchange ", Quoted(x.reference), " from line ", x.line,
                    " has no UNZ: the input ends, or another UNB starts, first"));
    } else {
      CheckService(*unz, syntax4_, sink);
      x.trailer_count = std::string(unz->value(1));
      // Groups when it has them, else messages; mixed ones (30) count both.
      CheckCount(*unz, x.groups.size() + x.messages.size(),
                 x.groups.empty() ? "messages" : "groups", sink);
      CheckReference(*unz, "UNB", x.reference, sink);
    }
    if (x.groups.empty() && x.messages.empty()) {
      Report(sink, "32", "UNB", 1, x.line, 0, 0,
             StrCat("the interchange ", Quoted(x.reference), " from line ", x.line,
                    " holds no message"));
    }
    if (handlers_.interchange) handlers_.interchange(x);
    done.push_back(std::move(x));
    open_.reset();
  }

  void StartGroup(const EdifactSegment& ung) {
    if (in_message_) EndMessage(ung.line, nullptr);
    if (group_open_) EndGroup(ung.line, nullptr);
    EdifactInterchange& x = *open_;
    if (!x.messages.empty()) Mixed(ung);
    EdifactGroup& g = x.groups.emplace_back();
    group_open_ = true;
    g.id = std::string(ung.value(1));
    g.sender = std::string(ung.value(2, 1));
    g.sender_qualifier = std::string(ung.value(2, 2));
    g.recipient = std::string(ung.value(3, 1));
    g.recipient_qualifier = std::string(ung.value(3, 2));
    g.date = std::string(ung.value(4, 1));
    g.time = std::string(ung.value(4, 2));
    g.reference = std::string(ung.value(5));
    g.agency = std::string(ung.value(6));
    g.version = std::string(ung.value(7, 1));
    g.release = std::string(ung.value(7, 2));
    g.association = std::string(ung.value(7, 3));
    g.line = ung.line;
    ung_position_ = ung.position;
    const Sink sink = GroupSink();
    CheckService(ung, syntax4_, sink);
    CheckDateTime(ung, 4, syntax4_, sink);
    if (!g.reference.empty() && !group_references_.insert(g.reference).second) {
      Report(sink, "26", "UNG", ung.position, ung.line, 5, 0,
             StrCat("UNG at line ", ung.line, ": group reference ", Quoted(g.reference),
                    " is used twice in the interchange"));
    }
  }

  void EndGroup(size_t line, const EdifactSegment* une) {
    if (!group_open_) {
      assert(une != nullptr);  // the walker ends only open groups
      Outside(*une, "a UNE without a UNG");
      return;
    }
    if (in_message_) EndMessage(line, nullptr);
    EdifactGroup& g = open_->groups.back();
    const Sink sink = GroupSink();
    if (une == nullptr) {
      Report(sink, "13", "UNE", 0, line, 0, 0,
             StrCat("the group ", Quoted(g.reference), " from line ", g.line,
                    " has no UNE before line ", line));
    } else {
      CheckService(*une, syntax4_, sink);
      g.trailer_count = std::string(une->value(1));
      CheckCount(*une, g.messages.size(), "messages", sink);
      CheckReference(*une, "UNG", g.reference, sink);
    }
    if (g.messages.empty()) {
      Report(sink, "32", "UNG", ung_position_, g.line, 0, 0,
             StrCat("the group ", Quoted(g.reference), " from line ", g.line, " holds no message"));
    }
    group_open_ = false;
  }

  void StartMessage(const EdifactSegment& unh) {
    if (in_message_) EndMessage(unh.line, nullptr);  // the UNH's views stay: no Recycle()
    EdifactInterchange& x = *open_;
    if (!group_open_ && !x.groups.empty()) Mixed(unh);
    EdifactMessage& m =
        group_open_ ? x.groups.back().messages.emplace_back() : x.messages.emplace_back();
    in_message_ = true;
    unh_position_ = unh.position;
    sections_.clear();
    store_.Clear();
    store_.Add(unh);
    m.reference = std::string(unh.value(1));
    m.type = std::string(unh.value(2, 1));
    m.version = std::string(unh.value(2, 2));
    m.release = std::string(unh.value(2, 3));
    m.agency = std::string(unh.value(2, 4));
    m.association = std::string(unh.value(2, 5));
    m.line = unh.line;
    const Sink sink = MessageSink();
    CheckService(unh, syntax4_, sink);
    if (!m.reference.empty() && !message_references_.insert(m.reference).second) {
      Report(sink, "26", "UNH", unh.position, unh.line, 1, 0,
             StrCat("UNH at line ", unh.line, ": message reference ", Quoted(m.reference),
                    " is used twice in the interchange"));
    }
  }

  void EndMessage(size_t line, const EdifactSegment* unt) {
    EdifactMessage& m = Message();
    m.segments = store_.size();
    const Sink sink = MessageSink();
    CheckLeadingSegments(m, sink);
    if (unt == nullptr) {
      Report(sink, "13", "UNT", unh_position_ + m.segments, line, 0, 0,
             StrCat("the message ", Quoted(m.reference), " from line ", m.line,
                    " has no UNT before line ", line));
    } else {
      CheckService(*unt, syntax4_, sink);
      m.trailer_count = std::string(unt->value(1));
      CheckCount(*unt, m.segments, "segments", sink);
      CheckReference(*unt, "UNH", m.reference, sink);
    }
    in_message_ = false;
    if (handlers_.message) {
      handlers_.message(*open_, group_open_ ? &open_->groups.back() : nullptr, m,
                        store_.Segments());
    }
  }

  // The segments the message type starts with (kLeadingSegments), in the UN directories.
  void CheckLeadingSegments(const EdifactMessage& m, const Sink& sink) {
    if (m.version != "D" || m.agency != "UN") return;
    const auto* leading = std::find_if(std::begin(kLeadingSegments), std::end(kLeadingSegments),
                                       [&](const Leading& l) { return l.type == m.type; });
    if (leading == std::end(kLeadingSegments)) return;
    size_t i = 1;  // after the UNH
    for (std::string_view tag : leading->tags) {
      if (i < store_.size() && store_.tag(i) == tag) {
        while (i < store_.size() && store_.tag(i) == tag) ++i;  // DTM repeats
        continue;
      }
      const size_t at = std::min(i, store_.size() - 1);
      Report(sink, "13", tag, unh_position_ + i, store_.line(at), 0, 0,
             StrCat(m.type, " message ", Quoted(m.reference), " from line ", m.line,
                    ": mandatory segment ", tag, " is missing (segment ", i + 1, " is ",
                    i < store_.size() ? store_.tag(i) : "none", "; an ", m.type,
                    " starts UNH, BGM, DTM)"));
    }
  }

  // UNS separates a message's header from its detail (UNS+D) and its detail from its
  // summary (UNS+S): once each.
  void CheckSection(const EdifactSegment& uns) {
    const std::string section(uns.value(1));
    if (std::find(sections_.begin(), sections_.end(), section) == sections_.end()) {
      sections_.push_back(section);
      return;
    }
    Report(MessageSink(), "35", "UNS", uns.position, uns.line, 0, 0,
           StrCat("UNS at line ", uns.line, ": a second UNS+", section,
                  " in the message (a section is separated once)"));
  }

  void Mixed(const EdifactSegment& s) {
    if (mixed_reported_) return;
    mixed_reported_ = true;
    Report(InterchangeSink(), "30", s.tag(), s.position, s.line, 0, 0,
           StrCat(s.tag(), " at line ", s.line,
                  ": the interchange mixes messages in groups (UNG) with messages outside"));
  }

  // A segment between messages, reported once for each run of them.
  void Outside(const EdifactSegment& s, std::string_view what) {
    if (outside_reported_) return;
    outside_reported_ = true;
    Report(group_open_ ? GroupSink() : InterchangeSink(), "33", s.tag(), s.position, s.line, 0, 0,
           StrCat("segment ", s.position, " (", s.tag(), ") at line ", s.line, ": ", what));
  }

  const EdifactHandlers& handlers_;
  std::optional<EdifactInterchange> open_;
  bool syntax4_ = false;
  bool group_open_ = false;
  bool in_message_ = false;
  bool mixed_reported_ = false;
  bool outside_reported_ = false;
  size_t unh_position_ = 1;
  size_t ung_position_ = 1;
  size_t end_line_ = 1;
  std::set<std::string> message_references_;
  std::set<std::string> group_references_;
  std::vector<std::string> sections_;  // UNS seen in the open message
  MessageStore store_;
};

}  // namespace

EdifactReader::EdifactReader(std::string_view bytes) : bytes_(bytes) {
  if (bytes_.starts_with(kBom)) at_ = kBom.size();
}

absl::Status EdifactReader::ReadAdvice() {
  if (bytes_.size() - at_ < kAdviceSize) {
    return absl::InvalidArgumentError(
        StrCat("line ", line_, ": the input ends inside the UNA, before its six characters"));
  }
  const std::string_view a = bytes_.substr(at_ + 3, kAdviceSize - 3);
  const EdifactDelimiters d{.component = a[0],
                            .element = a[1],
                            .decimal = a[2],
                            .release = a[3] == ' ' ? '\0' : a[3],
                            .repetition = a[4],
                            .segment = a[5]};
  auto refuse = [&](std::string_view what, char c) {
    return absl::InvalidArgumentError(StrCat("the UNA at line ", line_, ": ", what, " cannot be ",
                                             ShownByte(c), " (\"UNA", a, "\")"));
  };
  // Separators must not be data (letters, digits, spaces); only the terminator may be a
  // line break (some partners declare one), which then is not skipped as one after it.
  for (const auto& [what, c] : {std::pair{"the component separator", d.component},
                                std::pair{"the element separator", d.element},
                                std::pair{"the segment terminator", d.segment}}) {
    if (IsAlnum(c) || c == ' ' || (IsBreak(c) && c != d.segment)) return refuse(what, c);
  }
  if (IsAlnum(d.release) || IsBreak(d.release)) return refuse("the release character", d.release);
  if (d.component == d.element || d.component == d.segment) {
    return refuse("the component separator, the same as another separator,", d.component);
  }
  if (d.element == d.segment) {
    return refuse("the element separator, the same as the terminator,", d.element);
  }
  if (d.release != 0 &&
      (d.release == d.component || d.release == d.element || d.release == d.segment)) {
    return refuse("the release character, the same as a separator,", d.release);
  }
  delimiters_ = d;
  advised_ = true;
  at_ += kAdviceSize;
  return absl::OkStatus();
}

absl::Status EdifactReader::RefuseStart() const {
  const std::string_view rest = bytes_.substr(at_);
  if (rest.starts_with("STX=")) {
    return absl::InvalidArgumentError(StrCat(
        "line ", line_, ": a TRADACOMS file (it starts with STX=), not a UN/EDIFACT interchange"));
  }
  if (rest.starts_with("ISA")) {
    return absl::InvalidArgumentError(
        StrCat("line ", line_, ": an X12 interchange (it starts with ISA), not UN/EDIFACT"));
  }
  return absl::InvalidArgumentError(
      StrCat("line ", line_, ": a UN/EDIFACT interchange starts with UNA or UNB and then ",
             ShownByte(delimiters_.element), ", not ", Quoted(rest.substr(0, 12))));
}

absl::StatusOr<bool> EdifactReader::Next(EdifactSegment& out) {
  auto skip_breaks = [&] {
    while (at_ < bytes_.size() && IsBreak(bytes_[at_])) {
      line_ += bytes_[at_] == '\n';
      ++at_;
    }
  };
  skip_breaks();
  if (!started_ || after_unz_) {
    // Where an interchange may start: its own UNA, or the default delimiters.
    if (bytes_.substr(at_).starts_with("UNA")) {
      if (absl::Status s = ReadAdvice(); !s.ok()) return s;
      skip_breaks();
    } else if (after_unz_) {
      // Blanks or a DOS end-of-file mark after the last UNZ are not another interchange.
      if (bytes_.find_first_not_of(" \t\r\n\x1A", at_) == std::string_view::npos) {
        at_ = bytes_.size();
        return false;
      }
      delimiters_ = EdifactDelimiters();
      advised_ = false;
    }
    if (!started_) {
      if (at_ >= bytes_.size()) {
        return absl::InvalidArgumentError(advised_ ? "the input ends after its UNA: no UNB"
                                                   : "the input is empty: no UNB segment");
      }
      const std::string_view rest = bytes_.substr(at_);
      if (!rest.starts_with("UNB") || rest.size() < 4 || rest[3] != delimiters_.element) {
        return RefuseStart();
      }
    }
  }
  if (at_ >= bytes_.size()) return false;

  // To the terminator, past released characters; line breaks on the way are not data.
  const char terminator = delimiters_.segment;
  const char release = delimiters_.release;
  const size_t size = bytes_.size();
  const size_t start_line = line_;
  size_t i = at_;
  size_t breaks = 0;
  bool copy = false;  // released characters or line breaks: the values are a copy
  for (; i < size; ++i) {
    const char c = bytes_[i];
    if (c == release && release != 0) {
      if (i + 1 == size) {
        i = size;
        break;
      }
      copy = true;
      breaks += bytes_[++i] == '\n';
      continue;
    }
    if (c == terminator) break;
    if (IsBreak(c)) {
      copy = true;
      breaks += c == '\n';
    }
  }
  // For the messages below; the segment's own comes from its tag, which a line break may
  // split.
  const size_t position = bytes_.substr(at_).starts_with("UNB") ? 1 : position_ + 1;
  if (i >= size) {
    std::string hint;
    if (breaks > 0 && terminator != '\n') {
      hint = StrCat(" (it runs over ", breaks + 1, " lines: are its segments ended by line ",
                    "breaks instead? A UNA would have to say so)");
    }
    return absl::InvalidArgumentError(StrCat("segment ", position, " at line ", start_line,
                                             ": the input ends inside it, before its terminator ",
                                             ShownByte(terminator), hint));
  }

  // Split into values, resolving releases (into a copy, when there are any).
  const std::string_view text = bytes_.substr(at_, i - at_);
  std::string* resolved = nullptr;
  if (copy) {
    resolved = &copies_.emplace_back();
    resolved->reserve(text.size());
  }
  const char element = delimiters_.element;
  const char component = delimiters_.component;
  spans_.clear();
  starts_.assign(1, 0);
  size_t from = 0, length = 0;  // in the values' text: the input's, or the copy
  for (size_t k = 0; k < text.size(); ++k) {
    char c = text[k];
    if (c == release && release != 0) {
      c = text[++k];  // a release is never last: the terminator it would escape is further on
    } else if (c == element || c == component) {
      spans_.emplace_back(from, length - from);
      if (resolved == nullptr) ++length;  // read in place, the separator is in the text
      from = length;
      if (c == element) starts_.push_back(static_cast<uint32_t>(spans_.size()));
      continue;
    } else if (IsBreak(c)) {
      continue;  // only when copying: there is none in a segment read in place
    }
    if (resolved != nullptr) resolved->push_back(c);
    ++length;
  }
  spans_.emplace_back(from, length - from);
  const char* base = resolved != nullptr ? resolved->data() : text.data();
  values_.clear();
  for (const auto& [offset, count] : spans_) values_.emplace_back(base + offset, count);

  line_ += breaks + (terminator == '\n' ? 1 : 0);
  at_ = i + 1;
  const std::string_view tag = values_[0];
  if (tag.size() != 3 || !std::all_of(tag.begin(), tag.end(), IsTagChar)) {
    return absl::InvalidArgumentError(StrCat("segment ", position, " at line ", start_line, ": ",
                                             Quoted(tag),
                                             " is not a segment tag (three capital letters)"));
  }
  position_ = tag == "UNB" ? 1 : position_ + 1;
  started_ = true;
  after_unz_ = tag == "UNZ";
  out.values = values_;
  out.starts = starts_;
  out.position = position_;
  out.line = start_line;
  return true;
}

bool EdifactInterchange::accepted() const {
  if (!errors.empty()) return false;
  for (const EdifactMessage& m : messages) {
    if (!m.accepted()) return false;
  }
  for (const EdifactGroup& g : groups) {
    if (!g.errors.empty()) return false;
    for (const EdifactMessage& m : g.messages) {
      if (!m.accepted()) return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<EdifactInterchange>> ReadEdifact(std::string_view bytes,
                                                            const EdifactHandlers& handlers) {
  Walker walker(handlers);
  if (absl::Status s = walker.Run(bytes); !s.ok()) return s;
  return std::move(walker.done);
}

std::string_view EdifactLevelName(EdifactLevel level) {
  switch (level) {
    case EdifactLevel::kInterchange:
      return "interchange";
    case EdifactLevel::kGroup:
      return "group";
    case EdifactLevel::kMessage:
      return "message";
  }
  return "?";
}

}  // namespace disthub::formats
