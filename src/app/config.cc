#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <set>

#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "app/connectors.h"
#include "base/yaml_reader.h"
#include "connectors/webhook.h"

namespace disthub {
namespace {

// The `tls` section of an outbound HTTPS client (base/tls.h).
void ReadTls(YamlReader& r, TlsClientOptions& tls) {
  r.Section("tls", [&](YamlReader& t) {
    t.Get("ca_file", tls.ca_file);
    t.Get("cert_file", tls.cert_file);
    t.Get("key_file", tls.key_file);
  });
}

// Checks that need the whole configuration.
void Validate(const Config& c, std::vector<std::string>& errors) {
  auto fail = [&](const std::string& path, const std::string& msg) {
    errors.push_back(StrCat(c.file, ": ", path, ": ", msg));
  };
  auto check_tls = [&](const std::string& at, const TlsClientOptions& tls, const std::string& url) {
    for (const auto& [key, problem] : CheckTlsOptions(tls, url)) {
      fail(key.empty() ? at + ".tls" : StrCat(at, ".tls.", key), problem);
    }
  };
  if (auto l = SplitListen(c.server.listen); !l.ok()) fail("server.listen", std::string(l.status().message()));
  if (c.server.io_threads < 1 || c.server.io_threads > 64) fail("server.io_threads", "must be 1 to 64");
  if (c.server.max_body_bytes < 1024) fail("server.max_body_bytes", "must be at least 1024");
  if (c.server.idle_timeout_seconds < 1) fail("server.idle_timeout_seconds", "must be at least 1");
  if (c.store.backend != "sqlite") {
    fail("store.backend", StrCat("\"", c.store.backend, "\" is not available; use \"sqlite\""));
  }
  if (c.store.data_dir.empty()) fail("store.data_dir", "must not be empty");
  if (c.store.synchronous != "full" && c.store.synchronous != "normal") {
    fail("store.synchronous", "must be \"full\" or \"normal\"");
  }
  if (c.store.max_batch < 1 || c.store.max_batch > 100'000) fail("store.max_batch", "must be 1 to 100000");
  if (c.store.max_pending < 1) fail("store.max_pending", "must be at least 1");
  if (c.store.read_connections < 1 || c.store.read_connections > 64) {
    fail("store.read_connections", "must be 1 to 64");
  }

  std::set<std::string> channels;
  for (size_t i = 0; i < c.channels.size(); ++i) {
    const ChannelConfig& ch = c.channels[i];
    std::string at = StrCat("channels[", static_cast<int64_t>(i), "]");
    if (ch.name.empty()) fail(at + ".name", "is required");
    if (!channels.insert(ch.name).second) fail(at + ".name", StrCat("\"", ch.name, "\" is defined twice"));
    if (ch.kind != "api") fail(at + ".kind", StrCat("\"", ch.kind, "\" is not a known kind; use \"api\""));
    if (ch.currencies.empty()) fail(at + ".currencies", "must list at least one currency");
    for (const std::string& cur : ch.currencies) {
      if (cur.size() != 3 || !std::all_of(cur.begin(), cur.end(), [](char x) { return x >= 'A' && x <= 'Z'; })) {
        fail(at + ".currencies", StrCat("\"", cur, "\" is not an ISO 4217 code"));
      }
    }
  }
  if (c.channels.empty()) fail("channels", "configure at least one sales channel");
  for (size_t i = 0; i < c.channels.size(); ++i) {
    const auto& a = c.channels[i].allocation;
    std::string at = StrCat("channels[", static_cast<int64_t>(i), "].allocation");
    if (a.share_percent < 1 || a.share_percent > 100) {
      fail(at + ".share_percent", StrCat("must be 1-100, not ", a.share_percent));
    }
    if (a.holdback < 0) fail(at + ".holdback", "cannot be negative");
    const auto& f = c.channels[i].inventory_feed;
    std::string fat = StrCat("channels[", static_cast<int64_t>(i), "].inventory_feed");
    if (f.per_minute <= 0) fail(fat + ".per_minute", "must be more than 0");
    if (f.burst < 1) fail(fat + ".burst", "must be at least 1");
    if (f.max_items < 1) fail(fat + ".max_items", "must be at least 1");
  }

  const std::set<std::string> scopes = {"orders:read",      "orders:write",   "events:read",
                                        "operations:write", "inventory:read", "inventory:write",
                                        "fulfillment:write"};
  std::set<std::string> partners;
  for (size_t i = 0; i < c.partners.size(); ++i) {
    const PartnerConfig& p = c.partners[i];
    std::string at = StrCat("partners[", static_cast<int64_t>(i), "]");
    if (p.name.empty()) fail(at + ".name", "is required");
    if (!partners.insert(p.name).second) fail(at + ".name", StrCat("\"", p.name, "\" is defined twice"));
    for (const std::string& s : p.scopes) {
      if (!scopes.count(s)) fail(at + ".scopes", StrCat("\"", s, "\" is not a scope (orders:read, orders:write, events:read, operations:write, inventory:read, inventory:write, fulfillment:write)"));
    }
    for (const std::string& ch : p.channels) {
      if (!channels.count(ch)) fail(at + ".channels", StrCat("\"", ch, "\" is not a configured channel"));
    }
    if (p.api_keys.empty()) fail(at + ".api_keys", "give the partner at least one key");
    for (size_t k = 0; k < p.api_keys.size(); ++k) {
      const ApiKeyConfig& key = p.api_keys[k];
      std::string kat = StrCat(at, ".api_keys[", static_cast<int64_t>(k), "]");
      if (key.id.empty()) fail(kat + ".id", "is required");
      if (key.key_env.empty() == key.key_sha256.empty()) {
        fail(kat, "set exactly one of key_env (an environment variable holding the key) or key_sha256");
      }
    }
  }

  std::set<std::string> subscribers;
  for (size_t i = 0; i < c.subscribers.size(); ++i) {
    const SubscriberConfig& s = c.subscribers[i].subscriber;
    const DeliveryPolicy& p = s.policy;
    std::string at = StrCat("subscribers[", static_cast<int64_t>(i), "]");
    if (s.name.empty()) fail(at + ".name", "is required");
    if (!subscribers.insert(s.name).second) fail(at + ".name", StrCat("\"", s.name, "\" is defined twice"));
    if (!s.url.starts_with("http://") && !s.url.starts_with("https://")) {
      fail(at + ".url", StrCat("\"", s.url, "\" must start with http:// or https://"));
    }
    if (s.events.empty()) fail(at + ".events", "list the event types it receives (\"order.*\")");
    if (s.key_header.empty()) fail(at + ".key_header", "must name a header");
    check_tls(at, s.tls, s.url);
    for (const auto& h : c.subscribers[i].headers) {
      if (h.name.empty() || h.value_env.empty()) fail(at + ".headers", "each header needs name and value_env");
    }
    std::string d = at + ".delivery";
    if (p.concurrency < 1 || p.concurrency > 1024) fail(d + ".concurrency", "must be 1 to 1024");
    if (p.rate_per_second < 0) fail(d + ".rate_per_second", "must be 0 (unlimited) or more");
    if (p.burst < 1) fail(d + ".burst", "must be at least 1");
    if (p.timeout <= absl::ZeroDuration()) fail(d + ".timeout_ms", "must be positive");
    if (p.connect_timeout <= absl::ZeroDuration()) fail(d + ".connect_timeout_ms", "must be positive");
    if (p.retry.initial <= absl::ZeroDuration()) fail(d + ".retry.initial_ms", "must be positive");
    if (p.retry.max < p.retry.initial) fail(d + ".retry.max_ms", "must be at least initial_ms");
    if (p.retry.multiplier < 1) fail(d + ".retry.multiplier", "must be at least 1");
    if (p.retry.jitter < 0 || p.retry.jitter >= 1) fail(d + ".retry.jitter", "must be 0 to below 1");
    if (p.retry.max_attempts < 1) fail(d + ".retry.max_attempts", "must be at least 1");
    if (p.retry.max_age <= absl::ZeroDuration()) fail(d + ".retry.max_age_seconds", "must be positive");
    if (p.circuit.failure_threshold < 1) fail(d + ".circuit.failure_threshold", "must be at least 1");
    if (p.circuit.open_for <= absl::ZeroDuration()) fail(d + ".circuit.open_ms", "must be positive");
    if (p.circuit.max_open < p.circuit.open_for) fail(d + ".circuit.max_open_ms", "must be at least open_ms");
  }
  const std::set<std::string> states = {"credit_hold", "accepted", "allocated", "backordered", "released",
                                        "acknowledged", "partially_shipped", "shipped",
                                        "invoiced", "closed", "cancelled"};
  for (size_t i = 0; i < c.channels.size(); ++i) {
    if (const auto& w = c.channels[i].webhook; w.enabled) {
      const std::string at = StrCat("channels[", static_cast<int64_t>(i), "].webhook");
      absl::StatusOr<connectors::WebhookSignature> s = connectors::SignatureScheme(
          w.signature, w.header, w.encoding, w.id_header, w.timestamp_header);
      if (!s.ok()) fail(at, std::string(s.status().message()));
      if (w.max_age_seconds < 1 || w.max_age_seconds > 86'400) {
        fail(at + ".max_age_seconds", "must be 1 to 86400");
      }
    }
  }
  for (size_t i = 0; i < c.channels.size(); ++i) {
    const auto& f = c.channels[i].fulfillment;
    std::string at = StrCat("channels[", static_cast<int64_t>(i), "].fulfillment");
    if (f.ship_complete != "required" && f.ship_complete != "preferred" && f.ship_complete != "no") {
      fail(at + ".ship_complete", StrCat("\"", f.ship_complete, "\" must be required, preferred or no"));
    }
    if (f.promise_hours < 0) fail(at + ".promise_hours", "cannot be negative");
    if (f.credit.on_erp_unavailable != "hold" && f.credit.on_erp_unavailable != "accept_under_limit") {
      fail(at + ".credit.on_erp_unavailable",
           StrCat("\"", f.credit.on_erp_unavailable, "\" must be hold or accept_under_limit"));
    }
    if (f.credit.accept_under_minor < 0) fail(at + ".credit.accept_under_minor", "cannot be negative");
    if (f.pricing != "channel" && f.pricing != "erp") {
      fail(at + ".pricing", StrCat("\"", f.pricing, "\" must be channel or erp"));
    }
    if ((f.credit.check || f.pricing == "erp") && c.fulfillment.erp.url.empty()) {
      fail(at, "a credit check or ERP pricing needs fulfillment.erp.url");
    }
    for (const std::string& st : f.status_updates) {
      if (!states.count(st)) {
        fail(at + ".status_updates",
             StrCat("\"", st, "\" is not an order state the channel can be told of (credit_hold, accepted, "
                    "allocated, backordered, released, acknowledged, partially_shipped, shipped, "
                    "invoiced, closed, cancelled)"));
      }
    }
  }
  std::set<std::string> locations;
  for (size_t i = 0; i < c.fulfillment.locations.size(); ++i) {
    const LocationConfig& l = c.fulfillment.locations[i];
    std::string at = StrCat("fulfillment.locations[", static_cast<int64_t>(i), "]");
    if (!locations.insert(l.name).second) fail(at + ".name", StrCat("\"", l.name, "\" is defined twice"));
    if (l.ack_deadline_seconds < 1) fail(at + ".ack_deadline_seconds", "must be at least 1");
    if (l.release_attempts < 1 || l.release_attempts > 20) fail(at + ".release_attempts", "must be 1 to 20");
    if (!l.origin.empty() && (l.origin.size() != 2 || !std::isupper(static_cast<unsigned char>(l.origin[0])) ||
                              !std::isupper(static_cast<unsigned char>(l.origin[1])))) {
      fail(at + ".origin", StrCat("\"", l.origin, "\" must be a two-letter region code such as NJ"));
    }
  }
  if (c.fulfillment.backorder_recheck_seconds < 1) {
    fail("fulfillment.backorder_recheck_seconds", "must be at least 1");
  }
  if (c.fulfillment.close_after_hours < 0) fail("fulfillment.close_after_hours", "cannot be negative");
  if (c.fulfillment.timer_tick_ms < 1 || c.fulfillment.timer_tick_ms > 60'000) {
    fail("fulfillment.timer_tick_ms", "must be 1 to 60000");
  }
  if (const auto& e = c.fulfillment.erp; !e.url.empty()) {
    if (!e.url.starts_with("http://") && !e.url.starts_with("https://")) {
      fail("fulfillment.erp.url", StrCat("\"", e.url, "\" must start with http:// or https://"));
    }
    if (e.timeout_ms < 10 || e.timeout_ms > 120'000) fail("fulfillment.erp.timeout_ms", "must be 10 to 120000");
    check_tls("fulfillment.erp", e.tls, e.url);
    if (e.workers < 1 || e.workers > 256) fail("fulfillment.erp.workers", "must be 1 to 256");
    if (e.retry_seconds < 1) fail("fulfillment.erp.retry_seconds", "must be at least 1");
    if (e.circuit_failures < 1) fail("fulfillment.erp.circuit_failures", "must be at least 1");
    if (e.circuit_open_seconds < 1) fail("fulfillment.erp.circuit_open_seconds", "must be at least 1");
  }
  if (c.delivery.max_in_memory < 100) fail("delivery.max_in_memory", "must be at least 100");
  for (const auto& [sku, subs] : c.catalog.substitutes) {
    if (subs.empty()) fail("catalog.substitutes." + sku, "list at least one substitute");
    for (const std::string& s : subs) {
      if (s == sku) fail("catalog.substitutes." + sku, "a SKU cannot substitute itself");
    }
  }
  std::set<std::string> carrier_names;
  for (size_t i = 0; i < c.carriers.size(); ++i) {
    const CarrierConfig& carrier = c.carriers[i];
    const std::string at = StrCat("carriers[", static_cast<int64_t>(i), "]");
    if (carrier.name.empty()) fail(at + ".name", "must not be empty");
    if (!carrier_names.insert(carrier.name).second) {
      fail(at + ".name", StrCat("\"", carrier.name, "\" is defined twice"));
    }
    if (carrier.rates_url.empty()) {
      for (const auto& [path, message] : orchestration::CheckCarrierServices(carrier.services)) {
        fail(StrCat(at, ".", path),
             path == "services" ? "list at least one service, or give rates_url" : message);
      }
      if (!carrier.tls.empty()) fail(at + ".tls", "applies only with rates_url");
    } else {
      if (!carrier.services.empty()) {
        fail(at + ".services", "give the services or rates_url, not both");
      }
      if (!carrier.rates_url.starts_with("http://") && !carrier.rates_url.starts_with("https://")) {
        fail(at + ".rates_url", "must be an http:// or https:// URL");
      }
      check_tls(at, carrier.tls, carrier.rates_url);
      if (carrier.refresh_seconds < 1) fail(at + ".refresh_seconds", "must be at least 1");
      if (carrier.retry_seconds < 1) fail(at + ".retry_seconds", "must be at least 1");
      if (carrier.timeout_ms < 1 || carrier.timeout_ms > 600'000) {
        fail(at + ".timeout_ms", "must be 1 to 600000");
      }
    }
  }
  if (c.alerts.check_seconds < 1 || c.alerts.check_seconds > 3600) {
    fail("alerts.check_seconds", "must be 1 to 3600");
  }
  std::set<std::string> rule_names;
  for (size_t i = 0; i < c.alerts.rules.size(); ++i) {
    const AlertRuleConfig& r = c.alerts.rules[i];
    const std::string at = StrCat("alerts.rules[", static_cast<int64_t>(i), "]");
    if (r.name.empty()) fail(at + ".name", "must not be empty");
    if (!rule_names.insert(r.name).second) fail(at + ".name", StrCat("\"", r.name, "\" is defined twice"));
    if (r.aggregate != "sum" && r.aggregate != "max") {
      fail(at + ".aggregate", StrCat("\"", r.aggregate, "\" must be sum or max"));
    }
    if (!r.metric.starts_with("disthub_")) {
      fail(at + ".metric", StrCat("\"", r.metric, "\" is not one of the hub's metrics (disthub_...; see GET /metrics)"));
    }
    if (r.for_seconds < 0) fail(at + ".for_seconds", "cannot be negative");
    if (r.increase_over_seconds < 0 || r.increase_over_seconds > 7 * 86400) {
      fail(at + ".increase_over_seconds", "must be 0 to 604800 (a week)");
    }
    if (r.severity != "info" && r.severity != "warning" && r.severity != "critical") {
      fail(at + ".severity", StrCat("\"", r.severity, "\" must be info, warning or critical"));
    }
  }
  if (c.delivery.poll_interval_ms < 1) fail("delivery.poll_interval_ms", "must be at least 1");
  std::set<std::string> connector_names;
  for (size_t i = 0; i < c.connectors.size(); ++i) {
    const ConnectorInstanceConfig& x = c.connectors[i];
    const std::string at = StrCat("connectors[", static_cast<int64_t>(i), "]");
    if (x.name.empty()) fail(at + ".name", "must not be empty");
    if (!connector_names.insert(x.name).second) {
      fail(at + ".name", StrCat("\"", x.name, "\" is defined twice"));
    }
  }
}

}  // namespace

EnvLookup RealEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}


absl::StatusOr<Config> ParseConfig(const std::string& yaml, const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml, file));
  Config c;
  c.file = file;
  std::vector<std::string> errors;
  {
    YamlReader top(root, "", file, &errors);
    top.Section("server", [&](YamlReader& r) {
      r.Get("listen", c.server.listen);
      r.Get("io_threads", c.server.io_threads);
      r.Get("max_body_bytes", c.server.max_body_bytes);
      r.Get("idle_timeout_seconds", c.server.idle_timeout_seconds);
    });
    top.Section("store", [&](YamlReader& r) {
      r.Get("backend", c.store.backend);
      r.Get("data_dir", c.store.data_dir);
      r.Get("synchronous", c.store.synchronous);
      r.Get("max_batch", c.store.max_batch);
      r.Get("max_pending", c.store.max_pending);
      r.Get("read_connections", c.store.read_connections);
    });
    top.Section("catalog", [&](YamlReader& r) {
      r.Get("products_file", c.catalog.products_file);
      r.Section("substitutes", [&](YamlReader& s) {
        s.ForEachKey([&](const std::string& sku) { s.Get(sku, c.catalog.substitutes[sku]); });
      });
    });
    top.List("channels", c.channels, [](YamlReader& r, ChannelConfig& ch) {
      r.Required("name", ch.name);
      r.Get("kind", ch.kind);
      r.Get("currencies", ch.currencies);
      r.Section("allocation", [&](YamlReader& a) {
        a.Get("share_percent", ch.allocation.share_percent);
        a.Get("holdback", ch.allocation.holdback);
        a.Get("exclude_locations", ch.allocation.exclude_locations);
      });
      r.Section("inventory_feed", [&](YamlReader& f) {
        ch.inventory_feed.enabled = true;
        f.Get("per_minute", ch.inventory_feed.per_minute);
        f.Get("burst", ch.inventory_feed.burst);
        f.Get("max_items", ch.inventory_feed.max_items);
      });
      r.Section("webhook", [&](YamlReader& w) {
        ch.webhook.enabled = true;
        w.Required("mapping", ch.webhook.mapping);
        w.Get("signature", ch.webhook.signature);
        w.Get("header", ch.webhook.header);
        w.Get("encoding", ch.webhook.encoding);
        w.Get("id_header", ch.webhook.id_header);
        w.Get("timestamp_header", ch.webhook.timestamp_header);
        w.Get("max_age_seconds", ch.webhook.max_age_seconds);
        w.Required("secret_env", ch.webhook.secret_env);
      });
      r.Section("fulfillment", [&](YamlReader& f) {
        f.Get("ship_complete", ch.fulfillment.ship_complete);
        f.Get("split_lines", ch.fulfillment.split_lines);
        f.Get("status_updates", ch.fulfillment.status_updates);
        f.Get("promise_hours", ch.fulfillment.promise_hours);
        f.Section("credit", [&](YamlReader& cr) {
          cr.Get("check", ch.fulfillment.credit.check);
          cr.Get("on_erp_unavailable", ch.fulfillment.credit.on_erp_unavailable);
          cr.Get("accept_under_minor", ch.fulfillment.credit.accept_under_minor);
        });
        f.Get("pricing", ch.fulfillment.pricing);
        f.Get("substitutions", ch.fulfillment.substitutions);
      });
    });
    top.Section("fulfillment", [&](YamlReader& r) {
      r.List("locations", c.fulfillment.locations, [](YamlReader& l, LocationConfig& loc) {
        l.Required("name", loc.name);
        l.Get("ack_deadline_seconds", loc.ack_deadline_seconds);
        l.Get("release_attempts", loc.release_attempts);
        l.Get("regions", loc.regions);
        l.Get("origin", loc.origin);
      });
      r.Get("backorder_recheck_seconds", c.fulfillment.backorder_recheck_seconds);
      r.Get("close_after_hours", c.fulfillment.close_after_hours);
      r.Get("timer_tick_ms", c.fulfillment.timer_tick_ms);
      r.Section("erp", [&](YamlReader& e) {
        auto& erp = c.fulfillment.erp;
        e.Get("url", erp.url);
        e.Get("timeout_ms", erp.timeout_ms);
        e.Get("token_env", erp.token_env);
        ReadTls(e, erp.tls);
        e.Get("workers", erp.workers);
        e.Get("retry_seconds", erp.retry_seconds);
        e.Get("circuit_failures", erp.circuit_failures);
        e.Get("circuit_open_seconds", erp.circuit_open_seconds);
      });
    });
    top.List("carriers", c.carriers, [](YamlReader& r, CarrierConfig& carrier) {
      r.Required("name", carrier.name);
      r.List("services", carrier.services,
             [&carrier](YamlReader& s, orchestration::CarrierService& service) {
               service.carrier = carrier.name;
               s.Required("name", service.service);
               s.Required("transit_days", service.transit_days);
               s.List("rates", service.rates, [](YamlReader& b, orchestration::RateBand& band) {
                 b.Required("up_to_grams", band.up_to_grams);
                 b.Required("by_zone", band.by_zone);
               });
             });
      r.Get("rates_url", carrier.rates_url);
      r.Get("token_env", carrier.token_env);
      ReadTls(r, carrier.tls);
      r.Get("refresh_seconds", carrier.refresh_seconds);
      r.Get("retry_seconds", carrier.retry_seconds);
      r.Get("timeout_ms", carrier.timeout_ms);
    });
    top.List("connectors", c.connectors, [&](YamlReader& r, ConnectorInstanceConfig& x) {
      r.Required("name", x.name);
      r.Required("type", x.type);
      if (x.type.empty()) return;
      if (const connectors::ConnectorType* type = FindConnectorType(x.type)) {
        x.settings = connectors::ReadSettings(type->settings, r, file);
      } else {
        std::string known;
        for (const connectors::ConnectorType* t : ConnectorTypes()) {
          known += (known.empty() ? "" : ", ") + t->name;
        }
        r.Error(r.node()["type"], StrCat(r.path(), ".type"),
                StrCat("\"", x.type, "\" is not a connector type (known: ", known, ")"));
        r.ForEachKey([&](const std::string& key) { r.Skip(key); });  // the unknown type's
      }
    });
    top.Section("alerts", [&](YamlReader& r) {
      r.Get("check_seconds", c.alerts.check_seconds);
      r.List("rules", c.alerts.rules, [](YamlReader& a, AlertRuleConfig& rule) {
        a.Required("name", rule.name);
        a.Required("metric", rule.metric);
        a.Required("above", rule.above);
        a.Get("for_seconds", rule.for_seconds);
        a.Get("increase_over_seconds", rule.increase_over_seconds);
        a.Get("severity", rule.severity);
        a.Get("description", rule.description);
        a.Get("aggregate", rule.aggregate);
        a.Section("labels", [&rule](YamlReader& l) {
          l.ForEachKey([&](const std::string& key) {
            std::string value;
            l.Get(key, value);
            rule.labels.emplace_back(key, value);
          });
        });
      });
    });
    top.List("partners", c.partners, [](YamlReader& r, PartnerConfig& p) {
      r.Required("name", p.name);
      r.Get("scopes", p.scopes);
      r.Get("channels", p.channels);
      r.List("api_keys", p.api_keys, [](YamlReader& k, ApiKeyConfig& key) {
        k.Required("id", key.id);
        k.Get("key_env", key.key_env);
        k.Get("key_sha256", key.key_sha256);
      });
    });
    top.List("subscribers", c.subscribers, [](YamlReader& r, SubscriberEntry& e) {
      SubscriberConfig& s = e.subscriber;
      r.Required("name", s.name);
      r.Required("url", s.url);
      r.Required("events", s.events);
      r.Get("key_header", s.key_header);
      r.Get("mapping", e.mapping);
      ReadTls(r, s.tls);
      r.List("headers", e.headers, [](YamlReader& h, SubscriberHeaderConfig& hc) {
        h.Required("name", hc.name);
        h.Required("value_env", hc.value_env);
      });
      r.Section("delivery", [&](YamlReader& d) {
        DeliveryPolicy& p = s.policy;
        d.Get("concurrency", p.concurrency);
        d.Get("rate_per_second", p.rate_per_second);
        d.Get("burst", p.burst);
        d.Get("connect_timeout_ms", p.connect_timeout);
        d.Get("timeout_ms", p.timeout);
        d.Get("ordered", p.ordered);
        d.Section("retry", [&](YamlReader& rr) {
          rr.Get("initial_ms", p.retry.initial);
          rr.Get("multiplier", p.retry.multiplier);
          rr.Get("max_ms", p.retry.max);
          rr.Get("jitter", p.retry.jitter);
          rr.Get("max_attempts", p.retry.max_attempts);
          int64_t age = absl::ToInt64Seconds(p.retry.max_age);
          rr.Get("max_age_seconds", age);
          p.retry.max_age = absl::Seconds(age);
        });
        d.Section("circuit", [&](YamlReader& cr) {
          cr.Get("failure_threshold", p.circuit.failure_threshold);
          cr.Get("open_ms", p.circuit.open_for);
          cr.Get("max_open_ms", p.circuit.max_open);
        });
      });
    });
    top.Section("archive", [&](YamlReader& r) { r.Get("inbound", c.archive.inbound); });
    top.Section("delivery", [&](YamlReader& r) {
      r.Get("max_in_memory", c.delivery.max_in_memory);
      r.Get("poll_interval_ms", c.delivery.poll_interval_ms);
    });
  }
  if (errors.empty()) Validate(c, errors);
  if (!errors.empty()) return YamlErrors(errors);
  return c;
}

absl::StatusOr<Config> LoadConfig(const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(std::string text, ReadFile(file), "the configuration file");
  return ParseConfig(text, file);
}

}  // namespace disthub
