// The warehouse simulator, driven over real HTTP on 127.0.0.1: releases and cancels are
// delivered to its partner endpoint the way the hub delivers them, and a second
// PartnerSim stands in for the hub's API, recording the warehouse's calls (it takes
// POSTs with an Idempotency-Key, as the hub's endpoints do). Rates are 0 or 1 and every
// wait polls with a deadline, so the tests are deterministic.
#include "sim/wms_sim.h"

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "base/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

struct Line {
  int64_t line;
  std::string sku;
  int64_t quantity;
};

// The hub's outbound envelope of a release (docs/simulators.md).
std::string Release(const std::string& fulfillment_id, int attempt, const std::vector<Line>& lines,
                    const std::string& location = "wh-east") {
  json::array ls;
  for (const Line& l : lines) {
    ls.push_back(json::object{{"line", l.line}, {"sku", l.sku}, {"quantity", l.quantity}});
  }
  return json::serialize(json::object{
      {"seq", 17},
      {"type", "fulfillment.release." + location},
      {"subject", fulfillment_id},
      {"correlation_id", "ord_" + fulfillment_id},
      {"occurred_at", "2026-01-01T00:00:00.000Z"},
      {"payload",
       json::object{{"fulfillment_id", fulfillment_id},
                    {"order_id", "ord_" + fulfillment_id},
                    {"channel", "dtc-web"},
                    {"channel_ref", "1001"},
                    {"location", location},
                    {"attempt", attempt},
                    {"lines", std::move(ls)},
                    {"ship_to", json::object{{"name", "A. Buyer"}, {"postal_code", "02118"}}},
                    {"service_level", "standard"},
                    {"some_future_field", true}}}});
}

std::string Cancel(const std::string& fulfillment_id) {
  return json::serialize(
      json::object{{"seq", 18},
                   {"type", "fulfillment.cancel.wh-east"},
                   {"subject", fulfillment_id},
                   {"payload", json::object{{"fulfillment_id", fulfillment_id},
                                            {"order_id", "ord_" + fulfillment_id},
                                            {"location", "wh-east"},
                                            {"reason", "customer request"}}}});
}

// The hub's outbound envelope of a return the warehouse is to expect.
std::string ReturnExpected(const std::string& return_id, const std::vector<Line>& lines,
                           const std::string& location = "wh-east") {
  json::array ls;
  for (const Line& l : lines) {
    ls.push_back(json::object{
        {"line", l.line}, {"sku", l.sku}, {"quantity", l.quantity}, {"reason", "changed mind"}});
  }
  return json::serialize(json::object{{"seq", 30},
                                      {"type", "return.expected." + location},
                                      {"subject", return_id},
                                      {"payload", json::object{{"return_id", return_id},
                                                               {"order_id", "ord_1"},
                                                               {"reference", "RMA-1"},
                                                               {"location", location},
                                                               {"lines", std::move(ls)}}}});
}

// One call the warehouse made to the stand-in hub.
struct HubCall {
  std::string path;
  std::string key;
  std::vector<std::pair<std::string, std::string>> headers;
  json::object body;
};

int64_t Int(const json::value& v) { return v.to_number<int64_t>(); }

class WarehouseSimTest : public ::testing::Test {
 protected:
  // Small delays keep each test well under a second.
  static WarehouseOptions Fast() {
    WarehouseOptions o;
    o.api_key = "test-key";
    o.ack_delay_ms = 5;
    o.ship_delay_ms = 10;
    o.retry_initial_ms = 10;
    o.retry_max_ms = 40;
    o.give_up_after_ms = 5000;
    return o;
  }

  void Start(WarehouseOptions options = Fast(), PartnerFaults hub_faults = {}) {
    PartnerSimOptions hub;
    hub.faults = hub_faults;
    ASSERT_OK_AND_ASSIGN(hub_, StartPartnerSim(hub));
    options.hub_url = hub_->url();
    ASSERT_OK_AND_ASSIGN(wh_, StartWarehouseSim(PartnerSimOptions{}, options));
  }

  // Delivers as the hub does, on a fresh connection; returns the partner's answer body.
  std::string Deliver(const std::string& body, const std::string& key) {
    HttpClient client(wh_->url(), 5);
    absl::StatusOr<HttpResult> r =
        client.Send("POST", "/wms/messages",
                    {{"Idempotency-Key", key}, {"Content-Type", "application/json"}}, body);
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }

