// The csv-inventory-count connector inside the real `disthub serve`: a count dropped in
// its folder becomes a reconciliation that corrects drift, the file is archived with the
// run and moved aside, a bad file is refused whole with its report, and the same count
// dropped again after a kill -9 and a restart changes nothing.
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "hub_process.h"

namespace disthub::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr char kConnectors[] = R"(
connectors:
  - name: nightly-stock
    type: csv-inventory-count
    folder: drop
    poll_interval_ms: 20
    settle_ms: 0
)";

class FileDropTest : public ::testing::Test {
 protected:
  FileDropTest() : hub_(kConnectors) {}
  void SetUp() override {
    drop_ = fs::path(hub_.folder()) / "drop";
    fs::create_directories(drop_);
    StartHub();
  }
  void StartHub() {
    ASSERT_TRUE(hub_.Start().ok()) << hub_.Stderr();
    client_ = std::make_unique<HttpClient>(hub_.url());
  }
  json::object Call(const std::string& method, const std::string& path,
                    const std::string& body = "", const char* key = kInventoryKey) {
    auto r = client_->Send(
        method, path,
        {{"Authorization", StrCat("Bearer ", key)}, {"Content-Type", "application/json"}}, body);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    boost::system::error_code ec;
    json::value v = json::parse(r->body, ec);
    EXPECT_LT(r->status, 300) << path << ": " << r->body;
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }
  int64_t OnHand(const std::string& sku, const std::string& location) {
    json::object view = Call("GET", "/v1/inventory/" + sku);
    for (const auto& l : view["locations"].as_array()) {
      if (l.at("location").as_string() == location) return l.at("on_hand").as_int64();
    }
    return -1;
  }
  void Drop(const std::string& name, const std::string& text) {
    std::ofstream(drop_ / ("." + name)) << text;
    fs::rename(drop_ / ("." + name), drop_ / name);
  }
  template <typename Pred>
  bool Eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
  json::array Reconciliations() {
    return Call("GET", "/v1/inventory/reconciliations")["items"].as_array();
  }

  HubProcess hub_;
  fs::path drop_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(FileDropTest, ADroppedCountCorrectsDriftOnceEvenAcrossAKillAndRestart) {
  Call("POST", "/v1/inventory/snapshots",
       R"({"id":"s1","location":"wh-east","sequence":10,"items":[
             {"sku":"HS-10001","on_hand":20},{"sku":"HS-10002","on_hand":5},
             {"sku":"HS-10003","on_hand":9}]})");
  const std::string count = "sku,location,on_hand\nHS-10001,wh-east,16\nHS-10002,wh-east,5\n";
  Drop("stock-0101.csv", count);
  ASSERT_TRUE(Eventually([&] { return fs::exists(drop_ / "processed" / "stock-0101.csv"); }))
      << hub_.Stderr();
  ASSERT_TRUE(Eventually([&] {
    json::array runs = Reconciliations();
    return runs.size() == 1 && runs[0].at("state") == "done";
  }));
  json::object run = Reconciliations()[0].as_object();
  EXPECT_EQ(run["drifts"], 2);  // HS-10001 20→16, HS-10003 left out: counted as 0
  EXPECT_EQ(OnHand("HS-10001", "wh-east"), 16);
  EXPECT_EQ(OnHand("HS-10002", "wh-east"), 5);
  EXPECT_EQ(OnHand("HS-10003", "wh-east"), 0);

  // The file is in the inbound archive, from the connector, pointing at its run.
  json::object inbound = Call("GET", "/v1/inbound?source=nightly-stock", "", kOpsKey);
  ASSERT_EQ(inbound["messages"].as_array().size(), 1u) << json::serialize(inbound);
  json::object archived = inbound["messages"].as_array()[0].as_object();
  EXPECT_EQ(archived["kind"], "inventory.count");
  EXPECT_EQ(archived["result"], run["id"]);

  json::object connectors = Call("GET", "/v1/connectors", "", kReaderKey);
  ASSERT_EQ(connectors["items"].as_array().size(), 1u);
  json::object c = connectors["items"].as_array()[0].as_object();
  EXPECT_EQ(c["name"], "nightly-stock");
  EXPECT_EQ(c["files"].as_object()["applied"], 1);
  EXPECT_EQ(c["last_reconciliation"], run["id"]);

  // A bad file is refused whole: nothing applied, its report beside it.
  Drop("stock-0102.csv", "sku,location,on_hand\nHS-10001,wh-east,1\nHS-10002,wh-east,lots\n");
  ASSERT_TRUE(
      Eventually([&] { return fs::exists(drop_ / "rejected" / "stock-0102.csv.errors.txt"); }));
  auto report = ReadFile((drop_ / "rejected" / "stock-0102.csv.errors.txt").string());
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->find("stock-0102.csv:3: on_hand \"lots\" is not a whole"), std::string::npos)
      << *report;
  EXPECT_EQ(OnHand("HS-10001", "wh-east"), 16);
  EXPECT_EQ(Reconciliations().size(), 1u);

  // kill -9, restart, and the same count dropped again (a partner's retry) changes nothing.
  hub_.Kill();
  StartHub();
  Call(
      "POST", "/v1/inventory/adjustments",
      R"({"adjustments":[{"id":"a1","sku":"HS-10001","location":"wh-east","delta":3,"sequence":11}]})");
  EXPECT_EQ(OnHand("HS-10001", "wh-east"), 19);
  Drop("stock-0101-retry.csv", count);
  ASSERT_TRUE(Eventually([&] { return fs::exists(drop_ / "processed" / "stock-0101-retry.csv"); }));
  EXPECT_EQ(Reconciliations().size(), 1u);
  EXPECT_EQ(OnHand("HS-10001", "wh-east"), 19) << "an old count must not undo a newer receipt";
  json::object after =
      Call("GET", "/v1/connectors", "", kReaderKey)["items"].as_array()[0].as_object();
  EXPECT_EQ(after["files"].as_object()["duplicate"], 1);
}

}  // namespace
}  // namespace disthub::testing
