#include "orchestration/lifecycle.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <map>

#include "base/status_macros.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "model/json.h"

namespace disthub::orchestration {

namespace json = boost::json;

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kApplied:
      return "applied";
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kRefused:
      return "refused";
    case Verdict::kNotFound:
      return "not_found";
  }
  return "?";
}

namespace {

json::string_view J(std::string_view s) { return {s.data(), s.size()}; }

// Fulfillment order states.
constexpr std::string_view kReleased = "released";
constexpr std::string_view kAcknowledged = "acknowledged";
constexpr std::string_view kShipped = "shipped";
constexpr std::string_view kCancelRequested = "cancel_requested";
constexpr std::string_view kCancelled = "cancelled";
constexpr std::string_view kRerouted = "rerouted";
// The ERP workers' prefix for an order's credit check after the fact.
constexpr std::string_view kLateCredit = "late:";

bool Live(std::string_view state) {
  return state == kReleased || state == kAcknowledged || state == kCancelRequested;
}

// The body of a fulfillment order.
struct FoLine {
  int line = 0;
  std::string sku;
  int64_t quantity = 0;
  int64_t shipped = 0;
  int64_t short_units = 0;  // not shipped by the final shipment, released to stock
};
struct FoShipment {
  std::string id;
  std::vector<ShipmentLine> lines;
  std::string carrier;
  std::string tracking;
  bool final = false;
  absl::Time at;
};
struct FoDoc {
  std::vector<FoLine> lines;
  std::vector<FoShipment> shipments;
  absl::Time released_at = absl::InfinitePast();
  absl::Time acknowledged_at = absl::InfinitePast();
  std::string prior_state;         // before a cancellation request
  std::string reroute_to;          // the cancellation asked for is a reroute to there
  std::vector<std::string> tried;  // locations that did not acknowledge it before
  bool escalated = false;
  std::string note;

  const FoLine* Line(int n) const {
    for (const FoLine& l : lines) {
      if (l.line == n) return &l;
    }
    return nullptr;
  }
  bool AnyShipped() const {
    for (const FoLine& l : lines) {
      if (l.shipped > 0) return true;
    }
    return false;
  }
};

json::value TimeJson(absl::Time t) {
  if (t == absl::InfinitePast()) return nullptr;
  return json::value(J(disthub::FormatTime(t)));
}
absl::Time TimeFrom(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(J(key));
  if (v == nullptr || !v->is_string()) return absl::InfinitePast();
  return ParseTime(std::string_view(v->as_string())).value_or(absl::InfinitePast());
}
int64_t IntFrom(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(J(key));
  return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}
std::string StrFrom(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(J(key));
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string EncodeDoc(const FoDoc& d) {
  json::array lines, shipments;
  for (const FoLine& l : d.lines) {
    lines.push_back(json::object{{"line", l.line},
                                 {"sku", J(l.sku)},
                                 {"quantity", l.quantity},
                                 {"shipped", l.shipped},
                                 {"short", l.short_units}});
  }
  for (const FoShipment& s : d.shipments) {
    json::array sl;
    for (const ShipmentLine& l : s.lines)
      sl.push_back(json::object{{"line", l.line}, {"quantity", l.quantity}});
    shipments.push_back(json::object{{"id", J(s.id)},
                                     {"lines", std::move(sl)},
                                     {"carrier", J(s.carrier)},
                                     {"tracking", J(s.tracking)},
                                     {"final", s.final},
                                     {"at", TimeJson(s.at)}});
  }
  json::array tried;
  for (const std::string& t : d.tried) tried.push_back(J(t));
  json::object o{{"lines", std::move(lines)},
                 {"shipments", std::move(shipments)},
                 {"released_at", TimeJson(d.released_at)},
                 {"acknowledged_at", TimeJson(d.acknowledged_at)},
                 {"tried", std::move(tried)},
                 {"escalated", d.escalated}};
  if (!d.prior_state.empty()) o["prior_state"] = J(d.prior_state);
  if (!d.reroute_to.empty()) o["reroute_to"] = J(d.reroute_to);
  if (!d.note.empty()) o["note"] = J(d.note);
  return json::serialize(o);
}

absl::StatusOr<FoDoc> DecodeDoc(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object())
    return absl::DataLossError("fulfillment order body is not a JSON object");
  const json::object& o = v.as_object();
  FoDoc d;
  if (const json::value* lines = o.if_contains("lines"); lines && lines->is_array()) {
    for (const json::value& x : lines->as_array()) {
      if (!x.is_object()) continue;
      const json::object& l = x.as_object();
      d.lines.push_back({.line = static_cast<int>(IntFrom(l, "line")),
                         .sku = StrFrom(l, "sku"),
                         .quantity = IntFrom(l, "quantity"),
                         .shipped = IntFrom(l, "shipped"),
                         .short_units = IntFrom(l, "short")});
    }
  }
  if (const json::value* ships = o.if_contains("shipments"); ships && ships->is_array()) {
    for (const json::value& x : ships->as_array()) {
      if (!x.is_object()) continue;
      const json::object& s = x.as_object();
      FoShipment sh{
          .id = StrFrom(s, "id"),
          .carrier = StrFrom(s, "carrier"),
          .tracking = StrFrom(s, "tracking"),
          .final = s.contains("final") && s.at("final").is_bool() && s.at("final").as_bool(),
          .at = TimeFrom(s, "at")};
      if (const json::value* sl = s.if_contains("lines"); sl && sl->is_array()) {
        for (const json::value& y : sl->as_array()) {
          if (y.is_object()) {
            sh.lines.push_back({static_cast<int>(IntFrom(y.as_object(), "line")),
                                IntFrom(y.as_object(), "quantity")});
          }
        }
      }
      d.shipments.push_back(std::move(sh));
    }
  }
  d.released_at = TimeFrom(o, "released_at");
  d.acknowledged_at = TimeFrom(o, "acknowledged_at");
  if (const json::value* t = o.if_contains("tried"); t && t->is_array()) {
    for (const json::value& x : t->as_array()) {
      if (x.is_string()) d.tried.emplace_back(x.as_string());
    }
  }
  d.escalated =
      o.contains("escalated") && o.at("escalated").is_bool() && o.at("escalated").as_bool();
  d.prior_state = StrFrom(o, "prior_state");
  d.reroute_to = StrFrom(o, "reroute_to");
  d.note = StrFrom(o, "note");
  return d;
}

// The body of a return.
struct RetLine {
  int line = 0;
  std::string sku;
  int64_t quantity = 0;  // authorized
  std::string reason;
  int64_t received = 0;
  int64_t accepted = 0;
  int64_t restocked = 0;
};
struct RetDoc {
  std::string reference;
  std::vector<RetLine> lines;
  int64_t credit_minor = 0;
  std::string note;
};

std::string EncodeRet(const RetDoc& d) {
  json::array lines;
  for (const RetLine& l : d.lines) {
    lines.push_back(json::object{{"line", l.line},
                                 {"sku", J(l.sku)},
                                 {"quantity", l.quantity},
                                 {"reason", J(l.reason)},
                                 {"received", l.received},
                                 {"accepted", l.accepted},
                                 {"restocked", l.restocked}});
  }
  json::object o{
      {"reference", J(d.reference)}, {"lines", std::move(lines)}, {"credit_minor", d.credit_minor}};
  if (!d.note.empty()) o["note"] = J(d.note);
  return json::serialize(o);
}

absl::StatusOr<RetDoc> DecodeRet(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return absl::DataLossError("return body is not a JSON object");
  const json::object& o = v.as_object();
  RetDoc d{.reference = StrFrom(o, "reference"),
           .credit_minor = IntFrom(o, "credit_minor"),
           .note = StrFrom(o, "note")};
  if (const json::value* lines = o.if_contains("lines"); lines && lines->is_array()) {
    for (const json::value& x : lines->as_array()) {
      if (!x.is_object()) continue;
      const json::object& l = x.as_object();
      d.lines.push_back({.line = static_cast<int>(IntFrom(l, "line")),
                         .sku = StrFrom(l, "sku"),
                         .quantity = IntFrom(l, "quantity"),
                         .reason = StrFrom(l, "reason"),
                         .received = IntFrom(l, "received"),
                         .accepted = IntFrom(l, "accepted"),
                         .restocked = IntFrom(l, "restocked")});
    }
  }
  return d;
}

std::string AckTimerId(const std::string& fo_id, int attempt) {
  return StrCat("ack:", fo_id, ":", attempt);
}

}  // namespace

// What the ERP said about an order (ErpWorkers → Flow::ApplyErp).
struct ErpReply {
  std::vector<QuotedLine> quote;  // when the channel's orders are priced by the ERP
  absl::Status pricing;           // why there is no quote
  std::optional<CreditAnswer> credit;
  absl::Status credit_status;  // why there is no credit answer
};

// One order (and its fulfillment orders) inside one transaction: what a step reads,
// decides and writes. Writes of the order and fulfillment rows happen once, in Save().
class Flow {
 public:
  struct Fo {
    FulfillmentRecord rec;
    FoDoc doc;
    bool dirty = false;
  };
  struct Ret {
    ReturnRecord rec;
    RetDoc doc;
    bool dirty = false;
  };

  Flow(Lifecycle* lc, WriteTxn& txn, inventory::InventoryService::Session& inv, std::string cause)
      : lc_(lc), txn_(txn), inv_(inv), cause_(std::move(cause)), now_(lc->clock_->Now()) {}

  // Loads the order; false when there is none.
  absl::StatusOr<bool> Load(const std::string& order_id) {
    DISTHUB_ASSIGN_OR_RETURN(std::optional<OrderRecord> rec, txn_.FindOrder(order_id));
    if (!rec) return false;
    rec_ = *std::move(rec);
    Decoded<Order> d = DecodeOrderText(rec_.body, DecodeMode::kStored);
    if (!d.ok()) {
      return absl::DataLossError(StrCat("order ", order_id, " does not decode: ",
                                        d.errors.front().pointer, " ", d.errors.front().detail));
    }
    order_ = *std::move(d.value);
    DISTHUB_ASSIGN_OR_RETURN(std::vector<FulfillmentRecord> fos, txn_.FindFulfillments(order_id));
    for (FulfillmentRecord& r : fos) {
      DISTHUB_ASSIGN_OR_RETURN(FoDoc doc, DecodeDoc(r.body));
      fos_.push_back({std::move(r), std::move(doc), false});
    }
    DISTHUB_ASSIGN_OR_RETURN(std::vector<ReturnRecord> rets, txn_.FindReturns(order_id));
    for (ReturnRecord& r : rets) {
      DISTHUB_ASSIGN_OR_RETURN(RetDoc doc, DecodeRet(r.body));
      rets_.push_back({std::move(r), std::move(doc), false});
    }
    return true;
  }

  // Loads the order of a return; nullptr when there is none.
  absl::StatusOr<Ret*> LoadByReturn(const std::string& id) {
    DISTHUB_ASSIGN_OR_RETURN(std::optional<ReturnRecord> r, txn_.FindReturn(id));
    if (!r) return nullptr;
    DISTHUB_ASSIGN_OR_RETURN(bool found, Load(r->order_id));
    if (!found) return absl::DataLossError(StrCat(id, " names missing order ", r->order_id));
    for (Ret& x : rets_) {
      if (x.rec.id == id) return &x;
    }
    return nullptr;
  }

  // Loads the order of a fulfillment order; nullptr when there is none.
  absl::StatusOr<Fo*> LoadByFulfillment(const std::string& fo_id) {
    DISTHUB_ASSIGN_OR_RETURN(std::optional<FulfillmentRecord> fo, txn_.FindFulfillment(fo_id));
    if (!fo) return nullptr;
    DISTHUB_ASSIGN_OR_RETURN(bool found, Load(fo->order_id));
    if (!found) return absl::DataLossError(StrCat(fo_id, " names missing order ", fo->order_id));
    return Find(fo_id);
  }

  Fo* Find(const std::string& fo_id) {
    for (Fo& f : fos_) {
      if (f.rec.id == fo_id) return &f;
    }
    return nullptr;
  }

  OrderStatus status() const { return order_.status; }
  const Order& order() const { return order_; }
  const OrderRecord& record() const { return rec_; }
  std::vector<Fo>& fos() { return fos_; }
  absl::Time now() const { return now_; }

  Answer Result(Verdict v, std::string reason, const Fo* fo = nullptr) const {
    Answer a{.verdict = v,
             .reason = std::move(reason),
             .order_id = rec_.id,
             .order_status = std::string(EnumName(order_.status))};
    if (fo != nullptr) {
      a.fulfillment_id = fo->rec.id;
      a.fulfillment_state = fo->rec.state;
    }
    return a;
  }

