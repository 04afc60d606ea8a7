#include "formats/x12_envelope.h"

#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "formats/x12_dictionary.h"

namespace disthub::formats {
namespace {

std::string_view Trimmed(std::string_view s) {
  // ISA fields are padded with spaces, and by some partners with UTF-8 non-breaking ones.
  while (!s.empty() && (s.back() == ' ' || s.ends_with("\xC2\xA0"))) {
    s.remove_suffix(s.back() == ' ' ? 1 : 2);
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Control numbers and counts compared as numbers (WithoutLeadingZeros).
bool SameNumber(std::string_view a, std::string_view b) {
  if (!IsDigits(a) || !IsDigits(b)) return a == b;
  return WithoutLeadingZeros(a) == WithoutLeadingZeros(b);
}

std::string Count(std::string_view text) {
  return text.empty() ? "nothing" : StrCat("\"", text, "\"");
}

// The open set's segments, their element views copied into one array: a set of 100,000
// segments costs a few growing arrays, not an allocation per segment.
class SetStore {
 public:
  void Clear() {
    segments_.clear();
    views_.clear();
    starts_.clear();
  }
  void Add(const X12Segment& s) {
    starts_.push_back(views_.size());
    views_.insert(views_.end(), s.elements.begin(), s.elements.end());
    X12Segment& kept = segments_.emplace_back();
    kept.position = s.position;
    kept.line = s.line;
  }
  size_t size() const { return segments_.size(); }
  size_t line(size_t i) const { return segments_[i].line; }
  std::span<const std::string_view> Elements(size_t i) const {
    const size_t end = i + 1 < starts_.size() ? starts_[i + 1] : views_.size();
    return {views_.data() + starts_[i], end - starts_[i]};
  }
  // The segments with their element spans pointing into the array (which Add() may move).
  std::span<const X12Segment> Segments() {
    for (size_t i = 0; i < segments_.size(); ++i) segments_[i].elements = Elements(i);
    return segments_;
  }
  // What a huge set grew the arrays to is not kept for the thread's life.
  void Trim() {
    constexpr size_t kKeptSegments = 4096, kKeptViews = 16 * kKeptSegments;
    if (segments_.capacity() > kKeptSegments) std::vector<X12Segment>().swap(segments_);
    if (starts_.capacity() > kKeptSegments) std::vector<size_t>().swap(starts_);
    if (views_.capacity() > kKeptViews) std::vector<std::string_view>().swap(views_);
  }

 private:
  std::vector<X12Segment> segments_;
  std::vector<std::string_view> views_;
  std::vector<size_t> starts_;  // of each segment's elements in views_
};

// Reads segments and keeps the envelope state. One per ReadX12 call.
class Walker {
 public:
  Walker(const X12Handlers& handlers, const X12ReadOptions& options)
      : handlers_(handlers), options_(options) {
    if (shared_) Shared().in_use = true;
    store_.Clear();
  }
  ~Walker() {
    store_.Clear();
    if (!shared_) return;
    store_.Trim();
    Shared().in_use = false;
  }
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  absl::Status Run(std::string_view bytes) {
    X12Reader reader(bytes);
    X12Segment s;
    while (true) {
      absl::StatusOr<bool> more = reader.Next(s);
      if (!more.ok()) {
        // What was complete has been handed over; what was open is lost with the error.
        return more.status();
      }
      if (!*more) break;
      const std::string_view id = s.id();
      if (id == "ISA" || id == "IEA" || id == "GS" || id == "GE" || id == "ST") {
        outside_reported_ = false;
        orphan_ = false;
      }
      if (!open_ && id != "ISA") {
        return absl::InvalidArgumentError(
            StrCat("segment ", s.position, " (", id, ") at line ", s.line,
                   " follows the IEA that closed its interchange; a new one must start with "
                   "an ISA"));
      }
      if (orphan_) {
        // The rest of a set refused for standing outside a group, up to its SE.
        if (id == "SE") orphan_ = false;
      } else if (id == "ISA") {
        if (open_) EndInterchange(s, /*trailer=*/nullptr);
        StartInterchange(s, reader.delimiters());
      } else if (id == "IEA") {
        EndInterchange(s, &s);
      } else if (id == "GS") {
        StartGroup(s);
      } else if (id == "GE") {
        EndGroup(s, &s);
      } else if (id == "ST") {
        StartSet(s);
      } else if (id == "SE") {
        EndSet(&s, reader);
      } else if (in_set_) {
        store_.Add(s);
        if (options_.check_segments) {
          if (const X12SegmentSpec* spec = FindX12Segment(id)) {
            CheckX12Segment(*spec, s, store_.size(), set_errors_);
          }
        }
      } else if (id == "TA1" && !group_) {
        ++open_->ta1s;
      } else if (!outside_reported_) {
        outside_reported_ = true;
        InterchangeError("024",
                         StrCat("segment ", s.position, " (", id, ") at line ", s.line,
                                " is outside any transaction set (", group_ ? "after GS" : "no GS",
                                in_set_ ? "" : ", no open ST", ")"),
                         s.line);
      }
      if (!in_set_) reader.Recycle();
    }
    if (open_) EndInterchange(X12Segment{}, nullptr);
    return absl::OkStatus();
  }

  std::vector<X12Interchange> done;

 private:
  X12Set& CurrentSet() { return open_->groups.back().sets.back(); }

  // An error of the interchange, group or set itself (not in a segment).
  static X12Error Envelope(X12Level level, std::string code, std::string message, size_t line) {
    X12Error e;
    e.level = level;
    e.code = std::move(code);
    e.line = line;
    e.message = std::move(message);
    return e;
  }
  void InterchangeError(std::string code, std::string message, size_t line) {
    if (open_) open_->errors.push_back(Envelope(X12Level::kInterchange, code, message, line));
  }
  void GroupError(std::string code, std::string message, size_t line) {
    open_->groups.back().errors.push_back(Envelope(X12Level::kGroup, code, message, line));
  }
  void SetError(std::string code, std::string message, size_t line) {
    CurrentSet().errors.push_back(Envelope(X12Level::kSet, code, message, line));
  }

  void StartInterchange(const X12Segment& isa, const X12Delimiters& delimiters) {
    open_.emplace();
    X12Interchange& x = *open_;
    x.authorization_qualifier = std::string(isa.element(1));
    x.security_qualifier = std::string(isa.element(3));
    x.sender_qualifier = std::string(Trimmed(isa.element(5)));
    x.sender = std::string(Trimmed(isa.element(6)));
    x.receiver_qualifier = std::string(Trimmed(isa.element(7)));
    x.receiver = std::string(Trimmed(isa.element(8)));
    x.date = std::string(isa.element(9));
    x.time = std::string(isa.element(10));
    x.standards = std::string(isa.element(11));
    x.version = std::string(isa.element(12));
    x.control = std::string(Trimmed(isa.element(13)));
    x.ack_requested = std::string(isa.element(14));
    x.usage = std::string(isa.element(15));
    x.delimiters = delimiters;
    x.line = isa.line;
    auto check = [&](bool ok, const char* code, std::string message) {
      if (!ok) InterchangeError(code, std::move(message), isa.line);
    };
    check(Trimmed(isa.element(1)).size() == 2, "010",
          StrCat("ISA01 authorization qualifier ", Count(isa.element(1)), " is not 2 digits"));
    check(Trimmed(isa.element(3)).size() == 2, "012",
          StrCat("ISA03 security qualifier ", Count(isa.element(3)), " is not 2 digits"));
    check(!x.sender_qualifier.empty() && x.sender_qualifier.size() <= 2, "005",
          StrCat("ISA05 sender qualifier ", Count(x.sender_qualifier), " is not 2 characters"));
    check(!x.sender.empty() && x.sender.size() <= 15, "006",
          StrCat("ISA06 sender id ", Count(x.sender), " is empty or longer than 15"));
    check(!x.receiver_qualifier.empty() && x.receiver_qualifier.size() <= 2, "007",
          StrCat("ISA07 receiver qualifier ", Count(x.receiver_qualifier), " is not 2 characters"));
    check(!x.receiver.empty() && x.receiver.size() <= 15, "008",
          StrCat("ISA08 receiver id ", Count(x.receiver), " is empty or longer than 15"));
    check(x.date.size() == 6 && IsX12Date(x.date), "014",
          StrCat("ISA09 date ", Count(x.date), " is not a YYMMDD date"));
    check(x.time.size() == 4 && IsX12Time(x.time), "015",
          StrCat("ISA10 time ", Count(x.time), " is not an HHMM time"));
    check(x.version.size() == 5 && IsDigits(x.version), "017",
          StrCat("ISA12 version ", Count(x.version), " is not 5 digits"));
    check(IsDigits(x.control) && x.control.size() <= 9, "018",
          StrCat("ISA13 control number ", Count(x.control), " is not a number of up to 9 digits"));
    check(x.ack_requested == "0" || x.ack_requested == "1", "019",
          StrCat("ISA14 acknowledgment requested ", Count(x.ack_requested), " is not 0 or 1"));
    check(x.usage == "P" || x.usage == "T" || x.usage == "I", "020",
          StrCat("ISA15 usage ", Count(x.usage), " is not P, T or I"));
  }

  void EndInterchange(const X12Segment& where, const X12Segment* iea) {
    if (!open_) return;
    if (group_) EndGroup(where, nullptr);
    X12Interchange& x = *open_;
    if (iea == nullptr) {
      InterchangeError("023",
                       StrCat("the interchange ", x.control, " from line ", x.line,
                              " has no IEA: the input ends, or another ISA starts, first"),
                       where.line);
    } else {
      // An interchange of TA1s only: some partners count them as IEA01's groups.
      if (!IsDigits(iea->element(1)) ||
          (!SameNumber(iea->element(1), std::to_string(x.groups.size())) &&
           !(x.groups.empty() && SameNumber(iea->element(1), std::to_string(x.ta1s))))) {
        InterchangeError("021",
                         StrCat("IEA01 says ", Count(iea->element(1)),
                                " functional groups, the interchange has ", x.groups.size()),
                         iea->line);
      }
      if (!SameNumber(Trimmed(iea->element(2)), x.control)) {
        InterchangeError("001",
                         StrCat("IEA02 control number ", Count(iea->element(2)),
                                " is not ISA13's \"", x.control, "\""),
                         iea->line);
      }
    }
    if (handlers_.interchange) handlers_.interchange(x);
    done.push_back(std::move(x));
    open_.reset();
  }

  void StartGroup(const X12Segment& gs) {
    if (group_) EndGroup(gs, nullptr);
    X12Group& g = open_->groups.emplace_back();
    group_ = true;
    g.functional_id = std::string(gs.element(1));
    g.sender = std::string(gs.element(2));
    g.receiver = std::string(gs.element(3));
    g.date = std::string(gs.element(4));
    g.time = std::string(gs.element(5));
    g.control = std::string(gs.element(6));
    g.agency = std::string(gs.element(7));
    g.version = std::string(gs.element(8));
    g.line = gs.line;
    set_controls_.clear();
    if (!IsDigits(g.control) || g.control.size() > 9) {
      GroupError("6",
                 StrCat("GS06 group control number ", Count(g.control),
                        " is not a number of up to 9 digits"),
                 gs.line);
    }
    if (g.functional_id.size() != 2) {
      GroupError(
          "1",
          StrCat("GS01 functional identifier ", Count(g.functional_id), " is not 2 characters"),
          gs.line);
    }
    if (g.version.empty()) GroupError("2", "GS08 version is missing", gs.line);
  }

  void EndGroup(const X12Segment& where, const X12Segment* ge) {
    if (!group_) {
      InterchangeError(
          "024", StrCat("segment ", where.position, " at line ", where.line, ": a GE without a GS"),
          where.line);
      return;
    }
    if (in_set_) EndSet(nullptr, std::nullopt);
    X12Group& g = open_->groups.back();
    if (ge == nullptr) {
      GroupError("3",
                 StrCat("the group ", g.control, " from line ", g.line, " has no GE before line ",
                        where.line),
                 where.line);
    } else {
      g.trailer_count = std::string(ge->element(1));
      if (!IsDigits(ge->element(1)) || !SameNumber(ge->element(1), std::to_string(g.sets.size()))) {
        GroupError("5",
                   StrCat("GE01 says ", Count(ge->element(1)), " transaction sets, the group has ",
                          g.sets.size()),
                   ge->line);
      }
      if (!SameNumber(ge->element(2), g.control)) {
        GroupError("4",
                   StrCat("GE02 control number ", Count(ge->element(2)), " is not GS06's \"",
                          g.control, "\""),
                   ge->line);
      }
    }
    group_ = false;
  }

  void StartSet(const X12Segment& st) {
    if (!group_) {
      InterchangeError("024",
                       StrCat("segment ", st.position, " at line ", st.line,
                              ": an ST outside a functional group (no GS before it)"),
                       st.line);
      orphan_ = true;
      return;
    }
    if (in_set_) EndSet(nullptr, std::nullopt);  // the ST's views stay valid: no Recycle()
    store_.Clear();
    store_.Add(st);
    X12Set& set = open_->groups.back().sets.emplace_back();
    in_set_ = true;
    set.id = std::string(st.element(1));
    set.control = std::string(st.element(2));
    set.implementation = std::string(st.element(3));
    set.line = st.line;
    set_errors_.clear();
    if (set.id.size() != 3 || !IsDigits(set.id)) {
      SetError("6", StrCat("ST01 ", Count(set.id), " is not a transaction set identifier"),
               st.line);
    }
    if (set.control.size() < 4 || set.control.size() > 9) {
      SetError("7", StrCat("ST02 control number ", Count(set.control), " is not 4 to 9 characters"),
               st.line);
    } else if (!set_controls_.insert(set.control).second) {
      SetError("23",
               StrCat("ST02 control number \"", set.control, "\" is used twice in group ",
                      open_->groups.back().control),
               st.line);
    }
  }

  // Ends the open set at `se`, or where the next envelope segment shows it had none.
  void EndSet(const X12Segment* se, std::optional<std::reference_wrapper<X12Reader>> reader) {
    if (!in_set_) {
      if (se != nullptr) {
        InterchangeError(
            "024", StrCat("segment ", se->position, " at line ", se->line, ": an SE without an ST"),
            se->line);
      }
      return;
    }
    X12Set& set = CurrentSet();
    if (se != nullptr) store_.Add(*se);
    const size_t used = store_.size();
    set.segments = used;
    if (se == nullptr) {
      SetError("2", StrCat("the set ", set.control, " from line ", set.line, " has no SE"),
               set.line);
    } else {
      if (!IsDigits(se->element(1)) || !SameNumber(se->element(1), std::to_string(used))) {
        SetError("4",
                 StrCat("SE01 says ", Count(se->element(1)), " segments, the set has ", used,
                        SuspectedTerminator()),
                 se->line);
      }
      if (se->element(2) != set.control) {
        SetError("3",
                 StrCat("SE02 control number ", Count(se->element(2)), " is not ST02's \"",
                        set.control, "\""),
                 se->line);
      }
    }
    // Segment errors after the set's own, capped.
    if (!set_errors_.empty()) {
      SetError("5",
               StrCat(set_errors_.size(), " data element error", set_errors_.size() == 1 ? "" : "s",
                      " in its segments"),
               set.line);
      const size_t keep = std::min(set_errors_.size(), options_.max_errors_per_set);
      for (size_t i = 0; i < keep; ++i) set.errors.push_back(std::move(set_errors_[i]));
      if (keep < set_errors_.size()) {
        SetError("5", StrCat(set_errors_.size() - keep, " more errors not listed"), set.line);
      }
      set_errors_.clear();
    }
    if (handlers_.set) {
      handlers_.set(*open_, open_->groups.back(), set, store_.Segments());
    }
    in_set_ = false;
    store_.Clear();
    if (reader) reader->get().Recycle();
  }

  // A segment holding a byte partners use as a terminator explains a short count.
  std::string SuspectedTerminator() const {
    const char terminator = open_->delimiters.segment;
    for (size_t i = 0; i < store_.size(); ++i) {
      const std::span<const std::string_view> elements = store_.Elements(i);
      for (std::string_view element : elements) {
        for (char c : std::string_view("~'$")) {
          if (c != terminator && element.find(c) != std::string_view::npos) {
            return StrCat(" (segment ", i + 1, ", ", elements[0], " at line ", store_.line(i),
                          ", holds '", std::string(1, c),
                          "': are two segment terminators mixed in the file?)");
          }
        }
      }
    }
    return "";
  }

  const X12Handlers& handlers_;
  const X12ReadOptions& options_;
  std::optional<X12Interchange> open_;
  bool group_ = false;
  bool in_set_ = false;
  // The open set's segments, [0] its ST: the thread's store, reused from call to call (a
  // set of 100,000 segments is not allocated again for each file), or the walker's own
  // when a handler reads X12 while its caller does.
  struct ThreadStore {
    SetStore store;
    bool in_use = false;
  };
  static ThreadStore& Shared() {
    thread_local ThreadStore shared;
    return shared;
  }
  bool shared_ = !Shared().in_use;
  SetStore own_;
  SetStore& store_ = shared_ ? Shared().store : own_;
  std::vector<X12Error> set_errors_;    // the open set's segment errors
  std::set<std::string> set_controls_;  // ST02s of the open group
  bool outside_reported_ = false;       // one error for a run of stray segments
  bool orphan_ = false;                 // inside a set that had no GS
};

}  // namespace

size_t X12Group::accepted_sets() const {
  if (!errors.empty()) return 0;
  size_t n = 0;
  for (const X12Set& s : sets) n += s.accepted();
  return n;
}

std::string X12Group::ack_code() const {
  const size_t accepted = accepted_sets();
  if (!errors.empty() || accepted == 0) return "R";
  return accepted == sets.size() ? "A" : "P";
}

size_t X12Interchange::accepted_sets() const {
  if (!accepted()) return 0;
  size_t n = 0;
  for (const X12Group& g : groups) n += g.accepted_sets();
  return n;
}

std::string_view X12LevelName(X12Level level) {
  switch (level) {
    case X12Level::kInterchange:
      return "interchange";
    case X12Level::kGroup:
      return "group";
    case X12Level::kSet:
      return "set";
    case X12Level::kSegment:
      return "segment";
    case X12Level::kElement:
      return "element";
  }
  return "?";
}

absl::StatusOr<std::vector<X12Interchange>> ReadX12(std::string_view bytes,
                                                    const X12Handlers& handlers,
                                                    const X12ReadOptions& options) {
  Walker walker(handlers, options);
  if (absl::Status s = walker.Run(bytes); !s.ok()) return s;
  return std::move(walker.done);
}

std::string_view WithoutLeadingZeros(std::string_view control) {
  while (control.size() > 1 && control.front() == '0') control.remove_prefix(1);
  return control;
}

}  // namespace disthub::formats
