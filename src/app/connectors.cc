#include "app/connectors.h"

#include <boost/json.hpp>

#include "base/digest.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "connectors/file_drop.h"
#include "connectors/order_poller.h"
#include "connectors/webhook.h"
#include "connectors/x12_file_drop.h"
#include "inventory/service.h"
#include "model/json.h"
#include "model/validate.h"
#include "orchestration/lifecycle.h"
#include "orchestration/order_checks.h"
#include "orchestration/order_intake.h"
#include "store/commit_queue.h"
#include "store/packed_text.h"
#include "store/store.h"

namespace disthub {
namespace {

class HubConnectorHost final : public connectors::ConnectorHost {
 public:
  explicit HubConnectorHost(ConnectorHostDeps deps)
      : store_(deps.store),
        queue_(deps.queue),
        inventory_(deps.inventory),
        intake_(deps.intake),
        checks_(deps.checks),
        ids_(deps.ids),
        clock_(deps.clock),
        metrics_(deps.metrics),
        lifecycle_(deps.lifecycle),
        env_(std::move(deps.env)) {}

  const Clock& clock() const override { return *clock_; }
  Registry& metrics() override { return *metrics_; }
  std::optional<std::string> Secret(const std::string& name) const override { return env_(name); }

  void SubmitOrder(connectors::OrderMessage m, OrderDone done) override {
    std::vector<FieldError> refused = ValidateOrder(m.order);
    std::vector<FieldError> more = checks_->Check(m.order);
    refused.insert(refused.end(), more.begin(), more.end());
    if (!refused.empty()) {
      return std::move(done)(connectors::OrderTaken{.refused = std::move(refused)});
    }
    const absl::Time now = clock_->Now();
    IntakeRequest intake{.order = AcceptNewOrder(m.order, *ids_, now),
                         .idempotency_scope = m.source,
                         .idempotency_key = m.key,
                         .request_hash = Sha256Hex(m.body),
                         .causation_id = ids_->Next("msg"),
                         .inbound = InboundRecord{.received_at = now,
                                                  .source = m.source,
                                                  .kind = "order",
                                                  .key = m.key,
                                                  .headers = "{}",
                                                  .packed_body = {PackAhead(m.body)}}};
    intake.inbound.body = std::move(m.body);
    intake_->Submit(
        std::move(intake), [done = std::move(done)](absl::StatusOr<IntakeResult> r) mutable {
          if (!r.ok()) return std::move(done)(r.status());
          std::move(done)(connectors::OrderTaken{
              .order_id = r->order.id, .duplicate = r->outcome == IntakeOutcome::kReplayed});
        });
  }

  void RecordRefused(std::string source, std::string key, std::string body, std::string reason,
                     Done done) override {
    // Archived as received, and parked as an inbound dead letter pointing at it: seen in
    // `disthub dead-letters list`, reprocessed from the archive once the cause is fixed.
    const absl::Time now = clock_->Now();
    DeadLetterRecord dead{.kind = "inbound",
                          .partner = source,
                          .message_type = "order",
                          .subject = key,
                          .cause = "unmappable",
                          .reason = reason,
                          .bytes = body,
                          .state = "parked",
                          .created_at = now,
                          .resolved_at = absl::UnixEpoch()};
    InboundRecord record{.received_at = now,
                         .source = std::move(source),
                         .kind = "order",
                         .key = std::move(key),
                         .headers = "{}",
                         .body = std::move(body),
                         .outcome = "rejected",
                         .result = std::move(reason)};
    SubmitFn(
        queue_,
        [record = std::move(record), dead = std::move(dead)](WriteTxn& txn) mutable {
          absl::StatusOr<int64_t> id = txn.InsertInbound(record);
          if (!id.ok()) return id.status();
          dead.ref = *id;
          return txn.InsertDeadLetter(dead).status();
        },
        std::move(done));
  }

  void SubmitFulfillment(connectors::FulfillmentMessage m, FulfillmentDone done) override {
    if (lifecycle_ == nullptr) {
      return std::move(done)(absl::FailedPreconditionError(
          "the hub runs no order lifecycle (no fulfillment configuration)"));
    }
    const bool shipped = m.kind == connectors::FulfillmentMessage::Kind::kShipped;
    orchestration::Cause cause{
        .id = m.key,
        .inbound =
            InboundRecord{.received_at = clock_->Now(),
                          .source = m.source,
                          .kind = shipped ? "fulfillment.shipment" : "fulfillment.acknowledgement",
                          .key = m.key,
                          .headers = "{}",
                          .body = std::move(m.body)}};
    auto answer = [done = std::move(done)](absl::StatusOr<orchestration::Answer> a) mutable {
      if (!a.ok()) return std::move(done)(a.status());
      std::move(done)(connectors::FulfillmentTaken{
          .verdict = std::string(orchestration::VerdictName(a->verdict)), .reason = a->reason});
    };
    if (!shipped)
      return lifecycle_->Acknowledge(m.fulfillment_id, std::move(cause), std::move(answer));
    orchestration::ShipmentInput in{.shipment_id = m.shipment_id,
                                    .lines = {},
                                    .carrier = m.carrier,
                                    .tracking = m.tracking,
                                    .final = m.final};
    for (const LineQuantity& l : m.lines)
      in.lines.push_back({.line = l.line_no, .quantity = l.quantity});
    lifecycle_->Ship(m.fulfillment_id, std::move(in), std::move(cause), std::move(answer));
  }

