// The single-writer core: one thread owns the write side of the store and applies
// queued operations in batches, one transaction per batch (group commit). Every
// operation in a batch learns its outcome only after the batch committed and was flushed
// to disk, so an acknowledgement sent from Done() is always for durable data.
//
// The flush is pipelined: the writer commits a batch (Store::WriteUnsynced) and goes on
// to the next while a second thread flushes (Store::SyncCommitted), one flush covering
// every batch committed before it began. While a flush is under way the next batch stays
// open and takes in what arrives (none of it could be answered before that flush ends),
// and commits when the flush is done: fewer, larger commits for the same answer times.
// Done() of a batch therefore runs after Apply() of ops of the batch that followed it; a
// batch whose commit failed is answered at once.
//
// Thread-safety: Submit() may be called from any thread. Apply() and Done() run on
// the writer thread, so they must be quick and must not block on other submitters.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace disthub {

class WriteOp {
 public:
  virtual ~WriteOp() = default;
  // Applies the operation inside the batch's transaction. An error undoes only this
  // operation's writes; the rest of the batch still commits.
  virtual absl::Status Apply(WriteTxn& txn) = 0;
  // Called once, after the batch committed: with Apply's status if the commit
  // succeeded, otherwise with the commit's error (nothing of the batch was kept).
  virtual void Done(absl::Status status) = 0;
};

struct CommitQueueOptions {
  // Most operations applied in one transaction.
  int max_batch = 512;
  // Submit() refuses new operations (kUnavailable) while this many wait: back-pressure
  // instead of unbounded memory when the disk cannot keep up.
  int max_pending = 20'000;
  // Called on the writer thread after every batch: its size, how long it took from BEGIN
  // to durable (committed and flushed), and whether it committed and was flushed.
  std::function<void(int size, absl::Duration elapsed, bool committed)> on_batch;
};

class CommitQueue {
 public:
  // `store` must outlive the queue. Starts the writer thread.
  CommitQueue(Store* store, CommitQueueOptions options);
  // Close(), then frees the queue.
  ~CommitQueue();

  // Stops accepting (later Submit()s are refused through Done), finishes and answers
  // everything already submitted, and joins the writer. Idempotent.
  void Close();

  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  // Queues `op`. If the queue is full or stopping, calls op->Done(kUnavailable) on
  // this thread and returns that status, so Done() is always called exactly once.
  absl::Status Submit(std::unique_ptr<WriteOp> op);

  // Operations waiting for the writer.
  int64_t pending() const;
  // OK, or why the queue takes no more writes (a flush to disk failed).
  absl::Status broken() const;

 private:
  // A committed batch on its way to the disk.
  struct Batch {
    std::vector<std::unique_ptr<WriteOp>> ops;
    std::vector<absl::Status> results;
    absl::Time started;
    absl::Status synced;  // the flush's outcome, once flushed
  };

  void Run();
  void Sync();
  // Inside a batch's transaction, with every op taken so far applied: while a flush is
  // under way and the batch has room, waits for more ops and moves them into `batch`
  // (true); false once the batch should commit (no flush under way, full, or stopping).
  bool TakeMoreWhileFlushing(Batch& batch);
  // Moves queued ops into `batch` while it has room.
  void TakeQueued(Batch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Finish(Batch& batch, const absl::Status& outcome);

  Store* const store_;
  const CommitQueueOptions options_;
  // std::mutex rather than absl::Mutex: Debian's prebuilt abseil is invisible to
  // ThreadSanitizer, which then reports false races.
  mutable std::mutex mu_;
  std::condition_variable work_;  // signalled when queue_ gains an op or stopping_ is set
  std::deque<std::unique_ptr<WriteOp>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::condition_variable sync_work_;  // signalled when unsynced_ gains a batch or at the end
  std::deque<Batch> unsynced_ ABSL_GUARDED_BY(mu_);  // committed, not yet flushed
  std::deque<Batch> synced_ ABSL_GUARDED_BY(mu_);    // flushed (or failed), not yet answered
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;           // batches committed and not answered
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;       // the sync thread is flushing
  bool syncer_stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Set by a failed flush: what was committed since may be lost, so the queue takes no
  // more writes (the process must restart and recover from what is on disk).
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
  std::thread writer_;
  std::thread syncer_;
};

// A write operation from two callables: `apply(WriteTxn&) -> absl::Status` in the batch's
// transaction, and `done(absl::Status)` once it committed (or failed).
template <typename ApplyFn, typename DoneFn>
class FnOp final : public WriteOp {
 public:
  FnOp(ApplyFn apply, DoneFn done) : apply_(std::move(apply)), done_(std::move(done)) {}
  absl::Status Apply(WriteTxn& txn) override { return apply_(txn); }
  void Done(absl::Status status) override { std::move(done_)(std::move(status)); }

 private:
  ApplyFn apply_;
  DoneFn done_;
};

// Queues FnOp(apply, done). `done` has the outcome either way: a refused Submit() calls it
// with kUnavailable.
template <typename ApplyFn, typename DoneFn>
void SubmitFn(CommitQueue* queue, ApplyFn apply, DoneFn done) {
  (void)queue->Submit(std::make_unique<FnOp<ApplyFn, DoneFn>>(std::move(apply), std::move(done)));
}

}  // namespace disthub
