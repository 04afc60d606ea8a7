#include "api/api.h"

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <map>

#include "api/query.h"
#include "base/strings.h"
#include "events/event_json.h"
#include "model/json.h"
#include "model/schema.h"
#include "model/validate.h"
#include "store/packed_text.h"

namespace disthub {
namespace {

constexpr std::string_view kRouteNames[] = {"/v1/orders",
                                            "/v1/orders/{id}",
                                            "/v1/orders",
                                            "/v1/events",
                                            "/v1/schemas",
                                            "/healthz",
                                            "/readyz",
                                            "/metrics",
                                            "other",
                                            "operations",
                                            "inventory",
                                            "fulfillment",
                                            "/v1/webhooks/{channel}",
                                            "/v1/connectors"};
constexpr std::string_view kRouteMethods[] = {"POST", "GET", "GET", "GET", "GET", "GET",  "GET",
                                              "GET",  "any", "any", "any", "any", "POST", "GET"};
static_assert(std::size(kRouteNames) == Api::kRouteCount &&
              std::size(kRouteMethods) == Api::kRouteCount);

HttpResponse Json(int status, std::string body) {
  return HttpResponse{.status = status, .body = std::move(body)};
}

std::vector<ProblemError> ToProblemErrors(const std::vector<FieldError>& errors) {
  std::vector<ProblemError> out;
  out.reserve(errors.size());
  for (const FieldError& e : errors) out.push_back({e.pointer, e.detail});
  return out;
}

HttpResponse Unauthorized(std::string_view why, std::string_view instance) {
  HttpResponse r = Problem(401, "unauthorized", "Authentication required", why, instance);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"disthub\"");
  return r;
}

HttpResponse Forbidden(std::string_view why, std::string_view instance) {
  return Problem(403, "forbidden", "Not allowed", why, instance);
}

HttpResponse NotFound(std::string_view detail, std::string_view instance) {
  return Problem(404, "not-found", "Not found", detail, instance);
}

bool ValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool IsJsonContentType(std::string_view ct) {
  std::string lower(ct.substr(0, ct.find(';')));
  for (char& c : lower) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  while (!lower.empty() && lower.back() == ' ') lower.pop_back();
  return lower == "application/json" || (lower.size() > 5 && lower.ends_with("+json"));
}

}  // namespace

Api::Api(ApiDeps deps) : deps_(deps) {
  for (int r = 0; r < kRouteCount; ++r) {
    routes_[r].latency = deps_.metrics->Histogram(
        "disthub_http_request_duration_seconds",
        "Time from a request being read to its response being handed to the connection.",
        {{"route", std::string(kRouteNames[r])}, {"method", std::string(kRouteMethods[r])}},
        LatencyBuckets());
  }
  orders_created_ = deps_.metrics->Counter("disthub_orders_total", "Orders taken in, by outcome.",
                                           {{"outcome", "created"}});
  orders_replayed_ = deps_.metrics->Counter("disthub_orders_total", "Orders taken in, by outcome.",
                                            {{"outcome", "replayed"}});
  orders_rejected_ = deps_.metrics->Counter("disthub_orders_total", "Orders taken in, by outcome.",
                                            {{"outcome", "rejected"}});
  static_assert(std::size(connectors::kWebhookOutcomes) == kWhOutcomes);
  for (const auto& [channel, w] : deps_.webhooks) {
    auto& counters = webhook_counters_[channel];
    for (int o = 0; o < kWhOutcomes; ++o) {
      counters[o] = deps_.metrics->Counter(
          connectors::kWebhookDeliveriesMetric, connectors::kWebhookDeliveriesHelp,
          {{"channel", channel}, {"outcome", std::string(connectors::kWebhookOutcomes[o])}});
    }
  }
}

