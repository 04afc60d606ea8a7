#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <thread>

#include "store/packed_text.h"
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

// A new order with `body`, as intake writes it.
OrderRecord NewOrder(const std::string& id, const std::string& body) {
  const absl::Time t = absl::FromUnixSeconds(1'790'000'000);
  return OrderRecord{.id = id,
                     .channel = "b2b-portal",
                     .channel_ref = "PO-" + id,
                     .status = "received",
                     .version = 1,
                     .created_at = t,
                     .updated_at = t,
                     .body = body};
}

// Runs `sql` on the database file behind the store's back; the first column of the first
// row as text ("" when there is none).
std::string Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

// Large documents are stored packed (packed_text.h), read back as written, and rows
// written as text before packing existed still read; a damaged one is DataLoss.
TEST(SqliteStore, KeepsLargeDocumentsPackedAndReadsOldTextRowsAsTheyAre) {
  char tmpl[] = "/tmp/disthub-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/disthub.db";
  std::string body = R"({"channel":"b2b-portal","lines":[)";
  for (int i = 0; i < 20; ++i) {
    body += StrCat(i ? "," : "", R"({"sku":"HBR-)", 1000 + i,
                   R"(","quantity":{"value":12,"uom":"each"},"unit_price":{"amount_minor":1299}})");
  }
  body += "]}";
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore({.path = path}));
    ASSERT_OK(store->Write([&](WriteTxn& txn) -> absl::Status {
      DISTHUB_RETURN_IF_ERROR(txn.InsertOrder(NewOrder("ord_1", body)));
      return txn.AppendEvent({.type = "order.received", .subject = "ord_1", .payload = body})
          .status();
    }));
    ASSERT_OK_AND_ASSIGN(auto read, store->GetOrder("ord_1"));
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->body, body);
    ASSERT_OK_AND_ASSIGN(auto events, store->ListEvents(0, 10));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].payload, body);
  }
  EXPECT_EQ(Sql(path, "SELECT typeof(body) FROM orders WHERE id = 'ord_1'"), "blob");
  EXPECT_LT(std::stoul(Sql(path, "SELECT length(body) FROM orders WHERE id = 'ord_1'")),
            body.size() / 2);
  EXPECT_EQ(Sql(path, "SELECT typeof(payload) FROM events"), "blob");

  // A row as a database from before packing holds it, and one whose packed body is damaged.
  Sql(path, StrCat("INSERT INTO orders (id, channel, channel_ref, status, version, created_at, "
                   "updated_at, body) SELECT 'ord_2', channel, 'PO-ord_2', status, version, "
                   "created_at, updated_at, '",
                   body, "' FROM orders WHERE id = 'ord_1'"));
  Sql(path,
      "INSERT INTO orders (id, channel, channel_ref, status, version, created_at, "
      "updated_at, body) SELECT 'ord_3', channel, 'PO-ord_3', status, version, "
      "created_at, updated_at, substr(body, 1, 40) FROM orders WHERE id = 'ord_1'");
  ASSERT_EQ(Sql(path, "SELECT group_concat(typeof(body)) FROM orders"), "blob,text,blob");
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore({.path = path}));
  ASSERT_OK_AND_ASSIGN(auto old, store->GetOrder("ord_2"));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->body, body);
  EXPECT_THAT(store->GetOrder("ord_3"),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("body")));
  EXPECT_THAT(store->ListOrders({.limit = 10}), StatusIs(absl::StatusCode::kDataLoss));
  // The damage is reported, not carried over into the next read on the same statement.
  ASSERT_OK_AND_ASSIGN(auto again, store->GetOrder("ord_2"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->body, body);
  std::filesystem::remove_all(tmpl);
}

// A packed form made ahead (off the writer) is stored when it holds the record's text; one
// that does not (the body changed after it was packed) is ignored and the body packed anew.
TEST(SqliteStore, StoresAPackedFormMadeAheadOnlyWhenItHoldsTheText) {
  char tmpl[] = "/tmp/disthub-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  ASSERT_OK_AND_ASSIGN(auto store, OpenInFolder(tmpl));
  std::string body = R"({"channel":"dtc-web","lines":[)";
  for (int i = 0; i < 20; ++i) body += StrCat(i ? "," : "", R"({"sku":"HBR-)", 2000 + i, R"("})");
  body += "]}";
  std::string changed = body;
  changed[changed.size() / 2] = '7';
  OrderRecord fresh = NewOrder("ord_1", body);
  fresh.packed_body = {PackAhead(body)};
  OrderRecord stale = NewOrder("ord_2", changed);
  stale.packed_body = fresh.packed_body;  // holds `body`, not `changed`
  ASSERT_FALSE(fresh.packed_body.bytes.empty());
  ASSERT_OK(store->Write([&](WriteTxn& txn) -> absl::Status {
    DISTHUB_RETURN_IF_ERROR(txn.InsertOrder(fresh));
    DISTHUB_RETURN_IF_ERROR(txn.InsertOrder(stale));
    return txn
        .AppendEvent({.type = "order.received",
                      .subject = "ord_2",
                      .payload = changed,
                      .packed_payload = fresh.packed_body})
        .status();
  }));
  ASSERT_OK_AND_ASSIGN(auto one, store->GetOrder("ord_1"));
  ASSERT_OK_AND_ASSIGN(auto two, store->GetOrder("ord_2"));
  ASSERT_TRUE(one.has_value() && two.has_value());
  EXPECT_EQ(one->body, body);
  EXPECT_EQ(two->body, changed);
  EXPECT_TRUE(two->packed_body.bytes.empty());  // what the store reads back has none
  ASSERT_OK_AND_ASSIGN(auto events, store->ListEvents(0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, changed);
  EXPECT_EQ(Sql(std::string(tmpl) + "/disthub.db", "SELECT group_concat(typeof(body)) FROM orders"),
            "blob,blob");
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
    // Text with no repeats in it, so packing (packed_text.h) leaves its 2,000 bytes as they are.
    std::string body;
    for (uint64_t x = 0x9e3779b97f4a7c15; body.size() < 2000;) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      body += "abcdefghijklmnopqrstuvwxyz0123456789"[x % 36];
    }
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