  // --- Writing --------------------------------------------------------------------------

  absl::Status Emit(std::string type, json::object payload) {
    return txn_
        .AppendEvent(EventRecord{.type = std::move(type),
                                 .subject = rec_.id,
                                 .correlation_id = rec_.id,
                                 .causation_id = cause_,
                                 .occurred_at = now_,
                                 .recorded_at = now_,
                                 .payload = json::serialize(payload)})
        .status();
  }

  // Moves the order to `to`: the event order.TO (with `detail`), and order.status.CHANNEL
  // when the channel asked to hear of it.
  absl::Status Transition(OrderStatus to, json::object detail = {}) {
    const std::string from(EnumName(order_.status));
    const std::string name(EnumName(to));
    order_.status = to;
    rec_.status = name;
    order_dirty_ = true;
    detail["order_id"] = J(rec_.id);
    detail["from"] = J(from);
    detail["to"] = J(name);
    json::object status{{"order_id", J(rec_.id)},
                        {"channel", J(rec_.channel)},
                        {"channel_ref", J(rec_.channel_ref)},
                        {"status", J(name)},
                        {"from", J(from)},
                        {"at", J(disthub::FormatTime(now_))}};
    DISTHUB_RETURN_IF_ERROR(Emit(StrCat("order.", name), std::move(detail)));
    const ChannelPolicy& policy = lc_->PolicyFor(rec_.channel);
    if (std::find(policy.status_updates.begin(), policy.status_updates.end(), name) !=
        policy.status_updates.end()) {
      if (to == OrderStatus::kShipped || to == OrderStatus::kPartiallyShipped) {
        status["shipments"] = ShipmentsJson();
      }
      DISTHUB_RETURN_IF_ERROR(Emit(StrCat("order.status.", rec_.channel), std::move(status)));
    }
    return absl::OkStatus();
  }

  absl::Status SetTimer(std::string id, std::string_view kind, absl::Time due,
                        json::object payload = {}) {
    return txn_.PutTimer({.id = std::move(id),
                          .kind = std::string(kind),
                          .subject = rec_.id,
                          .due_at = due,
                          .payload = payload.empty() ? "" : json::serialize(payload)});
  }
  absl::Status DeleteTimer(const std::string& id) { return txn_.DeleteTimer(id); }

  // Writes what changed: the order (version checked) and the fulfillment orders.
  absl::Status Save() {
    if (order_dirty_) {
      rec_.version += 1;
      rec_.updated_at = now_;
      rec_.body = SerializeOrder(order_);
      DISTHUB_RETURN_IF_ERROR(txn_.UpdateOrder(rec_));
    }
    for (Fo& f : fos_) {
      if (!f.dirty) continue;
      f.rec.version += 1;
      f.rec.updated_at = now_;
      f.rec.body = EncodeDoc(f.doc);
      DISTHUB_RETURN_IF_ERROR(txn_.PutFulfillment(f.rec));
    }
    for (Ret& r : rets_) {
      if (!r.dirty) continue;
      r.rec.version += 1;
      r.rec.updated_at = now_;
      r.rec.body = EncodeRet(r.doc);
      DISTHUB_RETURN_IF_ERROR(txn_.PutReturn(r.rec));
    }
    return absl::OkStatus();
  }

  // --- Returns --------------------------------------------------------------------------

  Answer ReturnResult(Verdict v, std::string reason, const Ret& r) const {
    Answer a = Result(v, std::move(reason));
    a.return_id = r.rec.id;
    a.return_state = r.rec.state;
    return a;
  }

  absl::Status ReturnState(Ret& r, std::string_view state, json::object detail = {}) {
    r.rec.state = std::string(state);
    r.dirty = true;
    detail["return_id"] = J(r.rec.id);
    detail["order_id"] = J(rec_.id);
    DISTHUB_RETURN_IF_ERROR(Emit(StrCat("return.", state), std::move(detail)));
    // The channel hears of every step of its returns: authorized, credited (the refund),
    // rejected.
    if (state == "authorized" || state == "credited" || state == "rejected") {
      json::object status{{"return_id", J(r.rec.id)},
                          {"reference", J(r.doc.reference)},
                          {"order_id", J(rec_.id)},
                          {"channel_ref", J(rec_.channel_ref)},
                          {"status", J(state)},
                          {"refund_minor", r.doc.credit_minor},
                          {"currency", J(order_.currency)}};
      DISTHUB_RETURN_IF_ERROR(Emit(StrCat("return.status.", rec_.channel), std::move(status)));
    }
    return absl::OkStatus();
  }

  // Units of `line` shipped, and already asked back by returns not rejected.
  std::pair<int64_t, int64_t> Returnable(int line) const {
    int64_t shipped = 0, returned = 0;
    for (const Fo& fo : fos_) {
      if (const FoLine* l = fo.doc.Line(line)) shipped += l->shipped;
    }
    for (const Ret& r : rets_) {
      if (r.rec.state == "rejected") continue;
      for (const RetLine& l : r.doc.lines) {
        if (l.line == line) returned += l.quantity;
      }
    }
    return {shipped, returned};
  }

  absl::StatusOr<Answer> RequestReturn(const ReturnRequest& in) {
    for (const Ret& r : rets_) {
      if (r.doc.reference == in.reference) {
        return ReturnResult(Verdict::kUnchanged, "a return with this reference exists", r);
      }
    }
    if (order_.status == OrderStatus::kClosed) {
      return Result(Verdict::kRefused, "the order is closed: its return window has passed");
    }
    if (order_.status != OrderStatus::kShipped && order_.status != OrderStatus::kInvoiced &&
        order_.status != OrderStatus::kPartiallyShipped) {
      return Result(Verdict::kRefused, StrCat("the order is ", EnumName(order_.status),
                                              "; only shipped goods can be returned"));
    }
    Ret r;
    r.rec = ReturnRecord{.id = lc_->ids_->Next("ret"),
                         .order_id = rec_.id,
                         .version = 0,
                         .created_at = now_,
                         .updated_at = now_};
    r.doc.reference = in.reference;
    std::map<int, int64_t> asked;
    for (const ReturnLine& l : in.lines) {
      const OrderLine* ol = nullptr;
      for (const OrderLine& x : order_.lines) {
        if (x.line_no == l.line) ol = &x;
      }
      if (ol == nullptr) return Result(Verdict::kRefused, StrCat("the order has no line ", l.line));
      asked[l.line] += l.quantity;
      auto [shipped, returned] = Returnable(l.line);
      if (returned + asked[l.line] > shipped) {
        return Result(Verdict::kRefused,
                      StrCat("line ", l.line, ": ", shipped, " shipped, ", returned,
                             " already being returned; ", asked[l.line], " more asked"));
      }
      if (r.rec.location.empty()) {
        for (const Fo& fo : fos_) {
          const FoLine* fl = fo.doc.Line(l.line);
          if (fl != nullptr && fl->shipped > 0) {
            r.rec.location = fo.rec.location;
            break;
          }
        }
      }
      r.doc.lines.push_back(
          {.line = l.line, .sku = ol->sku, .quantity = l.quantity, .reason = l.reason});
    }
    rets_.push_back(std::move(r));
    Ret& ret = rets_.back();
    json::array lines;
    for (const RetLine& l : ret.doc.lines) {
      lines.push_back(json::object{
          {"line", l.line}, {"sku", J(l.sku)}, {"quantity", l.quantity}, {"reason", J(l.reason)}});
    }
    DISTHUB_RETURN_IF_ERROR(
        ReturnState(ret, "requested", {{"reference", J(in.reference)}, {"lines", lines}}));
    // Every line was shipped and not returned already: authorized, and the warehouse that
    // shipped it is told to expect the goods.
    DISTHUB_RETURN_IF_ERROR(ReturnState(ret, "authorized", {{"location", J(ret.rec.location)}}));
    DISTHUB_RETURN_IF_ERROR(
        Emit(StrCat("return.expected.", ret.rec.location), {{"return_id", J(ret.rec.id)},
                                                            {"order_id", J(rec_.id)},
                                                            {"reference", J(in.reference)},
                                                            {"location", J(ret.rec.location)},
                                                            {"lines", std::move(lines)}}));
    return ReturnResult(Verdict::kApplied, "", ret);
  }

  // Checks quantities against what the return authorized; "" when they fit.
  static std::string CheckLines(const Ret& r, const std::vector<ReturnLine>& lines) {
    std::map<int, int64_t> n;
    for (const ReturnLine& l : lines) {
      const RetLine* rl = nullptr;
      for (const RetLine& x : r.doc.lines) {
        if (x.line == l.line) rl = &x;
      }
      if (rl == nullptr) return StrCat("line ", l.line, " is not part of return ", r.rec.id);
      n[l.line] += l.quantity;
      if (n[l.line] > rl->quantity) {
        return StrCat("line ", l.line, ": ", n[l.line], " is more than the ", rl->quantity,
                      " authorized");
      }
    }
    return "";
  }

  absl::StatusOr<Answer> ReceiveReturn(Ret& r, const std::vector<ReturnLine>& lines) {
    if (r.rec.state != "authorized") {
      return ReturnResult(Verdict::kUnchanged, StrCat("the return is ", r.rec.state), r);
    }
    if (std::string bad = CheckLines(r, lines); !bad.empty()) {
      return ReturnResult(Verdict::kRefused, bad, r);
    }
    json::array received;
    for (const ReturnLine& l : lines) {
      for (RetLine& x : r.doc.lines) {
        if (x.line == l.line) x.received += l.quantity;
      }
      received.push_back(json::object{{"line", l.line}, {"quantity", l.quantity}});
    }
    DISTHUB_RETURN_IF_ERROR(ReturnState(r, "received", {{"lines", std::move(received)}}));
    return ReturnResult(Verdict::kApplied, "", r);
  }

  absl::StatusOr<Answer> InspectReturn(Ret& r, const std::vector<ReturnLine>& lines) {
    if (r.rec.state != "authorized" && r.rec.state != "received") {
      return ReturnResult(Verdict::kUnchanged, StrCat("the return is ", r.rec.state), r);
    }
    if (std::string bad = CheckLines(r, lines); !bad.empty()) {
      return ReturnResult(Verdict::kRefused, bad, r);
    }
    if (r.rec.state == "authorized") {  // inspected on arrival: the receipt is implied
      DISTHUB_RETURN_IF_ERROR(ReturnState(r, "received", {{"implied_by", "inspection"}}));
    }
    json::array inspected, credited;
    int64_t credit = 0, tax = 0;
    for (const ReturnLine& l : lines) {
      RetLine* x = nullptr;
      for (RetLine& y : r.doc.lines) {
        if (y.line == l.line) x = &y;
      }
      x->accepted += l.quantity;
      if (l.restock && l.quantity > 0) {
        DISTHUB_ASSIGN_OR_RETURN(inventory::Result res,
                                 inv_.Restock(x->sku, r.rec.location, l.quantity, rec_.id));
        if (res.outcome != inventory::Outcome::kApplied) {
          return absl::InternalError(StrCat("restocking ", x->sku, ": ", res.reason));
        }
        x->restocked += l.quantity;
      }
      inspected.push_back(json::object{{"line", l.line},
                                       {"accepted", l.quantity},
                                       {"restock", l.restock},
                                       {"note", J(l.reason)}});
      for (const OrderLine& ol : order_.lines) {
        if (ol.line_no != l.line) continue;
        const int64_t each = Eaches(ol);
        if (each == 0) continue;
        int64_t amount = ol.unit_price.minor * ol.quantity * l.quantity / each;
        int64_t line_tax = ol.tax.minor * l.quantity / each;
        credit += amount;
        tax += line_tax;
        if (l.quantity > 0) {
          credited.push_back(json::object{{"line", l.line},
                                          {"sku", J(ol.sku)},
                                          {"quantity_each", l.quantity},
                                          {"amount_minor", amount},
                                          {"tax_minor", line_tax}});
        }
      }
    }
    DISTHUB_RETURN_IF_ERROR(ReturnState(r, "inspected", {{"lines", std::move(inspected)}}));
    if (credited.empty()) {
      r.doc.note = "inspection accepted nothing";
      DISTHUB_RETURN_IF_ERROR(ReturnState(r, "rejected", {{"reason", J(r.doc.note)}}));
      return ReturnResult(Verdict::kApplied, r.doc.note, r);
    }
    r.doc.credit_minor = credit + tax;
    const std::string memo = StrCat("cm_", r.rec.id.substr(r.rec.id.find('_') + 1));
    DISTHUB_RETURN_IF_ERROR(
        Emit("credit_memo.posted", {{"credit_memo_id", J(memo)},
                                    {"return_id", J(r.rec.id)},
                                    {"order_id", J(rec_.id)},
                                    {"channel", J(rec_.channel)},
                                    {"account", J(order_.customer.account_number)},
                                    {"currency", J(order_.currency)},
                                    {"lines", std::move(credited)},
                                    {"subtotal_minor", credit},
                                    {"tax_minor", tax},
                                    {"total_minor", credit + tax}}));
    DISTHUB_RETURN_IF_ERROR(
        ReturnState(r, "credited", {{"credit_memo_id", J(memo)}, {"refund_minor", credit + tax}}));
    DISTHUB_RETURN_IF_ERROR(ReturnState(r, "closed"));
    return ReturnResult(Verdict::kApplied, "", r);
  }

