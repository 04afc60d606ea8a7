#include "model/entities.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/test_entities.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::IsOkAndHolds;
using ::disthub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Uom, ConvertsToAndFromEaches) {
  const Product product = test::FullProduct();  // case = 12, pallet = 480
  EXPECT_THAT(ToEaches(product, 3, "case"), IsOkAndHolds(36));
  EXPECT_THAT(ToEaches(product, 2, "pallet"), IsOkAndHolds(960));
  EXPECT_THAT(ToEaches(product, 7, "each"), IsOkAndHolds(7));
  EXPECT_THAT(ToEaches(product, -2, "case"), IsOkAndHolds(-24));
  EXPECT_THAT(FromEaches(product, 36, "case"), IsOkAndHolds(3));
  EXPECT_THAT(FromEaches(product, 5, "each"), IsOkAndHolds(5));
}

TEST(Uom, UnknownUnitNamesTheUnitAndTheSku) {
  EXPECT_THAT(ToEaches(test::FullProduct(), 1, "crate"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("crate"), HasSubstr("GAD-220"))));
  EXPECT_THAT(FromEaches(test::FullProduct(), 12, "crate"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("crate")));
}

TEST(Uom, RefusesOverflowAndPartialUnits) {
  EXPECT_THAT(ToEaches(test::FullProduct(), kMax / 12 + 1, "case"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("overflows")));
  EXPECT_THAT(FromEaches(test::FullProduct(), 13, "case"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a whole number")));
}

TEST(Atp, IsOnHandLessReservedAndSafetyStockNeverBelowZero) {
  InventoryPosition p = test::FullInventoryPosition();  // 120 on hand, 30 reserved, 10 safety
  EXPECT_EQ(Atp(p), 80);
  p.reserved = 115;
  EXPECT_EQ(Atp(p), 0);
  p.on_hand = -5;
  EXPECT_EQ(Atp(p), 0);
  p = {.on_hand = std::numeric_limits<int64_t>::min(), .reserved = kMax};
  EXPECT_EQ(Atp(p), 0);
}

TEST(Enums, HaveSnakeCaseNames) {
  EXPECT_EQ(EnumName(ServiceLevel::kNextDay), "next_day");
  EXPECT_EQ(EnumName(OrderStatus::kPartiallyShipped), "partially_shipped");
  EXPECT_EQ(EnumName(OrderStatus::kRejected), "rejected");
  EXPECT_EQ(EnumFromName<PaymentState>("on_terms"), PaymentState::kOnTerms);
  EXPECT_EQ(EnumFromName<PaymentState>("On_Terms"), std::nullopt);
  EXPECT_EQ(EnumFromName<FulfillmentStatus>("rerouted"), FulfillmentStatus::kRerouted);
  EXPECT_EQ(EnumFromName<ReturnStatus>("credited"), ReturnStatus::kCredited);
}

}  // namespace
}  // namespace disthub
