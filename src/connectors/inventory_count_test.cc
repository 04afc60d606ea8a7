// The stock count reader on counts written here and on the CSVs in ../shared/fixtures
// (skipped without them).
#include "connectors/inventory_count.h"

#include <cstdlib>
#include <filesystem>

#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::connectors {
namespace {

using ::disthub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MATCHER_P2(BadAt, line, reason, "") {
  return arg.line == line && arg.reason.find(reason) != std::string::npos;
}
MATCHER_P4(RowIs, line, sku, location, on_hand, "") {
  return arg.line == line && arg.sku == sku && arg.location == location && arg.on_hand == on_hand;
}

TEST(InventoryCount, ReadsEveryRowWithItsLine) {
  auto c = ReadInventoryCountCsv("sku,location,on_hand\r\nA-1,wh-east,10\r\nA-1,wh-west,0\r\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->rows, ElementsAre(RowIs(2, "A-1", "wh-east", 10), RowIs(3, "A-1", "wh-west", 0)));
  EXPECT_TRUE(c->bad.empty());
}

TEST(InventoryCount, ColumnsAreFoundByConfiguredNameInAnyOrderAndCase) {
  InventoryCountCsv o{.delimiter = ';',
                      .columns = {.sku = "Item", .location = "Warehouse", .on_hand = "Qty"}};
  auto c = ReadInventoryCountCsv("QTY;note;warehouse;ITEM\n5;\"a;b\";wh-1;X\n7.0;;wh-2;Y\n", o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->rows, ElementsAre(RowIs(2, "X", "wh-1", 5), RowIs(3, "Y", "wh-2", 7)));
}

TEST(InventoryCount, AFileWithoutLocationsCountsTheConfiguredOne) {
  auto c = ReadInventoryCountCsv("sku,on_hand\nA,1\n", {.location = "wh-east"});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->rows, ElementsAre(RowIs(2, "A", "wh-east", 1)));
}

TEST(InventoryCount, EveryBadRowIsReportedByLineAndTheGoodOnesStillRead) {
  auto c = ReadInventoryCountCsv(
      "sku,location,on_hand\n"
      "A,wh,1\n"
      "B,wh,ten\n"
      ",wh,3\n"
      "C,,3\n"
      "D,wh,-2\n"
      "E,wh,1.5\n"
      "F,wh\n"
      "A,wh,4\n"
      "G,wh\"x,1\n"
      "H,wh,2\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->rows, ElementsAre(RowIs(2, "A", "wh", 1), RowIs(11, "H", "wh", 2)));
  EXPECT_THAT(c->bad, ElementsAre(BadAt(3, "on_hand \"ten\" is not a whole, non-negative number"),
                                  BadAt(4, "sku is empty"), BadAt(5, "location is empty"),
                                  BadAt(6, "on_hand \"-2\""), BadAt(7, "on_hand \"1.5\""),
                                  BadAt(8, "2 fields where the header has 3"),
                                  BadAt(9, "A at wh is counted twice (first on line 2)"),
                                  BadAt(10, "a quote inside unquoted field 1")));
}

TEST(InventoryCount, AFileThatCannotBeReadAtAllSaysWhy) {
  EXPECT_THAT(ReadInventoryCountCsv(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the file is empty")));
  EXPECT_THAT(ReadInventoryCountCsv("sku,location,on_hand\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
  EXPECT_THAT(ReadInventoryCountCsv("sku,warehouse,qty\nA,w,1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1: the header has no column \"on_hand\"; it has: sku, "
                                 "warehouse, qty")));
}

std::string FixturesDir() {
  const char* dir = std::getenv("DISTHUB_FIXTURES");
  return dir != nullptr ? dir : std::string(DISTHUB_DEFAULT_SOURCE_DIR) + "/../shared/fixtures";
}

// The inventory CSVs the fixtures hold: the Shopify-style feed is a count of one location
// (SKU and Quantity columns); the Fivetran inventory_level export has no quantity at all.
TEST(InventoryCountFixtures, TheShopifyStyleFeedIsACountAndTheFivetranLevelsAreRefused) {
  if (!std::filesystem::exists(FixturesDir())) {
    GTEST_SKIP() << "no fixtures at " << FixturesDir() << " (../shared is absent in this clone)";
  }
  auto feed = ReadFile(FixturesDir() + "/shopify/stedi_inventory_feed_shopify_style.csv");
  ASSERT_TRUE(feed.ok());
  auto c = ReadInventoryCountCsv(
      *feed, {.columns = {.sku = "SKU", .on_hand = "Quantity"}, .location = "wh-east"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->bad.empty());
  ASSERT_EQ(c->rows.size(), 4u);
  EXPECT_THAT(c->rows[0], RowIs(2, "ACM/8900-100", "wh-east", 10));
  EXPECT_THAT(c->rows[1], RowIs(3, "ACM/8900-250", "wh-east", 47));

  auto levels = ReadFile(FixturesDir() + "/datasets/fivetran_shopify_inventory_level_data.csv");
  ASSERT_TRUE(levels.ok());
  EXPECT_THAT(ReadInventoryCountCsv(*levels, {.columns = {.sku = "inventory_item_id",
                                                          .location = "location_id",
                                                          .on_hand = "available"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the header has no column \"available\"")));
}

}  // namespace
}  // namespace disthub::connectors
