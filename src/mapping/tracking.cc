#include "mapping/tracking.h"

#include <algorithm>
#include <boost/json.hpp>
#include <initializer_list>

#include "base/strings.h"
#include "model/fields.h"

namespace disthub::mapping {
namespace json = boost::json;

namespace {

constexpr size_t kMaxEvents = 1000;

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

  void Status(std::string_view name, TrackingStatus& out) {
    const json::value* v = Member(name, true);
    if (v == nullptr) return;
    const json::string* s = v->if_string();
    std::optional<TrackingStatus> status =
        s != nullptr ? EnumFromName<TrackingStatus>(std::string_view(s->data(), s->size()))
                     : std::nullopt;
    if (!status) {
      std::string names;
      for (std::string_view n : kTrackingStatusNames) names += StrCat(names.empty() ? "" : ", ", n);
      return Error(name, StrCat("must be one of: ", names));
    }
    out = *status;
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

void ReadEvent(const json::object& object, std::string at, TrackingEvent& out,
               std::vector<FieldError>& errors) {
  ObjectReader r(object, std::move(at), errors);
  r.Time("at", out.at, true);
  r.Status("status", out.status);
  r.String("message", out.message, {.max_len = 1000});
  r.String("city", out.city, {.max_len = 100});
  r.String("region", out.region, {.max_len = 100});
  r.String("postal_code", out.postal_code, {.max_len = 20});
  r.String("country", out.country, {.format = Format::kCountry});
  r.Unknown({"at", "status", "message", "city", "region", "postal_code", "country"},
            "TrackingEvent");
}

}  // namespace

Decoded<Tracking> DecodeTracking(const json::value& value) {
  Decoded<Tracking> out;
  const json::object* object = value.if_object();
  if (object == nullptr) {
    out.errors.push_back({"#", "expected an object"});
    return out;
  }
  Tracking t;
  ObjectReader r(*object, "#", out.errors);
  r.String("tracking_number", t.tracking_number,
           {.required = true, .format = Format::kId, .max_len = 128}, /*id=*/true);
  r.String("carrier", t.carrier, {.required = true, .max_len = 64});
  r.Status("status", t.status);
  r.Time("status_at", t.status_at, true);
  if (object->contains("estimated_delivery_at")) {
    r.Time("estimated_delivery_at", t.estimated_delivery_at.emplace(), false);
  }
  if (const json::value* events = r.Member("events", false)) {
    const json::array* list = events->if_array();
    if (list == nullptr) {
      r.Error("events", "expected an array");
    } else if (list->size() > kMaxEvents) {
      r.Error("events", StrCat("must have at most ", kMaxEvents, " items"));
    } else {
      t.events.resize(list->size());
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string at = StrCat(r.Pointer("events"), "/", i);
        if (const json::object* e = (*list)[i].if_object()) {
          ReadEvent(*e, at, t.events[i], out.errors);
        } else if (out.errors.size() < kMaxDecodeErrors) {
          out.errors.push_back({at, "expected an object"});
        }
      }
    }
  }
  r.Unknown(
      {"tracking_number", "carrier", "status", "status_at", "estimated_delivery_at", "events"},
      "Tracking");
  if (out.errors.empty()) out.value = std::move(t);
  return out;
}

}  // namespace disthub::mapping