  // --- Steps ----------------------------------------------------------------------------

  // Takes a new or waiting order forward (the intake nudge, its safety-net timer, a
  // backorder re-check): accepts it — validated at intake (schema, SKUs, address) — and
  // sources it. An order whose channel needs the ERP (pricing, credit) waits for it
  // instead; `recheck_hold` asks the ERP again about an order on credit hold.
  absl::StatusOr<Answer> TakeForward(bool recheck_hold = false) {
    switch (order_.status) {
      case OrderStatus::kReceived:
      case OrderStatus::kValidated:
        if (NeedsErp()) return WaitForErp();
        DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kAccepted));
        return Source();
      case OrderStatus::kCreditHold:
        if (recheck_hold && NeedsErp()) return WaitForErp();
        return Result(Verdict::kUnchanged, "the order is on credit hold");
      case OrderStatus::kAccepted:
      case OrderStatus::kBackordered:
        return Source();
      default:
        return Result(Verdict::kUnchanged, StrCat("the order is ", EnumName(order_.status)));
    }
  }

  // --- The ERP: pricing and credit --------------------------------------------------------

  bool NeedsErp() const {
    const ChannelPolicy& p = lc_->PolicyFor(rec_.channel);
    return lc_->erp_workers_ != nullptr && (p.credit.check || p.erp_pricing);
  }

  // The order is handed to the ERP workers once this step commits; its durable timer
  // hands it over again if their answer is lost (a crash, a full queue).
  absl::StatusOr<Answer> WaitForErp() {
    wants_erp_ = true;
    const bool held = order_.status == OrderStatus::kCreditHold;
    DISTHUB_RETURN_IF_ERROR(SetTimer(StrCat(held ? "credit:" : "advance:", rec_.id),
                                     held ? kTimerCreditRecheck : kTimerAdvance,
                                     now_ + lc_->options_.erp_retry));
    return Result(Verdict::kApplied, "waiting for the ERP");
  }

  // What the ERP said: prices the order (ERP pricing), then accepts it, holds it or falls
  // back as the channel's credit policy says, and sources an accepted order.
  absl::StatusOr<Answer> ApplyErp(const ErpReply& reply) {
    const bool held = order_.status == OrderStatus::kCreditHold;
    if (!held && order_.status != OrderStatus::kReceived &&
        order_.status != OrderStatus::kValidated) {
      return Result(Verdict::kUnchanged, StrCat("the order is ", EnumName(order_.status)));
    }
    const ChannelPolicy& policy = lc_->PolicyFor(rec_.channel);
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("advance:", rec_.id)));
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("credit:", rec_.id)));
    if (policy.erp_pricing && !held) {
      absl::Status priced = reply.pricing;
      const Money before = order_.totals.grand_total;
      if (priced.ok()) {
        std::vector<int64_t> eaches;
        for (const OrderLine& l : order_.lines) eaches.push_back(Eaches(l));
        priced = ApplyQuote(order_, eaches, reply.quote);
      }
      if (absl::IsUnavailable(priced)) {
        // No price without the ERP: the order waits, and is asked about again.
        lc_->m_.erp_unanswered->Inc();
        DISTHUB_RETURN_IF_ERROR(
            SetTimer(StrCat("advance:", rec_.id), kTimerAdvance, now_ + lc_->options_.erp_retry));
        DISTHUB_RETURN_IF_ERROR(Emit("order.erp_unavailable",
                                     {{"order_id", J(rec_.id)},
                                      {"step", "pricing"},
                                      {"error", J(std::string(priced.message()))},
                                      {"retry_at", TimeJson(now_ + lc_->options_.erp_retry)}}));
        return Result(Verdict::kUnchanged, StrCat("waiting for the ERP: ", priced.message()));
      }
      if (!priced.ok()) return Hold("pricing_refused", std::string(priced.message()), false);
      order_dirty_ = true;
      DISTHUB_RETURN_IF_ERROR(
          Emit("order.priced", {{"order_id", J(rec_.id)},
                                {"by", "erp"},
                                {"grand_total_before", before.minor},
                                {"subtotal", order_.totals.subtotal.minor},
                                {"tax", order_.totals.tax.minor},
                                {"grand_total", order_.totals.grand_total.minor},
                                {"currency", J(order_.currency)}}));
    }
    json::object credit;
    if (policy.credit.check) {
      const int64_t amount = order_.totals.grand_total.minor;
      if (reply.credit) {
        const CreditAnswer& a = *reply.credit;
        if (!a.approved) {
          return Hold(a.reason.empty() ? "declined" : a.reason,
                      StrCat("the ERP declined ", amount, " ", order_.currency, " minor units (",
                             a.available_minor, " available of a ", a.limit_minor, " limit)"),
                      false);
        }
        credit = {{"credit", "approved"},
                  {"amount", amount},
                  {"available", a.available_minor},
                  {"limit", a.limit_minor}};
      } else if (absl::IsUnavailable(reply.credit_status)) {
        lc_->m_.erp_unanswered->Inc();
        const CreditPolicy& cp = policy.credit;
        if (cp.fallback != CreditFallback::kAcceptUnderLimit || amount > cp.accept_under_minor) {
          return Hold("erp_unavailable", std::string(reply.credit_status.message()), true);
        }
        lc_->m_.credit_fallbacks->Inc();
        credit = {{"credit", "not_checked"},
                  {"fallback", "accept_under_limit"},
                  {"amount", amount},
                  {"limit", cp.accept_under_minor},
                  {"error", J(std::string(reply.credit_status.message()))}};
      } else {
        return Hold("erp_refused", std::string(reply.credit_status.message()), false);
      }
    }
    const bool unchecked = credit.contains("fallback");
    DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kAccepted, std::move(credit)));
    if (unchecked) {
      // The ERP still has to hear of it: its exposure must count this order.
      DISTHUB_RETURN_IF_ERROR(SetTimer(StrCat("credit-late:", rec_.id), kTimerCreditLate,
                                       now_ + lc_->options_.erp_retry));
    }
    return Source();
  }

  // The timer of an order accepted without its credit check fired: the ERP workers ask
  // the ERP once this step commits, and the timer waits another erp_retry meanwhile (if
  // the ERP still does not answer, it fires again).
  absl::StatusOr<Answer> AskCreditLate(const TimerRecord& t) {
    DISTHUB_RETURN_IF_ERROR(txn_.PutTimer(
        {.id = t.id, .kind = t.kind, .subject = t.subject, .due_at = now_ + lc_->options_.erp_retry}));
    wants_late_credit_ = true;
    return Result(Verdict::kApplied, "asking the ERP about the credit it could not check");
  }

  // The ERP's answer about an order accepted without its credit check. The order goes on
  // whatever it says: it is accepted, perhaps shipped. A decline raises
  // alert.credit_declined_after_acceptance for people to decide (cancel what has not
  // shipped, call the customer).
  absl::StatusOr<Answer> ApplyLateCredit(const absl::StatusOr<CreditAnswer>& answer) {
    const std::string timer = StrCat("credit-late:", rec_.id);
    DISTHUB_ASSIGN_OR_RETURN(std::optional<TimerRecord> pending, txn_.FindTimer(timer));
    if (!pending) return Result(Verdict::kUnchanged, "the ERP has been told already");
    if (absl::IsUnavailable(answer.status())) {
      lc_->m_.erp_unanswered->Inc();
      return Result(Verdict::kUnchanged,
                    StrCat("the ERP still does not answer: ", answer.status().message()));
    }
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(timer));
    const int64_t amount = order_.totals.grand_total.minor;
    json::object checked{{"order_id", J(rec_.id)},
                         {"after_acceptance", true},
                         {"amount", amount},
                         {"account", J(ErpAccount(order_))}};
    std::string reason;
    if (answer.ok()) {
      checked["approved"] = answer->approved;
      checked["reason"] = J(answer->reason);
      checked["available"] = answer->available_minor;
      checked["limit"] = answer->limit_minor;
      if (!answer->approved) reason = answer->reason.empty() ? "declined" : answer->reason;
    } else {
      reason = StrCat("erp_refused: ", answer.status().message());
      checked["approved"] = false;
      checked["reason"] = J(reason);
    }
    DISTHUB_RETURN_IF_ERROR(Emit("order.credit_checked", checked));
    if (reason.empty()) return Result(Verdict::kApplied, "the ERP approved it after the fact");
    json::object alert{{"order_id", J(rec_.id)},
                       {"channel", J(rec_.channel)},
                       {"channel_ref", J(rec_.channel_ref)},
                       {"status", J(EnumName(order_.status))},
                       {"account", J(ErpAccount(order_))},
                       {"amount", amount},
                       {"reason", J(reason)}};
    DISTHUB_RETURN_IF_ERROR(Emit("alert.credit_declined_after_acceptance", std::move(alert)));
    lc_->m_.credit_declined_late->Inc();
    return Result(Verdict::kApplied, StrCat("the ERP declined it after the fact: ", reason));
  }

  // Holds the order for credit (order.credit_hold, alert.credit_hold); `retry` asks the
  // ERP again after erp_retry. An order already held records the new answer only.
  absl::StatusOr<Answer> Hold(const std::string& reason, const std::string& detail, bool retry) {
    if (retry) {
      DISTHUB_RETURN_IF_ERROR(SetTimer(StrCat("credit:", rec_.id), kTimerCreditRecheck,
                                       now_ + lc_->options_.erp_retry));
    }
    json::object why{{"order_id", J(rec_.id)},
                     {"reason", J(reason)},
                     {"detail", J(detail)},
                     {"amount", order_.totals.grand_total.minor},
                     {"account", J(ErpAccount(order_))}};
    if (retry) why["recheck_at"] = TimeJson(now_ + lc_->options_.erp_retry);
    if (order_.status == OrderStatus::kCreditHold) {
      DISTHUB_RETURN_IF_ERROR(Emit("order.credit_rechecked", std::move(why)));
      return Result(Verdict::kUnchanged, StrCat("still on credit hold: ", reason));
    }
    json::object alert = why;
    alert["channel"] = J(rec_.channel);
    alert["channel_ref"] = J(rec_.channel_ref);
    DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kCreditHold, std::move(why)));
    DISTHUB_RETURN_IF_ERROR(Emit("alert.credit_hold", std::move(alert)));
    lc_->m_.credit_holds->Inc();
    return Result(Verdict::kApplied, StrCat("credit hold: ", reason));
  }

  // An operator accepts an order on credit hold.
  absl::StatusOr<Answer> ReleaseHold(const std::string& reason) {
    if (order_.status != OrderStatus::kCreditHold) {
      return Result(Verdict::kRefused,
                    StrCat("the order is ", EnumName(order_.status), ", not on credit hold"));
    }
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("credit:", rec_.id)));
    DISTHUB_RETURN_IF_ERROR(
        Transition(OrderStatus::kAccepted, {{"credit", "released"}, {"reason", J(reason)}}));
    return Source();
  }

  bool wants_erp() const { return wants_erp_; }
  bool wants_late_credit() const { return wants_late_credit_; }

  // Sources and reserves the whole order, then releases it; or backorders it.
  absl::StatusOr<Answer> Source() {
    const std::string& channel = rec_.channel;
    const inventory::Ledger& ledger = inv_.ledger();
    const inventory::ChannelRule& rule = ledger.RuleFor(channel);
    DISTHUB_RETURN_IF_ERROR(Substitute());
    std::vector<SourcingLine> lines;
    for (const OrderLine& l : order_.lines) lines.push_back({l.line_no, l.sku, Eaches(l)});
    int64_t grams = 0;
    for (const SourcingLine& l : lines) grams += lc_->Grams(l.sku, l.quantity);
    std::vector<std::string> ranked =
        lc_->Ranked(order_.ship_to.region, grams, lc_->PolicyFor(channel).promise);
    SourcingPlan plan = PlanSourcing(
        lines, ranked, lc_->PolicyFor(channel).sourcing,
        [&](const std::string& sku, const std::string& location) -> int64_t {
          if (rule.Excludes(location)) return 0;
          const inventory::Position* p = ledger.FindPosition(sku, location);
          return p == nullptr ? 0 : p->Atp();
        },
        [&](const std::string& sku) { return ledger.Sellable(channel, sku); });
    if (!plan.complete) return Backorder(plan.reason, plan.short_lines);

    // Reserve exactly the plan; a refusal (the channel's share across lines of one SKU)
    // undoes them all and backorders.
    std::map<int, std::vector<std::string>> where;  // line → locations, in plan order
    for (const Allocation& a : plan.allocations) where[a.line].push_back(a.location);
    std::vector<inventory::Reservation> held;
    std::string refusal;
    const size_t mark = inv_.Mark();
    absl::Status reserved = txn_.Isolated([&]() -> absl::Status {
      for (const SourcingLine& l : lines) {
        DISTHUB_ASSIGN_OR_RETURN(inventory::Result r,
                                 inv_.Reserve({.order_id = rec_.id,
                                               .line = l.line,
                                               .sku = l.sku,
                                               .channel = channel,
                                               .quantity = l.quantity,
                                               .locations = where[l.line],
                                               .allow_split = where[l.line].size() > 1}));
        if (r.outcome == inventory::Outcome::kRefused) {
          refusal = StrCat("line ", l.line, ": ", r.reason);
          return absl::AbortedError(refusal);
        }
        if (r.outcome == inventory::Outcome::kUnchanged) {
          // Held from an earlier attempt that committed (a repeat after a lost answer).
          for (inventory::Reservation& x : ledger.Reservations(rec_.id, l.line)) held.push_back(x);
        } else {
          for (inventory::Reservation& x : r.reservations) held.push_back(std::move(x));
        }
      }
      return absl::OkStatus();
    });
    if (!reserved.ok()) {
      inv_.UndoTo(mark);
      if (!refusal.empty()) return Backorder(refusal, {});
      return reserved;
    }
    json::array allocations;
    std::map<std::string, std::vector<FoLine>> by_location;
    for (const inventory::Reservation& r : held) {
      allocations.push_back(json::object{{"line", r.line},
                                         {"sku", J(r.sku)},
                                         {"location", J(r.location)},
                                         {"quantity", r.quantity}});
      by_location[r.location].push_back({.line = r.line, .sku = r.sku, .quantity = r.quantity});
    }
    if (order_.status == OrderStatus::kBackordered) {
      DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("backorder:", rec_.id)));
    }
    DISTHUB_RETURN_IF_ERROR(
        Transition(OrderStatus::kAllocated, {{"allocations", std::move(allocations)}}));
    // Fulfillment orders in the ranked order of their locations.
    json::array released;
    for (const std::string& location : ranked) {
      auto it = by_location.find(location);
      if (it == by_location.end()) continue;
      Fo fo;
      fo.rec = FulfillmentRecord{.id = lc_->ids_->Next("ful"),
                                 .order_id = rec_.id,
                                 .location = location,
                                 .state = "",
                                 .attempt = 0,
                                 .version = 0,
                                 .created_at = now_,
                                 .updated_at = now_};
      fo.doc.lines = it->second;
      fos_.push_back(std::move(fo));
      DISTHUB_RETURN_IF_ERROR(Release(fos_.back()));
      released.push_back(J(fos_.back().rec.id));
    }
    DISTHUB_RETURN_IF_ERROR(
        Transition(OrderStatus::kReleased, {{"fulfillments", std::move(released)}}));
    lc_->m_.time_to_release->Observe(absl::ToDoubleSeconds(now_ - rec_.created_at));
    return Result(Verdict::kApplied, "");
  }

  // Lines whose SKU the channel cannot sell enough of anywhere take the first substitute
  // it can (when the channel allows substitutions), at the line's price.
  absl::Status Substitute() {
    const ChannelPolicy& policy = lc_->PolicyFor(rec_.channel);
    if (!policy.substitutions || lc_->options_.substitutes.empty()) return absl::OkStatus();
    const inventory::Ledger& ledger = inv_.ledger();
    for (OrderLine& l : order_.lines) {
      if (ledger.Sellable(rec_.channel, l.sku) >= Eaches(l)) continue;
      auto it = lc_->options_.substitutes.find(l.sku);
      if (it == lc_->options_.substitutes.end()) continue;
      for (const std::string& sub : it->second) {
        OrderLine candidate = l;
        candidate.sku = sub;
        if (l.uom != "each" && lc_->catalog_ != nullptr) {
          // Only a substitute sold in the line's unit of measure (a case of 12 for a case).
          const Product* p = lc_->catalog_->Find(sub);
          if (p == nullptr || !ToEaches(*p, l.quantity, l.uom).ok()) continue;
        }
        const int64_t need = Eaches(candidate);
        if (ledger.Sellable(rec_.channel, sub) < need) continue;
        DISTHUB_RETURN_IF_ERROR(Emit("order.substituted", {{"order_id", J(rec_.id)},
                                                           {"line", l.line_no},
                                                           {"from", J(l.sku)},
                                                           {"to", J(sub)},
                                                           {"quantity", l.quantity},
                                                           {"uom", J(l.uom)},
                                                           {"eaches", need}}));
        // What was asked for stays in the order's history (this event, its timeline); the
        // order's attributes are the partner's and are not touched.
        lc_->m_.substitutions->Inc();
        l.sku = sub;
        order_dirty_ = true;
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Answer> Backorder(const std::string& reason, const std::vector<int>& short_lines) {
    DISTHUB_RETURN_IF_ERROR(SetTimer(StrCat("backorder:", rec_.id), kTimerBackorder,
                                     now_ + lc_->options_.backorder_recheck));
    if (order_.status == OrderStatus::kBackordered) {
      return Result(Verdict::kUnchanged, StrCat("still short: ", reason));
    }
    json::array lines;
    for (int l : short_lines) lines.push_back(l);
    DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kBackordered,
                                       {{"reason", J(reason)}, {"short_lines", std::move(lines)}}));
    lc_->m_.backorders->Inc();
    return Result(Verdict::kApplied, reason);
  }

  // Sends the fulfillment order (again) to its location and arms its ack deadline.
  absl::Status Release(Fo& fo) {
    const LocationPolicy* policy = lc_->Location(fo.rec.location);
    fo.rec.attempt += 1;
    fo.rec.state = std::string(kReleased);
    fo.doc.released_at = now_;
    fo.dirty = true;
    json::array lines;
    int64_t grams = 0;
    for (const FoLine& l : fo.doc.lines) {
      lines.push_back(
          json::object{{"line", l.line}, {"sku", J(l.sku)}, {"quantity", l.quantity - l.shipped}});
      grams += lc_->Grams(l.sku, l.quantity - l.shipped);
    }
    json::object release{{"fulfillment_id", J(fo.rec.id)},
                         {"order_id", J(rec_.id)},
                         {"channel", J(rec_.channel)},
                         {"channel_ref", J(rec_.channel_ref)},
                         {"location", J(fo.rec.location)},
                         {"attempt", fo.rec.attempt},
                         {"lines", std::move(lines)},
                         {"ship_to", Encode(order_.ship_to)},
                         {"service_level", J(EnumName(order_.service_level))}};
    // The cheapest service that meets the channel's promise from here, when rated.
    const std::shared_ptr<const CarrierRates::Table> carriers = lc_->Carriers();
    if (policy != nullptr && !policy->origin.empty() && !carriers->empty()) {
      const absl::Duration promise = lc_->PolicyFor(rec_.channel).promise;
      if (std::optional<ShippingQuote> q =
              CheapestService(*carriers, policy->origin, order_.ship_to.region, grams,
                              Lifecycle::PromiseDays(promise))) {
        release["carrier"] = J(q->carrier);
        release["service"] = J(q->service);
        release["shipping"] = json::object{{"zone", q->zone},
                                           {"transit_days", q->transit_days},
                                           {"cost_minor", q->cost_minor},
                                           {"weight_grams", grams},
                                           {"meets_promise", q->meets_promise}};
      }
    }
    DISTHUB_RETURN_IF_ERROR(
        Emit(StrCat("fulfillment.release.", fo.rec.location), std::move(release)));
    lc_->m_.releases->Inc();
    absl::Duration deadline = policy != nullptr ? policy->ack_deadline : absl::Minutes(15);
    return SetTimer(AckTimerId(fo.rec.id, fo.rec.attempt), kTimerAck, now_ + deadline,
                    {{"fulfillment_id", J(fo.rec.id)}, {"attempt", fo.rec.attempt}});
  }

  // A release went unacknowledged past its deadline: send it again, reroute it, or
  // escalate.
  absl::StatusOr<Answer> AckOverdue(Fo& fo, int attempt) {
    if (fo.rec.state != kReleased || fo.rec.attempt != attempt) {
      return Result(Verdict::kUnchanged, StrCat("release ", attempt, " is no longer waiting"), &fo);
    }
    const LocationPolicy* policy = lc_->Location(fo.rec.location);
    const int attempts = policy != nullptr ? policy->release_attempts : 2;
    DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.ack_overdue", {{"fulfillment_id", J(fo.rec.id)},
                                                             {"location", J(fo.rec.location)},
                                                             {"attempt", attempt}}));
    if (attempt < attempts) {
      DISTHUB_RETURN_IF_ERROR(Release(fo));
      lc_->m_.retries->Inc();
      return Result(Verdict::kApplied, StrCat("released again (", fo.rec.attempt, ")"), &fo);
    }
    return Reroute(fo, StrCat("not acknowledged after ", attempt, " releases"));
  }

  // A location did not acknowledge: if another can take the fulfillment order, the silent
  // one is asked to cancel it first — the order moves only once it confirms (or past the
  // reroute deadline), so a warehouse that was merely slow never ships it alongside the
  // new one. With nowhere to go, the order is escalated.
  absl::StatusOr<Answer> Reroute(Fo& fo, const std::string& why) {
    const std::string to = RerouteTarget(fo);
    if (to.empty()) return Escalate(fo, why);
    fo.doc.prior_state = fo.rec.state;
    fo.doc.reroute_to = to;
    fo.doc.note = why;
    fo.rec.state = std::string(kCancelRequested);
    fo.dirty = true;
    DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.reroute_requested", {{"fulfillment_id", J(fo.rec.id)},
                                                                   {"from", J(fo.rec.location)},
                                                                   {"to", J(to)},
                                                                   {"reason", J(why)}}));
    DISTHUB_RETURN_IF_ERROR(Emit(StrCat("fulfillment.cancel.", fo.rec.location),
                                 {{"fulfillment_id", J(fo.rec.id)},
                                  {"order_id", J(rec_.id)},
                                  {"location", J(fo.rec.location)},
                                  {"reason", J(StrCat("rerouting to ", to, ": ", why))}}));
    const LocationPolicy* policy = lc_->Location(fo.rec.location);
    DISTHUB_RETURN_IF_ERROR(SetTimer(StrCat("reroute:", fo.rec.id), kTimerRerouteDeadline,
                                     now_ + (policy ? policy->ack_deadline : absl::Minutes(15)),
                                     {{"fulfillment_id", J(fo.rec.id)}}));
    return Result(Verdict::kApplied,
                  StrCat("asked ", fo.rec.location, " to cancel; rerouting to ", to), &fo);
  }

  // The silent location never answered the cancellation either: the order moves anyway
  // (it may yet ship twice if that location wakes up: alert.reroute_unconfirmed).
  absl::StatusOr<Answer> RerouteUnconfirmed(Fo& fo) {
    if (fo.rec.state != kCancelRequested || fo.doc.reroute_to.empty()) {
      return Result(Verdict::kUnchanged, "no reroute is waiting", &fo);
    }
    json::object alert{{"order_id", J(rec_.id)},
                       {"fulfillment_id", J(fo.rec.id)},
                       {"location", J(fo.rec.location)},
                       {"reason", "no answer to the cancellation; rerouted without it"}};
    DISTHUB_RETURN_IF_ERROR(Emit("alert.reroute_unconfirmed", std::move(alert)));
    return CompleteReroute(
        fo, StrCat(fo.doc.note, "; ", fo.rec.location, " did not answer the cancellation"));
  }

  // The locations `fo` has been at, this one included.
  static std::vector<std::string> Tried(const Fo& fo) {
    std::vector<std::string> tried = fo.doc.tried;
    tried.push_back(fo.rec.location);
    return tried;
  }

  // The locations, by preference, not tried yet and not excluded for the channel, whose
  // available stock can take all of `fo`'s units not shipped yet.
  std::vector<std::string> RerouteCandidates(const Fo& fo) {
    const std::vector<std::string> tried = Tried(fo);
    const inventory::Ledger& ledger = inv_.ledger();
    const inventory::ChannelRule& rule = ledger.RuleFor(rec_.channel);
    std::map<std::string, int64_t> need;  // per SKU: lines of one SKU add up
    int64_t grams = 0;
    for (const FoLine& l : fo.doc.lines) {
      need[l.sku] += l.quantity - l.shipped;
      grams += lc_->Grams(l.sku, l.quantity - l.shipped);
    }
    std::vector<std::string> out;
    for (const std::string& to :
         lc_->Ranked(order_.ship_to.region, grams, lc_->PolicyFor(rec_.channel).promise)) {
      if (std::find(tried.begin(), tried.end(), to) != tried.end() || rule.Excludes(to)) continue;
      bool fits = true;
      for (const auto& [sku, n] : need) {
        const inventory::Position* p = ledger.FindPosition(sku, to);
        if (p == nullptr || p->Atp() < n) fits = false;
      }
      if (fits) out.push_back(to);
    }
    return out;
  }

  // The first reroute candidate; "" if none.
  std::string RerouteTarget(const Fo& fo) {
    std::vector<std::string> candidates = RerouteCandidates(fo);
    return candidates.empty() ? "" : candidates.front();
  }

  // The silent location confirmed the cancellation (or the reroute deadline passed):
  // the reservations move and the new location gets the release.
  absl::StatusOr<Answer> CompleteReroute(Fo& fo, const std::string& why) {
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("reroute:", fo.rec.id)));
    fo.doc.reroute_to.clear();
    const std::vector<std::string> tried = Tried(fo);
    for (const std::string& to : RerouteCandidates(fo)) {
      const size_t mark = inv_.Mark();
      absl::Status moved = txn_.Isolated([&]() -> absl::Status {
        for (const FoLine& l : fo.doc.lines) {
          DISTHUB_ASSIGN_OR_RETURN(inventory::Result r,
                                   inv_.Transfer(rec_.id, l.line, fo.rec.location, to));
          if (r.outcome != inventory::Outcome::kApplied) return absl::AbortedError(r.reason);
        }
        return absl::OkStatus();
      });
      if (!moved.ok()) {
        inv_.UndoTo(mark);
        if (absl::IsAborted(moved)) continue;
        return moved;
      }
      Fo next;
      next.rec = FulfillmentRecord{.id = lc_->ids_->Next("ful"),
                                   .order_id = rec_.id,
                                   .location = to,
                                   .attempt = 0,
                                   .version = 0,
                                   .created_at = now_};
      next.doc.lines = fo.doc.lines;
      next.doc.tried = tried;
      fo.rec.state = std::string(kRerouted);
      fo.doc.note = StrCat("rerouted to ", to, ": ", why);
      fo.dirty = true;
      DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.rerouted", {{"fulfillment_id", J(fo.rec.id)},
                                                            {"from", J(fo.rec.location)},
                                                            {"to", J(to)},
                                                            {"to_fulfillment_id", J(next.rec.id)},
                                                            {"reason", J(why)}}));
      const std::string from_id = fo.rec.id;  // `fo` may move when fos_ grows
      fos_.push_back(std::move(next));
      DISTHUB_RETURN_IF_ERROR(Release(fos_.back()));
      lc_->m_.reroutes->Inc();
      DISTHUB_RETURN_IF_ERROR(RollUp());
      return Result(Verdict::kApplied, StrCat("rerouted to ", to), Find(from_id));
    }
    // Nowhere to go any more (stock moved meanwhile): it stays here, its units still held,
    // parked for people to decide (escalated).
    fo.rec.state = std::string(kReleased);
    fo.dirty = true;
    return Escalate(fo, StrCat(why, "; cancelled at ", fo.rec.location));
  }

  absl::StatusOr<Answer> Escalate(Fo& fo, const std::string& why) {
    if (!fo.doc.escalated) {
      fo.doc.escalated = true;
      fo.dirty = true;
      json::object alert{{"order_id", J(rec_.id)},
                         {"fulfillment_id", J(fo.rec.id)},
                         {"location", J(fo.rec.location)},
                         {"reason", J(StrCat(why, "; no other location can take it"))}};
      DISTHUB_RETURN_IF_ERROR(Emit("order.escalated", alert));
      DISTHUB_RETURN_IF_ERROR(Emit("alert.escalated", std::move(alert)));
      lc_->m_.escalations->Inc();
    }
    return Result(Verdict::kApplied, StrCat("escalated: ", why, "; no other location can take it"),
                  &fo);
  }

  absl::StatusOr<Answer> Acknowledge(Fo& fo) {
    if (fo.rec.state == kAcknowledged || fo.rec.state == kShipped) {
      return Result(Verdict::kUnchanged, StrCat("already ", fo.rec.state), &fo);
    }
    if (fo.rec.state == kCancelRequested) {
      return Result(Verdict::kUnchanged, "a cancellation is pending; waiting for its answer", &fo);
    }
    if (fo.rec.state != kReleased) {
      return Result(
          Verdict::kUnchanged,
          StrCat("fulfillment order is ", fo.rec.state,
                 fo.doc.note.empty() ? "" : " (" + fo.doc.note + ")", "; nothing to acknowledge"),
          &fo);
    }
    DISTHUB_RETURN_IF_ERROR(MarkAcknowledged(fo));
    DISTHUB_RETURN_IF_ERROR(RollUp());
    return Result(Verdict::kApplied, "", &fo);
  }

  absl::Status MarkAcknowledged(Fo& fo) {
    fo.rec.state = std::string(kAcknowledged);
    fo.doc.acknowledged_at = now_;
    fo.dirty = true;
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(AckTimerId(fo.rec.id, fo.rec.attempt)));
    double latency = absl::ToDoubleSeconds(now_ - fo.doc.released_at);
    ack_latency_.emplace_back(fo.rec.location, latency);
    return Emit("fulfillment.acknowledged", {{"fulfillment_id", J(fo.rec.id)},
                                             {"location", J(fo.rec.location)},
                                             {"attempt", fo.rec.attempt},
                                             {"latency_seconds", latency}});
  }

  absl::StatusOr<Answer> Ship(Fo& fo, const ShipmentInput& in) {
    for (const FoShipment& s : fo.doc.shipments) {
      if (s.id == in.shipment_id)
        return Result(Verdict::kUnchanged, "shipment already recorded", &fo);
    }
    if (fo.rec.state == kShipped) {
      return Result(Verdict::kRefused, "the fulfillment order has shipped in full already", &fo);
    }
    if (!Live(fo.rec.state)) {
      // A warehouse shipping what it was told to drop: people must look at it.
      json::object alert{
          {"order_id", J(rec_.id)},
          {"fulfillment_id", J(fo.rec.id)},
          {"location", J(fo.rec.location)},
          {"shipment_id", J(in.shipment_id)},
          {"reason", J(StrCat("shipment reported for a ", fo.rec.state, " fulfillment order"))}};
      DISTHUB_RETURN_IF_ERROR(Emit("alert.shipment_after_cancel", std::move(alert)));
      return Result(Verdict::kRefused,
                    StrCat("the fulfillment order is ", fo.rec.state,
                           fo.doc.note.empty() ? "" : " (" + fo.doc.note + ")"),
                    &fo);
    }
    if (in.lines.empty() && !in.final)
      return Result(Verdict::kRefused, "a shipment needs lines", &fo);
    std::map<int, int64_t> asked;
    for (const ShipmentLine& l : in.lines) {
      const FoLine* line = fo.doc.Line(l.line);
      if (line == nullptr) {
        return Result(Verdict::kRefused,
                      StrCat("line ", l.line, " is not part of fulfillment order ", fo.rec.id),
                      &fo);
      }
      if (l.quantity <= 0) {
        return Result(Verdict::kRefused, StrCat("line ", l.line, ": quantity must be positive"),
                      &fo);
      }
      asked[l.line] += l.quantity;
      if (line->shipped + asked[l.line] > line->quantity) {
        return Result(Verdict::kRefused,
                      StrCat("line ", l.line, ": ", line->shipped + asked[l.line],
                             " shipped would exceed the ", line->quantity, " released"),
                      &fo);
      }
    }
    for (const ShipmentLine& l : in.lines) {
      DISTHUB_ASSIGN_OR_RETURN(inventory::Result r,
                               inv_.Consume(rec_.id, l.line, fo.rec.location, l.quantity));
      if (r.outcome != inventory::Outcome::kApplied) {
        return absl::InternalError(
            StrCat("consuming line ", l.line, " at ", fo.rec.location, ": ", r.reason));
      }
      for (FoLine& x : fo.doc.lines) {
        if (x.line == l.line) x.shipped += l.quantity;
      }
    }
    if (fo.rec.state == kReleased)
      DISTHUB_RETURN_IF_ERROR(MarkAcknowledged(fo));  // shipped implies it
    fo.doc.shipments.push_back({.id = in.shipment_id,
                                .lines = in.lines,
                                .carrier = in.carrier,
                                .tracking = in.tracking,
                                .final = in.final,
                                .at = now_});
    fo.dirty = true;
    bool all = true;
    for (const FoLine& l : fo.doc.lines) all = all && l.shipped == l.quantity;
    json::array lines;
    for (const ShipmentLine& l : in.lines)
      lines.push_back(json::object{{"line", l.line}, {"quantity", l.quantity}});
    DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.shipped", {{"fulfillment_id", J(fo.rec.id)},
                                                         {"location", J(fo.rec.location)},
                                                         {"shipment_id", J(in.shipment_id)},
                                                         {"lines", std::move(lines)},
                                                         {"carrier", J(in.carrier)},
                                                         {"tracking", J(in.tracking)},
                                                         {"final", in.final || all}}));
    if (in.final || all) {
      // What the final shipment left out is short: its units go back to stock.
      json::array shorts;
      for (FoLine& l : fo.doc.lines) {
        if (l.shipped == l.quantity) continue;
        DISTHUB_ASSIGN_OR_RETURN(inventory::Result r,
                                 inv_.Release(rec_.id, l.line, fo.rec.location));
        (void)r;  // unchanged when nothing was held there any more
        l.short_units = l.quantity - l.shipped;
        shorts.push_back(json::object{{"line", l.line}, {"short", l.short_units}});
      }
      if (!shorts.empty()) {
        DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.short", {{"fulfillment_id", J(fo.rec.id)},
                                                           {"location", J(fo.rec.location)},
                                                           {"lines", std::move(shorts)}}));
      }
      fo.rec.state = std::string(kShipped);
    }
    DISTHUB_RETURN_IF_ERROR(RollUp());
    return Result(Verdict::kApplied, "", &fo);
  }

  absl::StatusOr<Answer> Cancel(const std::string& reason) {
    switch (order_.status) {
      case OrderStatus::kCancelled:
        return Result(Verdict::kUnchanged, "already cancelled");
      case OrderStatus::kShipped:
      case OrderStatus::kInvoiced:
      case OrderStatus::kClosed:
        return Result(Verdict::kRefused, StrCat("the order has ", EnumName(order_.status),
                                                "; it can no longer be cancelled (return it)"));
      case OrderStatus::kRejected:
        return Result(Verdict::kRefused, "the order was rejected");
      default:
        break;
    }
    bool any_live = false;
    bool asked = false;
    for (Fo& fo : fos_) {
      if (!Live(fo.rec.state)) continue;
      any_live = true;
      if (fo.rec.state == kCancelRequested) {
        if (!fo.doc.reroute_to.empty()) {  // the order's cancellation takes over the reroute's
          fo.doc.reroute_to.clear();
          fo.dirty = true;
          DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("reroute:", fo.rec.id)));
          DISTHUB_RETURN_IF_ERROR(SetCancelDeadline(fo));
          asked = true;
        }
        continue;
      }
      fo.doc.prior_state = fo.rec.state;
      DISTHUB_RETURN_IF_ERROR(DeleteTimer(AckTimerId(fo.rec.id, fo.rec.attempt)));
      fo.rec.state = std::string(kCancelRequested);
      fo.dirty = true;
      asked = true;
      DISTHUB_RETURN_IF_ERROR(
          Emit(StrCat("fulfillment.cancel.", fo.rec.location), {{"fulfillment_id", J(fo.rec.id)},
                                                                {"order_id", J(rec_.id)},
                                                                {"location", J(fo.rec.location)},
                                                                {"reason", J(reason)}}));
      DISTHUB_RETURN_IF_ERROR(SetCancelDeadline(fo));
    }
    if (any_live) {
      if (!asked)
        return Result(Verdict::kUnchanged,
                      "cancellation already requested; waiting for the warehouse");
      DISTHUB_RETURN_IF_ERROR(
          Emit("order.cancel_requested", {{"order_id", J(rec_.id)}, {"reason", J(reason)}}));
      lc_->m_.cancellations->Inc();
      return Result(Verdict::kApplied, "cancellation requested from the warehouse");
    }
    // Nothing is at a warehouse: release what is held and cancel now.
    for (const OrderLine& l : order_.lines) {
      DISTHUB_RETURN_IF_ERROR(inv_.Release(rec_.id, l.line_no).status());
    }
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("backorder:", rec_.id)));
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("advance:", rec_.id)));
    DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("credit:", rec_.id)));
    DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kCancelled, {{"reason", J(reason)}}));
    lc_->m_.cancellations->Inc();
    return Result(Verdict::kApplied, "");
  }

  // The location has the acknowledgement deadline to answer an order's cancellation.
  absl::Status SetCancelDeadline(const Fo& fo) {
    const LocationPolicy* policy = lc_->Location(fo.rec.location);
    return SetTimer(StrCat("cancel:", fo.rec.id), kTimerCancelDeadline,
                    now_ + (policy ? policy->ack_deadline : absl::Minutes(15)),
                    {{"fulfillment_id", J(fo.rec.id)}});
  }

  // The location never answered the order's cancellation: the fulfillment order stays
  // as it is (it may yet ship; its stock stays reserved there) and people are told.
  absl::StatusOr<Answer> CancelUnconfirmed(Fo& fo) {
    if (fo.rec.state != kCancelRequested || !fo.doc.reroute_to.empty()) {
      return Result(Verdict::kUnchanged, "no cancellation is waiting", &fo);
    }
    DISTHUB_RETURN_IF_ERROR(
        Emit("alert.cancel_unconfirmed",
             {{"order_id", J(rec_.id)},
              {"fulfillment_id", J(fo.rec.id)},
              {"location", J(fo.rec.location)},
              {"reason", J(StrCat(fo.rec.location,
                                  " has not answered the cancellation; its stock stays reserved "
                                  "until it does or ships"))}}));
    lc_->m_.cancel_unconfirmed->Inc();
    return Result(Verdict::kApplied, "the cancellation is unanswered: escalated", &fo);
  }

  absl::StatusOr<Answer> AnswerCancellation(Fo& fo, bool accepted, const std::string& reason) {
    if (fo.rec.state != kCancelRequested) {
      return Result(Verdict::kUnchanged,
                    StrCat("no cancellation is pending; the fulfillment order is ", fo.rec.state),
                    &fo);
    }
    if (fo.doc.reroute_to.empty()) DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("cancel:", fo.rec.id)));
    if (!fo.doc.reroute_to.empty()) {
      if (accepted) return CompleteReroute(fo, fo.doc.note);
      // The slow warehouse has it after all and will ship it: it stays there.
      DISTHUB_RETURN_IF_ERROR(DeleteTimer(StrCat("reroute:", fo.rec.id)));
      fo.doc.reroute_to.clear();
      fo.rec.state = std::string(kAcknowledged);
      fo.dirty = true;
      DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.reroute_refused", {{"fulfillment_id", J(fo.rec.id)},
                                                                   {"location", J(fo.rec.location)},
                                                                   {"reason", J(reason)}}));
      DISTHUB_RETURN_IF_ERROR(RollUp());
      return Result(Verdict::kApplied, StrCat("kept at ", fo.rec.location, ": ", reason), &fo);
    }
    if (accepted) {
      for (const FoLine& l : fo.doc.lines) {
        DISTHUB_RETURN_IF_ERROR(inv_.Release(rec_.id, l.line, fo.rec.location).status());
      }
      fo.rec.state = std::string(kCancelled);
      fo.dirty = true;
      DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.cancelled", {{"fulfillment_id", J(fo.rec.id)},
                                                             {"location", J(fo.rec.location)}}));
    } else {
      fo.rec.state = fo.doc.prior_state.empty() ? std::string(kAcknowledged) : fo.doc.prior_state;
      fo.dirty = true;
      DISTHUB_RETURN_IF_ERROR(Emit("fulfillment.cancel_refused", {{"fulfillment_id", J(fo.rec.id)},
                                                                  {"location", J(fo.rec.location)},
                                                                  {"reason", J(reason)}}));
      if (fo.rec.state == kReleased) {
        const LocationPolicy* policy = lc_->Location(fo.rec.location);
        DISTHUB_RETURN_IF_ERROR(
            SetTimer(AckTimerId(fo.rec.id, fo.rec.attempt), kTimerAck,
                     now_ + (policy ? policy->ack_deadline : absl::Minutes(15)),
                     {{"fulfillment_id", J(fo.rec.id)}, {"attempt", fo.rec.attempt}}));
      }
    }
    DISTHUB_RETURN_IF_ERROR(RollUp());
    return Result(Verdict::kApplied, accepted ? "" : StrCat("the warehouse refused: ", reason),
                  &fo);
  }

  // The order's state from its fulfillment orders' states.
  absl::Status RollUp() {
    bool any_live = false, any_shipped = false, all_acked = true, pending_cancel = false;
    for (const Fo& fo : fos_) {
      if (fo.doc.AnyShipped()) any_shipped = true;
      if (!Live(fo.rec.state)) continue;
      any_live = true;
      if (fo.rec.state == kReleased) all_acked = false;
      if (fo.rec.state == kCancelRequested) pending_cancel = true;
    }
    if (!any_live) {
      if (!any_shipped) {
        if (order_.status != OrderStatus::kCancelled) {
          DISTHUB_RETURN_IF_ERROR(Transition(
              OrderStatus::kCancelled, {{"reason", "every fulfillment order was cancelled"}}));
        }
        return absl::OkStatus();
      }
      if (order_.status != OrderStatus::kShipped && order_.status != OrderStatus::kInvoiced &&
          order_.status != OrderStatus::kClosed) {
        DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kShipped));
        lc_->m_.time_to_ship->Observe(absl::ToDoubleSeconds(now_ - rec_.created_at));
        DISTHUB_RETURN_IF_ERROR(PostInvoice());
      }
      return absl::OkStatus();
    }
    if (any_shipped) {
      if (order_.status != OrderStatus::kPartiallyShipped) {
        DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kPartiallyShipped));
      }
      return absl::OkStatus();
    }
    if (all_acked && !pending_cancel && order_.status == OrderStatus::kReleased) {
      DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kAcknowledged));
    }
    return absl::OkStatus();
  }

  // The invoice for what shipped goes to the ERP (invoice.posted); the order is invoiced
  // and closes after the return window.
  absl::Status PostInvoice() {
    std::map<int, int64_t> shipped;
    for (const Fo& fo : fos_) {
      for (const FoLine& l : fo.doc.lines) shipped[l.line] += l.shipped;
    }
    json::array lines;
    int64_t subtotal = 0, tax = 0;
    for (const OrderLine& l : order_.lines) {
      int64_t each = Eaches(l);
      int64_t units = shipped[l.line_no];
      if (units == 0 || each == 0) continue;
      // Prices are per unit of measure; what shipped is in eaches.
      int64_t amount = l.unit_price.minor * l.quantity * units / each;
      int64_t line_tax = l.tax.minor * units / each;
      subtotal += amount;
      tax += line_tax;
      const auto [quantity, uom] = InLineUnits(l, units);
      lines.push_back(json::object{{"line", l.line_no},
                                   {"sku", J(l.sku)},
                                   {"quantity", quantity},
                                   {"uom", J(uom)},
                                   {"quantity_each", units},
                                   {"amount_minor", amount},
                                   {"tax_minor", line_tax}});
    }
    const std::string invoice_id = StrCat("inv_", rec_.id.substr(rec_.id.find('_') + 1));
    DISTHUB_RETURN_IF_ERROR(Emit("invoice.posted", {{"invoice_id", J(invoice_id)},
                                                    {"order_id", J(rec_.id)},
                                                    {"channel", J(rec_.channel)},
                                                    {"channel_ref", J(rec_.channel_ref)},
                                                    {"account", J(order_.customer.account_number)},
                                                    {"currency", J(order_.currency)},
                                                    {"lines", std::move(lines)},
                                                    {"subtotal_minor", subtotal},
                                                    {"tax_minor", tax},
                                                    {"total_minor", subtotal + tax}}));
    DISTHUB_RETURN_IF_ERROR(Transition(OrderStatus::kInvoiced, {{"invoice_id", J(invoice_id)}}));
    return SetTimer(StrCat("close:", rec_.id), kTimerClose, now_ + lc_->options_.close_after);
  }

  // `eaches` of line `l` in the line's own unit where they are whole units of it (EDI
  // documents speak the purchase order's units: 2 cases, not 24 eaches), else in eaches.
  std::pair<int64_t, std::string> InLineUnits(const OrderLine& l, int64_t eaches) const {
    const int64_t each = Eaches(l);
    const int64_t per_unit = l.quantity > 0 ? each / l.quantity : 0;
    if (per_unit > 0 && each % l.quantity == 0 && eaches % per_unit == 0) {
      return {eaches / per_unit, l.uom};
    }
    return {eaches, "each"};
  }

  json::array ShipmentsJson() const {
    json::array out;
    for (const Fo& fo : fos_) {
      for (const FoShipment& s : fo.doc.shipments) {
        json::array lines;
        for (const ShipmentLine& l : s.lines) {
          json::object line{{"line", l.line}, {"quantity", l.quantity}};
          for (const OrderLine& ol : order_.lines) {
            if (ol.line_no != l.line) continue;
            const auto [quantity, uom] = InLineUnits(ol, l.quantity);
            line["unit_quantity"] = quantity;
            line["uom"] = J(uom);
          }
          lines.push_back(std::move(line));
        }
        out.push_back(json::object{{"shipment_id", J(s.id)},
                                   {"location", J(fo.rec.location)},
                                   {"carrier", J(s.carrier)},
                                   {"tracking", J(s.tracking)},
                                   {"shipped_at", J(disthub::FormatTime(s.at))},
                                   {"lines", std::move(lines)}});
      }
    }
    return out;
  }

  int64_t Eaches(const OrderLine& l) const { return lc_->Eaches(l); }

  const std::vector<std::pair<std::string, double>>& ack_latency() const { return ack_latency_; }

 private:
  Lifecycle* lc_;
  WriteTxn& txn_;
  inventory::InventoryService::Session& inv_;
  std::string cause_;
  absl::Time now_;
  OrderRecord rec_;
  Order order_;
  bool order_dirty_ = false;
  bool wants_erp_ = false;  // hand the order to the ERP workers once this step commits
  bool wants_late_credit_ = false;  // ... for its credit check after the fact
  std::vector<Fo> fos_;
  std::vector<Ret> rets_;
  std::vector<std::pair<std::string, double>> ack_latency_;
};