  void WaitIdle() { ASSERT_TRUE(wh_->warehouse().WaitIdle(absl::Seconds(5))); }

  static bool WaitFor(const std::function<bool()>& done, double seconds = 5) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
  }

  std::vector<HubCall> HubCalls(std::string_view path_suffix = "") const {
    std::vector<HubCall> out;
    for (const PartnerMessage& m : hub_->Messages()) {
      if (!std::string_view(m.path).ends_with(path_suffix)) continue;
      HubCall c{m.path, m.key, m.headers, {}};
      json::value v = json::parse(m.body);
      EXPECT_TRUE(v.is_object()) << m.body;
      if (v.is_object()) c.body = v.get_object();
      out.push_back(std::move(c));
    }
    return out;
  }

  // (line, quantity) of a shipment body.
  static std::vector<std::pair<int64_t, int64_t>> ShippedLines(const HubCall& c) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const json::value& l : c.body.at("lines").get_array()) {
      out.emplace_back(Int(l.at("line")), Int(l.at("quantity")));
    }
    return out;
  }

  std::unique_ptr<PartnerSim> hub_;  // the stand-in hub; declared first, outlives wh_
  std::unique_ptr<WarehousePartner> wh_;
};

TEST_F(WarehouseSimTest, AcknowledgesThenShipsInFull) {
  Start();
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}, {2, "HB-2002", 1}}), "m-1");
  WaitIdle();

  std::vector<HubCall> calls = HubCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/v1/fulfillments/ful_1/acknowledgement");
  EXPECT_EQ(calls[0].key, "ack:ful_1:1");
  EXPECT_EQ(json::serialize(calls[0].body), R"({"message_id":"ack-ful_1-1","location":"wh-east"})");
  EXPECT_THAT(calls[0].headers, ::testing::Contains(Pair("authorization", "Bearer test-key")));
  EXPECT_THAT(calls[0].headers, ::testing::Contains(Pair("content-type", "application/json")));

  EXPECT_EQ(calls[1].path, "/v1/fulfillments/ful_1/shipments");
  EXPECT_EQ(calls[1].key, "ship:shp-ful_1-1");
  EXPECT_EQ(calls[1].body.at("shipment_id"), "shp-ful_1-1");
  EXPECT_THAT(ShippedLines(calls[1]), ::testing::ElementsAre(Pair(1, 3), Pair(2, 1)));
  EXPECT_EQ(calls[1].body.at("final"), true);
  EXPECT_EQ(calls[1].body.at("carrier"), "parcel-ground");
  EXPECT_THAT(std::string(calls[1].body.at("tracking").as_string()), StartsWith("TRK"));

  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.releases_received, 1);
  EXPECT_EQ(s.acks_sent, 1);
  EXPECT_EQ(s.shipments_sent, 1);
  EXPECT_EQ(s.units_shipped, 4);
  std::optional<WarehouseFulfillment> f = wh_->warehouse().Fulfillment("ful_1");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->state, "shipped");
  EXPECT_EQ(f->order_id, "ord_ful_1");
  ASSERT_EQ(f->lines.size(), 2u);
  EXPECT_EQ(f->lines[0].ordered, 3);
  EXPECT_EQ(f->lines[0].shipped, 3);
  ASSERT_EQ(f->shipments.size(), 1u);
  EXPECT_TRUE(f->shipments[0].confirmed);

  // The same records over the control API.
  HttpClient control(wh_->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, control.Get("/_sim/warehouse"));
  ASSERT_EQ(r.status, 200);
  json::value doc = json::parse(r.body);
  EXPECT_EQ(doc.at("location"), "wh-east");
  EXPECT_EQ(Int(doc.at("stats").at("units_shipped")), 4);
  EXPECT_EQ(doc.at("fulfillments").at(0).at("state"), "shipped");
  EXPECT_EQ(Int(doc.at("fulfillments").at(0).at("lines").at(0).at("shipped")), 3);
}

TEST_F(WarehouseSimTest, SilentReleaseIsNeitherAcknowledgedNorShipped) {
  WarehouseOptions o = Fast();
  o.silent_rate = 1;
  Start(o);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  WaitIdle();
  EXPECT_TRUE(HubCalls().empty());
  EXPECT_EQ(wh_->warehouse().Stats().silent_drops, 1);
  EXPECT_EQ(wh_->warehouse().Fulfillment("ful_1")->state, "received");
}

