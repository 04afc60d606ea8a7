// The conformance suite every Store backend runs (STYLE.md: one shared store suite).
//
// A backend instantiates it with a factory that opens (or reopens) its store on a
// given folder:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
//                            ::testing::Values(StoreFactory{"sqlite", &OpenInFolder}));
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "store/store.h"

namespace disthub::testing {

struct StoreFactory {
  std::string name;
  // Opens the store kept in `folder` (the same folder reopens the same data).
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::string& folder)> open;
};

inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    folder_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(folder_);
  }
  void Reopen() {
    store_.reset();
    auto s = GetParam().open(folder_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
  }

  static OrderRecord Order(std::string id, std::string channel = "b2b-portal",
                           std::string ref = "") {
    absl::Time t = absl::FromUnixSeconds(1'767'225'600);
    return OrderRecord{.id = id,
                       .channel = channel,
                       .channel_ref = ref.empty() ? "ref-" + id : ref,
                       .status = "received",
                       .version = 1,
                       .created_at = t,
                       .updated_at = t,
                       .body = R"({"id":")" + id + R"("})"};
  }
  static EventRecord Event(std::string subject, std::string type = "order.received") {
    absl::Time t = absl::FromUnixMicros(1'767'225'600'123'456);
    return EventRecord{.type = type,
                       .subject = subject,
                       .correlation_id = subject,
                       .causation_id = "req_1",
                       .occurred_at = t,
                       .recorded_at = t,
                       .payload = "{}"};
  }

  std::string folder_;
  std::unique_ptr<Store> store_;
};

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Optional;

TEST_P(StoreConformance, MigratesToTheLatestSchemaAndReopensIdempotently) {
  ASSERT_OK_AND_ASSIGN(int v1, store_->SchemaVersion());
  EXPECT_GE(v1, 1);
  Reopen();
  EXPECT_THAT(store_->SchemaVersion(), IsOkAndHolds(v1));
}

TEST_P(StoreConformance, InsertedOrderReadsBackExactlyAfterReopen) {
  OrderRecord o = Order("ord_1");
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.InsertOrder(o); }));
  EXPECT_THAT(store_->GetOrder("ord_1"), IsOkAndHolds(Optional(o)));
  Reopen();
  EXPECT_THAT(store_->GetOrder("ord_1"), IsOkAndHolds(Optional(o)));
  EXPECT_THAT(store_->GetOrder("ord_2"), IsOkAndHolds(std::nullopt));
}

TEST_P(StoreConformance, DuplicateIdOrChannelReferenceIsAlreadyExists) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.InsertOrder(Order("ord_1", "c", "r")); }));
  EXPECT_THAT(store_->Write([&](WriteTxn& t) { return t.InsertOrder(Order("ord_1", "c", "x")); }),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->Write([&](WriteTxn& t) { return t.InsertOrder(Order("ord_2", "c", "r")); }),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The same reference on another channel is another order.
  EXPECT_OK(store_->Write([&](WriteTxn& t) { return t.InsertOrder(Order("ord_3", "d", "r")); }));
  EXPECT_THAT(store_->CountOrders(), IsOkAndHolds(2));
}

TEST_P(StoreConformance, FindsOrdersByChannelReferenceInsideTheTransaction) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.InsertOrder(Order("ord_1", "c", "r")));
    auto found = t.FindOrderByChannelRef("c", "r");  // sees its own uncommitted write
    EXPECT_THAT(found, IsOkAndHolds(Optional(Field(&OrderRecord::id, "ord_1"))));
    EXPECT_THAT(t.FindOrderByChannelRef("c", "other"), IsOkAndHolds(std::nullopt));
    EXPECT_THAT(t.FindOrder("ord_1"), IsOkAndHolds(Optional(Field(&OrderRecord::id, "ord_1"))));
    return absl::OkStatus();
  }));
}

TEST_P(StoreConformance, IdempotencyKeysAreScopedAndUnique) {
  IdempotencyRecord k{.scope = "partner-a",
                      .key = "k1",
                      .request_hash = "abc",
                      .resource_id = "ord_1",
                      .status_code = 201,
                      .created_at = absl::FromUnixSeconds(1'767'225'600)};
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.InsertIdempotencyKey(k); }));
  EXPECT_THAT(store_->Write([&](WriteTxn& t) { return t.InsertIdempotencyKey(k); }),
              StatusIs(absl::StatusCode::kAlreadyExists));
  IdempotencyRecord other = k;
  other.scope = "partner-b";
  EXPECT_OK(store_->Write([&](WriteTxn& t) { return t.InsertIdempotencyKey(other); }));
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    EXPECT_THAT(t.FindIdempotencyKey("partner-a", "k1"), IsOkAndHolds(Optional(k)));
    EXPECT_THAT(t.FindIdempotencyKey("partner-a", "k2"), IsOkAndHolds(std::nullopt));
    return absl::OkStatus();
  }));
}

