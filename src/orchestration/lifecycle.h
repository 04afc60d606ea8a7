// The order lifecycle (DESIGN.md, Order lifecycle): takes accepted orders through
// sourcing, reservation, release to the warehouses, acknowledgement, shipment and
// invoicing, with backorders, retries, reroutes, escalation and cancellation.
//
//   order:        received → accepted → allocated | backordered → released →
//                 acknowledged → partially_shipped → shipped → invoiced → closed,
//                 and cancelled
//   fulfillment:  released → acknowledged → shipped, or cancel_requested → cancelled,
//                 or rerouted (one per shipping location; a reroute makes a new one)
//
// Every step is one WriteOp through the single writer: it reads the order and its
// fulfillment orders inside the transaction, decides, and writes the new state, its
// events (each transition is one), the outbound messages they route to partners (the
// outbox), its reservations (the inventory ledger, in the same transaction) and its timers.
// A restart therefore resumes every order where its last commit left it; timers live in
// the store and fire after a restart as before it.
//
// Outbound messages are events routed by the outbox to subscribers (configuration):
//   fulfillment.release.LOCATION   the release of a fulfillment order to its warehouse
//   fulfillment.cancel.LOCATION    a request to cancel it (the warehouse answers)
//   invoice.posted                 the invoice for what shipped, to the ERP
//   order.status.CHANNEL           the order's status, for the steps the channel wants
//   alert.*                        escalations and anomalies, for an alert webhook
// Their subject is the order id, so one order's messages reach a partner in order.
//
// Inbound messages (warehouse acknowledgements, shipments, cancellation answers, the
// channel's cancellation) are idempotent by state: a repeat is answered kUnchanged with
// the reason and changes nothing; an impossible one is kRefused with the reason.
//
// Thread-safety: every public method may be called from any thread. Callbacks run on the
// writer thread and must be quick.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/ids.h"
#include "inventory/service.h"
#include "observe/metrics.h"
#include "orchestration/carrier_rates.h"
#include "orchestration/catalog.h"
#include "orchestration/erp_gateway.h"
#include "orchestration/order_intake.h"
#include "orchestration/shipping.h"
#include "orchestration/sourcing.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub::orchestration {

class Flow;  // one order inside one transaction (lifecycle.cc)

// Timer kinds.
inline constexpr std::string_view kTimerAdvance = "advance";  // take a new order forward
inline constexpr std::string_view kTimerAck = "ack_deadline";
inline constexpr std::string_view kTimerBackorder = "backorder_recheck";
inline constexpr std::string_view kTimerClose = "close";
inline constexpr std::string_view kTimerPromise = "promise";  // the channel's ship-by deadline
// Asks the ERP again for an order held because it did not answer.
inline constexpr std::string_view kTimerCreditRecheck = "credit_recheck";
// A reroute waits for the silent location to confirm its cancellation; past this, the
// fulfillment order moves anyway (alert.reroute_unconfirmed).
inline constexpr std::string_view kTimerRerouteDeadline = "reroute_deadline";
// Tell the ERP of an order accepted without its credit check (the ERP did not answer).
inline constexpr std::string_view kTimerCreditLate = "credit_late";
// A location did not answer an order's cancellation in time: people are alerted.
inline constexpr std::string_view kTimerCancelDeadline = "cancel_deadline";

struct LocationPolicy {
  std::string name;  // "wh-east"
  // A release not acknowledged within this is sent again, up to `release_attempts`
  // releases in all; then the fulfillment order is rerouted to another location, or
  // escalated when none can take it.
  absl::Duration ack_deadline = absl::Minutes(15);
  int release_attempts = 2;
  // Ship-to regions (states, provinces) this location serves cheapest: it is preferred
  // for them (when no carrier rates are configured).
  std::vector<std::string> regions;
  // The region it ships from, for carrier zones and rates ("" : not rated).
  std::string origin;
};

