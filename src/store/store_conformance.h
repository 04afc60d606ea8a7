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
  EXPECT_THAT(store_->GetOrderByChannelRef(o.channel, o.channel_ref), IsOkAndHolds(Optional(o)));
  EXPECT_THAT(store_->GetOrderByChannelRef("other", o.channel_ref), IsOkAndHolds(std::nullopt));
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

// Outbox rows written by an observer of AppendEvent (the transactional outbox).
class OutboxOnEvent : public EventObserver {
 public:
  absl::Status OnEventAppended(WriteTxn& txn, const EventRecord& e) override {
    absl::Time t = e.recorded_at;
    return txn
        .InsertOutbox(OutboxRecord{.subscriber = "erp",
                                   .event_seq = e.seq,
                                   .message_type = e.type,
                                   .subject = e.subject,
                                   .key = "erp-" + std::to_string(e.seq),
                                   .created_at = t,
                                   .next_attempt_at = t,
                                   .updated_at = t})
        .status();
  }
};

TEST_P(StoreConformance, ObserverOutboxRowsCommitAndRollBackWithTheirEvent) {
  OutboxOnEvent observer;
  store_->SetEventObserver(&observer);
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    EXPECT_OK(t.AppendEvent(Event("ord_1")).status());
    EXPECT_THAT(t.Isolated([&]() -> absl::Status {
      DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_2")).status());
      return absl::AbortedError("undo ord_2");
    }),
                StatusIs(absl::StatusCode::kAborted));
    return absl::OkStatus();
  }));
  EXPECT_THAT(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_3")).status());
    return absl::AbortedError("rolled back");
  }),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(auto pending, store_->PendingOutbox(0, 10));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].record.subject, "ord_1");
  EXPECT_EQ(pending[0].record.key, "erp-1");
  EXPECT_EQ(pending[0].event.seq, 1);
  EXPECT_EQ(pending[0].event.subject, "ord_1");
  store_->SetEventObserver(nullptr);
}

// WriteUnsynced + SyncCommitted (the commit queue's pipelined flush): a commit is readable
// at once; the event feed, its last seq and the outbox to deliver reach it at the latest
// once it is synced, never before (a backend that syncs inside WriteUnsynced shows them at
// once). A savepoint rolled back inside an unsynced commit gives its outbox id back
// without letting a later, unsynced row slip under the mark.
TEST_P(StoreConformance, WhatCanLeaveTheHubWaitsForTheSync) {
  OutboxOnEvent observer;
  store_->SetEventObserver(&observer);
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.AppendEvent(Event("ord_0")).status(); }));
  ASSERT_OK(store_->WriteUnsynced([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.InsertOrder(Order("ord_1")));
    DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_1")).status());
    EXPECT_THAT(t.Isolated([&]() -> absl::Status {
      DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_x")).status());
      return absl::AbortedError("undo ord_x");
    }),
                StatusIs(absl::StatusCode::kAborted));
    return absl::OkStatus();
  }));
  EXPECT_THAT(store_->GetOrder("ord_1"), IsOkAndHolds(Optional(Field(&OrderRecord::id, "ord_1"))));
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents(0, 10));
  ASSERT_OK_AND_ASSIGN(int64_t last, store_->LastEventSeq());
  ASSERT_OK_AND_ASSIGN(auto pending, store_->PendingOutbox(0, 10));
  ASSERT_OK_AND_ASSIGN(auto queried, store_->QueryEvents({.subject = "ord_1"}));
  const bool synced_at_once = events.size() == 2;
  EXPECT_EQ(events.size(), synced_at_once ? 2u : 1u);
  EXPECT_EQ(queried.size(), synced_at_once ? 1u : 0u);
  EXPECT_EQ(last, synced_at_once ? 2 : 1);
  EXPECT_EQ(pending.size(), synced_at_once ? 2u : 1u);
  ASSERT_OK(store_->SyncCommitted());
  EXPECT_THAT(store_->ListEvents(0, 10), IsOkAndHolds(::testing::SizeIs(2)));
  EXPECT_THAT(store_->ListEvents(1, 10), IsOkAndHolds(ElementsAre(Field(&EventRecord::seq, 2))));
  EXPECT_THAT(store_->LastEventSeq(), IsOkAndHolds(2));
  EXPECT_THAT(store_->QueryEvents({.subject = "ord_1"}), IsOkAndHolds(::testing::SizeIs(1)));
  ASSERT_OK_AND_ASSIGN(pending, store_->PendingOutbox(0, 10));
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[1].record.subject, "ord_1");
  // A failed unsynced write keeps nothing, and the next one reuses its seq and outbox id.
  EXPECT_THAT(store_->WriteUnsynced([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_2")).status());
    return absl::AbortedError("rolled back");
  }),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(
      store_->WriteUnsynced([&](WriteTxn& t) { return t.AppendEvent(Event("ord_3")).status(); }));
  ASSERT_OK(store_->SyncCommitted());
  ASSERT_OK_AND_ASSIGN(pending, store_->PendingOutbox(0, 10));
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[2].record.subject, "ord_3");
  EXPECT_EQ(pending[2].event.seq, 3);
  store_->SetEventObserver(nullptr);
  EXPECT_OK(store_->Check());
}

