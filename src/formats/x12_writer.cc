#include "formats/x12_writer.h"

#include <algorithm>

#include "base/strings.h"

namespace disthub::formats {
namespace {

constexpr uint64_t kMaxControl = 999'999'999;

std::string Padded(std::string_view value, size_t width) {
  std::string out(value);
  out.resize(std::max(width, value.size()), ' ');
  return out;
}

// 005010 and later acknowledge with a 999.
bool Uses999(std::string_view group_version) {
  return group_version.size() >= 6 && group_version.substr(0, 6) >= "005010";
}

// A value read from a partner, to be echoed in an acknowledgement written with
// `delimiters`: itself when it can be written there, else `fallback` (garbage control
// numbers, already reported as errors, must not stop the acknowledgement).
std::string Echo(std::string_view value, const X12Delimiters& d, std::string_view fallback) {
  for (char c : value) {
    if (c == d.element || c == d.segment || c == d.component ||
        (d.repetition != 0 && c == d.repetition) || static_cast<unsigned char>(c) < 0x20) {
      return std::string(fallback);
    }
  }
  return value.empty() ? std::string(fallback) : std::string(value);
}

bool IsNumber(std::string_view s) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

X12Writer::X12Writer(X12Delimiters delimiters, bool line_breaks)
    : delimiters_(delimiters), line_breaks_(line_breaks && delimiters.segment != '\n') {}

void X12Writer::Add(std::span<const std::string> elements) {
  std::vector<std::string_view> views(elements.begin(), elements.end());
  AddViews(views);
}

void X12Writer::Add(std::initializer_list<std::string_view> elements) {
  AddViews(std::span<const std::string_view>(elements.begin(), elements.size()));
}

void X12Writer::AddViews(std::span<const std::string_view> elements) {
  if (!status_.ok() || elements.empty()) return;
  size_t n = elements.size();
  while (n > 1 && elements[n - 1].empty()) --n;
  const std::string_view id = elements[0];
  for (size_t i = 0; i < n; ++i) {
    const std::string_view value = elements[i];
    for (char c : value) {
      // The component separator may appear inside composites, which callers pass joined;
      // the others never may.
      if (c == delimiters_.element || c == delimiters_.segment ||
          (delimiters_.repetition != 0 && c == delimiters_.repetition && id != "ISA") ||
          static_cast<unsigned char>(c) < 0x20) {
        status_ = absl::InvalidArgumentError(StrCat(
            id, i < 10 ? "0" : "", i, " \"", value.substr(0, 40), "\" holds ",
            static_cast<unsigned char>(c) < 0x20
                ? StrCat("a control character (byte ", static_cast<int>(c), ")")
                : StrCat("'", std::string(1, c), "', a delimiter of this partner's interchanges"),
            "; X12 has no escape for it"));
        return;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out_.push_back(delimiters_.element);
    out_.append(elements[i]);
  }
  out_.push_back(delimiters_.segment);
  if (line_breaks_) out_.push_back('\n');
  ++segments_;
}

absl::StatusOr<std::string> WriteX12Interchange(const X12Envelope& envelope,
                                                X12ControlNumbers controls,
                                                std::span<const X12OutGroup> groups, absl::Time at,
                                                std::span<const std::vector<std::string>> ta1s) {
  if (controls.interchange < 1 || controls.interchange > kMaxControl) {
    return absl::InvalidArgumentError(
        StrCat("interchange control number ", controls.interchange, " is not 1..999999999"));
  }
  if (controls.group < 1 || controls.group + groups.size() - 1 > kMaxControl) {
    return absl::InvalidArgumentError(
        StrCat("group control number ", controls.group, " is not 1..999999999"));
  }
  if (envelope.sender.empty() || envelope.sender.size() > 15 || envelope.receiver.empty() ||
      envelope.receiver.size() > 15) {
    return absl::InvalidArgumentError(StrCat("the sender \"", envelope.sender, "\" and receiver \"",
                                             envelope.receiver, "\" must be 1 to 15 characters"));
  }
  const X12Delimiters& d = envelope.delimiters;
  const bool repetition = envelope.version >= "00402" && d.repetition != 0;
  const absl::TimeZone utc = absl::UTCTimeZone();
  const std::string isa_control = ZeroPadded(controls.interchange, 9);
  X12Writer w(d, envelope.line_breaks);
  w.Add({"ISA", "00", Padded("", 10), "00", Padded("", 10), Padded(envelope.sender_qualifier, 2),
         Padded(envelope.sender, 15), Padded(envelope.receiver_qualifier, 2),
         Padded(envelope.receiver, 15), absl::FormatTime("%y%m%d", at, utc),
         absl::FormatTime("%H%M", at, utc), repetition ? std::string(1, d.repetition) : "U",
         envelope.version, isa_control, envelope.ack_requested ? "1" : "0", envelope.usage,
         std::string(1, d.component)});
  for (const std::vector<std::string>& ta1 : ta1s) w.Add(ta1);
  uint64_t group_control = controls.group;
  for (const X12OutGroup& group : groups) {
    const std::string gs06 = std::to_string(group_control++);
    w.Add(
        {"GS", group.functional_id,
         envelope.application_sender.empty() ? envelope.sender : envelope.application_sender,
         envelope.application_receiver.empty() ? envelope.receiver : envelope.application_receiver,
         absl::FormatTime("%Y%m%d", at, utc), absl::FormatTime("%H%M", at, utc), gs06, "X",
         envelope.group_version});
    int set_control = 0;
    for (const X12OutSet& set : group.sets) {
      const std::string st02 = ZeroPadded(static_cast<uint64_t>(++set_control), 4);
      w.Add({"ST", set.id, st02, set.implementation});
      for (const std::vector<std::string>& segment : set.segments) w.Add(segment);
      w.Add({"SE", std::to_string(set.segments.size() + 2), st02});
    }
    w.Add({"GE", std::to_string(group.sets.size()), gs06});
  }
  w.Add({"IEA", std::to_string(groups.size()), isa_control});
  if (!w.status().ok()) return w.status();
  return w.Take();
}

X12OutSet FunctionalAcknowledgement(const X12Group& group, const X12Delimiters& delimiters) {
  const bool is999 = Uses999(group.version);
  X12OutSet out{
      .id = is999 ? "999" : "997", .implementation = is999 ? "005010X231A1" : "", .segments = {}};
  auto& s = out.segments;
  const X12Delimiters& d = delimiters;
  // AK102 echoes GS06; a group that came without one (rejected for it) is acknowledged as 0.
  const std::string functional_id = Echo(group.functional_id, d, "XX");
  const std::string control = Echo(group.control, d, "0");
  if (is999) {
    s.push_back({"AK1", functional_id, control, Echo(group.version, d, "005010")});
  } else {
    s.push_back({"AK1", functional_id, control});
  }
  for (const X12Set& set : group.sets) {
    if (is999) {
      s.push_back({"AK2", Echo(set.id, d, "000"), Echo(set.control, d, "0000"),
                   Echo(set.implementation, d, "")});
    } else {
      s.push_back({"AK2", Echo(set.id, d, "000"), Echo(set.control, d, "0000")});
    }
    std::vector<std::string> set_codes;
    size_t last_position = 0;
    for (const X12Error& e : set.errors) {
      if (e.level == X12Level::kSet) {
        if (set_codes.size() < 5 &&
            std::find(set_codes.begin(), set_codes.end(), e.code) == set_codes.end()) {
          set_codes.push_back(e.code);
        }
        continue;
      }
      if (e.position != last_position) {
        s.push_back({is999 ? "IK3" : "AK3", Echo(e.segment_id, d, "XXX"),
                     std::to_string(e.position), "", e.level == X12Level::kElement ? "8" : e.code});
        last_position = e.position;
      }
      if (e.level == X12Level::kElement) {
        std::string where = std::to_string(e.element);
        if (e.component > 0) where += StrCat(std::string(1, delimiters.component), e.component);
        // The bad data is copied only when it can be written back (no delimiters in it).
        std::string data = Echo(e.data, d, "");
        std::vector<std::string> ak4 = {is999 ? "IK4" : "AK4", where, "", e.code, data};
        // Two syntax notes can fault the same element: one AK4 says it.
        if (s.back() != ak4) s.push_back(std::move(ak4));
      }
    }
    const std::string code = set.accepted() && group.errors.empty() ? "A" : "R";
    std::vector<std::string> ak5 = {is999 ? "IK5" : "AK5", code};
    if (!set.accepted() && set_codes.empty()) set_codes.push_back("5");
    for (const std::string& c : set_codes) ak5.push_back(c);
    s.push_back(std::move(ak5));
  }
  std::vector<std::string> ak9 = {
      "AK9", group.ack_code(),
      IsNumber(group.trailer_count) ? group.trailer_count : std::to_string(group.sets.size()),
      std::to_string(group.sets.size()), std::to_string(group.accepted_sets())};
  for (const X12Error& e : group.errors) {
    if (ak9.size() < 10 && std::find(ak9.begin() + 5, ak9.end(), e.code) == ak9.end()) {
      ak9.push_back(e.code);
    }
  }
  s.push_back(std::move(ak9));
  for (std::vector<std::string>& segment : s) {
    while (segment.size() > 1 && segment.back().empty()) segment.pop_back();
  }
  return out;
}

std::vector<std::string> InterchangeAcknowledgement(const X12Interchange& interchange) {
  return {"TA1",
          interchange.control,
          interchange.date,
          interchange.time,
          interchange.accepted() ? "A" : "R",
          interchange.accepted() ? "000" : interchange.errors.front().code};
}

X12Envelope ReplyEnvelope(const X12Interchange& x) {
  X12Envelope back;
  back.sender_qualifier = x.receiver_qualifier;
  back.sender = x.receiver;
  back.receiver_qualifier = x.sender_qualifier;
  back.receiver = x.sender;
  back.version = x.version;
  back.group_version = x.groups.empty() ? "004010" : x.groups[0].version.substr(0, 6);
  back.delimiters = x.delimiters;
  if (back.delimiters.repetition == 0) back.delimiters.repetition = '^';
  return back;
}

absl::StatusOr<std::string> WriteAcknowledgements(const X12Interchange& x,
                                                  X12ControlNumbers controls, bool ta1,
                                                  absl::Time at) {
  const X12Envelope back = ReplyEnvelope(x);
  std::vector<X12OutGroup> acks;
  // A refused interchange is not read further: its TA1 says why, and no group is answered.
  if (x.accepted() && !x.groups.empty()) {
    X12OutGroup& fa = acks.emplace_back();
    fa.functional_id = "FA";
    for (const X12Group& g : x.groups) {
      // Acknowledgements are not acknowledged (X12.6): a group of 997s or 999s gets none.
      if (g.functional_id != "FA") fa.sets.push_back(FunctionalAcknowledgement(g, back.delimiters));
    }
    if (fa.sets.empty()) acks.clear();
  }
  std::vector<std::vector<std::string>> ta1s;
  if (ta1 || !x.accepted()) ta1s.push_back(InterchangeAcknowledgement(x));
  if (acks.empty() && ta1s.empty()) return std::string();
  return WriteX12Interchange(back, controls, acks, at, ta1s);
}

absl::StatusOr<std::vector<X12AckedGroup>> ReadFunctionalAcknowledgement(
    std::span<const X12Segment> set) {
  std::vector<X12AckedGroup> out;
  X12AckedGroup* group = nullptr;
  X12AckedSet* open = nullptr;
  auto refuse = [](const X12Segment& s, std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("segment ", s.position, " (", s.id(), ") at line ", s.line, ": ", why));
  };
  auto number = [](std::string_view s) {
    int n = 0;
    for (char c : s) {
      if (c < '0' || c > '9' || n > 100'000'000) return -1;
      n = n * 10 + (c - '0');
    }
    return s.empty() ? -1 : n;
  };
  for (const X12Segment& s : set) {
    const std::string_view id = s.id();
    if (id == "ST" || id == "SE") continue;
    if (id == "AK1") {
      if (group != nullptr) return refuse(s, "an AK1 before the previous group's AK9");
      group = &out.emplace_back();
      group->functional_id = std::string(s.element(1));
      group->control = std::string(s.element(2));
      if (group->control.empty()) return refuse(s, "AK102, the group control number, is missing");
    } else if (group == nullptr) {
      return refuse(s, "before any AK1");
    } else if (id == "AK2") {
      if (open != nullptr) return refuse(s, "an AK2 before the previous set's AK5");
      open = &group->sets.emplace_back();
      open->id = std::string(s.element(1));
      open->control = std::string(s.element(2));
    } else if (id == "AK3" || id == "IK3") {
      if (open == nullptr) return refuse(s, "outside an AK2..AK5");
      open->errors.push_back(
          StrCat(s.element(1), " at ", s.element(2), ": segment code ", s.element(4)));
    } else if (id == "AK4" || id == "IK4") {
      if (open == nullptr) return refuse(s, "outside an AK2..AK5");
      open->errors.push_back(StrCat("element ", s.element(1), " code ", s.element(3),
                                    s.element(4).empty() ? "" : StrCat(" \"", s.element(4), "\"")));
    } else if (id == "AK5" || id == "IK5") {
      if (open == nullptr) return refuse(s, "an AK5 without its AK2");
      open->code = std::string(s.element(1));
      for (size_t i = 2; i <= s.size(); ++i) {
        if (!s.element(i).empty()) open->errors.push_back(StrCat("set code ", s.element(i)));
      }
      if (open->code.empty()) return refuse(s, "AK501, the set's status, is missing");
      open = nullptr;
    } else if (id == "AK9") {
      if (open != nullptr) return refuse(s, "an AK9 before the last set's AK5");
      group->code = std::string(s.element(1));
      group->included = number(s.element(2));
      group->received = number(s.element(3));
      group->accepted = number(s.element(4));
      if (group->code.empty() || group->included < 0 || group->received < 0 ||
          group->accepted < 0) {
        return refuse(s, "AK901..AK904 must be a status and three counts");
      }
      for (size_t i = 5; i <= s.size(); ++i) {
        if (!s.element(i).empty()) group->errors.push_back(std::string(s.element(i)));
      }
      group = nullptr;
    }
    // CTX and anything else a partner adds is context, not status.
  }
  if (out.empty()) return absl::InvalidArgumentError("no AK1: not a functional acknowledgment");
  if (group != nullptr) return absl::InvalidArgumentError("the last group has no AK9");
  return out;
}

std::string ZeroPadded(uint64_t n, size_t width) {
  std::string digits = std::to_string(n);
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

}  // namespace disthub::formats