// One lifecycle step through the writer: runs `fn` on a Flow, saves it, archives the
// message, and answers once the batch is durable.
class FlowOp final : public WriteOp {
 public:
  using Fn = absl::AnyInvocable<absl::StatusOr<Answer>(Flow&)>;
  FlowOp(Lifecycle* lc, Cause cause, Fn fn, Lifecycle::Done done, std::string timer_id = "",
         std::string subject = "")
      : lc_(lc),
        cause_(std::move(cause)),
        fn_(std::move(fn)),
        done_(std::move(done)),
        timer_id_(std::move(timer_id)),
        subject_(std::move(subject)) {}

  absl::Status Apply(WriteTxn& txn) override {
    DISTHUB_ASSIGN_OR_RETURN(inventory::InventoryService::Session session,
                             lc_->inventory_->Begin(txn, cause_.id));
    session_.emplace(std::move(session));
    absl::Status s = txn.Isolated([&] { return Run(txn); });
    if (s.ok()) return s;
    session_->UndoTo(0);
    if (timer_id_.empty() || absl::IsUnavailable(s)) return s;
    // A timer whose step fails for good would fire again every tick: it is removed and
    // the failure raised as an alert for people instead.
    DISTHUB_RETURN_IF_ERROR(txn.DeleteTimer(timer_id_));
    const absl::Time now = lc_->clock_->Now();
    DISTHUB_RETURN_IF_ERROR(
        txn.AppendEvent({.type = "alert.timer_failed",
                         .subject = subject_,
                         .correlation_id = subject_,
                         .causation_id = cause_.id,
                         .occurred_at = now,
                         .recorded_at = now,
                         .payload = json::serialize(
                             json::object{{"timer", J(timer_id_)}, {"error", J(s.ToString())}})})
            .status());
    answer_ = Answer{.verdict = Verdict::kRefused, .reason = s.ToString(), .order_id = subject_};
    return absl::OkStatus();
  }

