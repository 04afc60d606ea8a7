#include "app/demo.h"

#include <boost/json.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "app/config.h"
#include "app/embedded.h"
#include "app/hub.h"
#include "base/files.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "fmt/core.h"
#include "model/json.h"
#include "orchestration/catalog.h"
#include "sim/scenario_orders.h"

namespace disthub {
namespace {

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

constexpr const char* kKindNames[] = {
    "new order",           "retry, same Idempotency-Key", "resend, same channel reference",
    "Idempotency-Key reused for another order", "malformed JSON", "unknown SKU",
    "totals that do not add up", "missing ship-to address", "unknown channel",
    "currency the channel does not take", "invalid API key", "read-only key posting",
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
  std::string order_id;
  std::string problem;  // "type pointer" of a problem answer
  double ms = 0;
  std::string transport_error;
};

const std::map<std::string, std::string>& KeyEnvByChannel() {
  static const auto* m = new std::map<std::string, std::string>{
      {"b2b-portal", "HARBOR_B2B_PORTAL_KEY"}, {"dtc-web", "HARBOR_DTC_WEB_KEY"},
      {"marketplace-a", "HARBOR_MARKETPLACES_KEY"}, {"marketplace-b", "HARBOR_MARKETPLACES_KEY"},
      {"edi-retail", "HARBOR_EDI_GATEWAY_KEY"}};
  return *m;
}

std::string Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return "-";
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return fmt::format("{:.1f} ms", v[i]);
}

// Sends `requests[from..to)` over `connections` keep-alive connections.
double Send(const std::string& url, const std::map<std::string, std::string>& keys,
            const std::vector<Request>& requests, size_t from, size_t to, int connections,
            std::vector<Outcome>& outcomes) {
  std::atomic<size_t> next{from};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int c = 0; c < connections; ++c) {
    workers.emplace_back([&] {
      HttpClient client(url);
      for (size_t i = next++; i < to; i = next++) {
        const Request& r = requests[i];
        std::vector<std::pair<std::string, std::string>> headers = {
            {"Content-Type", "application/json"},
            {"Authorization",
             StrCat("Bearer ", r.key_env.empty() ? "not-a-real-key-0000" : keys.at(r.key_env))}};
        if (!r.idempotency_key.empty()) headers.emplace_back("Idempotency-Key", r.idempotency_key);
        auto t0 = std::chrono::steady_clock::now();
        auto res = client.Send("POST", "/v1/orders", headers, r.body);
        Outcome& o = outcomes[i];
        o.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!res.ok()) {
          o.transport_error = std::string(res.status().message());
          continue;
        }
        o.status = res->status;
        o.replayed = res->Header("idempotent-replayed") == "true";
        boost::json::error_code ec;
        boost::json::value doc = boost::json::parse(res->body, ec);
        if (ec || !doc.is_object()) continue;
        const auto& obj = doc.as_object();
        if (o.status == 201) {
          if (auto* id = obj.if_contains("id"); id && id->is_string()) o.order_id = id->as_string();
        } else {
          std::string type = obj.contains("type") ? std::string(obj.at("type").as_string()) : "";
          type = type.substr(type.rfind('/') + 1);
          std::string pointer;
          if (auto* errs = obj.if_contains("errors"); errs && errs->is_array() && !errs->as_array().empty()) {
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
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int RunDemo(const DemoOptions& options) {
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
  absl::StatusOr<Config> config =
      options.config_file.empty()
          ? ParseConfig(std::string(embedded::HarborConfig()), "examples/harbor.yaml (built in)")
          : LoadConfig(options.config_file);
  if (!config.ok()) {
    fmt::print(stderr, "{}\n", config.status().message());
    return 2;
  }
  std::string products_csv;
  if (options.config_file.empty()) {
    products_csv = std::string(embedded::HarborProducts());
    std::string path = dir + "/harbor-products.csv";
    std::ofstream(path) << products_csv;
    config->catalog.products_file = path;
  } else if (!config->catalog.products_file.empty()) {
    std::filesystem::path p = config->catalog.products_file;
    if (p.is_relative()) p = std::filesystem::path(options.config_file).parent_path() / p;
    auto text = ReadFile(p.string());
    if (!text.ok()) {
      fmt::print(stderr, "demo: {}\n", text.status().message());
      return 2;
    }
    products_csv = *std::move(text);
  }
  config->store.data_dir = dir + "/store";
  config->server.listen = "127.0.0.1:0";

  // Fresh random keys for every partner, handed to the hub as its environment.
  std::map<std::string, std::string> keys;
  std::mt19937_64 key_rng(std::random_device{}());
  for (const PartnerConfig& p : config->partners) {
    for (const ApiKeyConfig& k : p.api_keys) {
      if (!k.key_env.empty()) keys[k.key_env] = fmt::format("dh_{:016x}{:016x}", key_rng(), key_rng());
    }
  }
  EnvLookup env = [&keys](const std::string& name) -> std::optional<std::string> {
    auto it = keys.find(name);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };

  auto hub = StartHub(*config, env);
  if (!hub.ok()) {
    fmt::print(stderr, "demo: {}\n", hub.status().message());
    return 1;
  }
  fmt::print("disthub demo: Harbor Supply Co. (../shared/SCENARIO.md) on an embedded SQLite store\n");
  fmt::print("  hub      {}  (synchronous={}, group commit up to {} writes)\n", (*hub)->url(),
             config->store.synchronous, config->store.max_batch);
  fmt::print("  store    {}\n\n", config->store.data_dir);

  // --- traffic --------------------------------------------------------------------------
  std::vector<ScenarioProduct> products = ScenarioProductsFromCsv(products_csv);
  if (products.empty()) {
    fmt::print(stderr, "demo: the catalog has no products to order\n");
    return 2;
  }
  ScenarioOrders gen(products, options.seed);
  auto& rng = gen.rng();
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  absl::Time now = absl::Now();
  std::vector<Request> requests;
  requests.reserve(static_cast<size_t>(options.orders) * 11 / 10);
  int bad_seq = 0;
  for (int i = 0; i < options.orders; ++i) {
    std::string channel = gen.PickChannel();
    std::string ref = fmt::format("{}-{:07d}", channel == "edi-retail" ? "PO" : "SO", i + 1);
    Order order = gen.Make(channel, ref, now);
    requests.push_back({Kind::kNew, channel, ref, KeyEnvByChannel().at(channel),
                        chance(0.7) ? fmt::format("{}:{}", channel, ref) : "", ScenarioOrders::InboundJson(order)});
    // Now and then a bad one from the same channel.
    if (!chance(0.03)) continue;
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
      case 3: r.kind = Kind::kMissingShipTo; break;
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
        r.key_env = "HARBOR_OPS_KEY";
        break;
      default:
        r.kind = Kind::kForeignChannel;
        r.key_env = channel == "dtc-web" ? "HARBOR_B2B_PORTAL_KEY" : "HARBOR_DTC_WEB_KEY";
        break;
    }
    if (r.body.empty()) {
      r.body = ScenarioOrders::InboundJson(bad);
      if (r.kind == Kind::kMissingShipTo) {
        boost::json::value v = boost::json::parse(r.body);
        v.as_object().erase("ship_to");
        r.body = boost::json::serialize(v);
      }
    }
    requests.push_back(std::move(r));
  }
  std::shuffle(requests.begin(), requests.end(), rng);
  const size_t first_phase = requests.size();
  // Second phase, later in the day: webhook retries and resends of orders already taken.
  for (size_t i = 0; i < first_phase; ++i) {
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

  std::vector<Outcome> outcomes(requests.size());
  const std::string url = (*hub)->url();
  double phase1 = Send(url, keys, requests, 0, first_phase, options.connections, outcomes);
  double phase2 = Send(url, keys, requests, first_phase, requests.size(), options.connections, outcomes);

  // --- what happened --------------------------------------------------------------------
  std::vector<std::string> failures;
  auto fail = [&failures](const std::string& what) { failures.push_back(what); };
  std::array<int, static_cast<int>(Kind::kKindCount)> sent{}, as_expected{};
  std::map<std::string, int> problems;
  std::map<std::string, int> accepted_by_channel;
  std::vector<double> created_ms;
  int created = 0, replayed = 0, rejected = 0, transport = 0;
  std::set<std::string> acknowledged_ids;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    const Outcome& o = outcomes[i];
    int k = static_cast<int>(r.kind);
    ++sent[k];
    if (!o.transport_error.empty()) {
      ++transport;
      continue;
    }
    bool ok = false;
    switch (r.kind) {
      case Kind::kNew:
        ok = o.status == 201 && !o.replayed && !o.order_id.empty();
        break;
      case Kind::kRetrySameKey:
      case Kind::kResendSameRef:
        ok = o.status == 201 && o.replayed && o.order_id == outcomes[r.original].order_id;
        break;
      case Kind::kKeyReused: ok = o.status == 422 && o.problem.starts_with("idempotency-key-reused"); break;
      case Kind::kMalformedJson: ok = o.status == 400; break;
      case Kind::kUnknownSku: ok = o.status == 422 && o.problem.find("/sku") != std::string::npos; break;
      case Kind::kTotalsMismatch: ok = o.status == 422 && o.problem.find("#/totals") != std::string::npos; break;
      case Kind::kMissingShipTo: ok = o.status == 422 && o.problem.find("#/ship_to") != std::string::npos; break;
      case Kind::kUnknownChannel: ok = o.status == 422 && o.problem.find("#/channel") != std::string::npos; break;
      case Kind::kBadCurrency: ok = o.status == 422 && o.problem.find("#/currency") != std::string::npos; break;
      case Kind::kInvalidKey: ok = o.status == 401; break;
      case Kind::kWrongScope:
      case Kind::kForeignChannel: ok = o.status == 403; break;
      case Kind::kKindCount: break;
    }
    if (ok) ++as_expected[k];
    if (o.status == 201 && !o.replayed) {
      ++created;
      created_ms.push_back(o.ms);
      ++accepted_by_channel[r.channel];
      acknowledged_ids.insert(o.order_id);
    } else if (o.status == 201) {
      ++replayed;
    } else {
      ++rejected;
      ++problems[StrCat(o.status, " ", o.problem)];
    }
  }

  fmt::print("Sent {} requests over {} keep-alive connections:\n", requests.size(), options.connections);
  fmt::print("  {:<44} {:>8} {:>12}\n", "request", "sent", "as expected");
  for (int k = 0; k < static_cast<int>(Kind::kKindCount); ++k) {
    if (sent[k] == 0) continue;
    fmt::print("  {:<44} {:>8} {:>12}\n", kKindNames[k], sent[k], as_expected[k]);
    if (as_expected[k] != sent[k]) fail(fmt::format("{} of \"{}\" were not answered as they should be", sent[k] - as_expected[k], kKindNames[k]));
  }
  fmt::print("\nOutcome:\n");
  fmt::print("  accepted (201, new order)            {:>8}\n", created);
  fmt::print("  duplicates absorbed (first result)   {:>8}\n", replayed);
  fmt::print("  rejected                             {:>8}\n", rejected);
  for (const auto& [why, n] : problems) fmt::print("      {:<48} {:>6}\n", why, n);
  if (transport) fail(fmt::format("{} requests got no answer", transport));
  fmt::print("\nAccepted orders by channel:\n");
  for (const auto& [channel, n] : accepted_by_channel) fmt::print("  {:<16} {:>8}\n", channel, n);

  fmt::print("\nThroughput and latency (every 201 was durably committed before it was sent):\n");
  fmt::print("  first pass   {} requests in {:.2f} s = {:.0f} requests/s\n", first_phase, phase1,
             static_cast<double>(first_phase) / phase1);
  fmt::print("  repeats      {} requests in {:.2f} s\n", requests.size() - first_phase, phase2);
  fmt::print("  new orders   p50 {}  p99 {}  p999 {}\n", Percentile(created_ms, 0.50),
             Percentile(created_ms, 0.99), Percentile(created_ms, 0.999));

  // --- checks: read everything back through the API --------------------------------------
  HttpClient reader(url);
  std::vector<std::pair<std::string, std::string>> ops = {
      {"Authorization", StrCat("Bearer ", keys.at("HARBOR_OPS_KEY"))}};
  std::multiset<std::string> stored_ids;
  std::set<std::pair<std::string, std::string>> stored_refs;
  int ref_doubles = 0;
  std::string cursor;
  while (true) {
    auto page = reader.Get(StrCat("/v1/orders?limit=500", cursor.empty() ? "" : "&cursor=" + cursor), ops);
    if (!page.ok() || page->status != 200) {
      fail("listing orders failed");
      break;
    }
    boost::json::value doc = boost::json::parse(page->body);
    for (const auto& o : doc.at("orders").as_array()) {
      stored_ids.insert(std::string(o.at("id").as_string()));
      if (!stored_refs.emplace(std::string(o.at("channel").as_string()),
                               std::string(o.at("channel_order_ref").as_string())).second) {
        ++ref_doubles;
      }
    }
    if (!doc.as_object().contains("next_cursor")) break;
    cursor = std::string(doc.at("next_cursor").as_string());
  }
  int64_t events = 0, last_seq = 0, gaps = 0;
  std::map<std::string, int> received;  // order → its order.received events
  while (true) {
    auto page = reader.Get(StrCat("/v1/events?limit=1000&after=", last_seq), ops);
    if (!page.ok() || page->status != 200) {
      fail("paging the event log failed");
      break;
    }
    boost::json::value doc = boost::json::parse(page->body);
    const auto& list = doc.at("events").as_array();
    if (list.empty()) break;
    for (const auto& e : list) {
      int64_t seq = e.at("seq").as_int64();
      if (seq != last_seq + 1) ++gaps;
      if (e.at("type") == "order.received") ++received[std::string(e.at("subject").as_string())];
      last_seq = seq;
      ++events;
    }
  }
  int lost = 0;
  for (const std::string& id : acknowledged_ids) lost += stored_ids.count(id) == 1 ? 0 : 1;
  int doubled = static_cast<int>(stored_ids.size()) - static_cast<int>(acknowledged_ids.size());
  fmt::print("\nChecks, read back through the API:\n");
  fmt::print("  orders stored {:>8}   acknowledged {:>8}   lost {}   doubled {}\n", stored_ids.size(),
             acknowledged_ids.size(), lost, std::max(0, doubled) + ref_doubles);
  fmt::print("  events        {:>8}   sequence 1..{} with {} gaps; {} order.received\n", events,
             last_seq, gaps, received.size());
  bool log_matches = received.size() == stored_ids.size();
  for (const auto& [id, n] : received) log_matches = log_matches && n == 1 && stored_ids.count(id);
  if (lost) fail(fmt::format("{} acknowledged orders are missing", lost));
  if (doubled || ref_doubles) fail("some orders are stored twice");
  if (!log_matches || gaps) fail("the event log does not match the orders");
  if (created != options.orders) fail(fmt::format("{} new orders accepted, {} sent", created, options.orders));

  (*hub)->Shutdown();
  if (!options.keep && options.data_dir.empty()) std::filesystem::remove_all(dir);
  if (failures.empty()) {
    fmt::print("\nAll checks passed: nothing lost, nothing doubled, every bad request refused.\n");
    return 0;
  }
  fmt::print("\n{} checks FAILED:\n", failures.size());
  for (const std::string& f : failures) fmt::print("  {}\n", f);
  return 1;
}

}  // namespace disthub
