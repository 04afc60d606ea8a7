// The warehouse simulator: a WMS / 3PL that acts on the hub's fulfillment releases the
// way a real one confirms by webhook. It sits behind a PartnerSim (which receives the
// hub's deliveries, drops duplicates and injects faults) through PartnerSimOptions::
// on_message, and calls the hub's API back: it acknowledges a release, ships it (in full,
// in two parts, or one unit short), answers cancellations, receives and inspects returns,
// and retries its own calls when the hub fails. Its records — what it received, acknowledged and
// shipped — are the ground truth the demo checks the hub's records against. docs/simulators.md,
// "The warehouse simulator", documents the behaviour and examples/warehouse-sim.yaml the
// configuration.
//
//   PartnerSimOptions partner;                     // 127.0.0.1, a free port
//   WarehouseOptions warehouse;
//   warehouse.hub_url = hub->url();
//   warehouse.api_key = key;
//   DISTHUB_ASSIGN_OR_RETURN(auto wh, StartWarehouseSim(partner, warehouse));
//   ... the hub delivers fulfillment.release.wh-east messages to wh->url() ...
//   wh->warehouse().WaitIdle(absl::Seconds(5));
//   wh->warehouse().Stats().units_shipped;
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/partner_sim.h"

namespace disthub {

struct WarehouseOptions {
  // The hub's base URL, "http://127.0.0.1:PORT" (no path); its API is called back here.
  std::string hub_url;
  // Sent as "Authorization: Bearer KEY" on every call; empty: no Authorization header.
  // (Configuration files name an environment variable holding it, never the key.)
  std::string api_key;
  // The location this warehouse plays, e.g. "wh-east": the `location` of its
  // acknowledgements. Releases and cancels for another location are ignored (counted in
  // releases_ignored / cancels_ignored); empty: act for any location.
  std::string location = "wh-east";
  // Delay from receiving a release to acknowledging it (and from a cancel to its answer).
  int ack_delay_ms = 50;
  // Delay from receiving a release to its first shipment (never before the acknowledgement
  // has been sent), and between the two shipments of a partial fulfillment.
  int ship_delay_ms = 200;
  // Probability that a release message (one attempt) is neither acknowledged nor shipped.
  // Drawn per (seed, fulfillment, attempt): the hub's retry is drawn again.
  double silent_rate = 0;
  // Probability that a fulfillment ships in two shipments: about half of each line
  // (at least one unit of the first) with final:false, the rest ship_delay_ms later.
  double partial_rate = 0;
  // Probability that a fulfillment ships in one final shipment with one line (the first
  // with more than one unit) one unit short. Drawn when not partial.
  double short_rate = 0;
  // Returns (return.expected.<location>): the goods arrive and the receipt is sent this
  // long after the message; the inspection another return_delay_ms after the receipt.
  int return_delay_ms = 200;
  // Probability that one returned unit is damaged: inspected as accepted with
  // restock:false (the rest restock:true). Drawn per (seed, return, line, unit).
  double damaged_rate = 0;
  // Seed of the draws; the same seed makes the same choices for the same fulfillments.
  uint64_t seed = 1;
  // The carrier named in shipments when the release names none.
  std::string carrier = "parcel-ground";
  // Threads making the calls to the hub (each with its own keep-alive connection); 1–16.
  int worker_threads = 2;
  // A call that fails with a transport error, 5xx or 429 is retried after
  // retry_initial_ms, doubling up to retry_max_ms (or the 429's Retry-After when longer),
  // and given up when the next try would start more than give_up_after_ms after the
  // first (counted in callbacks_failed). Other 4xx are not retried (callbacks_rejected).
  int retry_initial_ms = 100;
  int retry_max_ms = 2000;
  int give_up_after_ms = 30'000;
  // Timeout of one call to the hub. Stop() waits for a call in flight, so at most this.
  int call_timeout_ms = 5000;
};

// kInvalidArgument naming the field when an option is out of range (hub_url must be
// http:// or https://, rates 0..1, delays not negative, ...).
absl::Status ValidateWarehouseOptions(const WarehouseOptions& options);

// Counters of what the warehouse did. Calls count when the hub answered 2xx; what the
// warehouse decided (units shipped) counts when it decided, whether or not the hub then
// heard of it — compare with callbacks_failed / callbacks_rejected.
struct WarehouseStats {
  int64_t messages = 0;              // messages handed over by the partner sim
  int64_t releases_received = 0;     // release messages, every attempt
  int64_t re_releases = 0;           // releases of a fulfillment already received (hub retries)
  int64_t releases_ignored = 0;      // for another location, or after the fulfillment was cancelled
  int64_t silent_drops = 0;          // release messages drawn silent
  int64_t acks_sent = 0;             // acknowledgements the hub accepted
  int64_t shipments_made = 0;        // shipments dispatched (goods left the building)
  int64_t shipments_sent = 0;        // shipment confirmations the hub accepted
  int64_t units_shipped = 0;         // units in the shipments dispatched
  int64_t partial_fulfillments = 0;  // fulfillments planned as two shipments
  int64_t short_fulfillments = 0;    // fulfillments planned one unit short
  int64_t cancels_received = 0;      // cancel messages
  int64_t cancels_ignored = 0;       // cancels for another location
  int64_t cancels_accepted = 0;      // answered accepted (nothing shipped yet)
  int64_t cancels_refused = 0;       // answered refused (already shipped)
  int64_t cancel_answers_sent = 0;   // cancellation answers the hub accepted
  int64_t callbacks_retried = 0;     // retries of calls to the hub (not first tries)
  int64_t callbacks_failed = 0;      // calls given up after give_up_after_ms
  int64_t callbacks_rejected = 0;    // calls answered 4xx other than 429 (see Problems())
  int64_t other_messages = 0;        // messages of other types, ignored
  int64_t malformed = 0;             // releases, cancels or returns that could not be read
  int64_t returns_expected = 0;      // return.expected messages
  int64_t returns_ignored = 0;       // for another location, or a return already expected
  int64_t returns_received = 0;      // returns whose goods arrived (receipt decided)
  int64_t returns_inspected = 0;     // returns inspected
  int64_t units_returned = 0;        // units received back
  int64_t units_restocked = 0;       // units inspected restock:true
  int64_t units_damaged = 0;         // units inspected restock:false (damaged)
  int64_t return_calls_sent = 0;     // receipts and inspections the hub accepted

