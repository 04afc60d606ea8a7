// The connector types disthub knows: the one explicit registration list (STYLE.md: only
// src/app knows the concrete types), and the hub's side of connectors/connector.h.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace disthub {

class CommitQueue;
class IdGenerator;
class OrderChecks;
class OrderIntake;
class Registry;
class Store;
namespace inventory {
class InventoryService;
}
namespace orchestration {
class Lifecycle;
}

// What the hub's side of connectors uses; all outlive it.
struct ConnectorHostDeps {
  Store* store;
  CommitQueue* queue;
  inventory::InventoryService* inventory;
  OrderIntake* intake;
  const OrderChecks* checks;
  IdGenerator* ids;
  const Clock* clock;
  Registry* metrics;
  // Where warehouses' reports go; null when the hub runs no order lifecycle.
  orchestration::Lifecycle* lifecycle = nullptr;
  // Secrets by environment variable name (the hub's environment; tests give their own).
  std::function<std::optional<std::string>(const std::string& name)> env;
};

// Every registered connector type, in the order `disthub connectors` lists them.
const std::vector<const connectors::ConnectorType*>& ConnectorTypes();
// nullptr when no type has that name.
const connectors::ConnectorType* FindConnectorType(std::string_view name);

// The hub's side of connectors: orders go through intake as POST /v1/orders sends them,
// counts to the inventory service's reconciliation, cursors to the store through the
// writer; every message is archived as inbound from the connector instance.
std::unique_ptr<connectors::ConnectorHost> MakeConnectorHost(ConnectorHostDeps deps);

// `disthub connectors`: every type with its settings, their types, defaults and meaning.
std::string DescribeConnectorTypes();

}  // namespace disthub