  absl::Status Run(WriteTxn& txn) {
    Flow flow(lc_, txn, *session_, cause_.id);
    absl::StatusOr<Answer> answer = fn_(flow);
    DISTHUB_RETURN_IF_ERROR(answer.status());
    DISTHUB_RETURN_IF_ERROR(flow.Save());
    if (cause_.inbound) {
      InboundRecord in = *cause_.inbound;
      in.outcome = answer->verdict == Verdict::kApplied     ? "accepted"
                   : answer->verdict == Verdict::kUnchanged ? "duplicate"
                                                            : "rejected";
      in.result = answer->reason.empty() ? answer->order_id : answer->reason;
      DISTHUB_RETURN_IF_ERROR(txn.InsertInbound(in).status());
    }
    ack_latency_ = flow.ack_latency();
    if (flow.wants_erp()) erp_order_ = flow.record().id;
    if (flow.wants_late_credit()) erp_order_ = StrCat(kLateCredit, flow.record().id);
    answer_ = *std::move(answer);
    return absl::OkStatus();
  }

  void Done(absl::Status status) override {
    if (session_) lc_->inventory_->Finish(*session_, status);
    if (status.ok()) {
      for (const auto& [location, seconds] : ack_latency_)
        lc_->AckLatency(location)->Observe(seconds);
      if (!erp_order_.empty()) lc_->AskErp(erp_order_);
      std::move(done_)(std::move(answer_));
    } else {
      std::move(done_)(std::move(status));
    }
    if (!timer_id_.empty()) lc_->TimerDone(timer_id_);
  }