// What the hub does when the ERP cannot answer a credit check (down, slow past its
// timeout, circuit open).
enum class CreditFallback {
  kHold,              // hold the order (credit_hold) and ask again every erp_retry
  kAcceptUnderLimit,  // accept orders whose total is at most accept_under_minor; hold the rest
};

struct CreditPolicy {
  bool check = false;  // ask the ERP before accepting an order of the channel
  CreditFallback fallback = CreditFallback::kHold;
  int64_t accept_under_minor = 0;  // kAcceptUnderLimit: in the order's currency
};

struct ChannelPolicy {
  std::string name;
  SourcingPolicy sourcing;
  CreditPolicy credit;
  // The channel does not carry prices and tax the hub can trust: the ERP prices every order
  // (unit prices and tax per line, then the totals) before its credit check. An order the
  // ERP cannot price yet waits in `received` and is asked about again every erp_retry.
  bool erp_pricing = false;
  // Order states the channel is told about, as the event order.status.CHANNEL.
  std::vector<std::string> status_updates;
  // The channel's promise: every order ships within this of its intake (zero: none). An
  // order not shipped by then raises order.promise_missed and alert.promise_missed.
  absl::Duration promise = absl::ZeroDuration();
  // A line whose SKU the channel cannot sell enough of anywhere takes the first of its
  // substitutes (LifecycleOptions::substitutes) it can sell enough of, at the line's
  // price, instead of waiting as a backorder (event order.substituted).
  bool substitutions = false;
};

struct LifecycleOptions {
  std::vector<LocationPolicy> locations;  // the shipping locations, in preference order
  std::vector<ChannelPolicy> channels;    // a channel without one gets the defaults
  absl::Duration backorder_recheck = absl::Minutes(5);
  // An invoiced order closes after this (the return window).
  absl::Duration close_after = absl::Hours(24 * 30);
  // A new order is taken forward as soon as it commits; if that nudge is lost (a full
  // queue, a crash right after the commit), its durable timer does it after this.
  absl::Duration advance_safety_net = absl::Seconds(5);
  // How often the timer thread looks for due timers, and how many it fires at once.
  absl::Duration timer_tick = absl::Milliseconds(200);
  int timer_batch = 256;
  // Carrier services and their rate tables. With them, sourcing prefers the location whose
  // cheapest service still meets the channel's promise (then the cheapest), and each
  // release names that carrier and service; without them, locations serving the ship-to
  // region come first.
  std::vector<CarrierService> carriers;
  // When set, the carriers' tables come from here instead (some fetched from the
  // carriers' rate services, refreshed in the background); `carriers` is then ignored.
  std::shared_ptr<CarrierRates> carrier_rates;
  // SKU → the SKUs that may replace it, in order of preference (channels that allow it).
  std::map<std::string, std::vector<std::string>> substitutes;
  // The ERP, for channels with a credit check or ERP pricing (null: none has them).
  std::shared_ptr<ErpGateway> erp;
  int erp_workers = 4;  // concurrent ERP calls
  // How soon an order the ERP could not answer for is asked about again.
  absl::Duration erp_retry = absl::Minutes(1);
};

// One shipment reported by a warehouse against a fulfillment order.
struct ShipmentLine {
  int line = 0;
  int64_t quantity = 0;  // eaches
};
struct ShipmentInput {
  std::string shipment_id;  // unique per fulfillment order: a repeat changes nothing
  std::vector<ShipmentLine> lines;
  std::string carrier;
  std::string tracking;
  // The warehouse's last shipment for this fulfillment order: what is still open is short
  // (released back to stock), not waited for.
  bool final = true;
};

enum class Verdict { kApplied, kUnchanged, kRefused, kNotFound };
std::string_view VerdictName(Verdict v);

// What became of a command.
struct Answer {
  Verdict verdict = Verdict::kApplied;
  std::string reason;  // why it was unchanged, refused or not found; a note otherwise
  std::string order_id;
  std::string order_status;       // after the command
  std::string fulfillment_id;     // for fulfillment commands
  std::string fulfillment_state;  // after the command
  std::string return_id;          // for return commands
  std::string return_state;       // after the command
};

