#include "inventory/service.h"

#include <boost/json.hpp>
#include <future>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "model/json_escape.h"

namespace disthub::inventory {
namespace {

namespace json = boost::json;

json::string_view J(std::string_view s) { return {s.data(), s.size()}; }

InventoryPositionRecord ToRecord(const Position& p, absl::Time now) {
  return InventoryPositionRecord{.sku = p.sku,
                                 .location = p.location,
                                 .on_hand = p.on_hand,
                                 .reserved = p.reserved,
                                 .safety_stock = p.safety_stock,
                                 .inbound = p.inbound,
                                 .last_sequence = p.last_sequence,
                                 .last_as_of = p.last_as_of,
                                 .updated_at = now};
}

Position FromRecord(const InventoryPositionRecord& r) {
  return Position{.sku = r.sku,
                  .location = r.location,
                  .on_hand = r.on_hand,
                  .reserved = r.reserved,
                  .safety_stock = r.safety_stock,
                  .inbound = r.inbound,
                  .last_sequence = r.last_sequence,
                  .last_as_of = r.last_as_of};
}

ReservationRecord ToRecord(const Reservation& r, absl::Time now) {
  return ReservationRecord{.order_id = r.order_id,
                           .line = r.line,
                           .location = r.location,
                           .sku = r.sku,
                           .channel = r.channel,
                           .quantity = r.quantity,
                           .consumed = r.consumed,
                           .state = std::string(ReservationStateName(r.state)),
                           .created_at = now,  // kept from the first write by the store
                           .updated_at = now};
}

Reservation FromRecord(const ReservationRecord& r) {
  return Reservation{.order_id = r.order_id,
                     .line = static_cast<int>(r.line),
                     .sku = r.sku,
                     .location = r.location,
                     .channel = r.channel,
                     .quantity = r.quantity,
                     .consumed = r.consumed,
                     .state = ParseReservationState(r.state).value_or(ReservationState::kReleased)};
}

// The event payload of an applied command: what it changed, as it now stands.
void AppendString(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + MaxEscapedSize(s));
  char* end = EscapeJsonString(s, out.data() + at);
  out.resize(static_cast<size_t>(end - out.data()));
}

// The event payload of an applied command: `detail` (a serialized JSON object: what was
// asked) with what the command changed, as it now stands. Written directly, not through a
// boost::json tree: this runs on the writer thread for every command.
std::string Payload(std::string_view command, const Result& r, std::string_view detail) {
  std::string out;
  out.reserve(detail.size() + 96 + 200 * (r.reservations.size() + r.positions.size()));
  out.append(detail.substr(0, detail.size() - 1));  // without its closing brace
  if (detail.size() > 2) out += ',';
  out += "\"command\":";
  AppendString(out, command);
  if (!r.reason.empty()) {
    out += ",\"note\":";
    AppendString(out, r.reason);
  }
  out += ",\"reservations\":[";
  for (size_t i = 0; i < r.reservations.size(); ++i) {
    const Reservation& x = r.reservations[i];
    out += i == 0 ? "{\"id\":" : ",{\"id\":";
    AppendString(out, x.Id());
    out += ",\"order_id\":";
    AppendString(out, x.order_id);
    absl::StrAppend(&out, ",\"line\":", x.line, ",\"sku\":");
    AppendString(out, x.sku);
    out += ",\"location\":";
    AppendString(out, x.location);
    out += ",\"channel\":";
    AppendString(out, x.channel);
    absl::StrAppend(&out, ",\"quantity\":", x.quantity, ",\"consumed\":", x.consumed,
                    ",\"state\":\"", ToAbsl(ReservationStateName(x.state)), "\"}");
  }
  out += "],\"positions\":[";
  for (size_t i = 0; i < r.positions.size(); ++i) {
    const Position& p = r.positions[i];
    out += i == 0 ? "{\"sku\":" : ",{\"sku\":";
    AppendString(out, p.sku);
    out += ",\"location\":";
    AppendString(out, p.location);
    absl::StrAppend(&out, ",\"on_hand\":", p.on_hand, ",\"reserved\":", p.reserved,
                    ",\"safety_stock\":", p.safety_stock, ",\"atp\":", p.Atp(), "}");
  }
  out += "]}";
  return out;
}

constexpr std::string_view kCommands[] = {"reserve", "release", "consume", "transfer", "update"};

}  // namespace

// A ledger command run on the writer thread.
template <typename Fn>
class LedgerOp final : public WriteOp {
 public:
  LedgerOp(InventoryService* service, int command, std::string order_id, int line, std::string sku,
           std::string cause, std::string detail, Fn fn, InventoryService::CommandDone done)
      : service_(service),
        command_(command),
        order_id_(std::move(order_id)),
        line_(line),
        sku_(std::move(sku)),
        cause_(std::move(cause)),
        detail_(std::move(detail)),
        fn_(std::move(fn)),
        done_(std::move(done)) {}

