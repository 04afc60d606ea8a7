#include "model/json.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "absl/time/civil_time.h"
#include "base/clock.h"
#include "base/strings.h"
#include "model/describe.h"

namespace disthub {
namespace {

namespace json = boost::json;

std::string_view StdView(json::string_view s) { return {s.data(), s.size()}; }
json::string_view JsonView(std::string_view s) { return {s.data(), s.size()}; }

// Parses an RFC 3339 time: "2026-11-26T21:10:07.123Z", "2026-11-26T16:10:07-05:00" ('t' and
// 'z' too, any number of fraction digits). Digits beyond milliseconds are dropped.
std::optional<absl::Time> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  auto number = [&](size_t digits, int& out) {
    if (s.size() - pos < digits) return false;
    out = 0;
    for (const size_t end = pos + digits; pos < end; ++pos) {
      if (s[pos] < '0' || s[pos] > '9') return false;
      out = out * 10 + (s[pos] - '0');
    }
    return true;
  };
  auto literal = [&](char c, char alternative = 0) {
    if (pos >= s.size() || (s[pos] != c && (alternative == 0 || s[pos] != alternative))) {
      return false;
    }
    ++pos;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!(number(4, year) && literal('-') && number(2, month) && literal('-') && number(2, day) &&
        literal('T', 't') && number(2, hour) && literal(':') && number(2, minute) && literal(':') &&
        number(2, second))) {
    return std::nullopt;
  }
  int64_t millis = 0;
  if (literal('.')) {
    const size_t start = pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      if (pos - start < 3) millis = millis * 10 + (s[pos] - '0');
    }
    if (pos == start) return std::nullopt;
    for (size_t n = pos - start; n < 3; ++n) millis *= 10;
  }
  int offset_minutes = 0;
  if (!literal('Z', 'z')) {
    if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
    const int sign = s[pos++] == '-' ? -1 : 1;
    int offset_hours, offset_mins;
    if (!(number(2, offset_hours) && literal(':') && number(2, offset_mins)) || offset_hours > 23 ||
        offset_mins > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (offset_hours * 60 + offset_mins);
  }
  if (pos != s.size()) return std::nullopt;
  const absl::CivilDay date(year, month, day);  // normalizes, so compare to catch "02-30"
  if (date.month() != month || date.day() != day || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone()) -
         absl::Minutes(offset_minutes) + absl::Milliseconds(millis);
}

// True for a double that holds an integer exactly (|d| < 2^53).
bool IsExactInteger(double d) { return std::fabs(d) < 9007199254740992.0 && d == std::trunc(d); }

std::string JoinNames(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) out += StrCat(out.empty() ? "" : ", ", n);
  return out;
}

struct FieldNameCollector {
  std::vector<std::string_view> names;

  template <class T>
  void Field(std::string_view name, const T&, const Rules& = {}) {
    names.push_back(name);
  }
};

// The JSON names of the fields of T, in order.
template <Described T>
const std::vector<std::string_view>& FieldNamesOf() {
  static const std::vector<std::string_view>* const names = [] {
    FieldNameCollector collector;
    const T blank{};
    Describe(collector, blank);
    return new std::vector<std::string_view>(std::move(collector.names));
  }();
  return *names;
}

// Fills an entity from a JSON value, recording every problem with its JSON Pointer.
class Reader {
 public:
  Reader(DecodeMode mode, std::vector<FieldError>& errors) : mode_(mode), errors_(errors) {}

  template <class T>
  void Field(std::string_view name, T& value, const Rules& rules = {}) {
    const bool refused = rules.output_only && mode_ == DecodeMode::kInbound;
    const json::value* field = object_->if_contains(JsonView(name));
    if (field == nullptr && !(rules.required && !refused)) return;
    FieldPath::Scope scope = path_.Enter(name);
    if (field == nullptr) return Error("is required");
    ++matched_;
    if (refused) return Error("is set by the hub; leave it out");
    Read(*field, value, rules);
  }

  template <Described T>
  void Read(const json::value& json, T& out, const Rules&) {
    const json::object* object = json.if_object();
    if (object == nullptr) return Error("expected an object");
    const json::object* outer = std::exchange(object_, object);
    const size_t outer_matched = std::exchange(matched_, 0);
    Describe(*this, out);
    // Every key matched a field unless there are unknown ones: only then look for them.
    if (matched_ != object->size()) ReportUnknownFields<T>(*object);
    object_ = outer;
    matched_ = outer_matched;
  }

  void Read(const json::value& json, std::string& out, const Rules& rules) {
    const bool id = rules.format == Format::kId;
    if (const json::string* s = json.if_string()) {
      out.assign(s->data(), s->size());
    } else if (id && json.is_int64()) {
      out = StrCat(json.get_int64());
    } else if (id && json.is_uint64()) {
      out = StrCat(json.get_uint64());
    } else if (id && json.is_double()) {
      return Error("send ids larger than 2^64 or with fractions as strings");
    } else {
      return Error(id ? "expected a string or an integer" : "expected a string");
    }
    Report(CheckString(out, rules));
  }

