#include "orchestration/carrier_rates.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observe/metrics.h"
#include "status_matchers.h"

namespace disthub::orchestration {
namespace {

using ::disthub::testing::IsOkAndHolds;
using ::disthub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

CarrierService Ground() {
  return {.carrier = "parcel-ground",
          .service = "ground",
          .transit_days = {1, 1, 2, 3, 4, 5, 5, 6},
          .rates = {{.up_to_grams = 1000, .by_zone = {500, 550, 600, 650, 700, 750, 800, 900}}}};
}

TEST(CheckCarrierServices, NamesEveryBrokenRuleByItsPath) {
  EXPECT_THAT(CheckCarrierServices({Ground()}), IsEmpty());
  EXPECT_THAT(CheckCarrierServices({}), ElementsAre(Pair("services", "list at least one service")));
  CarrierService bad = Ground();
  bad.service = "";
  bad.transit_days = {1, 2, 61};
  bad.rates.push_back({.up_to_grams = 1000, .by_zone = {1, 2, 3, 4, 5, 6, 7, -8}});
  EXPECT_THAT(CheckCarrierServices({Ground(), bad}),
              ElementsAre(Pair("services[1].name", "must not be empty"),
                          Pair("services[1].transit_days", "list 8 values, zones 1 to 8"),
                          Pair("services[1].transit_days", "must be 0 to 60 days"),
                          Pair("services[1].rates[1].up_to_grams",
                               "must be positive and larger than the band before"),
                          Pair("services[1].rates[1].by_zone", "prices cannot be negative")));
}

TEST(RateCard, RoundTripsThroughItsJson) {
  RateCard card{.carrier = "parcel-ground", .version = "2026-11", .services = {Ground()}};
  auto parsed = ParseRateCard(RateCardJson(card), "parcel-ground");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->version, "2026-11");
  ASSERT_THAT(parsed->services, SizeIs(1));
  EXPECT_EQ(parsed->services[0].carrier, "parcel-ground");
  EXPECT_EQ(parsed->services[0].service, "ground");
  EXPECT_EQ(parsed->services[0].transit_days, Ground().transit_days);
  EXPECT_EQ(parsed->services[0].rates[0].by_zone, Ground().rates[0].by_zone);
  // The version is optional.
  EXPECT_THAT(ParseRateCard(RateCardJson({.carrier = "parcel-ground", .services = {Ground()}}),
                            "parcel-ground"),
              IsOkAndHolds(Field(&RateCard::version, "")));
}

TEST(RateCard, RefusesWhatSourcingCouldNotUseWithThePath) {
  auto refused = [](std::string_view body, std::string_view message) {
    EXPECT_THAT(ParseRateCard(body, "parcel-ground"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << body;
  };
  refused("<html>", "not JSON");
  refused("[]", "not a JSON object");
  refused(R"({"services":[]})", "carrier: must be the carrier's name");
  refused(R"({"carrier":"ltl","services":[]})", R"(the card is for carrier "ltl", not "parcel-ground")");
  refused(R"({"carrier":"parcel-ground"})", "services: must be a list");
  refused(R"({"carrier":"parcel-ground","services":[]})", "services: list at least one service");
  refused(R"({"carrier":"parcel-ground","version":3,"services":[]})", "version: must be a string");
  refused(R"({"carrier":"parcel-ground","services":[{"name":"g","transit_days":[1,2],"rates":[]}]})",
          "services[0].transit_days: list 8 values");
  refused(R"({"carrier":"parcel-ground","services":[{"name":"g","transit_days":"fast"}]})",
          "services[0].transit_days: must be a list of whole numbers");
  refused(R"({"carrier":"parcel-ground","services":[{"name":"g","transit_days":[1,1,1,1,1,1,1,1],)"
          R"("rates":[{"up_to_grams":100,"by_zone":[1,2,3,4,5,6,7,8.5]}]}]})",
          "services[0].rates[0].by_zone: must be a list of whole numbers");
  refused(R"({"carrier":"parcel-ground","services":[{"name":"g","transit_days":[1,1,1,1,1,1,1,1],)"
          R"("rates":[{"by_zone":[1,2,3,4,5,6,7,8]}]}]})",
          "services[0].rates[0].up_to_grams: must be a whole number");
}

TEST(CarrierRates, ServesTheConfiguredTablesInConfigurationOrder) {
  CarrierService express = Ground();
  express.service = "two-day";
  CarrierRates rates({{.name = "parcel-express", .services = {express}},
                      {.name = "parcel-ground", .services = {Ground()}}},
                     nullptr);
  auto table = rates.Current();
  ASSERT_THAT(*table, SizeIs(2));
  EXPECT_EQ((*table)[0].carrier, "parcel-express");  // the carrier's name, whatever was given
  EXPECT_EQ((*table)[1].service, "ground");
  EXPECT_THAT(rates.FetchNow(), IsEmpty());  // nothing remote
  rates.Start();                             // no thread without remote carriers
  rates.Stop();
}

TEST(CarrierRates, ARateServiceThatDoesNotAnswerLeavesItsCarrierOutAndSaysWhy) {
  Registry metrics;
  CarrierRates rates({{.name = "parcel-ground", .services = {Ground()}},
                      {.name = "ltl-freight",
                       .rates_url = "http://127.0.0.1:1/carriers/ltl-freight/rates",
                       .timeout = absl::Seconds(2)}},
                     &metrics);
  std::vector<std::string> problems = rates.FetchNow();
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("ltl-freight: GET http://127.0.0.1:1/carriers/ltl-freight/rates"));
  EXPECT_THAT(*rates.Current(), ElementsAre(Field(&CarrierService::carrier, "parcel-ground")));
  EXPECT_EQ(metrics.Counter("disthub_carrier_rate_fetches_total", "",
                            {{"carrier", "ltl-freight"}, {"result", "failed"}})
                ->Value(),
            1u);
  EXPECT_THAT(metrics.Render(), HasSubstr("disthub_carrier_rates_age_seconds{carrier=\"ltl-freight\"}"));
}

}  // namespace
}  // namespace disthub::orchestration