  absl::Status Apply(WriteTxn& txn) override {
    DISTHUB_RETURN_IF_ERROR(service_->ReloadIfNeeded());
    Ledger& ledger = service_->ledger_;
    std::string sku = sku_.empty() ? ledger.LineSku(order_id_, line_) : sku_;
    Ledger::Saved saved = ledger.Save(sku, order_id_, line_);
    result_ = fn_(ledger);
    if (result_.outcome != Outcome::kApplied) return absl::OkStatus();
    static constexpr std::string_view kTypes[] = {kEventReserved, kEventReleased, kEventConsumed,
                                                  kEventTransferred};
    absl::Status s = service_->WriteResult(txn, result_, kTypes[command_], order_id_, cause_,
                                           Payload(kCommands[command_], result_, detail_));
    if (!s.ok()) {
      ledger.Restore(std::move(saved));
      return s;
    }
    changed_ledger_ = true;
    if (!result_.positions.empty()) {
      service_->Touched(result_.positions[0].sku, service_->clock_->Now());
    }
    return absl::OkStatus();
  }

  void Done(absl::Status status) override {
    // Apply changed the ledger but the batch did not commit: the ledger is ahead of the
    // store and reloads before the next command.
    if (!status.ok() && changed_ledger_) service_->dirty_ = true;
    if (!status.ok()) return std::move(done_)(std::move(status));
    service_->Count(command_, result_.outcome);
    std::move(done_)(std::move(result_));
  }

 private:
  InventoryService* service_;
  int command_;
  std::string order_id_;
  int line_;
  std::string sku_;
  std::string cause_;
  std::string detail_;  // serialized on the caller's thread, not the writer's
  Fn fn_;
  InventoryService::CommandDone done_;
  Result result_;
  bool changed_ledger_ = false;
};

class UpdatesOp final : public WriteOp {
 public:
  UpdatesOp(InventoryService* service, std::string source, std::vector<UpdateItem> items,
            InventoryService::UpdatesDone done, std::optional<InboundRecord> inbound)
      : service_(service),
        source_(std::move(source)),
        items_(std::move(items)),
        done_(std::move(done)),
        inbound_(std::move(inbound)) {}

  absl::Status Apply(WriteTxn& txn) override {
    DISTHUB_RETURN_IF_ERROR(service_->ReloadIfNeeded());
    std::vector<Ledger::Saved> saved;
    absl::Status s = ApplyAll(txn, saved);
    if (s.ok() && inbound_) s = Archive(txn);
    if (!s.ok()) {
      for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
        service_->ledger_.Restore(std::move(*it));
      }
      outcomes_.clear();
      return s;
    }
    changed_ledger_ = !saved.empty();
    return absl::OkStatus();
  }

  void Done(absl::Status status) override {
    if (!status.ok() && changed_ledger_) service_->dirty_ = true;
    if (!status.ok()) return std::move(done_)(std::move(status));
    for (const UpdateOutcome& o : outcomes_) {
      if (!o.duplicate) service_->Count(4, o.outcome);
    }
    std::move(done_)(std::move(outcomes_));
  }

 private:
  // The message as received, with what became of it.
  absl::Status Archive(WriteTxn& txn) {
    int64_t counts[3] = {0, 0, 0}, duplicates = 0;
    for (const UpdateOutcome& o : outcomes_) {
      ++counts[static_cast<int>(o.outcome)];
      duplicates += o.duplicate;
    }
    inbound_->outcome = "accepted";
    inbound_->result = StrCat(counts[0], " applied, ", counts[1], " stale or unchanged, ",
                              counts[2], " refused, ", duplicates, " repeats");
    return txn.InsertInbound(*inbound_).status();
  }

  absl::Status ApplyAll(WriteTxn& txn, std::vector<Ledger::Saved>& saved) {
    Ledger& ledger = service_->ledger_;
    const absl::Time now = service_->clock_->Now();
    for (UpdateItem& item : items_) {
      const StockUpdate& u = item.update;
      DISTHUB_ASSIGN_OR_RETURN(auto seen, txn.FindStockUpdate(source_, item.message_id));
      if (seen.has_value()) {
        outcomes_.push_back(UpdateOutcome{.message_id = item.message_id,
                                          .outcome = seen->outcome == "applied" ? Outcome::kApplied
                                                     : seen->outcome == "refused"
                                                         ? Outcome::kRefused
                                                         : Outcome::kUnchanged,
                                          .reason = seen->reason,
                                          .duplicate = true});
        continue;
      }
      saved.push_back(ledger.Save(u.sku));
      Result r = ledger.ApplyUpdate(u);
      StockUpdateRecord rec{.source = source_,
                            .message_id = item.message_id,
                            .kind = item.kind,
                            .sku = u.sku,
                            .location = u.location,
                            .delta = u.delta,
                            .on_hand = u.on_hand,
                            .sequence = u.sequence,
                            .as_of = u.as_of,
                            .outcome = std::string(OutcomeName(r.outcome)),
                            .reason = r.reason,
                            .received_at = now};
      DISTHUB_RETURN_IF_ERROR(txn.InsertStockUpdate(rec).status());
      if (r.outcome == Outcome::kApplied) {
        json::object detail{
            {"source", J(source_)}, {"message_id", J(item.message_id)}, {"kind", J(item.kind)}};
        if (u.delta) detail["delta"] = *u.delta;
        if (u.on_hand) detail["on_hand"] = *u.on_hand;
        if (u.sequence != 0) detail["sequence"] = u.sequence;
        if (u.as_of != absl::InfinitePast()) detail["as_of"] = disthub::FormatTime(u.as_of);
        DISTHUB_RETURN_IF_ERROR(
            service_->WriteResult(txn, r, kEventAdjusted, u.sku, item.message_id,
                                  Payload("update", r, json::serialize(detail))));
        service_->Touched(u.sku, now);
      }
      outcomes_.push_back(
          UpdateOutcome{.message_id = item.message_id, .outcome = r.outcome, .reason = r.reason});
    }
    return absl::OkStatus();
  }

  InventoryService* service_;
  std::string source_;
  std::vector<UpdateItem> items_;
  InventoryService::UpdatesDone done_;
  std::vector<UpdateOutcome> outcomes_;
  std::optional<InboundRecord> inbound_;
  bool changed_ledger_ = false;
};

