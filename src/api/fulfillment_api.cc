#include "api/fulfillment_api.h"

#include <boost/json.hpp>
#include <map>
#include <utility>
#include <vector>

#include "api/json_route.h"
#include "base/strings.h"

namespace disthub {
namespace {

namespace json = boost::json;
using orchestration::Answer;
using orchestration::Verdict;

constexpr std::string_view kScopeFulfillmentWrite = "fulfillment:write";
constexpr size_t kMaxShipmentLines = 10'000;

json::value ParsedOr(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(J(text)) : v;
}

HttpResponse AnswerResponse(const absl::StatusOr<Answer>& a, std::string_view path,
                            bool created = false) {
  if (!a.ok()) return FromStatus(a.status(), path);
  switch (a->verdict) {
    case Verdict::kNotFound:
      return Problem(404, "not-found", "Not found", a->reason, path);
    case Verdict::kRefused:
      return Problem(409, "refused", "Not possible in the order's current state", a->reason, path);
    default:
      break;
  }
  json::object o{{"outcome", J(orchestration::VerdictName(a->verdict))},
                 {"reason", J(a->reason)},
                 {"order_id", J(a->order_id)},
                 {"order_status", J(a->order_status)}};
  if (!a->fulfillment_id.empty()) {
    o["fulfillment_id"] = J(a->fulfillment_id);
    o["fulfillment_state"] = J(a->fulfillment_state);
  }
  if (!a->return_id.empty()) {
    o["return_id"] = J(a->return_id);
    o["return_state"] = J(a->return_state);
    o["url"] = J(StrCat("/v1/returns/", a->return_id));
  }
  return Json(created && a->verdict == Verdict::kApplied ? 201 : 200, o);
}

json::object ReturnJson(const ReturnRecord& r) {
  return json::object{{"id", J(r.id)},
                      {"order_id", J(r.order_id)},
                      {"location", J(r.location)},
                      {"state", J(r.state)},
                      {"version", r.version},
                      {"created_at", J(disthub::FormatTime(r.created_at))},
                      {"updated_at", J(disthub::FormatTime(r.updated_at))},
                      {"detail", ParsedOr(r.body)}};
}

// The "lines" member of a return request, receipt or inspection: [{"line", QTY_KEY,
// "reason"?, "restock"?}], each error with its path.
std::vector<orchestration::ReturnLine> ReturnLines(const json::object& body,
                                                   std::string_view qty_key, bool inspection,
                                                   Fields& f, std::vector<ProblemError>& errors) {
  std::vector<orchestration::ReturnLine> out;
  const json::value* lines = body.if_contains("lines");
  if (lines == nullptr || !lines->is_array() || lines->as_array().empty()) {
    f.Error("lines", StrCat("list the lines: [{\"line\", \"", qty_key, "\"}]"));
    return out;
  }
  if (lines->as_array().size() > kMaxShipmentLines) {
    f.Error("lines", StrCat("at most ", kMaxShipmentLines, " lines"));
    return out;
  }
  const json::array& a = lines->as_array();
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_object()) {
      f.Error(StrCat("lines/", i), "must be an object");
      continue;
    }
    Fields l(a[i].as_object(), StrCat("#/lines/", i), errors);
    auto line = l.Int("line", true, 1, 1'000'000);
    auto quantity = l.Int(qty_key, true, inspection ? 0 : 1);
    orchestration::ReturnLine r{.reason = l.Str(inspection ? "note" : "reason", false),
                                .restock = !l.Has("restock") || l.Bool("restock")};
    if (line && quantity) {
      r.line = static_cast<int>(*line);
      r.quantity = *quantity;
      out.push_back(std::move(r));
    }
  }
  return out;
}

