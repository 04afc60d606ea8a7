// Checks of canonical entities after decoding (or after a mapping built them in code).
//
// Pure functions; thread-safe. Errors carry the same JSON Pointers as decoding errors, so an
// API can report both the same way (RFC 9457 problem details with one entry per field).
#pragma once

#include <vector>

#include "model/entities.h"
#include "model/fields.h"

namespace disthub {

// Everything wrong with `order`; empty if it is acceptable:
//   - the field rules of describe.h (required strings non-empty, lengths, ranges, 1..1000
//     lines, <= 50 attributes, known currency codes, two-letter uppercase countries), the
//     same rules decoding applies;
//   - every Money in the order is in the order's currency ("#/lines/2/tax/currency");
//   - line numbers are unique ("#/lines/3/line_no");
//   - totals add up, with overflow-checked arithmetic, each error at its totals field with
//     the expected and the received amount ("#/totals/subtotal": "expected 59.97 (...), got
//     59.96"): subtotal == sum of quantity * unit_price, discount == sum of the lines'
//     discounts, tax == sum of the lines' tax, grand_total == subtotal - discount + tax +
//     shipping (from the totals as sent). Skipped while currencies disagree.
std::vector<FieldError> ValidateOrder(const Order& order);

// The field rules of describe.h only (what decoding checks besides JSON types), for any
// entity with a JSON form.
template <JsonEntity T>
std::vector<FieldError> CheckFieldRules(const T& entity);

}  // namespace disthub
