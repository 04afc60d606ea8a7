// Orders as Harbor Supply Co.'s channels send them (../shared/SCENARIO.md): the mix of
// channels, order sizes (most 1-5 lines, a few over 50), hot SKUs, edi-retail ordering
// in cases. Deterministic for a seed. Used by `disthub demo` and the end-to-end tests.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "model/entities.h"

namespace disthub {

struct ScenarioProduct {
  std::string sku;
  std::string description;
  int case_qty = 1;  // eaches in a case; 1 when not sold by the case
};

// The products of a catalog CSV (sku,description,case_qty,weight_grams), for generating
// orders that the hub's catalog check accepts. Rows that do not parse are skipped.
std::vector<ScenarioProduct> ScenarioProductsFromCsv(std::string_view csv);

class ScenarioOrders {
 public:
  // `products` must not be empty.
  ScenarioOrders(std::vector<ScenarioProduct> products, uint64_t seed);

  // The channels of the scenario, with their share of orders.
  static const std::vector<std::pair<std::string, double>>& ChannelMix();

  // A valid order for `channel` with reference `ref`: consistent totals, USD,
  // placed shortly before `now`.
  Order Make(const std::string& channel, const std::string& ref, absl::Time now);

  // A channel drawn from ChannelMix().
  std::string PickChannel();

  std::mt19937_64& rng() { return rng_; }

  // `order` as a channel sends it: the canonical JSON without the fields the hub sets
  // (id, status, received_at).
  static std::string InboundJson(const Order& order);

 private:
  const ScenarioProduct& PickProduct();
  Address PickAddress();

  std::vector<ScenarioProduct> products_;
  std::mt19937_64 rng_;
};

}  // namespace disthub
