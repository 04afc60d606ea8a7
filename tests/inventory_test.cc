// The inventory API against the real `disthub serve`: routes, errors and auth, the
// reservation lifecycle, late and repeated warehouse updates, and many clients fighting
// over scarce stock while receipts arrive.
#include <sys/wait.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>

#include "base/http_client.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "hub_process.h"
#include "sim/partner_sim.h"

namespace disthub::testing {
namespace {

namespace json = boost::json;

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers Auth(const char* key = kInventoryKey) {
  return {{"Authorization", StrCat("Bearer ", key)}, {"Content-Type", "application/json"}};
}

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.Start().ok()) << hub_.Stderr();
    client_ = std::make_unique<HttpClient>(hub_.url());
  }
  HttpResult Post(const std::string& path, const std::string& body,
                  const char* key = kInventoryKey) {
    auto r = client_->Send("POST", path, Auth(key), body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResult{};
  }
  HttpResult Get(const std::string& path, const char* key = kInventoryKey) {
    auto r = client_->Get(path, Auth(key));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResult{};
  }
  static json::object Obj(const HttpResult& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }
  std::map<std::string, json::object> Locations(const std::string& sku) {
    std::map<std::string, json::object> out;
    json::object view = Obj(Get("/v1/inventory/" + sku));
    for (const auto& l : view["locations"].as_array()) {
      out[std::string(l.at("location").as_string())] = l.as_object();
    }
    return out;
  }
  void Snapshot(const std::string& id, const std::string& location, int64_t seq,
                const std::string& items) {
    HttpResult r = Post("/v1/inventory/snapshots",
                        StrCat(R"({"id":")", id, R"(","location":")", location, R"(","sequence":)",
                               seq, R"(,"items":)", items, "}"));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  HubProcess hub_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(InventoryTest, ErrorsNameTheFieldAndAuthIsChecked) {
  auto none = client_->Get("/v1/inventory/HS-10001");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(Get("/v1/inventory/HS-10001", kWriterKey).status, 403);  // orders scopes only
  EXPECT_EQ(Post("/v1/inventory/adjustments", "{", kInventoryKey).status, 400);

  HttpResult r =
      Post("/v1/inventory/adjustments",
           R"({"adjustments":[{"id":"a1","sku":"HS-10001","location":"wh-east","delta":"3"}]})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find(R"("pointer":"#/adjustments/0/delta")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("pointer":"#/adjustments/0/sequence")"), std::string::npos) << r.body;
  r = Post("/v1/inventory/reservations",
           R"({"order_id":"o1","line":0,"sku":"X","channel":"b2b-portal"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("#/line"), std::string::npos);
  EXPECT_NE(r.body.find("#/quantity"), std::string::npos);
  r = Post("/v1/inventory/reservations",
           R"({"order_id":"o1","line":4294967297,"sku":"X","channel":"b2b-portal","quantity":1})");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("must be from 1 to 1000000"), std::string::npos) << r.body;
  EXPECT_EQ(Get("/v1/inventory/NOPE").status, 404);
  EXPECT_EQ(Get("/v1/availability").status, 400);
  EXPECT_EQ(Get("/v1/availability?channel=nope").status, 400);
  EXPECT_EQ(Get("/v1/inventory/reservations/cancel").status, 404);
  EXPECT_EQ(Get("/v1/inventory/adjustments").status, 405);
  // Nothing bad changed anything.
  EXPECT_EQ(Obj(Get("/v1/availability?channel=b2b-portal"))["items"].as_array().size(), 0u);
}

TEST_F(InventoryTest, ReserveReleaseShipAndLateOrRepeatedUpdates) {
  Snapshot("s1", "wh-east", 10, R"([{"sku":"HS-10001","on_hand":20,"safety_stock":2},
                                     {"sku":"HS-10002","on_hand":3}])");
  Snapshot("s1", "wh-west", 10, R"([{"sku":"HS-10001","on_hand":5}])");
  Snapshot("s1", "3pl-central", 10, R"([{"sku":"HS-10001","on_hand":8}])");

  json::object view = Obj(Get("/v1/inventory/HS-10001"));
  EXPECT_EQ(view["on_hand"].as_int64(), 33);
  EXPECT_EQ(view["atp"].as_int64(), 31);
  // b2b-portal sells all 31; dtc-web half of what is outside the 3PL, less 1: min(11, 22).
  EXPECT_EQ(json::serialize(view["channels"]),
            R"([{"channel":"b2b-portal","sellable":31},{"channel":"dtc-web","sellable":11}])");

  std::string reserve =
      R"({"order_id":"ord_A","line":1,"sku":"HS-10001","channel":"dtc-web","quantity":11})";
  HttpResult r = Post("/v1/inventory/reservations", reserve);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Obj(r)["reservations"].as_array()[0].at("location").as_string(), "wh-east");
  r = Post("/v1/inventory/reservations", reserve);  // a retry
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Obj(r)["outcome"].as_string(), "unchanged");
  // East now has 20 - 11 - 2 = 7, west 5: dtc-web may sell half of 12.
  r = Post("/v1/inventory/reservations",
           R"({"order_id":"ord_B","line":1,"sku":"HS-10001","channel":"dtc-web","quantity":7})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("channel dtc-web may sell 6 of HS-10001; 7 asked"), std::string::npos)
      << r.body;

  r = Post("/v1/inventory/reservations/release", R"({"order_id":"ord_A","line":1})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Obj(r)["outcome"].as_string(), "applied");
  r = Post("/v1/inventory/reservations/release", R"({"order_id":"ord_A","line":1})");
  EXPECT_EQ(Obj(r)["outcome"].as_string(), "unchanged");
  EXPECT_NE(r.body.find("was already released"), std::string::npos) << r.body;

  r = Post("/v1/inventory/reservations",
           R"({"order_id":"ord_C","line":2,"sku":"HS-10001","channel":"b2b-portal",
               "quantity":4,"locations":["wh-west"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = Post("/v1/inventory/reservations/consume",
           R"({"order_id":"ord_C","line":2,"location":"wh-west","quantity":4})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Locations("HS-10001")["wh-west"]["on_hand"].as_int64(), 1);
  EXPECT_EQ(Locations("HS-10001")["wh-west"]["reserved"].as_int64(), 0);
  r = Post("/v1/inventory/reservations/release", R"({"order_id":"ord_C","line":2})");
  EXPECT_NE(r.body.find("has shipped; there is nothing to release"), std::string::npos) << r.body;
  json::object reservations = Obj(Get("/v1/inventory/reservations?order_id=ord_C"));
  EXPECT_EQ(reservations["reservations"].as_array()[0].at("state").as_string(), "consumed");

  // A delta from before the snapshot is late; a newer one applies once, however often sent.
  r = Post("/v1/inventory/adjustments",
           R"({"adjustments":[
                {"id":"d-9","sku":"HS-10001","location":"wh-east","delta":-5,"sequence":9},
                {"id":"d-11","sku":"HS-10001","location":"wh-east","delta":6,"sequence":11}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object out = Obj(r);
  EXPECT_EQ(out["applied"].as_int64(), 1);
  EXPECT_EQ(out["stale"].as_int64(), 1);
  EXPECT_EQ(out["results"].as_array()[0].at("outcome").as_string(), "stale");
  r = Post(
      "/v1/inventory/adjustments",
      R"({"adjustments":[{"id":"d-11","sku":"HS-10001","location":"wh-east","delta":6,"sequence":11}]})");
  EXPECT_EQ(Obj(r)["duplicates"].as_int64(), 1);
  EXPECT_EQ(Locations("HS-10001")["wh-east"]["on_hand"].as_int64(), 26);
  json::object history = Obj(Get("/v1/inventory/HS-10001/updates?limit=2"));
  EXPECT_EQ(history["items"].as_array().size(), 2u);
  EXPECT_EQ(history["items"].as_array()[1].at("outcome").as_string(), "unchanged");

  // Availability pages through every SKU for one channel.
  json::object page = Obj(Get("/v1/availability?channel=b2b-portal&limit=1"));
  ASSERT_EQ(page["items"].as_array().size(), 1u);
  EXPECT_EQ(page["next_cursor"].as_string(), "HS-10001");
  page = Obj(Get("/v1/availability?channel=b2b-portal&limit=1&cursor=HS-10001"));
  EXPECT_EQ(json::serialize(page["items"]), R"([{"sku":"HS-10002","sellable":3}])");

  // Every update taken in is in the inbound archive as received, with what became of it.
  auto inbound =
      client_->Get("/v1/inbound?source=wms", {{"Authorization", StrCat("Bearer ", kReaderKey)}});
  ASSERT_TRUE(inbound.ok());
  json::object archive = Obj(*inbound);
  ASSERT_EQ(archive["messages"].as_array().size(), 5u)
      << inbound->body;  // 3 snapshots, 2 adjustments
  EXPECT_NE(inbound->body.find(R"("kind":"inventory.adjustments")"), std::string::npos);
  EXPECT_NE(inbound->body.find("1 applied, 1 stale or unchanged, 0 refused, 0 repeats"),
            std::string::npos)
      << inbound->body;

  // Every change is an event.
  auto events = client_->Get("/v1/events?after=0&limit=100",
                             {{"Authorization", StrCat("Bearer ", kReaderKey)}});
  ASSERT_TRUE(events.ok());
  for (const char* type :
       {"inventory.adjusted", "inventory.reserved", "inventory.released", "inventory.consumed"}) {
    EXPECT_NE(events->body.find(StrCat(R"("type":")", type, R"(")")), std::string::npos) << type;
  }
}

// The reconciliation runs from the CLI on a CSV count: progress, then the report; the
// report can be read again afterwards through the API.
TEST_F(InventoryTest, ReconcileFromTheCliReportsAndCorrectsDrift) {
  Snapshot("s1", "wh-east", 10, R"([{"sku":"HS-10001","on_hand":20},{"sku":"HS-10002","on_hand":5},
                                     {"sku":"HS-10003","on_hand":9}])");
  ASSERT_EQ(
      Post("/v1/inventory/reservations",
           R"({"order_id":"ord_S","line":1,"sku":"HS-10001","channel":"b2b-portal","quantity":4})")
          .status,
      201);
  std::string csv = hub_.folder() + "/count.csv";
  std::ofstream(csv) << "sku,location,on_hand\nHS-10001,wh-east,16\nHS-10002,wh-east,5\n";
  std::string binary =
      std::getenv("DISTHUB_BINARY") ? std::getenv("DISTHUB_BINARY") : DISTHUB_DEFAULT_BINARY;
  auto run = [&](const std::string& args) {
    setenv("DISTHUB_KEY", kInventoryKey, 1);
    FILE* p =
        popen(StrCat(binary, " inventory ", args, " --hub ", hub_.url(), " 2>&1").c_str(), "r");
    std::string out;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int rc = pclose(p);
    return std::make_pair(WEXITSTATUS(rc), out);
  };
  auto [rc, out] = run(StrCat("reconcile ", csv, " --sequence 11 --apply"));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("3/3 positions checked, 2 drifted"), std::string::npos) << out;
  std::string words;  // the output with runs of spaces as one
  for (char ch : out) {
    if (ch != ' ' || words.empty() || words.back() != ' ') words += ch;
  }
  EXPECT_NE(words.find("HS-10001 wh-east 20 16 -4 yes shipped without confirmation"),
            std::string::npos)
      << out;
  EXPECT_NE(words.find("HS-10003 wh-east 9 0 -9 yes shrink"), std::string::npos) << out;
  EXPECT_EQ(Locations("HS-10001")["wh-east"]["on_hand"].as_int64(), 16);
  EXPECT_EQ(Locations("HS-10002")["wh-east"]["on_hand"].as_int64(), 5);

  json::object list = Obj(Get("/v1/inventory/reconciliations"));
  ASSERT_EQ(list["items"].as_array().size(), 1u);
  std::string id(list["items"].as_array()[0].at("id").as_string());
  json::object one = Obj(Get("/v1/inventory/reconciliations/" + id));
  EXPECT_EQ(one["state"].as_string(), "done");
  EXPECT_EQ(one["report"].as_array().size(), 2u);
  std::tie(rc, out) = run("reconciliation " + id);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("2 drifted, 2 corrected"), std::string::npos) << out;

  // Errors are clear and change nothing.
  std::ofstream(csv) << "sku,where,count\nHS-10001,wh-east,1\n";
  std::tie(rc, out) = run(StrCat("reconcile ", csv, " --sequence 12"));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("count.csv: line 1: the header has no column \"on_hand\"; it has: sku, "
                     "where, count"),
            std::string::npos)
      << out;
  std::ofstream(csv) << "sku,location,on_hand\nHS-10001,wh-east,many\nHS-10002,wh-east,5\n"
                        ",wh-east,1\n";
  std::tie(rc, out) = run(StrCat("reconcile ", csv, " --sequence 12"));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("count.csv: 2 bad row(s); nothing was sent"), std::string::npos) << out;
  EXPECT_NE(out.find("count.csv:2: on_hand \"many\" is not a whole"), std::string::npos) << out;
  EXPECT_NE(out.find("count.csv:4: sku is empty"), std::string::npos) << out;
  HttpResult bad = Post("/v1/inventory/reconciliations", R"({"sequence":3,"items":[{"sku":"A"}]})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("#/items/0/location"), std::string::npos) << bad.body;
  EXPECT_EQ(Obj(Get("/v1/inventory/reconciliations"))["items"].as_array().size(), 1u);
}

// The availability feed reaches the channel through the outbox: what dtc-web may sell,
// when it changes, and nothing for changes it cannot see (its excluded 3PL).
TEST(InventoryFeedTest, ChannelGetsItsAvailabilityThroughTheOutbox) {
  auto sim = StartPartnerSim(PartnerSimOptions{});
  ASSERT_TRUE(sim.ok()) << sim.status();
  HubProcess hub(StrCat(R"(
subscribers:
  - name: dtc-inventory
    url: )",
                        (*sim)->url(), R"(/inventory
    events: ["inventory.availability.dtc-web"]
delivery:
  poll_interval_ms: 20
)"));
  ASSERT_TRUE(hub.Start().ok()) << hub.Stderr();
  HttpClient client(hub.url());
  auto post = [&](const std::string& path, const std::string& body) {
    auto r = client.Send("POST", path, Auth(), body);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
  };
  auto wait_for = [&](size_t n) {
    for (int i = 0; i < 500 && (*sim)->Messages().size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return (*sim)->Messages();
  };
  post(
      "/v1/inventory/snapshots",
      R"({"id":"n1","location":"wh-east","sequence":1,"items":[{"sku":"HS-10001","on_hand":41}]})");
  auto messages = wait_for(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].body.find(R"("items":[{"sku":"HS-10001","sellable":20}])"),
            std::string::npos)
      << messages[0].body;
  EXPECT_NE(messages[0].body.find(R"("type":"inventory.availability.dtc-web")"), std::string::npos)
      << messages[0].body;
  // The 3PL is excluded for dtc-web: its stock changes nothing the channel sees.
  post(
      "/v1/inventory/snapshots",
      R"({"id":"n2","location":"3pl-central","sequence":1,"items":[{"sku":"HS-10001","on_hand":50}]})");
  post(
      "/v1/inventory/adjustments",
      R"({"adjustments":[{"id":"a1","sku":"HS-10001","location":"wh-east","delta":-11,"sequence":2}]})");
  messages = wait_for(2);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_NE(messages[1].body.find(R"("sellable":15)"), std::string::npos) << messages[1].body;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ((*sim)->Messages().size(), 2u);
  EXPECT_EQ((*sim)->Stats().duplicates, 0);
}

// Many clients reserve the same scarce SKUs across channels and locations at once while
// receipts (and some late updates) arrive. At every moment a watcher looks, no location
// has more reserved than on hand less safety stock; every request ends reserved (201) or
// refused with its reason (409); and what the clients were granted is exactly what the
// hub holds reserved.
TEST_F(InventoryTest, ConcurrentReservationsNeverOversell) {
  const std::vector<std::string> skus = {"HS-10001", "HS-10002", "HS-10003"};
  const std::vector<std::string> locations = {"wh-east", "wh-west", "3pl-central"};
  for (const std::string& l : locations) {
    Snapshot("start", l, 1, R"([{"sku":"HS-10001","on_hand":10,"safety_stock":2},
                                {"sku":"HS-10002","on_hand":10,"safety_stock":2},
                                {"sku":"HS-10003","on_hand":10,"safety_stock":2}])");
  }
  constexpr int kClients = 12, kPerClient = 50;
  std::mutex mu;
  std::map<std::string, int64_t> granted;  // "sku@location" → units granted (201s)
  std::atomic<int> reserved{0}, refused{0}, other{0}, dtc_at_3pl{0};
  std::atomic<bool> done{false};
  std::atomic<int> looks{0}, oversold{0};

  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(hub_.url());
      std::mt19937 rng(static_cast<unsigned>(c));
      for (int i = 0; i < kPerClient; ++i) {
        const std::string& sku = skus[rng() % skus.size()];
        std::string channel = rng() % 2 ? "b2b-portal" : "dtc-web";
        std::string locs = rng() % 4 == 0 ? StrCat(R"(,"locations":[")", locations[rng() % 3],
                                                   R"(",")", locations[rng() % 3], R"("])")
                                          : "";
        std::string body = StrCat(R"({"order_id":"c)", c, "-", i, R"(","line":1,"sku":")", sku,
                                  R"(","channel":")", channel, R"(","quantity":)", 1 + rng() % 4,
                                  R"(,"allow_split":)", rng() % 2 ? "true" : "false", locs, "}");
        auto r = client.Send("POST", "/v1/inventory/reservations", Auth(), body);
        if (!r.ok()) {
          ++other;
          continue;
        }
        json::object o = Obj(*r);
        if (r->status == 201) {
          ++reserved;
          std::lock_guard<std::mutex> lock(mu);
          for (const auto& x : o["reservations"].as_array()) {
            std::string loc(x.at("location").as_string());
            granted[StrCat(sku, "@", loc)] += x.at("quantity").as_int64();
            if (channel == "dtc-web" && loc == "3pl-central") ++dtc_at_3pl;
          }
        } else if (r->status == 409 && o.contains("detail") && !o["detail"].as_string().empty()) {
          ++refused;
        } else {
          ++other;
          ADD_FAILURE() << r->status << " " << r->body;
        }
      }
    });
  }
  // Receipts, each once; every fourth one is also sent again late with an older sequence.
  std::atomic<int64_t> received{0};
  threads.emplace_back([&] {
    HttpClient client(hub_.url());
    std::map<std::string, int64_t> seq;
    for (int i = 0; i < 60; ++i) {
      const std::string& sku = skus[i % 3];
      const std::string& loc = locations[(i / 3) % 3];
      int64_t s = ++seq[sku + loc] + 1;
      std::string body = StrCat(R"({"adjustments":[{"id":"rcv-)", i, R"(","sku":")", sku,
                                R"(","location":")", loc, R"(","delta":2,"sequence":)", s, "}");
      if (i % 4 == 3) {
        body += StrCat(R"(,{"id":"late-)", i, R"(","sku":")", sku, R"(","location":")", loc,
                       R"(","delta":-9,"sequence":1})");
      }
      body += "]}";
      auto r = client.Send("POST", "/v1/inventory/adjustments", Auth(), body);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->status, 200) << r->body;
      json::object o = Obj(*r);
      received += 2 * o["applied"].as_int64();
      EXPECT_EQ(o["stale"].as_int64(), i % 4 == 3 ? 1 : 0) << r->body;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::thread watcher([&] {
    HttpClient client(hub_.url());
    while (!done) {
      for (const std::string& sku : skus) {
        auto r = client.Get("/v1/inventory/" + sku, Auth());
        if (!r.ok()) continue;
        json::object o = Obj(*r);
        for (const auto& l : o["locations"].as_array()) {
          int64_t limit = l.at("on_hand").as_int64() - l.at("safety_stock").as_int64();
          if (l.at("reserved").as_int64() > limit) ++oversold;
        }
        ++looks;
      }
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  watcher.join();

  EXPECT_EQ(reserved + refused, kClients * kPerClient);
  EXPECT_EQ(other, 0);
  EXPECT_GT(reserved, 20);
  EXPECT_GT(refused, 20);  // the stock is scarce: many must lose
  EXPECT_EQ(oversold, 0) << "seen in " << looks << " looks";
  EXPECT_GT(looks, 10);
  EXPECT_EQ(dtc_at_3pl, 0) << "dtc-web may not sell from 3pl-central";
  EXPECT_EQ(received, 120);
  int64_t total_reserved = 0, total_limit = 0;
  for (const std::string& sku : skus) {
    auto locs = Locations(sku);
    for (const std::string& l : locations) {
      json::object& p = locs[l];
      EXPECT_EQ(p["reserved"].as_int64(), granted[StrCat(sku, "@", l)]) << sku << "@" << l;
      EXPECT_LE(p["reserved"].as_int64(), p["on_hand"].as_int64() - p["safety_stock"].as_int64());
      total_reserved += p["reserved"].as_int64();
      total_limit += p["on_hand"].as_int64() - p["safety_stock"].as_int64();
    }
  }
  EXPECT_EQ(total_limit, 9 * 8 + 120);
  EXPECT_LE(total_reserved, total_limit);
}

}  // namespace
}  // namespace disthub::testing
