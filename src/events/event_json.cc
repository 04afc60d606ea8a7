#include "events/event_json.h"

#include <boost/json.hpp>

#include "base/clock.h"
#include "base/strings.h"

namespace disthub {
namespace {

void AppendString(std::string& out, std::string_view key, std::string_view value) {
  out.append("\"").append(key).append("\":");
  out.append(boost::json::serialize(boost::json::string_view(value.data(), value.size())));
}

}  // namespace

void AppendEventJson(const EventRecord& e, std::string& out) {
  out.append("{\"seq\":").append(StrCat(e.seq)).push_back(',');
  AppendString(out, "type", e.type);
  out.push_back(',');
  AppendString(out, "subject", e.subject);
  out.push_back(',');
  AppendString(out, "correlation_id", e.correlation_id);
  out.push_back(',');
  AppendString(out, "causation_id", e.causation_id);
  out.push_back(',');
  AppendString(out, "occurred_at", disthub::FormatTime(e.occurred_at));
  out.push_back(',');
  AppendString(out, "recorded_at", disthub::FormatTime(e.recorded_at));
  out.append(",\"payload\":").append(e.payload.empty() ? "null" : e.payload).push_back('}');
}

std::string EventPageJson(const std::vector<EventRecord>& events, int64_t after) {
  std::string out = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) out.push_back(',');
    AppendEventJson(events[i], out);
  }
  int64_t next = events.empty() ? after : events.back().seq;
  out.append("],\"next_after\":").append(StrCat(next)).push_back('}');
  return out;
}

}  // namespace disthub
