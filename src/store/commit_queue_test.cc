#include "store/commit_queue.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "store/forwarding_store.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

using ::disthub::testing::StatusIs;

// Inserts one order; on Done, records what a reader sees at that moment.
class InsertOp : public WriteOp {
 public:
  InsertOp(Store* store, std::string id, std::latch* done, std::atomic<int>* visible_at_done,
           std::atomic<int>* failed, bool fail = false)
      : store_(store),
        id_(std::move(id)),
        done_(done),
        visible_(visible_at_done),
        failed_(failed),
        fail_(fail) {}

  absl::Status Apply(WriteTxn& txn) override {
    absl::Time t = absl::Now();
    absl::Status s = txn.InsertOrder({.id = id_,
                                      .channel = "c",
                                      .channel_ref = id_,
                                      .status = "received",
                                      .created_at = t,
                                      .updated_at = t,
                                      .body = "{}"});
    if (!s.ok()) return s;
    if (fail_) return absl::InvalidArgumentError("refused after writing");
    return txn.AppendEvent({.type = "order.received", .subject = id_}).status();
  }

  void Done(absl::Status status) override {
    if (!status.ok()) {
      ++*failed_;
    } else if (auto o = store_->GetOrder(id_); o.ok() && o->has_value()) {
      ++*visible_;  // durable and readable before the acknowledgement
    }
    done_->count_down();
  }

 private:
  Store* store_;
  std::string id_;
  std::latch* done_;
  std::atomic<int>* visible_;
  std::atomic<int>* failed_;
  bool fail_;
};

class CommitQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-cq-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    folder_ = tmpl;
    auto s = OpenSqliteStore({.path = folder_ + "/db", .synchronous = "normal"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(folder_);
  }
  std::string folder_;
  std::unique_ptr<Store> store_;
};

TEST_F(CommitQueueTest, EveryOpIsAcknowledgedOnlyAfterItsBatchCommitted) {
  std::vector<int> sizes;
  std::atomic<int> visible{0}, failed{0};
  constexpr int kOps = 2000;
  std::latch done(kOps);
  {
    CommitQueue q(store_.get(), {.max_batch = 64, .on_batch = [&](int n, absl::Duration, bool ok) {
                                   EXPECT_TRUE(ok);
                                   sizes.push_back(n);
                                 }});
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < kOps / 4; ++i) {
          ASSERT_OK(q.Submit(std::make_unique<InsertOp>(
              store_.get(), "ord_" + std::to_string(t) + "_" + std::to_string(i), &done, &visible,
              &failed)));
        }
      });
    }
    for (auto& s : submitters) s.join();
    done.wait();
  }
  EXPECT_EQ(visible.load(), kOps);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_THAT(store_->LastEventSeq(), ::disthub::testing::IsOkAndHolds(kOps));
  int total = 0;
  for (int n : sizes) {
    EXPECT_LE(n, 64);
    total += n;
  }
  EXPECT_EQ(total, kOps);
  EXPECT_LT(sizes.size(), static_cast<size_t>(kOps)) << "no batching happened";
}

TEST_F(CommitQueueTest, AFailingOpLeavesTheRestOfItsBatchIntact) {
  std::atomic<int> visible{0}, failed{0};
  std::latch done(3);
  {
    CommitQueue q(store_.get(), {});
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "a", &done, &visible, &failed)));
    ASSERT_OK(q.Submit(
        std::make_unique<InsertOp>(store_.get(), "b", &done, &visible, &failed, /*fail=*/true)));
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "c", &done, &visible, &failed)));
    done.wait();
  }
  EXPECT_EQ(visible.load(), 2);
  EXPECT_EQ(failed.load(), 1);
  EXPECT_THAT(store_->GetOrder("b"), ::disthub::testing::IsOkAndHolds(std::nullopt));
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents(0, 10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 1);
  EXPECT_EQ(events[1].seq, 2);  // the failed op's sequence number was given back
}

// A store whose commits fail, as a full or failing disk would make them.
class FailingCommitStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    return inner()->WriteUnsynced([&](WriteTxn& t) -> absl::Status {
      DISTHUB_RETURN_IF_ERROR(fn(t));
      return absl::UnavailableError("disk I/O error");
    });
  }
};

TEST_F(CommitQueueTest, AFailedCommitFailsEveryOpInTheBatchAndKeepsNothing) {
  FailingCommitStore failing(store_.get());
  std::atomic<int> visible{0}, failed{0};
  std::latch done(2);
  {
    CommitQueue q(&failing, {});
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "a", &done, &visible, &failed)));
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "b", &done, &visible, &failed)));
    done.wait();
  }
  EXPECT_EQ(failed.load(), 2);
  EXPECT_THAT(store_->CountOrders(), ::disthub::testing::IsOkAndHolds(0));
  EXPECT_THAT(store_->LastEventSeq(), ::disthub::testing::IsOkAndHolds(0));
}

