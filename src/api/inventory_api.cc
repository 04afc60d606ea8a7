#include "api/inventory_api.h"

#include <boost/json.hpp>
#include <utility>
#include <vector>

#include "api/json_route.h"
#include "api/query.h"
#include "base/strings.h"
#include "model/json.h"

namespace disthub {
namespace {

namespace json = boost::json;
using inventory::Outcome;

constexpr size_t kMaxItems = 10'000;              // updates in one request
json::object PositionJson(const inventory::Position& p) {
  json::object o{{"location", J(p.location)}, {"on_hand", p.on_hand},
                 {"reserved", p.reserved},    {"safety_stock", p.safety_stock},
                 {"inbound", p.inbound},      {"atp", p.Atp()},
                 {"short", p.Short()},        {"last_sequence", p.last_sequence}};
  o["last_as_of"] = p.last_as_of == absl::InfinitePast()
                        ? json::value(nullptr)
                        : json::value(J(disthub::FormatTime(p.last_as_of)));
  return o;
}

json::object ReservationJson(const inventory::Reservation& r) {
  return json::object{{"id", r.Id()},
                      {"order_id", J(r.order_id)},
                      {"line", r.line},
                      {"sku", J(r.sku)},
                      {"location", J(r.location)},
                      {"channel", J(r.channel)},
                      {"quantity", r.quantity},
                      {"consumed", r.consumed},
                      {"held", r.Held()},
                      {"state", J(inventory::ReservationStateName(r.state))}};
}

// The answer to a command: 200 (201 for a new reservation) with what it changed, or 409
// with the reason when it was refused.
HttpResponse CommandResponse(const absl::StatusOr<inventory::Result>& r, std::string_view path,
                             bool created) {
  if (!r.ok()) return FromStatus(r.status(), path);
  if (r->outcome == Outcome::kRefused) {
    return Problem(409, "inventory-refused", "The inventory command was refused", r->reason, path);
  }
  json::array reservations, positions;
  for (const auto& x : r->reservations) reservations.push_back(ReservationJson(x));
  for (const auto& p : r->positions) {
    json::object o = PositionJson(p);
    o["sku"] = J(p.sku);
    positions.push_back(std::move(o));
  }
  return Json(created && r->outcome == Outcome::kApplied ? 201 : 200,
              json::object{{"outcome", J(inventory::OutcomeName(r->outcome))},
                           {"reason", J(r->reason)},
                           {"reservations", std::move(reservations)},
                           {"positions", std::move(positions)}});
}

json::object ReconciliationJson(const ReconciliationRecord& r, bool with_report) {
  json::object o{{"id", J(r.id)},
                 {"state", J(r.state)},
                 {"apply", r.apply},
                 {"total", r.total},
                 {"checked", r.checked},
                 {"drifts", r.drifts},
                 {"corrected", r.corrected},
                 {"actor", J(r.actor)},
                 {"created_at", disthub::FormatTime(r.created_at)},
                 {"updated_at", disthub::FormatTime(r.updated_at)},
                 {"url", StrCat("/v1/inventory/reconciliations/", r.id)}};
  if (!r.error.empty()) o["error"] = J(r.error);
  if (with_report) {
    boost::system::error_code ec;
    json::value report = json::parse(r.report, ec);
    o["report"] = ec ? json::value(json::array{}) : std::move(report);
  }
  return o;
}

}  // namespace

std::optional<InboundRecord> InventoryApi::Inbound(const HttpRequest& req, const Principal& who,
                                                   std::string_view kind) const {
  return ArchivedInbound(archive_inbound_, req, who, kind, clock_->Now());
}

bool InventoryApi::Owns(std::string_view path) {
  return path == "/v1/availability" || path.starts_with("/v1/inventory/");
}

void InventoryApi::Handle(const HttpRequest& req, const Principal& who, Responder respond) {
  const std::string path(req.Path());
  const bool reading = req.method == "GET";
  const std::string_view scope = reading ? kScopeInventoryRead : kScopeInventoryWrite;
  if (!who.HasScope(scope)) {
    return std::move(respond)(Problem(
        403, "forbidden", "Not allowed",
        StrCat("the key ", who.partner, "/", who.key_id, " lacks the scope ", scope), path));
  }
  auto answer = [&](HttpResponse r) { std::move(respond)(std::move(r)); };

  if (path == "/v1/availability") {
    if (!reading) return answer(MethodNotAllowed("GET", path));
    Query q = ParseQuery(req, {"channel", "limit", "cursor"});
    if (q.error) return answer(*q.error);
    std::string channel = q.Get("channel");
    const auto& known = service_->channels();
    if (std::find(known.begin(), known.end(), channel) == known.end()) {
      return answer(BadQuery(
          "channel", channel.empty() ? "is required" : "is not a configured channel", path));
    }
    int64_t limit = 0;
    if (auto e = IntParam(q, req, "limit", 1, 1000, 100, limit)) return answer(*e);
    auto page = service_->Availability(channel, q.Get("cursor"), static_cast<int>(limit));
    if (!page.ok()) return answer(FromStatus(page.status(), path));
    json::array items;
    for (const auto& [sku, units] : *page) {
      items.push_back(json::object{{"sku", J(sku)}, {"sellable", units}});
    }
    json::object body{{"channel", J(channel)}, {"items", std::move(items)}};
    body["next_cursor"] = static_cast<int64_t>(page->size()) == limit
                              ? json::value(J(page->back().first))
                              : json::value(nullptr);
    return answer(Json(200, body));
  }

  std::string_view rest = std::string_view(path).substr(std::string_view("/v1/inventory/").size());
  if (rest == "adjustments" || rest == "snapshots") {
    if (reading) return answer(MethodNotAllowed("POST", path));
    return Updates(req, who, rest == "snapshots", std::move(respond));
  }
  if (rest == "reconciliations" || rest.starts_with("reconciliations/")) {
    if (rest == "reconciliations" && !reading) return Reconcile(req, who, std::move(respond));
    if (!reading) return answer(MethodNotAllowed("GET", path));
    if (rest == "reconciliations") {
      Query q = ParseQuery(req, {"limit"});
      if (q.error) return answer(*q.error);
      int64_t limit = 0;
      if (auto e = IntParam(q, req, "limit", 1, 1000, 50, limit)) return answer(*e);
      auto rows = service_->ListReconciliations(static_cast<int>(limit));
      if (!rows.ok()) return answer(FromStatus(rows.status(), path));
      json::array items;
      for (const auto& r : *rows) items.push_back(ReconciliationJson(r, /*with_report=*/false));
      return answer(Json(200, json::object{{"items", std::move(items)}}));
    }
    auto rec = service_->GetReconciliation(std::string(rest.substr(16)));
    if (!rec.ok()) return answer(FromStatus(rec.status(), path));
    if (!rec->has_value()) {
      return answer(Problem(404, "not-found", "Not found",
                            StrCat("no reconciliation ", rest.substr(16)), path));
    }
    return answer(Json(200, ReconciliationJson(**rec, /*with_report=*/true)));
  }
  if (rest == "reservations") {
    if (reading) {
      Query q = ParseQuery(req, {"order_id"});
      if (q.error) return answer(*q.error);
      if (q.Get("order_id").empty()) return answer(BadQuery("order_id", "is required", path));
      auto rows = service_->Reservations(q.Get("order_id"));
      if (!rows.ok()) return answer(FromStatus(rows.status(), path));
      json::array items;
      for (const auto& r : *rows) items.push_back(ReservationJson(r));
      return answer(Json(200, json::object{{"order_id", J(q.Get("order_id"))},
                                           {"reservations", std::move(items)}}));
    }
    return Command(req, who, "reserve", std::move(respond));
  }
  if (rest.starts_with("reservations/")) {
    std::string_view action = rest.substr(13);
    if (action != "release" && action != "consume" && action != "transfer") {
      return answer(Problem(404, "not-found", "Not found", StrCat("no route for ", path), path));
    }
    if (reading) return answer(MethodNotAllowed("POST", path));
    return Command(req, who, action, std::move(respond));
  }

  // GET /v1/inventory/{sku} and /v1/inventory/{sku}/updates
  if (!reading) return answer(MethodNotAllowed("GET", path));
  bool updates = false;
  std::string sku(rest);
  if (rest.ends_with("/updates")) {
    updates = true;
    sku = std::string(rest.substr(0, rest.size() - 8));
  }
  if (sku.empty() || sku.find('/') != std::string::npos) {
    return answer(Problem(404, "not-found", "Not found", StrCat("no route for ", path), path));
  }
  if (updates) {
    Query q = ParseQuery(req, {"limit", "cursor"});
    if (q.error) return answer(*q.error);
    int64_t limit = 0, cursor = 0;
    if (auto e = IntParam(q, req, "limit", 1, 1000, 100, limit)) return answer(*e);
    if (auto e = IntParam(q, req, "cursor", 0, INT64_MAX, 0, cursor)) return answer(*e);
    auto rows = service_->StockUpdates(sku, cursor, static_cast<int>(limit));
    if (!rows.ok()) return answer(FromStatus(rows.status(), path));
    json::array items;
    for (const StockUpdateRecord& u : *rows) {
      json::object o{{"id", u.id},
                     {"source", J(u.source)},
                     {"message_id", J(u.message_id)},
                     {"kind", J(u.kind)},
                     {"location", J(u.location)},
                     {"outcome", J(u.outcome)},
                     {"reason", J(u.reason)},
                     {"received_at", disthub::FormatTime(u.received_at)}};
      if (u.delta) o["delta"] = *u.delta;
      if (u.on_hand) o["on_hand"] = *u.on_hand;
      if (u.sequence != 0) o["sequence"] = u.sequence;
      if (u.as_of != absl::InfinitePast()) o["as_of"] = disthub::FormatTime(u.as_of);
      items.push_back(std::move(o));
    }
    json::object body{{"sku", J(sku)}, {"items", std::move(items)}};
    body["next_cursor"] = static_cast<int64_t>(rows->size()) == limit ? json::value(rows->back().id)
                                                                      : json::value(nullptr);
    return answer(Json(200, body));
  }
  if (!req.Query().empty()) {
    Query q = ParseQuery(req, {});
    if (q.error) return answer(*q.error);
  }
  auto view = service_->Get(sku);
  if (!view.ok()) return answer(FromStatus(view.status(), path));
  if (view->positions.empty()) {
    return answer(Problem(404, "not-found", "Not found",
                          StrCat("no location has reported stock of ", sku), path));
  }
  json::array positions, channels;
  int64_t on_hand = 0, reserved = 0, atp = 0;
  for (const auto& p : view->positions) {
    positions.push_back(PositionJson(p));
    on_hand += p.on_hand;
    reserved += p.reserved;
    atp += p.Atp();
  }
  for (const auto& [channel, units] : view->sellable) {
    channels.push_back(json::object{{"channel", J(channel)}, {"sellable", units}});
  }
  return answer(Json(200, json::object{{"sku", J(sku)},
                                       {"on_hand", on_hand},
                                       {"reserved", reserved},
                                       {"atp", atp},
                                       {"locations", std::move(positions)},
                                       {"channels", std::move(channels)}}));
}

void InventoryApi::Updates(const HttpRequest& req, const Principal& who, bool snapshot,
                           Responder respond) {
  const std::string path(req.Path());
  json::object body;
  if (auto e = BodyObject(req, body)) return std::move(respond)(std::move(*e));
  std::vector<ProblemError> errors;
  std::vector<inventory::UpdateItem> items;
  const char* list_key = snapshot ? "items" : "adjustments";
  const json::value* list = body.if_contains(list_key);
  if (list == nullptr || !list->is_array() || list->as_array().empty()) {
    errors.push_back(
        {.pointer = StrCat("#/", list_key), .detail = "is required: a non-empty list"});
    return std::move(respond)(Invalid(path, errors));
  }
  if (list->as_array().size() > kMaxItems) {
    errors.push_back({.pointer = StrCat("#/", list_key),
                      .detail = StrCat("holds ", list->as_array().size(), " items; at most ",
                                       kMaxItems, " per request")});
    return std::move(respond)(Invalid(path, errors));
  }
  // A snapshot's id, location and ordering are the document's; an adjustment carries its own.
  std::string snapshot_id, snapshot_location;
  int64_t snapshot_sequence = 0;
  absl::Time snapshot_as_of = absl::InfinitePast();
  if (snapshot) {
    Fields top(body, "#", errors);
    snapshot_id = top.Str("id");
    snapshot_location = top.Str("location");
    top.Ordering(snapshot_sequence, snapshot_as_of);
  }
  const json::array& arr = list->as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string at = StrCat("#/", list_key, "/", i);
    if (!arr[i].is_object()) {
      errors.push_back({.pointer = at, .detail = "must be an object"});
      continue;
    }
    Fields f(arr[i].as_object(), at, errors);
    inventory::UpdateItem item;
    item.kind = snapshot ? "snapshot" : "adjustment";
    item.update.sku = f.Str("sku");
    if (snapshot) {
      item.message_id = StrCat(snapshot_id, "@", snapshot_location, "/", item.update.sku);
      item.update.location = snapshot_location;
      item.update.on_hand = f.Int("on_hand", true, 0);
      item.update.safety_stock = f.Int("safety_stock", false, 0);
      item.update.inbound = f.Int("inbound", false, 0);
      item.update.sequence = snapshot_sequence;
      item.update.as_of = snapshot_as_of;
    } else {
      item.message_id = f.Str("id");
      item.update.location = f.Str("location");
      item.update.delta = f.Int("delta", true, -kMaxUnits);
      f.Ordering(item.update.sequence, item.update.as_of);
    }
    items.push_back(std::move(item));
  }
  if (!errors.empty()) return std::move(respond)(Invalid(path, errors));
  service_->ApplyUpdates(
      who.partner, std::move(items),
      [respond = std::move(respond),
       path](absl::StatusOr<std::vector<inventory::UpdateOutcome>> out) mutable {
        if (!out.ok()) return std::move(respond)(FromStatus(out.status(), path));
        json::array results;
        int64_t applied = 0, stale = 0, refused = 0, duplicates = 0;
        for (const auto& o : *out) {
          if (o.duplicate) ++duplicates;
          (o.outcome == Outcome::kApplied     ? applied
           : o.outcome == Outcome::kUnchanged ? stale
                                              : refused)++;
          results.push_back(json::object{
              {"id", J(o.message_id)},
              {"outcome", J(o.outcome == Outcome::kUnchanged ? std::string_view("stale")
                                                             : inventory::OutcomeName(o.outcome))},
              {"reason", J(o.reason)},
              {"duplicate", o.duplicate}});
        }
        std::move(respond)(Json(200, json::object{{"applied", applied},
                                                  {"stale", stale},
                                                  {"refused", refused},
                                                  {"duplicates", duplicates},
                                                  {"results", std::move(results)}}));
      },
      Inbound(req, who, snapshot ? "inventory.snapshot" : "inventory.adjustments"));
}

