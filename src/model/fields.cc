#include "model/fields.h"

#include <algorithm>

#include "base/money.h"
#include "base/strings.h"

namespace disthub {
namespace {

size_t CodePoints(std::string_view s) {
  // Count the bytes that start a UTF-8 sequence (all but 10xxxxxx continuation bytes).
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool IsUpperLetters(std::string_view s, size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

absl::Status ErrorsToStatus(const std::vector<FieldError>& errors) {
  if (errors.empty()) return absl::OkStatus();
  std::string message;
  for (const FieldError& e : errors) {
    if (!message.empty()) message += "; ";
    message += StrCat(e.pointer, ": ", e.detail);
  }
  return absl::InvalidArgumentError(message);
}

namespace fields_internal {

std::optional<std::string> StringProblem(std::string_view s, const Rules& rules) {
  if (s.empty()) {
    if (rules.required) return "must not be empty";
    return std::nullopt;
  }
  // Bytes bound code points, so only long strings need counting.
  if (rules.max_len > 0 && s.size() > rules.max_len && CodePoints(s) > rules.max_len) {
    return StrCat("must be at most ", rules.max_len, " characters");
  }
  switch (rules.format) {
    case Format::kText:
    case Format::kId:
      break;
    case Format::kCurrency:
      if (!IsUpperLetters(s, 3))
        return "must be an ISO 4217 currency code (three uppercase letters)";
      if (!IsKnownCurrency(s)) return StrCat("is not a known ISO 4217 currency code: ", s);
      break;
    case Format::kCountry:
      if (!IsUpperLetters(s, 2))
        return "must be an ISO 3166-1 alpha-2 country code (two uppercase letters)";
      break;
  }
  return std::nullopt;
}

std::optional<std::string> IntegerProblem(int64_t v, std::pair<int64_t, int64_t> range) {
  if (v < range.first) return StrCat("must be at least ", range.first);
  if (v > range.second) return StrCat("must be at most ", range.second);
  return std::nullopt;
}

std::optional<std::string> ItemsProblem(size_t count, const Rules& rules) {
  if (count < rules.min_items) {
    return StrCat("must have at least ", rules.min_items,
                  rules.min_items == 1 ? " item" : " items");
  }
  if (rules.max_items > 0 && count > rules.max_items) {
    return StrCat("must have at most ", rules.max_items, " items");
  }
  return std::nullopt;
}

}  // namespace fields_internal

std::optional<std::string> CheckMapKey(std::string_view key) {
  if (key.empty()) return "keys must not be empty";
  if (CodePoints(key) > kMaxMapKeyLength) {
    return StrCat("keys must be at most ", kMaxMapKeyLength, " characters");
  }
  return std::nullopt;
}

std::string FieldPath::Pointer() const {
  std::string pointer = "#";
  for (size_t i = 0; i < depth_; ++i) {
    const Segment& segment = segments_[i];
    pointer += '/';
    if (segment.is_index) {
      pointer += StrCat(segment.index);
      continue;
    }
    for (char c : segment.name) {
      if (c == '~') {
        pointer += "~0";
      } else if (c == '/') {
        pointer += "~1";
      } else {
        pointer += c;
      }
    }
  }
  return pointer;
}

}  // namespace disthub