json::object FulfillmentJson(const FulfillmentRecord& f) {
  return json::object{{"id", J(f.id)},
                      {"order_id", J(f.order_id)},
                      {"location", J(f.location)},
                      {"state", J(f.state)},
                      {"attempt", f.attempt},
                      {"version", f.version},
                      {"created_at", J(disthub::FormatTime(f.created_at))},
                      {"updated_at", J(disthub::FormatTime(f.updated_at))},
                      {"detail", ParsedOr(f.body)}};
}

// "/v1/orders/ID/SUFFIX" → (ID, SUFFIX); ("", "") when the path is not of that shape.
std::pair<std::string, std::string> Split(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return {};
  std::string_view rest = path.substr(prefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {std::string(rest), ""};
  return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

}  // namespace

bool FulfillmentApi::Owns(std::string_view path) {
  if (path.starts_with("/v1/fulfillments/") || path.starts_with("/v1/returns/")) return true;
  auto [id, suffix] = Split(path, "/v1/orders/");
  return !id.empty() && !suffix.empty();
}

void FulfillmentApi::Handle(const HttpRequest& req, const Principal& who, Responder respond) {
  const std::string path(req.Path());
  auto answer = [&](HttpResponse r) { std::move(respond)(std::move(r)); };
  auto lacks = [&](std::string_view scope) -> std::optional<HttpResponse> {
    if (who.HasScope(scope)) return std::nullopt;
    return Problem(403, "forbidden", "Not allowed",
                   StrCat("the key ", who.partner, "/", who.key_id, " lacks the scope ", scope),
                   path);
  };

  if (path.starts_with("/v1/fulfillments/")) {
    auto [id, action] = Split(path, "/v1/fulfillments/");
    if (action.empty()) {
      if (req.method != "GET") return answer(MethodNotAllowed("GET", path));
      if (auto denied = lacks(kScopeOrdersRead)) return answer(*denied);
      auto f = store_->GetFulfillment(id);
      if (!f.ok()) return answer(FromStatus(f.status(), path));
      if (!f->has_value()) {
        return answer(
            Problem(404, "not-found", "Not found", StrCat("no fulfillment order ", id), path));
      }
      auto order = store_->GetOrder((*f)->order_id);
      if (!order.ok()) return answer(FromStatus(order.status(), path));
      if (!order->has_value() || !who.MayUseChannel((*order)->channel)) {
        return answer(
            Problem(404, "not-found", "Not found", StrCat("no fulfillment order ", id), path));
      }
      return answer(Json(200, FulfillmentJson(**f)));
    }
    if (action != "acknowledgement" && action != "shipments" && action != "cancellation") {
      return answer(Problem(404, "not-found", "Not found", StrCat("no route for ", path), path));
    }
    if (req.method != "POST") return answer(MethodNotAllowed("POST", path));
    if (auto denied = lacks(kScopeFulfillmentWrite)) return answer(*denied);
    return FulfillmentCommand(req, who, id, action, std::move(respond));
  }

  if (path.starts_with("/v1/returns/")) {
    auto [id, action] = Split(path, "/v1/returns/");
    if (action.empty()) {
      if (req.method != "GET") return answer(MethodNotAllowed("GET", path));
      if (auto denied = lacks(kScopeOrdersRead)) return answer(*denied);
      auto r = store_->GetReturn(id);
      if (!r.ok()) return answer(FromStatus(r.status(), path));
      std::optional<OrderRecord> order;
      if (r->has_value()) {
        auto o = store_->GetOrder((*r)->order_id);
        if (!o.ok()) return answer(FromStatus(o.status(), path));
        order = *o;
      }
      if (!order.has_value() || !who.MayUseChannel(order->channel)) {
        return answer(Problem(404, "not-found", "Not found", StrCat("no return ", id), path));
      }
      return answer(Json(200, ReturnJson(**r)));
    }
    if (action != "receipt" && action != "inspection") {
      return answer(Problem(404, "not-found", "Not found", StrCat("no route for ", path), path));
    }
    if (req.method != "POST") return answer(MethodNotAllowed("POST", path));
    if (auto denied = lacks(kScopeFulfillmentWrite)) return answer(*denied);
    json::object body;
    if (auto bad = BodyObject(req, body)) return answer(*bad);
    std::vector<ProblemError> errors;
    Fields f(body, "#", errors);
    const bool inspection = action == "inspection";
    std::vector<orchestration::ReturnLine> lines =
        ReturnLines(body, inspection ? "accepted" : "quantity", inspection, f, errors);
    if (!errors.empty()) return answer(Invalid(path, errors));
    std::string key(req.Header("idempotency-key"));
    orchestration::Cause cause{
        .id = key.empty() ? StrCat(action, ":", id) : key,
        .inbound =
            ArchivedInbound(archive_inbound_, req, who, StrCat("return.", action), clock_->Now())};
    auto done = [path, respond = std::move(respond)](absl::StatusOr<Answer> a) mutable {
      std::move(respond)(AnswerResponse(a, path));
    };
    if (inspection)
      return lifecycle_->InspectReturn(id, std::move(lines), std::move(cause), std::move(done));
    return lifecycle_->ReceiveReturn(id, std::move(lines), std::move(cause), std::move(done));
  }

  auto [order_id, action] = Split(path, "/v1/orders/");
  if (action == "returns" && req.method == "POST") {
    if (auto denied = lacks(kScopeOrdersWrite)) return answer(*denied);
    auto order = store_->GetOrder(order_id);
    if (!order.ok()) return answer(FromStatus(order.status(), path));
    if (!order->has_value() || !who.MayUseChannel((*order)->channel)) {
      return answer(Problem(404, "not-found", "Not found", StrCat("no order ", order_id), path));
    }
    json::object body;
    if (auto bad = BodyObject(req, body)) return answer(*bad);
    std::vector<ProblemError> errors;
    Fields f(body, "#", errors);
    orchestration::ReturnRequest in{.reference = f.Str("reference")};
    in.lines = ReturnLines(body, "quantity", false, f, errors);
    if (!errors.empty()) return answer(Invalid(path, errors));
    orchestration::Cause cause{
        .id = StrCat("return:", in.reference),
        .inbound = ArchivedInbound(archive_inbound_, req, who, "return.request", clock_->Now())};
    return lifecycle_->RequestReturn(
        order_id, std::move(in), std::move(cause),
        [path, respond = std::move(respond)](absl::StatusOr<Answer> a) mutable {
          std::move(respond)(AnswerResponse(a, path, /*created=*/true));
        });
  }
  const bool reading = action == "timeline" || action == "fulfillments" || action == "returns";
  const bool releasing = action == "credit-release";
  if (!reading && action != "cancel" && !releasing) {
    return answer(Problem(404, "not-found", "Not found", StrCat("no route for ", path), path));
  }
  if (reading && req.method != "GET") return answer(MethodNotAllowed("GET", path));
  if (!reading && req.method != "POST") return answer(MethodNotAllowed("POST", path));
  // Releasing a credit hold overrides the ERP: an operator's decision, not a channel's.
  if (auto denied = lacks(reading     ? kScopeOrdersRead
                          : releasing ? std::string_view("operations:write")
                                      : kScopeOrdersWrite)) {
    return answer(*denied);
  }
  // A key limited to some channels cannot even learn that other channels' orders exist.
  auto order = store_->GetOrder(order_id);
  if (!order.ok()) return answer(FromStatus(order.status(), path));
  if (!order->has_value() || !who.MayUseChannel((*order)->channel)) {
    return answer(Problem(404, "not-found", "Not found", StrCat("no order ", order_id), path));
  }
  if (action == "timeline") return answer(Timeline(req, order_id));
  if (action == "returns") {
    auto rets = store_->ListReturns(order_id);
    if (!rets.ok()) return answer(FromStatus(rets.status(), path));
    json::array items;
    for (const ReturnRecord& r : *rets) items.push_back(ReturnJson(r));
    return answer(
        Json(200, json::object{{"order_id", J(order_id)}, {"returns", std::move(items)}}));
  }
  if (action == "fulfillments") {
    auto fos = store_->ListFulfillments(order_id);
    if (!fos.ok()) return answer(FromStatus(fos.status(), path));
    json::array items;
    for (const FulfillmentRecord& f : *fos) items.push_back(FulfillmentJson(f));
    return answer(
        Json(200, json::object{{"order_id", J(order_id)}, {"fulfillments", std::move(items)}}));
  }
  json::object body;
  if (auto bad = BodyObject(req, body)) return answer(*bad);
  std::vector<ProblemError> errors;
  Fields f(body, "#", errors);
  std::string reason = f.Str("reason", false);
  if (!errors.empty()) return answer(Invalid(path, errors));
  if (releasing) {
    if (reason.empty()) reason = StrCat("released by ", who.partner);
    orchestration::Cause cause{
        .id = req.Header("idempotency-key").empty() ? StrCat("credit-release:", order_id)
                                                    : std::string(req.Header("idempotency-key")),
        .inbound = ArchivedInbound(archive_inbound_, req, who, "credit_release", clock_->Now())};
    return lifecycle_->ReleaseHold(
        order_id, std::move(reason), std::move(cause),
        [path, respond = std::move(respond)](absl::StatusOr<Answer> a) mutable {
          std::move(respond)(AnswerResponse(a, path));
        });
  }
  if (reason.empty()) reason = StrCat("cancelled by ", who.partner);
  orchestration::Cause cause{
      .id = req.Header("idempotency-key").empty() ? StrCat("cancel:", order_id)
                                                  : std::string(req.Header("idempotency-key")),
      .inbound = ArchivedInbound(archive_inbound_, req, who, "cancellation", clock_->Now())};
  lifecycle_->Cancel(order_id, std::move(reason), std::move(cause),
                     [path, respond = std::move(respond)](absl::StatusOr<Answer> a) mutable {
                       std::move(respond)(AnswerResponse(a, path));
                     });
}

void FulfillmentApi::FulfillmentCommand(const HttpRequest& req, const Principal& who,
                                        const std::string& id, std::string_view action,
                                        Responder respond) {
  const std::string path(req.Path());
  json::object body;
  if (auto bad = BodyObject(req, body)) return std::move(respond)(*bad);
  std::vector<ProblemError> errors;
  Fields f(body, "#", errors);
  const std::string key(req.Header("idempotency-key"));
  auto cause = [&](std::string_view kind, std::string fallback) {
    return orchestration::Cause{
        .id = key.empty() ? std::move(fallback) : key,
        .inbound = ArchivedInbound(archive_inbound_, req, who, kind, clock_->Now())};
  };
  auto done = [&] {
    return [path, respond = std::move(respond)](absl::StatusOr<Answer> a) mutable {
      std::move(respond)(AnswerResponse(a, path));
    };
  };

  if (action == "acknowledgement") {
    std::string message_id = f.Str("message_id", false);
    if (!errors.empty()) return std::move(respond)(Invalid(path, errors));
    return lifecycle_->Acknowledge(
        id,
        cause("fulfillment.acknowledgement", message_id.empty() ? StrCat("ack:", id) : message_id),
        done());
  }
  if (action == "cancellation") {
    if (!f.Has("accepted")) f.Error("accepted", "is required: true or false");
    bool accepted = f.Bool("accepted");
    std::string reason = f.Str("reason", false);
    if (!errors.empty()) return std::move(respond)(Invalid(path, errors));
    return lifecycle_->AnswerCancellation(
        id, accepted, std::move(reason),
        cause("fulfillment.cancellation", StrCat("cancel-answer:", id)), done());
  }
  // shipments
  orchestration::ShipmentInput in;
  in.shipment_id = f.Str("shipment_id");
  in.carrier = f.Str("carrier", false);
  in.tracking = f.Str("tracking", false);
  in.final = !f.Has("final") || f.Bool("final");
  const json::value* lines = body.if_contains("lines");
  if (lines == nullptr || !lines->is_array() || lines->as_array().empty()) {
    // A final shipment may name no lines: nothing more will ship.
    if (lines != nullptr || !in.final) {
      f.Error("lines", "list the lines shipped: [{\"line\", \"quantity\"}]");
    }
  } else if (lines->as_array().size() > kMaxShipmentLines) {
    f.Error("lines", StrCat("at most ", kMaxShipmentLines, " lines"));
  } else {
    const json::array& a = lines->as_array();
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_object()) {
        f.Error(StrCat("lines/", i), "must be an object {\"line\", \"quantity\"}");
        continue;
      }
      Fields l(a[i].as_object(), StrCat("#/lines/", i), errors);
      auto line = l.Int("line", true, 1, 1'000'000);
      auto quantity = l.Int("quantity", true, 1);
      if (line && quantity) in.lines.push_back({static_cast<int>(*line), *quantity});
    }
  }
  if (!errors.empty()) return std::move(respond)(Invalid(path, errors));
  std::string shipment_id = in.shipment_id;
  lifecycle_->Ship(id, std::move(in),
                   cause("fulfillment.shipment", StrCat("shipment:", shipment_id)), done());
}