TEST_F(CommitQueueTest, RefusesWorkBeyondItsPendingLimit) {
  // A store that blocks its first write until released, so the queue fills up.
  std::latch release(1);
  class BlockingStore : public FailingCommitStore {
   public:
    BlockingStore(Store* inner, std::latch* release)
        : FailingCommitStore(inner), release_(release) {}
    absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
      release_->wait();
      return inner_store_->WriteUnsynced(fn);
    }
    Store* inner_store_ = nullptr;
    std::latch* release_;
  };
  BlockingStore blocking(store_.get(), &release);
  blocking.inner_store_ = store_.get();
  std::atomic<int> visible{0}, failed{0};
  std::latch done(4);
  {
    CommitQueue q(&blocking, {.max_batch = 1, .max_pending = 2});
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "a", &done, &visible, &failed)));
    // Wait until the writer has taken "a" and is blocked in Write.
    while (q.pending() != 0) std::this_thread::yield();
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "b", &done, &visible, &failed)));
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "c", &done, &visible, &failed)));
    EXPECT_THAT(q.Submit(std::make_unique<InsertOp>(store_.get(), "d", &done, &visible, &failed)),
                StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(failed.load(), 1);  // the refused op heard about it at once
    release.count_down();
    done.wait();
  }
  EXPECT_EQ(visible.load(), 3);
  EXPECT_THAT(store_->GetOrder("d"), ::disthub::testing::IsOkAndHolds(std::nullopt));
}

// Holds every flush until `release`, then flushes, or fails as a dying disk would.
class HeldFlushStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    absl::Status s = ForwardingStore::WriteUnsynced(fn);
    ++commits;
    return s;
  }
  absl::Status SyncCommitted() override {
    ++flushes;
    release.wait();
    if (fail) return absl::UnavailableError("fdatasync: Input/output error (injected)");
    return ForwardingStore::SyncCommitted();
  }
  std::atomic<int> commits{0};
  std::atomic<int> flushes{0};  // begun
  std::latch release{1};
  bool fail = false;
};

// While a flush is under way the next batch is applied but not committed: nothing of it
// could be answered before that flush ends, so it gathers what arrives meanwhile and
// commits once, when the flush is done. No op is answered before its own flush.
TEST_F(CommitQueueTest, WhileAFlushIsUnderWayTheNextBatchGathersWhatArrivesAndCommitsOnce) {
  HeldFlushStore held(store_.get());
  std::atomic<int> visible{0}, failed{0};
  std::latch done(4);
  std::mutex mu;
  std::vector<int> sizes;  // of the batches answered, in order
  {
    CommitQueue q(&held, {.on_batch = [&](int size, absl::Duration, bool) {
      std::lock_guard<std::mutex> lock(mu);
      sizes.push_back(size);
    }});
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "a", &done, &visible, &failed)));
    while (held.flushes.load() < 1) std::this_thread::yield();  // "a" committed, flush held
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "b", &done, &visible, &failed)));
    while (q.pending() != 0) std::this_thread::yield();
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "c", &done, &visible, &failed)));
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "d", &done, &visible, &failed)));
    while (q.pending() != 0) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(held.commits.load(), 1);  // b, c and d wait in one open transaction
    EXPECT_FALSE(done.try_wait());      // and nothing was answered before its flush
    EXPECT_EQ(visible.load() + failed.load(), 0);
    held.release.count_down();
    done.wait();
  }
  EXPECT_EQ(visible.load(), 4);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(held.commits.load(), 2);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(sizes, ::testing::ElementsAre(1, 3));
}

TEST_F(CommitQueueTest, AFailedFlushLeavesTheOutcomeUnknownAndTakesNoMoreWrites) {
  HeldFlushStore dying(store_.get());
  dying.fail = true;
  dying.release.count_down();
  std::atomic<int> visible{0}, failed{0};
  std::latch done(1), refused(1);
  std::vector<absl::Status> outcomes;
  {
    CommitQueue q(&dying, {});
    ASSERT_OK(q.Submit(std::make_unique<InsertOp>(store_.get(), "a", &done, &visible, &failed)));
    done.wait();
    EXPECT_EQ(failed.load(), 1);  // committed, but not known to be on disk: not acknowledged
    EXPECT_THAT(
        q.Submit(std::make_unique<InsertOp>(store_.get(), "b", &refused, &visible, &failed)),
        StatusIs(absl::StatusCode::kUnavailable,
                 ::testing::AllOf(::testing::HasSubstr("outcome of this write is unknown"),
                                  ::testing::HasSubstr("Input/output error"))));
    EXPECT_THAT(q.broken(), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(failed.load(), 2);
  EXPECT_THAT(store_->GetOrder("b"), ::disthub::testing::IsOkAndHolds(std::nullopt));
}

}  // namespace
}  // namespace disthub
