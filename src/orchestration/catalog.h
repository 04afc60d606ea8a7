// The product catalog orders are checked against: which SKUs exist and in which units
// they may be ordered. Read-only after loading, so thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/entities.h"

namespace disthub {

class Catalog {
 public:
  // Reads a CSV with the header `sku,description,case_qty,weight_grams`: one product a
  // line, sold by the each and, where case_qty > 1, by the case of case_qty eaches.
  // Errors name the file and line.
  static absl::StatusOr<Catalog> LoadCsv(const std::string& path);
  static absl::StatusOr<Catalog> ParseCsv(std::string_view text, std::string_view name);

  void Add(Product product);
  // The product, or nullptr if the SKU is unknown.
  const Product* Find(std::string_view sku) const;
  size_t size() const { return products_.size(); }

 private:
  absl::flat_hash_map<std::string, Product> products_;
};

}  // namespace disthub
