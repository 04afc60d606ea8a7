#include "mapping/transforms.h"

#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <string>

#include "base/money.h"
#include "base/strings.h"
#include "fmt/format.h"
#include "model/json.h"

namespace disthub::mapping {
namespace json = boost::json;

namespace {

std::string Shown(const json::value& v) {
  std::string text = v.is_double() ? fmt::format("{}", v.get_double()) : json::serialize(v);
  if (text.size() > 60) {
    size_t cut = 57;  // never inside a UTF-8 character: back to its first byte
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

// Decimal digits only, optionally after one leading '-'.
bool IsInteger(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

constexpr double kExactDouble = 9007199254740992.0;  // 2^53

}  // namespace

absl::StatusOr<std::string> ScalarText(const json::value& v, std::string_view kind) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::int64:
      return StrCat(v.get_int64());
    case json::kind::uint64:
      return StrCat(v.get_uint64());
    case json::kind::bool_:
      return std::string(v.get_bool() ? "true" : "false");
    case json::kind::double_:
      return absl::InvalidArgumentError(
          StrCat(Shown(v), " is a number with a fraction, not ", kind,
                 " (a partner must send large ids as strings or integers)"));
    default:
      return absl::InvalidArgumentError(StrCat(Shown(v), " is not ", kind));
  }
}

absl::StatusOr<int64_t> Integer(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return v.get_int64();
    case json::kind::uint64:
      if (v.get_uint64() > static_cast<uint64_t>(INT64_MAX)) break;
      return static_cast<int64_t>(v.get_uint64());
    case json::kind::double_: {
      const double d = v.get_double();
      if (std::trunc(d) == d && std::fabs(d) < kExactDouble) return static_cast<int64_t>(d);
      break;
    }
    case json::kind::string: {
      const std::string_view s = v.get_string();
      if (IsInteger(s)) return std::stoll(std::string(s));
      break;
    }
    default:
      break;
  }
  return absl::InvalidArgumentError(StrCat(Shown(v), " is not a whole number"));
}

absl::StatusOr<int64_t> MoneyMinor(const json::value& v, std::string_view currency) {
  absl::StatusOr<int> digits = MinorUnits(currency);
  if (!digits.ok()) {
    return absl::InvalidArgumentError(StrCat("the amount ", Shown(v), " cannot be read: \"",
                                             currency, "\" is not a known currency"));
  }
  int64_t scale = 1;
  for (int i = 0; i < *digits; ++i) scale *= 10;
  switch (v.kind()) {
    case json::kind::string: {
      absl::StatusOr<Money> m = ParseDecimal(std::string_view(v.get_string()), currency);
      if (!m.ok()) {
        return absl::InvalidArgumentError(
            StrCat(Shown(v), " is not an amount in ", currency, ": ", m.status().message()));
      }
      return m->minor;
    }
    case json::kind::int64:
    case json::kind::uint64: {
      absl::StatusOr<int64_t> units = Integer(v);
      if (units.ok() && *units < INT64_MAX / scale && *units > INT64_MIN / scale) {
        return *units * scale;
      }
      break;
    }
    case json::kind::double_: {
      const double scaled = v.get_double() * static_cast<double>(scale);
      const double rounded = std::round(scaled);
      if (std::fabs(rounded) >= kExactDouble) break;
      if (std::fabs(scaled - rounded) > 1e-6 * std::max(1.0, std::fabs(scaled))) {
        return absl::InvalidArgumentError(StrCat(Shown(v), " has more decimals than ", currency,
                                                 " has (", *digits, ")"));
      }
      return static_cast<int64_t>(rounded);
    }
    default:
      break;
  }
  return absl::InvalidArgumentError(StrCat(Shown(v), " is not an amount"));
}

absl::StatusOr<bool> Boolean(const json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_int64() && (v.get_int64() == 0 || v.get_int64() == 1)) return v.get_int64() == 1;
  if (v.is_string()) {
    std::string s(v.get_string());
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "no") return false;
  }
  return absl::InvalidArgumentError(StrCat(Shown(v), " is not a boolean"));
}

absl::StatusOr<TimeFormat> ParseTimeFormat(std::string_view name) {
  if (name == "rfc3339") return TimeFormat::kRfc3339;
  if (name == "rfc2822") return TimeFormat::kRfc2822;
  if (name == "epoch_ms") return TimeFormat::kEpochMillis;
  if (name == "epoch_s") return TimeFormat::kEpochSeconds;
  if (name == "local") return TimeFormat::kLocal;
  return absl::InvalidArgumentError(
      StrCat("\"", name, "\" is not a time format (rfc3339, rfc2822, epoch_ms, epoch_s, local)"));
}

absl::StatusOr<absl::Time> Time(const json::value& v, TimeFormat format, const absl::TimeZone& zone) {
  if (format == TimeFormat::kEpochMillis || format == TimeFormat::kEpochSeconds) {
    absl::StatusOr<int64_t> n = Integer(v);
    if (!n.ok()) return absl::InvalidArgumentError(StrCat(Shown(v), " is not an epoch time"));
    return format == TimeFormat::kEpochMillis ? absl::FromUnixMillis(*n) : absl::FromUnixSeconds(*n);
  }
  if (!v.is_string()) return absl::InvalidArgumentError(StrCat(Shown(v), " is not a time"));
  const std::string text(v.get_string());
  absl::Time t;
  std::string err;
  switch (format) {
    case TimeFormat::kRfc3339:
      if (std::optional<absl::Time> parsed = ParseTime(text)) return *parsed;
      return absl::InvalidArgumentError(
          StrCat(Shown(v), " is not an RFC 3339 time with an offset (2008-01-10T11:00:00-05:00)"));
    case TimeFormat::kRfc2822:
      for (const char* f : {"%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z"}) {
        if (absl::ParseTime(f, text, &t, &err)) return t;
      }
      return absl::InvalidArgumentError(
          StrCat(Shown(v), " is not an RFC 2822 time (Thu, 10 Jan 2008 11:00:00 -0500)"));
    case TimeFormat::kLocal: {
      std::string local = text;
      if (local.size() > 10 && (local[10] == 'T' || local[10] == 't')) local[10] = ' ';
      if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", local, zone, &t, &err)) return t;
      return absl::InvalidArgumentError(
          StrCat(Shown(v), " is not a local time (2020-09-11 19:35:42, fraction optional)"));
    }
    default:
      break;
  }
  return absl::InvalidArgumentError("unknown time format");
}

}  // namespace disthub::mapping
