#include "mapping/tracking.h"

#include <boost/json.hpp>

#include "base/strings.h"
#include "mapping/object_reader.h"
#include "model/fields.h"

namespace disthub::mapping {
namespace json = boost::json;

namespace {

using internal::ObjectReader;

constexpr size_t kMaxEvents = 1000;

void ReadEvent(const json::object& object, std::string at, TrackingEvent& out,
               std::vector<FieldError>& errors) {
  ObjectReader r(object, std::move(at), errors);
  r.Time("at", out.at, true);
  r.Enum("status", out.status);
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
  r.Enum("status", t.status);
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