TEST_F(WarehouseSimTest, PartialShipsTwoShipmentsThatAddUpTheFirstNotFinal) {
  WarehouseOptions o = Fast();
  o.partial_rate = 1;
  Start(o);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}, {2, "HB-2002", 4}, {3, "HB-3003", 1}}), "m-1");
  WaitIdle();

  std::vector<HubCall> ships = HubCalls("/shipments");
  ASSERT_EQ(ships.size(), 2u);
  EXPECT_EQ(ships[0].body.at("shipment_id"), "shp-ful_1-1");
  EXPECT_EQ(ships[0].body.at("final"), false);
  EXPECT_THAT(ShippedLines(ships[0]), ::testing::ElementsAre(Pair(1, 1), Pair(2, 2)));
  EXPECT_EQ(ships[1].body.at("shipment_id"), "shp-ful_1-2");
  EXPECT_EQ(ships[1].body.at("final"), true);
  EXPECT_THAT(ShippedLines(ships[1]), ::testing::ElementsAre(Pair(1, 2), Pair(2, 2), Pair(3, 1)));
  EXPECT_NE(ships[0].body.at("tracking"), ships[1].body.at("tracking"));
  EXPECT_EQ(wh_->warehouse().Stats().units_shipped, 8);
  EXPECT_EQ(wh_->warehouse().Fulfillment("ful_1")->state, "shipped");
}

TEST_F(WarehouseSimTest, LinesReleasedWithNothingLeftAreNotShipped) {
  // The hub releases what is left of each line; a line already shipped comes as 0.
  WarehouseOptions o = Fast();
  o.partial_rate = 1;
  Start(o);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 0}, {2, "HB-2002", 1}, {3, "HB-3003", 2}}), "m-1");
  WaitIdle();

  std::vector<HubCall> ships = HubCalls("/shipments");
  ASSERT_EQ(ships.size(), 2u);
  EXPECT_THAT(ShippedLines(ships[0]), ::testing::ElementsAre(Pair(2, 1), Pair(3, 1)));
  EXPECT_THAT(ShippedLines(ships[1]), ::testing::ElementsAre(Pair(3, 1)));
  EXPECT_EQ(wh_->warehouse().Stats().malformed, 0);
}

TEST_F(WarehouseSimTest, ShortShipsOneFinalShipmentOneUnitShort) {
  WarehouseOptions o = Fast();
  o.short_rate = 1;
  Start(o);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 1}, {2, "HB-2002", 5}}), "m-1");
  WaitIdle();

  std::vector<HubCall> ships = HubCalls("/shipments");
  ASSERT_EQ(ships.size(), 1u);
  EXPECT_EQ(ships[0].body.at("final"), true);
  EXPECT_THAT(ShippedLines(ships[0]), ::testing::ElementsAre(Pair(1, 1), Pair(2, 4)));
  std::optional<WarehouseFulfillment> f = wh_->warehouse().Fulfillment("ful_1");
  EXPECT_EQ(f->lines[1].ordered, 5);
  EXPECT_EQ(f->lines[1].shipped, 4);
  EXPECT_EQ(wh_->warehouse().Stats().short_fulfillments, 1);
}

TEST_F(WarehouseSimTest, ReleasedAgainAfterShippingIsReacknowledgedButNotShippedTwice) {
  Start();
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  WaitIdle();
  Deliver(Release("ful_1", 2, {{1, "HB-1001", 3}}), "m-2");  // the hub's retry
  WaitIdle();

  std::vector<HubCall> acks = HubCalls("/acknowledgement");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].key, "ack:ful_1:2");
  EXPECT_EQ(acks[1].body.at("message_id"), "ack-ful_1-2");
  EXPECT_EQ(HubCalls("/shipments").size(), 1u);
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.re_releases, 1);
  EXPECT_EQ(s.units_shipped, 3);
  EXPECT_THAT(wh_->warehouse().Fulfillment("ful_1")->attempts, ::testing::ElementsAre(1, 2));
}

