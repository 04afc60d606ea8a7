// Reading a canonical document the mapping layer defines itself (tracking.h,
// cancellation.h) as model/json.h reads the model's entities: member by member, strictly,
// every problem recorded with its JSON Pointer ("#/events/2/status") and the model's words.
// Internal to src/mapping.
#pragma once

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "base/strings.h"
#include "model/fields.h"
#include "model/json.h"

namespace disthub::mapping::internal {

namespace json = boost::json;

// Reads the members of one JSON object, recording problems at "#/…/member".
class ObjectReader {
 public:
  ObjectReader(const json::object& object, std::string at, std::vector<FieldError>& errors)
      : object_(object), at_(std::move(at)), errors_(errors) {}

  // The member `name`, or nullptr; "is required" when it must be there. JSON null is a wrong
  // type, as in the model (never "absent").
  const json::value* Member(std::string_view name, bool required) {
    const json::value* v = object_.if_contains(name);
    if (v == nullptr && required) Error(name, "is required");
    return v;
  }

  void String(std::string_view name, std::string& out, const Rules& rules, bool id = false) {
    const json::value* v = Member(name, rules.required);
    if (v == nullptr) return;
    if (const json::string* s = v->if_string()) {
      out.assign(s->data(), s->size());
    } else if (id && v->is_int64()) {
      out = StrCat(v->get_int64());
    } else if (id && v->is_uint64()) {
      out = StrCat(v->get_uint64());
    } else {
      return Error(name, id ? "expected a string or an integer" : "expected a string");
    }
    if (std::optional<std::string> problem = CheckString(out, rules)) Error(name, *problem);
  }

  void Time(std::string_view name, absl::Time& out, bool required) {
    const json::value* v = Member(name, required);
    if (v == nullptr) return;
    const json::string* s = v->if_string();
    std::optional<absl::Time> t =
        s != nullptr ? ParseTime(std::string_view(s->data(), s->size())) : std::nullopt;
    if (!t) return Error(name, "expected an RFC 3339 time like 2026-11-26T21:10:07.123Z");
    out = *t;
  }

  // A member holding one of an enum's names (model/entities.h, NamedEnum).
  template <class E>
  void Enum(std::string_view name, E& out) {
    const json::value* v = Member(name, true);
    if (v == nullptr) return;
    const json::string* s = v->if_string();
    std::optional<E> value =
        s != nullptr ? EnumFromName<E>(std::string_view(s->data(), s->size())) : std::nullopt;
    if (!value) {
      std::string names;
      for (std::string_view n : EnumNames(E{})) names += StrCat(names.empty() ? "" : ", ", n);
      return Error(name, StrCat("must be one of: ", names));
    }
    out = *value;
  }

  // A whole number of at least `min`.
  void Integer(std::string_view name, int64_t& out, bool required, int64_t min) {
    const json::value* v = Member(name, required);
    if (v == nullptr) return;
    if (!v->is_int64()) return Error(name, "expected an integer");
    out = v->get_int64();
    if (out < min) Error(name, StrCat("must be at least ", min));
  }

  // Reports members other than `known`.
  void Unknown(std::initializer_list<std::string_view> known, std::string_view type) {
    for (const auto& member : object_) {
      const std::string_view key(member.key().data(), member.key().size());
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Error(key, StrCat("is not a field of ", type));
      }
    }
  }

  std::string Pointer(std::string_view name) const {
    std::string escaped;
    for (char c : name) {
      if (c == '~') {
        escaped += "~0";
      } else if (c == '/') {
        escaped += "~1";
      } else {
        escaped += c;
      }
    }
    return StrCat(at_, "/", escaped);
  }

  void Error(std::string_view name, std::string_view detail) {
    if (errors_.size() < kMaxDecodeErrors) errors_.push_back({Pointer(name), std::string(detail)});
  }

 private:
  const json::object& object_;
  std::string at_;
  std::vector<FieldError>& errors_;
};

}  // namespace disthub::mapping::internal
