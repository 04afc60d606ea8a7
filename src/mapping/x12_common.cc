#include "mapping/x12_common.h"

#include <cctype>

#include "absl/time/civil_time.h"
#include "base/strings.h"
#include "formats/x12_dictionary.h"

namespace disthub::mapping::x12_internal {

using formats::X12Segment;

void Problems::Add(const X12Segment& s, size_t position, int element, std::string_view message) {
  list_.push_back(StrCat(s.id(), element == 0 ? "" : (element < 10 ? "0" : ""),
                         element == 0 ? "" : std::to_string(element), " (segment ", position,
                         " of the set, line ", s.line, "): ", message));
}

absl::Status Problems::ToStatus() const {
  std::string joined;
  for (const std::string& p : list_) joined += StrCat(joined.empty() ? "" : "; ", p);
  return absl::InvalidArgumentError(StrCat(what_, ": ", joined));
}

std::optional<int64_t> WholeQuantity(std::string_view text) {
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  if (dot != std::string_view::npos) {
    for (char c : text.substr(dot + 1)) {
      if (c != '0') return std::nullopt;
    }
  }
  if (whole.empty() || whole.size() > 15) return std::nullopt;
  int64_t n = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<int64_t> SignedWholeQuantity(std::string_view text) {
  if (!text.starts_with('-')) return WholeQuantity(text);
  std::optional<int64_t> n = WholeQuantity(text.substr(1));
  if (!n) return std::nullopt;
  return -*n;
}

std::optional<absl::Time> X12DateTime(std::string_view ccyymmdd, std::string_view time) {
  if (ccyymmdd.size() != 8) return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t widths[3] = {4, 2, 2};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    for (size_t k = 0; k < widths[i]; ++k, ++at) {
      const char c = ccyymmdd[at];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  const absl::CivilDay day(parts[0], parts[1], parts[2]);
  if (day.year() != parts[0] || day.month() != parts[1] || day.day() != parts[2]) {
    return std::nullopt;
  }
  if (time.empty()) return absl::FromCivil(day, absl::UTCTimeZone());
  if (!formats::IsX12Time(time)) return std::nullopt;
  const auto two = [&](size_t i) { return (time[i] - '0') * 10 + (time[i + 1] - '0'); };
  // Decimal seconds (HHMMSSdd) are left off: no partner's clock is that good.
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), two(0), two(2),
                                           time.size() >= 6 ? two(4) : 0),
                         absl::UTCTimeZone());
}

std::string Listed(std::span<const std::string> items) {
  std::string out;
  for (const std::string& item : items) out += StrCat(out.empty() ? "" : ", ", item);
  return out;
}

std::string_view PreferredProductId(const X12Segment& s, std::span<const int> qualifier_at,
                                    const X12Dialect& dialect) {
  for (const std::string& wanted : dialect.sku_qualifiers) {
    for (int at : qualifier_at) {
      const size_t q = static_cast<size_t>(at);
      if (s.element(q) == wanted && !s.element(q + 1).empty()) return s.element(q + 1);
    }
  }
  return {};
}

std::string NoSkuMessage(const X12Dialect& dialect) {
  return StrCat("no product id with a qualifier the partner's SKUs use (",
                Listed(dialect.sku_qualifiers), ")");
}

std::optional<std::string> ModelUnit(const X12Segment& s, size_t position, int element,
                                     const X12Dialect& dialect, Problems& problems) {
  std::string_view code = s.element(static_cast<size_t>(element));
  size_t end = 0;
  while (end < code.size() && std::isalnum(static_cast<unsigned char>(code[end]))) ++end;
  code = code.substr(0, end);
  if (auto it = dialect.units.find(std::string(code)); it != dialect.units.end()) {
    return it->second;
  }
  std::vector<std::string> known;
  for (const auto& [c, unit] : dialect.units) known.push_back(c);
  problems.Add(
      s, position, element,
      StrCat("unit \"", code, "\" is not in the partner's unit table (", Listed(known), ")"));
  return std::nullopt;
}

}  // namespace disthub::mapping::x12_internal
