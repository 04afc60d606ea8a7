// The durable inventory: the Ledger driven through the single writer, so every command's
// decision, its rows (positions, reservations, stock updates) and its events commit in
// one transaction, and every caller is answered only once that transaction is durable.
//
// The ledger lives on the writer thread: commands run in WriteOp::Apply against it, in
// submission order, so the availability check and the reservation are one step and two
// requests for the last unit can never both win. A command whose writes fail is undone
// in the ledger (Ledger::Save/Restore); a batch whose commit fails makes the ledger
// reload from the store before the next command.
//
// Reads (Get, Availability) come from the store's committed state on the caller's thread.
//
// Thread-safety: every method may be called from any thread. Callbacks run on the
// writer thread and must be quick.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "base/ids.h"
#include "inventory/ledger.h"
#include "observe/metrics.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub::inventory {

// Event types this service appends.
inline constexpr std::string_view kEventReserved = "inventory.reserved";
inline constexpr std::string_view kEventReleased = "inventory.released";
inline constexpr std::string_view kEventConsumed = "inventory.consumed";
inline constexpr std::string_view kEventTransferred = "inventory.transferred";
inline constexpr std::string_view kEventAdjusted = "inventory.adjusted";  // applied update
inline constexpr std::string_view kEventRestocked = "inventory.restocked";  // returned goods

// A channel's availability feed: what it may sell, pushed through the outbox as the event
// "inventory.availability.CHANNEL" only when it changed, coalesced to the channel's quota.
struct FeedOptions {
  std::string channel;
  double per_minute = 60;  // feed messages the channel accepts per minute
  int burst = 1;           // messages it accepts back to back
  int max_items = 1000;    // SKUs in one message at most
};

struct InventoryOptions {
  // Allocation rules per channel; a channel without one sells all ATP everywhere.
  std::vector<ChannelRule> rules;
  // Every sales channel, for the per-channel view of a SKU.
  std::vector<std::string> channels;
  // Channels that get an availability feed.
  std::vector<FeedOptions> feeds;
  // How often pending feed changes are looked at: the shortest coalescing window.
  absl::Duration feed_tick = absl::Milliseconds(100);
};

// One warehouse update as received: its id (unique per source), what kind of message
// carried it and the update itself.
struct UpdateItem {
  std::string message_id;
  std::string kind;  // "adjustment" or "snapshot"
  StockUpdate update;
};

// What became of one update. A repeat (same source and message id) is answered with the
// first outcome and `duplicate` set.
struct UpdateOutcome {
  std::string message_id;
  Outcome outcome = Outcome::kApplied;
  std::string reason;
  bool duplicate = false;
};

// The system of record's count of one SKU at one location.
struct CountItem {
  std::string sku;
  std::string location;
  int64_t on_hand = 0;
};

// A full count to reconcile against: every SKU at every location it names. A SKU the
// hub holds at one of those locations but the count leaves out was counted as 0.
struct ReconcileRequest {
  std::vector<CountItem> items;
  int64_t sequence = 0;                     // the count's ordering, as for updates:
  absl::Time as_of = absl::InfinitePast();  // a position updated since is not corrected
  bool apply = false;                       // correct the drift, or only report it
  std::string actor;                        // who asked (partner/key)
  std::optional<InboundRecord> inbound;     // the count as received, archived with the run
};

inline constexpr std::string_view kEventDriftCorrected = "inventory.drift_corrected";
inline constexpr std::string_view kEventReconciled = "inventory.reconciled";

// One SKU as every location and every channel sees it.
struct SkuView {
  std::string sku;
  std::vector<Position> positions;
  std::vector<std::pair<std::string, int64_t>> sellable;  // channel → units, by channel
};

