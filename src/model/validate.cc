#include "model/validate.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/money.h"
#include "base/strings.h"
#include "model/describe.h"

namespace disthub {
namespace {

// Walks an entity and applies the rules of describe.h to each field. If `currency` is not
// empty, also requires every Money to be in it.
class Checker {
 public:
  // REQUIRES: `currency` is empty or a known currency code (IsKnownCurrency).
  Checker(std::vector<FieldError>& errors, std::string_view currency)
      : errors_(errors), currency_(currency) {}

  // Whether some Money had a currency other than `currency`, an empty one aside.
  bool found_other_currency() const { return found_other_currency_; }
  // Whether every Money had exactly `currency` (so none had an empty one).
  bool all_in_currency() const { return all_in_currency_; }

  template <class T>
  void Field(std::string_view name, const T& value, const Rules& rules = {}) {
    FieldPath::Scope scope = path_.Enter(name);
    Check(value, rules);
  }

  template <Described T>
  void Check(const T& entity, const Rules&) {
    Describe(*this, entity);
  }

  void Check(const Money& money, const Rules&) {
    Describe(*this, money);
    if (!currency_.empty() && money.currency != currency_) {
      all_in_currency_ = false;
      if (!money.currency.empty()) {
        FieldPath::Scope scope = path_.Enter("currency");
        Error(StrCat("is ", money.currency, " but the order's currency is ", currency_));
        found_other_currency_ = true;
      }
    }
  }

  void Check(const std::string& s, const Rules& rules) {
    // The order's currency is known, so the amounts in it pass without another look-up.
    if (rules.format == Format::kCurrency && rules.max_len == 0 && !currency_.empty() &&
        s == currency_) {
      return;
    }
    Report(CheckString(s, rules));
  }

  template <class Int>
  requires std::same_as<Int, int> || std::same_as<Int, int64_t>
  void Check(Int v, const Rules& rules) { Report(CheckInteger(v, IntegerRange<Int>(rules))); }

  void Check(bool, const Rules&) {}
  void Check(absl::Time, const Rules&) {}
  template <NamedEnum E>
  void Check(E, const Rules&) {}

  template <class T>
  void Check(const std::optional<T>& value, const Rules& rules) {
    if (value) Check(*value, rules);
  }

  template <class T>
  void Check(const std::vector<T>& items, const Rules& rules) {
    Report(CheckItems(items.size(), rules));
    for (size_t i = 0; i < items.size(); ++i) {
      FieldPath::Scope scope = path_.Enter(i);
      Check(items[i], Rules{});
    }
  }

  void Check(const std::map<std::string, std::string>& map, const Rules& rules) {
    Report(CheckItems(map.size(), rules));
    for (const auto& [key, value] : map) {
      FieldPath::Scope scope = path_.Enter(key);
      Report(CheckMapKey(key));
      Report(CheckString(value, {.max_len = rules.max_len}));
    }
  }

 private:
  void Error(std::string detail) { errors_.push_back({path_.Pointer(), std::move(detail)}); }
  void Report(std::optional<std::string>&& problem) {
    if (problem) Error(*std::move(problem));
  }

