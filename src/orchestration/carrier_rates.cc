#include "orchestration/carrier_rates.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <boost/json.hpp>
#include <utility>

#include "base/http_client.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "observe/metrics.h"

namespace disthub::orchestration {
namespace {

namespace json = boost::json;

json::array IntArray(const auto& values) {
  json::array a;
  for (auto v : values) a.push_back(static_cast<int64_t>(v));
  return a;
}

// Reads `o[key]` as a list of integers into `out`; "" or the problem.
template <typename T>
std::string Ints(const json::object& o, std::string_view key, std::vector<T>& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return "is required";
  if (!v->is_array()) return "must be a list of whole numbers";
  for (const json::value& e : v->as_array()) {
    if (!e.is_int64() && !e.is_uint64()) return "must be a list of whole numbers";
    if (e.is_uint64() || e.as_int64() > 1'000'000'000'000 || e.as_int64() < -1'000'000'000'000) {
      return "holds a number out of range";
    }
    out.push_back(static_cast<T>(e.as_int64()));
  }
  return "";
}

}  // namespace

std::string RateCardJson(const RateCard& card) {
  json::array services;
  for (const CarrierService& s : card.services) {
    json::array rates;
    for (const RateBand& b : s.rates) {
      rates.push_back(json::object{{"up_to_grams", b.up_to_grams}, {"by_zone", IntArray(b.by_zone)}});
    }
    services.push_back(json::object{{"name", s.service},
                                    {"transit_days", IntArray(s.transit_days)},
                                    {"rates", std::move(rates)}});
  }
  json::object o{{"carrier", card.carrier}, {"services", std::move(services)}};
  if (!card.version.empty()) o["version"] = card.version;
  return json::serialize(o);
}

absl::StatusOr<RateCard> ParseRateCard(std::string_view body, std::string_view carrier) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("not JSON: ", ec.message()));
  if (!v.is_object()) return absl::InvalidArgumentError("not a JSON object");
  const json::object& o = v.as_object();
  auto bad = [](std::string_view path, std::string_view why) {
    return absl::InvalidArgumentError(StrCat(path, ": ", why));
  };
  RateCard card;
  const json::value* name = o.if_contains("carrier");
  if (name == nullptr || !name->is_string()) return bad("carrier", "must be the carrier's name");
  card.carrier = std::string(name->as_string());
  if (card.carrier != carrier) {
    return absl::InvalidArgumentError(
        StrCat("the card is for carrier \"", card.carrier, "\", not \"", carrier, "\""));
  }
  if (const json::value* ver = o.if_contains("version"); ver != nullptr) {
    if (!ver->is_string()) return bad("version", "must be a string");
    card.version = std::string(ver->as_string());
  }
  const json::value* services = o.if_contains("services");
  if (services == nullptr || !services->is_array()) return bad("services", "must be a list");
  for (size_t j = 0; j < services->as_array().size(); ++j) {
    const std::string at = StrCat("services[", static_cast<int64_t>(j), "]");
    const json::value& sv = services->as_array()[j];
    if (!sv.is_object()) return bad(at, "must be an object");
    const json::object& so = sv.as_object();
    CarrierService s{.carrier = card.carrier};
    const json::value* sname = so.if_contains("name");
    if (sname == nullptr || !sname->is_string()) return bad(at + ".name", "must be a string");
    s.service = std::string(sname->as_string());
    if (std::string why = Ints(so, "transit_days", s.transit_days); !why.empty()) {
      return bad(at + ".transit_days", why);
    }
    const json::value* rates = so.if_contains("rates");
    if (rates == nullptr || !rates->is_array()) return bad(at + ".rates", "must be a list");
    for (size_t k = 0; k < rates->as_array().size(); ++k) {
      const std::string band = StrCat(at, ".rates[", static_cast<int64_t>(k), "]");
      const json::value& bv = rates->as_array()[k];
      if (!bv.is_object()) return bad(band, "must be an object");
      RateBand b;
      const json::value* up = bv.as_object().if_contains("up_to_grams");
      if (up == nullptr || !up->is_int64()) return bad(band + ".up_to_grams", "must be a whole number");
      b.up_to_grams = up->as_int64();
      if (std::string why = Ints(bv.as_object(), "by_zone", b.by_zone); !why.empty()) {
        return bad(band + ".by_zone", why);
      }
      s.rates.push_back(std::move(b));
    }
    card.services.push_back(std::move(s));
  }
  if (auto problems = CheckCarrierServices(card.services); !problems.empty()) {
    return bad(problems.front().first, problems.front().second);
  }
  return card;
}

