#include "inventory/service.h"

#include <filesystem>
#include <future>

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
  absl::Status Write(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    if (fail_next > 0) {
      --fail_next;
      absl::Status s = ForwardingStore::Write([&](WriteTxn& txn) -> absl::Status {
        DISTHUB_RETURN_IF_ERROR(fn(txn));
        return absl::UnavailableError("disk full (injected)");
      });
      return s;
    }
    return ForwardingStore::Write(fn);
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
    service_ = std::make_unique<InventoryService>(
        store_.get(), queue_.get(), Clock::Real(), &metrics_,
        InventoryOptions{
            .rules = {{.channel = "marketplace-a", .share_percent = 80, .holdback = 5}},
            .channels = {"b2b-portal", "marketplace-a"}});
    ASSERT_OK(service_->Load());
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

}  // namespace
}  // namespace disthub::inventory
