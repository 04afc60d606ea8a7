#include "orchestration/order_intake.h"

#include <filesystem>
#include <future>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "model/test_entities.h"
#include "status_matchers.h"
#include "store/packed_text.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

using ::disthub::testing::IsOkAndHolds;
using ::disthub::testing::StatusIs;
using ::testing::HasSubstr;

class OrderIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-intake-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    folder_ = tmpl;
    auto s = OpenSqliteStore({.path = folder_ + "/db", .synchronous = "normal"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
    queue_ = std::make_unique<CommitQueue>(store_.get(), CommitQueueOptions{});
    intake_ = std::make_unique<OrderIntake>(queue_.get());
  }
  void TearDown() override {
    intake_.reset();
    queue_.reset();
    store_.reset();
    std::filesystem::remove_all(folder_);
  }

  static IntakeRequest Request(std::string id, std::string ref, std::string key = "",
                               std::string hash = "h1") {
    absl::Time t = absl::FromUnixSeconds(1'767'225'600);
    return IntakeRequest{.order = {.id = id, .channel = "dtc-web", .channel_ref = ref,
                                   .status = "received", .created_at = t, .updated_at = t,
                                   .body = R"({"id":")" + id + R"("})"},
                         .idempotency_scope = "dtc-web",
                         .idempotency_key = key,
                         .request_hash = hash,
                         .causation_id = "req_" + id};
  }

  absl::StatusOr<IntakeResult> Submit(IntakeRequest r) {
    std::promise<absl::StatusOr<IntakeResult>> p;
    intake_->Submit(std::move(r), [&p](absl::StatusOr<IntakeResult> res) {
      p.set_value(std::move(res));
    });
    return p.get_future().get();
  }

  std::string folder_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitQueue> queue_;
  std::unique_ptr<OrderIntake> intake_;
};

TEST_F(OrderIntakeTest, StoresTheOrderWithItsReceivedEvent) {
  ASSERT_OK_AND_ASSIGN(IntakeResult r, Submit(Request("ord_1", "1001")));
  EXPECT_EQ(r.outcome, IntakeOutcome::kCreated);
  EXPECT_EQ(r.order.id, "ord_1");
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents(0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "order.received");
  EXPECT_EQ(events[0].subject, "ord_1");
  EXPECT_EQ(events[0].correlation_id, "ord_1");
  EXPECT_EQ(events[0].causation_id, "req_ord_1");
  EXPECT_EQ(events[0].payload, R"({"id":"ord_1"})");
}

// The order's body is packed where the order is accepted (an I/O thread), so the writer
// only checks it; the event carries the same packed form.
TEST(AcceptNewOrder, PacksTheBodyAheadOfTheWriter) {
  Decoded<Order> decoded = DecodeOrderText(test::kRealisticOrderJson);
  ASSERT_TRUE(decoded.value.has_value());
  IdGenerator ids;
  OrderRecord record = AcceptNewOrder(*decoded.value, ids, absl::FromUnixSeconds(1'767'225'600));
  EXPECT_EQ(record.body, SerializeOrder(*decoded.value));
  ASSERT_FALSE(record.packed_body.bytes.empty());
  EXPECT_TRUE(PacksTo(record.packed_body.bytes, record.body));
}

TEST_F(OrderIntakeTest, SameChannelReferenceReturnsTheFirstOrderAndWritesNothing) {
  ASSERT_OK(Submit(Request("ord_1", "1001")));
  ASSERT_OK_AND_ASSIGN(IntakeResult again, Submit(Request("ord_2", "1001")));
  EXPECT_EQ(again.outcome, IntakeOutcome::kReplayed);
  EXPECT_EQ(again.order.id, "ord_1");
  EXPECT_THAT(store_->CountOrders(), IsOkAndHolds(1));
  EXPECT_THAT(store_->LastEventSeq(), IsOkAndHolds(1));
}

TEST_F(OrderIntakeTest, SameIdempotencyKeyReturnsTheFirstOrder) {
  ASSERT_OK(Submit(Request("ord_1", "1001", "key-1")));
  // Even with another channel reference: the key decides.
  ASSERT_OK_AND_ASSIGN(IntakeResult again, Submit(Request("ord_2", "1002", "key-1")));
  EXPECT_EQ(again.outcome, IntakeOutcome::kReplayed);
  EXPECT_EQ(again.order.id, "ord_1");
  EXPECT_EQ(again.status_code, 201);
  EXPECT_THAT(store_->CountOrders(), IsOkAndHolds(1));
}

TEST_F(OrderIntakeTest, ReusingAKeyForADifferentRequestIsRefused) {
  ASSERT_OK(Submit(Request("ord_1", "1001", "key-1", "hash-a")));
  EXPECT_THAT(Submit(Request("ord_2", "1002", "key-1", "hash-b")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different request")));
  EXPECT_THAT(store_->CountOrders(), IsOkAndHolds(1));
}

TEST_F(OrderIntakeTest, ANewKeyForAKnownChannelOrderIsRememberedForThatOrder) {
  ASSERT_OK(Submit(Request("ord_1", "1001")));
  ASSERT_OK_AND_ASSIGN(IntakeResult r, Submit(Request("ord_2", "1001", "key-9")));
  EXPECT_EQ(r.order.id, "ord_1");
  ASSERT_OK_AND_ASSIGN(IntakeResult again, Submit(Request("ord_3", "1001", "key-9")));
  EXPECT_EQ(again.order.id, "ord_1");
  EXPECT_THAT(store_->CountOrders(), IsOkAndHolds(1));
}

TEST_F(OrderIntakeTest, ConcurrentRepeatsOfOneOrderStoreItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, replayed{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = Submit(Request("ord_" + std::to_string(i), "1001", "key-1"));
      ASSERT_TRUE(r.ok()) << r.status();
      (r->outcome == IntakeOutcome::kCreated ? created : replayed)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_THAT(store_->CountOrders(), IsOkAndHolds(1));
}

}  // namespace
}  // namespace disthub
