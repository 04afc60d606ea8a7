// The hub's own checks on an inbound order, after the model's structural validation:
// the channel is configured, the currency is one the channel trades in, and every SKU
// and unit of measure is in the catalog. Thread-safe (read-only after construction).
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/entities.h"
#include "model/fields.h"
#include "orchestration/catalog.h"

namespace disthub {

struct ChannelRules {
  std::string name;
  std::vector<std::string> currencies;  // ISO 4217 codes its orders may use
};

class OrderChecks {
 public:
  // `catalog` may be null (SKUs are then not checked); else it must outlive this object.
  OrderChecks(const std::vector<ChannelRules>& channels, const Catalog* catalog);

  // Every problem, each with the JSON Pointer of the field at fault.
  std::vector<FieldError> Check(const Order& order) const;

  bool KnownChannel(std::string_view channel) const;

 private:
  absl::flat_hash_map<std::string, ChannelRules> channels_;
  const Catalog* catalog_;
};

}  // namespace disthub
