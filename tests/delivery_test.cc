// Delivery you can trust, end to end: the real hub process delivers order events through
// its transactional outbox to the partner simulator (a real HTTP server in this process)
// while the simulator injects faults. Afterwards every message reached the partner exactly
// once as the partner saw it (repeats came only under the same key and were dropped), or
// sits in dead letters with its reason.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "hub_process.h"
#include "sim/partner_sim.h"
#include "sim/scenario_orders.h"
#include "sim/tls_cert.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

Headers Auth(const char* key) { return {{"Authorization", StrCat("Bearer ", key)}}; }

// The hub's configuration for one subscriber "erp" at `url`, with a policy fit for tests
// (short timeouts and retries, so faults resolve in seconds).
std::string Subscriber(const std::string& url, const std::string& extra_delivery = "") {
  return StrCat(R"(
subscribers:
  - name: erp
    url: )", url, R"(/erp/events
    events: ["order.*"]
    delivery:
      concurrency: 8
      timeout_ms: 400
      connect_timeout_ms: 200
      retry: {initial_ms: 50, max_ms: 400, max_attempts: 40}
      circuit: {failure_threshold: 8, open_ms: 200, max_open_ms: 800}
)", extra_delivery, R"(
delivery:
  poll_interval_ms: 50
)");
}

class DeliveryTest : public ::testing::Test {
 protected:
  void StartSim(PartnerFaults faults = {}) {
    PartnerSimOptions o;
    o.faults = std::move(faults);
    o.seed = 42;
    auto sim = StartPartnerSim(o);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = std::move(sim).value();
  }

  // Posts `n` valid orders with refs PREFIX-i; returns the order ids acknowledged.
  std::vector<std::string> PostOrders(HubProcess& hub, int n, const std::string& prefix) {
    auto csv = ReadFile(SourcePath("examples/harbor-products.csv"));
    EXPECT_TRUE(csv.ok());
    ScenarioOrders gen(ScenarioProductsFromCsv(*csv), 7);
    HttpClient client(hub.url(), 10);
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      std::string ref = StrCat(prefix, "-", i);
      Headers h = Auth(kWriterKey);
      h.emplace_back("Content-Type", "application/json");
      h.emplace_back("Idempotency-Key", StrCat("k-", ref));
      auto r = client.Send("POST", "/v1/orders", h,
                           ScenarioOrders::InboundJson(gen.Make("b2b-portal", ref, absl::Now())));
      if (!r.ok() || r->status != 201) {
        ADD_FAILURE() << "order " << ref << ": " << (r.ok() ? r->body : r.status().ToString());
        continue;
      }
      ids.emplace_back(json::parse(r->body).at("id").as_string());
    }
    return ids;
  }

  // Waits until the partner recorded `n` unique messages (or the deadline).
  bool WaitAccepted(int64_t n, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (sim_->Stats().accepted >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return sim_->Stats().accepted >= n;
  }

  static json::value GetJson(HubProcess& hub, const std::string& path) {
    HttpClient c(hub.url(), 10);
    auto r = c.Get(path, Auth(kOpsKey));
    EXPECT_TRUE(r.ok() && r->status == 200) << path << ": " << (r.ok() ? r->body : "no answer");
    if (!r.ok() || r->status != 200) return nullptr;
    return json::parse(r->body);
  }

  // Waits until the hub has nothing pending for "erp".
  static bool WaitOutboxDrained(HubProcess& hub, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      json::value v = GetJson(hub, "/v1/outbox?state=pending&limit=1");
      if (v.is_object() && v.at("messages").as_array().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Every recorded message's key is the stable key of one event, and each event once.
  void ExpectEachEventOnce(const std::vector<std::string>& order_ids) {
    std::set<std::string> keys, subjects;
    for (const PartnerMessage& m : sim_->Messages(0, 1'000'000)) {
      EXPECT_TRUE(keys.insert(m.key).second) << "key recorded twice: " << m.key;
      EXPECT_TRUE(m.key.starts_with("dh-erp-")) << m.key;
      json::value body = json::parse(m.body);
      subjects.insert(std::string(body.at("subject").as_string()));
    }
    EXPECT_EQ(keys.size(), order_ids.size());
    for (const std::string& id : order_ids) EXPECT_TRUE(subjects.count(id)) << id << " never arrived";
    EXPECT_EQ(sim_->Stats().key_conflicts, 0);
  }

  std::unique_ptr<PartnerSim> sim_;
};

TEST_F(DeliveryTest, EveryMessageArrivesOnceThroughErrorsResetsTimeoutsSlownessAndQuota) {
  PartnerFaults f;
  f.error_rate = 0.15;
  f.reset_rate = 0.05;
  f.ack_loss_rate = 0.1;
  f.timeout_rate = 0.03;
  f.timeout_hold_seconds = 2;
  f.slow_rate = 0.1;
  f.slow_ms = 30;
  f.quota = {.rate = 150, .burst = 20, .retry_after_seconds = 1};
  StartSim(f);
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<std::string> ids = PostOrders(hub, 300, "FLT");
  ASSERT_EQ(ids.size(), 300u);
  ASSERT_TRUE(WaitAccepted(300, std::chrono::seconds(90))) << sim_->Stats().ToJson();
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(30)));
  PartnerSimStats s = sim_->Stats();
  EXPECT_GT(s.faults.error, 0);
  EXPECT_GT(s.faults.ack_loss, 0);
  EXPECT_GT(s.duplicates, 0) << "lost acknowledgements must come back as repeats";
  EXPECT_GT(s.faults.quota, 0);
  ExpectEachEventOnce(ids);
  json::value dead = GetJson(hub, "/v1/dead-letters");
  EXPECT_TRUE(dead.at("dead_letters").as_array().empty()) << json::serialize(dead);
  // Every failed attempt is on record with its cause.
  json::value metrics_ok = GetJson(hub, "/v1/deliveries");
  EXPECT_EQ(metrics_ok.at("subscribers").at(0).at("name").as_string(), "erp");
}

