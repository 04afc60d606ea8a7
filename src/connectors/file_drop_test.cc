// The csv-inventory-count file drop against a real folder and a fake hub.
#include "connectors/file_drop.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/files.h"
#include "connectors/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace disthub::connectors {
namespace {

namespace fs = std::filesystem;
using ::disthub::testing::DefaultSettings;
using ::disthub::testing::FakeConnectorHost;
using ::testing::HasSubstr;

class FileDrop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-drop-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (connector_) connector_->Stop();
    fs::remove_all(dir_);
  }

  void Make(std::map<std::string, std::string> overrides = {}) {
    Settings s = DefaultSettings(CsvInventoryCountType());
    s.Set("folder", dir_.string());
    s.Set("poll_interval_ms", "10");
    s.Set("settle_ms", "0");
    for (auto& [k, v] : overrides) s.Set(k, v);
    auto made = CsvInventoryCountType().create("nightly", s, host_);
    ASSERT_TRUE(made.ok()) << made.status();
    connector_ = *std::move(made);
    ASSERT_TRUE(connector_->Start().ok());
  }

  void Drop(const std::string& name, const std::string& text) {
    fs::path tmp = dir_ / ("." + name);
    std::ofstream(tmp) << text;
    fs::rename(tmp, dir_ / name);  // as partners should: complete, then renamed in
  }

  // Waits up to 5 s for `pred`.
  template <typename Pred>
  bool Eventually(Pred pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  fs::path dir_;
  FakeConnectorHost host_;
  std::unique_ptr<Connector> connector_;
};

TEST_F(FileDrop, AGoodCountBecomesOneReconciliationAndTheFileMovesToProcessed) {
  Make();
  Drop("count-1.csv", "sku,location,on_hand\nA,wh-east,10\nB,wh-east,0\n");
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "processed" / "count-1.csv"); }));
  auto counts = host_.counts();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].source, "nightly");
  EXPECT_EQ(counts[0].name, "count-1.csv");
  EXPECT_TRUE(counts[0].key.starts_with("sha256:"));
  EXPECT_TRUE(counts[0].apply);
  EXPECT_NE(counts[0].as_of, absl::InfinitePast());
  ASSERT_EQ(counts[0].items.size(), 2u);
  EXPECT_EQ(counts[0].items[0].sku, "A");
  EXPECT_EQ(counts[0].items[0].on_hand, 10);
  EXPECT_FALSE(fs::exists(dir_ / "count-1.csv"));
  boost::json::object d = connector_->Describe();
  EXPECT_EQ(d["last_reconciliation"], "rec-1");
  EXPECT_EQ(d["files"].as_object()["applied"], 1);
}

TEST_F(FileDrop, ABadRowRefusesTheWholeFileWithAReportByLine) {
  Make();
  Drop("count-2.csv", "sku,location,on_hand\nA,wh-east,10\nB,wh-east,many\n,wh-east,1\n");
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "rejected" / "count-2.csv.errors.txt"); }));
  EXPECT_TRUE(fs::exists(dir_ / "rejected" / "count-2.csv"));
  EXPECT_TRUE(host_.counts().empty()) << "nothing of a refused file is applied";
  auto report = ReadFile((dir_ / "rejected" / "count-2.csv.errors.txt").string());
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(*report, HasSubstr("count-2.csv: 2 bad row(s) of 3; nothing applied"));
  EXPECT_THAT(*report, HasSubstr("count-2.csv:3: on_hand \"many\" is not a whole"));
  EXPECT_THAT(*report, HasSubstr("count-2.csv:4: sku is empty"));
  EXPECT_THAT(connector_->Describe()["last_error"].as_string().c_str(), HasSubstr("2 bad row(s)"));
}

TEST_F(FileDrop, TheSameBytesAgainUnderAnyNameChangeNothing) {
  Make();
  const std::string count = "sku,location,on_hand\nA,wh-east,10\n";
  Drop("monday.csv", count);
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "processed" / "monday.csv"); }));
  Drop("monday-again.csv", count);
  Drop("monday.csv", count);  // the same name too: kept beside the first, time-prefixed
  ASSERT_TRUE(Eventually([&] {
    return fs::exists(dir_ / "processed" / "monday-again.csv") &&
           std::distance(fs::directory_iterator(dir_ / "processed"), fs::directory_iterator()) == 3;
  }));
  EXPECT_EQ(host_.counts().size(), 1u);
  EXPECT_EQ(connector_->Describe()["files"].as_object()["duplicate"], 2);
}

TEST_F(FileDrop, WhenTheHubCannotTakeACountTheFileStaysAndIsTriedAgain) {
  host_.SetFailure(absl::UnavailableError("store is down"));
  Make();
  Drop("count-3.csv", "sku,location,on_hand\nA,wh-east,10\n");
  ASSERT_TRUE(Eventually([&] {
    boost::json::object d = connector_->Describe();
    auto e = d.if_contains("last_error");
    return e != nullptr && std::string(e->as_string()).find("store is down") != std::string::npos;
  }));
  EXPECT_TRUE(fs::exists(dir_ / "count-3.csv"));
  host_.SetFailure(absl::OkStatus());
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "processed" / "count-3.csv"); }));
  EXPECT_EQ(host_.counts().size(), 1u);
}

TEST_F(FileDrop, FilesBeingWrittenHiddenOrNotMatchingAreLeftAlone) {
  Make({{"settle_ms", "300"}, {"pattern", "stock-*.csv"}});
  std::ofstream(dir_ / "notes.txt") << "hello";
  std::ofstream(dir_ / ".partial.csv") << "sku,location,on_hand\n";
  std::ofstream(dir_ / "other.csv") << "sku,location,on_hand\nA,w,1\n";
  {
    std::ofstream growing(dir_ / "stock-1.csv");
    growing << "sku,location,on_hand\n";
    growing.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_TRUE(fs::exists(dir_ / "stock-1.csv")) << "taken before it held still";
    growing << "A,wh-east,5\n";
  }
  ASSERT_TRUE(Eventually([&] { return fs::exists(dir_ / "processed" / "stock-1.csv"); }));
  ASSERT_EQ(host_.counts().size(), 1u);
  EXPECT_EQ(host_.counts()[0].items.size(), 1u) << "read whole, after the writer finished";
  EXPECT_TRUE(fs::exists(dir_ / "notes.txt"));
  EXPECT_TRUE(fs::exists(dir_ / ".partial.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "other.csv"));
}

TEST_F(FileDrop, ColumnsAndAFixedLocationComeFromTheSettings) {
  Make({{"sku_column", "SKU"},
        {"on_hand_column", "Quantity"},
        {"location", "wh-west"},
        {"delimiter", ";"},
        {"apply", "false"}});
  Drop("feed.csv", "Handle;SKU;Quantity\nanvil;ACM-1;47\n");
  ASSERT_TRUE(Eventually([&] { return host_.counts().size() == 1; }));
  auto c = host_.counts()[0];
  EXPECT_FALSE(c.apply);
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c.items[0].location, "wh-west");
  EXPECT_EQ(c.items[0].on_hand, 47);
}

TEST_F(FileDrop, AMissingFolderFailsToStartNamingIt) {
  Settings s = DefaultSettings(CsvInventoryCountType());
  s.Set("folder", (dir_ / "nope").string());
  auto made = CsvInventoryCountType().create("nightly", s, host_);
  ASSERT_TRUE(made.ok());
  absl::Status started = (*made)->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(started.message()), HasSubstr("nope does not exist"));
}

}  // namespace
}  // namespace disthub::connectors
