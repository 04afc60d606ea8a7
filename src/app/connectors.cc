#include "app/connectors.h"

#include <boost/json.hpp>

#include "base/strings.h"
#include "connectors/file_drop.h"
#include "inventory/service.h"
#include "store/store.h"

namespace disthub {
namespace {

class HubConnectorHost final : public connectors::ConnectorHost {
 public:
  HubConnectorHost(Store* store, inventory::InventoryService* inventory, const Clock* clock,
                   Registry* metrics)
      : store_(store), inventory_(inventory), clock_(clock), metrics_(metrics) {}

  const Clock& clock() const override { return *clock_; }
  Registry& metrics() override { return *metrics_; }

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
  inventory::InventoryService* inventory_;
  const Clock* clock_;
  Registry* metrics_;
};

}  // namespace

const std::vector<const connectors::ConnectorType*>& ConnectorTypes() {
  static const auto* types = new std::vector<const connectors::ConnectorType*>{
      &connectors::CsvInventoryCountType(),
  };
  return *types;
}

const connectors::ConnectorType* FindConnectorType(std::string_view name) {
  for (const connectors::ConnectorType* t : ConnectorTypes()) {
    if (t->name == name) return t;
  }
  return nullptr;
}

std::unique_ptr<connectors::ConnectorHost> MakeConnectorHost(Store* store,
                                                             inventory::InventoryService* inventory,
                                                             const Clock* clock,
                                                             Registry* metrics) {
  return std::make_unique<HubConnectorHost>(store, inventory, clock, metrics);
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