void Api::Finish(Route route, const HttpRequest& req, HttpResponse response, Responder& respond) {
  RouteMetrics& m = routes_[route];
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received).count();
  m.latency->Observe(seconds);
  int status = std::clamp(response.status, 0, 599);
  Counter* c = m.by_status[status].load(std::memory_order_acquire);
  if (c == nullptr) {
    c = deps_.metrics->Counter("disthub_http_requests_total",
                               "HTTP requests answered, by route, method and status.",
                               {{"route", std::string(kRouteNames[route])},
                                {"method", std::string(kRouteMethods[route])},
                                {"status", StrCat(status)}});
    m.by_status[status].store(c, std::memory_order_release);
  }
  c->Inc();
  std::move(respond)(std::move(response));
}

void Api::Handle(HttpRequest req, Responder respond) {
  std::string_view path = req.Path();
  const std::string& method = req.method;

  if (path == "/healthz") {
    return Finish(kHealth, req, Json(200, R"({"status":"ok"})"), respond);
  }
  if (path == "/readyz") return Finish(kReady, req, Ready(), respond);
  if (path == "/metrics") {
    return Finish(kMetrics, req,
                  HttpResponse{.status = 200,
                               .content_type = "text/plain; version=0.0.4; charset=utf-8",
                               .body = deps_.metrics->Render()},
                  respond);
  }
  if (!path.starts_with("/v1/")) {
    return Finish(kOther, req, NotFound(StrCat("no route for ", path), path), respond);
  }

  // A webhook proves itself by its signature, not by a key.
  if (path.starts_with("/v1/webhooks/")) return TakeWebhook(req, path.substr(13), respond);

  // Every /v1 route needs a key.
  auto principal = deps_.keys->Authenticate(req.Header("authorization"));
  Route route = kOther;
  std::string_view rest;
  if (path == "/v1/orders") {
    route = method == "POST" ? kCreateOrder : kListOrders;
  } else if (FulfillmentApi::Owns(path)) {
    route = kFulfillment;
  } else if (path.starts_with("/v1/orders/")) {
    route = kGetOrder;
    rest = path.substr(11);
  } else if (path == "/v1/events") {
    route = kEvents;
  } else if (path == "/v1/schemas" || path.starts_with("/v1/schemas/")) {
    route = kSchemas;
    rest = path.size() > 12 ? path.substr(12) : std::string_view();
  } else if (DeliveryApi::Owns(path)) {
    route = kOperations;
  } else if (InventoryApi::Owns(path)) {
    route = kInventory;
  } else if (path == "/v1/connectors") {
    route = kConnectors;
  }
  if (!principal.ok()) {
    return Finish(route, req, Unauthorized(View(principal.status().message()), path), respond);
  }
  const Principal& who = **principal;

  auto need = [&](std::string_view scope) -> std::optional<HttpResponse> {
    if (who.HasScope(scope)) return std::nullopt;
    return Forbidden(StrCat("the key ", who.partner, "/", who.key_id, " lacks the scope ", scope),
                     path);
  };
  auto allow = [&](std::string_view methods) {
    HttpResponse r = Problem(405, "method-not-allowed", "Method not allowed",
                             StrCat(method, " is not allowed on ", path, "; use ", methods), path);
    r.headers.emplace_back("Allow", std::string(methods));
    return r;
  };

  switch (route) {
    case kCreateOrder:
      if (auto denied = need(kScopeOrdersWrite)) return Finish(route, req, *denied, respond);
      return CreateOrder(req, who, respond);
    case kListOrders:
      if (method != "GET") return Finish(route, req, allow("GET, POST"), respond);
      if (auto denied = need(kScopeOrdersRead)) return Finish(route, req, *denied, respond);
      return Finish(route, req, ListOrders(req, who), respond);
    case kGetOrder:
      if (method != "GET") return Finish(route, req, allow("GET"), respond);
      if (auto denied = need(kScopeOrdersRead)) return Finish(route, req, *denied, respond);
      return Finish(route, req, GetOrder(req, who, rest), respond);
    case kEvents:
      if (method != "GET") return Finish(route, req, allow("GET"), respond);
      if (auto denied = need(kScopeEventsRead)) return Finish(route, req, *denied, respond);
      if (req.Query().find("subscription=") != std::string_view::npos &&
          deps_.delivery != nullptr) {
        Query q = ParseQuery(req, {"subscription", "limit"});
        if (q.error) return Finish(route, req, *q.error, respond);
        return Finish(route, req, deps_.delivery->SubscriptionEvents(req, q.Get("subscription")),
                      respond);
      }
      return Finish(route, req, Events(req), respond);
    case kOperations:
      return Delegate(deps_.delivery, kOperations, req, who, respond);
    case kInventory:
      return Delegate(deps_.inventory, kInventory, req, who, respond);
    case kFulfillment:
      return Delegate(deps_.fulfillment, kFulfillment, req, who, respond);
    case kSchemas:
      if (method != "GET") return Finish(route, req, allow("GET"), respond);
      return Finish(route, req, Schemas(req, rest), respond);
    case kConnectors: {
      if (method != "GET") return Finish(route, req, allow("GET"), respond);
      if (auto denied = need(kScopeEventsRead)) return Finish(route, req, *denied, respond);
      boost::json::array items = deps_.connectors ? deps_.connectors() : boost::json::array();
      return Finish(
          route, req,
          Json(200, boost::json::serialize(boost::json::object{{"items", std::move(items)}})),
          respond);
    }
    default:
      return Finish(kOther, req, NotFound(StrCat("no route for ", path), path), respond);
  }
}