TEST_P(StoreConformance, OutboxUpdatesAttemptsAndDepths) {
  OutboxOnEvent observer;
  store_->SetEventObserver(&observer);
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    for (int i = 1; i <= 3; ++i)
      DISTHUB_RETURN_IF_ERROR(t.AppendEvent(Event("ord_" + std::to_string(i))).status());
    return absl::OkStatus();
  }));
  store_->SetEventObserver(nullptr);
  absl::Time later = absl::FromUnixSeconds(1'767'300'000);
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.UpdateOutbox({.id = 1,
                                            .state = "delivered",
                                            .attempts = 1,
                                            .next_attempt_at = later,
                                            .updated_at = later}));
    DISTHUB_RETURN_IF_ERROR(t.UpdateOutbox({.id = 2,
                                            .state = "dead",
                                            .attempts = 3,
                                            .next_attempt_at = later,
                                            .updated_at = later,
                                            .last_error = "HTTP 422"}));
    DISTHUB_RETURN_IF_ERROR(t.InsertDeliveryAttempt({.outbox_id = 2,
                                                     .attempt = 1,
                                                     .started_at = later,
                                                     .duration_us = 1500,
                                                     .outcome = "retry",
                                                     .cause = "http_5xx",
                                                     .http_status = 503,
                                                     .detail = "HTTP 503"}));
    EXPECT_THAT(t.UpdateOutbox({.id = 99, .state = "dead"}), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(t.FindOutbox(2), IsOkAndHolds(Optional(Field(&OutboxRecord::attempts, 3))));
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto pending, store_->PendingOutbox(0, 10));
  EXPECT_THAT(pending, ElementsAre(Field(&OutboxMessage::record, Field(&OutboxRecord::id, 3))));
  EXPECT_THAT(store_->PendingOutbox(3, 10), IsOkAndHolds(::testing::IsEmpty()));
  ASSERT_OK_AND_ASSIGN(auto depths, store_->OutboxDepths());
  ASSERT_EQ(depths.size(), 1u);
  EXPECT_EQ(depths[0].subscriber, "erp");
  EXPECT_EQ(depths[0].pending, 1);
  EXPECT_EQ(depths[0].dead, 1);
  EXPECT_EQ(depths[0].oldest_pending, Event("x").recorded_at);
  ASSERT_OK_AND_ASSIGN(auto attempts, store_->ListDeliveryAttempts(2));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].http_status, 503);
  EXPECT_THAT(store_->ListOutbox("erp", "dead", 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxRecord::last_error, "HTTP 422"))));
  EXPECT_THAT(store_->GetOutbox(1),
              IsOkAndHolds(Optional(Field(&OutboxRecord::state, "delivered"))));
}