TEST_F(WarehouseSimTest, EachAttemptIsDrawnSilentOnItsOwn) {
  // At rate 0.5 the draws depend on the (stable) hash of seed, fulfillment and attempt:
  // over 20 fulfillments released twice, some first attempts are silent and answered
  // on the retry, and every fulfillment with an answered attempt ships exactly once.
  WarehouseOptions o = Fast();
  o.silent_rate = 0.5;
  Start(o);
  for (int i = 0; i < 20; ++i) {
    const std::string id = "ful_" + std::to_string(i);
    Deliver(Release(id, 1, {{1, "HB-1001", 2}}), id + ":1");
    Deliver(Release(id, 2, {{1, "HB-1001", 2}}), id + ":2");
  }
  WaitIdle();
  int answered = 0, silent_then_answered = 0;
  for (const WarehouseFulfillment& f : wh_->warehouse().Fulfillments()) {
    bool first = false, second = false;
    for (const HubCall& c : HubCalls("/acknowledgement")) {
      first |= c.key == "ack:" + f.fulfillment_id + ":1";
      second |= c.key == "ack:" + f.fulfillment_id + ":2";
    }
    answered += first || second;
    silent_then_answered += !first && second;
    EXPECT_EQ(f.shipments.size(), first || second ? 1u : 0u) << f.fulfillment_id;
  }
  EXPECT_GT(silent_then_answered, 0);
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.silent_drops + s.acks_sent, 40);
  EXPECT_GT(s.silent_drops, 5);
  EXPECT_LT(s.silent_drops, 35);
  EXPECT_EQ(s.shipments_sent, answered);
}

TEST_F(WarehouseSimTest, CancelBeforeShippingIsAcceptedAndNeverShips) {
  WarehouseOptions o = Fast();
  o.ship_delay_ms = 10'000;  // ample room to cancel after the acknowledgement
  Start(o);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  ASSERT_TRUE(WaitFor([&] { return HubCalls("/acknowledgement").size() == 1; }));
  Deliver(Cancel("ful_1"), "c-1");
  WaitIdle();  // idle at once: the accepted cancel dropped the queued shipment

  std::vector<HubCall> answers = HubCalls("/cancellation");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].path, "/v1/fulfillments/ful_1/cancellation");
  EXPECT_EQ(answers[0].key, "cancel:ful_1");
  EXPECT_EQ(json::serialize(answers[0].body), R"({"accepted":true})");
  EXPECT_TRUE(HubCalls("/shipments").empty());
  EXPECT_EQ(wh_->warehouse().Stats().cancels_accepted, 1);
  EXPECT_EQ(wh_->warehouse().Stats().units_shipped, 0);
  EXPECT_EQ(wh_->warehouse().Fulfillment("ful_1")->state, "cancelled");
}

TEST_F(WarehouseSimTest, CancelAfterShippingIsRefused) {
  Start();
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  WaitIdle();
  ASSERT_EQ(HubCalls("/shipments").size(), 1u);
  Deliver(Cancel("ful_1"), "c-1");
  WaitIdle();

  std::vector<HubCall> answers = HubCalls("/cancellation");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(json::serialize(answers[0].body), R"({"accepted":false,"reason":"already shipped"})");
  EXPECT_EQ(wh_->warehouse().Stats().cancels_refused, 1);
  EXPECT_EQ(wh_->warehouse().Fulfillment("ful_1")->state, "shipped");
}

TEST_F(WarehouseSimTest, CancelBeforeItsReleaseKeepsTheLateReleaseFromShipping) {
  Start();
  Deliver(Cancel("ful_1"), "c-1");
  WaitIdle();
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  WaitIdle();
  EXPECT_EQ(HubCalls("/cancellation").size(), 1u);
  EXPECT_TRUE(HubCalls("/acknowledgement").empty());
  EXPECT_TRUE(HubCalls("/shipments").empty());
  EXPECT_EQ(wh_->warehouse().Stats().releases_ignored, 1);
}

TEST_F(WarehouseSimTest, RetriesCallsWhileTheHubFailsAndEachArrivesOnce) {
  PartnerFaults failing;
  failing.error_rate = 1;
  Start(Fast(), failing);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  ASSERT_TRUE(WaitFor([&] { return hub_->Stats().faults.error >= 3; }));
  ASSERT_OK(hub_->SetFaults({}));
  WaitIdle();

  EXPECT_EQ(HubCalls("/acknowledgement").size(), 1u);
  EXPECT_EQ(HubCalls("/shipments").size(), 1u);
  EXPECT_EQ(hub_->Stats().duplicates, 0);
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_GE(s.callbacks_retried, 3);
  EXPECT_EQ(s.callbacks_failed, 0);
  EXPECT_EQ(s.acks_sent, 1);
  EXPECT_EQ(s.shipments_sent, 1);
}

