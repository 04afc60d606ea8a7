#include "orchestration/reprocess.h"

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "events/event_types.h"
#include "model/json.h"
#include "model/validate.h"
#include "orchestration/order_intake.h"

namespace disthub {
namespace {

namespace json = boost::json;

// The output-only fields: they come from the hub, not from the message.
const std::vector<std::string> kOutputFields = {"id", "status", "received_at"};

std::string Escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Differences in document order: `a`'s keys first, then keys only `b` has. `ignored`
// applies to this level only.
void Diff(const json::value* a, const json::value* b, const std::string& at,
          std::vector<FieldChange>& out, const std::vector<std::string>& ignored = {}) {
  auto skip = [&](json::string_view key) {
    return std::find(ignored.begin(), ignored.end(), std::string_view(key.data(), key.size())) !=
           ignored.end();
  };
  if (a != nullptr && b != nullptr && a->is_object() && b->is_object()) {
    for (const auto& kv : a->as_object()) {
      if (skip(kv.key())) continue;
      Diff(&kv.value(), b->as_object().if_contains(kv.key()),
           StrCat(at, "/", Escape(std::string(kv.key()))), out);
    }
    for (const auto& kv : b->as_object()) {
      if (!a->as_object().contains(kv.key()) && !skip(kv.key())) {
        Diff(nullptr, &kv.value(), StrCat(at, "/", Escape(std::string(kv.key()))), out);
      }
    }
    return;
  }
  if (a != nullptr && b != nullptr && a->is_array() && b->is_array()) {
    const auto& x = a->as_array();
    const auto& y = b->as_array();
    for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
      Diff(i < x.size() ? &x[i] : nullptr, i < y.size() ? &y[i] : nullptr,
           StrCat(at, "/", static_cast<int64_t>(i)), out);
    }
    return;
  }
  if (a != nullptr && b != nullptr && *a == *b) return;
  out.push_back(
      {at.empty() ? "/" : at, a ? json::serialize(*a) : "", b ? json::serialize(*b) : ""});
}

}  // namespace

std::vector<FieldChange> DiffJson(std::string_view before, std::string_view after,
                                  const std::vector<std::string>& ignored) {
  boost::system::error_code ec1, ec2;
  json::value a = json::parse(json::string_view(before.data(), before.size()), ec1);
  json::value b = json::parse(json::string_view(after.data(), after.size()), ec2);
  if (ec1 || ec2) return {{"/", std::string(before), std::string(after)}};
  std::vector<FieldChange> out;
  Diff(&a, &b, "", out, ignored);
  return out;
}

Decoded<Order> DecodeCanonicalMessage(const InboundRecord& message) {
  absl::StatusOr<Decoded<Order>> parsed = ParseAndDecodeOrder(message.body);
  if (!parsed.ok()) {
    Decoded<Order> out;
    out.errors.push_back({"", StrCat("not valid JSON: ", parsed.status().message())});
    return out;
  }
  return *std::move(parsed);
}

absl::StatusOr<ReprocessReport> Reprocessor::Plan(const InboundRecord& message,
                                                  const OrderDecoder* with) const {
  ReprocessReport r{.inbound_id = message.id};
  if (message.kind != "order") {
    r.outcome = "unsupported";
    return r;
  }
  Decoded<Order> parsed = (with != nullptr ? *with : decoder_)(message);
  if (!parsed.ok()) {
    r.outcome = "invalid";
    r.errors = std::move(parsed.errors);
    return r;
  }
  Order& order = *parsed.value;
  r.errors = ValidateOrder(order);
  std::vector<FieldError> more = checks_->Check(order);
  r.errors.insert(r.errors.end(), more.begin(), more.end());
  if (!r.errors.empty()) {
    r.outcome = "invalid";
    return r;
  }
  // What it became: by the archive's record, else by the channel's reference.
  std::optional<OrderRecord> stored;
  if (!message.result.empty() && message.result.starts_with("ord_")) {
    DISTHUB_ASSIGN_OR_RETURN(stored, store_->GetOrder(message.result));
  }
  if (!stored) {
    DISTHUB_ASSIGN_OR_RETURN(stored,
                             store_->GetOrderByChannelRef(order.channel, order.channel_order_ref));
  }
  if (!stored) {
    r.outcome = "new";
    return r;
  }
  r.order_id = stored->id;
  r.changes = DiffJson(stored->body, SerializeOrder(order), kOutputFields);
  r.outcome = r.changes.empty() ? "unchanged" : "changed";
  return r;
}

