// The names of the events in the global log. A name never changes meaning once shipped.
#pragma once

#include <string_view>

namespace disthub::event_types {

// An order was accepted into the hub: payload is the canonical Order as received.
inline constexpr std::string_view kOrderReceived = "order.received";

}  // namespace disthub::event_types