// One line of a return: what the channel asks to return, what the warehouse received,
// or what its inspection accepted (and whether those units go back on the shelf).
struct ReturnLine {
  int line = 0;
  int64_t quantity = 0;  // eaches
  std::string reason;    // the customer's, or the inspector's
  bool restock = true;   // inspection: the accepted units are sellable again
};

// A return asked for by the channel. `reference` is the channel's own id for it (an RMA
// number): asking again with the same reference changes nothing.
struct ReturnRequest {
  std::string reference;
  std::vector<ReturnLine> lines;
};

// The message a command came from: its id (the events' causation id) and, when archiving
// is on, the message as received, archived in the command's transaction with its outcome.
struct Cause {
  std::string id;
  std::optional<InboundRecord> inbound;
};

class Lifecycle {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<Answer>) &&>;

  // Pointers must outlive the object; `catalog` may be null (quantities are then eaches).
  Lifecycle(Store* store, CommitQueue* queue, inventory::InventoryService* inventory,
            const Catalog* catalog, const Clock* clock, Registry* metrics, IdGenerator* ids,
            LifecycleOptions options);
  // Stop(), then waits for its operations still queued.
  ~Lifecycle();

  // What order intake calls for each new order (durable safety-net timer, then a nudge).
  IntakeHooks Hooks();

  // Starts the timer thread (timers due while the hub was down fire at once). Without it
  // (tests with a fake clock) call FireDueTimers().
  void Start();
  void Stop();

  // Takes an order forward from where it stands (accepted → sourcing → release; a
  // backorder is re-checked). Repeats are harmless.
  void Advance(std::string order_id, Cause cause, Done done);
  // The warehouse acknowledged a release.
  void Acknowledge(std::string fulfillment_id, Cause cause, Done done);
  // The warehouse shipped (some of) a fulfillment order.
  void Ship(std::string fulfillment_id, ShipmentInput shipment, Cause cause, Done done);
  // The warehouse's answer to a cancellation request.
  void AnswerCancellation(std::string fulfillment_id, bool accepted, std::string reason,
                          Cause cause, Done done);
  // The channel (or an operator) cancels an order: reservations are released and
  // released fulfillment orders are asked to cancel; the order is cancelled once every
  // warehouse has answered (or shipped, if one already had).
  void Cancel(std::string order_id, std::string reason, Cause cause, Done done);
  // An operator releases an order from credit_hold: it is accepted and sourced as if the
  // ERP had approved it. Refused for an order not on hold.
  void ReleaseHold(std::string order_id, std::string reason, Cause cause, Done done);

  // Returns: requested → authorized → received → inspected → credited → closed (or
  // rejected). A request is authorized at once when every line was shipped and not
  // returned already; the goods are expected at the location that shipped them
  // (return.expected.LOCATION). Inspection restocks the accepted units it marks restock,
  // posts the credit memo to the ERP (credit_memo.posted) and tells the channel
  // (return.status.CHANNEL) the refund.
  void RequestReturn(std::string order_id, ReturnRequest request, Cause cause, Done done);
  // The warehouse received the goods (quantities per line, at most those authorized).
  void ReceiveReturn(std::string return_id, std::vector<ReturnLine> lines, Cause cause, Done done);
  // The warehouse inspected them: per line the units accepted (credited) and whether they
  // are restocked. Accepting none rejects the return.
  void InspectReturn(std::string return_id, std::vector<ReturnLine> lines, Cause cause, Done done);

  // Submits every timer due now (skipping those already in flight); returns how many.
  int FireDueTimers();
  // Waits until every operation submitted so far has been answered (tests, shutdown).
  void Drain();

  const LifecycleOptions& options() const { return options_; }

 private:
  friend class Flow;
  friend class FlowOp;

  void Submit(std::unique_ptr<WriteOp> op);
  // Submits `step` on the order `order_id` (loaded in the step's transaction; kNotFound
  // when there is none).
  using OrderStep = absl::AnyInvocable<absl::StatusOr<Answer>(Flow&)>;
  void OnOrder(std::string order_id, Cause cause, Done done, OrderStep step);
  void RunTimers();
  const ChannelPolicy& PolicyFor(const std::string& channel) const;
  const LocationPolicy* Location(const std::string& name) const;
  void TimerDone(const std::string& id);
  // Hands an order to the ERP workers (they submit its next step with the ERP's answers).
  void AskErp(const std::string& order_id);
  // The ERP workers' call for an order accepted without its credit check: asks the ERP
  // now and records its answer (Flow::ApplyLateCredit).
  void CheckCreditLate(const std::string& order_id);
  // An ERP worker: asks the ERP about `order_id` and submits what it said.
  void CheckWithErp(const std::string& order_id);
  int64_t Eaches(const OrderLine& line) const;
  int64_t Grams(const std::string& sku, int64_t eaches) const;
  // The carriers' tables sourcing uses now.
  std::shared_ptr<const CarrierRates::Table> Carriers() const;
  // Locations in order of preference for a shipment of `grams` to `region`.
  std::vector<std::string> Ranked(const std::string& region, int64_t grams,
                                  absl::Duration promise) const;
  // The channel's promise in whole days, rounded up (0: no promise). Clock days: there is
  // no business calendar yet.
  static int PromiseDays(absl::Duration promise);

  Store* const store_;
  CommitQueue* const queue_;
  inventory::InventoryService* const inventory_;
  const Catalog* const catalog_;
  const Clock* const clock_;
  Registry* const metrics_;
  IdGenerator* const ids_;
  const LifecycleOptions options_;
  std::vector<LocationZones> zones_;
  // options_.carriers, for when there is no options_.carrier_rates.
  std::shared_ptr<const CarrierRates::Table> static_carriers_;
  ChannelPolicy default_channel_;

  struct Metrics {
    ::disthub::Counter* releases = nullptr;
    ::disthub::Counter* retries = nullptr;
    ::disthub::Counter* reroutes = nullptr;
    ::disthub::Counter* escalations = nullptr;
    ::disthub::Counter* cancel_unconfirmed = nullptr;
    ::disthub::Counter* credit_declined_late = nullptr;
    ::disthub::Counter* backorders = nullptr;
    ::disthub::Counter* cancellations = nullptr;
    ::disthub::Counter* promise_missed = nullptr;
    ::disthub::Counter* credit_holds = nullptr;
    ::disthub::Counter* substitutions = nullptr;
    ::disthub::Counter* credit_fallbacks = nullptr;
    ::disthub::Counter* erp_unanswered = nullptr;
    ::disthub::Histogram* erp_latency = nullptr;
    ::disthub::Histogram* time_to_release = nullptr;
    ::disthub::Histogram* time_to_ship = nullptr;
  } m_;
  ::disthub::Histogram* AckLatency(const std::string& location);

  // Order and fulfillment figures for the gauges, read from the store at most once a
  // second however often metrics are scraped.
  struct Figures {
    absl::Time read_at = absl::InfinitePast();
    std::vector<Store::StatusCount> orders;
    std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> fulfillments;
  };
  void RegisterGauges();
  Figures ReadFigures();
  std::mutex figures_mu_;
  Figures figures_ ABSL_GUARDED_BY(figures_mu_);

  std::mutex mu_;  // std::mutex: Debian's abseil is invisible to ThreadSanitizer
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> timers_in_flight_ ABSL_GUARDED_BY(mu_);
  std::thread timer_thread_;
  std::atomic<int> outstanding_{0};
  std::unique_ptr<ErpWorkers> erp_workers_;  // when a channel needs the ERP
};

}  // namespace disthub::orchestration