 private:
  Lifecycle* lc_;
  Cause cause_;
  Fn fn_;
  Lifecycle::Done done_;
  std::string timer_id_;  // the timer that fired this step, "" for messages
  std::string subject_;   // the timer's order
  std::optional<inventory::InventoryService::Session> session_;
  Answer answer_;
  std::vector<std::pair<std::string, double>> ack_latency_;
  std::string erp_order_;  // the order to hand to the ERP workers
};

namespace {

// Counts an operation as outstanding until its Done has returned.
class Tracked final : public WriteOp {
 public:
  Tracked(std::unique_ptr<WriteOp> op, std::atomic<int>* outstanding)
      : op_(std::move(op)), outstanding_(outstanding) {
    ++*outstanding_;
  }
  absl::Status Apply(WriteTxn& txn) override { return op_->Apply(txn); }
  void Done(absl::Status status) override {
    op_->Done(std::move(status));
    --*outstanding_;
  }

 private:
  std::unique_ptr<WriteOp> op_;
  std::atomic<int>* outstanding_;
};

Answer NotFound(std::string what) {
  return Answer{.verdict = Verdict::kNotFound, .reason = std::move(what)};
}

}  // namespace

Lifecycle::Lifecycle(Store* store, CommitQueue* queue, inventory::InventoryService* inventory,
                     const Catalog* catalog, const Clock* clock, Registry* metrics,
                     IdGenerator* ids, LifecycleOptions options)
    : store_(store),
      queue_(queue),
      inventory_(inventory),
      catalog_(catalog),
      clock_(clock),
      metrics_(metrics),
      ids_(ids),
      options_(std::move(options)) {
  for (const LocationPolicy& l : options_.locations) zones_.push_back({l.name, l.regions});
  static_carriers_ = std::make_shared<const CarrierRates::Table>(options_.carriers);
  m_.releases = metrics_->Counter("disthub_fulfillment_releases_total",
                                  "Release messages sent to warehouses (retries included).");
  m_.retries = metrics_->Counter("disthub_fulfillment_release_retries_total",
                                 "Releases sent again after an acknowledgement deadline passed.");
  m_.reroutes = metrics_->Counter("disthub_fulfillment_reroutes_total",
                                  "Fulfillment orders moved to another location.");
  m_.escalations = metrics_->Counter("disthub_order_escalations_total",
                                     "Orders escalated to people (no location could take them).");
  m_.cancel_unconfirmed = metrics_->Counter(
      "disthub_fulfillment_cancel_unconfirmed_total",
      "Cancellations a location did not answer within its acknowledgement deadline.");
  m_.credit_declined_late = metrics_->Counter(
      "disthub_order_credit_declined_after_acceptance_total",
      "Orders accepted without a credit check that the ERP then declined.");
  m_.backorders = metrics_->Counter("disthub_order_backorders_total", "Orders backordered.");
  m_.cancellations = metrics_->Counter("disthub_order_cancellations_total",
                                       "Order cancellations accepted (requested or done).");
  m_.promise_missed = metrics_->Counter("disthub_orders_past_promise_total",
                                        "Orders not shipped by their channel's promise.");
  m_.substitutions =
      metrics_->Counter("disthub_order_substitutions_total",
                        "Order lines given a substitute SKU because theirs was short.");
  m_.credit_holds = metrics_->Counter("disthub_order_credit_holds_total",
                                      "Orders put on credit hold (declined, or no ERP answer).");
  m_.credit_fallbacks =
      metrics_->Counter("disthub_order_credit_fallbacks_total",
                        "Orders accepted under the fallback limit because the ERP did not answer.");
  m_.erp_unanswered = metrics_->Counter("disthub_erp_unanswered_total",
                                        "ERP answers missing when an order needed one (down, slow, "
                                        "malformed, circuit open); each try counts.");
  m_.erp_latency = metrics_->Histogram("disthub_erp_check_seconds",
                                       "One order's ERP pricing and credit calls, end to end.", {},
                                       {0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30});
  const std::vector<double> slow = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 86400};
  m_.time_to_release = metrics_->Histogram("disthub_order_time_to_release_seconds",
                                           "From intake to the release of the order.", {}, slow);
  m_.time_to_ship = metrics_->Histogram("disthub_order_time_to_ship_seconds",
                                        "From intake to the last shipment of the order.", {}, slow);
  RegisterGauges();
  bool needs_erp = false;
  for (const ChannelPolicy& c : options_.channels) needs_erp |= c.credit.check || c.erp_pricing;
  if (needs_erp && options_.erp != nullptr) {
    erp_workers_ = std::make_unique<ErpWorkers>(
        options_.erp_workers, [this](const std::string& id) {
          if (id.starts_with(kLateCredit)) return CheckCreditLate(id.substr(kLateCredit.size()));
          CheckWithErp(id);
        });
  }
}

