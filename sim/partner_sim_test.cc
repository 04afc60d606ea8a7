// The partner simulator, driven over real HTTP on 127.0.0.1 with the blocking client.
// Fault rates are 0 or 1, so every test is deterministic.
#include "sim/partner_sim.h"

#include <chrono>
#include <thread>

#include "base/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace disthub::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<PartnerSim> Start(const PartnerFaults& faults = {},
                                  PartnerSimOptions options = {}) {
  options.faults = faults;
  auto sim = StartPartnerSim(options);
  EXPECT_THAT(sim, IsOk());
  return sim.ok() ? std::move(*sim) : nullptr;
}

// Posts `body` under `key` on a fresh connection (libcurl resends a request on its own
// when a reused connection dies first, which would hide resets).
absl::StatusOr<HttpResult> Deliver(const PartnerSim& sim, const std::string& key,
                                   const std::string& body = R"({"order":"A-1"})",
                                   double timeout_seconds = 5) {
  HttpClient client(sim.url(), timeout_seconds);
  return client.Send("POST", "/orders", {{"Idempotency-Key", key}, {"Content-Type", "application/json"}},
                     body);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Waits up to `limit` for a delivery to be answered again.
bool WaitUntilUp(const PartnerSim& sim, double limit_seconds = 3) {
  auto t0 = std::chrono::steady_clock::now();
  while (SecondsSince(t0) < limit_seconds) {
    HttpClient client(sim.url(), 1);
    if (client.Get("/_sim/stats").ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(PartnerSim, RecordsAFirstDeliveryAndAnswersRepeatsAsDuplicates) {
  auto sim = Start();
  ASSERT_NE(sim, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResult first, Deliver(*sim, "k-1", "same"));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, R"({"status":"accepted","key":"k-1","seq":1})");
  ASSERT_OK_AND_ASSIGN(HttpResult again, Deliver(*sim, "k-1", "same"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, R"({"status":"duplicate","key":"k-1","seq":1})");

  PartnerSimStats s = sim->Stats();
  EXPECT_EQ(s.received, 2);
  EXPECT_EQ(s.accepted, 1);
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(s.key_conflicts, 0);
  std::vector<PartnerMessage> messages = sim->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].seq, 1u);
  EXPECT_EQ(messages[0].key, "k-1");
  EXPECT_EQ(messages[0].method, "POST");
  EXPECT_EQ(messages[0].path, "/orders");
  EXPECT_EQ(messages[0].body, "same");
  EXPECT_THAT(messages[0].headers, ::testing::Contains(Pair("content-type", "application/json")));
  EXPECT_THAT(messages[0].headers, ::testing::Contains(Pair("idempotency-key", "k-1")));
  EXPECT_THAT(messages[0].headers, ::testing::Not(::testing::Contains(Pair("host", ::testing::_))));
}

TEST(PartnerSim, CountsADuplicateWithAnotherBodyAsAKeyConflict) {
  auto sim = Start();
  ASSERT_OK(Deliver(*sim, "k-1", "first body"));
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(*sim, "k-1", "changed body"));
  EXPECT_THAT(r.body, HasSubstr("duplicate"));
  EXPECT_EQ(sim->Stats().duplicates, 1);
  EXPECT_EQ(sim->Stats().key_conflicts, 1);
  EXPECT_EQ(sim->Messages()[0].body, "first body");  // the first body stays
}

TEST(PartnerSim, AnswersAMessageWithoutKey400AndRecordsNothing) {
  auto sim = Start();
  HttpClient client(sim->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, client.Send("POST", "/orders", {}, "{}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
  EXPECT_EQ(sim->Stats().missing_key, 1);
  EXPECT_TRUE(sim->Messages().empty());
}

TEST(PartnerSim, ReadsTheKeyFromTheConfiguredHeaderAndTakesPut) {
  PartnerSimOptions options;
  options.key_header = "X-Message-Id";
  auto sim = Start({}, options);
  HttpClient client(sim->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, client.Send("PUT", "/a/b", {{"x-message-id", "m1"}}, "x"));
  EXPECT_EQ(r.status, 200);
  ASSERT_OK_AND_ASSIGN(HttpResult get, client.Send("GET", "/a/b", {{"x-message-id", "m2"}}));
  EXPECT_EQ(get.status, 405);
  ASSERT_EQ(sim->Messages().size(), 1u);
  EXPECT_EQ(sim->Messages()[0].method, "PUT");
}

TEST(PartnerSim, ErrorFaultAnswersTheConfiguredStatusAndRecordsNothing) {
  PartnerFaults f;
  f.error_rate = 1;
  f.error_status = 503;
  auto sim = Start(f);
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(*sim, "k-1"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(sim->Stats().faults.error, 1);
  EXPECT_EQ(sim->Stats().accepted, 0);
  EXPECT_TRUE(sim->Messages().empty());
}

TEST(PartnerSim, QuotaAnswers429WithRetryAfterWhenTheBucketIsEmpty) {
  PartnerFaults f;
  f.quota = {.rate = 1, .burst = 2, .retry_after_seconds = 7};
  auto sim = Start(f);
  EXPECT_EQ(Deliver(*sim, "k-1")->status, 200);
  EXPECT_EQ(Deliver(*sim, "k-2")->status, 200);
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(*sim, "k-3"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("retry-after"), "7");
  EXPECT_EQ(sim->Stats().faults.quota, 1);
  EXPECT_EQ(sim->Stats().accepted, 2);
}

TEST(PartnerSim, ResetFaultLeavesTheClientWithoutAnswer) {
  PartnerFaults f;
  f.reset_rate = 1;
  auto sim = Start(f);
  EXPECT_THAT(Deliver(*sim, "k-1"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sim->Stats().faults.reset, 1);
  EXPECT_TRUE(sim->Messages().empty());
}

TEST(PartnerSim, LostAckRecordsTheMessageAndTheRetryIsADuplicate) {
  PartnerFaults f;
  f.ack_loss_rate = 1;
  auto sim = Start(f);
  EXPECT_THAT(Deliver(*sim, "k-1"), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_EQ(sim->Messages().size(), 1u);
  EXPECT_EQ(sim->Messages()[0].key, "k-1");

  // Only first deliveries lose their ack: the retry is answered.
  ASSERT_OK_AND_ASSIGN(HttpResult retry, Deliver(*sim, "k-1"));
  EXPECT_EQ(retry.status, 200);
  EXPECT_THAT(retry.body, HasSubstr(R"("status":"duplicate")"));
  PartnerSimStats s = sim->Stats();
  EXPECT_EQ(s.accepted, 1);
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(s.key_conflicts, 0);
  EXPECT_EQ(s.faults.ack_loss, 1);
}

TEST(PartnerSim, TimeoutFaultNeverAnswers) {
  PartnerFaults f;
  f.timeout_rate = 1;
  auto sim = Start(f);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(Deliver(*sim, "k-1", "x", /*timeout_seconds=*/0.3),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("imeout")));
  EXPECT_GE(SecondsSince(t0), 0.29);
  EXPECT_EQ(sim->Stats().faults.timeout, 1);
  EXPECT_TRUE(sim->Messages().empty());
}

TEST(PartnerSim, TimeoutFaultClosesTheConnectionAfterTheHold) {
  PartnerFaults f;
  f.timeout_rate = 1;
  f.timeout_hold_seconds = 0.2;
  auto sim = Start(f);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(Deliver(*sim, "k-1", "x", /*timeout_seconds=*/5),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GE(SecondsSince(t0), 0.19);
  EXPECT_LT(SecondsSince(t0), 2);
}

TEST(PartnerSim, SlowFaultAnswersLate) {
  PartnerFaults f;
  f.slow_rate = 1;
  f.slow_ms = 200;
  auto sim = Start(f);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(*sim, "k-1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(SecondsSince(t0), 0.19);
  EXPECT_EQ(sim->Stats().faults.slow, 1);
  EXPECT_EQ(sim->Stats().accepted, 1);
}

TEST(PartnerSim, RejectRuleAnswersItsStatusAndRecordsNothing) {
  PartnerFaults f;
  f.reject = {.body_contains = {"DISCONTINUED"}, .status = 422};
  auto sim = Start(f);
  ASSERT_OK_AND_ASSIGN(HttpResult r, Deliver(*sim, "k-1", R"({"sku":"DISCONTINUED-1"})"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
  EXPECT_THAT(r.body, HasSubstr("DISCONTINUED"));
  EXPECT_EQ(Deliver(*sim, "k-2", R"({"sku":"OK-1"})")->status, 200);
  EXPECT_EQ(sim->Stats().faults.rejected, 1);
  EXPECT_EQ(sim->Messages().size(), 1u);
}

TEST(PartnerSim, GoingDownRefusesConnectionsThenListensAgainOnTheSamePort) {
  auto sim = Start();
  const int port = sim->port();
  HttpClient kept(sim->url());  // an open keep-alive connection
  ASSERT_OK(kept.Send("POST", "/orders", {{"Idempotency-Key", "k-0"}}, "x"));

  sim->GoDown(absl::Milliseconds(400));
  EXPECT_TRUE(sim->Stats().down);
  EXPECT_THAT(Deliver(*sim, "k-1"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(kept.Send("POST", "/orders", {{"Idempotency-Key", "k-2"}}, "x"),
              StatusIs(absl::StatusCode::kUnavailable));

  ASSERT_TRUE(WaitUntilUp(*sim));
  EXPECT_EQ(sim->port(), port);
  EXPECT_FALSE(sim->Stats().down);
  EXPECT_EQ(Deliver(*sim, "k-1")->status, 200);
  EXPECT_EQ(sim->Stats().accepted, 2);  // k-0 and k-1
}

TEST(PartnerSim, DownWindowsCountFromWhenTheFaultsTookEffect) {
  auto sim = Start();
  PartnerFaults f;
  f.down = {{.after_seconds = 0.1, .for_seconds = 0.3}};
  ASSERT_OK(sim->SetFaults(f));
  EXPECT_EQ(Deliver(*sim, "k-1")->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_THAT(Deliver(*sim, "k-2"), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(WaitUntilUp(*sim));
  EXPECT_EQ(Deliver(*sim, "k-2")->status, 200);
}

TEST(PartnerSim, ControlApiGoesDownAfterAnswering) {
  auto sim = Start();
  HttpClient control(sim->url());
  ASSERT_OK_AND_ASSIGN(HttpResult r, control.Send("POST", "/_sim/down?seconds=0.3"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"down":true,"seconds":0.3})");
  // Going down is posted to the sim's loop; it is down within a few milliseconds.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THAT(Deliver(*sim, "k-1"), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(WaitUntilUp(*sim));
  EXPECT_EQ(Deliver(*sim, "k-1")->status, 200);
}

TEST(PartnerSim, FaultsChangeAtRuntimeThroughTheControlApi) {
  PartnerFaults f;
  f.error_rate = 1;
  auto sim = Start(f);
  EXPECT_EQ(Deliver(*sim, "k-1")->status, 500);

  HttpClient control(sim->url());
  ASSERT_OK_AND_ASSIGN(HttpResult put,
                       control.Send("PUT", "/_sim/faults", {}, R"({"slow_rate": 0, "slow_ms": 5})"));
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Deliver(*sim, "k-1")->status, 200);
  EXPECT_EQ(sim->Faults().error_rate, 0);
  EXPECT_EQ(sim->Faults().slow_ms, 5);

  // YAML works too, and GET shows the faults in effect.
  ASSERT_OK(control.Send("PUT", "/_sim/faults", {}, "error_rate: 1\nerror_status: 502\n"));
  ASSERT_OK_AND_ASSIGN(HttpResult get, control.Get("/_sim/faults"));
  EXPECT_THAT(get.body, HasSubstr(R"("error_rate":1,"error_status":502)"));
  EXPECT_EQ(Deliver(*sim, "k-2")->status, 502);

  ASSERT_OK_AND_ASSIGN(HttpResult bad, control.Send("PUT", "/_sim/faults", {}, "error_rat: 1\n"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("request body:1: faults.error_rat: unknown key"));
}

TEST(PartnerSim, ControlApiReportsStatsAndPagesMessages) {
  auto sim = Start();
  for (int i = 1; i <= 5; ++i) ASSERT_OK(Deliver(*sim, StrCat("k-", i), StrCat("body ", i)));
  ASSERT_OK(Deliver(*sim, "k-1", "body 1"));
  HttpClient control(sim->url());
  ASSERT_OK_AND_ASSIGN(HttpResult stats, control.Get("/_sim/stats"));
  EXPECT_EQ(stats.body,
            R"({"received":6,"accepted":5,"duplicates":1,"key_conflicts":0,"missing_key":0,)"
            R"("faults":{"error":0,"timeout":0,"reset":0,"ack_loss":0,"slow":0,"quota":0,)"
            R"("rejected":0},"down":false})");

  ASSERT_OK_AND_ASSIGN(HttpResult page1, control.Get("/_sim/messages?after=0&limit=2"));
  EXPECT_THAT(page1.body, HasSubstr(R"("seq":1,"key":"k-1","method":"POST","path":"/orders")"));
  EXPECT_THAT(page1.body, HasSubstr(R"("body":"body 2")"));
  EXPECT_THAT(page1.body, HasSubstr(R"("next_after":2,"more":true)"));
  EXPECT_THAT(page1.body, ::testing::Not(HasSubstr("k-3")));
  ASSERT_OK_AND_ASSIGN(HttpResult last, control.Get("/_sim/messages?after=4&limit=2"));
  EXPECT_THAT(last.body, HasSubstr(R"("key":"k-5")"));
  EXPECT_THAT(last.body, HasSubstr(R"("next_after":5,"more":false)"));
  EXPECT_THAT(last.body, HasSubstr(R"("received_at":"20)"));

  std::vector<PartnerMessage> tail = sim->Messages(/*after=*/3, /*limit=*/10);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq, 4u);

  ASSERT_OK_AND_ASSIGN(HttpResult cleared, control.Send("POST", "/_sim/clear"));
  EXPECT_EQ(cleared.status, 200);
  EXPECT_EQ(sim->Stats().accepted, 0);
  EXPECT_TRUE(sim->Messages().empty());
  EXPECT_THAT(Deliver(*sim, "k-1")->body, HasSubstr("accepted"));  // keys forgotten too
  EXPECT_EQ(control.Get("/_sim/nope")->status, 404);
}

TEST(PartnerSim, ConcurrentDeliveriesOfTheSameKeysAreAcceptedOnce) {
  auto sim = Start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      HttpClient client(sim->url());
      for (int i = 0; i < 100; ++i) {
        auto r = client.Send("POST", "/o", {{"Idempotency-Key", StrCat("k-", i)}}, "b");
        EXPECT_TRUE(r.ok() && r->status == 200);
      }
    });
  }
  for (auto& t : threads) t.join();
  PartnerSimStats s = sim->Stats();
  EXPECT_EQ(s.received, 400);
  EXPECT_EQ(s.accepted, 100);
  EXPECT_EQ(s.duplicates, 300);
  EXPECT_EQ(sim->Messages(0, 1000).size(), 100u);
}

TEST(PartnerSim, RefusesToListenBeyondLoopback) {
  PartnerSimOptions options;
  options.listen = "0.0.0.0:0";
  EXPECT_THAT(StartPartnerSim(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("loopback")));
  options.listen = "127.0.0.1";
  EXPECT_THAT(StartPartnerSim(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.listen = "127.0.0.1:0";
  options.faults.reset_rate = 2;
  EXPECT_THAT(StartPartnerSim(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("faults.reset_rate")));
}

TEST(PartnerSimConfig, ReadsEveryOption) {
  ASSERT_OK_AND_ASSIGN(PartnerSimOptions o, ParsePartnerSimConfig(R"(
listen: 127.0.0.1:9100
io_threads: 3
key_header: X-Key
seed: 42
record_headers: [content-type]
max_messages: 10
max_body_bytes: 4096
idle_timeout_seconds: 5
faults:
  error_rate: 0.1
  error_status: 503
  timeout_rate: 0.01
  timeout_hold_seconds: 2
  reset_rate: 0.02
  ack_loss_rate: 0.05
  slow_rate: 0.2
  slow_ms: 150
  quota: {rate: 100, burst: 20, retry_after_seconds: 3}
  down:
    - {after_seconds: 10, for_seconds: 5}
  reject: {body_contains: [BAD], status: 409}
)",
                                                                "sim.yaml"));
  EXPECT_EQ(o.listen, "127.0.0.1:9100");
  EXPECT_EQ(o.io_threads, 3);
  EXPECT_EQ(o.key_header, "X-Key");
  EXPECT_EQ(o.seed, 42u);
  EXPECT_THAT(o.record_headers, ElementsAre("content-type"));
  EXPECT_EQ(o.max_messages, 10);
  EXPECT_EQ(o.max_body_bytes, 4096);
  EXPECT_EQ(o.idle_timeout_seconds, 5);
  EXPECT_EQ(o.faults.error_rate, 0.1);
  EXPECT_EQ(o.faults.error_status, 503);
  EXPECT_EQ(o.faults.timeout_hold_seconds, 2);
  EXPECT_EQ(o.faults.ack_loss_rate, 0.05);
  EXPECT_EQ(o.faults.slow_ms, 150);
  EXPECT_EQ(o.faults.quota.rate, 100);
  EXPECT_EQ(o.faults.quota.burst, 20);
  EXPECT_EQ(o.faults.quota.retry_after_seconds, 3);
  ASSERT_EQ(o.faults.down.size(), 1u);
  EXPECT_EQ(o.faults.down[0].after_seconds, 10);
  EXPECT_EQ(o.faults.down[0].for_seconds, 5);
  EXPECT_THAT(o.faults.reject.body_contains, ElementsAre("BAD"));
  EXPECT_EQ(o.faults.reject.status, 409);
}

TEST(PartnerSimConfig, AnEmptyFileGivesTheDefaults) {
  ASSERT_OK_AND_ASSIGN(PartnerSimOptions o, ParsePartnerSimConfig("", "empty.yaml"));
  EXPECT_EQ(o.listen, "127.0.0.1:0");
  EXPECT_EQ(o.key_header, "Idempotency-Key");
  EXPECT_EQ(o.faults.error_status, 500);
}

TEST(PartnerSimConfig, ErrorsNameTheFileLineAndKey) {
  EXPECT_THAT(ParsePartnerSimConfig("listen: 127.0.0.1:0\nfaults:\n  eror_rate: 0.5\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sim.yaml:3: faults.eror_rate: unknown key (known here: error_rate")));
  EXPECT_THAT(ParsePartnerSimConfig("seed: 1\nlisen: x\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sim.yaml:2: lisen: unknown key")));
  EXPECT_THAT(ParsePartnerSimConfig("faults:\n  reset_rate: 1.5\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sim.yaml:2: faults.reset_rate: must be a probability from 0 to 1")));
  EXPECT_THAT(ParsePartnerSimConfig("faults:\n  down:\n    - {after_seconds: 1, for: 2}\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sim.yaml:3: faults.down[0].for: unknown key")));
  EXPECT_THAT(ParsePartnerSimConfig("faults:\n  slow_ms: soon\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sim.yaml:2: faults.slow_ms: must be an integer, not \"soon\"")));
  EXPECT_THAT(ParsePartnerSimConfig("faults: [1\n", "sim.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sim.yaml:2:")));
}

TEST(PartnerSimConfig, FaultsRoundTripThroughJson) {
  PartnerFaults f;
  f.error_rate = 0.25;
  f.quota.rate = 50;
  f.down = {{.after_seconds = 1.5, .for_seconds = 2}};
  f.reject.body_contains = {"a\"b"};
  ASSERT_OK_AND_ASSIGN(PartnerFaults back, ParsePartnerFaults(PartnerFaultsToJson(f), "json"));
  EXPECT_EQ(back.error_rate, 0.25);
  EXPECT_EQ(back.quota.rate, 50);
  ASSERT_EQ(back.down.size(), 1u);
  EXPECT_EQ(back.down[0].after_seconds, 1.5);
  EXPECT_THAT(back.reject.body_contains, ElementsAre("a\"b"));
}

}  // namespace
}  // namespace disthub::testing