TEST_P(StoreConformance, EventsGetContiguousSequenceNumbersAndPage) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    for (int i = 0; i < 5; ++i) {
      auto seq = t.AppendEvent(Event("ord_" + std::to_string(i)));
      EXPECT_THAT(seq, IsOkAndHolds(i + 1));
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto page, store_->ListEvents(1, 2));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 2);
  EXPECT_EQ(page[1].seq, 3);
  EventRecord want = Event("ord_1");
  want.seq = 2;
  EXPECT_EQ(page[0], want);
  EXPECT_THAT(store_->LastEventSeq(), IsOkAndHolds(5));
  Reopen();
  ASSERT_OK(store_->Write([&](WriteTxn& t) {
    EXPECT_THAT(t.AppendEvent(Event("ord_9")), IsOkAndHolds(6));
    return absl::OkStatus();
  }));
}

TEST_P(StoreConformance, FailedWriteKeepsNothingAndLeavesNoSequenceGap) {
  EXPECT_THAT(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.InsertOrder(Order("ord_1")));
    DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_1")).status());
    return absl::AbortedError("changed my mind");
  }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store_->GetOrder("ord_1"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(store_->LastEventSeq(), IsOkAndHolds(0));
  ASSERT_OK(store_->Write([&](WriteTxn& t) {
    EXPECT_THAT(t.AppendEvent(Event("ord_2")), IsOkAndHolds(1));
    return absl::OkStatus();
  }));
}

TEST_P(StoreConformance, IsolatedFailureUndoesOnlyItsOwnWrites) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    EXPECT_OK(t.Isolated([&] { return t.InsertOrder(Order("ord_1")); }));
    EXPECT_OK(t.Isolated([&] { return t.AppendEvent(Event("ord_1")).status(); }));
    EXPECT_THAT(t.Isolated([&]() -> absl::Status {
      DISTHUB_RETURN_IF_ERROR(t.InsertOrder(Order("ord_2")));
      DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_2")).status());
      return t.InsertOrder(Order("ord_1"));  // duplicate: fails
    }),
                StatusIs(absl::StatusCode::kAlreadyExists));
    EXPECT_THAT(t.AppendEvent(Event("ord_3")), IsOkAndHolds(2));  // ord_2's seq was given back
    return absl::OkStatus();
  }));
  EXPECT_THAT(store_->GetOrder("ord_2"), IsOkAndHolds(std::nullopt));
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents(0, 10));
  EXPECT_THAT(events, ElementsAre(Field(&EventRecord::subject, "ord_1"),
                                  Field(&EventRecord::subject, "ord_3")));
}

TEST_P(StoreConformance, ListsOrdersNewestFirstWithFiltersAndCursor) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    for (int i = 1; i <= 5; ++i) {
      OrderRecord o = Order("ord_" + std::to_string(i), i % 2 ? "odd" : "even");
      if (i == 3) o.status = "cancelled";
      DISTHUB_RETURN_IF_ERROR(t.InsertOrder(o));
    }
    return absl::OkStatus();
  }));
  auto ids = [](const std::vector<OrderRecord>& v) {
    std::vector<std::string> out;
    for (const auto& o : v) out.push_back(o.id);
    return out;
  };
  ASSERT_OK_AND_ASSIGN(auto all, store_->ListOrders({.limit = 2}));
  EXPECT_THAT(ids(all), ElementsAre("ord_5", "ord_4"));
  ASSERT_OK_AND_ASSIGN(auto next, store_->ListOrders({.before_id = "ord_4", .limit = 2}));
  EXPECT_THAT(ids(next), ElementsAre("ord_3", "ord_2"));
  ASSERT_OK_AND_ASSIGN(auto odd, store_->ListOrders({.channel = "odd", .limit = 10}));
  EXPECT_THAT(ids(odd), ElementsAre("ord_5", "ord_3", "ord_1"));
  ASSERT_OK_AND_ASSIGN(auto cancelled,
                       store_->ListOrders({.channel = "odd", .status = "cancelled", .limit = 10}));
  EXPECT_THAT(ids(cancelled), ElementsAre("ord_3"));
}

TEST_P(StoreConformance, ReadersSeeOnlyCommittedWrites) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.InsertOrder(Order("ord_1")));
    EXPECT_THAT(store_->GetOrder("ord_1"), IsOkAndHolds(std::nullopt));
    return absl::OkStatus();
  }));
  EXPECT_THAT(store_->GetOrder("ord_1"), IsOkAndHolds(Optional(Field(&OrderRecord::id, "ord_1"))));
  EXPECT_OK(store_->Check());
}

}  // namespace disthub::testing