TEST_P(StoreConformance, DeadLettersFilterResolveAndAudit) {
  absl::Time t = absl::FromUnixSeconds(1'767'225'600);
  DeadLetterRecord d{.kind = "delivery",
                     .partner = "erp",
                     .message_type = "order.received",
                     .subject = "ord_1",
                     .ref = 7,
                     .cause = "http_4xx",
                     .reason = "HTTP 422: unknown customer",
                     .attempts = 1,
                     .bytes = "{}",
                     .created_at = t,
                     .resolved_at = absl::UnixEpoch()};
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    EXPECT_THAT(txn.InsertDeadLetter(d), IsOkAndHolds(1));
    DeadLetterRecord other = d;
    other.partner = "wms";
    other.cause = "max_attempts";
    EXPECT_THAT(txn.InsertDeadLetter(other), IsOkAndHolds(2));
    DISTHUB_RETURN_IF_ERROR(txn.ResolveDeadLetter(1, "discarded", t, "ops: duplicate order"));
    EXPECT_THAT(txn.ResolveDeadLetter(9, "discarded", t, ""),
                StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(txn.AppendAudit({.at = t,
                                 .actor = "ops",
                                 .action = "dead_letter.discard",
                                 .target = "dead_letter:1",
                                 .detail = "duplicate order"}),
                IsOkAndHolds(1));
    return absl::OkStatus();
  }));
  EXPECT_THAT(store_->ListDeadLetters({.state = "parked"}),
              IsOkAndHolds(ElementsAre(Field(&DeadLetterRecord::partner, "wms"))));
  EXPECT_THAT(store_->ListDeadLetters({.cause = "http_4xx"}),
              IsOkAndHolds(ElementsAre(Field(&DeadLetterRecord::state, "discarded"))));
  EXPECT_THAT(store_->ListDeadLetters({.before_id = 2}),
              IsOkAndHolds(ElementsAre(Field(&DeadLetterRecord::id, 1))));
  ASSERT_OK_AND_ASSIGN(auto got, store_->GetDeadLetter(1));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->resolution, "ops: duplicate order");
  EXPECT_EQ(got->reason, d.reason);
  EXPECT_THAT(store_->ParkedDeadLetters(),
              IsOkAndHolds(ElementsAre(std::make_pair(std::string("wms"), int64_t{1}))));
  EXPECT_THAT(store_->ListAudit(0, 10),
              IsOkAndHolds(ElementsAre(Field(&AuditRecord::action, "dead_letter.discard"))));
}

TEST_P(StoreConformance, SubscriptionsInboundAndReplaysReadBack) {
  absl::Time t = absl::FromUnixSeconds(1'767'225'600);
  SubscriptionRecord sub{
      .name = "bi", .cursor = 5, .types = "order.*", .created_at = t, .updated_at = t};
  InboundRecord in{.received_at = t,
                   .source = "b2b-portal",
                   .kind = "order",
                   .key = "k1",
                   .headers = R"({"content-type":"application/json"})",
                   .body = "{\"a\":1}",
                   .outcome = "accepted",
                   .result = "ord_1"};
  ReplayRecord replay{.id = "rpl_1",
                      .subscriber = "erp",
                      .filter = "{}",
                      .state = "running",
                      .cursor = 10,
                      .end_seq = 100,
                      .matched = 3,
                      .actor = "ops",
                      .created_at = t,
                      .updated_at = t};
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(txn.PutSubscription(sub));
    EXPECT_THAT(txn.InsertInbound(in), IsOkAndHolds(1));
    DISTHUB_RETURN_IF_ERROR(txn.PutReplay(replay));
    EXPECT_THAT(txn.FindSubscription("bi"), IsOkAndHolds(Optional(sub)));
    return absl::OkStatus();
  }));
  sub.cursor = 9;
  replay.state = "done";
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(txn.PutSubscription(sub));
    return txn.PutReplay(replay);
  }));
  Reopen();
  EXPECT_THAT(store_->GetSubscription("bi"), IsOkAndHolds(Optional(sub)));
  EXPECT_THAT(store_->ListSubscriptions(), IsOkAndHolds(ElementsAre(sub)));
  in.id = 1;
  EXPECT_THAT(store_->GetInbound(1), IsOkAndHolds(Optional(in)));
  EXPECT_THAT(store_->ListInbound("b2b-portal", 0, 10), IsOkAndHolds(ElementsAre(in)));
  EXPECT_THAT(store_->ListInbound("other", 0, 10), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(store_->GetReplay("rpl_1"), IsOkAndHolds(Optional(replay)));
  EXPECT_THAT(store_->ListReplays(), IsOkAndHolds(ElementsAre(replay)));
}