// Pushes what changed to every feed whose quota allows, one event per channel.
class FeedOp final : public WriteOp {
 public:
  explicit FeedOp(InventoryService* service) : service_(service) {}

  absl::Status Apply(WriteTxn& txn) override {
    DISTHUB_RETURN_IF_ERROR(service_->ReloadIfNeeded());
    changed_ = true;  // pending sets are drained below, whatever else happens
    const absl::Time now = service_->clock_->Now();
    Ledger& ledger = service_->ledger_;
    for (size_t f = 0; f < service_->feeds_.size(); ++f) {
      InventoryService::Feed& feed = service_->feeds_[f];
      const FeedOptions& o = feed.options;
      if (feed.refilled == absl::InfinitePast()) {
        feed.tokens = o.burst;
      } else {
        feed.tokens = std::min<double>(
            o.burst, feed.tokens + absl::ToDoubleSeconds(now - feed.refilled) * o.per_minute / 60);
      }
      feed.refilled = now;
      if (feed.pending.empty() || feed.tokens < 1) continue;
      json::array items;
      std::vector<FeedStateRecord> rows;
      for (auto it = feed.pending.begin();
           it != feed.pending.end() && static_cast<int>(items.size()) < o.max_items;) {
        int64_t sellable = ledger.Sellable(o.channel, it->first);
        auto last = feed.last.find(it->first);
        if (last == feed.last.end() || last->second != sellable) {
          items.push_back(json::object{{"sku", J(it->first)}, {"sellable", sellable}});
          rows.push_back(
              {.channel = o.channel, .sku = it->first, .sellable = sellable, .pushed_at = now});
          lags_.emplace_back(f, absl::ToDoubleSeconds(now - it->second));
        }
        it = feed.pending.erase(it);
      }
      if (rows.empty()) continue;
      for (const FeedStateRecord& r : rows) {
        DISTHUB_RETURN_IF_ERROR(txn.PutFeedState(r));
        feed.last[r.sku] = r.sellable;
      }
      feed.tokens -= 1;
      DISTHUB_RETURN_IF_ERROR(
          txn.AppendEvent(EventRecord{.type = StrCat("inventory.availability.", o.channel),
                                      .subject = o.channel,
                                      .correlation_id = o.channel,
                                      .causation_id = "availability-feed",
                                      .occurred_at = now,
                                      .recorded_at = now,
                                      .payload = json::serialize(json::object{
                                          {"channel", J(o.channel)}, {"items", std::move(items)}})})
              .status());
    }
    return absl::OkStatus();
  }

