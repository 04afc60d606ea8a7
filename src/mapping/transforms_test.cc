#include "mapping/transforms.h"

#include <boost/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::mapping {
namespace {

namespace json = boost::json;
using ::disthub::testing::IsOkAndHolds;
using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

json::value J(std::string_view text) { return json::parse(text); }

TEST(Transforms, IdsKeepTheirExactTextAbove2To53) {
  EXPECT_THAT(ScalarText(J("9007199254740993"), "an id"), IsOkAndHolds("9007199254740993"));
  EXPECT_THAT(ScalarText(J("18446744073709551615"), "an id"), IsOkAndHolds("18446744073709551615"));
  EXPECT_THAT(ScalarText(J("\"#1001\""), "an id"), IsOkAndHolds("#1001"));
  EXPECT_THAT(ScalarText(J("4.5e15"), "an id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("as strings or integers")));
  EXPECT_THAT(ScalarText(J("{}"), "an id"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Transforms, CountsComeAsNumbersOrStrings) {
  EXPECT_THAT(Integer(J("3")), IsOkAndHolds(3));
  EXPECT_THAT(Integer(J("3.0")), IsOkAndHolds(3));
  EXPECT_THAT(Integer(J("\"12\"")), IsOkAndHolds(12));
  EXPECT_THAT(Integer(J("\"-2\"")), IsOkAndHolds(-2));
  for (const char* bad : {"3.5", "\"3.0\"", "\" 3\"", "\"\"", "true", "\"1e3\""}) {
    EXPECT_THAT(Integer(J(bad)), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whole number")))
        << bad;
  }
}

TEST(Transforms, MoneyAsStringsNumbersAndFourDecimalStrings) {
  EXPECT_THAT(MoneyMinor(J("\"199.00\""), "USD"), IsOkAndHolds(19900));
  EXPECT_THAT(MoneyMinor(J("\"12.3400\""), "USD"), IsOkAndHolds(1234));
  EXPECT_THAT(MoneyMinor(J("12.99"), "USD"), IsOkAndHolds(1299));
  EXPECT_THAT(MoneyMinor(J("0.1"), "USD"), IsOkAndHolds(10));
  EXPECT_THAT(MoneyMinor(J("25"), "USD"), IsOkAndHolds(2500));
  EXPECT_THAT(MoneyMinor(J("\"1500\""), "JPY"), IsOkAndHolds(1500));
  EXPECT_THAT(MoneyMinor(J("1.234"), "KWD"), IsOkAndHolds(1234));
  EXPECT_THAT(MoneyMinor(J("\"12.345\""), "USD"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MoneyMinor(J("12.345"), "USD"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more decimals than USD")));
  EXPECT_THAT(MoneyMinor(J("\"12,50\""), "EUR"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MoneyMinor(J("\"1.00\""), "XYZ"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a known currency")));
  EXPECT_THAT(MoneyMinor(J("null"), "USD"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Transforms, BooleansSentAsStrings) {
  EXPECT_THAT(Boolean(J("true")), IsOkAndHolds(true));
  EXPECT_THAT(Boolean(J("\"FALSE\"")), IsOkAndHolds(false));
  EXPECT_THAT(Boolean(J("\"1\"")), IsOkAndHolds(true));
  EXPECT_THAT(Boolean(J("0")), IsOkAndHolds(false));
  EXPECT_THAT(Boolean(J("\"maybe\"")), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Transforms, TimesInEveryFormTheFixturesUse) {
  const absl::Time expected = absl::FromUnixSeconds(1199980800);  // 2008-01-10T16:00:00Z
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_THAT(Time(J("\"2008-01-10T11:00:00-05:00\""), TimeFormat::kRfc3339, utc), IsOkAndHolds(expected));
  EXPECT_THAT(Time(J("\"Thu, 10 Jan 2008 11:00:00 -0500\""), TimeFormat::kRfc2822, utc),
              IsOkAndHolds(expected));
  EXPECT_THAT(Time(J("1199980800000"), TimeFormat::kEpochMillis, utc), IsOkAndHolds(expected));
  EXPECT_THAT(Time(J("\"1199980800\""), TimeFormat::kEpochSeconds, utc), IsOkAndHolds(expected));
  absl::TimeZone new_york;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &new_york));
  EXPECT_THAT(Time(J("\"2008-01-10 11:00:00.000\""), TimeFormat::kLocal, new_york), IsOkAndHolds(expected));
  EXPECT_THAT(Time(J("\"2008-01-10T11:00:00\""), TimeFormat::kLocal, new_york), IsOkAndHolds(expected));
  EXPECT_THAT(Time(J("\"2008-01-10T11:00:00\""), TimeFormat::kRfc3339, utc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("with an offset")));
  EXPECT_THAT(ParseTimeFormat("iso"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rfc2822")));
}

}  // namespace
}  // namespace disthub::mapping
