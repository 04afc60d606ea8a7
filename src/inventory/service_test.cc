#include "inventory/service.h"

#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <thread>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "store/forwarding_store.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub::inventory {
namespace {

using ::disthub::testing::IsOkAndHolds;
using ::disthub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Fails the next `fail_next` commits after running them (so everything they wrote is rolled
// back), as a full disk would.
class FailingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    if (fail_next > 0) {
      --fail_next;
      absl::Status s = ForwardingStore::WriteUnsynced([&](WriteTxn& txn) -> absl::Status {
        DISTHUB_RETURN_IF_ERROR(fn(txn));
        return absl::UnavailableError("disk full (injected)");
      });
      return s;
    }
    return ForwardingStore::WriteUnsynced(fn);
  }
  std::atomic<int> fail_next{0};
};

class InventoryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-inventory-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    auto s = OpenSqliteStore({.path = dir_ + "/hub.db"});
    ASSERT_TRUE(s.ok()) << s.status();
    inner_ = std::move(s).value();
    store_ = std::make_unique<FailingStore>(inner_.get());
    queue_ = std::make_unique<CommitQueue>(store_.get(), CommitQueueOptions{});
    service_ = std::make_unique<InventoryService>(store_.get(), queue_.get(), Clock::Real(),
                                                  &metrics_, options_);
    ASSERT_OK(service_->Load());
    service_->Start();
  }
  void Close() {
    service_.reset();
    queue_.reset();
    store_.reset();
    inner_.reset();
  }

  absl::StatusOr<Result> Reserve(std::string order, int line, int64_t qty,
                                 std::string channel = "b2b-portal") {
    std::promise<absl::StatusOr<Result>> p;
    service_->Reserve(ReserveRequest{.order_id = std::move(order),
                                     .line = line,
                                     .sku = "HS-1",
                                     .channel = std::move(channel),
                                     .quantity = qty,
                                     .allow_split = true},
                      "msg-1", [&](absl::StatusOr<Result> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  absl::StatusOr<Result> Release(std::string order, int line) {
    std::promise<absl::StatusOr<Result>> p;
    service_->Release(std::move(order), line, "", "msg-2",
                      [&](absl::StatusOr<Result> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  absl::StatusOr<std::vector<UpdateOutcome>> Updates(std::vector<UpdateItem> items) {
    std::promise<absl::StatusOr<std::vector<UpdateOutcome>>> p;
    service_->ApplyUpdates("wms-east", std::move(items),
                           [&](auto r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  static UpdateItem Count(std::string id, std::string location, int64_t on_hand, int64_t seq) {
    return UpdateItem{
        .message_id = std::move(id),
        .kind = "snapshot",
        .update = {
            .sku = "HS-1", .location = std::move(location), .on_hand = on_hand, .sequence = seq}};
  }
  static UpdateItem Delta(std::string id, std::string location, int64_t delta, int64_t seq) {
    return UpdateItem{
        .message_id = std::move(id),
        .kind = "adjustment",
        .update = {
            .sku = "HS-1", .location = std::move(location), .delta = delta, .sequence = seq}};
  }

  // Feeds of what marketplace-a may sell. How many availability events are in the log
  // and the last one's payload.
  std::pair<int, std::string> FeedEvents() {
    auto events = store_->ListEvents(0, 1000);
    EXPECT_TRUE(events.ok());
    std::pair<int, std::string> out{0, ""};
    for (const EventRecord& e : *events) {
      if (e.type == "inventory.availability.marketplace-a") ++out.first, out.second = e.payload;
    }
    return out;
  }
  std::pair<int, std::string> WaitForFeedEvents(int n) {
    for (int i = 0; i < 300; ++i) {
      auto f = FeedEvents();
      if (f.first >= n) return f;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return FeedEvents();
  }

  InventoryOptions options_{
      .rules = {{.channel = "marketplace-a", .share_percent = 80, .holdback = 5}},
      .channels = {"b2b-portal", "marketplace-a"}};
  std::string dir_;
  Registry metrics_;
  std::unique_ptr<Store> inner_;
  std::unique_ptr<FailingStore> store_;
  std::unique_ptr<CommitQueue> queue_;
  std::unique_ptr<InventoryService> service_;
};

TEST_F(InventoryServiceTest, CommandsAreDurableWithTheirEventsAndSurviveARestart) {
  ASSERT_THAT(
      Updates({Count("c1", "wh-east", 10, 1), Count("c2", "wh-west", 4, 1)}),
      IsOkAndHolds(ElementsAre(::testing::Field(&UpdateOutcome::outcome, Outcome::kApplied),
                               ::testing::Field(&UpdateOutcome::outcome, Outcome::kApplied))));
  auto r = Reserve("ord_1", 1, 12);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->outcome, Outcome::kApplied);
  EXPECT_EQ(r->reservations.size(), 2u);

  auto view = service_->Get("HS-1");
  ASSERT_OK(view.status());
  ASSERT_EQ(view->positions.size(), 2u);
  EXPECT_EQ(view->positions[0].reserved, 10);
  EXPECT_EQ(view->positions[1].reserved, 2);
  EXPECT_THAT(view->sellable, ElementsAre(std::pair<std::string, int64_t>{"b2b-portal", 2},
                                          std::pair<std::string, int64_t>{"marketplace-a", 0}));
  auto events = store_->ListEvents(0, 10);
  ASSERT_OK(events.status());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].type, "inventory.adjusted");
  EXPECT_EQ((*events)[2].type, "inventory.reserved");
  EXPECT_EQ((*events)[2].subject, "ord_1");
  EXPECT_EQ((*events)[2].causation_id, "msg-1");
  EXPECT_THAT((*events)[2].payload, HasSubstr(R"("id":"ord_1/1@wh-east")"));
  for (const EventRecord& e : *events) {  // well-formed JSON, written as boost::json would
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(e.payload, ec);
    ASSERT_FALSE(ec) << e.payload;
    EXPECT_EQ(boost::json::serialize(v), e.payload);
  }
  EXPECT_THAT(
      (*events)[2].payload,
      HasSubstr(
          R"("requested":12,"command":"reserve","reservations":[{"id":"ord_1/1@wh-east","order_id":"ord_1","line":1,"sku":"HS-1","location":"wh-east","channel":"b2b-portal","quantity":10,"consumed":0,"state":"active"},)"));

  // After a restart the ledger is what the store holds: the repeat changes nothing.
  Close();
  Open();
  r = Reserve("ord_1", 1, 12);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->outcome, Outcome::kUnchanged);
  r = Reserve("ord_2", 1, 3);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->outcome, Outcome::kRefused);
  EXPECT_EQ(r->reason, "channel b2b-portal may sell 2 of HS-1; 3 asked");
  ASSERT_OK(Release("ord_1", 1).status());
  auto rows = store_->ListReservations("ord_1");
  ASSERT_OK(rows.status());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].state, "released");
  EXPECT_EQ(store_->LastEventSeq().value(), 4);  // refused and unchanged wrote no event
}

TEST_F(InventoryServiceTest, UpdatesAreRecordedStaleOnesTooAndRepeatsAnsweredFromTheRecord) {
  auto out = Updates({Count("c1", "wh-east", 10, 5), Delta("d1", "wh-east", -2, 4),
                      Delta("d2", "wh-east", 3, 6), Delta("d2", "wh-east", 3, 6)});
  ASSERT_OK(out.status());
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ((*out)[0].outcome, Outcome::kApplied);
  EXPECT_EQ((*out)[1].outcome, Outcome::kUnchanged);
  EXPECT_THAT((*out)[1].reason, HasSubstr("stale: sequence 4 is not after 5"));
  EXPECT_EQ((*out)[2].outcome, Outcome::kApplied);
  EXPECT_TRUE((*out)[3].duplicate);
  EXPECT_EQ((*out)[3].outcome, Outcome::kApplied);
  EXPECT_EQ(service_->Get("HS-1")->positions[0].on_hand, 13);

  out = Updates({Delta("d2", "wh-east", 3, 6)});  // the same message again, later
  ASSERT_OK(out.status());
  EXPECT_TRUE((*out)[0].duplicate);
  EXPECT_EQ(service_->Get("HS-1")->positions[0].on_hand, 13);
  auto rows = store_->ListStockUpdates("HS-1", 0, 10);
  ASSERT_OK(rows.status());
  ASSERT_EQ(rows->size(), 3u);  // c1, d1 (stale), d2
  EXPECT_EQ((*rows)[1].outcome, "unchanged");
}

TEST_F(InventoryServiceTest, AFailedCommitLeavesTheLedgerAsTheStoreHasIt) {
  ASSERT_OK(Updates({Count("c1", "wh-east", 10, 1)}).status());
  store_->fail_next = 1;
  EXPECT_THAT(Reserve("ord_1", 1, 6).status(), StatusIs(absl::StatusCode::kUnavailable));
  // Had the ledger kept the lost reservation, only 4 would be left.
  auto r = Reserve("ord_2", 1, 10);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->outcome, Outcome::kApplied) << r->reason;
  EXPECT_EQ(service_->Get("HS-1")->positions[0].reserved, 10);
}

TEST_F(InventoryServiceTest, ReconciliationFindsEachKindOfDriftAndCorrectsOnlyThat) {
  auto count = [](std::string sku, std::string location, int64_t n, int64_t seq) {
    return UpdateItem{
        .message_id = sku + location,
        .kind = "snapshot",
        .update = {
            .sku = std::move(sku), .location = std::move(location), .on_hand = n, .sequence = seq}};
  };
  ASSERT_OK(Updates({count("SHIPPED", "wh-east", 10, 1), count("SHRUNK", "wh-east", 10, 1),
                     count("RECEIVED", "wh-east", 10, 1), count("FORGOTTEN", "wh-east", 4, 1),
                     count("RIGHT", "wh-east", 7, 1), count("NEWER", "wh-east", 5, 9),
                     count("RIGHT", "wh-west", 2, 1)})
                .status());
  std::promise<absl::StatusOr<Result>> p;
  service_->Reserve(
      {.order_id = "ord_9", .line = 1, .sku = "SHIPPED", .channel = "b2b-portal", .quantity = 3},
      "m", [&](auto r) { p.set_value(std::move(r)); });
  ASSERT_OK(p.get_future().get().status());
  auto right_before = store_->ListPositions("RIGHT");
  ASSERT_OK(right_before.status());
  const int64_t seq_before = store_->LastEventSeq().value();

  auto reconcile = [&](bool apply) {
    std::promise<absl::StatusOr<ReconciliationRecord>> started;
    service_->StartReconciliation(
        ReconcileRequest{.items = {{"SHIPPED", "wh-east", 7},
                                   {"SHRUNK", "wh-east", 8},
                                   {"RECEIVED", "wh-east", 12},
                                   {"RIGHT", "wh-east", 7},
                                   {"NEWER", "wh-east", 1},
                                   {"RIGHT", "wh-west", 2}},  // FORGOTTEN left out: counted 0
                         .sequence = 5,
                         .apply = apply,
                         .actor = "test"},
        [&](auto r) { started.set_value(std::move(r)); });
    auto rec = started.get_future().get();
    EXPECT_OK(rec.status());
    std::optional<ReconciliationRecord> done;
    for (int i = 0; i < 200; ++i) {
      done = service_->GetReconciliation(rec->id).value();
      if (done && done->state != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return *done;
  };

  // A report only changes nothing.
  ReconciliationRecord report = reconcile(false);
  EXPECT_EQ(report.state, "done");
  EXPECT_EQ(report.total, 7);
  EXPECT_EQ(report.drifts, 5);
  EXPECT_EQ(report.corrected, 0);
  EXPECT_EQ(store_->LastEventSeq().value(), seq_before + 1);  // only inventory.reconciled

  ReconciliationRecord fixed = reconcile(true);
  EXPECT_EQ(fixed.drifts, 5);
  EXPECT_EQ(fixed.corrected, 4);  // NEWER was updated after the count
  EXPECT_THAT(
      fixed.report,
      HasSubstr(
          R"("sku":"SHIPPED","location":"wh-east","expected":10,"found":7,"difference":-3,"reserved":3,"likely_cause":"shipped without confirmation)"));
  EXPECT_THAT(
      fixed.report,
      HasSubstr(
          R"("sku":"SHRUNK","location":"wh-east","expected":10,"found":8,"difference":-2,"reserved":0,"likely_cause":"shrink)"));
  EXPECT_THAT(fixed.report,
              HasSubstr(R"("likely_cause":"a receipt or return not reported: 2 more)"));
  EXPECT_THAT(fixed.report,
              HasSubstr(R"("sku":"FORGOTTEN","location":"wh-east","expected":4,"found":0)"));
  EXPECT_THAT(
      fixed.report,
      HasSubstr(
          R"("sku":"NEWER","location":"wh-east","expected":5,"found":1,"difference":-4,"reserved":0,"likely_cause":"shrink or an unreported movement: 4 fewer units than the hub knows of","corrected":false,"note":"stale: sequence 5 is not after 9)"));
  EXPECT_EQ(service_->Get("SHIPPED")->positions[0].on_hand, 7);
  EXPECT_EQ(service_->Get("RECEIVED")->positions[0].on_hand, 12);
  EXPECT_EQ(service_->Get("FORGOTTEN")->positions[0].on_hand, 0);
  EXPECT_EQ(service_->Get("NEWER")->positions[0].on_hand, 5);
  EXPECT_EQ(store_->ListPositions("RIGHT").value(), *right_before);  // not even updated_at
  auto events = store_->ListEvents(seq_before + 1, 100).value();
  int corrections = 0;
  for (const EventRecord& e : events) corrections += e.type == "inventory.drift_corrected";
  EXPECT_EQ(corrections, 4);
}

TEST_F(InventoryServiceTest, AvailabilityFeedPushesChangesOnlyAndCoalescesToTheQuota) {
  Close();
  // One message a second at most: changes within that second go out together.
  options_.feeds = {{.channel = "marketplace-a", .per_minute = 60, .burst = 1}};
  options_.feed_tick = absl::Milliseconds(5);
  Open();
  ASSERT_OK(Updates({Count("c1", "wh-east", 20, 1)}).status());
  auto [n, payload] = WaitForFeedEvents(1);
  ASSERT_EQ(n, 1);
  EXPECT_EQ(payload, R"({"channel":"marketplace-a","items":[{"sku":"HS-1","sellable":15}]})");

  // Three changes inside the quota window: one message, with the latest figure.
  ASSERT_OK(Updates({Delta("d1", "wh-east", 5, 2)}).status());
  ASSERT_OK(Reserve("ord_1", 1, 2).status());
  ASSERT_OK(Reserve("ord_2", 1, 1).status());
  std::tie(n, payload) = WaitForFeedEvents(2);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(payload, R"({"channel":"marketplace-a","items":[{"sku":"HS-1","sellable":17}]})");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(FeedEvents().first, 2);

  // A change the channel cannot see (inside its holdback) sends nothing.
  ASSERT_OK(Updates({Count("c2", "wh-west", 0, 3)}).status());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(FeedEvents().first, 2);

  // What changed while the hub was down is pushed after the restart.
  Close();
  {
    auto s = OpenSqliteStore({.path = dir_ + "/hub.db"});
    ASSERT_OK(s.status());
    ASSERT_OK((*s)->Write([](WriteTxn& txn) {
      return txn.PutFeedState({.channel = "marketplace-a", .sku = "HS-1", .sellable = 99});
    }));
  }
  Open();
  std::tie(n, payload) = WaitForFeedEvents(3);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(payload, R"({"channel":"marketplace-a","items":[{"sku":"HS-1","sellable":17}]})");
  EXPECT_NE(metrics_.Render().find(
                "disthub_inventory_sync_lag_seconds_count{channel=\"marketplace-a\"} 3"),
            std::string::npos)
      << metrics_.Render();
}

}  // namespace
}  // namespace disthub::inventory
