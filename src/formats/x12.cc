#include "formats/x12.h"

#include "base/strings.h"

namespace disthub::formats {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr int kIsaSeparators = 16;  // ISA01..ISA16 each follow one

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsBreak(char c) { return c == '\r' || c == '\n'; }

}  // namespace

X12Reader::X12Reader(std::string_view bytes) : bytes_(bytes) {
  if (bytes_.starts_with(kBom)) at_ = kBom.size();
  current_.reserve(32);  // one allocation for all but the widest segments
}

absl::StatusOr<bool> X12Reader::Next(X12Segment& out) {
  // Between segments: line breaks after terminators, indentation, blank lines.
  while (at_ < bytes_.size() &&
         (bytes_[at_] == ' ' || bytes_[at_] == '\t' || IsBreak(bytes_[at_]))) {
    if (bytes_[at_] == '\n') ++line_;
    ++at_;
  }
  if (at_ >= bytes_.size()) {
    if (!started_) return absl::InvalidArgumentError("the input is empty: no ISA segment");
    return false;
  }
  const std::string_view rest = bytes_.substr(at_);
  if (!started_ || (rest.starts_with("ISA") && (rest.size() == 3 || !IsAlnum(rest[3])))) {
    if (absl::Status s = ReadIsa(out); !s.ok()) return s;
    started_ = true;
    return true;
  }
  // One pass to the terminator, splitting at element separators as it goes.
  const char terminator = delimiters_.segment;
  const char separator = delimiters_.element;
  const char* const base = bytes_.data();
  const size_t size = bytes_.size();
  out.line = line_;
  out.position = ++position_;
  std::vector<std::string_view>& elements = current_;
  elements.clear();
  size_t i = at_;
  size_t from = at_;
  bool breaks_inside = false;
  for (; i < size; ++i) {
    const char c = base[i];
    if (c == terminator) break;
    if (c == separator) {
      elements.emplace_back(base + from, i - from);
      from = i + 1;
    } else if (c == '\n' || c == '\r') {
      breaks_inside = true;
    }
  }
  if (i == size && terminator != '\n') {
    return absl::InvalidArgumentError(StrCat("segment ", out.position, " at line ", out.line,
                                             ": the input ends before its terminator ",
                                             ShownByte(terminator)));
  }
  elements.emplace_back(base + from, i - from);  // the last element; at the end of
                                                 // the input, the last line's
  if (terminator == '\n') {
    std::string_view& last = elements.back();
    if (last.ends_with('\r')) last.remove_suffix(1);  // CRLF
    ++line_;
  } else if (breaks_inside) {
    // Hard-wrapped: the line breaks are not part of the data.
    const std::string_view text = bytes_.substr(at_, i - at_);
    std::string& copy = unwrapped_.emplace_front();
    for (char c : text) {
      if (!IsBreak(c)) copy.push_back(c);
      line_ += c == '\n';
    }
    Split(copy, out);
  }
  at_ = i < size ? i + 1 : i;
  // A trailing component separator is an empty last component: partners that end lines
  // with "~" after declaring '~' as ISA16 write one on every segment.
  std::string_view& last = current_.back();
  while (!last.empty() && last.back() == delimiters_.component) last.remove_suffix(1);
  out.elements = current_;
  if (out.id() == "ISA") {  // only a line break inside "ISA" gets one here
    return absl::InvalidArgumentError(
        StrCat("segment ", out.position, " at line ", out.line,
               ": an ISA broken by a line break inside its id cannot start an interchange"));
  }
  if (out.id().empty() || out.id().size() > 3) {
    return absl::InvalidArgumentError(StrCat("segment ", out.position, " at line ", out.line,
                                             ": \"", std::string(out.id().substr(0, 20)),
                                             "\" is not a segment id"));
  }
  for (char c : out.id()) {
    if (!IsAlnum(c)) {
      return absl::InvalidArgumentError(StrCat("segment ", out.position, " at line ", out.line,
                                               ": \"", std::string(out.id()),
                                               "\" is not a segment id"));
    }
  }
  return true;
}