void InventoryApi::Reconcile(const HttpRequest& req, const Principal& who, Responder respond) {
  const std::string path(req.Path());
  json::object body;
  if (auto e = BodyObject(req, body)) return std::move(respond)(std::move(*e));
  std::vector<ProblemError> errors;
  Fields top(body, "#", errors);
  inventory::ReconcileRequest request;
  top.Ordering(request.sequence, request.as_of);
  request.apply = top.Bool("apply");
  request.actor = StrCat(who.partner, "/", who.key_id);
  request.inbound = Inbound(req, who, "inventory.count");
  const json::value* list = body.if_contains("items");
  if (list == nullptr || !list->is_array() || list->as_array().empty()) {
    errors.push_back(
        {.pointer = "#/items", .detail = "is required: the full count, a non-empty list"});
  } else {
    const json::array& arr = list->as_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      std::string at = StrCat("#/items/", i);
      if (!arr[i].is_object()) {
        errors.push_back({.pointer = at, .detail = "must be an object"});
        continue;
      }
      Fields f(arr[i].as_object(), at, errors);
      request.items.push_back({.sku = f.Str("sku"),
                               .location = f.Str("location"),
                               .on_hand = f.Int("on_hand", true, 0).value_or(0)});
    }
  }
  if (!errors.empty()) return std::move(respond)(Invalid(path, errors));
  service_->StartReconciliation(
      std::move(request),
      [respond = std::move(respond), path](absl::StatusOr<ReconciliationRecord> r) mutable {
        if (!r.ok()) return std::move(respond)(FromStatus(r.status(), path));
        HttpResponse out = Json(202, ReconciliationJson(*r, /*with_report=*/false));
        out.headers.emplace_back("Location", StrCat("/v1/inventory/reconciliations/", r->id));
        std::move(respond)(std::move(out));
      });
}

