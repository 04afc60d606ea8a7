// GoogleTest matchers for absl::Status / absl::StatusOr, which Debian's abseil lacks.
//
//   EXPECT_THAT(store.GetOrder("x"), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(ParseOrder(body), IsOkAndHolds(Field(&Order::channel, "b2b-portal")));
//   ASSERT_OK(store.Migrate());
//   ASSERT_OK_AND_ASSIGN(auto order, ParseOrder(body));
#pragma once

#include <ostream>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

MATCHER_P(IsOkAndHolds, value_matcher,
          "is OK and holds a value that " +
              ::testing::DescribeMatcher<typename std::remove_cvref_t<arg_type>::value_type>(
                  value_matcher)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace disthub::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::disthub::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::disthub::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                          \
  ASSERT_OK_AND_ASSIGN_IMPL_(DISTHUB_CONCAT_(disthub_test_statusor_, __LINE__), \
                             lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status();           \
  lhs = std::move(tmp).value()
