#include "orchestration/sourcing.h"

#include <algorithm>
#include <map>

#include "base/strings.h"

namespace disthub::orchestration {
namespace {

// What the plan has taken so far, so two lines of one SKU never count the same units.
class Tally {
 public:
  Tally(const AvailableAt* available, const SellableTotal* sellable)
      : available_(available), sellable_(sellable) {}

  int64_t Left(const std::string& sku, const std::string& location) {
    int64_t at = (*available_)(sku, location) - taken_at_[{sku, location}];
    int64_t total = (*sellable_)(sku)-taken_[sku];
    return std::max<int64_t>(0, std::min(at, total));
  }
  void Take(const std::string& sku, const std::string& location, int64_t n) {
    taken_at_[{sku, location}] += n;
    taken_[sku] += n;
  }

 private:
  const AvailableAt* available_;
  const SellableTotal* sellable_;
  std::map<std::pair<std::string, std::string>, int64_t> taken_at_;
  std::map<std::string, int64_t> taken_;
};

}  // namespace

SourcingPlan PlanSourcing(const std::vector<SourcingLine>& lines,
                          const std::vector<std::string>& ranked, const SourcingPolicy& policy,
                          AvailableAt available, SellableTotal sellable) {
  SourcingPlan plan;
  // 1. One location for everything.
  for (const std::string& location : ranked) {
    Tally tally(&available, &sellable);
    bool all = true;
    for (const SourcingLine& l : lines) {
      if (tally.Left(l.sku, location) < l.quantity) {
        all = false;
        break;
      }
      tally.Take(l.sku, location, l.quantity);
    }
    if (!all) continue;
    for (const SourcingLine& l : lines)
      plan.allocations.push_back({l.line, l.sku, location, l.quantity});
    plan.complete = true;
    return plan;
  }
  if (policy.ship_complete == ShipComplete::kRequired) {
    for (const SourcingLine& l : lines) plan.short_lines.push_back(l.line);
    plan.reason =
        "no single location can ship the whole order and the channel requires "
        "ship-complete";
    return plan;
  }
  // 2./3. Line by line.
  Tally tally(&available, &sellable);
  std::vector<std::string> chosen;  // locations already shipping something, in order
  for (const SourcingLine& l : lines) {
    std::vector<std::string> order = chosen;
    for (const std::string& loc : ranked) {
      if (std::find(order.begin(), order.end(), loc) == order.end()) order.push_back(loc);
    }
    bool placed = false;
    for (const std::string& loc : order) {
      if (tally.Left(l.sku, loc) >= l.quantity) {
        tally.Take(l.sku, loc, l.quantity);
        plan.allocations.push_back({l.line, l.sku, loc, l.quantity});
        if (std::find(chosen.begin(), chosen.end(), loc) == chosen.end()) chosen.push_back(loc);
        placed = true;
        break;
      }
    }
    if (!placed && policy.split_lines) {
      int64_t need = l.quantity;
      std::vector<Allocation> parts;
      Tally trial = tally;
      for (const std::string& loc : ranked) {
        int64_t take = std::min(need, trial.Left(l.sku, loc));
        if (take <= 0) continue;
        trial.Take(l.sku, loc, take);
        parts.push_back({l.line, l.sku, loc, take});
        need -= take;
        if (need == 0) break;
      }
      if (need == 0) {
        tally = trial;
        for (Allocation& a : parts) {
          if (std::find(chosen.begin(), chosen.end(), a.location) == chosen.end()) {
            chosen.push_back(a.location);
          }
          plan.allocations.push_back(std::move(a));
        }
        placed = true;
      }
    }
    if (!placed) plan.short_lines.push_back(l.line);
  }
  if (!plan.short_lines.empty()) {
    std::string which;
    for (int line : plan.short_lines) which += (which.empty() ? "" : ", ") + StrCat(line);
    plan.reason = StrCat("not enough stock the channel may sell for line",
                         plan.short_lines.size() > 1 ? "s " : " ", which);
    plan.allocations.clear();
    return plan;
  }
  plan.complete = true;
  return plan;
}

std::vector<std::string> RankLocations(const std::vector<LocationZones>& locations,
                                       const std::string& region) {
  std::vector<std::string> first, rest;
  for (const LocationZones& l : locations) {
    bool serves = std::find(l.regions.begin(), l.regions.end(), region) != l.regions.end();
    (serves ? first : rest).push_back(l.location);
  }
  first.insert(first.end(), rest.begin(), rest.end());
  return first;
}

}  // namespace disthub::orchestration