TEST_F(DeliveryTest, APartnerDownForAWhileGetsEverythingOnceItIsBack) {
  StartSim();
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  sim_->GoDown(absl::Seconds(2));
  std::vector<std::string> ids = PostOrders(hub, 50, "DWN");
  // While it is down the circuit opens rather than hammering it.
  bool saw_open = false;
  for (int i = 0; i < 30 && !saw_open; ++i) {
    json::value d = GetJson(hub, "/v1/deliveries");
    saw_open = d.at("subscribers").at(0).at("circuit").as_string() != "closed";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(saw_open);
  ASSERT_TRUE(WaitAccepted(50, std::chrono::seconds(30))) << sim_->Stats().ToJson();
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(10)));
  ExpectEachEventOnce(ids);
  HttpClient c(hub.url());
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("disthub_delivery_failures_total{cause=\"connect\""), std::string::npos)
      << "refused connections are counted by cause";
}

// HTTPS: the hub delivers over mutual TLS to a partner that trusts only its client
// certificate, and a subscriber whose configuration does not trust the partner's
// certificate gets nothing through: its messages fail as "tls" and are parked with the
// reason, never delivered.
TEST_F(DeliveryTest, DeliversOverMutualTlsAndParksWhatAnUntrustedCertificateStops) {
  char tmpl[] = "/tmp/disthub-certs-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string certs = tmpl;
  ASSERT_TRUE(WriteSelfSignedCertificate(certs + "/partner.pem", certs + "/partner.key").ok());
  ASSERT_TRUE(WriteSelfSignedCertificate(certs + "/hub.pem", certs + "/hub.key").ok());
  PartnerSimOptions o;
  o.seed = 42;
  o.tls_cert_file = certs + "/partner.pem";
  o.tls_key_file = certs + "/partner.key";
  o.tls_client_ca_file = certs + "/hub.pem";
  auto sim = StartPartnerSim(o);
  ASSERT_TRUE(sim.ok()) << sim.status();
  sim_ = std::move(sim).value();
  ASSERT_TRUE(sim_->url().starts_with("https://"));

  HubProcess hub(StrCat(R"(
subscribers:
  - name: erp
    url: )", sim_->url(), R"(/erp/events
    events: ["order.*"]
    tls:
      ca_file: )", certs, R"(/partner.pem
      cert_file: )", certs, R"(/hub.pem
      key_file: )", certs, R"(/hub.key
    delivery: {timeout_ms: 2000, retry: {initial_ms: 50, max_ms: 400, max_attempts: 40}}
  - name: untrusting
    url: )", sim_->url(), R"(/other/events
    events: ["order.*"]
    delivery:
      timeout_ms: 2000
      retry: {initial_ms: 20, max_ms: 40, max_attempts: 2}
      circuit: {failure_threshold: 100}
delivery:
  poll_interval_ms: 50
)"));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<std::string> ids = PostOrders(hub, 20, "TLS");
  ASSERT_EQ(ids.size(), 20u);
  ASSERT_TRUE(WaitAccepted(20, std::chrono::seconds(20)));

  json::value list;
  for (int i = 0; i < 200; ++i) {
    list = GetJson(hub, "/v1/dead-letters?state=parked&partner=untrusting&limit=100");
    if (list.at("dead_letters").as_array().size() == ids.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(list.at("dead_letters").as_array().size(), ids.size());
  for (const json::value& d : list.at("dead_letters").as_array()) {
    EXPECT_EQ(d.at("cause").as_string(), "max_attempts");
    const std::string reason(d.at("reason").as_string());
    EXPECT_NE(reason.find("the last: tls: "), std::string::npos) << reason;
    EXPECT_NE(reason.find("certificate"), std::string::npos) << reason;
  }
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(10)));
  ExpectEachEventOnce(ids);  // only erp's messages came through, each once
  EXPECT_EQ(sim_->Stats().duplicates, 0);
  HttpClient metrics(hub.url(), 10);
  auto m = metrics.Get("/metrics");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->status, 200) << m->body;
  std::string tls_failures;  // the lines of untrusting's failures
  std::string_view body = m->body;
  while (!body.empty()) {
    std::string_view line = body.substr(0, body.find('\n'));
    body.remove_prefix(std::min(body.size(), line.size() + 1));
    if (line.starts_with("disthub_delivery_failures_total{") &&
        line.find("untrusting") != std::string_view::npos) {
      tls_failures += StrCat(line, "\n");
    }
  }
  EXPECT_EQ(tls_failures,
            "disthub_delivery_failures_total{cause=\"tls\",subscriber=\"untrusting\","
            "type=\"order.received\"} 40\n")
      << "two failed attempts per message, each counted as tls";
  std::filesystem::remove_all(certs);
}