  std::string ToJson() const;
};

struct WarehouseLine {
  int64_t line = 0;
  std::string sku;
  int64_t ordered = 0;  // units released
  int64_t shipped = 0;  // units in shipments dispatched
};

struct WarehouseShipment {
  std::string shipment_id;                         // "shp-<fulfillment_id>-<n>", n = 1, 2
  std::vector<std::pair<int64_t, int64_t>> lines;  // (line, quantity), quantity > 0
  bool final = true;
  std::string carrier;
  std::string tracking;
  bool confirmed = false;  // the hub accepted the confirmation (2xx)
};

// The warehouse's record of one fulfillment.
struct WarehouseFulfillment {
  std::string fulfillment_id;
  std::string order_id;
  std::string location;
  // "received" (not acknowledged: silent, or waiting), "acknowledged", "partially_shipped",
  // "shipped" (the final shipment left; maybe short), "cancelled".
  std::string state;
  std::vector<int64_t> attempts;  // release attempts received, in arrival order
  std::vector<WarehouseLine> lines;
  std::vector<WarehouseShipment> shipments;
  std::optional<bool> cancel_accepted;  // the answer to the first cancel, if one came
};

struct WarehouseReturnLine {
  int64_t line = 0;
  std::string sku;
  int64_t expected = 0;   // units the hub said to expect
  int64_t received = 0;   // units that arrived
  int64_t accepted = 0;   // units inspected (all that arrived)
  int64_t restocked = 0;  // of those, put back on the shelf (the rest damaged)
};

// The warehouse's record of one return.
struct WarehouseReturn {
  std::string return_id;
  std::string order_id;
  std::string reference;
  std::string location;
  // "expected", "received" (receipt decided), "inspected" (inspection decided).
  std::string state;
  std::vector<WarehouseReturnLine> lines;
  bool receipt_confirmed = false;     // the hub accepted the receipt (2xx)
  bool inspection_confirmed = false;  // the hub accepted the inspection (2xx)
};

// A call the hub refused (4xx) or that was given up; kept for inspection (the last 100).
struct WarehouseProblem {
  absl::Time at;
  std::string idempotency_key;  // names the action: "ack:…", "ship:…", "cancel:…"
  std::string path;
  int status = 0;      // 0: no answer (transport error)
  std::string detail;  // the answer's body (a problem+json) or the transport error
};

// Thread-safe: every method may be called from any thread. Owns `worker_threads` threads
// and a timer queue of due actions; destroying it stops it (as Stop() does).
class WarehouseSim {
 public:
  // Validates the options and starts the worker threads.
  static absl::StatusOr<std::unique_ptr<WarehouseSim>> Start(const WarehouseOptions& options);
  ~WarehouseSim();
  WarehouseSim(const WarehouseSim&) = delete;
  WarehouseSim& operator=(const WarehouseSim&) = delete;

