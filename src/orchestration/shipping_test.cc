#include "orchestration/shipping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::orchestration {
namespace {

using ::testing::ElementsAre;

std::vector<CarrierService> Services() {
  return {{.carrier = "parcel-ground",
           .service = "ground",
           .transit_days = {1, 1, 2, 3, 4, 5, 5, 6},
           .rates = {{.up_to_grams = 1000, .by_zone = {500, 550, 600, 650, 700, 750, 800, 900}},
                     {.up_to_grams = 10000,
                      .by_zone = {900, 1000, 1100, 1200, 1300, 1400, 1500, 1600}}}},
          {.carrier = "parcel-express",
           .service = "two-day",
           .transit_days = {1, 1, 1, 2, 2, 2, 2, 2},
           .rates = {{.up_to_grams = 10000,
                      .by_zone = {1500, 1700, 1900, 2100, 2300, 2500, 2700, 3000}}}}};
}

TEST(CarrierZone, GrowsWithDistanceBetweenRegionCentres) {
  EXPECT_EQ(CarrierZone("NJ", "NJ"), 1);
  EXPECT_EQ(CarrierZone("NJ", "NY"), 3);  // ~190 miles
  EXPECT_EQ(CarrierZone("NJ", "OH"), 4);  // ~430 miles
  EXPECT_EQ(CarrierZone("NJ", "CA"), 8);
  EXPECT_EQ(CarrierZone("CA", "NJ"), 8);
  EXPECT_EQ(CarrierZone("NJ", "ON"), 8);  // not in the table: the farthest zone
  EXPECT_EQ(CarrierZone("", ""), 8);
}

TEST(CheapestService, PicksTheCheapestThatArrivesInTimeElseTheFastest) {
  auto q = CheapestService(Services(), "NJ", "CA", 500, 2);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->carrier, "parcel-express");  // ground takes 6 days to zone 8
  EXPECT_EQ(q->zone, 8);
  EXPECT_EQ(q->transit_days, 2);
  EXPECT_EQ(q->cost_minor, 3000);
  EXPECT_TRUE(q->meets_promise);

  q = CheapestService(Services(), "NJ", "CA", 500, 0);  // no promise: the cheapest
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->carrier, "parcel-ground");
  EXPECT_EQ(q->cost_minor, 900);

  q = CheapestService(Services(), "NJ", "CA", 5000, 7);  // heavier band
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->cost_minor, 1600);

  q = CheapestService(Services(), "NJ", "CA", 500, 1);  // nothing arrives in a day
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->carrier, "parcel-express");
  EXPECT_FALSE(q->meets_promise);

  EXPECT_FALSE(CheapestService(Services(), "NJ", "CA", 50'000, 2).has_value());  // too heavy
}

TEST(RankByShipping, CheapestInTimeFirstThenLateThenUnrated) {
  std::vector<LocationShipping> locations = {
      {"wh-east", "NJ"}, {"3pl-central", ""}, {"wh-west", "CA"}, {"wh-south", "TX"}};
  // To CA within 2 days: west is local (ground, 500), south is zone 6 (express, 2,500),
  // east zone 8 (express, 3,000); the 3PL has no origin.
  EXPECT_THAT(RankByShipping(Services(), locations, "CA", 500, 2),
              ElementsAre("wh-west", "wh-south", "wh-east", "3pl-central"));
  // Within a day only the local one makes it; the others are late, fastest first, and of
  // equally fast ones (both 2 days by express) the cheaper first.
  EXPECT_THAT(RankByShipping(Services(), locations, "CA", 500, 1),
              ElementsAre("wh-west", "wh-south", "wh-east", "3pl-central"));
}

}  // namespace
}  // namespace disthub::orchestration