TEST_P(StoreConformance, InventoryPositionsReservationsAndStockUpdatesReadBack) {
  absl::Time t = absl::FromUnixSeconds(1'767'225'600);
  InventoryPositionRecord east{.sku = "HS-1",
                               .location = "wh-east",
                               .on_hand = 10,
                               .reserved = 4,
                               .safety_stock = 2,
                               .inbound = 5,
                               .last_sequence = 7,
                               .updated_at = t};
  InventoryPositionRecord west{.sku = "HS-1",
                               .location = "wh-west",
                               .on_hand = 3,
                               .last_as_of = t - absl::Hours(1),
                               .updated_at = t};
  InventoryPositionRecord other{
      .sku = "HS-2", .location = "wh-east", .on_hand = 1, .updated_at = t};
  ReservationRecord res{.order_id = "ord_1",
                        .line = 1,
                        .location = "wh-east",
                        .sku = "HS-1",
                        .channel = "b2b-portal",
                        .quantity = 4,
                        .state = "active",
                        .created_at = t,
                        .updated_at = t};
  StockUpdateRecord delta{.source = "wms",
                          .message_id = "m1",
                          .kind = "adjustment",
                          .sku = "HS-1",
                          .location = "wh-east",
                          .delta = -2,
                          .sequence = 7,
                          .outcome = "applied",
                          .received_at = t};
  StockUpdateRecord snap{.source = "wms",
                         .message_id = "m2",
                         .kind = "snapshot",
                         .sku = "HS-2",
                         .location = "wh-east",
                         .on_hand = 1,
                         .as_of = t,
                         .outcome = "unchanged",
                         .reason = "stale",
                         .received_at = t};
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    for (const auto& p : {east, west, other}) DISTHUB_RETURN_IF_ERROR(txn.PutPosition(p));
    DISTHUB_RETURN_IF_ERROR(txn.PutReservation(res));
    EXPECT_THAT(txn.InsertStockUpdate(delta), IsOkAndHolds(1));
    EXPECT_THAT(txn.InsertStockUpdate(snap), IsOkAndHolds(2));
    EXPECT_THAT(txn.InsertStockUpdate(snap), StatusIs(absl::StatusCode::kAlreadyExists));
    delta.id = 1;
    EXPECT_THAT(txn.FindStockUpdate("wms", "m1"), IsOkAndHolds(Optional(delta)));
    EXPECT_THAT(txn.FindStockUpdate("wms", "m9"), IsOkAndHolds(std::nullopt));
    return absl::OkStatus();
  }));
  // A later write replaces a position and a reservation, keeping when it was created.
  east.reserved = 0;
  ReservationRecord released = res;
  released.state = "released";
  released.created_at = t + absl::Hours(1);
  released.updated_at = t + absl::Hours(1);
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(txn.PutPosition(east));
    return txn.PutReservation(released);
  }));
  released.created_at = t;
  Reopen();
  EXPECT_THAT(store_->ListPositions("HS-1"), IsOkAndHolds(ElementsAre(east, west)));
  EXPECT_THAT(store_->PagePositions("", 1), IsOkAndHolds(ElementsAre(east, west)));
  EXPECT_THAT(store_->PagePositions("HS-1", 10), IsOkAndHolds(ElementsAre(other)));
  EXPECT_THAT(store_->ListReservations("ord_1"), IsOkAndHolds(ElementsAre(released)));
  std::vector<InventoryPositionRecord> positions;
  std::vector<ReservationRecord> reservations;
  ASSERT_OK(store_->ScanInventory([&](const InventoryPositionRecord& p) { positions.push_back(p); },
                                  [&](const ReservationRecord& r) { reservations.push_back(r); }));
  EXPECT_EQ(positions.size(), 3u);
  EXPECT_THAT(reservations, ElementsAre(released));
  snap.id = 2;
  EXPECT_THAT(store_->ListStockUpdates("", 0, 10), IsOkAndHolds(ElementsAre(snap, delta)));
  EXPECT_THAT(store_->ListStockUpdates("HS-1", 0, 10), IsOkAndHolds(ElementsAre(delta)));
  EXPECT_THAT(store_->ListStockUpdates("", 2, 10), IsOkAndHolds(ElementsAre(delta)));

  FeedStateRecord fa{.channel = "mkt-a", .sku = "HS-1", .sellable = 4, .pushed_at = t};
  FeedStateRecord fb{.channel = "mkt-b", .sku = "HS-1", .sellable = 2, .pushed_at = t};
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(txn.PutFeedState(fb));
    return txn.PutFeedState(fa);
  }));
  fa.sellable = 0;
  ASSERT_OK(store_->Write([&](WriteTxn& txn) { return txn.PutFeedState(fa); }));
  EXPECT_THAT(store_->ListFeedState(), IsOkAndHolds(ElementsAre(fa, fb)));

  ReconciliationRecord rec{.id = "rcn_1",
                           .state = "running",
                           .apply = true,
                           .total = 10,
                           .checked = 5,
                           .drifts = 1,
                           .actor = "ops",
                           .report = "[]",
                           .created_at = t,
                           .updated_at = t};
  ASSERT_OK(store_->Write([&](WriteTxn& txn) { return txn.PutReconciliation(rec); }));
  rec.state = "done";
  rec.checked = 10;
  ASSERT_OK(store_->Write([&](WriteTxn& txn) { return txn.PutReconciliation(rec); }));
  EXPECT_THAT(store_->GetReconciliation("rcn_1"), IsOkAndHolds(Optional(rec)));
  EXPECT_THAT(store_->GetReconciliation("rcn_2"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(store_->ListReconciliations(10), IsOkAndHolds(ElementsAre(rec)));
}

TEST_P(StoreConformance, QueriesEventsBySeqRangeSubjectTypeAndTime) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    for (int i = 1; i <= 6; ++i) {
      EventRecord e =
          Event(i % 2 ? "ord_a" : "ord_b", i <= 3 ? "order.received" : "shipment.created");
      e.recorded_at = absl::FromUnixSeconds(1'767'225'600 + i);
      DISTHUB_RETURN_IF_ERROR(t.AppendEvent(e).status());
    }
    return absl::OkStatus();
  }));
  auto seqs = [&](const EventQuery& q) {
    std::vector<int64_t> out;
    auto events = store_->QueryEvents(q);
    EXPECT_OK(events.status());
    if (events.ok())
      for (const auto& e : *events) out.push_back(e.seq);
    return out;
  };
  EXPECT_THAT(seqs({.after = 1, .to_seq = 4}), ElementsAre(2, 3, 4));
  EXPECT_THAT(seqs({.subject = "ord_a"}), ElementsAre(1, 3, 5));
  EXPECT_THAT(seqs({.types = {"shipment.*"}}), ElementsAre(4, 5, 6));
  EXPECT_THAT(seqs({.types = {"order.received", "nothing"}}), ElementsAre(1, 2, 3));
  EXPECT_THAT(seqs({.from_time = absl::FromUnixSeconds(1'767'225'602),
                    .to_time = absl::FromUnixSeconds(1'767'225'604)}),
              ElementsAre(2, 3));
  EXPECT_THAT(seqs({.subject = "ord_b", .types = {"shipment.*"}, .limit = 1}), ElementsAre(4));
  EXPECT_THAT(seqs({.from_time = absl::FromUnixSeconds(1'767'225'606)}), ElementsAre(6));
  EXPECT_THAT(seqs({.to_time = absl::FromUnixSeconds(1'767'225'602)}), ElementsAre(1));
  EXPECT_THAT(seqs({.from_time = absl::FromUnixSeconds(1'767'225'700)}), ::testing::IsEmpty());
}

TEST_P(StoreConformance, TimeQueriesFindTheirRangeInALongLog) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    for (int i = 1; i <= 30'000; ++i) {
      EventRecord e = Event("ord_" + std::to_string(i % 7));
      e.recorded_at = absl::FromUnixMillis(1'767'225'600'000 + i);  // 1 ms apart
      DISTHUB_RETURN_IF_ERROR(t.AppendEvent(e).status());
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(
      auto events,
      store_->QueryEvents({.from_time = absl::FromUnixMillis(1'767'225'600'000 + 25'000),
                           .to_time = absl::FromUnixMillis(1'767'225'600'000 + 25'003),
                           .limit = 100}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].seq, 25'000);
  EXPECT_EQ(events[2].seq, 25'002);
}

TEST_P(StoreConformance, UpdatesAnOrderOnlyFromTheVersionItRead) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.InsertOrder(Order("ord_1")); }));
  OrderRecord next = Order("ord_1");
  next.version = 2;
  next.status = "accepted";
  next.body = R"({"id":"ord_1","v":2})";
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.UpdateOrder(next); }));
  EXPECT_THAT(store_->Write([&](WriteTxn& t) { return t.UpdateOrder(next); }),
              StatusIs(absl::StatusCode::kAborted));
  OrderRecord ghost = Order("ord_9");
  ghost.version = 2;
  EXPECT_THAT(store_->Write([&](WriteTxn& t) { return t.UpdateOrder(ghost); }),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto got, store_->GetOrder("ord_1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->status, "accepted");
  EXPECT_EQ(got->body, next.body);
}

TEST_P(StoreConformance, FulfillmentsTimersAndOrderFiguresReadBack) {
  absl::Time t0 = absl::FromUnixSeconds(1'767'225'600);
  FulfillmentRecord f1{.id = "ful_1",
                       .order_id = "ord_1",
                       .location = "wh-east",
                       .state = "released",
                       .attempt = 1,
                       .version = 1,
                       .created_at = t0,
                       .updated_at = t0,
                       .body = R"({"lines":[]})"};
  FulfillmentRecord f2 = f1;
  f2.id = "ful_2";
  f2.location = "wh-west";
  f2.created_at = t0 + absl::Seconds(1);
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.InsertOrder(Order("ord_1")));
    DISTHUB_RETURN_IF_ERROR(t.PutFulfillment(f2));
    DISTHUB_RETURN_IF_ERROR(t.PutFulfillment(f1));
    DISTHUB_RETURN_IF_ERROR(t.PutTimer({.id = "ack:ful_1:1",
                                        .kind = "ack_deadline",
                                        .subject = "ord_1",
                                        .due_at = t0 + absl::Minutes(15),
                                        .payload = "{}"}));
    DISTHUB_RETURN_IF_ERROR(t.PutTimer(
        {.id = "close:ord_1", .kind = "close", .subject = "ord_1", .due_at = t0 + absl::Hours(1)}));
    // Inside the transaction the writer sees its own rows.
    DISTHUB_ASSIGN_OR_RETURN(auto mine, t.FindFulfillments("ord_1"));
    if (mine.size() != 2 || mine[0].id != "ful_1") return absl::InternalError("own rows");
    DISTHUB_ASSIGN_OR_RETURN(auto timer, t.FindTimer("ack:ful_1:1"));
    if (!timer || timer->kind != "ack_deadline") return absl::InternalError("own timer");
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto got, store_->GetFulfillment("ful_1"));
  EXPECT_THAT(got, Optional(f1));
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListFulfillments("ord_1"));
  EXPECT_THAT(list, ElementsAre(f1, f2));
  ASSERT_OK_AND_ASSIGN(auto counts, store_->CountFulfillments());
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].first.first, "wh-east");
  EXPECT_EQ(counts[0].second, 1);

  // Replacing keeps one row; timers come back by due time and disappear when deleted.
  f1.state = "acknowledged";
  f1.version = 2;
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.PutFulfillment(f1); }));
  ASSERT_OK_AND_ASSIGN(got, store_->GetFulfillment("ful_1"));
  EXPECT_EQ(got->state, "acknowledged");
  ASSERT_OK_AND_ASSIGN(auto due, store_->DueTimers(t0 + absl::Minutes(20), 10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, "ack:ful_1:1");
  ASSERT_OK_AND_ASSIGN(absl::Time next, store_->NextTimerDue());
  EXPECT_EQ(next, t0 + absl::Minutes(15));
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.DeleteTimer("ack:ful_1:1"));
    return t.DeleteTimer("never-set");  // not an error
  }));
  ASSERT_OK_AND_ASSIGN(auto timers, store_->ListTimers("ord_1"));
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].id, "close:ord_1");
  ASSERT_OK_AND_ASSIGN(next, store_->NextTimerDue());
  EXPECT_EQ(next, t0 + absl::Hours(1));

  ASSERT_OK_AND_ASSIGN(auto by_status, store_->CountOrdersByStatus());
  ASSERT_EQ(by_status.size(), 1u);
  EXPECT_EQ(by_status[0].status, "received");
  EXPECT_EQ(by_status[0].orders, 1);
  EXPECT_EQ(by_status[0].oldest_update, t0);

  // Survives a reopen (durable timers).
  Reopen();
  ASSERT_OK_AND_ASSIGN(next, store_->NextTimerDue());
  EXPECT_EQ(next, t0 + absl::Hours(1));
}

TEST_P(StoreConformance, ReturnsReadBack) {
  absl::Time t0 = absl::FromUnixSeconds(1'767'225'600);
  ReturnRecord r1{.id = "ret_1",
                  .order_id = "ord_1",
                  .location = "wh-east",
                  .state = "authorized",
                  .version = 1,
                  .created_at = t0,
                  .updated_at = t0,
                  .body = R"({"lines":[]})"};
  ReturnRecord r2 = r1;
  r2.id = "ret_2";
  r2.created_at = t0 + absl::Seconds(1);
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(t.PutReturn(r2));
    DISTHUB_RETURN_IF_ERROR(t.PutReturn(r1));
    DISTHUB_ASSIGN_OR_RETURN(auto mine, t.FindReturns("ord_1"));
    if (mine.size() != 2 || mine[0].id != "ret_1") return absl::InternalError("own rows");
    DISTHUB_ASSIGN_OR_RETURN(auto one, t.FindReturn("ret_2"));
    if (!one || *one != r2) return absl::InternalError("own row");
    return absl::OkStatus();
  }));
  r1.state = "received";
  r1.version = 2;
  ASSERT_OK(store_->Write([&](WriteTxn& t) { return t.PutReturn(r1); }));
  ASSERT_OK_AND_ASSIGN(auto got, store_->GetReturn("ret_1"));
  EXPECT_THAT(got, Optional(r1));
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListReturns("ord_1"));
  EXPECT_THAT(list, ElementsAre(r1, r2));
  ASSERT_OK_AND_ASSIGN(auto none, store_->GetReturn("ret_9"));
  EXPECT_FALSE(none.has_value());
}

