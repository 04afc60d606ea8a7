// The order poller (connector type `rest-order-poller`): a marketplace that does not push
// orders is asked for them, as Amazon's Selling Partner API is. Everything about the
// marketplace's API is configuration; the built-in defaults are SP-API Orders v0's, so an
// Amazon store is a block naming its URL, token, mapping and channel.
//
// One poll:
//   1. GET ORDERS_PATH?CURSOR_PARAM=<cursor> (the cursor is the newest CURSOR_FIELD seen
//      so far, kept durably in the store; START_CURSOR the first time), then each further
//      page with NEXT_TOKEN_PARAM=<token> while the answer has one at NEXT_TOKEN_POINTER;
//      the orders are the list at LIST_POINTER.
//   2. For each order, its items from ITEMS_PATH ({id} is the order's ID_FIELD), and the
//      document {"order": ..., "items": [...]} (or the order alone without ITEMS_PATH) is
//      mapped with MAPPING for CHANNEL.
//   3. A mapped order goes into the hub as POST /v1/orders would take it, with the order's
//      id as idempotency key: an order fetched again is taken once. One the mapping or the
//      hub refuses is archived as rejected with every reason (GET /v1/inbound), and the
//      poll goes on.
//   4. When every page is taken, the cursor moves to the newest CURSOR_FIELD seen and is
//      saved. A poll that fails half-way (the marketplace or the store unavailable) keeps
//      the old cursor: the next one asks again, and what was taken is not taken twice.
// Every request waits for a token of a bucket of REQUESTS_PER_MINUTE refilled and BURST
// deep (the marketplace's quota); a 429 waits its Retry-After and asks again.
//
// Thread-safety: one worker thread per instance; Describe() from any thread.
#pragma once

#include "connectors/connector.h"

namespace disthub::connectors {

const ConnectorType& RestOrderPollerType();

}  // namespace disthub::connectors
