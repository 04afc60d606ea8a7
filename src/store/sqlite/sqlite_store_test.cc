#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <thread>

#include "store/store_conformance.h"

namespace disthub::testing {
namespace {

absl::StatusOr<std::unique_ptr<Store>> OpenInFolder(const std::string& folder) {
  return OpenSqliteStore({.path = folder + "/disthub.db", .checkpoint_pages = 64});
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreFactory{"sqlite", &OpenInFolder}));

// SQLite splits commit and flush: an unsynced commit is readable but held back from the
// event feed and the outbox until SyncCommitted() flushed it (synchronous=full).
TEST(SqliteStore, HoldsBackUnsyncedCommitsFromTheFeedAndTheOutbox) {
  char tmpl[] = "/tmp/disthub-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  ASSERT_OK_AND_ASSIGN(auto store, OpenInFolder(tmpl));
  class Outbox : public EventObserver {
    absl::Status OnEventAppended(WriteTxn& txn, const EventRecord& e) override {
      return txn
          .InsertOutbox(
              {.subscriber = "erp", .event_seq = e.seq, .subject = e.subject, .key = e.subject})
          .status();
    }
  } outbox;
  store->SetEventObserver(&outbox);
  ASSERT_OK(store->WriteUnsynced([](WriteTxn& t) {
    return t.AppendEvent({.type = "order.received", .subject = "ord_1"}).status();
  }));
  EXPECT_THAT(store->ListEvents(0, 10), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(store->QueryEvents({.types = {"order.*"}}), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(store->LastEventSeq(), IsOkAndHolds(0));
  EXPECT_THAT(store->PendingOutbox(0, 10), IsOkAndHolds(::testing::IsEmpty()));
  ASSERT_OK(store->SyncCommitted());
  EXPECT_THAT(store->ListEvents(0, 10), IsOkAndHolds(::testing::SizeIs(1)));
  EXPECT_THAT(store->QueryEvents({.types = {"order.*"}}), IsOkAndHolds(::testing::SizeIs(1)));
  EXPECT_THAT(store->LastEventSeq(), IsOkAndHolds(1));
  EXPECT_THAT(store->PendingOutbox(0, 10), IsOkAndHolds(::testing::SizeIs(1)));
  // Write() is WriteUnsynced() and the flush in one.
  ASSERT_OK(store->Write([](WriteTxn& t) {
    return t.AppendEvent({.type = "order.received", .subject = "ord_2"}).status();
  }));
  EXPECT_THAT(store->LastEventSeq(), IsOkAndHolds(2));
  EXPECT_THAT(store->PendingOutbox(1, 10), IsOkAndHolds(::testing::SizeIs(1)));
  store->SetEventObserver(nullptr);
  store.reset();
  std::filesystem::remove_all(tmpl);
}

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
  char tmpl[] = "/tmp/disthub-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/disthub.db";
  { ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore({.path = path})); }
  {
    // Pretend a newer disthub migrated this file further.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 'future', 0)", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_THAT(OpenSqliteStore({.path = path}),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("999")));
  std::filesystem::remove_all(tmpl);
}

TEST(SqliteStore, RejectsAnUnknownSyncSetting) {
  char tmpl[] = "/tmp/disthub-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  EXPECT_THAT(OpenSqliteStore({.path = std::string(tmpl) + "/x.db", .synchronous = "sometimes"}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("sometimes")));
  std::filesystem::remove_all(tmpl);
}

TEST(SqliteStore, ManyCommitsCheckpointInTheBackgroundWithoutLosingRows) {
  char tmpl[] = "/tmp/disthub-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/disthub.db";
  {
    ASSERT_OK_AND_ASSIGN(
        auto store,
        OpenSqliteStore({.path = path, .synchronous = "normal", .checkpoint_pages = 16}));
    std::string body(2000, 'x');
    for (int b = 0; b < 50; ++b) {
      ASSERT_OK(store->Write([&](WriteTxn& t) -> absl::Status {
        for (int i = 0; i < 20; ++i) {
          EventRecord e{.type = "t", .subject = "s", .payload = body};
          DISTHUB_RETURN_IF_ERROR(t.AppendEvent(e).status());
        }
        return absl::OkStatus();
      }));
    }
    // The background checkpoint copies the WAL into the database file (2 MB of events).
    bool copied = false;
    for (int i = 0; i < 200 && !copied; ++i) {
      copied = std::filesystem::file_size(path) > 1'000'000;
      if (!copied) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(copied) << "the database file holds " << std::filesystem::file_size(path)
                        << " bytes: nothing was checkpointed";
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore({.path = path}));
  EXPECT_THAT(store->LastEventSeq(), IsOkAndHolds(1000));
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace disthub::testing