class InventoryService {
 public:
  using CommandDone = absl::AnyInvocable<void(absl::StatusOr<Result>) &&>;
  using UpdatesDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<UpdateOutcome>>) &&>;

  // All pointers must outlive the service. Destroying it waits for its operations still in
  // the queue; destroy it after closing the queue (or while the writer runs).
  InventoryService(Store* store, CommitQueue* queue, const Clock* clock, Registry* metrics,
                   InventoryOptions options);

  // Loads the ledger from the store. Call once, before the first command.
  absl::Status Load();
  // Marks reconciliations a stop left running as interrupted. Call once at start-up.
  absl::Status MarkInterrupted();
  // Starts the feed scheduler (no-op without feeds); Stop() before the queue closes.
  void Start();
  void Stop();
  ~InventoryService();

  // Commands (Ledger's, made durable). `cause` is the id of the message that asked, the
  // events' causation id. `done` gets the ledger's result once it is durable, or an error
  // (the store failed; nothing was kept).
  void Reserve(ReserveRequest request, std::string cause, CommandDone done);
  void Release(std::string order_id, int line, std::string location, std::string cause,
               CommandDone done);
  void Consume(std::string order_id, int line, std::string location, int64_t quantity,
               std::string cause, CommandDone done);
  void Transfer(std::string order_id, int line, std::string from, std::string to, std::string cause,
                CommandDone done);
  // Applies warehouse updates from `source` in order, all in one transaction; each is
  // recorded with its outcome (stale ones too) and repeats are answered from the record.
  // `inbound`, when given, is the message as received: archived in the same transaction
  // with what became of it.
  void ApplyUpdates(std::string source, std::vector<UpdateItem> items, UpdatesDone done,
                    std::optional<InboundRecord> inbound = std::nullopt);

  // Starts reconciling against a full count. It runs in chunks through the writer
  // (commands interleave); `started` gets its record once the first chunk is durable,
  // and its progress and report are in the store (GetReconciliation) from then on.
  // Corrections are events (inventory.drift_corrected); a position that was right is
  // not touched.
  using Started = absl::AnyInvocable<void(absl::StatusOr<ReconciliationRecord>) &&>;
  void StartReconciliation(ReconcileRequest request, Started started);
  absl::StatusOr<std::optional<ReconciliationRecord>> GetReconciliation(const std::string& id);
  absl::StatusOr<std::vector<ReconciliationRecord>> ListReconciliations(int limit);

  // Reads of committed state.
  absl::StatusOr<SkuView> Get(const std::string& sku);
  // SKUs after `after_sku` with what `channel` may sell of each, at most `limit`.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Availability(
      const std::string& channel, const std::string& after_sku, int limit);
  // The reservations of one order, by line and location.
  absl::StatusOr<std::vector<Reservation>> Reservations(const std::string& order_id);
  // Warehouse updates received for `sku`, newest first, ids below `before_id` (0: any).
  absl::StatusOr<std::vector<StockUpdateRecord>> StockUpdates(const std::string& sku,
                                                              int64_t before_id, int limit);
  const ChannelRule& RuleFor(const std::string& channel) const;
  const std::vector<std::string>& channels() const { return options_.channels; }

  // Ledger commands inside another writer operation's transaction (orchestration), so an
  // order's state change and its reservations commit or roll back together. Only on the
  // writer thread, from a WriteOp's Apply:
  //
  //   absl::Status Apply(WriteTxn& txn) override {
  //     DISTHUB_ASSIGN_OR_RETURN(session_, inventory->Begin(txn, cause));
  //     ... session_->Reserve(...) ...
  //     // on failure: session_->UndoTo(0) before returning the error
  //   }
  //   void Done(absl::Status s) override { inventory->Finish(*session_, s); }
  class Session {
   public:
    absl::StatusOr<Result> Reserve(const ReserveRequest& request);
    absl::StatusOr<Result> Release(const std::string& order_id, int line,
                                   const std::string& location = "");
    absl::StatusOr<Result> Consume(const std::string& order_id, int line,
                                   const std::string& location, int64_t quantity);
    absl::StatusOr<Result> Transfer(const std::string& order_id, int line, const std::string& from,
                                    const std::string& to);
    absl::StatusOr<Result> Restock(const std::string& sku, const std::string& location,
                                   int64_t units, const std::string& subject);
    // The ledger as it stands in this transaction, for sourcing decisions.
    const Ledger& ledger() const { return service_->ledger_; }
    // Undoes in the ledger every command since `mark` (a count of commands, from Mark()),
    // newest first. The caller rolls back the store side (its savepoint or its Apply).
    size_t Mark() const { return saved_.size(); }
    void UndoTo(size_t mark);
    bool changed() const { return !saved_.empty(); }

   private:
    friend class InventoryService;
    Session(InventoryService* service, WriteTxn* txn, std::string cause)
        : service_(service), txn_(txn), cause_(std::move(cause)) {}
    template <typename Fn>
    absl::StatusOr<Result> Run(int command, const std::string& sku, const std::string& order_id,
                               int line, std::string detail, Fn fn);

    InventoryService* service_;
    WriteTxn* txn_;
    std::string cause_;
    std::vector<Ledger::Saved> saved_;                 // one per applied command
    std::vector<std::pair<int, Outcome>> counted_;     // every command run, for metrics
  };
  // Starts a session in `txn` (reloading the ledger first if a failed batch left it ahead
  // of the store). `cause` is the causation id of the events it writes.
  absl::StatusOr<Session> Begin(WriteTxn& txn, std::string cause);
  // After the batch, with Done's status: counts the commands, or, when the batch did not
  // commit and the session changed the ledger, makes the ledger reload before the next
  // command.
  void Finish(const Session& session, const absl::Status& batch);

 private:
  template <typename Fn>
  friend class LedgerOp;
  friend class UpdatesOp;
  friend class FeedOp;
  friend class ReconcileOp;

  // Writer-thread state of one channel's feed.
  struct Feed {
    FeedOptions options;
    absl::flat_hash_map<std::string, int64_t> last;  // sku → sellable last pushed
    std::map<std::string, absl::Time> pending;       // sku → first change not pushed yet
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
    ::disthub::Histogram* lag = nullptr;
  };
  // Writer thread: a command changed `sku`; note the feeds whose sellable moved.
  void Touched(const std::string& sku, absl::Time now);
  void CountPending();
  void ScheduleFeeds();

  // Submits to the queue, counting the operation as outstanding until its Done returned.
  void Submit(std::unique_ptr<WriteOp> op);
  // Writer thread only.
  absl::Status ReloadIfNeeded();
  absl::Status WriteResult(WriteTxn& txn, const Result& r, std::string_view type,
                           const std::string& subject, const std::string& cause,
                           std::string payload);
  void Count(int command, Outcome outcome);  // command: index into reserve…update

  Store* const store_;
  CommitQueue* const queue_;
  const Clock* const clock_;
  Registry* const metrics_;
  const InventoryOptions options_;
  Ledger ledger_;       // writer thread only (and Load before serving)
  bool dirty_ = false;  // writer thread only: reload before the next command
  ChannelRule default_rule_;
  ::disthub::Counter* counts_[5][3] = {};  // [command][outcome]

  std::vector<Feed> feeds_;                  // writer thread only
  std::atomic<int64_t> pending_feed_{0};     // SKUs waiting in any feed, for the scheduler
  std::atomic<bool> feed_in_flight_{false};  // a FeedOp is queued or running
  std::mutex feed_mu_;
  std::condition_variable feed_cv_;
  bool stopping_ ABSL_GUARDED_BY(feed_mu_) = false;
  std::thread scheduler_;
  IdGenerator ids_;
  std::atomic<int> outstanding_{0};  // operations submitted whose Done has not returned
};

}  // namespace disthub::inventory
