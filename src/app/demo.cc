#include "app/demo.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "app/config.h"
#include "app/embedded.h"
#include "app/hub_child.h"
#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "fmt/core.h"
#include "sim/carrier_sim.h"
#include "sim/erp_sim.h"
#include "sim/partner_sim.h"
#include "sim/scenario_orders.h"
#include "sim/wms_sim.h"
#include "spdlog/spdlog.h"

namespace disthub {
namespace {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

double SecondsSince(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

// ---- The requests the channels send -------------------------------------------------------

// What a request is meant to exercise, and so what the hub must answer.
enum class Kind {
  kNew,             // a new order: 201
  kRetrySameKey,    // the same request again with the same Idempotency-Key: the first result
  kResendSameRef,   // the same channel order again without a key (duplicate webhook): the first
  kKeyReused,       // a known Idempotency-Key on a different order: 422
  kMalformedJson,   // 400
  kUnknownSku,      // 422 #/lines/N/sku
  kTotalsMismatch,  // 422 #/totals/grand_total
  kMissingShipTo,   // 422 #/ship_to
  kUnknownChannel,  // 422 #/channel
  kBadCurrency,     // 422 #/currency
  kInvalidKey,      // 401
  kWrongScope,      // 403: a read-only key posting
  kForeignChannel,  // 403: a channel's key posting for another channel
  kKindCount
};

constexpr const char* kKindNames[] = {"new order",
                                      "retry, same Idempotency-Key",
                                      "resend, same channel reference",
                                      "Idempotency-Key reused for another order",
                                      "malformed JSON",
                                      "unknown SKU",
                                      "totals that do not add up",
                                      "missing ship-to address",
                                      "unknown channel",
                                      "currency the channel does not take",
                                      "invalid API key",
                                      "read-only key posting",
                                      "key of another channel"};

struct Request {
  Kind kind;
  std::string channel;
  std::string ref;
  std::string key_env;  // which partner's key to send
  std::string idempotency_key;
  std::string body;
  int original = -1;  // for repeats: index of the request they repeat
};

struct Outcome {
  int status = 0;
  bool replayed = false;
  int attempts = 0;  // > 1 when the hub could not be reached at first (a restart)
  std::string order_id;
  std::string problem;  // "type pointer" of a problem answer
  double ms = 0;        // the answered attempt
  Steady::time_point answered;
  absl::Time answered_at;
  std::string transport_error;
};

const std::map<std::string, std::string>& KeyEnvByChannel() {
  static const auto* m =
      new std::map<std::string, std::string>{{"b2b-portal", "HARBOR_B2B_PORTAL_KEY"},
                                             {"dtc-web", "HARBOR_DTC_WEB_KEY"},
                                             {"marketplace-a", "HARBOR_MARKETPLACES_KEY"},
                                             {"marketplace-b", "HARBOR_MARKETPLACES_KEY"},
                                             {"edi-retail", "HARBOR_EDI_GATEWAY_KEY"}};
  return *m;
}
constexpr char kWarehouseKeyEnv[] = "HARBOR_WAREHOUSES_KEY";
constexpr char kOpsKeyEnv[] = "HARBOR_OPS_KEY";

std::string Percentile(std::vector<double> v, double p) {
  if (v.empty()) return "-";
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i] >= 1000 ? fmt::format("{:.2f} s", v[i] / 1000) : fmt::format("{:.1f} ms", v[i]);
}

std::string Thousands(int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return n < 0 ? "-" + s : s;
}

// Builds the channels' traffic: new orders with a few bad ones among them, then (later in
// the day) webhook retries and resends of orders already taken.
std::vector<Request> MakeTraffic(ScenarioOrders& gen, int orders, size_t* first_phase) {
  auto& rng = gen.rng();
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const absl::Time now = absl::Now();
  std::vector<Request> requests;
  requests.reserve(static_cast<size_t>(orders) * 11 / 10);
  int bad_seq = 0;
  for (int i = 0; i < orders; ++i) {
    std::string channel = gen.PickChannel();
    std::string ref = fmt::format("{}-{:07d}", channel == "edi-retail" ? "PO" : "SO", i + 1);
    Order order = gen.Make(channel, ref, now);
    requests.push_back({Kind::kNew, channel, ref, KeyEnvByChannel().at(channel),
                        chance(0.7) ? fmt::format("{}:{}", channel, ref) : "",
                        ScenarioOrders::InboundJson(order)});
    if (!chance(0.03)) continue;  // now and then a bad one from the same channel
    Order bad = gen.Make(channel, fmt::format("BAD-{:06d}", ++bad_seq), now);
    Request r{Kind::kUnknownSku, channel, bad.channel_order_ref, KeyEnvByChannel().at(channel)};
    switch (std::uniform_int_distribution<int>(0, 8)(rng)) {
      case 0:
        r.kind = Kind::kMalformedJson;
        r.body = ScenarioOrders::InboundJson(bad);
        r.body.resize(r.body.size() / 2);
        break;
      case 1:
        r.kind = Kind::kUnknownSku;
        bad.lines[0].sku = "HS-99999";
        break;
      case 2:
        r.kind = Kind::kTotalsMismatch;
        bad.totals.grand_total.minor += 1;
        break;
      case 3:
        r.kind = Kind::kMissingShipTo;
        break;
      case 4:
        r.kind = Kind::kUnknownChannel;
        bad.channel = "fax-orders";
        break;
      case 5:
        r.kind = Kind::kBadCurrency;
        bad.currency = "EUR";
        for (auto& l : bad.lines) {
          l.unit_price.currency = l.tax.currency = "EUR";
          for (auto& d : l.discounts) d.amount.currency = "EUR";
        }
        for (Money* m : {&bad.totals.subtotal, &bad.totals.discount, &bad.totals.tax,
                         &bad.totals.shipping, &bad.totals.grand_total}) {
          m->currency = "EUR";
        }
        break;
      case 6:
        r.kind = Kind::kInvalidKey;
        r.key_env.clear();
        break;
      case 7:
        r.kind = Kind::kWrongScope;
        r.key_env = kOpsKeyEnv;
        break;
      default:
        r.kind = Kind::kForeignChannel;
        r.key_env = channel == "dtc-web" ? "HARBOR_B2B_PORTAL_KEY" : "HARBOR_DTC_WEB_KEY";
        break;
    }
    if (r.body.empty()) {
      r.body = ScenarioOrders::InboundJson(bad);
      if (r.kind == Kind::kMissingShipTo) {
        json::value v = json::parse(r.body);
        v.as_object().erase("ship_to");
        r.body = json::serialize(v);
      }
    }
    requests.push_back(std::move(r));
  }
  std::shuffle(requests.begin(), requests.end(), rng);
  *first_phase = requests.size();
  for (size_t i = 0; i < *first_phase; ++i) {
    const Request& r = requests[i];
    if (r.kind != Kind::kNew) continue;
    if (!r.idempotency_key.empty() && chance(0.05)) {
      Request again = r;
      again.kind = Kind::kRetrySameKey;
      again.original = static_cast<int>(i);
      requests.push_back(std::move(again));
    } else if (r.idempotency_key.empty() && chance(0.08)) {
      Request again = r;
      again.kind = Kind::kResendSameRef;
      again.original = static_cast<int>(i);
      requests.push_back(std::move(again));
    } else if (!r.idempotency_key.empty() && chance(0.005)) {
      Request reuse = r;
      reuse.kind = Kind::kKeyReused;
      reuse.original = static_cast<int>(i);
      reuse.body = ScenarioOrders::InboundJson(gen.Make(r.channel, r.ref + "-B", now));
      requests.push_back(std::move(reuse));
    }
  }
  return requests;
}

// Sends requests[from..to) over `connections` keep-alive connections, `rate` a second
// (0: flat out). A request that got no answer (the hub restarting) is sent again, as a
// channel would, for up to a minute. `sent` counts requests answered.
void Send(const std::string& url, const std::map<std::string, std::string>& keys,
          const std::vector<Request>& requests, size_t from, size_t to, int connections,
          double rate, std::vector<Outcome>& outcomes, std::atomic<int64_t>& sent) {
  std::atomic<size_t> next{from};
  const auto start = Steady::now();
  std::vector<std::thread> workers;
  for (int c = 0; c < connections; ++c) {
    workers.emplace_back([&] {
      HttpClient client(url, 10);
      for (size_t i = next++; i < to; i = next++) {
        if (rate > 0) {
          std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(
                                                    static_cast<double>(i - from) * 1e6 / rate)));
        }
        const Request& r = requests[i];
        Headers headers = {
            {"Content-Type", "application/json"},
            {"Authorization",
             StrCat("Bearer ", r.key_env.empty() ? "not-a-real-key-0000" : keys.at(r.key_env))}};
        if (!r.idempotency_key.empty()) headers.emplace_back("Idempotency-Key", r.idempotency_key);
        Outcome& o = outcomes[i];
        absl::StatusOr<HttpResult> res;
        const auto first = Steady::now();
        do {
          if (o.attempts > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
          ++o.attempts;
          auto t0 = Steady::now();
          res = client.Send("POST", "/v1/orders", headers, r.body);
          o.ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
        } while (!res.ok() && SecondsSince(first) < 60);
        o.answered = Steady::now();
        o.answered_at = absl::Now();
        ++sent;
        if (!res.ok()) {
          o.transport_error = std::string(res.status().message());
          continue;
        }
        o.status = res->status;
        o.replayed = res->Header("idempotent-replayed") == "true";
        json::error_code ec;
        json::value doc = json::parse(res->body, ec);
        if (ec || !doc.is_object()) continue;
        const auto& obj = doc.as_object();
        if (o.status == 201) {
          if (auto* id = obj.if_contains("id"); id && id->is_string()) o.order_id = id->as_string();
        } else {
          std::string type = obj.contains("type") ? std::string(obj.at("type").as_string()) : "";
          type = type.substr(type.rfind('/') + 1);
          std::string pointer;
          if (auto* errs = obj.if_contains("errors");
              errs && errs->is_array() && !errs->as_array().empty()) {
            const auto& e = errs->as_array()[0].as_object();
            for (const char* k : {"pointer", "parameter", "header"}) {
              if (auto* p = e.if_contains(k)) pointer = std::string(p->as_string());
            }
          }
          o.problem = pointer.empty() ? type : StrCat(type, " ", pointer);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
}

// ---- The hub's /metrics -------------------------------------------------------------------

// The sum of every series of `name` whose labels contain `label` ("" for all).
double MetricSum(const std::string& text, std::string_view name, std::string_view label = "") {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name)) continue;
    const char after = line.size() > name.size() ? line[name.size()] : '\0';
    if (after != '{' && after != ' ') continue;
    const size_t space = line.rfind(' ');
    if (!label.empty() && line.substr(0, space).find(label) == std::string::npos) continue;
    sum += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

// ---- The partners -------------------------------------------------------------------------

// A warehouse simulator whose hub is known only once the hub has started: the partner
// listens first (the hub's configuration names it), the warehouse joins it after.
struct Warehouse {
  std::string location;
  std::atomic<WarehouseSim*> sim{nullptr};
  std::unique_ptr<PartnerSim> partner;
  std::unique_ptr<WarehouseSim> owned;

  ~Warehouse() {
    if (partner) partner->Stop();
    if (owned) owned->Stop();
  }
};

struct Stock {
  // (sku, location) → units, as the warehouses' own records have them
  std::map<std::pair<std::string, std::string>, int64_t> initial, received, late, shrink;
  std::map<std::pair<std::string, std::string>, int64_t> sequence;  // last sent
};

// The hub's configuration for the day: the scenario's (harbor.yaml) with the partners'
// addresses, the store folder and demo time (the 3PL's 15-minute acknowledgement window
// becomes 3 seconds).
std::string DemoConfig(YAML::Node root, bool fast, const std::string& dir,
                       const std::string& products,
                       const std::vector<std::unique_ptr<Warehouse>>& warehouses,
                       const std::string& erp_url, const std::string& channel_url,
                       const std::string& market_url, double market_quota,
                       const std::string& alert_url, const CarrierPartner* rate_service) {
  root["server"]["listen"] = "127.0.0.1:0";
  root["store"]["data_dir"] = dir + "/store";
  root["catalog"]["products_file"] = products;
  YAML::Node f = root["fulfillment"];
  for (YAML::Node loc : f["locations"]) {
    // Flat out, the warehouses' queues run seconds deep: a tight deadline would only
    // measure the simulators' backlog.
    loc["ack_deadline_seconds"] = fast ? 10 : 3;
    loc["release_attempts"] = 2;
  }
  f["backorder_recheck_seconds"] = 2;
  f["timer_tick_ms"] = 100;
  YAML::Node erp = f["erp"];
  erp["url"] = erp_url;
  erp["timeout_ms"] = 1000;
  erp["retry_seconds"] = 2;
  erp["circuit_open_seconds"] = 2;
  YAML::Node subs(YAML::NodeType::Sequence);
  auto add = [&subs](const std::string& name, const std::string& url,
                     const std::vector<std::string>& events) {
    YAML::Node s;
    s["name"] = name;
    s["url"] = url;
    for (const std::string& e : events) s["events"].push_back(e);
    s["delivery"]["retry"]["initial_ms"] = 100;
    s["delivery"]["retry"]["max_ms"] = 2000;
    s["delivery"]["circuit"]["open_ms"] = 1000;
    s["delivery"]["circuit"]["max_open_ms"] = 4000;
    subs.push_back(s);
  };
  for (const auto& w : warehouses) {
    add("wms-" + w->location, w->partner->url() + "/wms",
        {"fulfillment.release." + w->location, "fulfillment.cancel." + w->location,
         "return.expected." + w->location});
  }
  add("erp", erp_url + "/books", {"invoice.posted", "credit_memo.posted"});
  std::vector<std::string> direct, market;
  for (const char* type : {"order.status.", "return.status.", "inventory.availability."}) {
    for (const char* c : {"b2b-portal", "dtc-web", "edi-retail"}) direct.push_back(StrCat(type, c));
    market.push_back(StrCat(type, "marketplace-*"));
  }
  add("channels", channel_url + "/channels", direct);
  // The marketplaces enforce a quota of their own. The hub is told a quarter more than
  // they really allow, as happens, so it meets their 429s and must wait out Retry-After.
  add("marketplaces", market_url + "/marketplaces", market);
  subs[subs.size() - 1]["delivery"]["rate_per_second"] = market_quota * 1.25;
  subs[subs.size() - 1]["delivery"]["burst"] = market_quota / 2;
  add("alerts", alert_url + "/alerts", {"alert.*"});
  root["subscribers"] = subs;
  // The carriers' rate tables come from their rate service, refreshed every 2 s.
  if (rate_service != nullptr) {
    for (YAML::Node carrier : root["carriers"]) {
      const std::string name = carrier["name"].as<std::string>("");
      if (!carrier["services"] || !rate_service->Knows(name)) continue;
      carrier.remove("services");
      carrier["rates_url"] = rate_service->RatesUrl(name);
      carrier["refresh_seconds"] = 2;
      carrier["retry_seconds"] = 1;
    }
  }
  // Alert rules in demo time: checked every second, firing after a second.
  root["alerts"]["check_seconds"] = 1;
  for (YAML::Node rule : root["alerts"]["rules"]) rule["for_seconds"] = 1;
  root["delivery"]["poll_interval_ms"] = 20;
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

// What the report and the checks need from one stored order.
struct StoredOrder {
  std::string id, channel, ref, status;
  std::map<int, int64_t> eaches;    // line → eaches ordered
  std::map<int, std::string> skus;  // line → SKU
};

class Day {
 public:
  Day(const DemoOptions& options, std::map<std::string, std::string> keys, std::string url,
      std::map<std::string, int> case_qty)
      : options_(options),
        keys_(std::move(keys)),
        url_(std::move(url)),
        case_qty_(std::move(case_qty)) {}

  Headers Auth(const std::string& key_env) const {
    return {{"Authorization", StrCat("Bearer ", keys_.at(key_env))},
            {"Content-Type", "application/json"}};
  }
  absl::StatusOr<HttpResult> Call(const std::string& method, const std::string& path,
                                  const std::string& key_env, const std::string& body = "") {
    HttpClient client(url_, 30);
    absl::StatusOr<HttpResult> r;
    for (int attempt = 0; attempt < 100; ++attempt) {  // through a hub restart
      r = client.Send(method, path, Auth(key_env), body);
      if (r.ok()) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return r;
  }
  std::string Metrics() {
    HttpClient client(url_, 5);
    auto r = client.Get("/metrics");
    return r.ok() ? r->body : "";
  }

  // Every order in the hub (in `status`, if given), paged through the API.
  std::vector<StoredOrder> Orders(const std::string& status = "") {
    std::vector<StoredOrder> out;
    std::string cursor;
    while (true) {
      auto page = Call("GET",
                       StrCat("/v1/orders?limit=500", status.empty() ? "" : "&status=" + status,
                              cursor.empty() ? "" : "&cursor=" + cursor),
                       kOpsKeyEnv);
      if (!page.ok() || page->status != 200) break;
      json::value doc = json::parse(page->body);
      for (const auto& v : doc.at("orders").as_array()) {
        const json::object& o = v.as_object();
        StoredOrder s{.id = std::string(o.at("id").as_string()),
                      .channel = std::string(o.at("channel").as_string()),
                      .ref = std::string(o.at("channel_order_ref").as_string()),
                      .status = std::string(o.at("status").as_string())};
        for (const auto& l : o.at("lines").as_array()) {
          const json::object& lo = l.as_object();
          int64_t q = lo.at("quantity").to_number<int64_t>();
          if (lo.contains("uom") && lo.at("uom") == "case")
            q *= case_qty_[std::string(lo.at("sku").as_string())];
          const int line = static_cast<int>(lo.at("line_no").to_number<int64_t>());
          s.eaches[line] = q;
          s.skus[line] = std::string(lo.at("sku").as_string());
        }
        out.push_back(std::move(s));
      }
      if (!doc.as_object().contains("next_cursor")) break;
      cursor = std::string(doc.at("next_cursor").as_string());
    }
    return out;
  }

 private:
  const DemoOptions& options_;
  std::map<std::string, std::string> keys_;
  std::string url_;
  std::map<std::string, int> case_qty_;
};

const std::set<std::string>& InFlightStates() {
  static const auto* s = new std::set<std::string>{"received",     "validated",         "accepted",
                                                   "allocated",    "backordered",       "released",
                                                   "acknowledged", "partially_shipped", "shipped"};
  return *s;
}

}  // namespace

int RunDemo(const DemoOptions& options) {
  const auto day_start = Steady::now();
  spdlog::set_level(spdlog::level::warn);  // the simulators' chatter; the report is on stdout
  // --- configuration: the reference scenario on a fresh embedded store -----------------
  std::string dir = options.data_dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/disthub-demo-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      fmt::print(stderr, "demo: cannot create a temporary folder under /tmp\n");
      return 1;
    }
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);
  std::string config_text, products_csv, products_path = dir + "/harbor-products.csv";
  if (options.config_file.empty()) {
    config_text = std::string(embedded::HarborConfig());
    products_csv = std::string(embedded::HarborProducts());
  } else {
    auto text = ReadFile(options.config_file);
    if (!text.ok()) {
      fmt::print(stderr, "demo: {}\n", text.status().message());
      return 2;
    }
    config_text = *std::move(text);
    YAML::Node file_root;
    try {
      file_root = YAML::Load(config_text);
    } catch (const YAML::Exception& e) {
      fmt::print(stderr, "demo: {} is not YAML: {}\n", options.config_file, e.what());
      return 2;
    }
    if (!file_root["fulfillment"] || !file_root["fulfillment"]["locations"] ||
        file_root["fulfillment"]["locations"].size() == 0) {
      fmt::print(stderr, "demo: {} has no fulfillment.locations to ship from\n",
                 options.config_file);
      return 2;
    }
    if (file_root["catalog"] && file_root["catalog"]["products_file"]) {
      std::filesystem::path p = file_root["catalog"]["products_file"].as<std::string>();
      if (p.is_relative()) p = std::filesystem::path(options.config_file).parent_path() / p;
      auto csv = ReadFile(p.string());
      if (!csv.ok()) {
        fmt::print(stderr, "demo: {}\n", csv.status().message());
        return 2;
      }
      products_csv = *std::move(csv);
    }
  }
  YAML::Node root;
  try {
    root = YAML::Load(config_text);
  } catch (const YAML::Exception& e) {
    fmt::print(stderr, "demo: the configuration is not YAML: {}\n", e.what());
    return 2;
  }
  std::vector<std::string> locations;
  for (const YAML::Node& loc : root["fulfillment"]["locations"]) {
    if (std::string name = loc["name"].as<std::string>(""); !name.empty())
      locations.push_back(name);
  }
  if (locations.empty()) {
    fmt::print(stderr, "demo: the configuration has no fulfillment.locations to ship from\n");
    return 2;
  }
  std::ofstream(products_path) << products_csv;
  std::vector<ScenarioProduct> products = ScenarioProductsFromCsv(products_csv);
  if (products.empty()) {
    fmt::print(stderr, "demo: the catalog has no products to order\n");
    return 2;
  }
  std::map<std::string, int> case_qty;
  for (const ScenarioProduct& p : products) case_qty[p.sku] = p.case_qty;

  // --- the partners ----------------------------------------------------------------------
  const bool fast = options.fast;
  std::vector<std::unique_ptr<Warehouse>> warehouses;
  for (const std::string& location : locations) {
    auto w = std::make_unique<Warehouse>();
    w->location = location;
    PartnerSimOptions po;
    po.record_bodies = false;
    po.on_message = [raw = w.get()](const PartnerMessage& m) {
      if (WarehouseSim* s = raw->sim.load()) s->OnMessage(m);
    };
    auto p = StartPartnerSim(po);
    if (!p.ok()) {
      fmt::print(stderr, "demo: {}\n", p.status().message());
      return 1;
    }
    w->partner = *std::move(p);
    warehouses.push_back(std::move(w));
  }
  PartnerSimOptions erp_partner;
  erp_partner.seed = options.seed;
  erp_partner.faults.error_rate = 0.02;  // SCENARIO.md: 2% of calls fail ...
  erp_partner.faults.slow_rate = 0.01;   // ... and it is sometimes slow (past the hub's timeout)
  erp_partner.faults.slow_ms = 2000;
  ErpOptions erp_options;
  erp_options.default_limit_minor = 5'000'000;  // $50,000 of open credit per account
  erp_options.default_tax_rate = 0.0625;
  erp_options.seed = options.seed;
  auto erp = StartErpSim(erp_partner, erp_options);
  if (!erp.ok()) {
    fmt::print(stderr, "demo: {}\n", erp.status().message());
    return 1;
  }
  auto channel_sim = StartPartnerSim({});
  auto alert_sim = StartPartnerSim({});
  // The marketplaces take status and stock updates for both marketplace channels, a
  // quota's worth a second (a token bucket; beyond it 429 with Retry-After: 1).
  const double market_quota = fast ? 150 : 40;
  PartnerSimOptions market_options;
  market_options.faults.quota = {.rate = market_quota, .burst = market_quota / 2,
                                 .retry_after_seconds = 1};
  auto market_sim = StartPartnerSim(market_options);
  if (!channel_sim.ok() || !alert_sim.ok() || !market_sim.ok()) {
    fmt::print(stderr, "demo: cannot start the channel, marketplace and alert simulators\n");
    return 1;
  }
  // The carriers' rate service, serving the rate tables the configuration lists.
  std::unique_ptr<CarrierPartner> rate_service;
  std::vector<orchestration::RateCard> cards;
  std::set<std::string> told_shipped;  // the channels that ask to hear "shipped"
  if (absl::StatusOr<Config> parsed = ParseConfig(config_text, "the configuration"); parsed.ok()) {
    for (const CarrierConfig& c : parsed->carriers) {
      if (!c.services.empty()) cards.push_back({.carrier = c.name, .version = "1", .services = c.services});
    }
    for (const ChannelConfig& c : parsed->channels) {
      const std::vector<std::string>& updates = c.fulfillment.status_updates;
      if (std::find(updates.begin(), updates.end(), "shipped") != updates.end()) {
        told_shipped.insert(c.name);
      }
    }
  }
  const std::vector<orchestration::RateCard> opening_cards = cards;
  if (!cards.empty()) {
    auto started = StartCarrierSim({}, std::move(cards));
    if (!started.ok()) {
      fmt::print(stderr, "demo: cannot start the carrier rate service: {}\n",
                 started.status().message());
      return 1;
    }
    rate_service = *std::move(started);
  }

  // --- the hub ---------------------------------------------------------------------------
  std::string hub_yaml;
  try {
    hub_yaml = DemoConfig(root, fast, dir, products_path, warehouses, (*erp)->url(),
                          (*channel_sim)->url(), (*market_sim)->url(), market_quota,
                          (*alert_sim)->url(), rate_service.get());
  } catch (const YAML::Exception& e) {
    fmt::print(stderr, "demo: cannot adapt the configuration: {}\n", e.what());
    return 2;
  }
  std::ofstream(dir + "/hub.yaml") << hub_yaml;
  std::map<std::string, std::string> keys;  // fresh random keys, handed over as environment
  std::mt19937_64 key_rng(std::random_device{}());
  for (const YAML::Node& p : root["partners"]) {
    for (const YAML::Node& k : p["api_keys"]) {
      if (k["key_env"]) {
        keys[k["key_env"].as<std::string>()] =
            fmt::format("dh_{:016x}{:016x}", key_rng(), key_rng());
      }
    }
  }
  for (const auto& [channel, env] : KeyEnvByChannel()) {
    if (!keys.count(env)) {
      fmt::print(stderr, "demo: the configuration has no partner key {} (channel {})\n", env,
                 channel);
      return 2;
    }
  }
  for (const char* env : {kWarehouseKeyEnv, kOpsKeyEnv}) {
    if (!keys.count(env)) {
      fmt::print(stderr, "demo: the configuration has no partner key {}\n", env);
      return 2;
    }
  }
  std::string binary = options.binary;
  if (binary.empty()) {
    std::error_code ec;
    binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  }
  HubChild hub({.binary = binary,
                .config_file = dir + "/hub.yaml",
                .env = keys,
                .log_file = dir + "/hub.log"});
  if (absl::Status s = hub.Start(); !s.ok()) {
    fmt::print(stderr, "demo: {}\n", s.message());
    return 1;
  }
  const std::string url = hub.url();
  for (auto& w : warehouses) {
    const bool tpl = w->location.starts_with("3pl");
    WarehouseOptions o{.hub_url = url,
                       .api_key = keys.at(kWarehouseKeyEnv),
                       .location = w->location,
                       .ack_delay_ms = fast ? 5 : 150,
                       .ship_delay_ms = fast ? 30 : 800,
                       .silent_rate = tpl ? 0.05 : 0,  // SCENARIO.md: the 3PL ignores 5%
                       .partial_rate = tpl ? 0 : 0.04,
                       .short_rate = tpl ? 0.02 : 0.01,
                       .return_delay_ms = fast ? 20 : 300,
                       .damaged_rate = 0.2,
                       .seed = options.seed + warehouses.size(),
                       .worker_threads = 16,  // their calls wait for the hub's commits
                       .retry_initial_ms = 100,
                       .give_up_after_ms = 120'000};
    auto sim = WarehouseSim::Start(o);
    if (!sim.ok()) {
      fmt::print(stderr, "demo: {}\n", sim.status().message());
      return 1;
    }
    w->owned = *std::move(sim);
    w->sim = w->owned.get();
  }
  fmt::print("disthub demo: a trading day at Harbor Supply Co. (../shared/SCENARIO.md)\n");
  fmt::print("  hub        {}  (disthub serve, pid {}, embedded SQLite in {}/store)\n", url,
             hub.pid(), dir);
  fmt::print("  partners   ");
  for (const auto& w : warehouses) fmt::print("{} {}  ", w->location, w->partner->url());
  fmt::print(
      "\n             erp {}  channels {}  marketplaces {} (quota {:.0f}/s)  alert webhook {}\n",
      (*erp)->url(), (*channel_sim)->url(), (*market_sim)->url(), market_quota,
      (*alert_sim)->url());
  if (rate_service) {
    fmt::print("             carrier rates {} ({} rate cards)\n", rate_service->url(),
               opening_cards.size());
  }
  fmt::print(
      "  faults     3PL ignores 5% of releases, ERP fails 2% and is slow 1%, partial and\n"
      "             short shipments, damaged returns, an ERP outage, late inventory events{}\n\n",
      options.kill_hub_after > 0 ? ", kill -9 of the hub" : "");

  Day day(options, keys, url, case_qty);
  std::vector<std::string> failures;
  auto fail = [&failures](const std::string& what) { failures.push_back(what); };

  // --- stock: every SKU at every location; the 20 hot SKUs short --------------------------
  ScenarioOrders gen(products, options.seed);
  std::mt19937_64 stock_rng(options.seed * 7 + 1);
  Stock stock;
  const size_t hot = std::min<size_t>(20, products.size());
  for (const std::string& location : locations) {
    json::array items;
    for (size_t i = 0; i < products.size(); ++i) {
      const int64_t units = std::uniform_int_distribution<int64_t>(i < hot ? 800 : 150,
                                                                   i < hot ? 1200 : 600)(stock_rng);
      stock.initial[{products[i].sku, location}] = units;
      stock.sequence[{products[i].sku, location}] = 1;
      items.push_back(json::object{{"sku", products[i].sku}, {"on_hand", units}});
    }
    auto r = day.Call("POST", "/v1/inventory/snapshots", kWarehouseKeyEnv,
                      json::serialize(json::object{{"id", "opening-" + location},
                                                   {"location", location},
                                                   {"sequence", 1},
                                                   {"items", std::move(items)}}));
    if (!r.ok() || r->status != 200) {
      fmt::print(stderr, "demo: loading the opening stock failed: {}\n",
                 r.ok() ? r->body : std::string(r.status().message()));
      return 1;
    }
  }
  fmt::print(
      "Opening stock: {} SKUs at {} locations; the 20 hot SKUs (a fifth of all lines) "
      "start at 800-1,200 a location and run short.\n",
      Thousands(static_cast<int64_t>(products.size())), locations.size());

  // --- the trading day ---------------------------------------------------------------------
  size_t first_phase = 0;
  std::vector<Request> requests = MakeTraffic(gen, options.orders, &first_phase);
  std::vector<Outcome> outcomes(requests.size());
  std::atomic<int64_t> sent{0};
  const double rate = fast ? 0 : options.rate;
  fmt::print("Trading: {} orders from 5 channels{}, plus {} repeats and bad requests.\n\n",
             Thousands(options.orders),
             rate > 0 ? fmt::format(" at {:.0f} a second", rate) : " flat out",
             Thousands(static_cast<int64_t>(requests.size()) - options.orders));
  const auto trading_start = Steady::now();
  std::thread sender([&] {
    Send(url, keys, requests, 0, first_phase, options.connections, rate, outcomes, sent);
    Send(url, keys, requests, first_phase, requests.size(), options.connections, rate, outcomes,
         sent);
  });

  // Meanwhile: restocks of the hot SKUs, late inventory events, cancellations, an ERP
  // outage, maybe a crash; and a progress line every second.
  std::mt19937_64 rng(options.seed * 13 + 5);
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  int restocks = 0, late_sent = 0, late_stale = 0, cancels_sent = 0;
  std::map<std::string, int> cancel_outcomes;
  struct Cancel {
    Steady::time_point when;
    std::string order_id, channel;
  };
  std::vector<Cancel> cancel_queue;
  size_t scanned = 0;
  bool erp_outage_done = false, rate_increase_done = false, killed = false;
  double restart_ms = 0;
  auto last_progress = Steady::now(), last_restock = Steady::now();
  // Warehouse adjustments, many to a request; the answer's body.
  json::array pending_adjustments;
  auto stage = [&](const std::string& sku, const std::string& location, int64_t delta,
                   int64_t sequence) {
    pending_adjustments.push_back(
        json::object{{"id", fmt::format("adj-{}-{}-{}", location, sku, sequence)},
                     {"sku", sku},
                     {"location", location},
                     {"delta", delta},
                     {"sequence", sequence}});
  };
  auto flush = [&]() -> std::string {
    if (pending_adjustments.empty()) return "";
    auto r =
        day.Call("POST", "/v1/inventory/adjustments", kWarehouseKeyEnv,
                 json::serialize(json::object{{"adjustments", std::move(pending_adjustments)}}));
    pending_adjustments = json::array();
    if (!r.ok() || r->status != 200) {
      fail(StrCat("a warehouse adjustment was not taken: ",
                  r.ok() ? r->body.substr(0, 200) : std::string(r.status().message())));
      return "";
    }
    return r->body;
  };
  auto adjust = [&](const std::string& sku, const std::string& location, int64_t delta,
                    int64_t sequence) {
    stage(sku, location, delta, sequence);
    return flush();
  };
  auto stage_many = [&](const std::string& sku, const std::string& location, int64_t delta,
                        int64_t sequence) {
    stage(sku, location, delta, sequence);
    if (pending_adjustments.size() >= 5000) flush();  // the API takes up to 10,000 at once
  };
  auto progress = [&](const char* phase) {
    const std::string m = day.Metrics();
    auto n = [&](const char* status) {
      return Thousands(
          static_cast<int64_t>(MetricSum(m, "disthub_orders", StrCat("status=\"", status, "\""))));
    };
    fmt::print(
        "  {:5.1f}s {:<8} sent {:>6}/{:<6} | received {} released {} acknowledged {} "
        "invoiced {} | backordered {} credit_hold {} cancelled {} | retries {} reroutes {}\n",
        SecondsSince(trading_start), phase, Thousands(sent.load()),
        Thousands(static_cast<int64_t>(requests.size())), n("received"), n("released"),
        n("acknowledged"), n("invoiced"), n("backordered"), n("credit_hold"), n("cancelled"),
        static_cast<int64_t>(MetricSum(m, "disthub_fulfillment_release_retries_total")),
        static_cast<int64_t>(MetricSum(m, "disthub_fulfillment_reroutes_total")));
    std::fflush(stdout);
  };
  auto tick = [&](bool trading) {
    // New orders the channels may cancel: 3%, a moment to a few seconds later.
    for (; scanned < first_phase; ++scanned) {
      if (requests[scanned].kind != Kind::kNew) continue;
      if (outcomes[scanned].answered == Steady::time_point{}) break;
      if (outcomes[scanned].status != 201 || !chance(0.03)) continue;
      cancel_queue.push_back(
          {Steady::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(
                               fast ? 0 : 100, fast ? 200 : 3000)(rng)),
           outcomes[scanned].order_id, requests[scanned].channel});
    }
    for (auto it = cancel_queue.begin(); it != cancel_queue.end();) {
      if (it->when > Steady::now()) {
        ++it;
        continue;
      }
      auto r = day.Call("POST", "/v1/orders/" + it->order_id + "/cancel",
                        KeyEnvByChannel().at(it->channel),
                        R"({"reason":"the customer changed their mind"})");
      ++cancels_sent;
      std::string outcome = "no answer";
      if (r.ok()) {
        json::error_code ec;
        json::value v = json::parse(r->body, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (r->status != 200) {
          outcome = StrCat("refused (", r->status, ")");
          if (o && o->contains("detail"))
            outcome = StrCat("refused: ", o->at("detail").as_string());
        } else if (o && o->contains("order_status") && o->at("order_status") == "cancelled") {
          outcome = "cancelled at once (nothing at a warehouse yet)";
        } else {
          outcome = "sent to the warehouse to cancel (compensation)";
        }
      }
      ++cancel_outcomes[outcome];
      it = cancel_queue.erase(it);
    }
    if (!trading) return;
    // Restocks of the hot SKUs, and now and then a late event.
    if (SecondsSince(last_restock) > (fast ? 0.5 : 2.0)) {
      last_restock = Steady::now();
      for (int k = 0; k < 5; ++k) {
        const std::string& sku =
            products[std::uniform_int_distribution<size_t>(0, hot - 1)(rng)].sku;
        const std::string& location =
            locations[std::uniform_int_distribution<size_t>(0, locations.size() - 1)(rng)];
        int64_t& seq = stock.sequence[{sku, location}];
        // A late event: the warehouse's earlier delta (seq + 1) arrives after this one.
        const bool late = chance(0.3);
        const int64_t now_seq = seq + (late ? 2 : 1);
        adjust(sku, location, 300, now_seq);
        stock.received[{sku, location}] += 300;
        ++restocks;
        if (late) {
          // An earlier receipt of 5, reported after the later one: stale, recorded, not
          // applied; the nightly count puts it right.
          const std::string body = adjust(sku, location, 5, seq + 1);
          stock.late[{sku, location}] += 5;
          ++late_sent;
          late_stale += body.find("\"stale\":1") != std::string::npos;
        }
        seq = now_seq;
      }
    }
    if (!rate_increase_done && rate_service && sent.load() >= options.orders / 2) {
      // A general rate increase: the first carrier raises every price 8%.
      rate_increase_done = true;
      orchestration::RateCard raised = opening_cards.front();
      raised.version = "2";
      for (auto& service : raised.services) {
        for (auto& band : service.rates) {
          for (int64_t& price : band.by_zone) price = price * 108 / 100;
        }
      }
      if (absl::Status s = rate_service->carriers().SetCard(raised); !s.ok()) {
        fail(StrCat("the rate increase was refused: ", s.message()));
      }
      fmt::print("  {:5.1f}s {} raises its rates 8%\n", SecondsSince(trading_start), raised.carrier);
    }
    if (!erp_outage_done && sent.load() >= options.orders * 2 / 5) {
      erp_outage_done = true;
      (*erp)->partner().GoDown(absl::Seconds(fast ? 1.5 : 4));
      fmt::print("  {:5.1f}s the ERP goes down for {} s\n", SecondsSince(trading_start),
                 fast ? 1.5 : 4);
    }
    if (options.kill_hub_after > 0 && !killed && sent.load() >= options.kill_hub_after) {
      killed = true;
      const pid_t pid = hub.pid();
      hub.Kill();
      const auto t0 = Steady::now();
      absl::Status s = hub.Start();
      restart_ms = SecondsSince(t0) * 1000;
      fmt::print(
          "  {:5.1f}s kill -9 of the hub (pid {}) with orders in flight; {} in {:.0f} ms (pid "
          "{})\n",
          SecondsSince(trading_start), pid, s.ok() ? "restarted" : "FAILED to restart", restart_ms,
          hub.pid());
    }
  };
  while (sent.load() < static_cast<int64_t>(requests.size())) {
    tick(true);
    if (SecondsSince(last_progress) >= 1) {
      last_progress = Steady::now();
      progress("trading");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sender.join();
  const double trading_seconds = SecondsSince(trading_start);
  while (!cancel_queue.empty()) {
    tick(false);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The evening delivery: enough of every hot SKU everywhere; and purchasing buys what
  // backordered orders still wait for (checked again while the day settles).
  for (size_t i = 0; i < hot; ++i) {
    for (const std::string& location : locations) {
      int64_t& seq = stock.sequence[{products[i].sku, location}];
      stage_many(products[i].sku, location, 2000, ++seq);
      stock.received[{products[i].sku, location}] += 2000;
    }
  }
  int purchases = 0;
  auto buy_for_backorders = [&] {
    std::set<std::string> skus;
    for (const StoredOrder& o : day.Orders("backordered")) {
      for (const auto& [line, sku] : o.skus) skus.insert(sku);
    }
    for (const std::string& sku : skus) {
      for (const std::string& location : locations) {
        int64_t& seq = stock.sequence[{sku, location}];
        stage_many(sku, location, 1000, ++seq);
        stock.received[{sku, location}] += 1000;
      }
      ++purchases;
    }
    flush();
  };
  buy_for_backorders();
  fmt::print(
      "  {:5.1f}s the evening delivery: 2,000 of each hot SKU at every location, and what "
      "backorders wait for\n",
      SecondsSince(trading_start));

  // --- settle: every order where it ends the day ---------------------------------------
  // Orders escalated to people (no location could take them) wait for them, not for the
  // day to settle: the alert webhook has their ids.
  auto escalated = [&] {
    std::set<std::string> ids;
    for (const PartnerMessage& m : (*alert_sim)->Messages(0, 100000)) {
      json::error_code ec;
      json::value v = json::parse(m.body, ec);
      if (ec || !v.is_object() || v.as_object().at("type") != "alert.escalated") continue;
      ids.insert(std::string(v.as_object().at("subject").as_string()));
    }
    return ids;
  };
  auto settled = [&] {
    const std::string m = day.Metrics();
    double in_flight = 0;
    for (const std::string& s : InFlightStates())
      in_flight += MetricSum(m, "disthub_orders", StrCat("status=\"", s, "\""));
    const double waiting =
        MetricSum(m, "disthub_outbox_waiting") + MetricSum(m, "disthub_delivery_in_flight");
    return in_flight <= static_cast<double>(escalated().size()) && waiting == 0;
  };
  const auto settle_start = Steady::now();
  bool all_settled = false;
  while (SecondsSince(settle_start) < options.settle_seconds) {
    if (settled()) {
      bool idle = true;
      for (auto& w : warehouses) idle = idle && w->owned->WaitIdle(absl::Milliseconds(10));
      std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the gauges' cache
      if (idle && settled()) {
        all_settled = true;
        break;
      }
    }
    if (SecondsSince(last_progress) >= 1) {
      last_progress = Steady::now();
      progress("settling");
      if (static_cast<int>(SecondsSince(settle_start)) % 5 == 4) buy_for_backorders();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  progress(all_settled ? "settled" : "timeout");

  // --- returns: some customers send goods back --------------------------------------------
  auto shipped_records = [&] {
    // The warehouses' own records: order → line → units shipped; (sku, location) → units.
    std::map<std::string, std::map<int64_t, int64_t>> by_order;
    std::map<std::pair<std::string, std::string>, int64_t> by_position;
    for (auto& w : warehouses) {
      for (const WarehouseFulfillment& f : w->owned->Fulfillments()) {
        for (const WarehouseLine& l : f.lines) {
          by_order[f.order_id][l.line] += l.shipped;
          by_position[{l.sku, f.location}] += l.shipped;
        }
      }
    }
    return std::make_pair(by_order, by_position);
  };
  auto [shipped_by_order, shipped_units] = shipped_records();
  std::vector<StoredOrder> stored = day.Orders();
  std::vector<const StoredOrder*> returnable;
  for (const StoredOrder& o : stored) {
    if (o.status == "invoiced" && shipped_by_order.count(o.id)) returnable.push_back(&o);
  }
  std::shuffle(returnable.begin(), returnable.end(), rng);
  returnable.resize(std::min(returnable.size(), std::max<size_t>(1, returnable.size() / 20)));
  int returns_authorized = 0;
  std::map<std::string, int> return_refusals;
  for (const StoredOrder* o : returnable) {
    int64_t line = 0, units = 0;
    for (const auto& [l, n] : shipped_by_order[o->id]) {
      if (n > 0) {
        line = l;
        units = n;
        break;
      }
    }
    if (units == 0) continue;
    auto r = day.Call(
        "POST", "/v1/orders/" + o->id + "/returns", KeyEnvByChannel().at(o->channel),
        json::serialize(json::object{
            {"reference", "RMA-" + o->ref},
            {"lines", json::array{json::object{
                          {"line", line}, {"quantity", units}, {"reason", "not needed"}}}}}));
    if (r.ok() && r->status == 201) {
      ++returns_authorized;
    } else {
      ++return_refusals[r.ok() ? StrCat(r->status, " ", r->body.substr(0, 120)) : "no answer"];
    }
  }
  fmt::print("  {:5.1f}s {} returns asked for\n", SecondsSince(trading_start), returns_authorized);
  const auto returns_start = Steady::now();
  while (SecondsSince(returns_start) < 60) {
    bool idle = true;
    for (auto& w : warehouses) idle = idle && w->owned->WaitIdle(absl::Milliseconds(10));
    if (idle && (*erp)->erp().Stats().credit_memos >= returns_authorized) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::map<std::pair<std::string, std::string>, int64_t> restocked;
  int64_t units_returned = 0, units_damaged = 0;
  for (auto& w : warehouses) {
    for (const WarehouseReturn& r : w->owned->Returns()) {
      for (const WarehouseReturnLine& l : r.lines) {
        restocked[{l.sku, r.location}] += l.restocked;
        units_returned += l.received;
        units_damaged += l.accepted - l.restocked;
      }
    }
  }

  // --- the nightly count: the warehouses' records against the hub ---------------------------
  // It also finds shrink nobody reported: 3 units gone at a few positions.
  for (int k = 0; k < 8; ++k) {
    const std::string& sku =
        products[std::uniform_int_distribution<size_t>(hot, products.size() - 1)(rng)].sku;
    stock.shrink[{sku, locations[static_cast<size_t>(k) % locations.size()]}] -= 3;
  }
  std::tie(shipped_by_order, shipped_units) = shipped_records();
  std::map<std::pair<std::string, std::string>, int64_t> truth, expected_drift;
  json::array count;
  for (const auto& [pos, initial] : stock.initial) {
    auto get = [&pos](const std::map<std::pair<std::string, std::string>, int64_t>& m) {
      auto it = m.find(pos);
      return it == m.end() ? int64_t{0} : it->second;
    };
    const int64_t drift = get(stock.late) + get(stock.shrink);
    const int64_t units =
        initial + get(stock.received) + drift - get(shipped_units) + get(restocked);
    truth[pos] = units;
    if (drift != 0) expected_drift[pos] = drift;
    count.push_back(json::object{{"sku", pos.first}, {"location", pos.second}, {"on_hand", units}});
  }
  auto reconcile = [&](bool apply, int64_t sequence) -> std::optional<json::object> {
    auto r = day.Call(
        "POST", "/v1/inventory/reconciliations", kWarehouseKeyEnv,
        json::serialize(json::object{{"apply", apply}, {"sequence", sequence}, {"items", count}}));
    if (!r.ok() || r->status != 202) {
      fail(StrCat("the reconciliation was not taken: ",
                  r.ok() ? r->body.substr(0, 200) : std::string(r.status().message())));
      return std::nullopt;
    }
    const std::string id(json::parse(r->body).at("id").as_string());
    for (int i = 0; i < 600; ++i) {
      auto g = day.Call("GET", "/v1/inventory/reconciliations/" + id, kWarehouseKeyEnv);
      if (g.ok() && g->status == 200) {
        json::object o = json::parse(g->body).as_object();
        if (o.at("state") != "running") return o;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    fail("the reconciliation did not finish within a minute");
    return std::nullopt;
  };
  int64_t drift_found = 0, drift_corrected = 0, drift_unexpected = 0, drift_missed = 0,
          drift_after = -1;
  std::map<std::string, int64_t> drift_causes;
  if (auto rec = reconcile(true, 1'000'000)) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const json::value& d : rec->at("report").as_array()) {
      const json::object& o = d.as_object();
      std::pair<std::string, std::string> pos{std::string(o.at("sku").as_string()),
                                              std::string(o.at("location").as_string())};
      ++drift_found;
      drift_corrected += o.contains("corrected") && o.at("corrected").as_bool();
      ++drift_causes[o.contains("likely_cause") ? std::string(o.at("likely_cause").as_string())
                                                : ""];
      seen.insert(pos);
      auto it = expected_drift.find(pos);
      const int64_t diff =
          o.at("found").to_number<int64_t>() - o.at("expected").to_number<int64_t>();
      if (it == expected_drift.end() || it->second != diff) {
        if (++drift_unexpected <= 5) {
          fail(fmt::format(
              "the count found {} {} at {} where the warehouses' records say {}",
              diff > 0 ? "+" + std::to_string(diff) : std::to_string(diff), pos.first, pos.second,
              it == expected_drift.end() ? std::string("no drift") : std::to_string(it->second)));
        }
      }
    }
    for (const auto& [pos, d] : expected_drift) drift_missed += seen.count(pos) ? 0 : 1;
    if (drift_missed)
      fail(fmt::format("{} drifts the count should have found were not", drift_missed));
  }
  if (auto again = reconcile(false, 1'000'001))
    drift_after = again->at("drifts").to_number<int64_t>();
  if (drift_after != 0) fail(fmt::format("a second count still finds {} differences", drift_after));

  // --- what the partners saw ----------------------------------------------------------------
  stored = day.Orders();
  const std::string metrics = day.Metrics();
  auto metric = [&metrics](std::string_view name, std::string_view label = "") {
    return static_cast<int64_t>(MetricSum(metrics, name, label));
  };
  const ErpStats erp_stats = (*erp)->erp().Stats();
  std::map<std::string, int> invoices_by_order;
  for (const ErpDocument& d : (*erp)->erp().Invoices()) ++invoices_by_order[d.order_id];
  std::map<std::string, absl::Time> shipped_status_at;  // order → the channel heard "shipped"
  std::map<std::string, int> channel_messages;
  for (const PartnerSim* sim : {channel_sim->get(), market_sim->get()}) {
    for (uint64_t after = 0;;) {
      std::vector<PartnerMessage> page = sim->Messages(after, 5000);
      if (page.empty()) break;
      for (const PartnerMessage& m : page) {
        after = m.seq;
        json::error_code ec;
        json::value v = json::parse(m.body, ec);
        if (ec || !v.is_object()) continue;
        const json::object& e = v.as_object();
        std::string type(e.at("type").as_string());
        ++channel_messages[type.substr(0, type.rfind('.'))];
        const json::value* p = e.if_contains("payload");
        if (type.starts_with("order.status.") && p && p->is_object() &&
            p->as_object().contains("status") && p->as_object().at("status") == "shipped") {
          shipped_status_at.emplace(std::string(e.at("subject").as_string()), m.received_at);
        }
      }
    }
  }
  const PartnerSimStats market_stats = (*market_sim)->Stats();
  std::map<std::string, std::map<std::string, int>> alerts;  // type → reason → count
  for (const PartnerMessage& m : (*alert_sim)->Messages(0, 100000)) {
    json::error_code ec;
    json::value v = json::parse(m.body, ec);
    if (ec || !v.is_object()) continue;
    const json::object& e = v.as_object();
    std::string reason;
    if (const json::value* p = e.if_contains("payload"); p && p->is_object()) {
      if (const json::value* rule = p->as_object().if_contains("rule"); rule && rule->is_string()) {
        reason = StrCat(rule->as_string(), ": ", p->as_object().at("state").as_string());
      }
      for (const char* k : {"reason", "status", "error"}) {
        if (!reason.empty()) break;
        if (const json::value* r = p->as_object().if_contains(k); r && r->is_string()) {
          reason = std::string(r->as_string());
          break;
        }
      }
    }
    ++alerts[std::string(e.at("type").as_string())][reason];
  }
  std::map<std::string, int> dead_letters;
  if (auto r = day.Call("GET", "/v1/dead-letters?state=parked&limit=500", kOpsKeyEnv);
      r.ok() && r->status == 200) {
    const json::value page = json::parse(r->body);  // outlives the loop over its list
    for (const json::value& d : page.at("dead_letters").as_array()) {
      const json::object& o = d.as_object();
      ++dead_letters[StrCat(o.at("partner").as_string(), ": ", o.at("cause").as_string(), " — ",
                            std::string(o.at("reason").as_string()).substr(0, 80))];
    }
  }

  // --- checks -------------------------------------------------------------------------------
  // Intake: every request answered as it should be.
  std::array<int, static_cast<int>(Kind::kKindCount)> sent_kind{}, as_expected{};
  std::set<std::string> acknowledged;
  std::map<std::string, absl::Time> intake_at;
  std::vector<double> intake_ms;
  int transport = 0, retried_requests = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    const Outcome& o = outcomes[i];
    const int k = static_cast<int>(r.kind);
    ++sent_kind[k];
    retried_requests += o.attempts > 1;
    if (!o.transport_error.empty()) {
      ++transport;
      continue;
    }
    bool ok = false;
    switch (r.kind) {
      case Kind::kNew:  // after a restart the first try may have committed unanswered
        ok = o.status == 201 && (!o.replayed || o.attempts > 1) && !o.order_id.empty();
        break;
      case Kind::kRetrySameKey:
      case Kind::kResendSameRef:
        ok = o.status == 201 && o.replayed && o.order_id == outcomes[r.original].order_id;
        break;
      case Kind::kKeyReused:
        ok = o.status == 422 && o.problem.starts_with("idempotency-key-reused");
        break;
      case Kind::kMalformedJson:
        ok = o.status == 400;
        break;
      case Kind::kUnknownSku:
        ok = o.status == 422 && o.problem.find("/sku") != std::string::npos;
        break;
      case Kind::kTotalsMismatch:
        ok = o.status == 422 && o.problem.find("#/totals") != std::string::npos;
        break;
      case Kind::kMissingShipTo:
        ok = o.status == 422 && o.problem.find("#/ship_to") != std::string::npos;
        break;
      case Kind::kUnknownChannel:
        ok = o.status == 422 && o.problem.find("#/channel") != std::string::npos;
        break;
      case Kind::kBadCurrency:
        ok = o.status == 422 && o.problem.find("#/currency") != std::string::npos;
        break;
      case Kind::kInvalidKey:
        ok = o.status == 401;
        break;
      case Kind::kWrongScope:
      case Kind::kForeignChannel:
        ok = o.status == 403;
        break;
      case Kind::kKindCount:
        break;
    }
    if (ok) ++as_expected[k];
    if (r.kind == Kind::kNew && o.status == 201) {
      acknowledged.insert(o.order_id);
      intake_at[o.order_id] = o.answered_at;
      intake_ms.push_back(o.ms);
    }
  }
  for (int k = 0; k < static_cast<int>(Kind::kKindCount); ++k) {
    if (as_expected[k] != sent_kind[k]) {
      fail(fmt::format("{} of \"{}\" were not answered as they should be",
                       sent_kind[k] - as_expected[k], kKindNames[k]));
    }
  }
  if (transport) fail(fmt::format("{} requests got no answer within a minute", transport));

  // Lost and doubled, against the warehouses' and the ERP's records.
  std::map<std::string, int> stored_count;
  std::set<std::pair<std::string, std::string>> refs;
  int ref_doubles = 0;
  std::map<std::string, std::map<std::string, int>> by_channel;  // channel → status → orders
  std::set<std::string> statuses;
  const std::set<std::string> escalated_ids = escalated();
  int escalated_waiting = 0;
  int lost = 0, stuck = 0, shipped_unknown = 0, over_shipped = 0, not_invoiced = 0, untold = 0,
      invoiced_twice = 0, invoice_unknown = 0;
  std::map<std::string, const StoredOrder*> by_id;
  for (const StoredOrder& o : stored) {
    ++stored_count[o.id];
    by_id[o.id] = &o;
    if (!refs.emplace(o.channel, o.ref).second) ++ref_doubles;
    ++by_channel[o.channel][o.status];
    statuses.insert(o.status);
    if (InFlightStates().count(o.status)) ++(escalated_ids.count(o.id) ? escalated_waiting : stuck);
    const bool shipped_here = o.status == "invoiced" || o.status == "closed";
    auto sh = shipped_by_order.find(o.id);
    int64_t units = 0;
    if (sh != shipped_by_order.end()) {
      for (const auto& [line, n] : sh->second) {
        units += n;
        auto e = o.eaches.find(static_cast<int>(line));
        if (e == o.eaches.end() || n > e->second) ++over_shipped;
      }
    }
    if (shipped_here && units == 0) ++lost;  // the hub says shipped; no warehouse did
    // A warehouse shipped some of it while the hub records none shipped. (An order escalated
    // with one part unplaced and the others shipped is partially_shipped: the hub knows.)
    const bool hub_shipped_some =
        shipped_here || o.status == "partially_shipped" || o.status == "shipped";
    if (!hub_shipped_some && units > 0 && o.status != "cancelled") ++shipped_unknown;
    const int inv = invoices_by_order.count(o.id) ? invoices_by_order[o.id] : 0;
    if (shipped_here && inv == 0) ++not_invoiced;
    if (inv > 1) ++invoiced_twice;
    // A channel that asks to hear "shipped" must have it, by its simulator's records.
    if (shipped_here && told_shipped.count(o.channel) && !shipped_status_at.count(o.id)) ++untold;
  }
  for (const auto& [order, n] : invoices_by_order) invoice_unknown += by_id.count(order) ? 0 : 1;
  for (const std::string& id : acknowledged) lost += stored_count.count(id) ? 0 : 1;
  int doubled = ref_doubles + over_shipped + invoiced_twice + invoice_unknown +
                static_cast<int>(erp_stats.orders_invoiced_twice);
  for (const auto& [id, n] : stored_count) doubled += n > 1 ? n - 1 : 0;
  if (lost) fail(fmt::format("{} orders lost", lost));
  if (doubled) fail(fmt::format("{} orders doubled", doubled));
  if (stuck) fail(fmt::format("{} orders did not settle", stuck));
  if (shipped_unknown)
    fail(fmt::format("{} orders shipped by a warehouse but not by the hub's records",
                     shipped_unknown));
  if (not_invoiced) fail(fmt::format("{} shipped orders have no invoice at the ERP", not_invoiced));
  if (untold) fail(fmt::format("{} shipped orders' channels were never told so", untold));
  if (rate_service && rate_service->carriers().Stats().fetches <
                          static_cast<int64_t>(opening_cards.size()) + 1) {
    fail("the hub never fetched the carrier's raised rate card");
  }
  if (!all_settled) fail("the day did not settle in time");

  // Oversells: no warehouse shipped more of a SKU than it had.
  int oversells = 0;
  for (const auto& [pos, n] : shipped_units) {
    auto get = [&pos](const std::map<std::pair<std::string, std::string>, int64_t>& m) {
      auto it = m.find(pos);
      return it == m.end() ? int64_t{0} : it->second;
    };
    const int64_t had = get(stock.initial) + get(stock.received) + get(stock.late) + get(restocked);
    if (n > had) ++oversells;
  }
  if (oversells) fail(fmt::format("{} SKU-locations shipped more than they had", oversells));
  if (erp_stats.credit_memos != returns_authorized) {
    fail(fmt::format("{} returns authorized, {} credit memos at the ERP", returns_authorized,
                     erp_stats.credit_memos));
  }

  // --- the report -----------------------------------------------------------------------------
  fmt::print("\n=== The day's report ===\n\n");
  fmt::print("Orders by final state per channel:\n  {:<15}", "");
  for (const std::string& st : statuses) fmt::print("{:>12}", st);
  fmt::print("{:>10}\n", "total");
  for (const auto& [channel, counts] : by_channel) {
    fmt::print("  {:<15}", channel);
    int total = 0;
    for (const std::string& st : statuses) {
      const int n = counts.count(st) ? counts.at(st) : 0;
      total += n;
      fmt::print("{:>12}", n ? Thousands(n) : "-");
    }
    fmt::print("{:>10}\n", Thousands(total));
  }

  fmt::print("\nIntake ({} requests, {} answered after the hub came back):\n",
             Thousands(static_cast<int64_t>(requests.size())), retried_requests);
  for (int k = 0; k < static_cast<int>(Kind::kKindCount); ++k) {
    if (sent_kind[k] == 0) continue;
    fmt::print("  {:<44} {:>7} sent {:>7} as expected\n", kKindNames[k], Thousands(sent_kind[k]),
               Thousands(as_expected[k]));
  }

  if (killed) {
    fmt::print(
        "\n(The hub's counters below start again at its restart; the simulators' do not.)\n");
  }
  fmt::print("\nFulfillment:\n");
  fmt::print(
      "  releases {}  retried after silence {}  rerouted {}  escalated {}  backordered {}  "
      "lines substituted {}\n",
      Thousands(metric("disthub_fulfillment_releases_total")),
      metric("disthub_fulfillment_release_retries_total"),
      metric("disthub_fulfillment_reroutes_total"), metric("disthub_order_escalations_total"),
      metric("disthub_order_backorders_total"), metric("disthub_order_substitutions_total"));
  int64_t silent = 0, partial = 0, short_ones = 0;
  std::map<std::string, int64_t> carriers;  // shipments per carrier, by the warehouses
  for (auto& w : warehouses) {
    for (const WarehouseFulfillment& f : w->owned->Fulfillments()) {
      for (const WarehouseShipment& sh : f.shipments) ++carriers[sh.carrier];
    }
    const WarehouseStats st = w->owned->Stats();
    silent += st.silent_drops;
    partial += st.partial_fulfillments;
    short_ones += st.short_fulfillments;
  }
  fmt::print(
      "  warehouses: {} releases ignored (3PL silence), {} shipped in two parts, {} one unit "
      "short\n",
      silent, partial, short_ones);
  fmt::print("  shipments by carrier (the cheapest service meeting the channel's promise):");
  for (const auto& [carrier, n] : carriers) fmt::print(" {} {}", carrier, Thousands(n));
  fmt::print("\n");
  if (rate_service) {
    const CarrierSimStats r = rate_service->carriers().Stats();
    fmt::print(
        "  carrier rate cards: {} fetched, {} refreshes unchanged (304); {} took up the 8% rate "
        "increase mid-day\n",
        r.fetches, Thousands(r.not_modified), opening_cards.front().carrier);
  }
  fmt::print("  escalated to people (no location could take them), still waiting: {}\n",
             escalated_waiting);
  fmt::print("  cancellations asked by channels: {}\n", cancels_sent);
  for (const auto& [what, n] : cancel_outcomes) fmt::print("      {:<60} {:>5}\n", what, n);

  fmt::print("\nCredit and the ERP:\n");
  fmt::print(
      "  quotes {}  credit checks {} (approved {}, declined {})  accepted under the fallback limit "
      "{}\n",
      Thousands(erp_stats.quotes), Thousands(erp_stats.credit_checks - erp_stats.credit_repeats),
      Thousands(erp_stats.credit_approved), erp_stats.credit_declined,
      metric("disthub_order_credit_fallbacks_total"));
  fmt::print("  orders held for credit {}; ERP calls unanswered (outage, errors, slow) {}\n",
             metric("disthub_order_credit_holds_total"), metric("disthub_erp_unanswered_total"));
  fmt::print(
      "  invoices booked {} ({} repeated deliveries absorbed by their key); credit memos {}\n",
      Thousands(erp_stats.invoices), erp_stats.duplicate_invoices, erp_stats.credit_memos);

  fmt::print("\nInventory:\n");
  fmt::print(
      "  restocks of hot SKUs {}  SKUs bought for backorders {}  late events {} (recorded "
      "stale, not applied: {})\n",
      restocks, purchases, late_sent, late_stale);
  fmt::print(
      "  nightly count: {} drifts found ({} expected: {} late events, {} unreported shrink), "
      "{} corrected; a second count finds {}\n",
      drift_found, expected_drift.size(), late_sent, stock.shrink.size(), drift_corrected,
      drift_after);
  for (const auto& [cause, n] : drift_causes) fmt::print("      {:<60} {:>5}\n", cause, n);

  fmt::print(
      "\nReturns: {} authorized, {} units back, {} damaged (not restocked), {} credit memos\n",
      returns_authorized, units_returned, units_damaged, erp_stats.credit_memos);
  for (const auto& [why, n] : return_refusals) fmt::print("      refused: {:<60} {:>5}\n", why, n);

  fmt::print("\nSLA breaches and alerts (the alert webhook received):\n");
  if (alerts.empty()) fmt::print("  none\n");
  for (const auto& [type, reasons] : alerts) {
    int total = 0;
    for (const auto& [r, n] : reasons) total += n;
    fmt::print("  {:<28} {:>5}\n", type, total);
    for (const auto& [r, n] : reasons) {
      if (!r.empty()) fmt::print("      {:<56} {:>5}\n", r.substr(0, 56), n);
    }
  }
  fmt::print("  orders past their promise {}\n", metric("disthub_orders_past_promise_total"));

  fmt::print("\nDelivery: {} messages delivered, {} failed attempts retried, {} dead letters\n",
             Thousands(metric("disthub_delivered_total")),
             Thousands(metric("disthub_delivery_failures_total")),
             metric("disthub_dead_lettered_total"));
  for (const auto& [why, n] : dead_letters) fmt::print("      {:<70} {:>5}\n", why, n);
  fmt::print("  to the channels:");
  for (const auto& [type, n] : channel_messages) fmt::print(" {} {}", type, Thousands(n));
  fmt::print(
      "\n  to the marketplaces: {} messages; {} attempts refused over their quota (429), "
      "each tried again after its Retry-After\n",
      Thousands(market_stats.accepted), Thousands(market_stats.faults.quota));

  std::vector<double> to_shipped;
  for (const auto& [order, at] : shipped_status_at) {
    auto it = intake_at.find(order);
    if (it != intake_at.end()) to_shipped.push_back(absl::ToDoubleMilliseconds(at - it->second));
  }
  fmt::print("\nLatency:\n");
  fmt::print("  intake (201, durably committed)        p50 {}  p99 {}  p999 {}\n",
             Percentile(intake_ms, 0.5), Percentile(intake_ms, 0.99), Percentile(intake_ms, 0.999));
  fmt::print(
      "  intake → channel told \"shipped\"        p50 {}  p90 {}  p99 {}  ({} orders; the "
      "warehouses take {} ms to ship)\n",
      Percentile(to_shipped, 0.5), Percentile(to_shipped, 0.9), Percentile(to_shipped, 0.99),
      Thousands(static_cast<int64_t>(to_shipped.size())), fast ? 30 : 800);
  fmt::print("  trading {:.1f} s ({:.0f} orders/s), the whole day {:.1f} s\n", trading_seconds,
             options.orders / trading_seconds, SecondsSince(day_start));

  fmt::print("\nChecks, against the simulators' own records:\n");
  fmt::print(
      "  oversells {:>5}   no warehouse shipped more of a SKU than it had (opening stock,\n"
      "                    receipts, late receipts and restocked returns, by its records)\n",
      oversells);
  fmt::print(
      "  lost      {:>5}   every order answered 201 is in the hub; every order the hub\n"
      "                    invoiced was shipped by a warehouse and has an invoice at the ERP\n",
      lost + not_invoiced);
  fmt::print(
      "  doubled   {:>5}   no channel order stored twice, no line shipped beyond its\n"
      "                    quantity, no order invoiced twice (ERP's books)\n",
      doubled);
  fmt::print(
      "  untold    {:>5}   every shipped order of a channel that asks to hear \"shipped\"\n"
      "                    reached its simulator so (the marketplaces' through their quota)\n",
      untold);
  if (killed) {
    fmt::print("  the hub was killed with kill -9 after {} orders and back in {:.0f} ms\n",
               Thousands(options.kill_hub_after), restart_ms);
  }
  hub.Stop();
  for (auto& w : warehouses) {
    w->partner->Stop();
    w->owned->Stop();
  }
  if (!options.keep && options.data_dir.empty()) std::filesystem::remove_all(dir);
  if (failures.empty()) {
    fmt::print("\nAll checks passed: nothing oversold, nothing lost, nothing doubled.\n");
    return 0;
  }
  fmt::print("\n{} checks FAILED:\n", failures.size());
  for (const std::string& f : failures) fmt::print("  {}\n", f);
  return 1;
}

}  // namespace disthub
