// The API of the delivery machinery: outbox, dead letters, replays, pull subscriptions,
// the inbound archive, the audit log and per-subscriber delivery status.
//
//   GET  /v1/deliveries                          per subscriber: circuit, waiting, in flight
//   GET  /v1/outbox[?subscriber=&state=&limit=&cursor=]   GET /v1/outbox/{id} (with attempts)
//   GET  /v1/dead-letters[?kind=&partner=&state=&cause=&type=&limit=&cursor=]
//   GET  /v1/dead-letters/{id}                   with the original bytes and every attempt
//   POST /v1/dead-letters/{id}/retry             {"reason": "…"} (optional)
//   POST /v1/dead-letters/retry                  {"ids": […]} or a filter {"partner", "cause",
//                                                "type", "limit"}, and "reason"
//   POST /v1/dead-letters/{id}/discard           {"reason": "…"} (required)
//   GET  /v1/replays   POST /v1/replays          {"subscriber", from_seq, to_seq, from_time,
//                                                to_time, subject, types}
//   GET  /v1/replays/{id}   POST /v1/replays/{id}/cancel
//   GET  /v1/subscriptions   PUT /v1/subscriptions/{name} {"types": […], "from": "start"|"now"|SEQ}
//   GET  /v1/subscriptions/{name}/events[?limit=]  (also GET /v1/events?subscription=NAME)
//   POST /v1/subscriptions/{name}/ack            {"seq": N}
//   GET  /v1/inbound[?source=&limit=&cursor=]   GET /v1/inbound/{id}
//   POST /v1/inbound/{id}/reprocess[?dry_run=false]   POST /v1/inbound/reprocess
//                                                {"source", "from_id", "to_id", "limit", "dry_run"}
//   GET  /v1/audit[?after=&limit=]
//
// Reads need the events:read scope; changes need operations:write. Every change is
// audited with the caller's partner/key id.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "api/auth.h"
#include "api/http.h"
#include "base/clock.h"
#include "base/ids.h"
#include "events/deliverer.h"
#include "events/operations.h"
#include "mapping/mapping.h"
#include "orchestration/reprocess.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub {

// How orders archived from one source are mapped: with which mapping, for which channel.
struct SourceMapping {
  std::shared_ptr<const mapping::Mapping> mapping;
  std::string channel;
};
// The mapping of an archive source: "webhook:CHANNEL" for a channel's webhooks, a connector
// instance's name for the orders it fetched; nullopt for sources that send canonical orders.
using SourceLookup = std::function<std::optional<SourceMapping>(const std::string& source)>;

// An OrderDecoder (orchestration/reprocess.h) that maps the orders of mapped sources with
// `lookup(source)`'s mapping — the one in effect, or a candidate — and reads every other
// message as a canonical order. A webhook channel the lookup no longer knows makes the
// message invalid, saying so.
OrderDecoder MappedSourceDecoder(SourceLookup lookup);

struct DeliveryApiDeps {
  Store* store;
  CommitQueue* queue;
  Deliverer* deliverer;  // may be null: no subscribers configured
  Replayer* replayer;    // may be null: no subscribers configured
  IdGenerator* ids;
  const Clock* clock;
  Reprocessor* reprocessor;  // may be null: reprocessing unavailable
  SourceLookup sources;      // the mapped sources (candidate mappings); may be null
};

class DeliveryApi {
 public:
  explicit DeliveryApi(DeliveryApiDeps deps) : deps_(deps) {}

  // Whether `path` is one of these routes.
  static bool Owns(std::string_view path);

  // Answers a request on one of these routes, from an authenticated caller.
  void Handle(const HttpRequest& req, const Principal& who, Responder respond);

  // GET …/events of a pull subscription: the next page after its cursor, of its types.
  // Also serves GET /v1/events?subscription=NAME.
  HttpResponse SubscriptionEvents(const HttpRequest& req, const std::string& name);

 private:
  DeliveryApiDeps deps_;
};

}  // namespace disthub