// Hands a request to a sub-API (delivery, inventory) that answers through `respond`, later
// and from another thread if it likes; the route's metrics still see it.
template <typename SubApi>
void Api::Delegate(SubApi* api, Route route, HttpRequest& req, const Principal& who,
                   Responder& respond) {
  if (api == nullptr) {
    std::string path(req.Path());
    return Finish(kOther, req, NotFound(StrCat("no route for ", path), path), respond);
  }
  HttpRequest timing;
  timing.received = req.received;
  api->Handle(req, who,
              [this, route, timing = std::move(timing), respond = std::move(respond)](
                  HttpResponse r) mutable { Finish(route, timing, std::move(r), respond); });
}

void Api::CreateOrder(HttpRequest& req, const Principal& who, Responder& respond) {
  const std::string instance = "/v1/orders";
  auto reject = [&](HttpResponse r) {
    orders_rejected_->Inc();
    Finish(kCreateOrder, req, std::move(r), respond);
  };
  if (!IsJsonContentType(req.Header("content-type"))) {
    return reject(Problem(415, "unsupported-media-type", "Unsupported media type",
                          "send the order as Content-Type: application/json", instance));
  }
  std::string_view key = req.Header("idempotency-key");
  if (!key.empty() && !ValidIdempotencyKey(key)) {
    return reject(
        Problem(400, "invalid-header", "Invalid Idempotency-Key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters", instance,
                {{"Idempotency-Key", "must be 1 to 255 visible ASCII characters", "header"}}));
  }

  // Parsed and decoded in one pass, without a boost::json tree.
  absl::StatusOr<Decoded<Order>> parsed = ParseAndDecodeOrder(req.body);
  if (!parsed.ok()) {
    return reject(Problem(400, "malformed-json", "Malformed JSON",
                          StrCat("the body is not valid JSON: ", parsed.status().message()),
                          instance));
  }
  Decoded<Order>& decoded = *parsed;
  if (!decoded.ok()) {
    return reject(Problem(422, "validation-failed", "The order is not valid",
                          StrCat(decoded.errors.size(), " field(s) are not valid; see errors"),
                          instance, ToProblemErrors(decoded.errors)));
  }
  Order& order = *decoded.value;
  std::vector<FieldError> errors = ValidateOrder(order);
  std::vector<FieldError> more = deps_.checks->Check(order);
  errors.insert(errors.end(), more.begin(), more.end());
  if (!errors.empty()) {
    return reject(Problem(422, "validation-failed", "The order is not valid",
                          StrCat(errors.size(), " field(s) are not valid; see errors"), instance,
                          ToProblemErrors(errors)));
  }
  if (!who.MayUseChannel(order.channel)) {
    return reject(Forbidden(StrCat("the key ", who.partner, "/", who.key_id,
                                   " may not submit orders for channel ", order.channel),
                            instance));
  }

  SubmitOrder(order, who.partner, key, kCreateOrder, instance, req, respond);
}