TEST_F(WarehouseSimTest, GivesUpOnACallAfterGiveUpAfterMsAndStillShips) {
  WarehouseOptions o = Fast();
  o.give_up_after_ms = 30;
  PartnerFaults failing;
  failing.error_rate = 1;
  failing.error_status = 503;
  Start(o, failing);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  WaitIdle();

  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.callbacks_failed, 2);  // the acknowledgement, then the shipment
  EXPECT_EQ(s.acks_sent, 0);
  EXPECT_EQ(s.shipments_made, 1);  // the goods left; the hub never heard
  EXPECT_EQ(s.shipments_sent, 0);
  ASSERT_EQ(wh_->warehouse().Problems().size(), 2u);
  EXPECT_EQ(wh_->warehouse().Problems()[0].status, 503);
  EXPECT_FALSE(wh_->warehouse().Fulfillment("ful_1")->shipments[0].confirmed);
}

TEST_F(WarehouseSimTest, RejectedCallIsNotRetriedAndItsProblemIsKept) {
  PartnerFaults rejecting;
  rejecting.reject.body_contains = {"shipment_id"};
  rejecting.reject.status = 409;
  Start(Fast(), rejecting);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  WaitIdle();

  EXPECT_EQ(hub_->Stats().faults.rejected, 1);  // one try only
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.callbacks_rejected, 1);
  EXPECT_EQ(s.callbacks_retried, 0);
  std::vector<WarehouseProblem> problems = wh_->warehouse().Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].status, 409);
  EXPECT_EQ(problems[0].idempotency_key, "ship:shp-ful_1-1");
  EXPECT_THAT(problems[0].detail, HasSubstr("Message rejected"));
}

TEST_F(WarehouseSimTest, DuplicateDeliveryOfAReleaseIsActedOnOnce) {
  Start();
  const std::string release = Release("ful_1", 1, {{1, "HB-1001", 3}});
  EXPECT_THAT(Deliver(release, "m-1"), HasSubstr("accepted"));
  EXPECT_THAT(Deliver(release, "m-1"), HasSubstr("duplicate"));
  WaitIdle();

  EXPECT_EQ(HubCalls("/acknowledgement").size(), 1u);
  EXPECT_EQ(HubCalls("/shipments").size(), 1u);
  EXPECT_EQ(wh_->warehouse().Stats().releases_received, 1);
  EXPECT_EQ(wh_->partner().Stats().duplicates, 1);
}

TEST_F(WarehouseSimTest, IgnoresOtherTypesOtherLocationsAndMalformedReleases) {
  Start();
  Deliver(R"({"type":"order.created","payload":{}})", "m-1");
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}, "wh-west"), "m-2");
  Deliver(R"({"type":"fulfillment.release.wh-east","payload":{"fulfillment_id":"ful_2"}})", "m-3");
  WaitIdle();
  EXPECT_TRUE(HubCalls().empty());
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.messages, 3);
  EXPECT_EQ(s.other_messages, 1);
  EXPECT_EQ(s.releases_ignored, 1);
  EXPECT_EQ(s.malformed, 1);
}

TEST_F(WarehouseSimTest, StopDropsPendingActionsAndCallsNoMore) {
  WarehouseOptions o = Fast();
  o.ack_delay_ms = 50;
  Start(o);
  Deliver(Release("ful_1", 1, {{1, "HB-1001", 3}}), "m-1");
  wh_->Stop();
  EXPECT_TRUE(wh_->warehouse().WaitIdle(absl::ZeroDuration()));
  std::this_thread::sleep_for(std::chrono::milliseconds(80));  // past the ack's due time
  EXPECT_TRUE(HubCalls().empty());
}