struct CarrierRates::State {
  struct Slot {
    RatedCarrier config;
    std::string etag, version;  // of the card in use
    absl::Time fetched_at;      // the last good answer (start-up until there is one)
    absl::Time due;             // the next fetch
    Counter* updated = nullptr;
    Counter* unchanged = nullptr;
    Counter* failed = nullptr;
  };

  mutable std::mutex mu;
  std::condition_variable wake;
  bool stop ABSL_GUARDED_BY(mu) = false;
  std::vector<Slot> slots ABSL_GUARDED_BY(mu);
  std::shared_ptr<const Table> table ABSL_GUARDED_BY(mu);

  void Rebuild() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto t = std::make_shared<Table>();
    for (const Slot& s : slots) t->insert(t->end(), s.config.services.begin(), s.config.services.end());
    table = std::move(t);
  }
};

CarrierRates::CarrierRates(std::vector<RatedCarrier> carriers, Registry* metrics)
    : state_(std::make_shared<State>()) {
  // Metrics are registered outside the state's lock: rendering them takes the registry's
  // lock, then (in the age gauge) the state's.
  std::vector<State::Slot> slots;
  const absl::Time now = absl::Now();
  for (RatedCarrier& c : carriers) {
    for (CarrierService& s : c.services) s.carrier = c.name;
    State::Slot slot{.config = std::move(c), .fetched_at = now, .due = now};
    if (metrics != nullptr && !slot.config.rates_url.empty()) {
      const std::string& name = slot.config.name;
      constexpr std::string_view kHelp = "Rate card fetches from carriers' rate services, by result";
      slot.updated = metrics->Counter("disthub_carrier_rate_fetches_total", kHelp,
                                      {{"carrier", name}, {"result", "updated"}});
      slot.unchanged = metrics->Counter("disthub_carrier_rate_fetches_total", kHelp,
                                        {{"carrier", name}, {"result", "unchanged"}});
      slot.failed = metrics->Counter("disthub_carrier_rate_fetches_total", kHelp,
                                     {{"carrier", name}, {"result", "failed"}});
    }
    slots.push_back(std::move(slot));
  }
  std::vector<std::pair<size_t, std::string>> remote;  // (slot, carrier)
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!slots[i].config.rates_url.empty()) remote.emplace_back(i, slots[i].config.name);
  }
  {
    std::lock_guard lock(state_->mu);
    state_->slots = std::move(slots);
    state_->Rebuild();
  }
  if (metrics == nullptr) return;
  for (const auto& [i, name] : remote) {
    metrics->GaugeFn("disthub_carrier_rates_age_seconds",
                     "Seconds since the carrier's rate service last answered (since start-up "
                     "until it has)",
                     {{"carrier", name}}, [state = state_, i] {
                       std::lock_guard lock(state->mu);
                       return absl::ToDoubleSeconds(absl::Now() - state->slots[i].fetched_at);
                     });
  }
}

CarrierRates::~CarrierRates() { Stop(); }

std::shared_ptr<const CarrierRates::Table> CarrierRates::Current() const {
  std::lock_guard lock(state_->mu);
  return state_->table;
}

bool CarrierRates::empty() const {
  std::lock_guard lock(state_->mu);
  return state_->slots.empty();
}