void Api::SubmitOrder(Order& order, std::string scope, std::string_view key, Route route,
                      std::string instance, HttpRequest& req, Responder& respond,
                      const WebhookCounters* webhook) {
  absl::Time now = deps_.clock->Now();
  IntakeRequest intake{
      .order = AcceptNewOrder(order, *deps_.ids, now),
      .idempotency_scope = scope,
      .idempotency_key = std::string(key),
      .request_hash = key.empty() ? std::string() : Sha256Hex(req.body),
      .causation_id = deps_.ids->Next("msg"),
  };
  if (deps_.archive_inbound) {
    // The message exactly as received; credentials are never kept.
    intake.inbound = InboundRecord{.received_at = now,
                                   .source = std::move(scope),
                                   .kind = "order",
                                   .key = std::string(key),
                                   .headers = KeptHeadersJson(req),
                                   .body = req.body,
                                   .packed_body = {PackAhead(req.body)}};
  }
  deps_.intake->Submit(std::move(intake), [this, route, req = std::move(req),
                                           respond = std::move(respond), instance,
                                           webhook](absl::StatusOr<IntakeResult> result) mutable {
    auto count = [webhook](WebhookOutcome o) {
      if (webhook != nullptr) (*webhook)[o]->Inc();
    };
    if (!result.ok()) {
      count(absl::IsInvalidArgument(result.status()) ? kWhUnmappable : kWhUnavailable);
      if (absl::IsInvalidArgument(result.status())) {
        orders_rejected_->Inc();
        return Finish(
            route, req,
            Problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                    View(result.status().message()), instance,
                    {{"Idempotency-Key", std::string(View(result.status().message())), "header"}}),
            respond);
      }
      HttpResponse r = Problem(503, "unavailable", "Not stored; retry",
                               StrCat(View(result.status().message()),
                                      ". Retrying with the same Idempotency-Key is safe."),
                               instance);
      r.headers.emplace_back("Retry-After", "1");
      return Finish(route, req, std::move(r), respond);
    }
    HttpResponse r{.status = result->status_code, .body = std::move(result->order.body)};
    r.headers.emplace_back("Location", StrCat("/v1/orders/", result->order.id));
    count(result->outcome == IntakeOutcome::kReplayed ? kWhReplayed : kWhCreated);
    if (result->outcome == IntakeOutcome::kReplayed) {
      orders_replayed_->Inc();
      r.headers.emplace_back("Idempotent-Replayed", "true");
    } else {
      orders_created_->Inc();
    }
    Finish(route, req, std::move(r), respond);
  });
}

