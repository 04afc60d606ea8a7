#include "base/money.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "base/strings.h"

namespace disthub {
namespace {

struct CurrencyInfo {
  std::string_view code;
  int minor_units;
};

// Sorted by code for binary search.
constexpr std::array<CurrencyInfo, 60> kCurrencies = {{
    {"AED", 2}, {"ARS", 2}, {"AUD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BRL", 2}, {"CAD", 2},
    {"CHF", 2}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CZK", 2}, {"DKK", 2}, {"EGP", 2}, {"EUR", 2},
    {"GBP", 2}, {"HKD", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"ISK", 0},
    {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KRW", 0}, {"KWD", 3}, {"LYD", 3}, {"MAD", 2}, {"MXN", 2},
    {"MYR", 2}, {"NGN", 2}, {"NOK", 2}, {"NZD", 2}, {"OMR", 3}, {"PEN", 2}, {"PHP", 2}, {"PKR", 2},
    {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"SAR", 2}, {"SEK", 2}, {"SGD", 2},
    {"THB", 2}, {"TND", 3}, {"TRY", 2}, {"TWD", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"UYU", 2},
    {"VND", 0}, {"XAF", 0}, {"XOF", 0}, {"ZAR", 2},
}};

static_assert(std::is_sorted(kCurrencies.begin(), kCurrencies.end(),
                             [](const CurrencyInfo& a, const CurrencyInfo& b) {
                               return a.code < b.code;
                             }));
static_assert(std::all_of(kCurrencies.begin(), kCurrencies.end(),
                          [](const CurrencyInfo& c) { return c.code.size() == 3; }));

// A three-byte code as one integer that sorts like the text: "USD" is 'U' << 16 | 'S' << 8 | 'D'.
// REQUIRES: code.size() == 3.
constexpr uint32_t PackCode(std::string_view code) {
  return uint32_t{static_cast<unsigned char>(code[0])} << 16 |
         uint32_t{static_cast<unsigned char>(code[1])} << 8 |
         uint32_t{static_cast<unsigned char>(code[2])};
}

// The codes of kCurrencies, packed, in the same order: a search compares integers, not text.
constexpr std::array<uint32_t, kCurrencies.size()> kPackedCodes = [] {
  std::array<uint32_t, kCurrencies.size()> packed{};
  for (size_t i = 0; i < kCurrencies.size(); ++i) packed[i] = PackCode(kCurrencies[i].code);
  return packed;
}();

static_assert(std::is_sorted(kPackedCodes.begin(), kPackedCodes.end()));

// Called for every amount of every order decoded, so it is a binary search over integers
// written without branches on the comparisons (they become conditional moves): six steps, no
// text comparison and no mispredicted jumps.
const CurrencyInfo* FindCurrency(std::string_view code) {
  if (code.size() != 3) return nullptr;
  const uint32_t key = PackCode(code);
  // Invariant: the first code >= key is at base or within the next n - 1 places.
  const uint32_t* base = kPackedCodes.data();
  for (size_t n = kPackedCodes.size(); n > 1; n -= n / 2) {
    base = base[n / 2] < key ? base + n / 2 : base;
  }
  const size_t i = static_cast<size_t>(base - kPackedCodes.data()) + (*base < key ? 1 : 0);
  if (i == kPackedCodes.size() || kPackedCodes[i] != key) return nullptr;
  return &kCurrencies[i];
}

absl::Status CheckSameCurrency(const Money& a, const Money& b, std::string_view op) {
  if (a.currency == b.currency) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat("cannot ", op, " ", a.currency, " and ", b.currency, ": currencies differ"));
}

absl::Status Overflow(const Money& a, std::string_view op) {
  return absl::InvalidArgumentError(
      StrCat(a.currency, " amount overflows in ", op, " (beyond int64 minor units)"));
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

absl::StatusOr<int> MinorUnits(std::string_view code) {
  if (const CurrencyInfo* c = FindCurrency(code)) return c->minor_units;
  return absl::InvalidArgumentError(StrCat("unknown ISO 4217 currency code \"", code, "\""));
}

bool IsKnownCurrency(std::string_view code) { return FindCurrency(code) != nullptr; }

absl::StatusOr<Money> Add(const Money& a, const Money& b) {
  if (absl::Status s = CheckSameCurrency(a, b, "add"); !s.ok()) return s;
  Money out{0, a.currency};
  if (__builtin_add_overflow(a.minor, b.minor, &out.minor)) return Overflow(a, "addition");
  return out;
}

absl::StatusOr<Money> Sub(const Money& a, const Money& b) {
  if (absl::Status s = CheckSameCurrency(a, b, "subtract"); !s.ok()) return s;
  Money out{0, a.currency};
  if (__builtin_sub_overflow(a.minor, b.minor, &out.minor)) return Overflow(a, "subtraction");
  return out;
}

absl::StatusOr<Money> Multiply(const Money& m, int64_t factor) {
  Money out{0, m.currency};
  if (__builtin_mul_overflow(m.minor, factor, &out.minor)) return Overflow(m, "multiplication");
  return out;
}

absl::StatusOr<Money> ParseDecimal(std::string_view text, std::string_view currency) {
  absl::StatusOr<int> exponent = MinorUnits(currency);
  if (!exponent.ok()) return exponent.status();
  auto malformed = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("amount \"", text, "\" ", why));
  };

  std::string_view rest = text;
  const bool negative = !rest.empty() && rest.front() == '-';
  if (negative) rest.remove_prefix(1);
  const size_t dot = rest.find('.');
  std::string_view whole = rest.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
  if (!IsDigits(whole) || (dot != std::string_view::npos && !IsDigits(fraction))) {
    return malformed("is not a plain decimal number like 12.34");
  }
  const size_t places = static_cast<size_t>(*exponent);
  while (fraction.size() > places && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > places) {
    return malformed(StrCat("has more than ", places, " decimal places for ", currency));
  }

  // Accumulate the magnitude in minor units: the whole digits, then the fraction padded
  // with zeros to the currency's number of places.
  const uint64_t limit = negative ? uint64_t{1} << 63 : std::numeric_limits<int64_t>::max();
  uint64_t magnitude = 0;
  auto push = [&](char digit) {
    const uint64_t d = static_cast<uint64_t>(digit - '0');
    if (magnitude > (limit - d) / 10) return false;
    magnitude = magnitude * 10 + d;
    return true;
  };
  bool fits = true;
  for (char c : whole) fits = fits && push(c);
  for (size_t i = 0; i < places; ++i) fits = fits && push(i < fraction.size() ? fraction[i] : '0');
  if (!fits) return malformed("is too large");

  Money out{0, std::string(currency)};
  out.minor = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return out;
}

std::string FormatDecimal(const Money& m) {
  const CurrencyInfo* info = FindCurrency(m.currency);
  const size_t places = info != nullptr ? static_cast<size_t>(info->minor_units) : 2;
  const uint64_t magnitude =
      m.minor < 0 ? 0 - static_cast<uint64_t>(m.minor) : static_cast<uint64_t>(m.minor);
  std::string digits = StrCat(magnitude);
  if (digits.size() <= places) digits.insert(0, places + 1 - digits.size(), '0');
  if (places > 0) digits.insert(digits.size() - places, 1, '.');
  if (m.minor < 0) digits.insert(0, 1, '-');
  return digits;
}

std::ostream& operator<<(std::ostream& os, const Money& m) {
  return os << FormatDecimal(m) << ' ' << m.currency;
}

}  // namespace disthub
