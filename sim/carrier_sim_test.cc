// The carrier rate service simulator over real HTTP on 127.0.0.1, and the hub's side of
// it (orchestration::CarrierRates) fetching from it: cards, ETags and 304s, rate changes,
// an unreachable service and an unusable card.
#include "sim/carrier_sim.h"

#include <atomic>
#include <thread>

#include "base/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observe/metrics.h"
#include "status_matchers.h"

namespace disthub::testing {
namespace {

using orchestration::CarrierRates;
using orchestration::CarrierService;
using orchestration::RateCard;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

RateCard Ground(int64_t zone8_price) {
  return {.carrier = "parcel-ground",
          .version = "v" + std::to_string(zone8_price),
          .services = {{.service = "ground",
                        .transit_days = {1, 1, 2, 3, 4, 5, 5, 6},
                        .rates = {{.up_to_grams = 1000,
                                   .by_zone = {500, 550, 600, 650, 700, 750, 800, zone8_price}}}}}};
}

int64_t Zone8(const CarrierRates& rates) {
  auto t = rates.Current();
  return t->empty() ? -1 : t->front().rates.front().by_zone.back();
}

uint64_t Fetches(Registry& m, const char* result) {
  return m.Counter("disthub_carrier_rate_fetches_total", "",
                   {{"carrier", "parcel-ground"}, {"result", result}})
      ->Value();
}

TEST(CarrierSim, ServesCardsWithAnETagAnd304sWhenUnchanged) {
  ASSERT_OK_AND_ASSIGN(auto sim, StartCarrierSim({}, {Ground(900)}));
  HttpClient http(sim->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, http.Get("/carriers/parcel-ground/rates"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("etag"), "\"1\"");
  ASSERT_OK_AND_ASSIGN(RateCard card, orchestration::ParseRateCard(r.body, "parcel-ground"));
  EXPECT_EQ(card.version, "v900");

  ASSERT_OK_AND_ASSIGN(r, http.Get("/carriers/parcel-ground/rates", {{"If-None-Match", "\"1\""}}));
  EXPECT_EQ(r.status, 304);
  EXPECT_THAT(r.body, IsEmpty());

  ASSERT_OK(sim->carriers().SetCard(Ground(990)));  // a rate increase: revision 2
  ASSERT_OK_AND_ASSIGN(r, http.Get("/carriers/parcel-ground/rates", {{"If-None-Match", "\"1\""}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("etag"), "\"2\"");
  EXPECT_THAT(r.body, HasSubstr("990"));

  ASSERT_OK_AND_ASSIGN(r, http.Get("/carriers/ltl/rates"));
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("no rate card for carrier ltl"));
  ASSERT_OK_AND_ASSIGN(r, http.Send("POST", "/carriers/parcel-ground/rates", {}, "{}"));
  EXPECT_EQ(r.status, 405);

  const CarrierSimStats stats = sim->carriers().Stats();
  EXPECT_EQ(stats.fetches, 2);
  EXPECT_EQ(stats.not_modified, 1);
  EXPECT_EQ(stats.unknown, 1);
  ASSERT_OK_AND_ASSIGN(r, http.Get("/_sim/carriers"));
  EXPECT_THAT(r.body, HasSubstr(R"("parcel-ground":{"revision":2)"));
}

TEST(CarrierSim, RefusesACardSourcingCouldNotUse) {
  RateCard bad = Ground(900);
  bad.services[0].transit_days = {1, 2};
  EXPECT_THAT(CarrierSim::Create({bad}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("carrier parcel-ground: services[0].transit_days")));
  EXPECT_THAT(CarrierSim::Create({Ground(1), Ground(2)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two rate cards")));
  ASSERT_OK_AND_ASSIGN(auto sim, CarrierSim::Create({Ground(900)}));
  EXPECT_THAT(sim->SetCard(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(sim->Card("parcel-ground")->second, 1);  // the card in use stays
}

TEST(CarrierRatesFromSim, FetchesTheCardThenOnlyChangesAndKeepsTheLastGoodOne) {
  ASSERT_OK_AND_ASSIGN(auto sim, StartCarrierSim({}, {Ground(900)}));
  Registry metrics;
  CarrierRates rates({{.name = "parcel-ground", .rates_url = sim->RatesUrl("parcel-ground")}},
                     &metrics);
  EXPECT_EQ(Zone8(rates), -1);  // nothing until fetched
  EXPECT_THAT(rates.FetchNow(), IsEmpty());
  EXPECT_EQ(Zone8(rates), 900);
  EXPECT_EQ(rates.Current()->front().carrier, "parcel-ground");

  EXPECT_THAT(rates.FetchNow(), IsEmpty());  // unchanged: a 304
  EXPECT_EQ(sim->carriers().Stats().not_modified, 1);
  EXPECT_EQ(Fetches(metrics, "unchanged"), 1u);

  ASSERT_OK(sim->carriers().SetCard(Ground(990)));
  EXPECT_THAT(rates.FetchNow(), IsEmpty());
  EXPECT_EQ(Zone8(rates), 990);
  EXPECT_EQ(Fetches(metrics, "updated"), 2u);

  // Down: the last good card stays in use.
  sim->partner().GoDown(absl::Seconds(30));
  std::vector<std::string> problems = rates.FetchNow();
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("parcel-ground: GET " + sim->RatesUrl("parcel-ground")));
  EXPECT_EQ(Zone8(rates), 990);
  EXPECT_EQ(Fetches(metrics, "failed"), 1u);
}

TEST(CarrierRatesFromSim, AnUnusableCardIsRefusedAndTheLastGoodOneStays) {
  std::atomic<bool> broken{false};
  PartnerSimOptions partner;
  partner.handler = [&broken](const PartnerRequest&) -> std::optional<PartnerReply> {
    if (!broken) return std::nullopt;
    return PartnerReply{.body = R"({"carrier":"parcel-ground","services":[{"name":"ground"}]})"};
  };
  ASSERT_OK_AND_ASSIGN(auto sim, StartCarrierSim(partner, {}));
  // The sim knows no card: 404 first (an answer, but not a card).
  CarrierRates rates({{.name = "parcel-ground", .rates_url = sim->RatesUrl("parcel-ground")}},
                     nullptr);
  std::vector<std::string> problems = rates.FetchNow();
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("answered HTTP 404"));
  ASSERT_OK(sim->carriers().SetCard(Ground(900)));
  EXPECT_THAT(rates.FetchNow(), IsEmpty());
  EXPECT_EQ(Zone8(rates), 900);

  broken = true;  // the handler runs after the sim's: only for paths the sim declines
  CarrierRates other({{.name = "parcel-ground", .rates_url = sim->url() + "/other/rates"}},
                     nullptr);
  problems = other.FetchNow();
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("the rate card is not usable: services[0].transit_days: is required"));
  EXPECT_EQ(Zone8(other), -1);
}

TEST(CarrierRatesFromSim, RefreshesInTheBackground) {
  ASSERT_OK_AND_ASSIGN(auto sim, StartCarrierSim({}, {Ground(900)}));
  CarrierRates rates({{.name = "parcel-ground",
                       .rates_url = sim->RatesUrl("parcel-ground"),
                       .refresh = absl::Milliseconds(50)}},
                     nullptr);
  EXPECT_THAT(rates.FetchNow(), IsEmpty());
  rates.Start();
  ASSERT_OK(sim->carriers().SetCard(Ground(990)));
  for (int i = 0; i < 200 && Zone8(rates) != 990; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Zone8(rates), 990);
  rates.Stop();
}

}  // namespace
}  // namespace disthub::testing
