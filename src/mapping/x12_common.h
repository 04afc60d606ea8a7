// What the X12 transaction-set mappings (x12_orders.h, x12_documents.h) share: reading
// quantities, dates, product ids and units out of segments, and collecting every problem of
// a document for one kInvalidArgument. Internal to src/mapping/; not for other layers.
//
//   Problems problems("the 945 cannot become a shipping advice");
//   std::optional<int64_t> q = WholeQuantity(s.element(3));
//   if (!q) problems.Add(s, position, 3, "not a whole number");
//   if (!problems.empty()) return problems.ToStatus();
//
// Thread-safe: pure functions; a Problems is thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "formats/x12.h"
#include "mapping/x12_orders.h"

namespace disthub::mapping::x12_internal {

// The problems found in one document, each naming where it is, for one kInvalidArgument
// whose message starts with `what` ("the 850 cannot become an order").
class Problems {
 public:
  explicit Problems(std::string what) : what_(std::move(what)) {}

  // "PO103 (segment 7 of the set, line 9): <message>"; `element` 0 names the segment only.
  // `position` is the segment's in its set, ST = 1.
  void Add(const formats::X12Segment& s, size_t position, int element, std::string_view message);
  void Add(std::string message) { list_.push_back(std::move(message)); }
  bool empty() const { return list_.empty(); }
  absl::Status ToStatus() const;

 private:
  std::string what_;
  std::vector<std::string> list_;
};

// "120", "120.0", "120.000" → 120; nullopt for fractions, signs and non-numbers.
std::optional<int64_t> WholeQuantity(std::string_view text);
// WholeQuantity, with a leading '-' taken too ("-3": a count a partner says went negative).
std::optional<int64_t> SignedWholeQuantity(std::string_view text);

// A CCYYMMDD date at midnight UTC, or with an HHMM[SS] `time` (may be empty) that day;
// nullopt when either is not a real date or time.
std::optional<absl::Time> X12DateTime(std::string_view ccyymmdd, std::string_view time = {});

// "VN, VP, UP": for messages listing what was expected.
std::string Listed(std::span<const std::string> items);

// The product id of `s` whose qualifier comes first in dialect.sku_qualifiers, among the
// (qualifier, id) pairs whose qualifiers stand at `qualifier_at`; "" when none has one.
std::string_view PreferredProductId(const formats::X12Segment& s, std::span<const int> qualifier_at,
                                    const X12Dialect& dialect);
// The problem PreferredProductId finding nothing is, for Problems::Add.
std::string NoSkuMessage(const X12Dialect& dialect);

// The model unit of the X12 unit code in `s`'s `element` through dialect.units, or nullopt
// with the problem added. A composite (C001, as QTY03 carries it) is read up to its first
// component separator: unit codes are letters and digits only.
std::optional<std::string> ModelUnit(const formats::X12Segment& s, size_t position, int element,
                                     const X12Dialect& dialect, Problems& problems);

}  // namespace disthub::mapping::x12_internal