  void Done(absl::Status status) override {
    // If the batch did not commit, what was drained from the pending sets is rebuilt by
    // the reload (the feed state on disk against the ledger).
    if (!status.ok() && changed_) service_->dirty_ = true;
    if (status.ok()) {
      for (const auto& [f, seconds] : lags_) service_->feeds_[f].lag->Observe(seconds);
    }
    if (changed_) service_->CountPending();
    service_->feed_in_flight_ = false;
  }

 private:
  InventoryService* service_;
  std::vector<std::pair<size_t, double>> lags_;
  bool changed_ = false;
};

// Reconciles a chunk of a count, then queues the next chunk until done.
class ReconcileOp final : public WriteOp {
 public:
  struct Run {
    ReconciliationRecord record;
    ReconcileRequest request;
    std::vector<CountItem> work;  // built by the first chunk, on the writer thread
    bool planned = false;
    json::array drifts;
    InventoryService::Started started;  // called after the first chunk, then emptied
  };
  static constexpr size_t kChunk = 500;

  ReconcileOp(InventoryService* service, std::shared_ptr<Run> run)
      : service_(service), run_(std::move(run)) {}

  absl::Status Apply(WriteTxn& txn) override {
    DISTHUB_RETURN_IF_ERROR(service_->ReloadIfNeeded());
    Run& run = *run_;
    Ledger& ledger = service_->ledger_;
    const absl::Time now = service_->clock_->Now();
    if (!run.planned) {
      Plan(run, ledger);
      if (run.request.inbound) {  // the count as received, pointing at its reconciliation
        run.request.inbound->outcome = "accepted";
        run.request.inbound->result = run.record.id;
        DISTHUB_RETURN_IF_ERROR(txn.InsertInbound(*run.request.inbound).status());
        run.request.inbound.reset();
      }
    }
    before_ = run.record;
    size_t end = std::min(run.work.size(), static_cast<size_t>(run.record.checked) + kChunk);
    for (size_t i = static_cast<size_t>(run.record.checked); i < end; ++i) {
      const CountItem& c = run.work[i];
      std::optional<Drift> drift = ledger.Compare(c.sku, c.location, c.on_hand);
      if (!drift) continue;
      ++run.record.drifts;
      if (run.request.apply) {
        Ledger::Saved saved = ledger.Save(c.sku);
        Result r = ledger.ApplyUpdate(StockUpdate{.sku = c.sku,
                                                  .location = c.location,
                                                  .on_hand = c.on_hand,
                                                  .sequence = run.request.sequence,
                                                  .as_of = run.request.as_of});
        if (r.outcome == Outcome::kApplied) {
          drift->corrected = true;
          ++run.record.corrected;
          absl::Status s = service_->WriteResult(
              txn, r, kEventDriftCorrected, c.sku, run.record.id,
              Payload("reconcile", r, json::serialize(DriftJson(*drift, run.record.id))));
          if (!s.ok()) {
            ledger.Restore(std::move(saved));
            return s;
          }
          changed_ledger_ = true;
          service_->Touched(c.sku, now);
        } else {
          drift->note = r.reason;  // e.g. the position was updated after the count
        }
      } else {
        drift->note = "report only";
      }
      run.drifts.push_back(DriftJson(*drift, ""));
    }
    run.record.checked = static_cast<int64_t>(end);
    run.record.updated_at = now;
    if (end == run.work.size()) {
      run.record.state = "done";
      DISTHUB_RETURN_IF_ERROR(
          txn.AppendEvent(EventRecord{.type = std::string(kEventReconciled),
                                      .subject = run.record.id,
                                      .correlation_id = run.record.id,
                                      .causation_id = run.record.id,
                                      .occurred_at = now,
                                      .recorded_at = now,
                                      .payload = json::serialize(
                                          json::object{{"id", J(run.record.id)},
                                                       {"apply", run.record.apply},
                                                       {"checked", run.record.checked},
                                                       {"drifts", run.record.drifts},
                                                       {"corrected", run.record.corrected}})})
              .status());
    }
    run.record.report = json::serialize(run.drifts);
    return txn.PutReconciliation(run.record);
  }

  void Done(absl::Status status) override {
    if (!status.ok()) {
      if (changed_ledger_) service_->dirty_ = true;
      if (run_->started) return std::move(run_->started)(std::move(status));
      // Record the failure (in its own write) so the report says what happened.
      run_->record = before_;
      run_->record.state = "failed";
      run_->record.error = std::string(status.message());
      (void)service_->store_->Write(
          [rec = run_->record](WriteTxn& txn) { return txn.PutReconciliation(rec); });
      return;
    }
    if (run_->started) {
      auto started = std::move(run_->started);
      run_->started = nullptr;
      std::move(started)(run_->record);
    }
    if (run_->record.state == "running") {
      service_->Submit(std::make_unique<ReconcileOp>(service_, run_));
    }
  }

