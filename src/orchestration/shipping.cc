#include "orchestration/shipping.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace disthub::orchestration {
namespace {

struct Centre {
  const char* code;
  double lat, lon;
};

// Approximate geographic centres of the US states and DC.
constexpr Centre kCentres[] = {
    {"AL", 32.8, -86.8},  {"AK", 61.4, -152.3}, {"AZ", 34.2, -111.7}, {"AR", 34.9, -92.4},
    {"CA", 37.2, -119.5}, {"CO", 39.0, -105.5}, {"CT", 41.6, -72.7},  {"DE", 39.0, -75.5},
    {"DC", 38.9, -77.0},  {"FL", 28.6, -82.4},  {"GA", 32.7, -83.4},  {"HI", 20.3, -156.4},
    {"ID", 44.4, -114.6}, {"IL", 40.0, -89.2},  {"IN", 39.9, -86.3},  {"IA", 42.1, -93.5},
    {"KS", 38.5, -98.4},  {"KY", 37.5, -85.3},  {"LA", 31.1, -92.0},  {"ME", 45.4, -69.2},
    {"MD", 39.0, -76.8},  {"MA", 42.3, -71.8},  {"MI", 44.3, -85.4},  {"MN", 46.3, -94.3},
    {"MS", 32.7, -89.7},  {"MO", 38.4, -92.5},  {"MT", 47.0, -109.6}, {"NE", 41.5, -99.8},
    {"NV", 39.3, -116.6}, {"NH", 43.7, -71.6},  {"NJ", 40.2, -74.7},  {"NM", 34.4, -106.1},
    {"NY", 42.9, -75.5},  {"NC", 35.6, -79.4},  {"ND", 47.5, -100.5}, {"OH", 40.3, -82.8},
    {"OK", 35.6, -97.5},  {"OR", 43.9, -120.6}, {"PA", 40.9, -77.8},  {"RI", 41.7, -71.5},
    {"SC", 33.9, -80.9},  {"SD", 44.4, -100.2}, {"TN", 35.9, -86.4},  {"TX", 31.5, -99.3},
    {"UT", 39.3, -111.7}, {"VT", 44.1, -72.7},  {"VA", 37.5, -78.9},  {"WA", 47.4, -120.5},
    {"WV", 38.6, -80.6},  {"WI", 44.6, -89.9},  {"WY", 43.0, -107.6},
};

const Centre* Find(std::string_view code) {
  for (const Centre& c : kCentres) {
    if (code == c.code) return &c;
  }
  return nullptr;
}

double Miles(const Centre& a, const Centre& b) {
  constexpr double kRad = 3.14159265358979323846 / 180;
  const double dlat = (b.lat - a.lat) * kRad, dlon = (b.lon - a.lon) * kRad;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * 3958.8 * std::asin(std::sqrt(h));
}

// The price of `grams` in `zone`, or nullopt when no band is heavy enough.
std::optional<int64_t> Price(const CarrierService& s, int zone, int64_t grams) {
  for (const RateBand& b : s.rates) {
    if (grams <= b.up_to_grams && static_cast<size_t>(zone) <= b.by_zone.size()) {
      return b.by_zone[static_cast<size_t>(zone - 1)];
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CheckCarrierServices(
    const std::vector<CarrierService>& services) {
  std::vector<std::pair<std::string, std::string>> problems;
  auto fail = [&problems](std::string path, std::string message) {
    problems.emplace_back(std::move(path), std::move(message));
  };
  if (services.empty()) fail("services", "list at least one service");
  for (size_t j = 0; j < services.size(); ++j) {
    const CarrierService& s = services[j];
    const std::string at = "services[" + std::to_string(j) + "]";
    if (s.service.empty()) fail(at + ".name", "must not be empty");
    if (s.transit_days.size() != 8) fail(at + ".transit_days", "list 8 values, zones 1 to 8");
    for (int d : s.transit_days) {
      if (d < 0 || d > 60) fail(at + ".transit_days", "must be 0 to 60 days");
    }
    if (s.rates.empty()) fail(at + ".rates", "list at least one weight band");
    int64_t last = 0;
    for (size_t k = 0; k < s.rates.size(); ++k) {
      const std::string band = at + ".rates[" + std::to_string(k) + "]";
      if (s.rates[k].up_to_grams <= last) {
        fail(band + ".up_to_grams", "must be positive and larger than the band before");
      }
      last = s.rates[k].up_to_grams;
      if (s.rates[k].by_zone.size() != 8) fail(band + ".by_zone", "list 8 prices, zones 1 to 8");
      for (int64_t p : s.rates[k].by_zone) {
        if (p < 0) fail(band + ".by_zone", "prices cannot be negative");
      }
    }
  }
  return problems;
}

int CarrierZone(std::string_view origin, std::string_view destination) {
  if (!origin.empty() && origin == destination) return 1;
  const Centre* a = Find(origin);
  const Centre* b = Find(destination);
  if (a == nullptr || b == nullptr) return 8;
  const double miles = Miles(*a, *b);
  constexpr double kBands[] = {150, 300, 600, 1000, 1400, 1800};  // zones 2..7
  for (int i = 0; i < 6; ++i) {
    if (miles <= kBands[i]) return i + 2;
  }
  return 8;
}

std::optional<ShippingQuote> CheapestService(const std::vector<CarrierService>& services,
                                             std::string_view origin, std::string_view destination,
                                             int64_t grams, int days) {
  const int zone = CarrierZone(origin, destination);
  std::optional<ShippingQuote> best_in_time, fastest;
  for (const CarrierService& s : services) {
    std::optional<int64_t> price = Price(s, zone, grams);
    if (!price || static_cast<size_t>(zone) > s.transit_days.size()) continue;
    ShippingQuote q{.carrier = s.carrier,
                    .service = s.service,
                    .zone = zone,
                    .transit_days = s.transit_days[static_cast<size_t>(zone - 1)],
                    .cost_minor = *price};
    if (days <= 0 || q.transit_days <= days) {
      if (!best_in_time || q.cost_minor < best_in_time->cost_minor) best_in_time = q;
    }
    if (!fastest || std::tie(q.transit_days, q.cost_minor) <
                        std::tie(fastest->transit_days, fastest->cost_minor)) {
      fastest = q;
    }
  }
  if (best_in_time) return best_in_time;
  if (fastest) fastest->meets_promise = false;
  return fastest;
}

std::vector<std::string> RankByShipping(const std::vector<CarrierService>& services,
                                        const std::vector<LocationShipping>& locations,
                                        std::string_view destination, int64_t grams, int days) {
  struct Ranked {
    int group;  // 0: meets the promise, 1: late, 2: not rated
    int64_t key;
    size_t order;
    const std::string* location;
  };
  std::vector<Ranked> ranked;
  for (size_t i = 0; i < locations.size(); ++i) {
    const LocationShipping& l = locations[i];
    std::optional<ShippingQuote> q =
        l.origin.empty() ? std::nullopt
                         : CheapestService(services, l.origin, destination, grams, days);
    if (!q) {
      ranked.push_back({2, 0, i, &l.location});
    } else if (q->meets_promise) {
      ranked.push_back({0, q->cost_minor, i, &l.location});
    } else {
      // Late: the fastest first, the cheaper of equally fast ones first.
      ranked.push_back({1, q->transit_days * 1'000'000'000'000 + q->cost_minor, i, &l.location});
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    return std::tie(a.group, a.key, a.order) < std::tie(b.group, b.key, b.order);
  });
  std::vector<std::string> out;
  for (const Ranked& r : ranked) out.push_back(*r.location);
  return out;
}

}  // namespace disthub::orchestration
