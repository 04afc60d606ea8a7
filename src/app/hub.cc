#include "app/hub.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>

#include "api/api.h"
#include "api/auth.h"
#include "api/delivery_api.h"
#include "api/fulfillment_api.h"
#include "api/http_server.h"
#include "api/inventory_api.h"
#include "app/connectors.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "connectors/webhook.h"
#include "events/deliverer.h"
#include "events/event_json.h"
#include "events/operations.h"
#include "events/outbox.h"
#include "events/threshold_alerts.h"
#include "mapping/mapping.h"
#include "observe/metrics.h"
#include "orchestration/carrier_rates.h"
#include "orchestration/catalog.h"
#include "orchestration/lifecycle.h"
#include "orchestration/order_checks.h"
#include "orchestration/order_intake.h"
#include "orchestration/reprocess.h"
#include "store/commit_queue.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

absl::StatusOr<ApiKeys> BuildKeys(const Config& config, const EnvLookup& env) {
  ApiKeys keys;
  for (size_t i = 0; i < config.partners.size(); ++i) {
    const PartnerConfig& p = config.partners[i];
    for (size_t k = 0; k < p.api_keys.size(); ++k) {
      const ApiKeyConfig& key = p.api_keys[k];
      std::string at = StrCat(config.file, ": partners[", static_cast<int64_t>(i), "].api_keys[",
                              static_cast<int64_t>(k), "]");
      std::string digest = key.key_sha256;
      if (!key.key_env.empty()) {
        std::optional<std::string> value = env(key.key_env);
        if (!value.has_value() || value->empty()) {
          return absl::FailedPreconditionError(StrCat(at, ": the environment variable ",
                                                      key.key_env, " (the API key of ", p.name, "/",
                                                      key.id, ") is not set"));
        }
        if (value->size() < 16) {
          return absl::FailedPreconditionError(
              StrCat(at, ": the key in ", key.key_env, " is shorter than 16 characters"));
        }
        digest = Sha256Hex(*value);
      }
      Principal who{
          .partner = p.name, .key_id = key.id, .scopes = p.scopes, .channels = p.channels};
      if (absl::Status s = keys.Add(digest, std::move(who)); !s.ok()) return Annotate(s, at);
    }
  }
  return keys;
}

// Renders an event with a `to: partner` mapping: the mapping reads the event's JSON
// envelope ({seq, type, subject, ..., payload}), with the variable `subscriber`; its
// `request:` gives the method and the path added to the subscriber's url.
std::function<absl::StatusOr<RenderedMessage>(const EventRecord&)> RenderWith(
    std::shared_ptr<const mapping::Mapping> m, std::string subscriber) {
  return [m = std::move(m), subscriber = std::move(subscriber)](
             const EventRecord& e) -> absl::StatusOr<RenderedMessage> {
    std::string envelope;
    AppendEventJson(e, envelope);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(envelope, ec);
    if (ec) return absl::InternalError(StrCat("the event is not JSON: ", ec.message()));
    mapping::MappingResult r = m->Apply(v, {.vars = {{"subscriber", subscriber}}});
    if (!r.ok()) {
      std::string all;
      for (const mapping::MappingError& err : r.errors) {
        all += StrCat(all.empty() ? "" : "; ", err.ToString(m->file()));
      }
      return absl::InvalidArgumentError(all);
    }
    return RenderedMessage{.body = boost::json::serialize(r.document),
                           .method = std::move(r.method),
                           .path = std::move(r.path)};
  };
}

