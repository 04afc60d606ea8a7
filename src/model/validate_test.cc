#include "model/validate.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "model/test_entities.h"

namespace disthub {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::StartsWith;

::testing::Matcher<FieldError> ErrorAt(std::string pointer,
                                       ::testing::Matcher<std::string> detail) {
  return AllOf(Field(&FieldError::pointer, pointer), Field(&FieldError::detail, detail));
}

Order RealisticOrder() {
  Decoded<Order> decoded = DecodeOrderText(test::kRealisticOrderJson);
  EXPECT_THAT(decoded.errors, IsEmpty());
  return *decoded.value;
}

TEST(ValidateOrder, AcceptsConsistentOrders) {
  EXPECT_THAT(ValidateOrder(RealisticOrder()), IsEmpty());
  EXPECT_THAT(ValidateOrder(test::FullOrder()), IsEmpty());
}

TEST(ValidateOrder, TotalsMismatchSaysExpectedAndGot) {
  Order order = RealisticOrder();
  order.totals.subtotal.minor += 1;     // 645.11 instead of 645.10
  order.totals.grand_total.minor += 1;  // keeps grand_total consistent with the totals sent
  order.totals.tax.minor = 5000;
  EXPECT_THAT(
      ValidateOrder(order),
      ElementsAre(ErrorAt("#/totals/subtotal",
                          "expected 645.10 (the sum of quantity * unit_price), got 645.11"),
                  ErrorAt("#/totals/tax", "expected 51.21 (the sum of the lines' tax), got 50.00"),
                  ErrorAt("#/totals/grand_total",
                          "expected 705.06 (subtotal - discount + tax + shipping), got 706.27")));
}

TEST(ValidateOrder, DiscountTotalIsTheSumOfLineDiscounts) {
  Order order = RealisticOrder();
  order.lines[3].discounts.push_back({.code = "X", .amount = test::Usd(100)});
  EXPECT_THAT(ValidateOrder(order),
              ElementsAre(ErrorAt("#/totals/discount",
                                  "expected 16.00 (the sum of the lines' discounts), got 15.00")));
}

TEST(ValidateOrder, EveryAmountMustBeInTheOrderCurrency) {
  Order order = RealisticOrder();
  order.lines[2].tax.currency = "EUR";
  order.totals.shipping.currency = "CAD";
  EXPECT_THAT(
      ValidateOrder(order),
      ElementsAre(ErrorAt("#/lines/2/tax/currency", "is EUR but the order's currency is USD"),
                  ErrorAt("#/totals/shipping/currency", "is CAD but the order's currency is USD")));
}

TEST(ValidateOrder, LineNumbersAreUnique) {
  Order order = RealisticOrder();
  order.lines[3].line_no = 2;
  order.lines[4].line_no = 2;
  EXPECT_THAT(ValidateOrder(order),
              ElementsAre(ErrorAt("#/lines/3/line_no", "repeats line_no 2 of #/lines/1"),
                          ErrorAt("#/lines/4/line_no", "repeats line_no 2 of #/lines/1")));
}

TEST(ValidateOrder, AppliesTheFieldRulesToOrdersBuiltInCode) {
  Order order = RealisticOrder();
  order.lines[0].quantity = 0;
  order.lines[0].unit_price.minor = 0;  // keeps the totals consistent
  order.totals.subtotal.minor -= 12 * 1299;
  order.totals.grand_total.minor -= 12 * 1299;
  order.ship_to.country = "us";
  order.channel.clear();
  EXPECT_THAT(ValidateOrder(order),
              ElementsAre(ErrorAt("#/channel", "must not be empty"),
                          ErrorAt("#/ship_to/country", StartsWith("must be an ISO 3166-1")),
                          ErrorAt("#/lines/0/quantity", "must be at least 1")));
  order.lines.clear();
  EXPECT_THAT(ValidateOrder(order),
              testing::Contains(ErrorAt("#/lines", "must have at least 1 item")));
}

TEST(ValidateOrder, UnknownOrderCurrencyIsOneError) {
  Order order = RealisticOrder();
  order.currency = "XXX";
  EXPECT_THAT(ValidateOrder(order),
              ElementsAre(ErrorAt("#/currency", "is not a known ISO 4217 currency code: XXX")));
}

TEST(ValidateOrder, OverflowIsAnErrorNotAWrap) {
  Order order = RealisticOrder();
  order.lines[1].quantity = std::numeric_limits<int64_t>::max() / 100;
  EXPECT_THAT(ValidateOrder(order),
              ElementsAre(ErrorAt("#/lines/1", StartsWith("amounts overflow"))));

  order = RealisticOrder();
  order.totals.shipping.minor = std::numeric_limits<int64_t>::max();
  EXPECT_THAT(ValidateOrder(order),
              ElementsAre(ErrorAt("#/totals/grand_total", StartsWith("cannot be computed"))));
}

TEST(CheckFieldRules, WorksForEveryEntity) {
  EXPECT_THAT(CheckFieldRules(test::FullShipment()), IsEmpty());
  Product product = test::FullProduct();
  product.uoms[1].each_per = 0;
  product.sku.clear();
  EXPECT_THAT(CheckFieldRules(product),
              ElementsAre(ErrorAt("#/sku", "must not be empty"),
                          ErrorAt("#/uoms/1/each_per", "must be at least 1")));
}

}  // namespace
}  // namespace disthub