void Api::TakeWebhook(HttpRequest& req, std::string_view channel, Responder& respond) {
  const std::string instance = StrCat("/v1/webhooks/", channel);
  auto reject = [&](HttpResponse r) {
    orders_rejected_->Inc();
    Finish(kWebhook, req, std::move(r), respond);
  };
  auto it = deps_.webhooks.find(std::string(channel));
  if (it == deps_.webhooks.end()) {
    return Finish(kWebhook, req,
                  NotFound(StrCat("no channel ", channel, " takes orders by webhook"), instance),
                  respond);
  }
  if (req.method != "POST") {
    HttpResponse r =
        Problem(405, "method-not-allowed", "Method not allowed",
                StrCat(req.method, " is not allowed on ", instance, "; use POST"), instance);
    r.headers.emplace_back("Allow", "POST");
    return Finish(kWebhook, req, std::move(r), respond);
  }
  const connectors::WebhookChannel& w = it->second;
  const auto& counters = webhook_counters_.find(channel)->second;
  if (absl::Status verified = connectors::VerifySignature(
          w.signature, w.secret, req.body, req.Header(w.signature.header),
          w.signature.timestamp_header.empty() ? std::string_view()
                                               : req.Header(w.signature.timestamp_header),
          deps_.clock->Now());
      !verified.ok()) {
    counters[kWhSignature]->Inc();
    return reject(Problem(401, "signature-mismatch", "Signature does not match",
                          View(verified.message()), instance));
  }
  // JSON, or XML for a mapping that reads it (`formats:`).
  absl::StatusOr<mapping::ParsedPayload> payload = mapping::ParsePayload(*w.mapping, req.body);
  if (!payload.ok()) {
    counters[kWhMalformed]->Inc();
    if (payload.status().code() == absl::StatusCode::kFailedPrecondition) {
      return reject(Problem(415, "unsupported-media-type", "Unsupported media type",
                            View(payload.status().message()), instance));
    }
    const bool xml = mapping::FormatOf(req.body) == mapping::PayloadFormat::kXml;
    return reject(Problem(400, xml ? "malformed-xml" : "malformed-json",
                          xml ? "Malformed XML" : "Malformed JSON",
                          View(payload.status().message()), instance));
  }
  Decoded<Order> mapped =
      connectors::MapWebhookOrder(*w.mapping, w.channel, payload->value, payload->format);
  std::vector<ProblemError> problems = ToProblemErrors(mapped.errors);
  if (mapped.ok()) {
    for (FieldError& e : deps_.checks->Check(*mapped.value)) {
      problems.push_back(
          {.pointer = "", .detail = StrCat("canonical ", e.pointer, ": ", e.detail)});
    }
  }
  if (!problems.empty()) {
    counters[kWhUnmappable]->Inc();
    return reject(Problem(422, "unmappable-order", "The order cannot be taken in",
                          StrCat(problems.size(), " problem(s) mapping it with ", w.mapping->name(),
                                 " v", w.mapping->version(), "; see errors"),
                          instance, problems));
  }
  // The platform's delivery id makes its retries repeats; without one, the body does.
  std::string key(req.Header(w.signature.id_header));
  if (key.empty() || !ValidIdempotencyKey(key)) key = Sha256Hex(req.body);
  // Archived (and reprocessed) by endpoint: each endpoint has its own mapping.
  SubmitOrder(*mapped.value, StrCat("webhook:", channel), key, kWebhook, instance, req, respond,
              &counters);
}

HttpResponse Api::GetOrder(const HttpRequest& req, const Principal& who, std::string_view id) {
  auto order = deps_.store->GetOrder(std::string(id));
  if (!order.ok()) {
    return Problem(503, "unavailable", "Store unavailable", View(order.status().message()),
                   req.Path());
  }
  // A key limited to some channels cannot even learn that other channels' orders exist.
  if (!order->has_value() || !who.MayUseChannel((*order)->channel)) {
    return NotFound(StrCat("no order ", id), req.Path());
  }
  HttpResponse r = Json(200, std::move((*order)->body));
  r.headers.emplace_back("ETag", StrCat("\"", (*order)->version, "\""));
  return r;
}