  void RaiseAlert(std::string type, std::string subject, std::string payload, Done done) override {
    const absl::Time now = clock_->Now();
    EventRecord event{.type = std::move(type),
                      .subject = subject,
                      .correlation_id = subject,
                      .causation_id = ids_->Next("msg"),
                      .occurred_at = now,
                      .recorded_at = now,
                      .payload = std::move(payload)};
    SubmitFn(
        queue_,
        [event = std::move(event)](WriteTxn& txn) { return txn.AppendEvent(event).status(); },
        std::move(done));
  }

  absl::StatusOr<std::vector<connectors::HubEvent>> EventsAfter(int64_t after_seq,
                                                                int limit) override {
    absl::StatusOr<std::vector<EventRecord>> rows = store_->ListEvents(after_seq, limit);
    if (!rows.ok()) return rows.status();
    std::vector<connectors::HubEvent> out;
    out.reserve(rows->size());
    for (EventRecord& r : *rows) {
      out.push_back({.seq = r.seq,
                     .type = std::move(r.type),
                     .subject = std::move(r.subject),
                     .payload = std::move(r.payload),
                     .occurred_at = r.occurred_at});
    }
    return out;
  }
  absl::StatusOr<int64_t> LastEventSeq() override { return store_->LastEventSeq(); }
  absl::StatusOr<std::optional<Order>> GetOrder(const std::string& order_id) override {
    absl::StatusOr<std::optional<OrderRecord>> r = store_->GetOrder(order_id);
    if (!r.ok()) return r.status();
    if (!*r) return std::optional<Order>();
    Decoded<Order> d = DecodeOrderText((*r)->body, DecodeMode::kStored);
    if (!d.ok()) {
      return absl::DataLossError(StrCat(
          "order ", order_id, " as stored does not decode: ", ErrorsToStatus(d.errors).message()));
    }
    return std::optional<Order>(*std::move(d.value));
  }

  absl::StatusOr<std::string> LoadCursor(const std::string& connector) override {
    absl::StatusOr<std::optional<ConnectorStateRecord>> r = store_->GetConnectorState(connector);
    if (!r.ok()) return r.status();
    return *r ? (*r)->cursor : std::string();
  }

  void SaveCursor(const std::string& connector, std::string cursor, Done done) override {
    ConnectorStateRecord record{
        .connector = connector, .cursor = std::move(cursor), .updated_at = clock_->Now()};
    SubmitFn(
        queue_,
        [record = std::move(record)](WriteTxn& txn) { return txn.PutConnectorState(record); },
        std::move(done));
  }

  // The inbound archive, newest first: a connector's messages are few (a file a night),
  // so the last 5,000 of the source are plenty to recognise one taken before.
  absl::StatusOr<bool> AlreadyReceived(const std::string& source, const std::string& key) override {
    int64_t before = 0;
    for (int page = 0; page < 10; ++page) {
      absl::StatusOr<std::vector<InboundRecord>> rows = store_->ListInbound(source, before, 500);
      if (!rows.ok()) return rows.status();
      for (const InboundRecord& r : *rows) {
        if (r.key == key) return true;
      }
      if (rows->size() < 500) break;
      before = rows->back().id;
    }
    return false;
  }

  void SubmitInventoryCount(connectors::InventoryCountMessage count, CountDone done) override {
    inventory::ReconcileRequest request;
    request.items.reserve(count.items.size());
    for (connectors::InventoryCountItem& item : count.items) {
      request.items.push_back({.sku = std::move(item.sku),
                               .location = std::move(item.location),
                               .on_hand = item.on_hand});
    }
    request.as_of = count.as_of;
    request.apply = count.apply;
    request.actor = StrCat("connector/", count.source);
    request.inbound =
        InboundRecord{.received_at = clock_->Now(),
                      .source = count.source,
                      .kind = "inventory.count",
                      .key = count.key,
                      .headers = boost::json::serialize(boost::json::object{{"file", count.name}}),
                      .body = std::move(count.body)};
    inventory_->StartReconciliation(
        std::move(request),
        [done = std::move(done)](absl::StatusOr<ReconciliationRecord> r) mutable {
          if (!r.ok()) return std::move(done)(r.status());
          std::move(done)(r->id);
        });
  }

 private:
  Store* store_;
  CommitQueue* queue_;
  inventory::InventoryService* inventory_;
  OrderIntake* intake_;
  const OrderChecks* checks_;
  IdGenerator* ids_;
  const Clock* clock_;
  Registry* metrics_;
  orchestration::Lifecycle* lifecycle_;
  std::function<std::optional<std::string>(const std::string&)> env_;
};

}  // namespace

const std::vector<const connectors::ConnectorType*>& ConnectorTypes() {
  static const auto* types = new std::vector<const connectors::ConnectorType*>{
      &connectors::CsvInventoryCountType(),
      &connectors::RestOrderPollerType(),
      &connectors::SignedWebhookType(),
      &connectors::X12FileDropType(),
  };
  return *types;
}

const connectors::ConnectorType* FindConnectorType(std::string_view name) {
  for (const connectors::ConnectorType* t : ConnectorTypes()) {
    if (t->name == name) return t;
  }
  return nullptr;
}

std::unique_ptr<connectors::ConnectorHost> MakeConnectorHost(ConnectorHostDeps deps) {
  return std::make_unique<HubConnectorHost>(deps);
}

std::string DescribeConnectorTypes() {
  std::string out;
  for (const connectors::ConnectorType* t : ConnectorTypes()) {
    out += StrCat(t->name, ": ", t->summary, "\n");
    for (const connectors::SettingSpec& s : t->settings) {
      out += StrCat("  ", s.key, " (", connectors::SettingTypeName(s.type),
                    s.default_value ? StrCat(", default \"", *s.default_value, "\"") : ", required",
                    "): ", s.doc, "\n");
    }
  }
  return out;
}

}  // namespace disthub
