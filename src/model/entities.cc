#include "model/entities.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "base/strings.h"

namespace disthub {
namespace {

// Base units in one `uom` of `product`, or InvalidArgument naming the uom and the SKU.
absl::StatusOr<int64_t> EachPer(const Product& product, std::string_view uom) {
  if (uom == product.base_uom) return 1;
  for (const UomConversion& c : product.uoms) {
    if (c.uom == uom) {
      if (c.each_per < 1) break;
      return c.each_per;
    }
  }
  return absl::InvalidArgumentError(
      StrCat("unknown unit of measure \"", uom, "\" for sku ", product.sku));
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t out;
  if (!__builtin_sub_overflow(a, b, &out)) return out;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace

absl::StatusOr<int64_t> ToEaches(const Product& product, int64_t qty, std::string_view uom) {
  absl::StatusOr<int64_t> each_per = EachPer(product, uom);
  if (!each_per.ok()) return each_per.status();
  int64_t eaches;
  if (__builtin_mul_overflow(qty, *each_per, &eaches)) {
    return absl::InvalidArgumentError(
        StrCat(qty, " ", uom, " of sku ", product.sku, " overflows as ", product.base_uom));
  }
  return eaches;
}

absl::StatusOr<int64_t> FromEaches(const Product& product, int64_t eaches, std::string_view uom) {
  absl::StatusOr<int64_t> each_per = EachPer(product, uom);
  if (!each_per.ok()) return each_per.status();
  if (eaches % *each_per != 0) {
    return absl::InvalidArgumentError(StrCat(eaches, " ", product.base_uom, " of sku ", product.sku,
                                             " is not a whole number of ", uom, " (", *each_per,
                                             " ", product.base_uom, " each)"));
  }
  return eaches / *each_per;
}

int64_t Atp(const InventoryPosition& p) {
  return std::max<int64_t>(0, SaturatingSub(SaturatingSub(p.on_hand, p.reserved), p.safety_stock));
}

}  // namespace disthub
