// Money as an exact count of a currency's minor units (cents, yen, fils): never floating point.
//
//   DISTHUB_ASSIGN_OR_RETURN(Money price, ParseDecimal("12.99", "USD"));   // {1299, "USD"}
//   DISTHUB_ASSIGN_OR_RETURN(Money line, Multiply(price, 3));              // {3897, "USD"}
//   FormatDecimal(line);                                                   // "38.97"
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace disthub {

// The number of decimal digits of `code`'s minor unit per ISO 4217: 2 for USD, 0 for JPY,
// 3 for KWD. InvalidArgument if `code` is not in the built-in table of about sixty common
// currencies (see money.cc).
absl::StatusOr<int> MinorUnits(std::string_view code);

// True if MinorUnits(code) would succeed.
bool IsKnownCurrency(std::string_view code);

struct Money {
  int64_t minor = 0;  // amount in minor units: {1299, "USD"} is 12.99 USD, {1299, "JPY"} 1299 yen
  std::string currency;  // ISO 4217 code, e.g. "USD"

  friend bool operator==(const Money&, const Money&) = default;
};

// Checked arithmetic. InvalidArgument if the currencies differ (the message names both) or
// if the result does not fit in int64.
absl::StatusOr<Money> Add(const Money& a, const Money& b);
absl::StatusOr<Money> Sub(const Money& a, const Money& b);
absl::StatusOr<Money> Multiply(const Money& m, int64_t factor);

// Parses a plain decimal amount in `currency`: "12", "12.3", "12.34", "-0.50", "12.3400".
// InvalidArgument for an unknown currency, blanks, signs other than a leading '-', exponents,
// digit grouping ("1,000"), a lone '.' side ("12.", ".5"), more decimals than the currency
// has unless the extra ones are zeros ("12.345" USD), and amounts beyond int64 minor units.
absl::StatusOr<Money> ParseDecimal(std::string_view text, std::string_view currency);

// The exact decimal text of `m` with the currency's number of decimals: "12.34", "-0.50",
// "1200" (JPY). A currency missing from the table is formatted with 2 decimals.
std::string FormatDecimal(const Money& m);

// "12.34 USD", for logs and test failure messages.
std::ostream& operator<<(std::ostream& os, const Money& m);

}  // namespace disthub
