// The JSON form of events for the API and for subscribers.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace disthub {

// Appends one event as a JSON object to `out`. The payload (already JSON) is spliced
// in as is, so paging through the log never re-parses payloads.
void AppendEventJson(const EventRecord& event, std::string& out);

// {"events":[…],"next_after":SEQ} — next_after is the last seq returned (or `after`
// when the page is empty), to pass as ?after= for the next page.
std::string EventPageJson(const std::vector<EventRecord>& events, int64_t after);

}  // namespace disthub