TEST_F(WarehouseSimTest, ReturnIsReceivedThenInspectedAndRestocked) {
  WarehouseOptions o = Fast();
  o.return_delay_ms = 5;
  Start(o);
  Deliver(ReturnExpected("ret_1", {{1, "HB-1001", 2}, {2, "HB-2002", 1}}), "r-1");
  WaitIdle();

  std::vector<HubCall> calls = HubCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/v1/returns/ret_1/receipt");
  EXPECT_EQ(calls[0].key, "return-receipt:ret_1");
  EXPECT_EQ(json::serialize(calls[0].body),
            R"({"lines":[{"line":1,"quantity":2},{"line":2,"quantity":1}]})");
  EXPECT_THAT(calls[0].headers, ::testing::Contains(Pair("authorization", "Bearer test-key")));
  EXPECT_EQ(calls[1].path, "/v1/returns/ret_1/inspection");
  EXPECT_EQ(calls[1].key, "return-inspection:ret_1");
  EXPECT_EQ(
      json::serialize(calls[1].body),
      R"({"lines":[{"line":1,"accepted":2,"restock":true},{"line":2,"accepted":1,"restock":true}]})");

  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.returns_expected, 1);
  EXPECT_EQ(s.returns_received, 1);
  EXPECT_EQ(s.returns_inspected, 1);
  EXPECT_EQ(s.units_returned, 3);
  EXPECT_EQ(s.units_restocked, 3);
  EXPECT_EQ(s.units_damaged, 0);
  EXPECT_EQ(s.return_calls_sent, 2);
  std::vector<WarehouseReturn> returns = wh_->warehouse().Returns();
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].state, "inspected");
  EXPECT_EQ(returns[0].order_id, "ord_1");
  EXPECT_EQ(returns[0].reference, "RMA-1");
  EXPECT_TRUE(returns[0].receipt_confirmed);
  EXPECT_TRUE(returns[0].inspection_confirmed);
  ASSERT_EQ(returns[0].lines.size(), 2u);
  EXPECT_EQ(returns[0].lines[0].received, 2);
  EXPECT_EQ(returns[0].lines[0].accepted, 2);
  EXPECT_EQ(returns[0].lines[0].restocked, 2);

  HttpClient control(wh_->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, control.Get("/_sim/warehouse"));
  json::value doc = json::parse(r.body);
  EXPECT_EQ(Int(doc.at("stats").at("units_restocked")), 3);
  EXPECT_EQ(doc.at("returns").at(0).at("state"), "inspected");
  EXPECT_EQ(Int(doc.at("returns").at(0).at("lines").at(1).at("restocked")), 1);
}

TEST_F(WarehouseSimTest, DamagedReturnedUnitsAreAcceptedWithoutRestock) {
  WarehouseOptions o = Fast();
  o.return_delay_ms = 5;
  o.damaged_rate = 1;
  Start(o);
  Deliver(ReturnExpected("ret_1", {{1, "HB-1001", 3}}), "r-1");
  WaitIdle();

  std::vector<HubCall> inspections = HubCalls("/inspection");
  ASSERT_EQ(inspections.size(), 1u);
  EXPECT_EQ(json::serialize(inspections[0].body),
            R"({"lines":[{"line":1,"accepted":3,"restock":false,"note":"damaged"}]})");
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.units_restocked, 0);
  EXPECT_EQ(s.units_damaged, 3);
  EXPECT_EQ(wh_->warehouse().Returns()[0].lines[0].accepted, 3);
  EXPECT_EQ(wh_->warehouse().Returns()[0].lines[0].restocked, 0);
}

TEST_F(WarehouseSimTest, DamageIsDrawnPerUnitSplittingALineInTwo) {
  WarehouseOptions o = Fast();
  o.return_delay_ms = 1;
  o.damaged_rate = 0.5;
  Start(o);
  Deliver(ReturnExpected("ret_1", {{1, "HB-1001", 40}}), "r-1");
  WaitIdle();

  std::vector<HubCall> inspections = HubCalls("/inspection");
  ASSERT_EQ(inspections.size(), 1u);
  const json::array& lines = inspections[0].body.at("lines").get_array();
  ASSERT_EQ(lines.size(), 2u);  // the same line twice: restocked, then damaged
  EXPECT_EQ(Int(lines[0].at("line")), 1);
  EXPECT_EQ(lines[0].at("restock"), true);
  EXPECT_EQ(Int(lines[1].at("line")), 1);
  EXPECT_EQ(lines[1].at("restock"), false);
  const int64_t restocked = Int(lines[0].at("accepted"));
  EXPECT_GT(restocked, 5);
  EXPECT_LT(restocked, 35);
  EXPECT_EQ(restocked + Int(lines[1].at("accepted")), 40);
  EXPECT_EQ(wh_->warehouse().Stats().units_restocked, restocked);
}

