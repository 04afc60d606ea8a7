// The value transforms of declarative mappings (mapping.h): partner values as the
// fixtures send them, turned into the canonical model's JSON. Each takes one JSON value
// and returns the canonical value, or the problem in words ("\"12,50\" is not a decimal
// amount"). Pure and thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace disthub::mapping {

// Text of a scalar: a string as is, an integer as its exact decimal text (ids above 2^53
// survive), a boolean "true"/"false". Numbers with a fraction and other types are errors:
// kind names what the rule wanted ("an id").
absl::StatusOr<std::string> ScalarText(const boost::json::value& v, std::string_view kind);

// An exact integer from a JSON integer, an integral double below 2^53, or a decimal string
// ("5", " 5 " is refused). Counts and quantities sent as strings.
absl::StatusOr<int64_t> Integer(const boost::json::value& v);

// Minor units of `currency` from an amount sent as a string ("12.5", "12.3400"), a JSON
// integer (whole units) or a JSON number (12.99, exact to the currency's decimals).
absl::StatusOr<int64_t> MoneyMinor(const boost::json::value& v, std::string_view currency);

// true/false, "true"/"false" (any case), "1"/"0", "yes"/"no", 1/0.
absl::StatusOr<bool> Boolean(const boost::json::value& v);

// How a partner writes times.
enum class TimeFormat {
  kRfc3339,      // "2008-01-10T11:00:00-05:00" (offset or Z required)
  kRfc2822,      // "Thu, 10 Jan 2008 11:00:00 -0500"
  kEpochMillis,  // 1199980800000 (number or string)
  kEpochSeconds,  // 1199980800
  kLocal,        // "2020-09-11 19:35:42.000" or "2020-09-11T19:35:42", in a configured zone
};

// kInvalidArgument for an unknown name; names: rfc3339, rfc2822, epoch_ms, epoch_s, local.
absl::StatusOr<TimeFormat> ParseTimeFormat(std::string_view name);

// The time `v` names in `format`; `zone` is used by kLocal only.
absl::StatusOr<absl::Time> Time(const boost::json::value& v, TimeFormat format,
                                const absl::TimeZone& zone);

}  // namespace disthub::mapping