void Lifecycle::RegisterGauges() {
  for (std::string_view status : kOrderStatusNames) {
    metrics_->GaugeFn("disthub_orders", "Orders in each lifecycle state.",
                      {{"status", std::string(status)}}, [this, status] {
                        for (const Store::StatusCount& c : ReadFigures().orders) {
                          if (c.status == status) return static_cast<double>(c.orders);
                        }
                        return 0.0;
                      });
    metrics_->GaugeFn(
        "disthub_order_oldest_age_seconds",
        "Time since the least recently changed order in each state last changed (order age "
        "by state).",
        {{"status", std::string(status)}}, [this, status] {
          for (const Store::StatusCount& c : ReadFigures().orders) {
            if (c.status == status) {
              return std::max(0.0, absl::ToDoubleSeconds(clock_->Now() - c.oldest_update));
            }
          }
          return 0.0;
        });
  }
  for (const LocationPolicy& l : options_.locations) {
    for (std::string_view state :
         {kReleased, kAcknowledged, kShipped, kCancelRequested, kCancelled, kRerouted}) {
      metrics_->GaugeFn("disthub_fulfillment_orders", "Fulfillment orders per location and state.",
                        {{"location", l.name}, {"state", std::string(state)}},
                        [this, location = l.name, state] {
                          for (const auto& [key, n] : ReadFigures().fulfillments) {
                            if (key.first == location && key.second == state) {
                              return static_cast<double>(n);
                            }
                          }
                          return 0.0;
                        });
    }
  }
}

Lifecycle::Figures Lifecycle::ReadFigures() {
  std::lock_guard<std::mutex> lock(figures_mu_);
  const absl::Time now = absl::Now();
  if (now - figures_.read_at < absl::Seconds(1)) return figures_;
  if (auto orders = store_->CountOrdersByStatus(); orders.ok())
    figures_.orders = *std::move(orders);
  if (auto fos = store_->CountFulfillments(); fos.ok()) figures_.fulfillments = *std::move(fos);
  figures_.read_at = now;
  return figures_;
}

Lifecycle::~Lifecycle() {
  Stop();
  Drain();
}

::disthub::Histogram* Lifecycle::AckLatency(const std::string& location) {
  return metrics_->Histogram("disthub_fulfillment_ack_latency_seconds",
                             "From a release to the warehouse's acknowledgement.",
                             {{"location", location}},
                             {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600});
}

const ChannelPolicy& Lifecycle::PolicyFor(const std::string& channel) const {
  for (const ChannelPolicy& c : options_.channels) {
    if (c.name == channel) return c;
  }
  return default_channel_;
}

