#include "sim/carrier_sim.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <utility>

#include "base/strings.h"

namespace disthub {
namespace {

namespace json = boost::json;
using orchestration::RateCard;

absl::Status Check(const RateCard& card) {
  if (card.carrier.empty()) return absl::InvalidArgumentError("a rate card names no carrier");
  if (auto problems = orchestration::CheckCarrierServices(card.services); !problems.empty()) {
    return absl::InvalidArgumentError(StrCat("carrier ", card.carrier, ": ", problems.front().first,
                                             ": ", problems.front().second));
  }
  return absl::OkStatus();
}

}  // namespace

std::string CarrierSimStats::ToJson() const {
  return json::serialize(json::object{
      {"fetches", fetches}, {"not_modified", not_modified}, {"unknown", unknown}});
}

class CarrierSim::Impl {
 public:
  struct Entry {
    RateCard card;
    std::string json;
    int64_t revision = 0;
  };

  mutable std::mutex mu;
  std::map<std::string, Entry> cards;
  CarrierSimStats stats;

  void Put(RateCard card) {
    Entry& e = cards[card.carrier];
    for (orchestration::CarrierService& s : card.services) s.carrier = card.carrier;
    e.json = orchestration::RateCardJson(card);
    e.card = std::move(card);
    ++e.revision;
  }
};

CarrierSim::CarrierSim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CarrierSim::~CarrierSim() = default;

absl::StatusOr<std::unique_ptr<CarrierSim>> CarrierSim::Create(std::vector<RateCard> cards) {
  auto impl = std::make_unique<Impl>();
  for (RateCard& card : cards) {
    if (absl::Status s = Check(card); !s.ok()) return s;
    if (impl->cards.count(card.carrier)) {
      return absl::InvalidArgumentError(StrCat("carrier ", card.carrier, " has two rate cards"));
    }
    impl->Put(std::move(card));
  }
  return std::unique_ptr<CarrierSim>(new CarrierSim(std::move(impl)));
}

std::optional<PartnerReply> CarrierSim::Handle(const PartnerRequest& request) {
  std::string_view path = request.target.substr(0, request.target.find('?'));
  constexpr std::string_view kPrefix = "/carriers/", kSuffix = "/rates";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix) ||
      path.size() <= kPrefix.size() + kSuffix.size()) {
    return std::nullopt;
  }
  const std::string carrier(
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
  if (request.method != "GET") {
    return ProblemReply(405, "Method not allowed", StrCat(path, " takes GET"));
  }
  std::lock_guard lock(impl_->mu);
  auto it = impl_->cards.find(carrier);
  if (it == impl_->cards.end()) {
    ++impl_->stats.unknown;
    return ProblemReply(404, "Unknown carrier", StrCat("no rate card for carrier ", carrier));
  }
  const std::string etag = StrCat("\"", it->second.revision, "\"");
  if (request.if_none_match == etag) {
    ++impl_->stats.not_modified;
    return PartnerReply{.status = 304, .content_type = "application/json", .headers = {{"ETag", etag}}};
  }
  ++impl_->stats.fetches;
  return PartnerReply{.body = it->second.json, .headers = {{"ETag", etag}}};
}

absl::Status CarrierSim::SetCard(RateCard card) {
  if (absl::Status s = Check(card); !s.ok()) return s;
  std::lock_guard lock(impl_->mu);
  impl_->Put(std::move(card));
  return absl::OkStatus();
}

std::optional<std::pair<RateCard, int64_t>> CarrierSim::Card(const std::string& carrier) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->cards.find(carrier);
  if (it == impl_->cards.end()) return std::nullopt;
  return std::make_pair(it->second.card, it->second.revision);
}

CarrierSimStats CarrierSim::Stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

std::string CarrierSim::ToJson() const {
  std::lock_guard lock(impl_->mu);
  json::object cards;
  for (const auto& [name, e] : impl_->cards) {
    cards[name] = json::object{{"revision", e.revision}, {"card", json::parse(e.json)}};
  }
  return StrCat("{\"stats\":", impl_->stats.ToJson(), ",\"cards\":", json::serialize(cards), "}");
}

std::string CarrierPartner::RatesUrl(const std::string& carrier) const {
  return StrCat(url(), "/carriers/", carrier, "/rates");
}

absl::StatusOr<std::unique_ptr<CarrierPartner>> StartCarrierSim(PartnerSimOptions partner,
                                                                std::vector<RateCard> cards) {
  const size_t n = cards.size();
  absl::StatusOr<std::unique_ptr<CarrierSim>> sim = CarrierSim::Create(std::move(cards));
  if (!sim.ok()) return sim.status();
  CarrierSim* c = sim->get();  // outlives the partner (CarrierPartner's member order)
  partner.handler = [c, also = std::move(partner.handler)](
                        const PartnerRequest& r) -> std::optional<PartnerReply> {
    if (std::optional<PartnerReply> reply = c->Handle(r)) return reply;
    return also ? also(r) : std::nullopt;
  };
  partner.extra_control_json["carriers"] = [c] { return c->ToJson(); };
  absl::StatusOr<std::unique_ptr<PartnerSim>> p = StartPartnerSim(partner);
  if (!p.ok()) return p.status();
  spdlog::info("carrier-sim: {} rate cards", n);
  return std::make_unique<CarrierPartner>(*std::move(sim), *std::move(p));
}

}  // namespace disthub