 private:
  // The positions to compare: the count, and what the hub holds at the counted locations
  // that the count leaves out (counted as 0).
  static void Plan(Run& run, const Ledger& ledger) {
    std::set<std::pair<std::string, std::string>> counted;
    std::set<std::string> locations;
    for (const CountItem& c : run.request.items) {
      counted.emplace(c.sku, c.location);
      locations.insert(c.location);
    }
    run.work = run.request.items;
    for (const std::string& l : locations) {
      for (const std::string& sku : ledger.SkusAt(l)) {
        if (!counted.count({sku, l})) run.work.push_back({.sku = sku, .location = l, .on_hand = 0});
      }
    }
    run.record.total = static_cast<int64_t>(run.work.size());
    run.planned = true;
  }

  static json::object DriftJson(const Drift& d, std::string_view reconciliation) {
    json::object o{{"sku", J(d.sku)},
                   {"location", J(d.location)},
                   {"expected", d.expected},
                   {"found", d.found},
                   {"difference", d.found - d.expected},
                   {"reserved", d.reserved},
                   {"likely_cause", J(d.likely_cause)},
                   {"corrected", d.corrected}};
    if (!d.note.empty()) o["note"] = J(d.note);
    if (!reconciliation.empty()) o["reconciliation"] = J(reconciliation);
    return o;
  }

  InventoryService* service_;
  std::shared_ptr<Run> run_;
  ReconciliationRecord before_;
  bool changed_ledger_ = false;
};

namespace {
// Counts an operation as outstanding until its Done() has returned, so the service is not
// destroyed under it.
class Tracked final : public WriteOp {
 public:
  Tracked(std::unique_ptr<WriteOp> inner, std::atomic<int>* outstanding)
      : inner_(std::move(inner)), outstanding_(outstanding) {}
  absl::Status Apply(WriteTxn& txn) override { return inner_->Apply(txn); }
  void Done(absl::Status status) override {
    inner_->Done(std::move(status));
    inner_.reset();
    outstanding_->fetch_sub(1);  // the last touch of the service
  }

 private:
  std::unique_ptr<WriteOp> inner_;
  std::atomic<int>* outstanding_;
};
}  // namespace

void InventoryService::Submit(std::unique_ptr<WriteOp> op) {
  outstanding_.fetch_add(1);
  (void)queue_->Submit(std::make_unique<Tracked>(std::move(op), &outstanding_));
}

