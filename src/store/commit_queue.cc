#include "store/commit_queue.h"

#include <vector>

#include "base/thread_name.h"

namespace disthub {

CommitQueue::CommitQueue(Store* store, CommitQueueOptions options)
    : store_(store), options_(std::move(options)) {
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
  if (writer_.joinable()) writer_.join();
}

absl::Status CommitQueue::Submit(std::unique_ptr<WriteOp> op) {
  absl::Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the store is shutting down; nothing was stored");
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

void CommitQueue::Run() {
  std::vector<std::unique_ptr<WriteOp>> batch;
  std::vector<absl::Status> results;
  batch.reserve(options_.max_batch);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is done
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    results.assign(batch.size(), absl::OkStatus());
    absl::Time start = absl::Now();
    absl::Status commit = store_->Write([&](WriteTxn& txn) {
      for (size_t i = 0; i < batch.size(); ++i) {
        results[i] = txn.Isolated([&] { return batch[i]->Apply(txn); });
        // A failure of the savepoint machinery itself (not of the op) poisons the
        // transaction: give up on the whole batch rather than commit half of it.
        if (!results[i].ok() && absl::IsUnavailable(results[i])) return results[i];
      }
      return absl::OkStatus();
    });
    if (options_.on_batch) {
      options_.on_batch(static_cast<int>(batch.size()), absl::Now() - start, commit.ok());
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->Done(commit.ok() ? std::move(results[i]) : commit);
    }
    batch.clear();
  }
}

}  // namespace disthub
