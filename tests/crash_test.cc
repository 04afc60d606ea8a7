// Durable before acknowledged: clients post orders concurrently, the server is killed
// with SIGKILL mid-load and restarted on the same store. Every order that got a 2xx is
// there exactly once, the event log has no gaps, and resending everything doubles nothing.
#include <boost/json.hpp>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "hub_process.h"
#include "sim/scenario_orders.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;

struct Sent {
  std::string key;   // Idempotency-Key
  std::string body;  // exactly what was sent
};

std::vector<ScenarioProduct> HarborProducts() {
  auto csv = ReadFile(SourcePath("examples/harbor-products.csv"));
  return csv.ok() ? ScenarioProductsFromCsv(*csv) : std::vector<ScenarioProduct>{};
}

std::vector<std::pair<std::string, std::string>> Headers(const std::string& key) {
  return {{"Authorization", StrCat("Bearer ", kWriterKey)},
          {"Content-Type", "application/json"},
          {"Idempotency-Key", key}};
}

// Every order stored: ref → ids (more than one id would be a double).
std::map<std::string, std::vector<std::string>> StoredOrders(HttpClient& c) {
  std::map<std::string, std::vector<std::string>> out;
  std::string cursor;
  while (true) {
    auto r = c.Get(StrCat("/v1/orders?limit=500", cursor.empty() ? "" : "&cursor=" + cursor),
                   {{"Authorization", StrCat("Bearer ", kReaderKey)}});
    EXPECT_TRUE(r.ok() && r->status == 200);
    if (!r.ok() || r->status != 200) return out;
    json::object page = json::parse(r->body).as_object();
    for (const auto& o : page["orders"].as_array()) {
      out[std::string(o.at("channel_order_ref").as_string())].emplace_back(o.at("id").as_string());
    }
    if (!page.contains("next_cursor")) return out;
    cursor = std::string(page["next_cursor"].as_string());
  }
}

// The event log's sequence numbers, in order.
std::vector<int64_t> EventSeqs(HttpClient& c, std::set<std::string>* subjects) {
  std::vector<int64_t> seqs;
  int64_t after = 0;
  while (true) {
    auto r = c.Get(StrCat("/v1/events?limit=1000&after=", after),
                   {{"Authorization", StrCat("Bearer ", kReaderKey)}});
    EXPECT_TRUE(r.ok() && r->status == 200);
    if (!r.ok()) return seqs;
    json::object page = json::parse(r->body).as_object();
    const auto& events = page["events"].as_array();
    if (events.empty()) return seqs;
    for (const auto& e : events) {
      seqs.push_back(e.at("seq").as_int64());
      subjects->insert(std::string(e.at("subject").as_string()));
    }
    after = page["next_after"].as_int64();
  }
}

TEST(Crash, KillNineUnderLoadLosesNothingAcknowledgedAndDoublesNothing) {
  HubProcess hub;
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  std::vector<ScenarioProduct> products = HarborProducts();
  ASSERT_FALSE(products.empty());

  std::mutex mu;
  std::vector<Sent> sent;                        // guarded by mu
  std::map<std::string, std::string> acked;      // ref → order id; guarded by mu
  constexpr int kRounds = 2;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> acks_this_round{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
      clients.emplace_back([&, t] {
        ScenarioOrders gen(products, static_cast<uint64_t>(round * 100 + t));
        HttpClient client(hub.url(), 5);
        for (int i = 0; !stop; ++i) {
          std::string ref = StrCat("CR-", round, "-", t, "-", i);
          Sent s{StrCat("key-", ref),
                 ScenarioOrders::InboundJson(gen.Make(gen.PickChannel() == "dtc-web" ? "dtc-web" : "b2b-portal", ref, absl::Now()))};
          {
            std::lock_guard<std::mutex> lock(mu);
            sent.push_back(s);
          }
          auto r = client.Send("POST", "/v1/orders", Headers(s.key), s.body);
          if (!r.ok()) break;  // the server is gone
          if (r->status == 201) {
            std::lock_guard<std::mutex> lock(mu);
            acked[ref] = std::string(json::parse(r->body).at("id").as_string());
            ++acks_this_round;
          } else {
            ADD_FAILURE() << "unexpected " << r->status << ": " << r->body;
            break;
          }
        }
      });
    }
    // Kill it mid-load, once it has acknowledged a good number of orders.
    for (int i = 0; i < 400 && acks_this_round < 1500; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    hub.Kill();
    stop = true;
    for (auto& c : clients) c.join();
    ASSERT_GT(acks_this_round.load(), 0) << "nothing was acknowledged before the kill";
    ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();  // the same store, recovered
  }

  HttpClient reader(hub.url());
  auto stored = StoredOrders(reader);
  for (const auto& [ref, ids] : stored) EXPECT_EQ(ids.size(), 1u) << "order " << ref << " doubled";
  int lost = 0;
  for (const auto& [ref, id] : acked) {
    auto it = stored.find(ref);
    if (it == stored.end() || it->second.front() != id) ++lost;
  }
  EXPECT_EQ(lost, 0) << lost << " of " << acked.size() << " acknowledged orders were lost";

  std::set<std::string> subjects;
  std::vector<int64_t> seqs = EventSeqs(reader, &subjects);
  ASSERT_EQ(seqs.size(), stored.size()) << "one order.received event per stored order";
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], static_cast<int64_t>(i) + 1) << "gap";
  for (const auto& [ref, ids] : stored) EXPECT_TRUE(subjects.count(ids.front())) << ref;

  // The clients now resend everything they ever sent, with the same keys.
  for (const Sent& s : sent) {
    auto r = reader.Send("POST", "/v1/orders", Headers(s.key), s.body);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 201) << r->body;
  }
  auto after = StoredOrders(reader);
  EXPECT_EQ(after.size(), sent.size()) << "each order sent is stored exactly once";
  for (const auto& [ref, ids] : after) EXPECT_EQ(ids.size(), 1u) << "order " << ref << " doubled";
  for (const auto& [ref, id] : acked) EXPECT_EQ(after[ref].front(), id) << ref;
  std::set<std::string> ignored;
  EXPECT_EQ(EventSeqs(reader, &ignored).size(), sent.size());
  EXPECT_EQ(hub.Stop(), 0) << hub.Stderr();
}

}  // namespace
}  // namespace disthub::testing