InventoryService::InventoryService(Store* store, CommitQueue* queue, const Clock* clock,
                                   Registry* metrics, InventoryOptions options)
    : store_(store), queue_(queue), clock_(clock), metrics_(metrics), options_(std::move(options)) {
  ledger_.SetChannelRules(options_.rules);
  for (const FeedOptions& f : options_.feeds) {
    Feed feed{.options = f};
    feed.lag = metrics_->Histogram(
        "disthub_inventory_sync_lag_seconds",
        "From a stock change (warehouse update or reservation) to the channel's availability "
        "message being enqueued in the outbox.",
        {{"channel", f.channel}}, {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
    feeds_.push_back(std::move(feed));
  }
  metrics_->GaugeFn("disthub_inventory_feed_pending",
                    "SKUs whose availability changed and waits for its channel's feed.", {},
                    [this] { return static_cast<double>(pending_feed_.load()); });
  for (int c = 0; c < 5; ++c) {
    for (Outcome o : {Outcome::kApplied, Outcome::kUnchanged, Outcome::kRefused}) {
      counts_[c][static_cast<int>(o)] = metrics_->Counter(
          "disthub_inventory_commands_total",
          "Inventory commands and warehouse updates, by outcome.",
          {{"command", std::string(kCommands[c])}, {"outcome", std::string(OutcomeName(o))}});
    }
  }
}

void InventoryService::Count(int command, Outcome outcome) {
  counts_[command][static_cast<int>(outcome)]->Inc();
}

absl::Status InventoryService::Load() {
  ledger_.Clear();
  std::vector<Reservation> reservations;
  DISTHUB_RETURN_IF_ERROR(store_->ScanInventory(
      [&](const InventoryPositionRecord& p) { ledger_.LoadPosition(FromRecord(p)); },
      [&](const ReservationRecord& r) { reservations.push_back(FromRecord(r)); }));
  for (Reservation& r : reservations) ledger_.LoadReservation(std::move(r));
  ledger_.RetireFinishedLines();
  DISTHUB_RETURN_IF_ERROR(ledger_.CheckInvariants());
  // Feeds: what each channel was last told, against what it may sell now.
  if (!feeds_.empty()) {
    DISTHUB_ASSIGN_OR_RETURN(auto state, store_->ListFeedState());
    for (Feed& feed : feeds_) {
      feed.last.clear();
      feed.pending.clear();
      for (const FeedStateRecord& r : state) {
        if (r.channel == feed.options.channel) feed.last[r.sku] = r.sellable;
      }
    }
    const absl::Time now = clock_->Now();
    for (const std::string& sku : ledger_.Skus()) Touched(sku, now);
    CountPending();
  }
  dirty_ = false;
  return absl::OkStatus();
}

void InventoryService::Touched(const std::string& sku, absl::Time now) {
  for (Feed& feed : feeds_) {
    int64_t sellable = ledger_.Sellable(feed.options.channel, sku);
    auto last = feed.last.find(sku);
    int64_t told = last == feed.last.end() ? 0 : last->second;
    if (sellable != told) {
      if (feed.pending.try_emplace(sku, now).second) ++pending_feed_;
    }
  }
}

void InventoryService::CountPending() {
  int64_t n = 0;
  for (const Feed& feed : feeds_) n += static_cast<int64_t>(feed.pending.size());
  pending_feed_ = n;
}

namespace {
// Marks reconciliations left running by a stop as interrupted.
class InterruptedOp final : public WriteOp {
 public:
  InterruptedOp(std::vector<ReconciliationRecord> records, std::promise<absl::Status>* done)
      : records_(std::move(records)), done_(done) {}
  absl::Status Apply(WriteTxn& txn) override {
    for (const ReconciliationRecord& r : records_)
      DISTHUB_RETURN_IF_ERROR(txn.PutReconciliation(r));
    return absl::OkStatus();
  }
  void Done(absl::Status status) override { done_->set_value(std::move(status)); }

 private:
  std::vector<ReconciliationRecord> records_;
  std::promise<absl::Status>* done_;
};
}  // namespace

absl::Status InventoryService::MarkInterrupted() {
  DISTHUB_ASSIGN_OR_RETURN(auto recent, store_->ListReconciliations(1000));
  std::vector<ReconciliationRecord> stuck;
  for (ReconciliationRecord& r : recent) {
    if (r.state != "running") continue;
    r.state = "interrupted";
    r.error = "the hub stopped before it finished; run it again";
    r.updated_at = clock_->Now();
    stuck.push_back(std::move(r));
  }
  if (stuck.empty()) return absl::OkStatus();
  std::promise<absl::Status> done;
  Submit(std::make_unique<InterruptedOp>(std::move(stuck), &done));
  return done.get_future().get();
}

void InventoryService::Start() {
  if (feeds_.empty()) return;
  scheduler_ = std::thread([this] {
    NameThisThread("dh-feed");
    ScheduleFeeds();
  });
}

void InventoryService::Stop() {
  {
    std::lock_guard<std::mutex> lock(feed_mu_);
    stopping_ = true;
  }
  feed_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

InventoryService::~InventoryService() {
  Stop();
  // Operations still queued finish first (their Done() uses this service).
  while (outstanding_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void InventoryService::ScheduleFeeds() {
  std::unique_lock<std::mutex> lock(feed_mu_);
  while (!feed_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.feed_tick),
                            [this] { return stopping_; })) {
    if (pending_feed_ == 0 || feed_in_flight_.exchange(true)) continue;
    lock.unlock();
    Submit(std::make_unique<FeedOp>(this));
    lock.lock();
  }
}

absl::Status InventoryService::ReloadIfNeeded() {
  if (!dirty_) return absl::OkStatus();
  return Load();
}

absl::Status InventoryService::WriteResult(WriteTxn& txn, const Result& r, std::string_view type,
                                           const std::string& subject, const std::string& cause,
                                           std::string payload) {
  const absl::Time now = clock_->Now();
  for (const Position& p : r.positions) DISTHUB_RETURN_IF_ERROR(txn.PutPosition(ToRecord(p, now)));
  for (const Reservation& x : r.reservations) {
    DISTHUB_RETURN_IF_ERROR(txn.PutReservation(ToRecord(x, now)));
  }
  return txn
      .AppendEvent(EventRecord{.type = std::string(type),
                               .subject = subject,
                               .correlation_id = subject,
                               .causation_id = cause,
                               .occurred_at = now,
                               .recorded_at = now,
                               .payload = std::move(payload)})
      .status();
}

absl::StatusOr<InventoryService::Session> InventoryService::Begin(WriteTxn& txn,
                                                                  std::string cause) {
  DISTHUB_RETURN_IF_ERROR(ReloadIfNeeded());
  return Session(this, &txn, std::move(cause));
}

void InventoryService::Finish(const Session& session, const absl::Status& batch) {
  if (!batch.ok()) {
    if (session.changed()) dirty_ = true;
    return;
  }
  for (const auto& [command, outcome] : session.counted_) Count(command, outcome);
}

template <typename Fn>
absl::StatusOr<Result> InventoryService::Session::Run(int command, const std::string& sku,
                                                      const std::string& order_id, int line,
                                                      std::string detail, Fn fn) {
  Ledger& ledger = service_->ledger_;
  Ledger::Saved saved = ledger.Save(sku, order_id, line);
  Result r = fn(ledger);
  counted_.emplace_back(command, r.outcome);
  if (r.outcome != Outcome::kApplied) return r;
  static constexpr std::string_view kTypes[] = {kEventReserved, kEventReleased, kEventConsumed,
                                                kEventTransferred};
  absl::Status s = service_->WriteResult(*txn_, r, kTypes[command], order_id, cause_,
                                         Payload(kCommands[command], r, detail));
  if (!s.ok()) {
    ledger.Restore(std::move(saved));
    counted_.pop_back();
    return s;
  }
  saved_.push_back(std::move(saved));
  if (!r.positions.empty()) service_->Touched(r.positions[0].sku, service_->clock_->Now());
  return r;
}

absl::StatusOr<Result> InventoryService::Session::Restock(const std::string& sku,
                                                          const std::string& location,
                                                          int64_t units,
                                                          const std::string& subject) {
  Ledger& ledger = service_->ledger_;
  Ledger::Saved saved = ledger.Save(sku);
  Result r = ledger.Restock(sku, location, units);
  counted_.emplace_back(4, r.outcome);
  if (r.outcome != Outcome::kApplied) return r;
  absl::Status s = service_->WriteResult(
      *txn_, r, kEventRestocked, subject, cause_,
      Payload("restock", r,
              json::serialize(json::object{{"location", location}, {"units", units}})));
  if (!s.ok()) {
    ledger.Restore(std::move(saved));
    counted_.pop_back();
    return s;
  }
  saved_.push_back(std::move(saved));
  service_->Touched(sku, service_->clock_->Now());
  return r;
}

void InventoryService::Session::UndoTo(size_t mark) {
  while (saved_.size() > mark) {
    service_->ledger_.Restore(std::move(saved_.back()));
    saved_.pop_back();
  }
}

absl::StatusOr<Result> InventoryService::Session::Reserve(const ReserveRequest& request) {
  return Run(0, request.sku, request.order_id, request.line,
             json::serialize(json::object{{"requested", request.quantity}}),
             [&](Ledger& l) { return l.Reserve(request); });
}

absl::StatusOr<Result> InventoryService::Session::Release(const std::string& order_id, int line,
                                                          const std::string& location) {
  std::string sku = ledger().LineSku(order_id, line);
  return Run(1, sku, order_id, line, "{}",
             [&](Ledger& l) { return l.Release(order_id, line, location); });
}

absl::StatusOr<Result> InventoryService::Session::Consume(const std::string& order_id, int line,
                                                          const std::string& location,
                                                          int64_t quantity) {
  std::string sku = ledger().LineSku(order_id, line);
  return Run(2, sku, order_id, line,
             json::serialize(json::object{{"shipped", quantity}, {"location", location}}),
             [&](Ledger& l) { return l.Consume(order_id, line, location, quantity); });
}

absl::StatusOr<Result> InventoryService::Session::Transfer(const std::string& order_id, int line,
                                                           const std::string& from,
                                                           const std::string& to) {
  std::string sku = ledger().LineSku(order_id, line);
  return Run(3, sku, order_id, line,
             json::serialize(json::object{{"from", from}, {"to", to}}),
             [&](Ledger& l) { return l.Transfer(order_id, line, from, to); });
}

namespace {
template <typename Fn>
std::unique_ptr<WriteOp> MakeOp(InventoryService* s, int command, std::string order_id, int line,
                                std::string sku, std::string cause, const json::object& detail,
                                Fn fn, InventoryService::CommandDone done) {
  return std::make_unique<LedgerOp<Fn>>(s, command, std::move(order_id), line, std::move(sku),
                                        std::move(cause), json::serialize(detail), std::move(fn),
                                        std::move(done));
}
}  // namespace

void InventoryService::Reserve(ReserveRequest request, std::string cause, CommandDone done) {
  std::string order = request.order_id, sku = request.sku;
  int line = request.line;
  Submit(MakeOp(
      this, 0, std::move(order), line, std::move(sku), std::move(cause),
      json::object{{"requested", request.quantity}},
      [request = std::move(request)](Ledger& l) { return l.Reserve(request); }, std::move(done)));
}

void InventoryService::Release(std::string order_id, int line, std::string location,
                               std::string cause, CommandDone done) {
  std::string order = order_id;
  Submit(MakeOp(
      this, 1, std::move(order), line, "", std::move(cause), json::object{},
      [order_id = std::move(order_id), line, location = std::move(location)](Ledger& l) {
        return l.Release(order_id, line, location);
      },
      std::move(done)));
}

void InventoryService::Consume(std::string order_id, int line, std::string location,
                               int64_t quantity, std::string cause, CommandDone done) {
  std::string order = order_id;
  Submit(MakeOp(
      this, 2, std::move(order), line, "", std::move(cause),
      json::object{{"shipped", quantity}, {"location", J(location)}},
      [order_id = std::move(order_id), line, location = std::move(location), quantity](Ledger& l) {
        return l.Consume(order_id, line, location, quantity);
      },
      std::move(done)));
}

void InventoryService::Transfer(std::string order_id, int line, std::string from, std::string to,
                                std::string cause, CommandDone done) {
  std::string order = order_id;
  Submit(MakeOp(
      this, 3, std::move(order), line, "", std::move(cause),
      json::object{{"from", J(from)}, {"to", J(to)}},
      [order_id = std::move(order_id), line, from = std::move(from),
       to = std::move(to)](Ledger& l) { return l.Transfer(order_id, line, from, to); },
      std::move(done)));
}

void InventoryService::ApplyUpdates(std::string source, std::vector<UpdateItem> items,
                                    UpdatesDone done, std::optional<InboundRecord> inbound) {
  Submit(std::make_unique<UpdatesOp>(this, std::move(source), std::move(items), std::move(done),
                                     std::move(inbound)));
}

const ChannelRule& InventoryService::RuleFor(const std::string& channel) const {
  for (const ChannelRule& r : options_.rules) {
    if (r.channel == channel) return r;
  }
  return default_rule_;
}

absl::StatusOr<SkuView> InventoryService::Get(const std::string& sku) {
  DISTHUB_ASSIGN_OR_RETURN(auto rows, store_->ListPositions(sku));
  SkuView view{.sku = sku};
  for (const auto& r : rows) view.positions.push_back(FromRecord(r));
  for (const std::string& c : options_.channels) {
    view.sellable.emplace_back(c, SellableFrom(RuleFor(c), view.positions));
  }
  return view;
}

void InventoryService::StartReconciliation(ReconcileRequest request, Started started) {
  if (request.items.empty()) {
    return std::move(started)(absl::InvalidArgumentError("the count has no items"));
  }
  auto run = std::make_shared<ReconcileOp::Run>();
  const absl::Time now = clock_->Now();
  run->record = ReconciliationRecord{.id = ids_.Next("rcn"),
                                     .state = "running",
                                     .apply = request.apply,
                                     .total = static_cast<int64_t>(request.items.size()),
                                     .actor = request.actor,
                                     .report = "[]",
                                     .created_at = now,
                                     .updated_at = now};
  run->request = std::move(request);
  run->started = std::move(started);
  Submit(std::make_unique<ReconcileOp>(this, std::move(run)));
}

absl::StatusOr<std::optional<ReconciliationRecord>> InventoryService::GetReconciliation(
    const std::string& id) {
  return store_->GetReconciliation(id);
}

absl::StatusOr<std::vector<ReconciliationRecord>> InventoryService::ListReconciliations(int limit) {
  return store_->ListReconciliations(limit);
}

absl::StatusOr<std::vector<Reservation>> InventoryService::Reservations(
    const std::string& order_id) {
  DISTHUB_ASSIGN_OR_RETURN(auto rows, store_->ListReservations(order_id));
  std::vector<Reservation> out;
  for (const auto& r : rows) out.push_back(FromRecord(r));
  return out;
}

absl::StatusOr<std::vector<StockUpdateRecord>> InventoryService::StockUpdates(
    const std::string& sku, int64_t before_id, int limit) {
  return store_->ListStockUpdates(sku, before_id, limit);
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> InventoryService::Availability(
    const std::string& channel, const std::string& after_sku, int limit) {
  DISTHUB_ASSIGN_OR_RETURN(auto rows, store_->PagePositions(after_sku, limit));
  std::vector<std::pair<std::string, int64_t>> out;
  const ChannelRule& rule = RuleFor(channel);
  std::vector<Position> group;
  auto flush = [&] {
    if (group.empty()) return;
    out.emplace_back(group.front().sku, SellableFrom(rule, group));
    group.clear();
  };
  for (const auto& r : rows) {
    if (!group.empty() && group.front().sku != r.sku) flush();
    group.push_back(FromRecord(r));
  }
  flush();
  return out;
}

}  // namespace disthub::inventory
