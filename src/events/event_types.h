// The names of the events in the global log. A name never changes meaning once shipped.
#pragma once

#include <string_view>

namespace disthub::event_types {

// An order was accepted into the hub: payload is the canonical Order as received.
inline constexpr std::string_view kOrderReceived = "order.received";

// An order's document was revised by reprocessing its inbound message through a changed
// configuration: payload is the canonical Order as it now stands.
inline constexpr std::string_view kOrderRevised = "order.revised";

}  // namespace disthub::event_types
