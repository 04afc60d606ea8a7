// Sourcing: which locations ship which order lines. A pure function of the lines, the
// locations in order of preference and what the channel may take at each, so every rule
// is testable without a store; the lifecycle then reserves exactly what the plan says,
// through the inventory ledger, in the same transaction.
//
// Rules, in order:
//   1. Ship complete: the first location (by preference) that can ship every line whole.
//   2. Unless the channel requires ship-complete: each line whole from the first location
//      that has it, preferring a location already chosen for another line (fewer parcels).
//   3. If the channel allows split lines: a line no single location has is split over
//      the locations in preference order.
//   4. Otherwise the order is short: nothing is planned and the short lines are named.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"

namespace disthub::orchestration {

enum class ShipComplete {
  kRequired,   // one location ships the whole order, or it waits (backorder)
  kPreferred,  // one location if any can, else several
  kNo,         // each line from the best location for it
};

struct SourcingPolicy {
  ShipComplete ship_complete = ShipComplete::kPreferred;
  bool split_lines = false;  // may one line ship from several locations?
};

struct SourcingLine {
  int line = 0;
  std::string sku;
  int64_t quantity = 0;  // in eaches
};

struct Allocation {
  int line = 0;
  std::string sku;
  std::string location;
  int64_t quantity = 0;
  friend bool operator==(const Allocation&, const Allocation&) = default;
};

struct SourcingPlan {
  bool complete = false;                // every line is fully allocated
  std::vector<Allocation> allocations;  // by line, then preference; empty unless complete
  std::vector<int> short_lines;         // lines that could not be covered
  std::string reason;                   // why not, for people
};

// What the channel may take of `sku` at `location` now (0 where it may not sell), and
// what it may take of `sku` in all (its share across locations).
using AvailableAt = absl::FunctionRef<int64_t(const std::string& sku, const std::string& location)>;
using SellableTotal = absl::FunctionRef<int64_t(const std::string& sku)>;

SourcingPlan PlanSourcing(const std::vector<SourcingLine>& lines,
                          const std::vector<std::string>& ranked_locations,
                          const SourcingPolicy& policy, AvailableAt available,
                          SellableTotal sellable);

// A location and the ship-to regions (states, provinces) it serves cheapest.
struct LocationZones {
  std::string location;
  std::vector<std::string> regions;
};

// Every location, those serving `region` first (each group in configuration order).
std::vector<std::string> RankLocations(const std::vector<LocationZones>& locations,
                                       const std::string& region);

}  // namespace disthub::orchestration