void InventoryApi::Command(const HttpRequest& req, const Principal& who, std::string_view action,
                           Responder respond) {
  const std::string path(req.Path());
  json::object body;
  if (auto e = BodyObject(req, body)) return std::move(respond)(std::move(*e));
  std::vector<ProblemError> errors;
  Fields f(body, "#", errors);
  std::string order_id = f.Str("order_id");
  int line = static_cast<int>(f.Int("line", true, 1, 1'000'000).value_or(0));
  inventory::ReserveRequest reserve;
  std::string location, from, to;
  int64_t quantity = 0;
  if (action == "reserve") {
    reserve.order_id = order_id;
    reserve.line = line;
    reserve.sku = f.Str("sku");
    reserve.channel = f.Str("channel");
    reserve.quantity = f.Int("quantity", true, 1).value_or(0);
    reserve.locations = f.Strings("locations");
    reserve.allow_split = f.Bool("allow_split");
  } else if (action == "release") {
    location = f.Str("location", false);
  } else if (action == "consume") {
    location = f.Str("location");
    quantity = f.Int("quantity", true, 1).value_or(0);
  } else {
    from = f.Str("from");
    to = f.Str("to");
  }
  if (!errors.empty()) return std::move(respond)(Invalid(path, errors));
  if (action == "reserve" && !who.channels.empty() &&
      std::find(who.channels.begin(), who.channels.end(), reserve.channel) == who.channels.end()) {
    return std::move(respond)(Problem(403, "forbidden", "Not allowed",
                                      StrCat("the key ", who.partner, "/", who.key_id,
                                             " may not act for channel ", reserve.channel),
                                      path));
  }
  // The events' causation id: the caller's Idempotency-Key if it sent one.
  std::string cause(req.Header("idempotency-key"));
  if (cause.empty()) cause = StrCat(who.partner, "/", who.key_id);
  auto done = [respond = std::move(respond), path,
               created = action == "reserve"](absl::StatusOr<inventory::Result> r) mutable {
    std::move(respond)(CommandResponse(r, path, created));
  };
  if (action == "reserve") {
    return service_->Reserve(std::move(reserve), std::move(cause), std::move(done));
  }
  if (action == "release") {
    return service_->Release(std::move(order_id), line, std::move(location), std::move(cause),
                             std::move(done));
  }
  if (action == "consume") {
    return service_->Consume(std::move(order_id), line, std::move(location), quantity,
                             std::move(cause), std::move(done));
  }
  service_->Transfer(std::move(order_id), line, std::move(from), std::move(to), std::move(cause),
                     std::move(done));
}

}  // namespace disthub
