#include "orchestration/reprocess.h"

#include <filesystem>
#include <future>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "model/test_entities.h"
#include "status_matchers.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

TEST(DiffJson, NamesEveryChangedFieldByPointerAndIgnoresTheHubsOwn) {
  auto changes = DiffJson(R"({"id":"a","x":1,"lines":[{"q":1},{"q":2}],"gone":true})",
                          R"({"id":"b","x":2,"lines":[{"q":1},{"q":3},{"q":4}],"new":"y"})",
                          {"id"});
  ASSERT_THAT(changes, ElementsAre(Field(&FieldChange::pointer, "/x"),
                                   Field(&FieldChange::pointer, "/lines/1/q"),
                                   Field(&FieldChange::pointer, "/lines/2"),
                                   Field(&FieldChange::pointer, "/gone"),
                                   Field(&FieldChange::pointer, "/new")));
  EXPECT_EQ(changes[0].before, "1");
  EXPECT_EQ(changes[0].after, "2");
  EXPECT_EQ(changes[3].after, "");
  EXPECT_TRUE(DiffJson(R"({"a":[1,{"b":null}]})", R"({"a":[1,{"b":null}]})", {}).empty());
}

class ReprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-reprocess-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    folder_ = tmpl;
    auto s = OpenSqliteStore({.path = folder_ + "/db", .synchronous = "normal"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
    queue_ = std::make_unique<CommitQueue>(store_.get(), CommitQueueOptions{});
  }
  void TearDown() override {
    queue_.reset();
    store_.reset();
    std::filesystem::remove_all(folder_);
  }

  // Stores the order `message` became, with `edit` applied to its document as an older
  // hub might have decoded it.
  std::string StoreOrderFor(const InboundRecord& message, void (*edit)(Order&)) {
    Order order = *ParseAndDecodeOrder(message.body)->value;
    if (edit != nullptr) edit(order);
    order.id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ";
    order.status = OrderStatus::kReceived;
    order.received_at = test::At(1795727408456);
    absl::Time t = *order.received_at;
    EXPECT_OK(store_->Write([&](WriteTxn& txn) {
      return txn.InsertOrder({.id = order.id, .channel = order.channel,
                              .channel_ref = order.channel_order_ref, .status = "received",
                              .version = 1, .created_at = t, .updated_at = t,
                              .body = SerializeOrder(order)});
    }));
    return order.id;
  }

  absl::StatusOr<ReprocessReport> ApplyAndWait(Reprocessor& r, const InboundRecord& m) {
    std::promise<absl::StatusOr<ReprocessReport>> p;
    r.Apply(m, "ops/k", [&](absl::StatusOr<ReprocessReport> x) { p.set_value(std::move(x)); });
    return p.get_future().get();
  }

  InboundRecord Message(std::string result = "") {
    return InboundRecord{.id = 7, .source = "b2b-portal", .kind = "order",
                         .body = std::string(test::kRealisticOrderJson), .outcome = "accepted",
                         .result = std::move(result)};
  }

  std::string folder_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitQueue> queue_;
  IdGenerator ids_;
  OrderChecks checks_{{{"b2b-portal", {"USD"}}}, nullptr};
};

TEST_F(ReprocessTest, ADryRunShowsWhatWouldChangeAndApplyingRevisesTheOrderOnce) {
  InboundRecord m = Message();
  m.result = StoreOrderFor(m, [](Order& o) { o.lines[0].quantity += 1; });
  Reprocessor r(store_.get(), queue_.get(), &checks_, &ids_, Clock::Real());
  ASSERT_OK_AND_ASSIGN(ReprocessReport plan, r.Plan(m));
  EXPECT_EQ(plan.outcome, "changed");
  EXPECT_EQ(plan.order_id, m.result);
  ASSERT_FALSE(plan.changes.empty());
  EXPECT_EQ(plan.changes[0].pointer, "/lines/0/quantity");
  EXPECT_FALSE(plan.applied);
  EXPECT_THAT(store_->LastEventSeq(), ::disthub::testing::IsOkAndHolds(0)) << "a dry run writes nothing";

  ASSERT_OK_AND_ASSIGN(ReprocessReport done, ApplyAndWait(r, m));
  EXPECT_TRUE(done.applied);
  ASSERT_OK_AND_ASSIGN(std::optional<OrderRecord> order, store_->GetOrder(m.result));
  ASSERT_TRUE(order.has_value());
  const int64_t version = order.value_or(OrderRecord{}).version;
  EXPECT_EQ(version, 2);
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents(0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "order.revised");
  EXPECT_EQ(events[0].causation_id, "inbound:7");
  ASSERT_OK_AND_ASSIGN(auto audit, store_->ListAudit(0, 10));
  EXPECT_EQ(audit.size(), 1u);

  // Again: nothing left to change, nothing written.
  ASSERT_OK_AND_ASSIGN(ReprocessReport again, ApplyAndWait(r, m));
  EXPECT_EQ(again.outcome, "unchanged");
  EXPECT_FALSE(again.applied);
  EXPECT_THAT(store_->LastEventSeq(), ::disthub::testing::IsOkAndHolds(1));
}

TEST_F(ReprocessTest, TodaysConfigurationCanRefuseWhatWasTakenInBefore) {
  InboundRecord m = Message();
  m.result = StoreOrderFor(m, nullptr);
  OrderChecks cad_only({{"b2b-portal", {"CAD"}}}, nullptr);
  Reprocessor r(store_.get(), queue_.get(), &cad_only, &ids_, Clock::Real());
  ASSERT_OK_AND_ASSIGN(ReprocessReport plan, r.Plan(m));
  EXPECT_EQ(plan.outcome, "invalid");
  ASSERT_FALSE(plan.errors.empty());
  EXPECT_EQ(plan.errors[0].pointer, "#/currency");
  ASSERT_OK_AND_ASSIGN(ReprocessReport done, ApplyAndWait(r, m));
  EXPECT_FALSE(done.applied);
}

TEST_F(ReprocessTest, AMessageWhoseOrderIsMissingIsCreatedOnceOnly) {
  InboundRecord m = Message();
  Reprocessor r(store_.get(), queue_.get(), &checks_, &ids_, Clock::Real());
  ASSERT_OK_AND_ASSIGN(ReprocessReport plan, r.Plan(m));
  EXPECT_EQ(plan.outcome, "new");
  ASSERT_OK_AND_ASSIGN(ReprocessReport done, ApplyAndWait(r, m));
  EXPECT_TRUE(done.applied);
  EXPECT_THAT(store_->CountOrders(), ::disthub::testing::IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(ReprocessReport again, ApplyAndWait(r, m));
  EXPECT_EQ(again.outcome, "unchanged");
  EXPECT_THAT(store_->CountOrders(), ::disthub::testing::IsOkAndHolds(1));
}

}  // namespace
}  // namespace disthub
