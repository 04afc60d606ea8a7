#include "base/status_macros.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  DISTHUB_ASSIGN_OR_RETURN(int h, Half(n));
  DISTHUB_ASSIGN_OR_RETURN(int q, Half(h), "second half");
  return q;
}

absl::Status Check(int n) {
  DISTHUB_RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(StatusMacros, AssignOrReturnPassesValuesThrough) { EXPECT_EQ(*Quarter(8), 2); }

TEST(StatusMacros, AssignOrReturnPropagatesTheCode) {
  EXPECT_THAT(Quarter(3), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
}

TEST(StatusMacros, AssignOrReturnAddsContext) {
  EXPECT_THAT(Quarter(6),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("second half: odd")));
}

TEST(StatusMacros, ReturnIfErrorStopsAtTheFirstError) {
  EXPECT_THAT(Check(1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(Check(2).ok());
}

}  // namespace
}  // namespace disthub