const LocationPolicy* Lifecycle::Location(const std::string& name) const {
  for (const LocationPolicy& l : options_.locations) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

IntakeHooks Lifecycle::Hooks() {
  return IntakeHooks{.in_txn = [this](WriteTxn& txn, const OrderRecord& order) -> absl::Status {
                       DISTHUB_RETURN_IF_ERROR(
                           txn.PutTimer({.id = StrCat("advance:", order.id),
                                         .kind = std::string(kTimerAdvance),
                                         .subject = order.id,
                                         .due_at = clock_->Now() + options_.advance_safety_net}));
                       const ChannelPolicy& policy = PolicyFor(order.channel);
                       if (policy.promise <= absl::ZeroDuration()) return absl::OkStatus();
                       return txn.PutTimer({.id = StrCat("promise:", order.id),
                                            .kind = std::string(kTimerPromise),
                                            .subject = order.id,
                                            .due_at = order.created_at + policy.promise});
                     },
                     .created =
                         [this](const OrderRecord& order, const std::string& cause) {
                           const ChannelPolicy& p = PolicyFor(order.channel);
                           if (erp_workers_ != nullptr && (p.credit.check || p.erp_pricing)) {
                             AskErp(order.id);  // the ERP first; no step to write before it
                             return;
                           }
                           Advance(order.id, Cause{.id = cause}, [](absl::StatusOr<Answer>) {});
                         }};
}

void Lifecycle::Submit(std::unique_ptr<WriteOp> op) {
  (void)queue_->Submit(std::make_unique<Tracked>(std::move(op), &outstanding_));
}

void Lifecycle::OnOrder(std::string order_id, Cause cause, Done done, OrderStep step) {
  Submit(std::make_unique<FlowOp>(
      this, std::move(cause),
      [order_id = std::move(order_id),
       step = std::move(step)](Flow& f) mutable -> absl::StatusOr<Answer> {
        DISTHUB_ASSIGN_OR_RETURN(bool found, f.Load(order_id));
        if (!found) return NotFound(StrCat("no order ", order_id));
        return step(f);
      },
      std::move(done)));
}

void Lifecycle::Advance(std::string order_id, Cause cause, Done done) {
  std::string timer = StrCat("advance:", order_id);
  OnOrder(std::move(order_id), std::move(cause), std::move(done),
          [timer = std::move(timer)](Flow& f) -> absl::StatusOr<Answer> {
            DISTHUB_RETURN_IF_ERROR(f.DeleteTimer(timer));
            return f.TakeForward();
          });
}

void Lifecycle::ReleaseHold(std::string order_id, std::string reason, Cause cause, Done done) {
  OnOrder(std::move(order_id), std::move(cause), std::move(done),
          [reason = std::move(reason)](Flow& f) { return f.ReleaseHold(reason); });
}

int64_t Lifecycle::Eaches(const OrderLine& l) const {
  if (l.uom == "each" || catalog_ == nullptr) return l.quantity;
  const Product* p = catalog_->Find(l.sku);
  if (p == nullptr) return l.quantity;
  absl::StatusOr<int64_t> e = ToEaches(*p, l.quantity, l.uom);
  return e.ok() ? *e : l.quantity;
}

int64_t Lifecycle::Grams(const std::string& sku, int64_t eaches) const {
  const Product* p = catalog_ != nullptr ? catalog_->Find(sku) : nullptr;
  return p == nullptr ? 0 : p->weight_grams * eaches;
}

int Lifecycle::PromiseDays(absl::Duration promise) {
  if (promise <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::ceil(absl::ToDoubleHours(promise) / 24));
}

std::vector<std::string> Lifecycle::Ranked(const std::string& region, int64_t grams,
                                           absl::Duration promise) const {
  const std::shared_ptr<const CarrierRates::Table> carriers = Carriers();
  if (carriers->empty()) return RankLocations(zones_, region);
  std::vector<LocationShipping> locations;
  for (const LocationPolicy& l : options_.locations) locations.push_back({l.name, l.origin});
  return RankByShipping(*carriers, locations, region, grams, PromiseDays(promise));
}

std::shared_ptr<const CarrierRates::Table> Lifecycle::Carriers() const {
  return options_.carrier_rates ? options_.carrier_rates->Current() : static_carriers_;
}

void Lifecycle::AskErp(const std::string& order_id) {
  if (erp_workers_ != nullptr) erp_workers_->Enqueue(order_id);
}

void Lifecycle::CheckWithErp(const std::string& order_id) {
  absl::StatusOr<std::optional<OrderRecord>> rec = store_->GetOrder(order_id);
  if (!rec.ok() || !rec->has_value()) return;  // its timer brings it back if it exists
  Decoded<Order> d = DecodeOrderText((*rec)->body, DecodeMode::kStored);
  if (!d.ok()) return;
  Order order = *std::move(d.value);
  const bool held = order.status == OrderStatus::kCreditHold;
  if (!held && order.status != OrderStatus::kReceived && order.status != OrderStatus::kValidated)
    return;
  const ChannelPolicy& policy = PolicyFor(order.channel);
  const absl::Time start = absl::Now();
  ErpReply reply;
  if (policy.erp_pricing && !held) {
    std::vector<int64_t> eaches;
    for (const OrderLine& l : order.lines) eaches.push_back(Eaches(l));
    absl::StatusOr<std::vector<QuotedLine>> quote = options_.erp->Quote(order, eaches);
    if (quote.ok()) {
      reply.quote = *std::move(quote);
      reply.pricing = ApplyQuote(order, eaches, reply.quote);  // the amount to check
    } else {
      reply.pricing = quote.status();
    }
  }
  if (reply.pricing.ok() && policy.credit.check) {
    absl::StatusOr<CreditAnswer> credit =
        options_.erp->CheckCredit(order, order_id, order.totals.grand_total.minor);
    if (credit.ok()) {
      reply.credit = *credit;
    } else {
      reply.credit_status = credit.status();
    }
  }
  m_.erp_latency->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  OnOrder(
      order_id, Cause{.id = StrCat("erp:", order_id)}, [](absl::StatusOr<Answer>) {},
      [reply = std::move(reply)](Flow& f) { return f.ApplyErp(reply); });
}

void Lifecycle::CheckCreditLate(const std::string& order_id) {
  absl::StatusOr<std::optional<OrderRecord>> rec = store_->GetOrder(order_id);
  if (!rec.ok() || !rec->has_value()) return;  // its timer brings it back if it exists
  Decoded<Order> d = DecodeOrderText((*rec)->body, DecodeMode::kStored);
  if (!d.ok()) return;
  const absl::Time start = absl::Now();
  absl::StatusOr<CreditAnswer> answer =
      options_.erp->CheckCredit(*d.value, order_id, d.value->totals.grand_total.minor);
  m_.erp_latency->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  OnOrder(
      order_id, Cause{.id = StrCat("erp-late:", order_id)}, [](absl::StatusOr<Answer>) {},
      [answer = std::move(answer)](Flow& f) { return f.ApplyLateCredit(answer); });
}

void Lifecycle::Acknowledge(std::string fulfillment_id, Cause cause, Done done) {
  Submit(std::make_unique<FlowOp>(
      this, std::move(cause),
      [id = std::move(fulfillment_id)](Flow& f) -> absl::StatusOr<Answer> {
        DISTHUB_ASSIGN_OR_RETURN(Flow::Fo * fo, f.LoadByFulfillment(id));
        if (fo == nullptr) return NotFound(StrCat("no fulfillment order ", id));
        return f.Acknowledge(*fo);
      },
      std::move(done)));
}

void Lifecycle::Ship(std::string fulfillment_id, ShipmentInput shipment, Cause cause, Done done) {
  Submit(std::make_unique<FlowOp>(
      this, std::move(cause),
      [id = std::move(fulfillment_id),
       in = std::move(shipment)](Flow& f) -> absl::StatusOr<Answer> {
        DISTHUB_ASSIGN_OR_RETURN(Flow::Fo * fo, f.LoadByFulfillment(id));
        if (fo == nullptr) return NotFound(StrCat("no fulfillment order ", id));
        return f.Ship(*fo, in);
      },
      std::move(done)));
}

void Lifecycle::AnswerCancellation(std::string fulfillment_id, bool accepted, std::string reason,
                                   Cause cause, Done done) {
  Submit(std::make_unique<FlowOp>(
      this, std::move(cause),
      [id = std::move(fulfillment_id), accepted,
       reason = std::move(reason)](Flow& f) -> absl::StatusOr<Answer> {
        DISTHUB_ASSIGN_OR_RETURN(Flow::Fo * fo, f.LoadByFulfillment(id));
        if (fo == nullptr) return NotFound(StrCat("no fulfillment order ", id));
        return f.AnswerCancellation(*fo, accepted, reason);
      },
      std::move(done)));
}

void Lifecycle::Cancel(std::string order_id, std::string reason, Cause cause, Done done) {
  OnOrder(std::move(order_id), std::move(cause), std::move(done),
          [reason = std::move(reason)](Flow& f) { return f.Cancel(reason); });
}

void Lifecycle::RequestReturn(std::string order_id, ReturnRequest request, Cause cause, Done done) {
  OnOrder(std::move(order_id), std::move(cause), std::move(done),
          [in = std::move(request)](Flow& f) { return f.RequestReturn(in); });
}

void Lifecycle::ReceiveReturn(std::string return_id, std::vector<ReturnLine> lines, Cause cause,
                              Done done) {
  Submit(std::make_unique<FlowOp>(
      this, std::move(cause),
      [id = std::move(return_id), lines = std::move(lines)](Flow& f) -> absl::StatusOr<Answer> {
        DISTHUB_ASSIGN_OR_RETURN(Flow::Ret * r, f.LoadByReturn(id));
        if (r == nullptr) return NotFound(StrCat("no return ", id));
        return f.ReceiveReturn(*r, lines);
      },
      std::move(done)));
}

void Lifecycle::InspectReturn(std::string return_id, std::vector<ReturnLine> lines, Cause cause,
                              Done done) {
  Submit(std::make_unique<FlowOp>(
      this, std::move(cause),
      [id = std::move(return_id), lines = std::move(lines)](Flow& f) -> absl::StatusOr<Answer> {
        DISTHUB_ASSIGN_OR_RETURN(Flow::Ret * r, f.LoadByReturn(id));
        if (r == nullptr) return NotFound(StrCat("no return ", id));
        return f.InspectReturn(*r, lines);
      },
      std::move(done)));
}

int Lifecycle::FireDueTimers() {
  absl::StatusOr<std::vector<TimerRecord>> due =
      store_->DueTimers(clock_->Now(), options_.timer_batch);
  if (!due.ok()) return 0;
  int fired = 0;
  for (TimerRecord& t : *due) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!timers_in_flight_.insert(t.id).second) continue;
    }
    ++fired;
    const std::string id = t.id;
    Cause cause{.id = StrCat("timer:", t.id)};
    auto ignore = [](absl::StatusOr<Answer>) {};
    if (t.kind == kTimerAdvance || t.kind == kTimerBackorder || t.kind == kTimerCreditRecheck) {
      Submit(std::make_unique<FlowOp>(
          this, std::move(cause),
          [t](Flow& f) -> absl::StatusOr<Answer> {
            DISTHUB_ASSIGN_OR_RETURN(bool found, f.Load(t.subject));
            DISTHUB_RETURN_IF_ERROR(f.DeleteTimer(t.id));
            if (!found) return NotFound(StrCat("no order ", t.subject));
            return f.TakeForward(t.kind == kTimerCreditRecheck);
          },
          ignore, id, t.subject));
    } else if (t.kind == kTimerAck || t.kind == kTimerRerouteDeadline ||
               t.kind == kTimerCancelDeadline) {
      // A deadline of the fulfillment order the timer's payload names.
      Submit(std::make_unique<FlowOp>(
          this, std::move(cause),
          [t](Flow& f) -> absl::StatusOr<Answer> {
            json::error_code ec;
            json::value p = json::parse(t.payload, ec);
            DISTHUB_RETURN_IF_ERROR(f.DeleteTimer(t.id));
            if (ec || !p.is_object())
              return absl::DataLossError(StrCat("timer ", t.id, ": bad payload"));
            std::string fo_id = StrFrom(p.as_object(), "fulfillment_id");
            DISTHUB_ASSIGN_OR_RETURN(Flow::Fo * fo, f.LoadByFulfillment(fo_id));
            if (fo == nullptr) return NotFound(StrCat("no fulfillment order ", fo_id));
            if (t.kind == kTimerRerouteDeadline) return f.RerouteUnconfirmed(*fo);
            if (t.kind == kTimerCancelDeadline) return f.CancelUnconfirmed(*fo);
            return f.AckOverdue(*fo, static_cast<int>(IntFrom(p.as_object(), "attempt")));
          },
          ignore, id, t.subject));
    } else if (t.kind == kTimerClose) {
      Submit(std::make_unique<FlowOp>(
          this, std::move(cause),
          [t](Flow& f) -> absl::StatusOr<Answer> {
            DISTHUB_ASSIGN_OR_RETURN(bool found, f.Load(t.subject));
            DISTHUB_RETURN_IF_ERROR(f.DeleteTimer(t.id));
            if (!found) return NotFound(StrCat("no order ", t.subject));
            if (f.status() != OrderStatus::kInvoiced)
              return f.Result(Verdict::kUnchanged, "not invoiced");
            DISTHUB_RETURN_IF_ERROR(f.Transition(OrderStatus::kClosed));
            return f.Result(Verdict::kApplied, "");
          },
          ignore, id, t.subject));
    } else if (t.kind == kTimerCreditLate) {
      Submit(std::make_unique<FlowOp>(
          this, std::move(cause),
          [t](Flow& f) -> absl::StatusOr<Answer> {
            DISTHUB_ASSIGN_OR_RETURN(bool found, f.Load(t.subject));
            if (!found) {
              DISTHUB_RETURN_IF_ERROR(f.DeleteTimer(t.id));
              return NotFound(StrCat("no order ", t.subject));
            }
            return f.AskCreditLate(t);
          },
          ignore, id, t.subject));
    } else if (t.kind == kTimerPromise) {
      Submit(std::make_unique<FlowOp>(
          this, std::move(cause),
          [this, t](Flow& f) -> absl::StatusOr<Answer> {
            DISTHUB_ASSIGN_OR_RETURN(bool found, f.Load(t.subject));
            DISTHUB_RETURN_IF_ERROR(f.DeleteTimer(t.id));
            if (!found) return NotFound(StrCat("no order ", t.subject));
            switch (f.status()) {
              case OrderStatus::kShipped:
              case OrderStatus::kInvoiced:
              case OrderStatus::kClosed:
              case OrderStatus::kCancelled:
              case OrderStatus::kRejected:
                return f.Result(Verdict::kUnchanged, "kept its promise");
              default:
                break;
            }
            json::object alert{{"order_id", J(t.subject)},
                               {"channel", J(f.record().channel)},
                               {"channel_ref", J(f.record().channel_ref)},
                               {"status", J(EnumName(f.status()))},
                               {"promised_by", J(disthub::FormatTime(t.due_at))}};
            DISTHUB_RETURN_IF_ERROR(f.Emit("order.promise_missed", alert));
            DISTHUB_RETURN_IF_ERROR(f.Emit("alert.promise_missed", std::move(alert)));
            m_.promise_missed->Inc();
            return f.Result(Verdict::kApplied, "promise missed");
          },
          ignore, id, t.subject));
    } else {
      // A kind this version does not know: keep it (a newer version may), but never spin.
      --fired;
    }
  }
  return fired;
}

void Lifecycle::TimerDone(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  timers_in_flight_.erase(id);
}

void Lifecycle::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (timer_thread_.joinable()) return;
  stopping_ = false;
  timer_thread_ = std::thread([this] { RunTimers(); });
}

void Lifecycle::RunTimers() {
  NameThisThread("dh-timers");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    FireDueTimers();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.timer_tick),
                 [this] { return stopping_; });
  }
}

void Lifecycle::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
  if (erp_workers_ != nullptr) erp_workers_->Stop();
}

void Lifecycle::Drain() {
  // The ERP workers and the writer hand orders to each other: idle when both were seen
  // idle twice in a row.
  auto idle = [this] {
    return outstanding_.load() == 0 && (erp_workers_ == nullptr || erp_workers_->Pending() == 0);
  };
  while (!(idle() && idle())) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace disthub::orchestration