TEST_F(WarehouseSimTest, ReturnIsReceivedOnceAndOtherLocationsAreIgnored) {
  WarehouseOptions o = Fast();
  o.return_delay_ms = 1;
  Start(o);
  Deliver(ReturnExpected("ret_1", {{1, "HB-1001", 1}}), "r-1");
  Deliver(ReturnExpected("ret_1", {{1, "HB-1001", 1}}), "r-2");  // told twice
  Deliver(ReturnExpected("ret_2", {{1, "HB-1001", 1}}, "wh-west"), "r-3");
  Deliver(R"({"type":"return.expected.wh-east","payload":{"return_id":"ret_3","lines":[]}})",
          "r-4");
  WaitIdle();
  EXPECT_EQ(HubCalls("/receipt").size(), 1u);
  EXPECT_EQ(HubCalls("/inspection").size(), 1u);
  WarehouseStats s = wh_->warehouse().Stats();
  EXPECT_EQ(s.returns_expected, 3);
  EXPECT_EQ(s.returns_ignored, 2);
  EXPECT_EQ(s.malformed, 1);
  EXPECT_EQ(wh_->warehouse().Returns().size(), 1u);
}

TEST(WarehouseSimOptions, RejectsOutOfRangeValuesNamingTheField) {
  WarehouseOptions o;
  EXPECT_THAT(WarehouseSim::Start(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub_url")));
  o.hub_url = "http://127.0.0.1:1";
  o.partial_rate = 1.5;
  EXPECT_THAT(WarehouseSim::Start(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partial_rate")));
  o.partial_rate = 0;
  o.damaged_rate = -0.1;
  EXPECT_THAT(WarehouseSim::Start(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("damaged_rate")));
}

TEST(WarehouseSimConfig, ReadsTheWarehouseSectionAndTheKeyFromTheEnvironment) {
  const std::string yaml = R"(listen: 127.0.0.1:0
faults:
  error_rate: 0.5
warehouse:
  hub_url: http://127.0.0.1:8080
  api_key_env: WH_KEY
  location: wh-west
  ack_delay_ms: 7
  ship_delay_ms: 9
  silent_rate: 0.05
  partial_rate: 0.1
  short_rate: 0.02
  return_delay_ms: 11
  damaged_rate: 0.1
  seed: 42
)";
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "WH_KEY") return "s3cret";
    return std::nullopt;
  };
  ASSERT_OK_AND_ASSIGN(WarehouseSimConfig c, ParseWarehouseSimConfig(yaml, "wh.yaml", env));
  EXPECT_EQ(c.partner.faults.error_rate, 0.5);
  EXPECT_EQ(c.warehouse.hub_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c.warehouse.api_key, "s3cret");
  EXPECT_EQ(c.warehouse.location, "wh-west");
  EXPECT_EQ(c.warehouse.ack_delay_ms, 7);
  EXPECT_EQ(c.warehouse.ship_delay_ms, 9);
  EXPECT_EQ(c.warehouse.silent_rate, 0.05);
  EXPECT_EQ(c.warehouse.partial_rate, 0.1);
  EXPECT_EQ(c.warehouse.short_rate, 0.02);
  EXPECT_EQ(c.warehouse.return_delay_ms, 11);
  EXPECT_EQ(c.warehouse.damaged_rate, 0.1);
  EXPECT_EQ(c.warehouse.seed, 42u);
}

TEST(WarehouseSimConfig, ErrorsNameFileLineAndKey) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_THAT(ParseWarehouseSimConfig("warehouse:\n  hub_url: http://h:1\n  ship_dealy_ms: 5\n",
                                      "wh.yaml", no_env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wh.yaml:3: warehouse.ship_dealy_ms: unknown key")));
  EXPECT_THAT(
      ParseWarehouseSimConfig("warehouse:\n  api_key_env: NOPE\n", "wh.yaml", no_env),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("wh.yaml:2: warehouse.api_key_env: the environment variable NOPE")));
  EXPECT_THAT(ParseWarehouseSimConfig("warehouse:\n  api_key: abc\n", "wh.yaml", no_env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wh.yaml:2: warehouse.api_key: keys never go in the file")));
  EXPECT_THAT(ParseWarehouseSimConfig("warehouse:\n  short_rate: 2\n", "wh.yaml", no_env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wh.yaml:2: warehouse.short_rate: must be a probability")));
  EXPECT_THAT(
      ParseWarehouseSimConfig("warehous:\n  seed: 1\n", "wh.yaml", no_env),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wh.yaml:1: warehous: unknown key")));
}

}  // namespace
}  // namespace disthub::testing