  template <class Int>
  requires std::same_as<Int, int> || std::same_as<Int, int64_t>
  void Read(const json::value& json, Int& out, const Rules& rules) {
    const std::pair<int64_t, int64_t> range = IntegerRange<Int>(rules);
    int64_t v;
    if (json.is_int64()) {
      v = json.get_int64();
    } else if (json.is_uint64()) {
      return Error(StrCat("must be at most ", range.second));
    } else if (json.is_double() && IsExactInteger(json.get_double())) {
      v = static_cast<int64_t>(json.get_double());
    } else {
      return Error("expected an integer");
    }
    if (std::optional<std::string> problem = CheckInteger(v, range)) return Error(*problem);
    out = static_cast<Int>(v);
  }

  void Read(const json::value& json, bool& out, const Rules&) {
    if (!json.is_bool()) return Error("expected true or false");
    out = json.get_bool();
  }

  void Read(const json::value& json, absl::Time& out, const Rules&) {
    const json::string* s = json.if_string();
    std::optional<absl::Time> time = s != nullptr ? ParseRfc3339(StdView(*s)) : std::nullopt;
    if (!time) return Error("expected an RFC 3339 time like 2026-11-26T21:10:07.123Z");
    out = *time;
  }

  template <NamedEnum E>
  void Read(const json::value& json, E& out, const Rules&) {
    const json::string* s = json.if_string();
    std::optional<E> e = s != nullptr ? EnumFromName<E>(StdView(*s)) : std::nullopt;
    if (!e) return Error(StrCat("must be one of: ", JoinNames(EnumNames(E{}))));
    out = *e;
  }

  template <class T>
  void Read(const json::value& json, std::optional<T>& out, const Rules& rules) {
    Read(json, out.emplace(), rules);
  }

  template <class T>
  void Read(const json::value& json, std::vector<T>& out, const Rules& rules) {
    const json::array* array = json.if_array();
    if (array == nullptr) return Error("expected an array");
    if (std::optional<std::string> problem = CheckItems(array->size(), rules)) {
      Error(*problem);
      if (rules.max_items > 0 && array->size() > rules.max_items) return;  // don't read a flood
    }
    out.clear();
    out.reserve(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      FieldPath::Scope scope = path_.Enter(i);
      Read((*array)[i], out.emplace_back(), Rules{});
    }
  }

  void Read(const json::value& json, std::map<std::string, std::string>& out, const Rules& rules) {
    const json::object* object = json.if_object();
    if (object == nullptr) return Error("expected an object");
    if (std::optional<std::string> problem = CheckItems(object->size(), rules)) {
      Error(*problem);
      if (rules.max_items > 0 && object->size() > rules.max_items) return;
    }
    out.clear();
    for (const json::key_value_pair& entry : *object) {
      const std::string_view key = StdView(entry.key());
      FieldPath::Scope scope = path_.Enter(key);
      const json::string* value = entry.value().if_string();
      if (std::optional<std::string> bad_key = CheckMapKey(key)) {
        Error(*bad_key);
      } else if (value == nullptr) {
        Error("expected a string");
      } else if (std::optional<std::string> bad_value =
                     CheckString(StdView(*value), {.max_len = rules.max_len})) {
        Error(*bad_value);
      } else {
        out.emplace(key, StdView(*value));
      }
    }
  }

  // Call once at the end.
  void Finish() {
    if (truncated_) {
      errors_.push_back({"#", StrCat("more errors after the first ", kMaxDecodeErrors)});
    }
  }

 private:
  template <Described T>
  void ReportUnknownFields(const json::object& object) {
    const std::vector<std::string_view>& known = FieldNamesOf<T>();
    for (const json::key_value_pair& entry : object) {
      if (std::find(known.begin(), known.end(), StdView(entry.key())) != known.end()) continue;
      FieldPath::Scope scope = path_.Enter(StdView(entry.key()));
      Error(StrCat("is not a field of ", NamesOfType<T>().title));
    }
  }

  void Error(std::string_view detail) {
    if (errors_.size() < kMaxDecodeErrors) {
      errors_.push_back({path_.Pointer(), std::string(detail)});
    } else {
      truncated_ = true;
    }
  }
  void Report(const std::optional<std::string>& problem) {
    if (problem) Error(*problem);
  }

  const DecodeMode mode_;
  std::vector<FieldError>& errors_;
  FieldPath path_;
  const json::object* object_ = nullptr;  // the object whose fields are being read
  size_t matched_ = 0;                    // how many of its keys were fields
  bool truncated_ = false;
};

