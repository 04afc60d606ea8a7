// The canonical cancellation: a sales channel telling the hub that one of its orders, or
// some units of its lines, will not be taken after all (the customer changed their mind,
// the channel's fraud check, a marketplace's own cancellation). The canonical model has no
// such document (an order's cancellation there is a command, POST /v1/orders/{id}/cancel),
// so the mapping layer defines it, as it does tracking (tracking.h); docs/mappings.md
// documents it. A mapping with `to: cancellation` builds it:
//
//   {"channel": "shopify-us", "channel_order_ref": "450789469",
//    "cancelled_at": "2026-11-27T10:00:00.000Z", "reason": "customer",
//    "lines": [{"channel_line_ref": "466157049", "quantity": 1}]}    (optional)
//
// Without lines (absent or empty) the whole order is cancelled. The order and its lines are
// named by the channel's references, which the caller resolves to the hub's order.
//
// Pure functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "model/json.h"

namespace disthub::mapping {

struct CancelledLine {
  std::string channel_line_ref;  // the channel's line id
  int64_t quantity = 0;          // units of the line cancelled, ≥ 1

  friend bool operator==(const CancelledLine&, const CancelledLine&) = default;
};

struct Cancellation {
  std::string channel;            // the channel instance
  std::string channel_order_ref;  // the channel's order id, exactly as sent
  absl::Time cancelled_at;
  std::string reason;                // the channel's reason, through a code table: "customer"
  std::vector<CancelledLine> lines;  // empty: the whole order

  bool whole_order() const { return lines.empty(); }
  friend bool operator==(const Cancellation&, const Cancellation&) = default;
};

// Decodes and checks a cancellation document as model/json.h decodes entities: strictly (an
// unknown field, a wrong JSON type, a missing required field, a time that is not RFC 3339
// with an offset, a string too long), collecting every error with its JSON Pointer.
//   required: channel (1..64), channel_order_ref (1..128; a JSON integer is kept as its
//   decimal text), cancelled_at; reason at most 200 characters; in lines[] (at most 1000):
//   channel_line_ref (1..128), quantity ≥ 1, each line at most once.
Decoded<Cancellation> DecodeCancellation(const boost::json::value& json);

}  // namespace disthub::mapping