HttpResponse Api::ListOrders(const HttpRequest& req, const Principal& who) {
  Query q = ParseQuery(req, {"channel", "status", "limit", "cursor"});
  if (q.error) return *q.error;
  OrderQuery query;
  int64_t limit = 0;
  if (auto bad = IntParam(q, req, "limit", 1, 500, 50, limit)) return *bad;
  query.limit = static_cast<int>(limit);
  query.channel = q.values["channel"];
  query.status = q.values["status"];
  query.before_id = q.values["cursor"];
  if (!query.status.empty() && !EnumFromName<OrderStatus>(query.status).has_value()) {
    std::string list;
    for (auto n : EnumNames(OrderStatus{})) list += (list.empty() ? "" : ", ") + std::string(n);
    return BadQuery("status", StrCat("must be one of: ", list), req.Path());
  }
  if (!query.channel.empty() && !deps_.checks->KnownChannel(query.channel)) {
    return BadQuery("channel", StrCat("\"", query.channel, "\" is not a configured channel"),
                    req.Path());
  }
  if (!who.channels.empty()) {
    if (query.channel.empty() && who.channels.size() == 1) query.channel = who.channels[0];
    if (!who.MayUseChannel(query.channel) || query.channel.empty()) {
      return Forbidden(StrCat("the key ", who.partner, "/", who.key_id,
                              " may list only its own channels; pass ?channel="),
                       req.Path());
    }
  }
  if (query.before_id.size() > 64 || query.before_id.find_first_of("'\"\\ ") != std::string::npos) {
    return BadQuery("cursor", "is not a cursor this API returned", req.Path());
  }
  auto orders = deps_.store->ListOrders(query);
  if (!orders.ok()) {
    return Problem(503, "unavailable", "Store unavailable", View(orders.status().message()),
                   req.Path());
  }
  std::string body = "{\"orders\":[";
  for (size_t i = 0; i < orders->size(); ++i) {
    if (i) body.push_back(',');
    body += (*orders)[i].body;
  }
  body += "]";
  if (static_cast<int64_t>(orders->size()) == limit) {
    body += StrCat(",\"next_cursor\":\"", orders->back().id, "\"");
  }
  body += "}";
  return Json(200, std::move(body));
}

HttpResponse Api::Events(const HttpRequest& req) {
  Query q = ParseQuery(req, {"after", "limit"});
  if (q.error) return *q.error;
  int64_t after = 0, limit = 0;
  if (auto bad = IntParam(q, req, "after", 0, INT64_MAX, 0, after)) return *bad;
  if (auto bad = IntParam(q, req, "limit", 1, 1000, 100, limit)) return *bad;
  auto events = deps_.store->ListEvents(after, static_cast<int>(limit));
  if (!events.ok()) {
    return Problem(503, "unavailable", "Store unavailable", View(events.status().message()),
                   req.Path());
  }
  return Json(200, EventPageJson(*events, after));
}

HttpResponse Api::Schemas(const HttpRequest& req, std::string_view name) {
  if (name.empty()) {
    boost::json::array list;
    for (std::string_view n : SchemaNames()) {
      list.push_back(boost::json::object{{"name", n}, {"url", StrCat("/v1/schemas/", n)}});
    }
    return Json(200, boost::json::serialize(boost::json::object{{"schemas", std::move(list)}}));
  }
  const boost::json::object* schema = SchemaFor(name);
  if (schema == nullptr) {
    std::string list;
    for (std::string_view n : SchemaNames()) list += (list.empty() ? "" : ", ") + std::string(n);
    return NotFound(StrCat("no schema \"", name, "\"; schemas: ", list), req.Path());
  }
  return HttpResponse{.status = 200,
                      .content_type = "application/schema+json",
                      .body = boost::json::serialize(*schema)};
}

HttpResponse Api::Ready() {
  if (absl::Status s = deps_.store->Check(); !s.ok()) {
    return Problem(503, "not-ready", "Not ready", StrCat("store: ", s.message()), "/readyz");
  }
  if (absl::Status s = deps_.queue->broken(); !s.ok()) {
    return Problem(503, "not-ready", "Not ready", StrCat("store: ", s.message()), "/readyz");
  }
  int64_t pending = deps_.queue->pending();
  if (pending * 10 >= static_cast<int64_t>(deps_.max_pending) * 9) {
    return Problem(
        503, "not-ready", "Not ready",
        StrCat("the write queue is nearly full (", pending, " of ", deps_.max_pending, ")"),
        "/readyz");
  }
  return Json(200, StrCat(R"({"status":"ready","write_queue":)", pending, "}"));
}

}  // namespace disthub