TEST_F(DeliveryTest, APermanentRejectionIsParkedAndRetriedOnceAfterTheFix) {
  PartnerFaults f;
  f.reject = {.body_contains = {"REJECT-ME"}, .status = 422};
  StartSim(f);
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<std::string> ids = PostOrders(hub, 3, "OK");
  std::vector<std::string> bad = PostOrders(hub, 1, "REJECT-ME");
  ASSERT_TRUE(WaitAccepted(3, std::chrono::seconds(10)));
  json::value list;
  for (int i = 0; i < 100; ++i) {
    list = GetJson(hub, "/v1/dead-letters?state=parked");
    if (!list.at("dead_letters").as_array().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(list.at("dead_letters").as_array().size(), 1u);
  const json::value& d = list.at("dead_letters").at(0);
  EXPECT_EQ(d.at("partner").as_string(), "erp");
  EXPECT_EQ(d.at("cause").as_string(), "http_4xx");
  EXPECT_EQ(d.at("subject").as_string(), bad[0]);
  EXPECT_NE(std::string(d.at("reason").as_string()).find("HTTP 422"), std::string::npos);
  const int64_t dl = d.at("id").as_int64();
  json::value one = GetJson(hub, StrCat("/v1/dead-letters/", dl));
  EXPECT_NE(std::string(one.at("bytes").as_string()).find("REJECT-ME"), std::string::npos)
      << "the original bytes are kept";
  EXPECT_EQ(one.at("attempt_log").as_array().size(), 1u);
  EXPECT_EQ(sim_->Stats().accepted, 3);

  // Fixed on the partner's side; retried from the CLI.
  ASSERT_TRUE(sim_->SetFaults({}).ok());
  std::string cmd = StrCat(std::getenv("DISTHUB_BINARY") ? std::getenv("DISTHUB_BINARY") : DISTHUB_DEFAULT_BINARY,
                           " dead-letters retry ", dl, " --hub ", hub.url(),
                           " --reason 'customer created in the ERP' 2>&1");
  setenv("DISTHUB_KEY", kOpsKey, 1);
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  ASSERT_TRUE(WaitAccepted(4, std::chrono::seconds(10))) << out;
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(10)));
  EXPECT_EQ(sim_->Stats().accepted, 4);
  EXPECT_EQ(sim_->Stats().duplicates, 0);
  json::value after = GetJson(hub, StrCat("/v1/dead-letters/", dl));
  EXPECT_EQ(after.at("state").as_string(), "retried");
  // Retrying it again is refused: it is no longer parked.
  HttpClient c(hub.url());
  Headers h = Auth(kOpsKey);
  auto again = c.Send("POST", StrCat("/v1/dead-letters/", dl, "/retry"), h, "{}");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409) << again->body;
  // Both actions are audited.
  json::value audit = GetJson(hub, "/v1/audit");
  ASSERT_EQ(audit.at("entries").as_array().size(), 1u);
  EXPECT_EQ(audit.at("entries").at(0).at("action").as_string(), "dead_letter.retry");
  EXPECT_EQ(audit.at("entries").at(0).at("actor").as_string(), "ops/k");
}

