// JSON encoding of the canonical model (Boost.JSON), derived from describe.h.
//
//   Decoded<Order> d = DecodeOrderText(body);     // or DecodeOrder(parsed_value)
//   if (!d.ok()) return Problem(d.errors);       // every error, each with its JSON Pointer
//   std::vector<FieldError> bad = ValidateOrder(*d.value);   // model/validate.h
//
// Encoding: field names are the snake_case names of entities.h. Money is
// {"amount_minor": 1299, "currency": "USD"}; times are RFC 3339 UTC with milliseconds
// ("2026-11-26T21:10:07.123Z"); enums are their snake_case names; id-like fields
// (channel_order_ref, channel_line_ref, external_ref, account_number, tracking_number,
// Invoice.number) are strings. Empty optional fields are omitted.
//
// Decoding is strict and collects every error (up to kMaxDecodeErrors):
//   - wrong JSON type ("expected a string"), missing required field ("is required"), unknown
//     field ("is not a field of Order"), enum value not allowed ("must be one of: ..."),
//     out of range, too long, malformed time, malformed or unknown currency; JSON null is a
//     wrong type, never "absent".
//   - times: any RFC 3339 time with an offset ("2026-11-26T16:10:07-05:00"); digits beyond
//     milliseconds are dropped so that decode(encode(x)) == x.
//   - id-like fields accept a JSON string or a JSON integer; an integer is kept as its exact
//     decimal text (Boost.JSON holds int64/uint64 exactly, so 2^53 + 1 survives). A JSON
//     number with a fraction or beyond uint64 is refused: partners must send those as strings.
//   - integers may be written 5 or 5.0 (as JSON Schema allows) if exact below 2^53.
//   - output-only fields (Order id, status, received_at) are refused in DecodeMode::kInbound
//     ("is set by the hub; leave it out"), so a partner never believes it set them.
//
// No exceptions on any path; no regular expressions. Thread-safe (no shared state).
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/entities.h"
#include "model/fields.h"

namespace disthub {

enum class DecodeMode {
  kInbound,  // partner or API input: output-only fields are errors
  kStored,   // the hub's own output (store rows, events): every field is read
};

template <class T>
struct Decoded {
  std::optional<T> value;          // engaged iff `errors` is empty
  std::vector<FieldError> errors;  // in the order of describe.h, nested fields in place

  bool ok() const { return errors.empty(); }
};

// Decoding stops collecting after this many errors and adds a final one at "#".
inline constexpr size_t kMaxDecodeErrors = 100;

template <JsonEntity T>
Decoded<T> Decode(const boost::json::value& json, DecodeMode mode = DecodeMode::kInbound);

// Parses `text` and decodes it in one pass, without building a boost::json tree: the same
// result and errors as Decode(boost::json::parse(text)), about twice as fast. Text that is
// not JSON is kInvalidArgument with Boost.JSON's message ("syntax error").
template <JsonEntity T>
absl::StatusOr<Decoded<T>> ParseAndDecode(std::string_view text,
                                          DecodeMode mode = DecodeMode::kInbound);

// ParseAndDecode(), with text that is not JSON as one error at "#".
template <JsonEntity T>
Decoded<T> DecodeText(std::string_view text, DecodeMode mode = DecodeMode::kInbound);

template <JsonEntity T>
boost::json::value Encode(const T& entity);

// Parses an RFC 3339 time as the canonical model does ("2026-11-26T21:10:07.123Z",
// "2026-11-26T16:10:07-05:00"); nullopt if it is not one.
std::optional<absl::Time> ParseTime(std::string_view text);

// Compact JSON text of Encode(entity), byte for byte, written directly without building the
// tree. Strings are escaped as Boost.JSON escapes them: quote, backslash, \b \f \n \r \t, other
// control characters as \u00xx; all other bytes (UTF-8 included) pass through.
template <JsonEntity T>
std::string Serialize(const T& entity);

// The order shorthands the API layer calls.
inline Decoded<Order> DecodeOrder(const boost::json::value& json,
                                  DecodeMode mode = DecodeMode::kInbound) {
  return Decode<Order>(json, mode);
}
inline absl::StatusOr<Decoded<Order>> ParseAndDecodeOrder(std::string_view text,
                                                          DecodeMode mode = DecodeMode::kInbound) {
  return ParseAndDecode<Order>(text, mode);
}
inline Decoded<Order> DecodeOrderText(std::string_view text,
                                      DecodeMode mode = DecodeMode::kInbound) {
  return DecodeText<Order>(text, mode);
}
inline boost::json::value EncodeOrder(const Order& order) { return Encode(order); }
inline std::string SerializeOrder(const Order& order) { return Serialize(order); }

}  // namespace disthub
