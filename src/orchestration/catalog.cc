#include "orchestration/catalog.h"

#include <charconv>

#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace disthub {
namespace {

bool ParseInt(std::string_view s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void Catalog::Add(Product product) {
  std::string sku = product.sku;
  products_.insert_or_assign(std::move(sku), std::move(product));
}

const Product* Catalog::Find(std::string_view sku) const {
  auto it = products_.find(absl::string_view(sku.data(), sku.size()));
  return it == products_.end() ? nullptr : &it->second;
}

absl::StatusOr<Catalog> Catalog::ParseCsv(std::string_view text, std::string_view name) {
  Catalog catalog;
  int line_no = 0;
  bool header_seen = false;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_no;
    std::string_view line = Trim(std::string_view(raw.data(), raw.size()));
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> cols = absl::StrSplit(absl::string_view(line.data(), line.size()), ',');
    auto col = [&](size_t i) { return Trim(std::string_view(cols[i].data(), cols[i].size())); };
    if (!header_seen) {
      header_seen = true;
      if (cols.size() != 4 || col(0) != "sku" || col(1) != "description" || col(2) != "case_qty" ||
          col(3) != "weight_grams") {
        return absl::InvalidArgumentError(StrCat(
            name, ":", line_no, ": the header must be sku,description,case_qty,weight_grams"));
      }
      continue;
    }
    if (cols.size() != 4) {
      return absl::InvalidArgumentError(
          StrCat(name, ":", line_no, ": expected 4 columns, found ", static_cast<int64_t>(cols.size())));
    }
    int64_t case_qty = 0, weight = 0;
    if (col(0).empty()) return absl::InvalidArgumentError(StrCat(name, ":", line_no, ": sku is empty"));
    if (!ParseInt(col(2), case_qty) || case_qty < 1 || case_qty > 10'000) {
      return absl::InvalidArgumentError(
          StrCat(name, ":", line_no, ": case_qty must be an integer from 1 to 10000"));
    }
    if (!ParseInt(col(3), weight) || weight < 0) {
      return absl::InvalidArgumentError(
          StrCat(name, ":", line_no, ": weight_grams must be a non-negative integer"));
    }
    Product p;
    p.sku = std::string(col(0));
    p.description = std::string(col(1));
    p.weight_grams = weight;
    if (case_qty > 1) p.uoms.push_back({.uom = "case", .each_per = static_cast<int>(case_qty)});
    if (catalog.Find(p.sku) != nullptr) {
      return absl::InvalidArgumentError(
          StrCat(name, ":", line_no, ": sku ", p.sku, " appears twice"));
    }
    catalog.Add(std::move(p));
  }
  if (!header_seen) return absl::InvalidArgumentError(StrCat(name, ": the catalog is empty"));
  return catalog;
}

absl::StatusOr<Catalog> Catalog::LoadCsv(const std::string& path) {
  DISTHUB_ASSIGN_OR_RETURN(std::string text, ReadFile(path), "the product catalog");
  return ParseCsv(text, path);
}

}  // namespace disthub