absl::Status X12Reader::ReadIsa(X12Segment& out) {
  const size_t start = at_;
  const size_t start_line = line_;
  auto refuse = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("the ISA at line ", start_line, ": ", why));
  };
  if (!bytes_.substr(start).starts_with("ISA")) {
    return absl::InvalidArgumentError(StrCat("line ", line_,
                                             ": an interchange starts with an ISA segment, not \"",
                                             std::string(bytes_.substr(start, 3)), "\""));
  }
  if (start + 3 >= bytes_.size()) return refuse("the input ends inside it");
  const char element = bytes_[start + 3];
  if (IsAlnum(element) || element == ' ' || IsBreak(element)) {
    return refuse(
        StrCat("the byte after ISA must be the element separator, not ", ShownByte(element)));
  }
  // Up to ISA16's separator; a wrapped ISA is copied without its line breaks.
  int separators = 0;
  size_t breaks = 0;
  bool wrapped = false;
  size_t i = start + 3;
  for (; i < bytes_.size() && separators < kIsaSeparators; ++i) {
    const char c = bytes_[i];
    if (IsBreak(c)) {
      breaks += c == '\n';
      wrapped = true;
      continue;
    }
    separators += c == element;
  }
  if (separators < kIsaSeparators) {
    return refuse(StrCat("the input ends after ", separators, " of its 16 elements"));
  }
  // i is just past ISA16's separator: ISA16 (the component separator), then the terminator.
  if (i + 1 >= bytes_.size()) return refuse("the input ends before its segment terminator");
  const char component = bytes_[i];
  char segment = bytes_[i + 1];
  size_t next = i + 2;
  if (segment == '\r' && next < bytes_.size() && bytes_[next] == '\n') {
    segment = '\n';
    ++next;
  }
  if (segment == '\r') segment = '\n';
  if (segment == '\n' && breaks > 0) {
    return refuse(
        "it is broken across lines, and its segments end with line breaks: it ends before its "
        "16 elements");
  }
  if (IsAlnum(component) || component == element || IsBreak(component) || component == ' ') {
    return refuse(StrCat("ISA16, the component separator, cannot be ", ShownByte(component)));
  }
  if (IsAlnum(segment) || segment == element || segment == component || segment == ' ') {
    return refuse(StrCat("the segment terminator after ISA16 cannot be ", ShownByte(segment)));
  }
  delimiters_ = {.element = element, .component = component, .repetition = 0, .segment = segment};
  if (!wrapped) {
    Split(bytes_.substr(start, i + 1 - start), out);  // up to and with ISA16
  } else {
    std::string& isa = unwrapped_.emplace_front();
    for (size_t k = start; k <= i; ++k) {
      if (!IsBreak(bytes_[k])) isa.push_back(bytes_[k]);
    }
    Split(isa, out);
  }
  // ISA11: the repetition separator from 00402 on, else a standards id ("U").
  if (const std::string_view isa11 = out.element(11);
      isa11.size() == 1 && !IsAlnum(isa11[0]) && isa11[0] != element && isa11[0] != component) {
    delimiters_.repetition = isa11[0];
  }
  position_ = 1;
  out.position = 1;
  out.line = start_line;
  line_ += breaks + (segment == '\n' ? 1 : 0);
  at_ = next;
  return absl::OkStatus();
}

void X12Reader::Split(std::string_view text, X12Segment& out) {
  current_.clear();
  size_t from = 0;
  while (true) {
    const size_t sep = text.find(delimiters_.element, from);
    current_.push_back(text.substr(from, sep == std::string_view::npos ? sep : sep - from));
    if (sep == std::string_view::npos) break;
    from = sep + 1;
  }
  out.elements = current_;
}

}  // namespace disthub::formats