void Reprocessor::Apply(const InboundRecord& message, std::string actor,
                        absl::AnyInvocable<void(absl::StatusOr<ReprocessReport>) &&> done) {
  absl::StatusOr<ReprocessReport> plan = Plan(message);
  if (!plan.ok() || (plan->outcome != "new" && plan->outcome != "changed")) {
    return std::move(done)(std::move(plan));
  }
  // Build the document it becomes.
  Order order = *decoder_(message).value;  // Plan() decoded it
  const absl::Time now = clock_->Now();
  std::optional<OrderRecord> stored;
  if (plan->outcome == "changed") {
    auto got = store_->GetOrder(plan->order_id);
    if (!got.ok()) return std::move(done)(got.status());
    stored = *got;
  }
  OrderRecord record;
  if (stored) {
    order.id = stored->id;
    // Keep the hub's own fields as stored.
    auto kept = ParseAndDecodeOrder(stored->body, DecodeMode::kStored);
    if (kept.ok() && kept->ok()) {
      order.status = kept->value->status;
      order.received_at = kept->value->received_at;
    }
    record = *stored;
    record.version = stored->version + 1;
    record.updated_at = now;
    record.body = SerializeOrder(order);
  } else {
    record = AcceptNewOrder(order, *ids_, now);
  }
  struct Op final : WriteOp {
    OrderRecord record;
    bool create = false;
    ReprocessReport report;
    std::string actor;
    int64_t inbound_id = 0;
    absl::Time now;
    absl::AnyInvocable<void(absl::StatusOr<ReprocessReport>) &&> done;
    absl::Status Apply(WriteTxn& txn) override {
      if (create) {
        absl::Status s = txn.InsertOrder(record);
        if (absl::IsAlreadyExists(s)) {
          // Created meanwhile (a resend, or a reprocess racing this one): nothing to do.
          report.outcome = "unchanged";
          return absl::OkStatus();
        }
        DISTHUB_RETURN_IF_ERROR(s);
      } else {
        DISTHUB_RETURN_IF_ERROR(txn.UpdateOrder(record));
      }
      DISTHUB_RETURN_IF_ERROR(
          txn.AppendEvent({.type = std::string(create ? event_types::kOrderReceived
                                                      : event_types::kOrderRevised),
                           .subject = record.id,
                           .correlation_id = record.id,
                           .causation_id = StrCat("inbound:", inbound_id),
                           .occurred_at = now,
                           .recorded_at = now,
                           .payload = record.body})
              .status());
      DISTHUB_RETURN_IF_ERROR(
          txn.AppendAudit({.at = now,
                           .actor = actor,
                           .action = "inbound.reprocess",
                           .target = StrCat("inbound:", inbound_id),
                           .detail = StrCat(R"({"outcome":")", report.outcome, R"(","order_id":")",
                                            record.id, R"("})")})
              .status());
      report.applied = true;
      report.order_id = record.id;
      return absl::OkStatus();
    }
    void Done(absl::Status s) override {
      if (!s.ok()) return std::move(done)(s);
      std::move(done)(std::move(report));
    }
  };
  auto op = std::make_unique<Op>();
  op->record = std::move(record);
  op->create = !stored.has_value();
  op->report = *std::move(plan);
  op->actor = std::move(actor);
  op->inbound_id = message.id;
  op->now = now;
  op->done = std::move(done);
  (void)queue_->Submit(std::move(op));
}

}  // namespace disthub
