#include "orchestration/catalog.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestration/order_checks.h"
#include "status_matchers.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr std::string_view kCsv =
    "sku,description,case_qty,weight_grams\n"
    "HS-10001,Nitrile gloves L,12,450\n"
    "HS-10002,Copy paper A4,1,2500\r\n";

TEST(Catalog, ReadsProductsWithTheirCaseSizes) {
  ASSERT_OK_AND_ASSIGN(Catalog c, Catalog::ParseCsv(kCsv, "products.csv"));
  EXPECT_EQ(c.size(), 2u);
  const Product* gloves = c.Find("HS-10001");
  ASSERT_NE(gloves, nullptr);
  EXPECT_THAT(ToEaches(*gloves, 2, "case"), ::disthub::testing::IsOkAndHolds(24));
  const Product* paper = c.Find("HS-10002");
  ASSERT_NE(paper, nullptr);
  EXPECT_THAT(ToEaches(*paper, 1, "case"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(c.Find("HS-99999"), nullptr);
}

TEST(Catalog, NamesTheLineOfABadRow) {
  EXPECT_THAT(Catalog::ParseCsv("sku,description,case_qty,weight_grams\nA,x,0,1\n", "p.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.csv:2: case_qty")));
  EXPECT_THAT(Catalog::ParseCsv("sku,name\n", "p.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.csv:1: the header")));
  EXPECT_THAT(Catalog::ParseCsv("sku,description,case_qty,weight_grams\nA,x,1,1\nA,y,1,1\n", "p.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.csv:3: sku A appears twice")));
}

TEST(OrderChecks, PointsAtUnknownChannelsCurrenciesSkusAndUnits) {
  ASSERT_OK_AND_ASSIGN(Catalog c, Catalog::ParseCsv(kCsv, "products.csv"));
  OrderChecks checks({{"b2b-portal", {"USD"}}}, &c);
  Order o;
  o.channel = "b2b-portal";
  o.currency = "USD";
  o.lines = {OrderLine{.line_no = 1, .sku = "HS-10001", .quantity = 1, .uom = "case"}};
  EXPECT_TRUE(checks.Check(o).empty());

  o.currency = "EUR";
  o.lines.push_back(OrderLine{.line_no = 2, .sku = "NOPE", .quantity = 1});
  o.lines.push_back(OrderLine{.line_no = 3, .sku = "HS-10002", .quantity = 1, .uom = "pallet"});
  EXPECT_THAT(checks.Check(o), ElementsAre(Field(&FieldError::pointer, "#/currency"),
                                           Field(&FieldError::pointer, "#/lines/1/sku"),
                                           Field(&FieldError::pointer, "#/lines/2/uom")));
  o.channel = "fax";
  EXPECT_THAT(checks.Check(o), ::testing::Contains(Field(&FieldError::pointer, "#/channel")));
}

}  // namespace
}  // namespace disthub
