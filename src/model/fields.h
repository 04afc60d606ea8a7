// Field rules and field errors, shared by the JSON codec (json.h), the JSON Schemas
// (schema.h) and the checks (validate.h). Every entity's fields and rules are written once,
// in describe.h.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace disthub {

// One problem with one field of a document.
struct FieldError {
  std::string pointer;  // RFC 6901 JSON Pointer as a URI fragment: "#/lines/0/quantity"
  std::string detail;   // "must be at least 1"

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

// OK if `errors` is empty, else InvalidArgument listing them ("#/currency: is required; ...").
// For callers without a richer channel (files, EDI); the HTTP API reports `errors` one by one.
absl::Status ErrorsToStatus(const std::vector<FieldError>& errors);

// How a string field is checked (and described in the schema).
enum class Format {
  kText,      // any string
  kId,        // a partner's id: a string, or a JSON integer kept as its exact decimal text
  kCurrency,  // a known ISO 4217 code: "USD"
  kCountry,   // ISO 3166-1 alpha-2: two uppercase letters
};

// The rules of one field. Written with designated initializers, in this order:
//   {.required = true, .format = Format::kId, .max_len = 128}
struct Rules {
  bool required = false;     // must be present; a required string must also be non-empty
  bool output_only = false;  // set by the hub: refused on inbound decoding, readOnly in schemas
  Format format = Format::kText;
  int64_t min = std::numeric_limits<int64_t>::min();  // integers
  int64_t max = std::numeric_limits<int64_t>::max();  // integers
  size_t max_len = 0;    // strings and map values, in Unicode code points; 0: unlimited
  size_t min_items = 0;  // arrays
  size_t max_items = 0;  // arrays and maps; 0: unlimited
};

// Keys of string maps (Order::attributes) are at most this many code points.
inline constexpr size_t kMaxMapKeyLength = 64;

// The integer range a field of type Int accepts under `rules`.
template <class Int>
constexpr std::pair<int64_t, int64_t> IntegerRange(const Rules& rules) {
  return {std::max<int64_t>(rules.min, std::numeric_limits<Int>::min()),
          std::min<int64_t>(rules.max, std::numeric_limits<Int>::max())};
}

namespace fields_internal {
// The complete checks behind the inline ones below; call those.
std::optional<std::string> StringProblem(std::string_view s, const Rules& rules);
std::optional<std::string> IntegerProblem(int64_t v, std::pair<int64_t, int64_t> range);
std::optional<std::string> ItemsProblem(size_t count, const Rules& rules);
}  // namespace fields_internal

// Each returns what is wrong with the value ("must be at most 64 characters"), or nullopt.
// Every field of every document goes through these, so the common verdicts (nothing wrong
// with a plain string, an integer or a count) are inline and never call or allocate.
inline std::optional<std::string> CheckString(std::string_view s, const Rules& rules) {
  // Bytes bound code points, so a string no longer in bytes than max_len fits.
  if ((rules.format == Format::kText || rules.format == Format::kId) &&
      (!s.empty() || !rules.required) && (rules.max_len == 0 || s.size() <= rules.max_len)) {
    return std::nullopt;
  }
  return fields_internal::StringProblem(s, rules);
}
inline std::optional<std::string> CheckInteger(int64_t v, std::pair<int64_t, int64_t> range) {
  if (v >= range.first && v <= range.second) return std::nullopt;
  return fields_internal::IntegerProblem(v, range);
}
inline std::optional<std::string> CheckItems(size_t count, const Rules& rules) {
  if (count >= rules.min_items && (rules.max_items == 0 || count <= rules.max_items)) {
    return std::nullopt;
  }
  return fields_internal::ItemsProblem(count, rules);
}
std::optional<std::string> CheckMapKey(std::string_view key);

// Where a visitor is in a document: a stack of field names and array indexes, turned into
// a JSON Pointer only when an error needs one. Entering and leaving cost a few stores and
// never allocate: the stack is a fixed array, as deep as describe.h nests (an amount of a
// discount of a line of an order is 7 deep), not as deep as any input.
//   FieldPath path;
//   { auto lines = path.Enter("lines"); auto first = path.Enter(0); path.Pointer(); }
//   // "#/lines/0"
// REQUIRES: scopes end in the reverse order of Enter() (as locals do), and the names
// outlive their scopes. Not thread-safe.
class FieldPath {
 public:
  // How deep a path may go; deeper is a bug in describe.h, and crashes.
  static constexpr size_t kMaxDepth = 16;

  // Leaves the field or element on destruction.
  class [[nodiscard]] Scope {
   public:
    explicit Scope(FieldPath& path) : path_(path) {}
    ~Scope() { --path_.depth_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FieldPath& path_;
  };

  Scope Enter(std::string_view name) {
    Push(name, 0, false);
    return Scope(*this);
  }
  Scope Enter(size_t index) {
    Push({}, index, true);
    return Scope(*this);
  }

  // RFC 6901 JSON Pointer as a URI fragment, '~' and '/' escaped: "#/attributes/gift~1wrap".
  std::string Pointer() const;

 private:
  struct Segment {
    std::string_view name;
    size_t index;
    bool is_index;
  };

  // Sets the members one by one: copying a whole Segment built on the stack stalls on
  // store forwarding, measurably on this hot path.
  void Push(std::string_view name, size_t index, bool is_index) {
    if (depth_ == kMaxDepth) std::abort();
    Segment& segment = segments_[depth_++];
    segment.name = name;
    segment.index = index;
    segment.is_index = is_index;
  }

  std::array<Segment, kMaxDepth> segments_;  // [0, depth_) are in use
  size_t depth_ = 0;
};

}  // namespace disthub
