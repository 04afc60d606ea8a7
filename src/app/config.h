// The configuration file: one YAML document, validated as a whole at start-up.
//
// Every field has a default and a comment; unknown keys are errors naming the file,
// line and key (a typo must never be silently ignored). Secrets never sit in the file:
// API keys come from environment variables (`key_env`) or as SHA-256 digests.
// The reference example is examples/harbor.yaml; docs/configuration.md documents it all.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/listen.h"
#include "base/tls.h"
#include "connectors/connector.h"
#include "events/outbox.h"
#include "orchestration/shipping.h"

namespace disthub {

struct ServerConfig {
  // Address and port to listen on, "HOST:PORT". Port 0 picks a free port; the server
  // prints the address it actually bound.
  std::string listen = "127.0.0.1:8080";
  // Event-loop threads parsing and validating requests.
  int io_threads = 2;
  // Larger request bodies are refused with 413.
  int64_t max_body_bytes = 1 << 20;
  // Keep-alive connections idle this long are closed.
  int idle_timeout_seconds = 60;
};

struct StoreConfig {
  // "sqlite" (embedded, one file). PostgreSQL comes with several nodes.
  std::string backend = "sqlite";
  // Folder holding the database; created if missing. Relative paths are relative to
  // the directory disthub runs in.
  std::string data_dir = "./data";
  // "full": each commit is fsynced before the answer (survives power loss);
  // "normal": survives a crash of disthub but not of the machine.
  std::string synchronous = "full";
  // Most writes committed in one transaction (group commit).
  int max_batch = 512;
  // Writes waiting beyond this are refused with 503 and Retry-After (back-pressure).
  int max_pending = 20'000;
  // Read connections for concurrent readers.
  int read_connections = 4;
};

struct ChannelConfig {
  // The channel's name as orders carry it ("b2b-portal").
  std::string name;
  // How it reaches the hub: "api" (canonical JSON over this API) for now.
  std::string kind = "api";
  // Currencies its orders may be in (ISO 4217).
  std::vector<std::string> currencies = {"USD"};
  // What of the available-to-promise stock this channel may sell (DESIGN.md, Inventory).
  struct Allocation {
    // Share of ATP offered, 1-100.
    int share_percent = 100;
    // Units never offered: "never the last 5" is 5.
    int64_t holdback = 0;
    // Locations this channel never sells from.
    std::vector<std::string> exclude_locations;
  } allocation;
  // The availability feed: when set, what the channel may sell is pushed as the event
  // "inventory.availability.NAME" (route it to the channel with a subscriber) whenever it
  // changes, changes coalesced so the channel's quota is never exceeded.
  struct Feed {
    bool enabled = false;   // set by the presence of inventory_feed
    double per_minute = 60;  // feed messages per minute the channel accepts
    int burst = 1;          // messages it accepts back to back
    int max_items = 1000;   // SKUs in one message at most
  } inventory_feed;
  // Orders by signed webhook at POST /v1/webhooks/NAME, in the channel's own dialect
  // (docs/configuration.md, channels[].webhook).
  struct Webhook {
    bool enabled = false;            // set by the presence of webhook
    std::string mapping;             // the mapping file (relative to the configuration file)
    std::string signature = "shopify";  // shopify, woocommerce or hmac-sha256
    std::string header;              // hmac-sha256: the signature's header (others: optional)
    std::string encoding;            // hmac-sha256: base64 (default) or hex
    std::string id_header;           // the delivery's id header (the idempotency key)
    std::string timestamp_header;    // hmac-sha256: a signed Unix time bounding replays
    int max_age_seconds = 300;       // ... to this far from now
    std::string secret_env;          // environment variable holding the shared secret
  } webhook;
  // How its orders are fulfilled (DESIGN.md, Order lifecycle).
  struct Fulfillment {
    // "required": one location ships the whole order, or it waits (backorder);
    // "preferred": one location if any can, else one per line; "no": each line from the
    // best location for it.
    std::string ship_complete = "preferred";
    // May one order line ship from several locations when none has it all?
    bool split_lines = false;
    // Order states the channel is told about, as the event "order.status.NAME" (route it
    // to the channel with a subscriber): any of credit_hold, accepted, allocated, backordered, released,
    // acknowledged, partially_shipped, shipped, invoiced, closed, cancelled.
    std::vector<std::string> status_updates;
    // The channel's promise: orders ship within this many hours of intake (0: no promise).
    // One not shipped by then raises the events order.promise_missed and
    // alert.promise_missed (route alert.* to your alert webhook) and counts in
    // disthub_orders_past_promise_total. Clock hours, not business days.
    double promise_hours = 0;
    // Ask the ERP (fulfillment.erp) for credit before accepting an order; one declined
    // goes to credit_hold (event alert.credit_hold) until an operator releases it
    // (POST /v1/orders/{id}/credit-release) or cancels it.
    struct Credit {
      bool check = false;
      // When the ERP does not answer (down, past its timeout, circuit open):
      // "hold": hold the order and ask again every fulfillment.erp.retry_seconds;
      // "accept_under_limit": accept an order whose grand total is at most
      // accept_under_minor (minor units of the order's currency) and hold the rest.
      std::string on_erp_unavailable = "hold";
      int64_t accept_under_minor = 0;
    } credit;
    // "channel": the order's prices and tax are the channel's; "erp": the ERP prices
    // every line (unit price and tax) and the totals are computed again before the credit
    // check (event order.priced). An order waits in "received" while the ERP cannot
    // price it.
    std::string pricing = "channel";
    // A line whose SKU this channel cannot sell enough of anywhere takes the first of its
    // catalog.substitutes it can, at the line's price, instead of waiting as a backorder.
    bool substitutions = false;
  } fulfillment;
};

struct ApiKeyConfig {
  // A name for this key in logs and metrics (never the key itself).
  std::string id;
  // Environment variable holding the key (preferred)…
  std::string key_env;
  // …or the key's SHA-256 digest in hex (`printf %s KEY | sha256sum`).
  std::string key_sha256;
};

struct PartnerConfig {
  // Who calls the API ("b2b-portal", "ops-console").
  std::string name;
  // What its keys may do: orders:read, orders:write, events:read (events, outbox, dead
  // letters, replays, inbound archive), operations:write (retry and discard dead letters,
  // start replays, manage pull subscriptions).
  std::vector<std::string> scopes;
  // Channels it may submit and read orders for; empty means every channel.
  std::vector<std::string> channels;
  // At least one key.
  std::vector<ApiKeyConfig> api_keys;
};

struct CatalogConfig {
  // CSV of products (sku,description,case_qty,weight_grams); orders for SKUs not in it
  // are refused. Relative to the configuration file. Empty: SKUs are not checked.
  std::string products_file;
  // SKU → the SKUs that may replace it when it is short, in order of preference, for
  // channels with fulfillment.substitutions (event order.substituted).
  std::map<std::string, std::vector<std::string>> substitutes;
};

// A header sent with every message to a subscriber, its value from the environment.
struct SubscriberHeaderConfig {
  // Header name ("Authorization").
  std::string name;
  // Environment variable holding the value (credentials never sit in the file).
  std::string value_env;
};

// A partner endpoint the hub pushes events to through the outbox. The delivery policy
// fields are documented in events/delivery_policy.h and docs/configuration.md.
struct SubscriberEntry {
  SubscriberConfig subscriber;  // name, url, events, key_header, policy
  std::vector<SubscriberHeaderConfig> headers;
  // A mapping file (`to: partner`) rendering each event in the partner's own format
  // (docs/mappings.md, outbound); empty: the event's JSON envelope.
  std::string mapping;
};

struct DeliveryConfig {
  // Most outbox messages held in memory waiting or in flight; loading pauses beyond it.
  int max_in_memory = 50'000;
  // How often the outbox is checked when no commit signals new messages.
  int poll_interval_ms = 250;
};

struct ArchiveConfig {
  // Keep every inbound message taken in (bytes, headers without credentials, sender,
  // time, and what it became) in the store, in the same transaction as its effect:
  // GET /v1/inbound. Costs one more row per message.
  bool inbound = true;
};

// A shipping location (warehouse or 3PL) and how the hub treats its releases.
struct LocationConfig {
  // The location's name as stock positions carry it ("wh-east"); releases go out as the
  // event "fulfillment.release.NAME" and cancellations as "fulfillment.cancel.NAME".
  std::string name;
  // A release not acknowledged within this is sent again, up to release_attempts in all;
  // then the fulfillment order is rerouted to another location (escalated if none can).
  int ack_deadline_seconds = 900;
  int release_attempts = 2;
  // Ship-to regions (US states, provinces) this location serves cheapest: it is tried
  // first for them. Locations are otherwise tried in the order listed. (With `carriers`
  // configured, carrier rates decide instead, for locations with an origin.)
  std::vector<std::string> regions;
  // The region it ships from (a US state code, "NJ"): carrier zones count from here.
  std::string origin;
};

// A carrier and its services' rate tables (docs/configuration.md, carriers).
struct CarrierConfig {
  std::string name;  // "parcel-ground": releases name it as their carrier
  // The services and their rate tables, written here ...
  std::vector<orchestration::CarrierService> services;
  // ... or fetched from the carrier's rate service (orchestration/carrier_rates.h).
  std::string rates_url;
  std::string token_env;     // sent as a bearer token
  TlsClientOptions tls;      // for an https rates_url (paths relative to the file)
  int refresh_seconds = 3600;
  int retry_seconds = 30;
  int timeout_ms = 5000;
};

struct FulfillmentConfig {
  std::vector<LocationConfig> locations;
  // How often a backordered order is checked against stock again.
  int backorder_recheck_seconds = 300;
  // An invoiced order closes after this (the return window).
  int close_after_hours = 720;
  // How often due timers (ack deadlines, re-checks) are looked for.
  int timer_tick_ms = 200;
  // The ERP's synchronous endpoints (POST /quotes, POST /credit-checks), for channels with
  // a credit check or ERP pricing. Required when one has.
  struct Erp {
    std::string url;  // "http://erp.internal:9100"
    int timeout_ms = 3000;  // one call; past it the call counts as unanswered
    std::string token_env;  // environment variable holding a bearer token, if any
    TlsClientOptions tls;   // for an https url (paths relative to the file)
    int workers = 4;        // calls in flight at once
    int retry_seconds = 60;  // an order the ERP did not answer for is asked about again
    // Unanswered calls in a row that open the circuit (calls then fail at once), and how
    // long it stays open before one call probes the ERP.
    int circuit_failures = 5;
    int circuit_open_seconds = 10;
  } erp;
};

// A threshold alert (docs/configuration.md, alerts): fires while the sum of the series of
// `metric` that carry all of `labels` stays above `above` for `for_seconds`.
struct AlertRuleConfig {
  std::string name;
  std::string metric;  // a family of the hub's /metrics, e.g. disthub_orders
  std::vector<std::pair<std::string, std::string>> labels;
  std::string aggregate = "sum";  // how the matching series combine: sum or max
  double above = 0;
  int for_seconds = 0;
  int increase_over_seconds = 0;     // > 0: compare the increase over this window (counters)
  std::string severity = "warning";  // info, warning or critical
  std::string description;
};

struct AlertsConfig {
  int check_seconds = 10;  // how often the rules are evaluated
  std::vector<AlertRuleConfig> rules;
};

// One connector instance (docs/configuration.md, connectors[]): its name, its type
// (`disthub connectors` lists them) and the type's own settings, checked against the
// type's schema when the file is read.
struct ConnectorInstanceConfig {
  std::string name;  // its metrics, logs and archived messages carry it
  std::string type;  // "csv-inventory-count"
  connectors::Settings settings;
};

struct Config {
  std::string file;  // where it was read from
  ServerConfig server;
  StoreConfig store;
  CatalogConfig catalog;
  std::vector<ChannelConfig> channels;
  std::vector<PartnerConfig> partners;
  std::vector<SubscriberEntry> subscribers;
  DeliveryConfig delivery;
  ArchiveConfig archive;
  FulfillmentConfig fulfillment;
  std::vector<CarrierConfig> carriers;
  AlertsConfig alerts;
  std::vector<ConnectorInstanceConfig> connectors;
};

// Looks up an environment variable; injected so tests need not touch the real one.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup RealEnv();

// Parses and validates `yaml`. `file` names it in errors. All problems are reported
// at once, one per line: "harbor.yaml:12: server.lisen: unknown key (…)".
absl::StatusOr<Config> ParseConfig(const std::string& yaml, const std::string& file);
absl::StatusOr<Config> LoadConfig(const std::string& file);


}  // namespace disthub