// The subscribers with their header values read from the environment.
absl::StatusOr<std::vector<SubscriberConfig>> ResolveSubscribers(const Config& config,
                                                                 const EnvLookup& env) {
  std::vector<SubscriberConfig> out;
  for (size_t i = 0; i < config.subscribers.size(); ++i) {
    SubscriberConfig s = config.subscribers[i].subscriber;
    for (const SubscriberHeaderConfig& h : config.subscribers[i].headers) {
      std::optional<std::string> value = env(h.value_env);
      if (!value.has_value()) {
        return absl::FailedPreconditionError(StrCat(
            config.file, ": subscribers[", static_cast<int64_t>(i), "] (", s.name,
            "): the environment variable ", h.value_env, " (header ", h.name, ") is not set"));
      }
      s.headers.emplace_back(h.name, *value);
    }
    s.tls = ResolveTlsPaths(std::move(s.tls), config.file);
    DISTHUB_RETURN_IF_ERROR(CheckTlsFiles(
        s.tls, StrCat(config.file, ": subscribers[", static_cast<int64_t>(i), "].tls")));
    if (const std::string& file = config.subscribers[i].mapping; !file.empty()) {
      const std::string at =
          StrCat(config.file, ": subscribers[", static_cast<int64_t>(i), "].mapping");
      absl::StatusOr<mapping::Mapping> m = mapping::Mapping::Load(
          ResolveRelative(config.file, file), "partner",
          "a subscriber's mapping renders events for the partner (to: partner)");
      if (!m.ok()) return absl::FailedPreconditionError(StrCat(at, ": ", m.status().message()));
      s.render = RenderWith(std::make_shared<const mapping::Mapping>(*std::move(m)), s.name);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The value of the environment variable a `token_env` key at `path` names ("" when the key
// is not set); an error naming both when the variable is missing.
absl::StatusOr<std::string> TokenFromEnv(const EnvLookup& env, const std::string& path,
                                         const std::string& name) {
  if (name.empty()) return std::string();
  std::optional<std::string> value = env(name);
  if (!value) {
    return absl::FailedPreconditionError(
        StrCat(path, ": the environment variable ", name, " is not set"));
  }
  return *std::move(value);
}

void LogWebhook(const std::string& endpoint, const connectors::WebhookChannel& w) {
  spdlog::info("channel {}: orders by webhook at /v1/webhooks/{} ({} v{}, {} signatures)",
               w.channel, endpoint, w.mapping->name(), w.mapping->version(), w.signature.scheme);
}

// The channels that take orders by signed webhook: each one's mapping compiled and its
// secret read from the environment. A mapping that does not compile or a missing secret
// stops the start, naming the key.
absl::StatusOr<std::map<std::string, connectors::WebhookChannel>> LoadWebhooks(
    const Config& config, const EnvLookup& env) {
  std::map<std::string, connectors::WebhookChannel> out;
  for (size_t i = 0; i < config.channels.size(); ++i) {
    const ChannelConfig& c = config.channels[i];
    if (!c.webhook.enabled) continue;
    absl::StatusOr<connectors::WebhookChannel> w =
        connectors::LoadWebhookChannel({.channel = c.name,
                                        .mapping = ResolveRelative(config.file, c.webhook.mapping),
                                        .signature = c.webhook.signature,
                                        .header = c.webhook.header,
                                        .encoding = c.webhook.encoding,
                                        .id_header = c.webhook.id_header,
                                        .timestamp_header = c.webhook.timestamp_header,
                                        .max_age = absl::Seconds(c.webhook.max_age_seconds),
                                        .secret_env = c.webhook.secret_env},
                                       env);
    if (!w.ok()) {
      return absl::Status(w.status().code(),
                          StrCat(config.file, ": channels[", static_cast<int64_t>(i), "].webhook.",
                                 w.status().message()));
    }
    LogWebhook(c.name, *w);
    out.emplace(c.name, *std::move(w));
  }
  return out;
}

// The carriers' tables: those written in the configuration, and the rate services',
// fetched once now (a service that does not answer is logged; sourcing goes on without
// its carrier until the refresher reaches it).
absl::StatusOr<std::shared_ptr<orchestration::CarrierRates>> StartCarrierRates(const Config& config,
                                                                               const EnvLookup& env,
                                                                               Registry* metrics) {
  std::vector<orchestration::RatedCarrier> carriers;
  for (size_t i = 0; i < config.carriers.size(); ++i) {
    const CarrierConfig& c = config.carriers[i];
    DISTHUB_ASSIGN_OR_RETURN(
        std::string token,
        TokenFromEnv(env, StrCat("carriers[", static_cast<int64_t>(i), "].token_env"),
                     c.token_env));
    TlsClientOptions tls = ResolveTlsPaths(c.tls, config.file);
    DISTHUB_RETURN_IF_ERROR(
        CheckTlsFiles(tls, StrCat(config.file, ": carriers[", static_cast<int64_t>(i), "].tls")));
    carriers.push_back({.name = c.name,
                        .services = c.services,
                        .rates_url = c.rates_url,
                        .token = std::move(token),
                        .tls = std::move(tls),
                        .refresh = absl::Seconds(c.refresh_seconds),
                        .retry = absl::Seconds(c.retry_seconds),
                        .timeout = absl::Milliseconds(c.timeout_ms)});
  }
  auto rates = std::make_shared<orchestration::CarrierRates>(std::move(carriers), metrics);
  for (const std::string& problem : rates->FetchNow()) {
    spdlog::warn(
        "carrier rates: {}; sourcing goes on without this carrier until its rate "
        "service answers",
        problem);
  }
  rates->Start();
  return rates;
}

orchestration::LifecycleOptions LifecycleOptionsFrom(const Config& config) {
  orchestration::LifecycleOptions o;
  for (const LocationConfig& l : config.fulfillment.locations) {
    o.locations.push_back({.name = l.name,
                           .ack_deadline = absl::Seconds(l.ack_deadline_seconds),
                           .release_attempts = l.release_attempts,
                           .regions = l.regions,
                           .origin = l.origin});
  }
  for (const ChannelConfig& c : config.channels) {
    const auto& f = c.fulfillment;
    orchestration::ShipComplete mode =
        f.ship_complete == "required" ? orchestration::ShipComplete::kRequired
        : f.ship_complete == "no"     ? orchestration::ShipComplete::kNo
                                      : orchestration::ShipComplete::kPreferred;
    o.channels.push_back(
        {.name = c.name,
         .sourcing = {.ship_complete = mode, .split_lines = f.split_lines},
         .credit = {.check = f.credit.check,
                    .fallback = f.credit.on_erp_unavailable == "accept_under_limit"
                                    ? orchestration::CreditFallback::kAcceptUnderLimit
                                    : orchestration::CreditFallback::kHold,
                    .accept_under_minor = f.credit.accept_under_minor},
         .erp_pricing = f.pricing == "erp",
         .status_updates = f.status_updates,
         .promise = absl::Seconds(f.promise_hours * 3600),
         .substitutions = f.substitutions});
  }
  o.substitutes = config.catalog.substitutes;
  o.erp_workers = config.fulfillment.erp.workers;
  o.erp_retry = absl::Seconds(config.fulfillment.erp.retry_seconds);
  o.backorder_recheck = absl::Seconds(config.fulfillment.backorder_recheck_seconds);
  o.close_after = absl::Hours(config.fulfillment.close_after_hours);
  o.timer_tick = absl::Milliseconds(config.fulfillment.timer_tick_ms);
  return o;
}

class RunningHub final : public Hub {
 public:
  absl::Status Start(const Config& config, const EnvLookup& env) {
    DISTHUB_ASSIGN_OR_RETURN(keys_, BuildKeys(config, env));
    if (!config.catalog.products_file.empty()) {
      DISTHUB_ASSIGN_OR_RETURN(
          catalog_, Catalog::LoadCsv(ResolveRelative(config.file, config.catalog.products_file)));
    }
    std::vector<ChannelRules> channels;
    for (const ChannelConfig& c : config.channels) channels.push_back({c.name, c.currencies});
    checks_ = std::make_unique<OrderChecks>(channels, catalog_ ? &*catalog_ : nullptr);
    if (catalog_) {
      for (const auto& [sku, subs] : config.catalog.substitutes) {
        for (const std::string& s : subs) {
          for (const std::string& x : {sku, s}) {
            if (catalog_->Find(x) == nullptr) {
              return absl::FailedPreconditionError(StrCat("catalog.substitutes.", sku, ": ", x,
                                                          " is not in ",
                                                          config.catalog.products_file));
            }
          }
        }
      }
    }

    std::error_code ec;
    std::filesystem::create_directories(config.store.data_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          StrCat("store.data_dir: cannot create ", config.store.data_dir, ": ", ec.message()));
    }
    DISTHUB_ASSIGN_OR_RETURN(store_,
                             OpenSqliteStore({.path = config.store.data_dir + "/disthub.db",
                                              .synchronous = config.store.synchronous,
                                              .read_connections = config.store.read_connections}),
                             "opening the store");

    Histogram* batch_sizes =
        metrics_.Histogram("disthub_commit_batch_size",
                           "Writes committed together in one transaction.", {}, SizeBuckets());
    Histogram* commit_seconds = metrics_.Histogram(
        "disthub_store_commit_duration_seconds",
        "Time from BEGIN of one batch to its commit flushed to disk (the flush of one batch "
        "overlaps the next batch's work).",
        {}, LatencyBuckets());
    Counter* failed_commits = metrics_.Counter("disthub_store_commit_failures_total",
                                               "Batches whose commit failed (nothing kept).");

    // The transactional outbox: every appended event gets one outbox row per subscriber
    // whose patterns match, in the event's own transaction.
    DISTHUB_ASSIGN_OR_RETURN(std::vector<SubscriberConfig> subscribers,
                             ResolveSubscribers(config, env));
    router_ = std::make_unique<OutboxRouter>(subscribers);
    store_->SetEventObserver(router_.get());
    queue_ = std::make_unique<CommitQueue>(
        store_.get(), CommitQueueOptions{.max_batch = config.store.max_batch,
                                         .max_pending = config.store.max_pending,
                                         .on_batch = [=, this](int n, absl::Duration d, bool ok) {
                                           batch_sizes->Observe(n);
                                           commit_seconds->Observe(absl::ToDoubleSeconds(d));
                                           if (!ok) failed_commits->Inc();
                                           // New outbox rows may have committed with the batch.
                                           if (ok) {
                                             if (Deliverer* dl = deliverer_.load()) dl->Wake();
                                           }
                                         }});
    if (!subscribers.empty()) {
      owned_deliverer_ = std::make_unique<Deliverer>(
          store_.get(), queue_.get(), &metrics_, Clock::Real(),
          DelivererOptions{.subscribers = subscribers,
                           .max_in_memory = config.delivery.max_in_memory,
                           .poll_interval = absl::Milliseconds(config.delivery.poll_interval_ms)});
      DISTHUB_RETURN_IF_ERROR(owned_deliverer_->Start());
      deliverer_ = owned_deliverer_.get();
      for (const SubscriberConfig& sub : subscribers) {
        metrics_.GaugeFn("disthub_dead_letters_parked",
                         "Dead letters waiting for an operator, by partner.",
                         {{"partner", sub.name}}, [store = store_.get(), name = sub.name] {
                           auto parked = store->ParkedDeadLetters();
                           if (!parked.ok()) return 0.0;
                           for (const auto& [partner, n] : *parked) {
                             if (partner == name) return static_cast<double>(n);
                           }
                           return 0.0;
                         });
      }
      replayer_ = std::make_unique<Replayer>(store_.get(), queue_.get(), Clock::Real(), subscribers,
                                             &metrics_);
      DISTHUB_RETURN_IF_ERROR(replayer_->Start());
    }
    DISTHUB_ASSIGN_OR_RETURN(auto webhooks, LoadWebhooks(config, env));
    // Reprocessing maps the orders of mapped sources (webhook channels, and connectors'
    // order_source(), added as they are made below) with the mapping in effect.
    auto sources = std::make_shared<std::map<std::string, SourceMapping>>();
    for (const auto& [name, w] : webhooks) {
      (*sources)[StrCat("webhook:", name)] = {.mapping = w.mapping, .channel = w.channel};
    }
    SourceLookup lookup = [sources](const std::string& source) -> std::optional<SourceMapping> {
      auto it = sources->find(source);
      if (it == sources->end()) return std::nullopt;
      return it->second;
    };
    reprocessor_ = std::make_unique<Reprocessor>(store_.get(), queue_.get(), checks_.get(), &ids_,
                                                 Clock::Real(), MappedSourceDecoder(lookup));
    delivery_api_ =
        std::make_unique<DeliveryApi>(DeliveryApiDeps{.store = store_.get(),
                                                      .queue = queue_.get(),
                                                      .deliverer = owned_deliverer_.get(),
                                                      .replayer = replayer_.get(),
                                                      .ids = &ids_,
                                                      .clock = Clock::Real(),
                                                      .reprocessor = reprocessor_.get(),
                                                      .sources = lookup});
    inventory::InventoryOptions inv;
    for (const ChannelConfig& ch : config.channels) {
      inv.channels.push_back(ch.name);
      inv.rules.push_back({.channel = ch.name,
                           .share_percent = ch.allocation.share_percent,
                           .holdback = ch.allocation.holdback,
                           .excluded_locations = ch.allocation.exclude_locations});
      if (ch.inventory_feed.enabled) {
        inv.feeds.push_back({.channel = ch.name,
                             .per_minute = ch.inventory_feed.per_minute,
                             .burst = ch.inventory_feed.burst,
                             .max_items = ch.inventory_feed.max_items});
      }
    }
    inventory_ = std::make_unique<inventory::InventoryService>(store_.get(), queue_.get(),
                                                               Clock::Real(), &metrics_, inv);
    DISTHUB_RETURN_IF_ERROR(inventory_->Load());
    DISTHUB_RETURN_IF_ERROR(inventory_->MarkInterrupted());
    inventory_->Start();
    inventory_api_ =
        std::make_unique<InventoryApi>(inventory_.get(), Clock::Real(), config.archive.inbound);
    metrics_.GaugeFn("disthub_commit_queue_depth", "Writes waiting for the single writer.", {},
                     [q = queue_.get()] { return static_cast<double>(q->pending()); });
    // The order lifecycle runs once shipping locations are configured; without them orders
    // are taken in and kept, and nothing is released.
    IntakeHooks hooks;
    if (!config.fulfillment.locations.empty()) {
      orchestration::LifecycleOptions options = LifecycleOptionsFrom(config);
      if (!config.carriers.empty()) {
        DISTHUB_ASSIGN_OR_RETURN(carrier_rates_, StartCarrierRates(config, env, &metrics_));
        options.carrier_rates = carrier_rates_;
      }
      if (const auto& e = config.fulfillment.erp; !e.url.empty()) {
        DISTHUB_ASSIGN_OR_RETURN(std::string token,
                                 TokenFromEnv(env, "fulfillment.erp.token_env", e.token_env));
        TlsClientOptions tls = ResolveTlsPaths(e.tls, config.file);
        DISTHUB_RETURN_IF_ERROR(CheckTlsFiles(tls, StrCat(config.file, ": fulfillment.erp.tls")));
        options.erp =
            orchestration::MakeHttpErpGateway({.url = e.url,
                                               .timeout = absl::Milliseconds(e.timeout_ms),
                                               .token = std::move(token),
                                               .tls = std::move(tls),
                                               .failures_to_open = e.circuit_failures,
                                               .open_for = absl::Seconds(e.circuit_open_seconds)});
      }
      lifecycle_ = std::make_unique<orchestration::Lifecycle>(
          store_.get(), queue_.get(), inventory_.get(), catalog_ ? &*catalog_ : nullptr,
          Clock::Real(), &metrics_, &ids_, std::move(options));
      lifecycle_->Start();
      fulfillment_api_ = std::make_unique<FulfillmentApi>(lifecycle_.get(), store_.get(),
                                                          Clock::Real(), config.archive.inbound);
      hooks = lifecycle_->Hooks();
    }
    intake_ = std::make_unique<OrderIntake>(queue_.get(), std::move(hooks));
    // Connectors are made now (started last, once what they hand over can be taken): the
    // API serves the signed-webhook ones' endpoints.
    connector_host_ = MakeConnectorHost({.store = store_.get(),
                                         .queue = queue_.get(),
                                         .inventory = inventory_.get(),
                                         .intake = intake_.get(),
                                         .checks = checks_.get(),
                                         .ids = &ids_,
                                         .clock = Clock::Real(),
                                         .metrics = &metrics_,
                                         .lifecycle = lifecycle_.get(),
                                         .env = env});
    for (const ConnectorInstanceConfig& c : config.connectors) {
      const connectors::ConnectorType* type = FindConnectorType(c.type);
      if (type == nullptr) return absl::InvalidArgumentError(StrCat("no connector type ", c.type));
      absl::StatusOr<std::unique_ptr<connectors::Connector>> made =
          type->create(c.name, c.settings, *connector_host_);
      if (!made.ok()) {
        return absl::Status(made.status().code(), StrCat(config.file, ": connectors ", c.name, ": ",
                                                         made.status().message()));
      }
      if (auto* w = dynamic_cast<connectors::WebhookConnector*>(made->get())) {
        const connectors::WebhookChannel& channel = w->channel();
        if (!checks_->KnownChannel(channel.channel)) {
          return absl::InvalidArgumentError(StrCat(config.file, ": connectors ", c.name,
                                                   ": channel: \"", channel.channel,
                                                   "\" is not a configured channel"));
        }
        if (webhooks.count(c.name) > 0) {
          return absl::InvalidArgumentError(
              StrCat(config.file, ": connectors ", c.name, ": channel ", c.name,
                     " takes webhooks at /v1/webhooks/", c.name, " already (channels[].webhook)"));
        }
        LogWebhook(c.name, channel);
        webhooks.emplace(c.name, channel);
      }
      // Read only when a request reprocesses, once the hub serves.
      if (std::optional<connectors::Connector::OrderSource> s = (*made)->order_source()) {
        (*sources)[s->source] = {.mapping = std::move(s->mapping),
                                 .channel = std::move(s->channel)};
      }
      connectors_.push_back(*std::move(made));
    }
    api_ = std::make_unique<Api>(ApiDeps{.store = store_.get(),
                                         .queue = queue_.get(),
                                         .intake = intake_.get(),
                                         .checks = checks_.get(),
                                         .keys = &keys_,
                                         .metrics = &metrics_,
                                         .ids = &ids_,
                                         .clock = Clock::Real(),
                                         .max_pending = config.store.max_pending,
                                         .delivery = delivery_api_.get(),
                                         .inventory = inventory_api_.get(),
                                         .fulfillment = fulfillment_api_.get(),
                                         .archive_inbound = config.archive.inbound,
                                         .webhooks = std::move(webhooks),
                                         .connectors = [this] {
                                           boost::json::array items;
                                           for (const auto& c : connectors_) {
                                             items.push_back(c->Describe());
                                           }
                                           return items;
                                         }});
    // Connectors last: what they hand over goes to the services started above.
    for (auto& c : connectors_) DISTHUB_RETURN_IF_ERROR(c->Start());
    if (!config.alerts.rules.empty()) {
      ThresholdAlertsOptions alerts{.interval = absl::Seconds(config.alerts.check_seconds)};
      for (const AlertRuleConfig& r : config.alerts.rules) {
        alerts.rules.push_back({.name = r.name,
                                .metric = r.metric,
                                .labels = r.labels,
                                .max = r.aggregate == "max",
                                .above = r.above,
                                .for_duration = absl::Seconds(r.for_seconds),
                                .increase_over = absl::Seconds(r.increase_over_seconds),
                                .severity = r.severity,
                                .description = r.description});
      }
      alerts_ = std::make_unique<ThresholdAlerts>(&metrics_, queue_.get(), Clock::Real(),
                                                  std::move(alerts));
      alerts_->Start();
    }
    DISTHUB_ASSIGN_OR_RETURN(auto listen, SplitListen(config.server.listen));
    host_ = listen.first;
    DISTHUB_ASSIGN_OR_RETURN(
        server_, StartHttpServer({.host = listen.first,
                                  .port = listen.second,
                                  .io_threads = config.server.io_threads,
                                  .max_body_bytes = config.server.max_body_bytes,
                                  .idle_timeout_seconds = config.server.idle_timeout_seconds},
                                 api_.get()));
    return absl::OkStatus();
  }

  ~RunningHub() override { Shutdown(); }

  int port() const override { return server_ ? server_->port() : 0; }
  std::string url() const override { return StrCat("http://", host_, ":", port()); }

  void Shutdown() override {
    if (server_) server_->StopAccepting();
    for (auto& c : connectors_) c->Stop();  // finish the file in hand
    if (alerts_) alerts_->Stop();
    // Deliveries stop first: they write their outcomes through the queue.
    deliverer_ = nullptr;
    if (replayer_) replayer_->Stop();
    if (owned_deliverer_) owned_deliverer_->Stop();
    if (lifecycle_) lifecycle_->Stop();
    if (carrier_rates_) carrier_rates_->Stop();
    if (inventory_) inventory_->Stop();
    if (queue_) queue_->Close();   // commits and answers every write already taken
    if (server_) server_->Stop();  // sends those answers, then stops
    queue_.reset();
    server_.reset();
    connectors_.clear();
    connector_host_.reset();
    delivery_api_.reset();
    inventory_api_.reset();
    fulfillment_api_.reset();
    lifecycle_.reset();
    alerts_.reset();
    inventory_.reset();
    reprocessor_.reset();
    replayer_.reset();
    owned_deliverer_.reset();
    api_.reset();
    intake_.reset();
    store_.reset();
  }

 private:
  Registry metrics_;
  IdGenerator ids_;
  ApiKeys keys_;
  std::optional<Catalog> catalog_;
  std::unique_ptr<OrderChecks> checks_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OutboxRouter> router_;
  std::unique_ptr<CommitQueue> queue_;
  std::unique_ptr<Deliverer> owned_deliverer_;
  std::atomic<Deliverer*> deliverer_{nullptr};  // read by the writer thread after commits
  std::unique_ptr<Replayer> replayer_;
  std::unique_ptr<Reprocessor> reprocessor_;
  std::unique_ptr<DeliveryApi> delivery_api_;
  std::unique_ptr<inventory::InventoryService> inventory_;
  std::unique_ptr<connectors::ConnectorHost> connector_host_;
  std::vector<std::unique_ptr<connectors::Connector>> connectors_;
  std::unique_ptr<InventoryApi> inventory_api_;
  std::shared_ptr<orchestration::CarrierRates> carrier_rates_;
  std::unique_ptr<orchestration::Lifecycle> lifecycle_;
  std::unique_ptr<ThresholdAlerts> alerts_;
  std::unique_ptr<FulfillmentApi> fulfillment_api_;
  std::unique_ptr<OrderIntake> intake_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::string host_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Hub>> StartHub(const Config& config, const EnvLookup& env) {
  auto hub = std::make_unique<RunningHub>();
  DISTHUB_RETURN_IF_ERROR(hub->Start(config, env));
  return hub;
}

}  // namespace disthub
