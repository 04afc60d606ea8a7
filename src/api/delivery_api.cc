#include "api/delivery_api.h"

#include <boost/json.hpp>
#include <charconv>
#include <utility>

#include "api/json_route.h"
#include "api/query.h"
#include "base/strings.h"
#include "connectors/webhook.h"
#include "events/event_json.h"

namespace disthub {
namespace {

namespace json = boost::json;

constexpr std::string_view kScopeRead = "events:read";
constexpr std::string_view kScopeOperate = "operations:write";

std::string Time(absl::Time t) { return disthub::FormatTime(t); }

json::object OutboxJson(const OutboxRecord& o) {
  return json::object{{"id", o.id},
                      {"subscriber", J(o.subscriber)},
                      {"event_seq", o.event_seq},
                      {"type", J(o.message_type)},
                      {"subject", J(o.subject)},
                      {"key", J(o.key)},
                      {"state", J(o.state)},
                      {"attempts", o.attempts},
                      {"created_at", Time(o.created_at)},
                      {"next_attempt_at", Time(o.next_attempt_at)},
                      {"updated_at", Time(o.updated_at)},
                      {"last_error", J(o.last_error)},
                      {"replay_id", J(o.replay_id)}};
}

json::object AttemptJson(const DeliveryAttemptRecord& a) {
  return json::object{{"attempt", a.attempt},
                      {"started_at", Time(a.started_at)},
                      {"duration_ms", static_cast<double>(a.duration_us) / 1000},
                      {"outcome", J(a.outcome)},
                      {"cause", J(a.cause)},
                      {"http_status", a.http_status},
                      {"detail", J(a.detail)}};
}

json::object DeadLetterJson(const DeadLetterRecord& d, bool with_bytes) {
  json::object o{{"id", d.id},
                 {"kind", J(d.kind)},
                 {"partner", J(d.partner)},
                 {"type", J(d.message_type)},
                 {"subject", J(d.subject)},
                 {"ref", d.ref},
                 {"cause", J(d.cause)},
                 {"reason", J(d.reason)},
                 {"attempts", d.attempts},
                 {"state", J(d.state)},
                 {"created_at", Time(d.created_at)}};
  if (d.state != "parked") {
    o["resolved_at"] = Time(d.resolved_at);
    o["resolution"] = J(d.resolution);
  }
  if (with_bytes) o["bytes"] = J(d.bytes);
  return o;
}

json::object ReplayJson(const ReplayRecord& r) {
  boost::system::error_code ec;
  json::value filter = json::parse(J(r.filter), ec);
  return json::object{{"id", J(r.id)},
                      {"subscriber", J(r.subscriber)},
                      {"filter", ec ? json::value(J(r.filter)) : filter},
                      {"state", J(r.state)},
                      {"cursor", r.cursor},
                      {"end_seq", r.end_seq},
                      {"matched", r.matched},
                      {"actor", J(r.actor)},
                      {"error", J(r.error)},
                      {"created_at", Time(r.created_at)},
                      {"updated_at", Time(r.updated_at)}};
}

json::object SubscriptionJson(const SubscriptionRecord& s, int64_t last_seq) {
  json::array types;
  for (std::string_view rest = s.types; !rest.empty();) {
    size_t comma = rest.find(',');
    types.emplace_back(J(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return json::object{{"name", J(s.name)},
                      {"cursor", s.cursor},
                      {"types", std::move(types)},
                      {"lag", std::max<int64_t>(0, last_seq - s.cursor)},
                      {"created_at", Time(s.created_at)},
                      {"updated_at", Time(s.updated_at)}};
}

json::object InboundJson(const InboundRecord& r, bool with_body) {
  boost::system::error_code ec;
  json::value headers = json::parse(J(r.headers), ec);
  json::object o{{"id", r.id},
                 {"received_at", Time(r.received_at)},
                 {"source", J(r.source)},
                 {"kind", J(r.kind)},
                 {"key", J(r.key)},
                 {"outcome", J(r.outcome)},
                 {"result", J(r.result)}};
  if (with_body) {
    o["headers"] = ec ? json::value(json::object()) : headers;
    o["body"] = J(r.body);
  }
  return o;
}

json::object ReportJson(const ReprocessReport& r) {
  json::array changes, errors;
  for (const FieldChange& c : r.changes) {
    changes.push_back(
        json::object{{"pointer", J(c.pointer)}, {"before", J(c.before)}, {"after", J(c.after)}});
  }
  for (const FieldError& e : r.errors) {
    errors.push_back(json::object{{"pointer", J(e.pointer)}, {"detail", J(e.detail)}});
  }
  return json::object{{"inbound_id", r.inbound_id},  {"outcome", J(r.outcome)},
                      {"order_id", J(r.order_id)},   {"changes", std::move(changes)},
                      {"errors", std::move(errors)}, {"applied", r.applied}};
}

// Splits "/v1/dead-letters/17/retry" after `prefix` into ("17", "retry").
std::pair<std::string_view, std::string_view> Tail(std::string_view path, std::string_view prefix) {
  std::string_view rest = path.substr(prefix.size());
  if (rest.starts_with("/")) rest.remove_prefix(1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, {}};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

std::optional<int64_t> ToId(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// Parses a JSON object body (an empty body is an empty object).

}  // namespace

OrderDecoder MappedSourceDecoder(SourceLookup lookup) {
  return [lookup = std::move(lookup)](const InboundRecord& m) -> Decoded<Order> {
    std::optional<SourceMapping> source = lookup(m.source);
    Decoded<Order> out;
    if (!source) {
      if (!m.source.starts_with("webhook:")) return DecodeCanonicalMessage(m);
      out.errors.push_back({"", StrCat("the channel ", m.source.substr(8),
                                       " no longer takes orders by webhook: no mapping")});
      return out;
    }
    absl::StatusOr<mapping::ParsedPayload> payload =
        mapping::ParsePayload(*source->mapping, m.body);
    if (!payload.ok()) {
      out.errors.push_back({"", std::string(payload.status().message())});
      return out;
    }
    return connectors::MapWebhookOrder(*source->mapping, source->channel, payload->value,
                                       payload->format);
  };
}

bool DeliveryApi::Owns(std::string_view path) {
  for (std::string_view p : {"/v1/deliveries", "/v1/outbox", "/v1/dead-letters", "/v1/replays",
                             "/v1/subscriptions", "/v1/inbound", "/v1/audit"}) {
    if (path == p || (path.starts_with(p) && path.size() > p.size() && path[p.size()] == '/')) {
      return true;
    }
  }
  return false;
}

void DeliveryApi::Handle(const HttpRequest& req, const Principal& who, Responder respond) {
  const std::string path(req.Path());
  const std::string& method = req.method;
  const bool reading = method == "GET";
  if (!who.HasScope(reading ? kScopeRead : kScopeOperate)) {
    return std::move(respond)(
        Problem(403, "forbidden", "Not allowed",
                StrCat("the key ", who.partner, "/", who.key_id, " lacks the scope ",
                       reading ? kScopeRead : kScopeOperate),
                path));
  }
  const OperatorAction actor{.actor = StrCat(who.partner, "/", who.key_id)};
  auto answer = [&](HttpResponse r) { std::move(respond)(std::move(r)); };
  auto fail = [&](const absl::Status& s) { answer(FromStatus(s, path)); };
  Store* store = deps_.store;

  // GET /v1/deliveries
  if (path == "/v1/deliveries") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    json::array subs;
    auto depths = store->OutboxDepths();
    if (!depths.ok()) return fail(depths.status());
    if (deps_.deliverer != nullptr) {
      for (const SubscriberStatus& s : deps_.deliverer->Status()) {
        json::object o{{"name", J(s.name)},
                       {"circuit", J(s.circuit)},
                       {"waiting", s.waiting},
                       {"in_flight", s.in_flight},
                       {"delivered_since_start", s.delivered},
                       {"dead_lettered_since_start", s.dead}};
        for (const OutboxDepth& d : *depths) {
          if (d.subscriber != s.name) continue;
          o["pending"] = d.pending;
          o["dead"] = d.dead;
          if (d.pending > 0) o["oldest_pending_at"] = Time(d.oldest_pending);
        }
        subs.push_back(std::move(o));
      }
    }
    return answer(Json(200, json::object{{"subscribers", std::move(subs)}}));
  }

  // Outbox
  if (path == "/v1/outbox") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    Query q = ParseQuery(req, {"subscriber", "state", "limit", "cursor"});
    if (q.error) return answer(*q.error);
    int64_t limit = 0, cursor = 0;
    if (auto e = IntParam(q, req, "limit", 1, 1000, 50, limit)) return answer(*e);
    if (auto e = IntParam(q, req, "cursor", 0, INT64_MAX, 0, cursor)) return answer(*e);
    auto rows =
        store->ListOutbox(q.Get("subscriber"), q.Get("state"), cursor, static_cast<int>(limit));
    if (!rows.ok()) return fail(rows.status());
    json::array items;
    for (const OutboxRecord& o : *rows) items.push_back(OutboxJson(o));
    json::object page{{"messages", std::move(items)}};
    if (static_cast<int64_t>(rows->size()) == limit) page["next_cursor"] = rows->back().id;
    return answer(Json(200, page));
  }
  if (path.starts_with("/v1/outbox/")) {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    auto [id_text, rest] = Tail(path, "/v1/outbox");
    auto id = ToId(id_text);
    if (!id || !rest.empty())
      return answer(Problem(404, "not-found", "Not found", "no such route", path));
    auto rec = store->GetOutbox(*id);
    if (!rec.ok()) return fail(rec.status());
    if (!*rec)
      return answer(
          Problem(404, "not-found", "Not found", StrCat("no outbox message ", *id), path));
    auto attempts = store->ListDeliveryAttempts(*id);
    if (!attempts.ok()) return fail(attempts.status());
    json::object o = OutboxJson(**rec);
    json::array a;
    for (const auto& x : *attempts) a.push_back(AttemptJson(x));
    o["attempt_log"] = std::move(a);
    return answer(Json(200, o));
  }

  // Dead letters
  if (path == "/v1/dead-letters") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    Query q = ParseQuery(req, {"kind", "partner", "state", "cause", "type", "limit", "cursor"});
    if (q.error) return answer(*q.error);
    int64_t limit = 0, cursor = 0;
    if (auto e = IntParam(q, req, "limit", 1, 1000, 50, limit)) return answer(*e);
    if (auto e = IntParam(q, req, "cursor", 0, INT64_MAX, 0, cursor)) return answer(*e);
    auto rows = store->ListDeadLetters({.kind = q.Get("kind"),
                                        .partner = q.Get("partner"),
                                        .state = q.Get("state"),
                                        .cause = q.Get("cause"),
                                        .message_type = q.Get("type"),
                                        .before_id = cursor,
                                        .limit = static_cast<int>(limit)});
    if (!rows.ok()) return fail(rows.status());
    json::array items;
    for (const auto& d : *rows) items.push_back(DeadLetterJson(d, /*with_bytes=*/false));
    json::object page{{"dead_letters", std::move(items)}};
    if (static_cast<int64_t>(rows->size()) == limit) page["next_cursor"] = rows->back().id;
    return answer(Json(200, page));
  }
  if (path == "/v1/dead-letters/retry") {
    if (method != "POST") return answer(MethodNotAllowed("POST", path));
    json::object body;
    if (auto e = BodyObject(req, body)) return answer(*e);
    std::vector<int64_t> ids;
    if (const json::value* list = body.if_contains("ids")) {
      if (!list->is_array()) {
        return answer(Problem(422, "invalid-request", "The request is not valid",
                              "ids must be a list of dead-letter ids", path));
      }
      for (const json::value& v : list->as_array()) {
        if (!v.is_int64()) {
          return answer(Problem(422, "invalid-request", "The request is not valid",
                                "ids must be a list of dead-letter ids", path));
        }
        ids.push_back(v.as_int64());
      }
    } else {
      int64_t limit = 1000;
      if (const json::value* l = body.if_contains("limit"); l != nullptr && l->is_int64()) {
        limit = std::clamp<int64_t>(l->as_int64(), 1, 10'000);
      }
      auto rows = store->ListDeadLetters({.kind = "delivery",
                                          .partner = StringField(body, "partner"),
                                          .state = "parked",
                                          .cause = StringField(body, "cause"),
                                          .message_type = StringField(body, "type"),
                                          .limit = static_cast<int>(limit)});
      if (!rows.ok()) return fail(rows.status());
      for (const auto& d : *rows) ids.push_back(d.id);
    }
    OperatorAction action = actor;
    action.reason = StringField(body, "reason");
    Deliverer* deliverer = deps_.deliverer;
    RetryDeadLetters(deps_.queue, deps_.clock, std::move(ids), std::move(action),
                     [respond = std::move(respond), deliverer,
                      path](absl::StatusOr<DeadLetterRetryResult> r) mutable {
                       if (!r.ok()) return std::move(respond)(FromStatus(r.status(), path));
                       if (deliverer != nullptr) deliverer->Requeue(r->outbox_ids);
                       json::array retried, skipped;
                       for (int64_t id : r->retried) retried.emplace_back(id);
                       for (const auto& [id, why] : r->skipped) {
                         skipped.push_back(json::object{{"id", id}, {"reason", J(why)}});
                       }
                       std::move(respond)(Json(200, json::object{{"retried", std::move(retried)},
                                                                 {"skipped", std::move(skipped)}}));
                     });
    return;
  }
  if (path.starts_with("/v1/dead-letters/")) {
    auto [id_text, action_name] = Tail(path, "/v1/dead-letters");
    auto id = ToId(id_text);
    if (!id)
      return answer(
          Problem(404, "not-found", "Not found", StrCat("no dead letter ", id_text), path));
    if (action_name.empty()) {
      if (!reading) return answer(MethodNotAllowed("GET", path));
      auto d = store->GetDeadLetter(*id);
      if (!d.ok()) return fail(d.status());
      if (!*d)
        return answer(Problem(404, "not-found", "Not found", StrCat("no dead letter ", *id), path));
      json::object o = DeadLetterJson(**d, /*with_bytes=*/true);
      if ((*d)->kind == "delivery") {
        auto attempts = store->ListDeliveryAttempts((*d)->ref);
        if (!attempts.ok()) return fail(attempts.status());
        json::array a;
        for (const auto& x : *attempts) a.push_back(AttemptJson(x));
        o["attempt_log"] = std::move(a);
      }
      return answer(Json(200, o));
    }
    if (method != "POST") return answer(MethodNotAllowed("POST", path));
    json::object body;
    if (auto e = BodyObject(req, body)) return answer(*e);
    OperatorAction action = actor;
    action.reason = StringField(body, "reason");
    if (action_name == "retry") {
      Deliverer* deliverer = deps_.deliverer;
      RetryDeadLetters(
          deps_.queue, deps_.clock, {*id}, std::move(action),
          [respond = std::move(respond), deliverer,
           path](absl::StatusOr<DeadLetterRetryResult> r) mutable {
            if (!r.ok()) return std::move(respond)(FromStatus(r.status(), path));
            if (!r->skipped.empty()) {
              const auto& [sid, why] = r->skipped.front();
              return std::move(respond)(
                  Problem(why == "no such dead letter" ? 404 : 409,
                          why == "no such dead letter" ? "not-found" : "conflict", "Cannot retry",
                          StrCat("dead letter ", sid, ": ", why), path));
            }
            if (deliverer != nullptr) deliverer->Requeue(r->outbox_ids);
            std::move(respond)(Json(200, json::object{{"retried", json::array{r->retried[0]}},
                                                      {"outbox_id", r->outbox_ids[0]}}));
          });
      return;
    }
    if (action_name == "discard") {
      if (action.reason.empty()) {
        return answer(Problem(422, "invalid-request", "The request is not valid",
                              "give the reason for discarding: {\"reason\": \"…\"}", path,
                              {{"#/reason", "is required"}}));
      }
      DiscardDeadLetter(deps_.queue, deps_.clock, *id, std::move(action),
                        [respond = std::move(respond), path, id = *id](absl::Status s) mutable {
                          if (!s.ok()) return std::move(respond)(FromStatus(s, path));
                          std::move(respond)(Json(200, json::object{{"discarded", id}}));
                        });
      return;
    }
    return answer(Problem(
        404, "not-found", "Not found",
        StrCat("dead letters have no action \"", action_name, "\" (retry, discard)"), path));
  }

  // Replays
  if (path == "/v1/replays") {
    if (reading) {
      auto rows = store->ListReplays();
      if (!rows.ok()) return fail(rows.status());
      json::array items;
      for (const auto& r : *rows) items.push_back(ReplayJson(r));
      return answer(Json(200, json::object{{"replays", std::move(items)}}));
    }
    if (method != "POST") return answer(MethodNotAllowed("GET, POST", path));
    if (deps_.replayer == nullptr) {
      return answer(Problem(409, "conflict", "No subscribers",
                            "no subscribers are configured, so there is nothing to replay to",
                            path));
    }
    json::object body;
    if (auto e = BodyObject(req, body)) return answer(*e);
    std::string subscriber = StringField(body, "subscriber");
    if (subscriber.empty()) {
      return answer(Problem(422, "invalid-request", "The request is not valid",
                            "name the subscriber to replay to", path,
                            {{"#/subscriber", "is required"}}));
    }
    auto filter = ReplayFilter::FromJson(req.body);
    if (!filter.ok()) return fail(filter.status());
    deps_.replayer->Begin(
        deps_.ids->Next("rpl"), subscriber, *std::move(filter), actor,
        [respond = std::move(respond), path](absl::StatusOr<ReplayRecord> r) mutable {
          if (!r.ok()) return std::move(respond)(FromStatus(r.status(), path));
          HttpResponse resp = Json(202, ReplayJson(*r));
          resp.headers.emplace_back("Location", StrCat("/v1/replays/", r->id));
          std::move(respond)(std::move(resp));
        });
    return;
  }
  if (path.starts_with("/v1/replays/")) {
    auto [id, action_name] = Tail(path, "/v1/replays");
    if (action_name.empty()) {
      if (!reading) return answer(MethodNotAllowed("GET", path));
      auto r = store->GetReplay(std::string(id));
      if (!r.ok()) return fail(r.status());
      if (!*r)
        return answer(Problem(404, "not-found", "Not found", StrCat("no replay ", id), path));
      return answer(Json(200, ReplayJson(**r)));
    }
    if (action_name != "cancel")
      return answer(Problem(404, "not-found", "Not found", "no such route", path));
    if (method != "POST") return answer(MethodNotAllowed("POST", path));
    if (deps_.replayer == nullptr)
      return answer(Problem(404, "not-found", "Not found", "no replays", path));
    json::object body;
    if (auto e = BodyObject(req, body)) return answer(*e);
    OperatorAction action = actor;
    action.reason = StringField(body, "reason");
    absl::Status s = deps_.replayer->Cancel(std::string(id), std::move(action));
    if (!s.ok()) return fail(s);
    return answer(Json(202, json::object{{"cancelling", J(id)}}));
  }

  // Pull subscriptions
  if (path == "/v1/subscriptions") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    auto rows = store->ListSubscriptions();
    auto last = store->LastEventSeq();
    if (!rows.ok()) return fail(rows.status());
    if (!last.ok()) return fail(last.status());
    json::array items;
    for (const auto& s : *rows) items.push_back(SubscriptionJson(s, *last));
    return answer(Json(200, json::object{{"subscriptions", std::move(items)}}));
  }
  if (path.starts_with("/v1/subscriptions/")) {
    auto [name, action_name] = Tail(path, "/v1/subscriptions");
    auto last = store->LastEventSeq();
    if (!last.ok()) return fail(last.status());
    if (action_name.empty()) {
      if (reading) {
        auto s = store->GetSubscription(std::string(name));
        if (!s.ok()) return fail(s.status());
        if (!*s)
          return answer(
              Problem(404, "not-found", "Not found", StrCat("no subscription ", name), path));
        return answer(Json(200, SubscriptionJson(**s, *last)));
      }
      if (method != "PUT") return answer(MethodNotAllowed("GET, PUT", path));
      bool valid_name =
          !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
          });
      if (!valid_name) {
        return answer(Problem(422, "invalid-request", "The request is not valid",
                              "a subscription name is 1 to 100 letters, digits, '-', '_' or '.'",
                              path));
      }
      json::object body;
      if (auto e = BodyObject(req, body)) return answer(*e);
      std::vector<std::string> types;
      if (const json::value* t = body.if_contains("types")) {
        if (!t->is_array()) {
          return answer(Problem(422, "invalid-request", "The request is not valid",
                                "types must be a list of event types or prefixes ending in *",
                                path));
        }
        for (const json::value& x : t->as_array()) {
          if (!x.is_string()) {
            return answer(Problem(422, "invalid-request", "The request is not valid",
                                  "types must be a list of event types or prefixes ending in *",
                                  path));
          }
          types.emplace_back(x.as_string());
        }
      }
      int64_t cursor = *last;  // default: from now on
      if (const json::value* from = body.if_contains("from")) {
        if (from->is_string() && from->as_string() == "start") {
          cursor = 0;
        } else if (from->is_string() && from->as_string() == "now") {
          cursor = *last;
        } else if (from->is_int64() && from->as_int64() >= 0 && from->as_int64() <= *last) {
          cursor = from->as_int64();
        } else {
          return answer(
              Problem(422, "invalid-request", "The request is not valid",
                      StrCat("from must be \"start\", \"now\" or a seq from 0 to ", *last), path));
        }
      }
      PutSubscription(deps_.queue, deps_.clock, std::string(name), std::move(types), cursor, actor,
                      [respond = std::move(respond), path,
                       last = *last](absl::StatusOr<SubscriptionRecord> s) mutable {
                        if (!s.ok()) return std::move(respond)(FromStatus(s.status(), path));
                        std::move(respond)(Json(200, SubscriptionJson(*s, last)));
                      });
      return;
    }
    if (action_name == "events") {
      if (!reading) return answer(MethodNotAllowed("GET", path));
      return answer(SubscriptionEvents(req, std::string(name)));
    }
    if (action_name == "ack") {
      if (method != "POST") return answer(MethodNotAllowed("POST", path));
      json::object body;
      if (auto e = BodyObject(req, body)) return answer(*e);
      const json::value* seq = body.if_contains("seq");
      if (seq == nullptr || !seq->is_int64()) {
        return answer(Problem(422, "invalid-request", "The request is not valid",
                              "give the last seq processed: {\"seq\": N}", path,
                              {{"#/seq", "is required"}}));
      }
      AckSubscription(deps_.queue, deps_.clock, std::string(name), seq->as_int64(), *last,
                      [respond = std::move(respond), path,
                       last = *last](absl::StatusOr<SubscriptionRecord> s) mutable {
                        if (!s.ok()) return std::move(respond)(FromStatus(s.status(), path));
                        std::move(respond)(Json(200, SubscriptionJson(*s, last)));
                      });
      return;
    }
    return answer(Problem(404, "not-found", "Not found", "no such route", path));
  }