TEST_F(DeliveryTest, KillNineWithDeliveriesInFlightLosesNothingAndNeverChangesAKey) {
  PartnerFaults f;
  f.slow_rate = 1;
  f.slow_ms = 100;  // 8 in flight: at most 80 a second, so the kill finds most undelivered
  StartSim(f);
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<std::string> ids = PostOrders(hub, 200, "KIL");
  // Kill while deliveries are in flight (slow answers keep 8 in flight).
  for (int i = 0; i < 200 && sim_->Stats().accepted < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LT(sim_->Stats().accepted, 200) << "everything was delivered before the kill";
  hub.Kill();
  ASSERT_TRUE(sim_->SetFaults({}).ok());
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  ASSERT_TRUE(WaitAccepted(200, std::chrono::seconds(30))) << sim_->Stats().ToJson();
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(10)));
  ExpectEachEventOnce(ids);
}

TEST_F(DeliveryTest, AReplayRedeliversARangeUnderTheSameKeysAndReportsProgress) {
  StartSim();
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<std::string> ids = PostOrders(hub, 20, "RPL");
  ASSERT_TRUE(WaitAccepted(20, std::chrono::seconds(10)));
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(10)));
  HttpClient c(hub.url());
  Headers h = Auth(kOpsKey);
  h.emplace_back("Content-Type", "application/json");
  auto r = c.Send("POST", "/v1/replays", h, R"({"subscriber":"erp","from_seq":5,"to_seq":14})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 202) << r->body;
  std::string id(json::parse(r->body).at("id").as_string());
  json::value replay;
  for (int i = 0; i < 100; ++i) {
    replay = GetJson(hub, StrCat("/v1/replays/", id));
    if (replay.at("state").as_string() == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(replay.at("state").as_string(), "done");
  EXPECT_EQ(replay.at("matched").as_int64(), 10);
  ASSERT_TRUE(WaitOutboxDrained(hub, std::chrono::seconds(10)));
  for (int i = 0; i < 100 && sim_->Stats().duplicates < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(sim_->Stats().duplicates, 10) << "the same keys: a deduplicating partner drops them";
  EXPECT_EQ(sim_->Stats().accepted, 20);
  // Unknown subscriber and bad filters are clear errors.
  auto bad = c.Send("POST", "/v1/replays", h, R"({"subscriber":"nobody"})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 404) << bad->body;
  bad = c.Send("POST", "/v1/replays", h, R"({"subscriber":"erp","to_seq":1,"from_seq":5})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 422) << bad->body;
}

TEST_F(DeliveryTest, APullSubscriptionKeepsItsCursorAcrossRestarts) {
  StartSim();
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  PostOrders(hub, 5, "PUL");
  HttpClient c(hub.url());
  Headers h = Auth(kOpsKey);
  h.emplace_back("Content-Type", "application/json");
  auto put = c.Send("PUT", "/v1/subscriptions/bi", h, R"({"types":["order.*"],"from":"start"})");
  ASSERT_TRUE(put.ok());
  ASSERT_EQ(put->status, 200) << put->body;
  json::value page = GetJson(hub, "/v1/events?subscription=bi&limit=3");
  ASSERT_EQ(page.at("events").as_array().size(), 3u);
  int64_t next = page.at("next_after").as_int64();
  auto ack = c.Send("POST", "/v1/subscriptions/bi/ack", h, StrCat(R"({"seq":)", next, "}"));
  ASSERT_TRUE(ack.ok());
  ASSERT_EQ(ack->status, 200) << ack->body;
  ASSERT_EQ(hub.Stop(), 0);
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  HttpClient c2(hub.url());
  page = GetJson(hub, "/v1/subscriptions/bi/events");
  ASSERT_EQ(page.at("events").as_array().size(), 2u);
  EXPECT_EQ(page.at("events").at(0).at("seq").as_int64(), next + 1);
  auto back = c2.Send("POST", "/v1/subscriptions/bi/ack", h, R"({"seq":1})");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, 409) << "acknowledgements never go back: " << back->body;
}

TEST_F(DeliveryTest, EveryOrderTakenInIsArchivedAsReceivedWithWhatItBecame) {
  StartSim();
  HubProcess hub(Subscriber(sim_->url()));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<std::string> ids = PostOrders(hub, 1, "ARC");
  ASSERT_EQ(ids.size(), 1u);
  // The same request again (a client retry): archived too, as a duplicate.
  auto csv = ReadFile(SourcePath("examples/harbor-products.csv"));
  ASSERT_TRUE(csv.ok());
  ScenarioOrders gen(ScenarioProductsFromCsv(*csv), 7);
  const std::string body = ScenarioOrders::InboundJson(gen.Make("b2b-portal", "ARC-0", absl::Now()));
  HttpClient c(hub.url());
  Headers h = Auth(kWriterKey);
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("X-Request-Id", "req-42");
  auto again = c.Send("POST", "/v1/orders", h, body);  // no key: deduplicated by reference
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->status, 201) << again->body;
  json::value list = GetJson(hub, "/v1/inbound?source=writer");
  ASSERT_EQ(list.at("messages").as_array().size(), 2u) << json::serialize(list);
  const json::value& dup = list.at("messages").at(0);  // newest first
  EXPECT_EQ(dup.at("outcome").as_string(), "duplicate");
  EXPECT_EQ(dup.at("result").as_string(), ids[0]);
  EXPECT_EQ(list.at("messages").at(1).at("outcome").as_string(), "accepted");
  json::value one = GetJson(hub, StrCat("/v1/inbound/", dup.at("id").as_int64()));
  EXPECT_EQ(one.at("body").as_string(), body) << "kept byte for byte";
  EXPECT_EQ(one.at("headers").at("x-request-id").as_string(), "req-42");
  EXPECT_FALSE(one.at("headers").as_object().contains("authorization")) << "credentials are never kept";

  // Reprocessing through today's configuration, a dry run by default: the first message
  // becomes the same order again; the resend (generated later, so its placed_at differs)
  // would change the order's placed_at, and says so.
  Headers ops = Auth(kOpsKey);
  const int64_t first_id = list.at("messages").at(1).at("id").as_int64();
  auto dry = c.Send("POST", StrCat("/v1/inbound/", first_id, "/reprocess"), ops, "");
  ASSERT_TRUE(dry.ok());
  ASSERT_EQ(dry->status, 200) << dry->body;
  json::value report = json::parse(dry->body);
  EXPECT_EQ(report.at("outcome").as_string(), "unchanged") << dry->body;
  EXPECT_EQ(report.at("order_id").as_string(), ids[0]);
  EXPECT_TRUE(report.at("dry_run").as_bool());
  dry = c.Send("POST", StrCat("/v1/inbound/", dup.at("id").as_int64(), "/reprocess"), ops, "");
  ASSERT_TRUE(dry.ok());
  report = json::parse(dry->body);
  EXPECT_EQ(report.at("outcome").as_string(), "changed") << dry->body;
  EXPECT_EQ(report.at("changes").at(0).at("pointer").as_string(), "/placed_at") << dry->body;
  auto bulk = c.Send("POST", "/v1/inbound/reprocess", ops, R"({"source":"writer"})");
  ASSERT_TRUE(bulk.ok());
  ASSERT_EQ(bulk->status, 200) << bulk->body;
  EXPECT_EQ(json::parse(bulk->body).at("counts").at("unchanged").as_int64(), 1) << bulk->body;
  EXPECT_EQ(json::parse(bulk->body).at("counts").at("changed").as_int64(), 1) << bulk->body;
  // Nothing was written by any of it.
  json::value orders = GetJson(hub, "/v1/audit");
  EXPECT_TRUE(orders.at("entries").as_array().empty());
}

}  // namespace
}  // namespace disthub::testing