TEST_P(StoreConformance, ConnectorStateIsReplacedAndSurvivesAReopen) {
  EXPECT_THAT(store_->GetConnectorState("amazon-us"), IsOkAndHolds(std::nullopt));
  const absl::Time t = absl::FromUnixMicros(1'795'000'000'000'000);
  ConnectorStateRecord a{
      .connector = "amazon-us", .cursor = "2026-11-27T10:00:00Z", .updated_at = t};
  ConnectorStateRecord b{.connector = "walmart", .cursor = "page-7", .updated_at = t};
  ASSERT_OK(store_->Write([&](WriteTxn& txn) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(txn.PutConnectorState(a));
    return txn.PutConnectorState(b);
  }));
  a.cursor = "2026-11-27T11:00:00Z";
  a.updated_at = t + absl::Hours(1);
  ASSERT_OK(store_->Write([&](WriteTxn& txn) { return txn.PutConnectorState(a); }));
  Reopen();
  EXPECT_THAT(store_->GetConnectorState("amazon-us"), IsOkAndHolds(std::optional(a)));
  EXPECT_THAT(store_->GetConnectorState("walmart"), IsOkAndHolds(std::optional(b)));
}

TEST_P(StoreConformance, ListsTheOutboxOfOneSubject) {
  ASSERT_OK(store_->Write([&](WriteTxn& t) -> absl::Status {
    for (const char* subject : {"ord_1", "ord_2", "ord_1"}) {
      DISTHUB_ASSIGN_OR_RETURN(int64_t seq, t.AppendEvent(Event(subject)));
      OutboxRecord o{.subscriber = "erp",
                     .event_seq = seq,
                     .message_type = "order.received",
                     .subject = subject,
                     .key = "k" + std::to_string(seq)};
      DISTHUB_RETURN_IF_ERROR(t.InsertOutbox(o).status());
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto rows, store_->ListOutboxBySubject("ord_1"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].event_seq, 1);
  EXPECT_EQ(rows[1].event_seq, 3);
}

}  // namespace disthub::testing
