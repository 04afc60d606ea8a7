#include "orchestration/sourcing.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::orchestration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Stock the channel may take: (sku, location) → units.
struct Stock {
  std::map<std::pair<std::string, std::string>, int64_t> at;
  std::map<std::string, int64_t> cap;  // channel share per SKU; absent: the sum

  SourcingPlan Plan(const std::vector<SourcingLine>& lines, const std::vector<std::string>& ranked,
                    SourcingPolicy policy) const {
    return PlanSourcing(
        lines, ranked, policy,
        [&](const std::string& sku, const std::string& loc) {
          auto it = at.find({sku, loc});
          return it == at.end() ? int64_t{0} : it->second;
        },
        [&](const std::string& sku) {
          if (auto c = cap.find(sku); c != cap.end()) return c->second;
          int64_t sum = 0;
          for (const auto& [k, n] : at) {
            if (k.first == sku) sum += n;
          }
          return sum;
        });
  }
};

const std::vector<std::string> kRanked = {"east", "west", "3pl"};

TEST(Sourcing, ShipsCompleteFromTheFirstLocationThatHasEverything) {
  Stock s{.at = {{{"A", "east"}, 5}, {{"A", "west"}, 9}, {{"B", "west"}, 9}}};
  SourcingPlan p = s.Plan({{1, "A", 3}, {2, "B", 2}}, kRanked, {});
  ASSERT_TRUE(p.complete);
  EXPECT_THAT(p.allocations,
              ElementsAre(Allocation{1, "A", "west", 3}, Allocation{2, "B", "west", 2}));
}

TEST(Sourcing, PreferredShipCompleteFallsBackToOneLocationPerLine) {
  Stock s{.at = {{{"A", "east"}, 5}, {{"B", "west"}, 9}}};
  SourcingPlan p =
      s.Plan({{1, "A", 3}, {2, "B", 2}}, kRanked, {.ship_complete = ShipComplete::kPreferred});
  ASSERT_TRUE(p.complete);
  EXPECT_THAT(p.allocations,
              ElementsAre(Allocation{1, "A", "east", 3}, Allocation{2, "B", "west", 2}));
}

TEST(Sourcing, RequiredShipCompleteBackordersRatherThanSplit) {
  Stock s{.at = {{{"A", "east"}, 5}, {{"B", "west"}, 9}}};
  SourcingPlan p =
      s.Plan({{1, "A", 3}, {2, "B", 2}}, kRanked, {.ship_complete = ShipComplete::kRequired});
  EXPECT_FALSE(p.complete);
  EXPECT_TRUE(p.allocations.empty());
  EXPECT_THAT(p.short_lines, ElementsAre(1, 2));
  EXPECT_THAT(p.reason, HasSubstr("ship-complete"));
}

TEST(Sourcing, ALineSplitsOnlyWhereTheChannelAllowsIt) {
  Stock s{.at = {{{"A", "east"}, 2}, {{"A", "west"}, 2}}};
  SourcingPlan whole = s.Plan({{1, "A", 3}}, kRanked, {.ship_complete = ShipComplete::kNo});
  EXPECT_FALSE(whole.complete);
  EXPECT_THAT(whole.short_lines, ElementsAre(1));
  EXPECT_THAT(whole.reason, HasSubstr("line 1"));
  SourcingPlan split =
      s.Plan({{1, "A", 3}}, kRanked, {.ship_complete = ShipComplete::kNo, .split_lines = true});
  ASSERT_TRUE(split.complete);
  EXPECT_THAT(split.allocations,
              ElementsAre(Allocation{1, "A", "east", 2}, Allocation{1, "A", "west", 1}));
}

TEST(Sourcing, TwoLinesOfOneSkuNeverCountTheSameUnits) {
  Stock s{.at = {{{"A", "east"}, 4}, {{"A", "west"}, 4}}};
  // 3 + 3 do not fit in east's 4: the second line goes west.
  SourcingPlan p =
      s.Plan({{1, "A", 3}, {2, "A", 3}}, kRanked, {.ship_complete = ShipComplete::kPreferred});
  ASSERT_TRUE(p.complete);
  EXPECT_THAT(p.allocations,
              ElementsAre(Allocation{1, "A", "east", 3}, Allocation{2, "A", "west", 3}));
  // And the channel's share caps them together.
  Stock capped = s;
  capped.cap["A"] = 5;
  SourcingPlan q =
      capped.Plan({{1, "A", 3}, {2, "A", 3}}, kRanked, {.ship_complete = ShipComplete::kPreferred});
  EXPECT_FALSE(q.complete);
  EXPECT_THAT(q.short_lines, ElementsAre(2));
}

TEST(Sourcing, PrefersALocationAlreadyShippingPartOfTheOrder) {
  Stock s{.at = {{{"A", "west"}, 5}, {{"B", "east"}, 5}, {{"B", "west"}, 5}, {{"C", "east"}, 1}}};
  // No single location has A, B and C; A must come from west, and B follows it there.
  SourcingPlan p = s.Plan({{1, "A", 1}, {2, "B", 1}, {3, "C", 1}}, kRanked, {});
  ASSERT_TRUE(p.complete);
  EXPECT_THAT(p.allocations,
              ElementsAre(Allocation{1, "A", "west", 1}, Allocation{2, "B", "west", 1},
                          Allocation{3, "C", "east", 1}));
}

TEST(Sourcing, RanksTheLocationsServingTheShipToRegionFirst) {
  std::vector<LocationZones> zones = {{"east", {"NY", "NJ"}}, {"west", {"CA", "OR"}}, {"3pl", {}}};
  EXPECT_THAT(RankLocations(zones, "CA"), ElementsAre("west", "east", "3pl"));
  EXPECT_THAT(RankLocations(zones, "NY"), ElementsAre("east", "west", "3pl"));
  EXPECT_THAT(RankLocations(zones, "TX"), ElementsAre("east", "west", "3pl"));
}

}  // namespace
}  // namespace disthub::orchestration
