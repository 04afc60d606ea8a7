// The versioned HTTP API: routes, authentication, problem+json errors, metrics.
//
//   POST /v1/orders              create (Idempotency-Key or channel + reference dedupe)
//   GET  /v1/orders/{id}         read one
//   GET  /v1/orders              list: ?channel=&status=&limit=&cursor=
//   GET  /v1/events              page the event log: ?after=SEQ&limit=N
//   GET  /v1/schemas[/{name}]    JSON Schemas of the canonical model
//   GET  /healthz /readyz /metrics
//   /v1/inventory…, /v1/availability  (inventory_api.h)
//   /v1/fulfillments/…, /v1/orders/{id}/timeline|cancel|fulfillments  (fulfillment_api.h)
//   /v1/outbox, /v1/dead-letters, /v1/replays, … (delivery_api.h)
//
// Requests are parsed, authenticated and validated on the I/O thread that read them;
// only valid writes reach the single writer. docs/api.md documents every route.
#pragma once

#include <array>
#include <atomic>
#include <boost/json/array.hpp>
#include <functional>
#include <map>
#include <string>

#include "api/auth.h"
#include "api/delivery_api.h"
#include "api/fulfillment_api.h"
#include "api/http.h"
#include "api/inventory_api.h"
#include "base/clock.h"
#include "base/ids.h"
#include "connectors/webhook.h"
#include "observe/metrics.h"
#include "orchestration/order_checks.h"
#include "orchestration/order_intake.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub {

// Everything the API uses; all must outlive it.
struct ApiDeps {
  Store* store;
  CommitQueue* queue;  // for readiness (its depth)
  OrderIntake* intake;
  const OrderChecks* checks;
  const ApiKeys* keys;
  Registry* metrics;
  IdGenerator* ids;
  const Clock* clock;
  int max_pending = 20'000;           // the queue's limit: /readyz reports not ready near it
  DeliveryApi* delivery = nullptr;    // outbox, dead letters, replays…; null: those routes 404
  InventoryApi* inventory = nullptr;  // /v1/inventory, /v1/availability; null: those routes 404
  FulfillmentApi* fulfillment = nullptr;  // the order lifecycle routes; null: those 404
  bool archive_inbound = true;            // keep every order taken in as received (GET /v1/inbound)
  // Channels taking orders by signed webhook (POST /v1/webhooks/{channel}), by name.
  std::map<std::string, connectors::WebhookChannel> webhooks;
  // What each connector instance has done (GET /v1/connectors); null: an empty list.
  std::function<boost::json::array()> connectors;
};

class Api final : public HttpHandler {
 public:
  explicit Api(ApiDeps deps);
  void Handle(HttpRequest request, Responder respond) override;

  // Routes, for per-route metrics.
  enum Route {
    kCreateOrder,
    kGetOrder,
    kListOrders,
    kEvents,
    kSchemas,
    kHealth,
    kReady,
    kMetrics,
    kOther,
    kOperations,
    kInventory,
    kFulfillment,
    kWebhook,
    kConnectors,
    kRouteCount
  };

 private:
  // What became of a webhook delivery, for disthub_webhook_deliveries_total.
  enum WebhookOutcome {
    kWhCreated,
    kWhReplayed,
    kWhSignature,
    kWhMalformed,
    kWhUnmappable,
    kWhUnavailable,
    kWhOutcomes
  };
  using WebhookCounters = std::array<Counter*, kWhOutcomes>;

  // POST /v1/webhooks/{channel}: verified by its signature, mapped from the channel's
  // dialect, then taken in as CreateOrder does.
  void TakeWebhook(HttpRequest& req, std::string_view channel, Responder& respond);
  // Stores a checked order (idempotently under `scope` and `key`), archives the message and
  // answers 201 (a repeat gets the first answer again, marked Idempotent-Replayed); shared
  // by CreateOrder and TakeWebhook.
  void SubmitOrder(Order& order, std::string scope, std::string_view key, Route route,
                   std::string instance, HttpRequest& req, Responder& respond,
                   const WebhookCounters* webhook = nullptr);
  template <typename SubApi>
  void Delegate(SubApi* api, Route route, HttpRequest& req, const Principal& who,
                Responder& respond);
  struct RouteMetrics {
    Histogram* latency;
    std::array<std::atomic<Counter*>, 600> by_status{};
  };

  void CreateOrder(HttpRequest& req, const Principal& who, Responder& respond);
  HttpResponse GetOrder(const HttpRequest& req, const Principal& who, std::string_view id);
  HttpResponse ListOrders(const HttpRequest& req, const Principal& who);
  HttpResponse Events(const HttpRequest& req);
  HttpResponse Schemas(const HttpRequest& req, std::string_view name);
  HttpResponse Ready();

  // Records metrics for the finished request and sends the response.
  void Finish(Route route, const HttpRequest& req, HttpResponse response, Responder& respond);

  ApiDeps deps_;
  std::array<RouteMetrics, kRouteCount> routes_;
  Counter* orders_created_;
  Counter* orders_replayed_;
  Counter* orders_rejected_;
  // disthub_webhook_deliveries_total{channel, outcome}, per webhook channel (fixed after
  // construction, so read without a lock).
  std::map<std::string, WebhookCounters, std::less<>> webhook_counters_;
};

}  // namespace disthub
