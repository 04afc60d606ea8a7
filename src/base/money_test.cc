#include "base/money.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::IsOkAndHolds;
using ::disthub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Money Usd(int64_t minor) { return {minor, "USD"}; }

TEST(MinorUnits, KnowsCommonCurrencies) {
  for (const char* code : {"USD", "EUR", "GBP", "CAD", "AUD", "MXN", "CHF", "SEK", "NOK", "DKK",
                           "CNY", "INR", "BRL"}) {
    EXPECT_THAT(MinorUnits(code), IsOkAndHolds(2)) << code;
  }
  for (const char* code : {"JPY", "KRW"}) EXPECT_THAT(MinorUnits(code), IsOkAndHolds(0)) << code;
  for (const char* code : {"KWD", "BHD", "JOD", "OMR", "TND"}) {
    EXPECT_THAT(MinorUnits(code), IsOkAndHolds(3)) << code;
  }
}

TEST(MinorUnits, RejectsUnknownCodes) {
  EXPECT_THAT(MinorUnits("XYZ"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("XYZ")));
  EXPECT_THAT(MinorUnits("usd"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MinorUnits(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsKnownCurrency("US"));
  EXPECT_TRUE(IsKnownCurrency("ZAR"));
}

TEST(Money, AddsAndSubtractsInOneCurrency) {
  EXPECT_THAT(Add(Usd(150), Usd(-50)), IsOkAndHolds(Usd(100)));
  EXPECT_THAT(Sub(Usd(150), Usd(200)), IsOkAndHolds(Usd(-50)));
  EXPECT_THAT(Multiply(Usd(1299), 3), IsOkAndHolds(Usd(3897)));
  EXPECT_THAT(Multiply(Usd(1299), -1), IsOkAndHolds(Usd(-1299)));
}

TEST(Money, RefusesToMixCurrenciesAndNamesBoth) {
  const Money eur{100, "EUR"};
  EXPECT_THAT(Add(Usd(1), eur), StatusIs(absl::StatusCode::kInvalidArgument,
                                         AllOf(HasSubstr("USD"), HasSubstr("EUR"))));
  EXPECT_THAT(Sub(eur, Usd(1)), StatusIs(absl::StatusCode::kInvalidArgument,
                                         AllOf(HasSubstr("USD"), HasSubstr("EUR"))));
}

TEST(Money, ReportsOverflowInsteadOfWrapping) {
  EXPECT_THAT(Add(Usd(kMax), Usd(1)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Sub(Usd(kMin), Usd(1)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Multiply(Usd(kMax / 2 + 1), 2), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Multiply(Usd(kMin), -1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Add(Usd(kMax - 1), Usd(1)), IsOkAndHolds(Usd(kMax)));
}

TEST(ParseDecimal, AcceptsPlainDecimals) {
  EXPECT_THAT(ParseDecimal("12", "USD"), IsOkAndHolds(Usd(1200)));
  EXPECT_THAT(ParseDecimal("12.3", "USD"), IsOkAndHolds(Usd(1230)));
  EXPECT_THAT(ParseDecimal("12.34", "USD"), IsOkAndHolds(Usd(1234)));
  EXPECT_THAT(ParseDecimal("-0.50", "USD"), IsOkAndHolds(Usd(-50)));
  EXPECT_THAT(ParseDecimal("12.3400", "USD"), IsOkAndHolds(Usd(1234)));
  EXPECT_THAT(ParseDecimal("0", "USD"), IsOkAndHolds(Usd(0)));
  EXPECT_THAT(ParseDecimal("1200", "JPY"), IsOkAndHolds(Money{1200, "JPY"}));
  EXPECT_THAT(ParseDecimal("1200.00", "JPY"), IsOkAndHolds(Money{1200, "JPY"}));
  EXPECT_THAT(ParseDecimal("1.234", "KWD"), IsOkAndHolds(Money{1234, "KWD"}));
}

TEST(ParseDecimal, ReachesTheEdgesOfInt64Exactly) {
  EXPECT_THAT(ParseDecimal("92233720368547758.07", "USD"), IsOkAndHolds(Usd(kMax)));
  EXPECT_THAT(ParseDecimal("-92233720368547758.08", "USD"), IsOkAndHolds(Usd(kMin)));
  EXPECT_THAT(ParseDecimal("92233720368547758.08", "USD"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")));
  EXPECT_THAT(ParseDecimal("99999999999999999999999", "JPY"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")));
}

TEST(ParseDecimal, RejectsEverythingButPlainDecimals) {
  for (const char* text : {"", " ", " 12.34", "12.34 ", "1,000", "1e3", "1.2E2", "+12", "--1", "-",
                           "12.", ".5", "1.2.3", "0x10", "12,34", "١٢", "NaN", "inf"}) {
    EXPECT_THAT(ParseDecimal(text, "USD"), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

TEST(ParseDecimal, RejectsMorePrecisionThanTheCurrencyHas) {
  EXPECT_THAT(ParseDecimal("12.345", "USD"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 2 decimal")));
  EXPECT_THAT(ParseDecimal("12.5", "JPY"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDecimal("1.2345", "KWD"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseDecimal, RejectsUnknownCurrency) {
  EXPECT_THAT(ParseDecimal("1.00", "ABC"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ABC")));
}

TEST(FormatDecimal, WritesTheCurrencysDecimals) {
  EXPECT_EQ(FormatDecimal(Usd(1234)), "12.34");
  EXPECT_EQ(FormatDecimal(Usd(-50)), "-0.50");
  EXPECT_EQ(FormatDecimal(Usd(5)), "0.05");
  EXPECT_EQ(FormatDecimal(Usd(0)), "0.00");
  EXPECT_EQ(FormatDecimal({1200, "JPY"}), "1200");
  EXPECT_EQ(FormatDecimal({-7, "KWD"}), "-0.007");
  EXPECT_EQ(FormatDecimal(Usd(kMin)), "-92233720368547758.08");
}

TEST(FormatDecimal, RoundTripsThroughParseDecimal) {
  for (int64_t minor : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{123456}, kMax, kMin}) {
    for (const char* currency : {"USD", "JPY", "KWD"}) {
      const Money m{minor, currency};
      EXPECT_THAT(ParseDecimal(FormatDecimal(m), currency), IsOkAndHolds(m));
    }
  }
}

}  // namespace
}  // namespace disthub