std::string CarrierRates::Fetch(size_t i) {
  RatedCarrier config;
  std::string etag;
  {
    std::lock_guard lock(state_->mu);
    config = state_->slots[i].config;
    etag = state_->slots[i].etag;
  }
  std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "application/json"}};
  if (!etag.empty()) headers.emplace_back("If-None-Match", etag);
  if (!config.token.empty()) headers.emplace_back("Authorization", "Bearer " + config.token);
  HttpClient client(config.rates_url, absl::ToDoubleSeconds(config.timeout), config.tls);
  absl::StatusOr<HttpResult> res = client.Get("", headers);
  std::string problem;
  std::optional<RateCard> card;
  if (!res.ok()) {
    problem = std::string(res.status().message());
  } else if (res->status == 200) {
    absl::StatusOr<RateCard> parsed = ParseRateCard(res->body, config.name);
    if (parsed.ok()) {
      card = *std::move(parsed);
    } else {
      problem = StrCat("the rate card is not usable: ", parsed.status().message());
    }
  } else if (res->status != 304) {
    problem = StrCat("GET ", config.rates_url, " answered HTTP ", res->status);
  }

  std::lock_guard lock(state_->mu);
  State::Slot& slot = state_->slots[i];
  const absl::Time now = absl::Now();
  if (!problem.empty()) {
    slot.due = now + slot.config.retry;
    if (slot.failed != nullptr) slot.failed->Inc();
    return StrCat(config.name, ": ", problem);
  }
  slot.fetched_at = now;
  slot.due = now + slot.config.refresh;
  if (!card) {  // 304: the card in use is still current
    if (slot.unchanged != nullptr) slot.unchanged->Inc();
    return "";
  }
  if (slot.updated != nullptr) slot.updated->Inc();
  if (card->version != slot.version || slot.config.services.empty()) {
    spdlog::info("carrier rates: {} now at version \"{}\" ({} services)", config.name,
                 card->version, card->services.size());
  }
  slot.etag = res->Header("etag");
  slot.version = card->version;
  slot.config.services = std::move(card->services);
  state_->Rebuild();
  return "";
}

std::vector<std::string> CarrierRates::FetchNow() {
  std::vector<std::string> problems;
  size_t n = 0;
  {
    std::lock_guard lock(state_->mu);
    n = state_->slots.size();
  }
  for (size_t i = 0; i < n; ++i) {
    bool remote = false;
    {
      std::lock_guard lock(state_->mu);
      remote = !state_->slots[i].config.rates_url.empty();
    }
    if (!remote) continue;
    if (std::string p = Fetch(i); !p.empty()) problems.push_back(std::move(p));
  }
  return problems;
}

void CarrierRates::Start() {
  std::lock_guard lock(state_->mu);
  if (thread_.joinable() || state_->stop) return;
  const bool remote = std::any_of(state_->slots.begin(), state_->slots.end(),
                                  [](const State::Slot& s) { return !s.config.rates_url.empty(); });
  if (remote) thread_ = std::thread([this] { Run(); });
}

void CarrierRates::Stop() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->wake.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CarrierRates::Run() {
  NameThisThread("carrier-rates");
  std::unique_lock lock(state_->mu);
  while (!state_->stop) {
    absl::Time next = absl::InfiniteFuture();
    size_t due = state_->slots.size();
    for (size_t i = 0; i < state_->slots.size(); ++i) {
      const State::Slot& s = state_->slots[i];
      if (s.config.rates_url.empty() || s.due >= next) continue;
      next = s.due;
      due = i;
    }
    const absl::Time now = absl::Now();
    if (due < state_->slots.size() && next <= now) {
      lock.unlock();
      if (std::string p = Fetch(due); !p.empty()) spdlog::warn("carrier rates: {}", p);
      lock.lock();
      continue;
    }
    state_->wake.wait_for(lock, absl::ToChronoNanoseconds(std::min(next - now, absl::Seconds(60))));
  }
}

}  // namespace disthub::orchestration