  // Inbound archive
  if (path == "/v1/inbound") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    Query q = ParseQuery(req, {"source", "limit", "cursor"});
    if (q.error) return answer(*q.error);
    int64_t limit = 0, cursor = 0;
    if (auto e = IntParam(q, req, "limit", 1, 1000, 50, limit)) return answer(*e);
    if (auto e = IntParam(q, req, "cursor", 0, INT64_MAX, 0, cursor)) return answer(*e);
    auto rows = store->ListInbound(q.Get("source"), cursor, static_cast<int>(limit));
    if (!rows.ok()) return fail(rows.status());
    json::array items;
    for (const auto& r : *rows) items.push_back(InboundJson(r, /*with_body=*/false));
    json::object page{{"messages", std::move(items)}};
    if (static_cast<int64_t>(rows->size()) == limit) page["next_cursor"] = rows->back().id;
    return answer(Json(200, page));
  }
  if (path == "/v1/inbound/reprocess") {
    if (method != "POST") return answer(MethodNotAllowed("POST", path));
    if (deps_.reprocessor == nullptr)
      return answer(Problem(404, "not-found", "Not found", "no reprocessing", path));
    json::object body;
    if (auto e = BodyObject(req, body)) return answer(*e);
    auto int_field = [&](const char* k, int64_t fallback) {
      const json::value* v = body.if_contains(k);
      return v != nullptr && v->is_int64() ? v->as_int64() : fallback;
    };
    const int64_t from_id = int_field("from_id", 1);
    const int64_t to_id = int_field("to_id", INT64_MAX);
    const int64_t limit = std::clamp<int64_t>(int_field("limit", 100), 1, 1000);
    const json::value* dry = body.if_contains("dry_run");
    if (dry != nullptr && !dry->is_bool()) {
      return answer(Problem(422, "invalid-request", "The request is not valid",
                            "dry_run must be true or false", path));
    }
    if (dry != nullptr && !dry->as_bool()) {
      return answer(Problem(422, "invalid-request", "The request is not valid",
                            "bulk reprocessing is a dry run; apply one message at a time with "
                            "POST /v1/inbound/{id}/reprocess?dry_run=false",
                            path));
    }
    // A candidate mapping (the text of a mapping file) for the messages of one mapped
    // source (a channel's webhooks, a poller's orders): what they would become if it were in
    // effect. A dry run only.
    std::optional<OrderDecoder> candidate;
    const std::string source = StringField(body, "source");
    if (const json::value* text = body.if_contains("mapping")) {
      std::optional<SourceMapping> known =
          deps_.sources ? deps_.sources(source) : std::optional<SourceMapping>();
      if (!known && source.starts_with("webhook:"))
        known = SourceMapping{.channel = source.substr(8)};
      if (!text->is_string() || !known) {
        return answer(Problem(422, "invalid-request", "The request is not valid",
                              "mapping is the text of a mapping file, for the messages of one "
                              "mapped source: give source \"webhook:CHANNEL\" or a polling "
                              "connector's name with it",
                              path));
      }
      absl::StatusOr<mapping::Mapping> parsed =
          mapping::Mapping::Parse(std::string(text->as_string()), "candidate mapping");
      if (!parsed.ok()) {
        return answer(Problem(422, "invalid-mapping", "The candidate mapping does not compile",
                              std::string(parsed.status().message()), path));
      }
      if (parsed->target() != "order") {
        return answer(Problem(422, "invalid-mapping", "The candidate mapping does not compile",
                              StrCat("it maps to ", parsed->target(), "; orders need to: order"),
                              path));
      }
      SourceMapping with{.mapping = std::make_shared<const mapping::Mapping>(*std::move(parsed)),
                         .channel = known->channel};
      candidate = MappedSourceDecoder(
          [with](const std::string&) { return std::optional<SourceMapping>(with); });
    }
    // Oldest first, from from_id: the archive lists newest first, so page backwards from
    // to_id and reverse.
    auto rows = store->ListInbound(source, to_id == INT64_MAX ? 0 : to_id + 1, 1000);
    if (!rows.ok()) return fail(rows.status());
    std::vector<InboundRecord> picked;
    for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
      if (it->id < from_id) continue;
      if (static_cast<int64_t>(picked.size()) == limit) break;
      picked.push_back(*it);
    }
    json::array reports;
    json::object counts;
    for (const InboundRecord& m : picked) {
      auto report = deps_.reprocessor->Plan(m, candidate ? &*candidate : nullptr);
      if (!report.ok()) return fail(report.status());
      counts[report->outcome] =
          (counts.contains(report->outcome) ? counts[report->outcome].as_int64() : 0) + 1;
      reports.push_back(ReportJson(*report));
    }
    json::object out{
        {"dry_run", true}, {"counts", std::move(counts)}, {"reports", std::move(reports)}};
    if (candidate) out["mapping"] = "candidate";
    if (static_cast<int64_t>(picked.size()) == limit) out["next_from_id"] = picked.back().id + 1;
    return answer(Json(200, out));
  }
  if (path.starts_with("/v1/inbound/")) {
    auto [id_text, rest] = Tail(path, "/v1/inbound");
    if (rest == "reprocess") {
      if (method != "POST") return answer(MethodNotAllowed("POST", path));
      if (deps_.reprocessor == nullptr)
        return answer(Problem(404, "not-found", "Not found", "no reprocessing", path));
      auto id = ToId(id_text);
      if (!id)
        return answer(
            Problem(404, "not-found", "Not found", StrCat("no inbound message ", id_text), path));
      Query q = ParseQuery(req, {"dry_run"});
      if (q.error) return answer(*q.error);
      std::string dry = q.Get("dry_run");
      if (!dry.empty() && dry != "true" && dry != "false") {
        return answer(BadQuery("dry_run", "must be true or false", path));
      }
      auto m = store->GetInbound(*id);
      if (!m.ok()) return fail(m.status());
      if (!*m)
        return answer(
            Problem(404, "not-found", "Not found", StrCat("no inbound message ", *id), path));
      if (dry != "false") {
        auto report = deps_.reprocessor->Plan(**m);
        if (!report.ok()) return fail(report.status());
        json::object o = ReportJson(*report);
        o["dry_run"] = true;
        return answer(Json(200, o));
      }
      deps_.reprocessor->Apply(
          **m, actor.actor,
          [respond = std::move(respond), path](absl::StatusOr<ReprocessReport> r) mutable {
            if (!r.ok()) return std::move(respond)(FromStatus(r.status(), path));
            json::object o = ReportJson(*r);
            o["dry_run"] = false;
            std::move(respond)(Json(200, o));
          });
      return;
    }
    if (!reading) return answer(MethodNotAllowed("GET", path));
    auto id = ToId(id_text);
    if (!id || !rest.empty())
      return answer(Problem(404, "not-found", "Not found", "no such route", path));
    auto r = store->GetInbound(*id);
    if (!r.ok()) return fail(r.status());
    if (!*r)
      return answer(
          Problem(404, "not-found", "Not found", StrCat("no inbound message ", *id), path));
    return answer(Json(200, InboundJson(**r, /*with_body=*/true)));
  }

  // Audit
  if (path == "/v1/audit") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    Query q = ParseQuery(req, {"after", "limit"});
    if (q.error) return answer(*q.error);
    int64_t after = 0, limit = 0;
    if (auto e = IntParam(q, req, "after", 0, INT64_MAX, 0, after)) return answer(*e);
    if (auto e = IntParam(q, req, "limit", 1, 1000, 100, limit)) return answer(*e);
    auto rows = store->ListAudit(after, static_cast<int>(limit));
    if (!rows.ok()) return fail(rows.status());
    json::array items;
    for (const auto& a : *rows) {
      items.push_back(json::object{{"id", a.id},
                                   {"at", Time(a.at)},
                                   {"actor", J(a.actor)},
                                   {"action", J(a.action)},
                                   {"target", J(a.target)},
                                   {"detail", J(a.detail)}});
    }
    return answer(Json(200, json::object{{"entries", std::move(items)}}));
  }
  return answer(Problem(404, "not-found", "Not found", StrCat("no route for ", path), path));
}

HttpResponse DeliveryApi::SubscriptionEvents(const HttpRequest& req, const std::string& name) {
  const std::string path(req.Path());
  Query q = ParseQuery(req, {"subscription", "limit"});
  if (q.error) return *q.error;
  int64_t limit = 0;
  if (auto e = IntParam(q, req, "limit", 1, 1000, 100, limit)) return *e;
  auto sub = deps_.store->GetSubscription(name);
  if (!sub.ok()) return FromStatus(sub.status(), path);
  if (!*sub) return Problem(404, "not-found", "Not found", StrCat("no subscription ", name), path);
  EventQuery eq{.after = (*sub)->cursor, .limit = static_cast<int>(limit)};
  for (std::string_view rest = (*sub)->types; !rest.empty();) {
    size_t comma = rest.find(',');
    eq.types.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  auto events = deps_.store->QueryEvents(eq);
  if (!events.ok()) return FromStatus(events.status(), path);
  // The page says how far it read: acknowledging next_after skips events that did not
  // match the subscription's types too.
  HttpResponse r;
  r.body = EventPageJson(*events, (*sub)->cursor);
  return r;
}

}  // namespace disthub
