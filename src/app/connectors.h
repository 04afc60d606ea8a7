// The connector types disthub knows: the one explicit registration list (STYLE.md: only
// src/app knows the concrete types), and the hub's side of connectors/connector.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace disthub {

class Store;
class Registry;
namespace inventory {
class InventoryService;
}

// Every registered connector type, in the order `disthub connectors` lists them.
const std::vector<const connectors::ConnectorType*>& ConnectorTypes();
// nullptr when no type has that name.
const connectors::ConnectorType* FindConnectorType(std::string_view name);

// The hub's side of connectors: counts go to the inventory service's reconciliation,
// archived as inbound messages from the connector instance. All pointers outlive it.
std::unique_ptr<connectors::ConnectorHost> MakeConnectorHost(Store* store,
                                                             inventory::InventoryService* inventory,
                                                             const Clock* clock, Registry* metrics);

// `disthub connectors`: every type with its settings, their types, defaults and meaning.
std::string DescribeConnectorTypes();

}  // namespace disthub
