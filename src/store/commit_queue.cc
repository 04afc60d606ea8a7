#include "store/commit_queue.h"

#include <vector>

#include "base/strings.h"
#include "base/thread_name.h"

namespace disthub {

CommitQueue::CommitQueue(Store* store, CommitQueueOptions options)
    : store_(store), options_(std::move(options)) {
  syncer_ = std::thread([this] {
    NameThisThread("dh-sync");
    Sync();
  });
  writer_ = std::thread([this] {
    NameThisThread("dh-writer");
    Run();
  });
}

CommitQueue::~CommitQueue() { Close(); }

void CommitQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_.notify_one();
  if (writer_.joinable()) writer_.join();  // returns once every batch is answered
  {
    std::lock_guard<std::mutex> lock(mu_);
    syncer_stopping_ = true;
  }
  sync_work_.notify_one();
  if (syncer_.joinable()) syncer_.join();
}

absl::Status CommitQueue::Submit(std::unique_ptr<WriteOp> op) {
  absl::Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the store is shutting down; nothing was stored");
    } else if (!broken_.ok()) {
      refused = broken_;
    } else if (static_cast<int64_t>(queue_.size()) >= options_.max_pending) {
      refused = absl::UnavailableError(
          "the write queue is full (the disk is not keeping up); nothing was stored, retry "
          "shortly");
    } else {
      queue_.push_back(std::move(op));
      if (queue_.size() == 1) work_.notify_one();  // the writer waits only on an empty queue
      return absl::OkStatus();
    }
  }
  op->Done(refused);
  return refused;
}

int64_t CommitQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(queue_.size());
}

absl::Status CommitQueue::broken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

void CommitQueue::Finish(Batch& batch, const absl::Status& outcome) {
  if (options_.on_batch) {
    options_.on_batch(static_cast<int>(batch.ops.size()), absl::Now() - batch.started,
                      outcome.ok());
  }
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    batch.ops[i]->Done(outcome.ok() ? std::move(batch.results[i]) : outcome);
  }
}

void CommitQueue::Run() {
  std::deque<Batch> flushed;
  while (true) {
    Batch batch;
    absl::Status broken;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_.wait(lock, [this] {
        return (stopping_ && in_flight_ == 0) || !queue_.empty() || !synced_.empty();
      });
      flushed.swap(synced_);
      in_flight_ -= static_cast<int>(flushed.size());
      // Only when stopping with nothing queued and nothing left on its way to the disk.
      if (queue_.empty() && flushed.empty()) return;
      TakeQueued(batch);
      broken = broken_;
    }
    // Answer what reached the disk before applying more.
    for (Batch& b : flushed) Finish(b, b.synced);
    flushed.clear();
    if (batch.ops.empty()) continue;
    if (!broken.ok()) {  // queued before the failed flush: not applied
      Finish(batch, broken);
      continue;
    }

    batch.results.assign(batch.ops.size(), absl::OkStatus());
    batch.started = absl::Now();
    absl::Status commit = store_->WriteUnsynced([&](WriteTxn& txn) {
      for (size_t i = 0;; ++i) {
        if (i == batch.ops.size() && !TakeMoreWhileFlushing(batch)) return absl::OkStatus();
        batch.results[i] = txn.Isolated([&] { return batch.ops[i]->Apply(txn); });
        // A failure of the savepoint machinery itself (not of the op) poisons the
        // transaction: give up on the whole batch rather than commit half of it.
        if (!batch.results[i].ok() && absl::IsUnavailable(batch.results[i])) {
          return batch.results[i];
        }
      }
    });
    if (!commit.ok()) {  // nothing of it was kept: no flush to wait for
      Finish(batch, commit);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++in_flight_;
      unsynced_.push_back(std::move(batch));
    }
    sync_work_.notify_one();
  }
}

void CommitQueue::TakeQueued(Batch& batch) {
  while (!queue_.empty() && static_cast<int>(batch.ops.size()) < options_.max_batch) {
    batch.ops.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

bool CommitQueue::TakeMoreWhileFlushing(Batch& batch) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    // Nothing of this batch could be answered before the flush under way ends, so it
    // takes what arrives until then: fewer, larger commits for the same answer times.
    if (!flushing_ || stopping_ || static_cast<int>(batch.ops.size()) >= options_.max_batch) {
      return false;
    }
    if (!queue_.empty()) {
      TakeQueued(batch);
      batch.results.resize(batch.ops.size());
      return true;
    }
    work_.wait(lock);
  }
}

void CommitQueue::Sync() {
  std::deque<Batch> batches;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      sync_work_.wait(lock, [this] { return syncer_stopping_ || !unsynced_.empty(); });
      if (unsynced_.empty()) return;
      batches.swap(unsynced_);
      flushing_ = true;
    }
    // One flush for every batch committed before it began.
    absl::Status flushed = store_->SyncCommitted();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!flushed.ok() && broken_.ok()) {
        broken_ = absl::UnavailableError(
            StrCat("the store could not flush its commits to disk (", flushed.message(),
                   "); the outcome of this write is unknown, and the hub takes no more writes "
                   "until it is restarted (it recovers what reached the disk; retry then with "
                   "the same idempotency key)"));
      }
      for (Batch& b : batches) {
        b.synced = broken_;
        synced_.push_back(std::move(b));
      }
      flushing_ = false;
    }
    batches.clear();
    work_.notify_one();
  }
}

}  // namespace disthub
