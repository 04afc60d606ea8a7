// The carriers' rate tables as sourcing sees them: written in the configuration, or
// fetched from each carrier's rate service and refreshed in the background (DESIGN.md,
// Order lifecycle: "sourcing chooses locations by ... carrier rate tables").
//
// A rate service answers GET {rates_url} with the carrier's rate card:
//
//   {"carrier": "parcel-ground", "version": "2026-11",           version: optional
//    "services": [{"name": "ground", "transit_days": [1,1,2,3,4,5,5,6],
//                  "rates": [{"up_to_grams": 1000, "by_zone": [800, ..., 1400]}, ...]}]}
//
// with an ETag, which the next fetch sends back as If-None-Match (304: unchanged). A
// card is checked by the configuration's rules (CheckCarrierServices) and replaces the
// carrier's services whole; a card that fails them, an error or no answer keeps the
// last good one and is tried again after `retry`. Sourcing reads Current(), a snapshot
// in the configuration's carrier order, on the writer thread: fetching never blocks it.
//
//   CarrierRates rates(std::move(carriers), &registry);
//   rates.FetchNow();   // at start-up: every remote card once, bounded by their timeouts
//   rates.Start();      // then refreshes in the background until Stop() or destruction
//   std::shared_ptr<const CarrierRates::Table> t = rates.Current();
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/tls.h"
#include "orchestration/shipping.h"

namespace disthub {
class Registry;
}

namespace disthub::orchestration {

struct RateCard {
  std::string carrier;
  std::string version;                  // as the service names it; may be empty
  std::vector<CarrierService> services;  // each with .carrier set to `carrier`
};

// The card's JSON (the format above).
std::string RateCardJson(const RateCard& card);

// Reads and checks a card for `carrier`. kInvalidArgument names the first problem with
// its path: "services[0].rates[1].by_zone: list 8 prices, zones 1 to 8", "not JSON: ...",
// "the card is for carrier \"x\", not \"parcel-ground\"".
absl::StatusOr<RateCard> ParseRateCard(std::string_view body, std::string_view carrier);

// One carrier as configured: a table written out (`services`), or a rate service.
struct RatedCarrier {
  std::string name;
  std::vector<CarrierService> services;  // the table; for a remote carrier, none until fetched
  std::string rates_url;                 // non-empty: fetched from here
  std::string token;                     // sent as "Authorization: Bearer TOKEN"; may be empty
  TlsClientOptions tls;                  // for an https rates_url
  absl::Duration refresh = absl::Hours(1);   // a good card is fetched again after this
  absl::Duration retry = absl::Seconds(30);  // a failed fetch is tried again after this
  absl::Duration timeout = absl::Seconds(5);
};

// Thread-safe.
class CarrierRates {
 public:
  using Table = std::vector<CarrierService>;

  // `metrics` may be null; it must outlive this object's metric series (the gauges read
  // shared state that this object keeps alive).
  CarrierRates(std::vector<RatedCarrier> carriers, Registry* metrics);
  ~CarrierRates();  // Stop()
  CarrierRates(const CarrierRates&) = delete;
  CarrierRates& operator=(const CarrierRates&) = delete;

  // Every carrier's current services, in configuration order. Cheap (a lock and a
  // pointer copy); the table never changes once returned.
  std::shared_ptr<const Table> Current() const;
  bool empty() const;

  // Fetches every remote card once, now, one after the other; returns the problems
  // ("parcel-ground: GET http://…: Connection refused"), empty when all were fetched.
  std::vector<std::string> FetchNow();
  // Starts the background refresher (a no-op without remote carriers). Idempotent.
  void Start();
  // Stops and joins it. Idempotent.
  void Stop();

 private:
  struct State;
  void Run();
  // Fetches carrier `i` and installs its card; "" on success, else the problem.
  std::string Fetch(size_t i);

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace disthub::orchestration
