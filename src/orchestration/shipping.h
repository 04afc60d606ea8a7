// Carriers, zones and rate tables: what shipping an order from a location costs and how
// long it takes, so sourcing can prefer the location whose cheapest service still meets
// the channel's promise (DESIGN.md, Order lifecycle: "choose locations by stock, shipping
// zone, carrier cost and the channel's promise").
//
// Zones are the parcel carriers' distance zones (2 to 8) between the location's origin
// and the ship-to region, from the distance between the regions' centres (US states and
// DC); the same region is zone 1 (local); a region not in the table is zone 8. Each
// carrier service has a transit time and a price per weight band for each zone.
//
//   std::optional<ShippingQuote> q = CheapestService(carriers, "NJ", "CA", 2'400, /*days=*/2);
//   // with examples/harbor.yaml: parcel-express two-day, zone 8, 2 days, 5,400 minor units
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace disthub::orchestration {

struct RateBand {
  int64_t up_to_grams = 0;       // this band prices shipments up to this weight
  std::vector<int64_t> by_zone;  // price in minor units, zones 1..8 (index 0 is zone 1)
};

struct CarrierService {
  std::string carrier;            // "parcel-ground"
  std::string service;            // "ground"
  std::vector<int> transit_days;  // business days, zones 1..8
  std::vector<RateBand> rates;    // by increasing weight
};

struct ShippingQuote {
  std::string carrier;
  std::string service;
  int zone = 8;
  int transit_days = 0;
  int64_t cost_minor = 0;
  bool meets_promise = true;  // arrives within the days asked (always, with no promise)
};

// Every broken rule of one carrier's services, as (path, message) pairs such as
// ("services[0].transit_days", "list 8 values, zones 1 to 8"); empty when all is well.
// The configuration (carriers[N].services) and fetched rate cards (carrier_rates.h)
// are checked by the same rules: docs/configuration.md, carriers.
std::vector<std::pair<std::string, std::string>> CheckCarrierServices(
    const std::vector<CarrierService>& services);

// The zone (1-8) from `origin` to `destination` regions (two-letter codes).
int CarrierZone(std::string_view origin, std::string_view destination);

// The cheapest service that delivers `grams` from `origin` to `destination` within
// `days` business days (days <= 0: no promise, the cheapest of all); when none does, the
// fastest (cheapest among the fastest) with meets_promise false. nullopt when no service
// has a band for this weight.
std::optional<ShippingQuote> CheapestService(const std::vector<CarrierService>& services,
                                             std::string_view origin, std::string_view destination,
                                             int64_t grams, int days);

// A location that ships from `origin` and what shipping the order from it would be.
struct LocationShipping {
  std::string location;
  std::string origin;  // empty: not rated (ranked after the rated ones)
};

// `locations` ranked for one shipment of `grams` to `destination`: those whose cheapest
// service meets the promise first, cheapest first; then those that cannot, fastest first
// (then cheapest); then those not rated. Ties keep the order of `locations`.
std::vector<std::string> RankByShipping(const std::vector<CarrierService>& services,
                                        const std::vector<LocationShipping>& locations,
                                        std::string_view destination, int64_t grams, int days);

}  // namespace disthub::orchestration