  std::vector<FieldError>& errors_;
  const std::string_view currency_;
  FieldPath path_;
  bool found_other_currency_ = false;
  bool all_in_currency_ = true;
};

void CheckLineNumbers(const Order& order, std::vector<FieldError>& errors) {
  // Numbers that only go up repeat none: the usual case, decided without sorting.
  const auto by_line_no = [](const OrderLine& a, const OrderLine& b) {
    return a.line_no >= b.line_no;
  };
  if (std::adjacent_find(order.lines.begin(), order.lines.end(), by_line_no) == order.lines.end()) {
    return;
  }
  std::vector<std::pair<int, size_t>> numbers;  // (line_no, index), sorted to find repeats
  numbers.reserve(order.lines.size());
  for (size_t i = 0; i < order.lines.size(); ++i) numbers.emplace_back(order.lines[i].line_no, i);
  std::sort(numbers.begin(), numbers.end());
  size_t first = 0;  // the first of the current run of equal line numbers
  for (size_t k = 1; k < numbers.size(); ++k) {
    if (numbers[k].first != numbers[first].first) {
      first = k;
      continue;
    }
    errors.push_back(
        {StrCat("#/lines/", numbers[k].second, "/line_no"),
         StrCat("repeats line_no ", numbers[k].first, " of #/lines/", numbers[first].second)});
  }
}

// sum += amount, refusing overflow and mixed currencies.
absl::Status Accumulate(Money& sum, const Money& amount) {
  absl::StatusOr<Money> next = Add(sum, amount);
  if (!next.ok()) return next.status();
  sum = *std::move(next);
  return absl::OkStatus();
}

void ExpectTotal(std::vector<FieldError>& errors, std::string_view field, const Money& got,
                 const Money& expected, std::string_view rule) {
  if (got == expected) return;
  errors.push_back({StrCat("#/totals/", field), StrCat("expected ", FormatDecimal(expected), " (",
                                                       rule, "), got ", FormatDecimal(got))});
}

// Checks the totals with Money arithmetic, which reports overflow and mixed currencies (an
// amount without one) exactly; CheckTotals() comes here for those cases only.
// REQUIRES: no Money in `order` has a currency other than order.currency, except empty ones.
void CheckTotalsExactly(const Order& order, std::vector<FieldError>& errors) {
  Money subtotal{0, order.currency};
  Money discount = subtotal;
  Money tax = subtotal;
  for (size_t i = 0; i < order.lines.size(); ++i) {
    const OrderLine& line = order.lines[i];
    absl::StatusOr<Money> extended = Multiply(line.unit_price, line.quantity);
    absl::Status status = extended.ok() ? Accumulate(subtotal, *extended) : extended.status();
    for (const Discount& d : line.discounts) {
      if (status.ok()) status = Accumulate(discount, d.amount);
    }
    if (status.ok()) status = Accumulate(tax, line.tax);
    if (!status.ok()) {
      errors.push_back({StrCat("#/lines/", i), StrCat("amounts overflow: ", status.message())});
      return;
    }
  }
  const OrderTotals& t = order.totals;
  ExpectTotal(errors, "subtotal", t.subtotal, subtotal, "the sum of quantity * unit_price");
  ExpectTotal(errors, "discount", t.discount, discount, "the sum of the lines' discounts");
  ExpectTotal(errors, "tax", t.tax, tax, "the sum of the lines' tax");

  absl::StatusOr<Money> grand_total = Sub(t.subtotal, t.discount);
  if (grand_total.ok()) grand_total = Add(*grand_total, t.tax);
  if (grand_total.ok()) grand_total = Add(*grand_total, t.shipping);
  if (!grand_total.ok()) {
    errors.push_back(
        {"#/totals/grand_total", StrCat("cannot be computed: ", grand_total.status().message())});
    return;
  }
  ExpectTotal(errors, "grand_total", t.grand_total, *grand_total,
              "subtotal - discount + tax + shipping");
}

// What the totals of an order should be, in minor units.
struct ExpectedTotals {
  int64_t subtotal = 0;     // sum of quantity * unit_price
  int64_t discount = 0;     // sum of the lines' discounts
  int64_t tax = 0;          // sum of the lines' tax
  int64_t grand_total = 0;  // totals.subtotal - totals.discount + totals.tax + totals.shipping
};

// The expected totals in plain integers, or nullopt if one overflows int64.
std::optional<ExpectedTotals> ComputeTotals(const Order& order) {
  ExpectedTotals sums;
  for (const OrderLine& line : order.lines) {
    int64_t extended;
    if (__builtin_mul_overflow(line.unit_price.minor, line.quantity, &extended) ||
        __builtin_add_overflow(sums.subtotal, extended, &sums.subtotal)) {
      return std::nullopt;
    }
    for (const Discount& d : line.discounts) {
      if (__builtin_add_overflow(sums.discount, d.amount.minor, &sums.discount)) {
        return std::nullopt;
      }
    }
    if (__builtin_add_overflow(sums.tax, line.tax.minor, &sums.tax)) return std::nullopt;
  }
  const OrderTotals& t = order.totals;
  if (__builtin_sub_overflow(t.subtotal.minor, t.discount.minor, &sums.grand_total) ||
      __builtin_add_overflow(sums.grand_total, t.tax.minor, &sums.grand_total) ||
      __builtin_add_overflow(sums.grand_total, t.shipping.minor, &sums.grand_total)) {
    return std::nullopt;
  }
  return sums;
}

// The totals rules of ValidateOrder(). With every amount in the order's currency and no
// overflow, as in any acceptable order, the sums are plain integers; otherwise
// CheckTotalsExactly() finds the errors.
// REQUIRES: no Money in `order` has a currency other than order.currency, except empty
// ones; `all_in_currency` tells whether there are none of those either.
void CheckTotals(const Order& order, bool all_in_currency, std::vector<FieldError>& errors) {
  const std::optional<ExpectedTotals> expected =
      all_in_currency ? ComputeTotals(order) : std::nullopt;
  if (!expected) return CheckTotalsExactly(order, errors);
  const OrderTotals& t = order.totals;
  auto expect = [&](std::string_view field, const Money& got, int64_t minor,
                    std::string_view rule) {
    if (got.minor != minor) ExpectTotal(errors, field, got, Money{minor, order.currency}, rule);
  };
  expect("subtotal", t.subtotal, expected->subtotal, "the sum of quantity * unit_price");
  expect("discount", t.discount, expected->discount, "the sum of the lines' discounts");
  expect("tax", t.tax, expected->tax, "the sum of the lines' tax");
  expect("grand_total", t.grand_total, expected->grand_total,
         "subtotal - discount + tax + shipping");
}

}  // namespace

std::vector<FieldError> ValidateOrder(const Order& order) {
  std::vector<FieldError> errors;
  // An unknown order currency is reported by the field rules; then there is nothing to
  // compare the amounts' currencies with.
  const std::string_view currency =
      IsKnownCurrency(order.currency) ? std::string_view(order.currency) : std::string_view();
  Checker checker(errors, currency);
  checker.Check(order, Rules{});
  CheckLineNumbers(order, errors);
  if (!currency.empty() && !checker.found_other_currency()) {
    CheckTotals(order, checker.all_in_currency(), errors);
  }
  return errors;
}

template <JsonEntity T>
std::vector<FieldError> CheckFieldRules(const T& entity) {
  std::vector<FieldError> errors;
  Checker(errors, "").Check(entity, Rules{});
  return errors;
}

template std::vector<FieldError> CheckFieldRules(const Order&);
template std::vector<FieldError> CheckFieldRules(const OrderLine&);
template std::vector<FieldError> CheckFieldRules(const Customer&);
template std::vector<FieldError> CheckFieldRules(const Address&);
template std::vector<FieldError> CheckFieldRules(const Money&);
template std::vector<FieldError> CheckFieldRules(const Product&);
template std::vector<FieldError> CheckFieldRules(const InventoryPosition&);
template std::vector<FieldError> CheckFieldRules(const FulfillmentOrder&);
template std::vector<FieldError> CheckFieldRules(const Shipment&);
template std::vector<FieldError> CheckFieldRules(const Return&);
template std::vector<FieldError> CheckFieldRules(const Invoice&);

}  // namespace disthub
