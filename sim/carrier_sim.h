// The carrier rate service simulator: the carriers' side of the rate tables sourcing
// uses (orchestration/carrier_rates.h), a real HTTP server built on the partner
// simulator, so its faults (down windows, errors, slow answers, a quota) apply.
//
//   GET /carriers/{name}/rates   200 the carrier's rate card, with ETag "\"REVISION\"";
//                                304 when If-None-Match names the current revision;
//                                404 (problem+json) for a carrier it does not know
//   GET /_sim/carriers           {"stats": {...}, "cards": {name: {"revision", "card"}}}
//
// SetCard replaces a carrier's card at runtime (a general rate increase mid-day); each
// change is a new revision, so the hub's next fetch gets the new card and the ones after
// it get 304 again. docs/simulators.md documents it; `disthub sim carrier` runs it.
//
//   DISTHUB_ASSIGN_OR_RETURN(auto sim, StartCarrierSim({}, {card}));
//   std::string url = sim->RatesUrl("parcel-ground");  // the hub's carriers[].rates_url
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestration/carrier_rates.h"
#include "sim/partner_sim.h"

namespace disthub {

struct CarrierSimStats {
  int64_t fetches = 0;       // cards sent (200)
  int64_t not_modified = 0;  // 304s
  int64_t unknown = 0;       // 404s: a carrier it does not know
  std::string ToJson() const;
};

// Thread-safe. Holds no threads.
class CarrierSim {
 public:
  // Every card must pass CheckCarrierServices, and carriers must be unique.
  static absl::StatusOr<std::unique_ptr<CarrierSim>> Create(
      std::vector<orchestration::RateCard> cards);
  ~CarrierSim();
  CarrierSim(const CarrierSim&) = delete;
  CarrierSim& operator=(const CarrierSim&) = delete;

  // The PartnerSim handler hook: answers GET /carriers/{name}/rates; declines the rest.
  std::optional<PartnerReply> Handle(const PartnerRequest& request);
  // Adds or replaces `card.carrier`'s card (a new revision). kInvalidArgument when the
  // card breaks a rule; the card in use stays.
  absl::Status SetCard(orchestration::RateCard card);
  // The card served now, and its revision (1 for the first).
  std::optional<std::pair<orchestration::RateCard, int64_t>> Card(const std::string& carrier) const;
  CarrierSimStats Stats() const;
  // The JSON of GET /_sim/carriers.
  std::string ToJson() const;

 private:
  class Impl;
  explicit CarrierSim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A PartnerSim wired to a CarrierSim. Thread-safe; destroying it stops the partner.
class CarrierPartner {
 public:
  CarrierPartner(std::unique_ptr<CarrierSim> carriers, std::unique_ptr<PartnerSim> partner)
      : carriers_(std::move(carriers)), partner_(std::move(partner)) {}
  ~CarrierPartner() { Stop(); }
  CarrierPartner(const CarrierPartner&) = delete;
  CarrierPartner& operator=(const CarrierPartner&) = delete;

  std::string url() const { return partner_->url(); }
  // Where the hub fetches `carrier`'s card: url() + "/carriers/CARRIER/rates".
  std::string RatesUrl(const std::string& carrier) const;
  // Whether it serves a card for `carrier`.
  bool Knows(const std::string& carrier) const { return carriers_->Card(carrier).has_value(); }
  PartnerSim& partner() { return *partner_; }
  CarrierSim& carriers() { return *carriers_; }
  void Stop() { partner_->Stop(); }

 private:
  std::unique_ptr<CarrierSim> carriers_;  // declared first: outlives the partner
  std::unique_ptr<PartnerSim> partner_;
};

// Creates the carriers, then the partner serving them (`partner.handler` and
// `partner.extra_control_json["carriers"]` are set here).
absl::StatusOr<std::unique_ptr<CarrierPartner>> StartCarrierSim(
    PartnerSimOptions partner, std::vector<orchestration::RateCard> cards);

}  // namespace disthub