  // Hands over one message the hub delivered (the PartnerSim on_message hook). Only
  // enqueues: the message is read and acted on by a worker. Ignored after Stop().
  void OnMessage(const PartnerMessage& message);

  WarehouseStats Stats() const;
  // In order of first receipt.
  std::vector<WarehouseFulfillment> Fulfillments() const;
  std::optional<WarehouseFulfillment> Fulfillment(const std::string& fulfillment_id) const;
  // In order of the first return.expected message.
  std::vector<WarehouseReturn> Returns() const;
  std::vector<WarehouseProblem> Problems() const;
  // The JSON of GET /_sim/warehouse: {"location", "hub_url", "stats", "fulfillments",
  // "returns", "problems"}.
  std::string ToJson() const;

  // Waits until no action is queued or running (queued actions include those waiting for
  // their delay or their retry); false when `timeout` passed first.
  bool WaitIdle(absl::Duration timeout) const;

  // Drops the queued actions, waits for a call in flight (at most call_timeout_ms) and
  // joins the workers: no call to the hub starts after it returns. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit WarehouseSim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A PartnerSim wired to a WarehouseSim: the hub's deliveries go in through the partner
// (its faults apply; duplicates are dropped before the warehouse sees them) and
// GET /_sim/warehouse serves WarehouseSim::ToJson(). Thread-safe; destroying it stops
// both (the partner first, so no message arrives at a stopped warehouse).
class WarehousePartner {
 public:
  WarehousePartner(std::unique_ptr<WarehouseSim> warehouse, std::unique_ptr<PartnerSim> partner);
  ~WarehousePartner();
  WarehousePartner(const WarehousePartner&) = delete;
  WarehousePartner& operator=(const WarehousePartner&) = delete;

  // Where the hub delivers: "http://127.0.0.1:PORT".
  std::string url() const { return partner_->url(); }
  PartnerSim& partner() { return *partner_; }
  WarehouseSim& warehouse() { return *warehouse_; }

  // Stops the partner (no more messages), then the warehouse. Idempotent.
  void Stop();

 private:
  std::unique_ptr<WarehouseSim> warehouse_;  // declared first: outlives the partner
  std::unique_ptr<PartnerSim> partner_;
};

// Starts the warehouse, then the partner feeding it. `partner.on_message` and
// `partner.extra_control_json["warehouse"]` are set here (an on_message already given is
// still called, after the warehouse's). Errors as StartPartnerSim and
// ValidateWarehouseOptions.
absl::StatusOr<std::unique_ptr<WarehousePartner>> StartWarehouseSim(
    PartnerSimOptions partner, const WarehouseOptions& warehouse);

// The configuration file of `disthub sim warehouse`: the partner simulator's keys
// (ParsePartnerSimConfig) and a `warehouse:` section. The API key is read from the
// environment variable the section's `api_key_env` names, through `getenv` (nullptr: the
// process environment); a missing variable is an error naming file:line.
struct WarehouseSimConfig {
  PartnerSimOptions partner;
  WarehouseOptions warehouse;
};
absl::StatusOr<WarehouseSimConfig> ParseWarehouseSimConfig(
    const std::string& yaml, const std::string& file,
    const std::function<std::optional<std::string>(const std::string&)>& getenv = nullptr);

}  // namespace disthub