HttpResponse FulfillmentApi::Timeline(const HttpRequest& req, const std::string& order_id) {
  const std::string path(req.Path());
  auto order = store_->GetOrder(order_id);
  if (!order.ok()) return FromStatus(order.status(), path);
  auto events = store_->QueryEvents({.subject = order_id, .limit = 10'000});
  if (!events.ok()) return FromStatus(events.status(), path);
  auto outbox = store_->ListOutboxBySubject(order_id);
  if (!outbox.ok()) return FromStatus(outbox.status(), path);
  auto fos = store_->ListFulfillments(order_id);
  if (!fos.ok()) return FromStatus(fos.status(), path);
  auto timers = store_->ListTimers(order_id);
  if (!timers.ok()) return FromStatus(timers.status(), path);

  std::map<int64_t, json::array> sent;  // event seq → its outbox messages
  for (const OutboxRecord& o : *outbox) {
    json::object m{{"subscriber", J(o.subscriber)},
                   {"state", J(o.state)},
                   {"attempts", o.attempts},
                   {"key", J(o.key)},
                   {"updated_at", J(disthub::FormatTime(o.updated_at))}};
    if (!o.last_error.empty()) m["last_error"] = J(o.last_error);
    if (!o.replay_id.empty()) m["replay_id"] = J(o.replay_id);
    sent[o.event_seq].push_back(std::move(m));
  }
  json::array entries;
  for (const EventRecord& e : *events) {
    json::object entry{{"seq", e.seq},
                       {"type", J(e.type)},
                       {"at", J(disthub::FormatTime(e.occurred_at))},
                       {"caused_by", J(e.causation_id)},
                       {"payload", ParsedOr(e.payload)}};
    auto it = sent.find(e.seq);
    entry["sent"] = it == sent.end() ? json::array{} : std::move(it->second);
    entries.push_back(std::move(entry));
  }
  json::array fulfillments, pending;
  for (const FulfillmentRecord& f : *fos) fulfillments.push_back(FulfillmentJson(f));
  for (const TimerRecord& t : *timers) {
    pending.push_back(json::object{
        {"id", J(t.id)}, {"kind", J(t.kind)}, {"due_at", J(disthub::FormatTime(t.due_at))}});
  }
  return Json(200, json::object{{"order_id", J(order_id)},
                                {"channel", J((*order)->channel)},
                                {"channel_ref", J((*order)->channel_ref)},
                                {"status", J((*order)->status)},
                                {"events", std::move(entries)},
                                {"fulfillments", std::move(fulfillments)},
                                {"timers", std::move(pending)}});
}

}  // namespace disthub