// Builds the JSON value of an entity, allocating from `storage`.
class Writer {
 public:
  explicit Writer(json::storage_ptr storage) : storage_(std::move(storage)) {}

  template <class T>
  void Field(std::string_view name, const T& value, const Rules& rules = {}) {
    if (!rules.required && IsEmpty(value)) return;
    object_->emplace(JsonView(name), Write(value));
  }

  template <Described T>
  json::value Write(const T& entity) {
    json::object object(storage_);
    object.reserve(FieldNamesOf<T>().size());
    json::object* outer = std::exchange(object_, &object);
    Describe(*this, entity);
    object_ = outer;
    return json::value(std::move(object));
  }
  json::value Write(std::string_view s) { return json::value(JsonView(s), storage_); }
  json::value Write(int v) { return json::value(static_cast<int64_t>(v), storage_); }
  json::value Write(int64_t v) { return json::value(v, storage_); }
  json::value Write(bool v) { return json::value(v, storage_); }
  json::value Write(absl::Time t) { return Write(disthub::FormatTime(t)); }
  template <NamedEnum E>
  json::value Write(E e) {
    return Write(EnumName(e));
  }
  template <class T>
  json::value Write(const std::optional<T>& v) {
    return Write(*v);  // Field() skips nullopt
  }
  template <class T>
  json::value Write(const std::vector<T>& items) {
    json::array array(storage_);
    array.reserve(items.size());
    for (const T& item : items) array.push_back(Write(item));
    return json::value(std::move(array));
  }
  json::value Write(const std::map<std::string, std::string>& map) {
    json::object object(storage_);
    object.reserve(map.size());
    for (const auto& [key, value] : map) object.emplace(JsonView(key), JsonView(value));
    return json::value(std::move(object));
  }

 private:
  static bool IsEmpty(const std::string& s) { return s.empty(); }
  static bool IsEmpty(const std::map<std::string, std::string>& m) { return m.empty(); }
  template <class T>
  static bool IsEmpty(const std::optional<T>& v) {
    return !v.has_value();
  }
  template <class T>
  static bool IsEmpty(const std::vector<T>& v) {
    return v.empty();
  }
  template <class T>
  static bool IsEmpty(const T&) {  // numbers, booleans, enums, times, objects
    return false;
  }

  json::storage_ptr storage_;
  json::object* object_ = nullptr;
};

}  // namespace

template <JsonEntity T>
Decoded<T> Decode(const json::value& json, DecodeMode mode) {
  Decoded<T> out;
  Reader reader(mode, out.errors);
  reader.Read(json, out.value.emplace(), Rules{});
  reader.Finish();
  if (!out.errors.empty()) out.value.reset();
  return out;
}

template <JsonEntity T>
Decoded<T> DecodeText(std::string_view text, DecodeMode mode) {
  // The parsed tree lives only for this call: allocate it from a stack arena.
  unsigned char scratch[16 * 1024];
  json::monotonic_resource arena(scratch, sizeof scratch);
  json::error_code ec;
  json::value parsed = json::parse(JsonView(text), ec, &arena);
  if (ec) {
    Decoded<T> out;
    out.errors.push_back({"#", StrCat("is not valid JSON: ", ec.message())});
    return out;
  }
  return Decode<T>(parsed, mode);
}

template <JsonEntity T>
json::value Encode(const T& entity) {
  return Writer(json::storage_ptr()).Write(entity);
}

template <JsonEntity T>
std::string Serialize(const T& entity) {
  // The JSON tree lives only for this call: allocate it from a stack arena.
  unsigned char scratch[16 * 1024];
  json::monotonic_resource arena(scratch, sizeof scratch);
  return json::serialize(Writer(&arena).Write(entity));
}

#define DISTHUB_INSTANTIATE_JSON(T)                                \
  template Decoded<T> Decode<T>(const json::value&, DecodeMode);   \
  template Decoded<T> DecodeText<T>(std::string_view, DecodeMode); \
  template json::value Encode<T>(const T&);                        \
  template std::string Serialize<T>(const T&)

DISTHUB_INSTANTIATE_JSON(Order);
DISTHUB_INSTANTIATE_JSON(OrderLine);
DISTHUB_INSTANTIATE_JSON(Customer);
DISTHUB_INSTANTIATE_JSON(Address);
DISTHUB_INSTANTIATE_JSON(Money);
DISTHUB_INSTANTIATE_JSON(Product);
DISTHUB_INSTANTIATE_JSON(InventoryPosition);
DISTHUB_INSTANTIATE_JSON(FulfillmentOrder);
DISTHUB_INSTANTIATE_JSON(Shipment);
DISTHUB_INSTANTIATE_JSON(Return);
DISTHUB_INSTANTIATE_JSON(Invoice);

}  // namespace disthub
