// The transactional outbox: which partner endpoints (subscribers) receive which events,
// and the router that writes one outbox message per subscriber in the same transaction
// as each event. No message exists for a change that rolled back; none is missing for
// one that committed.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/tls.h"
#include "events/delivery_policy.h"
#include "store/store.h"

namespace disthub {

// A partner endpoint the hub pushes events to.
// What a subscriber's mapping makes of an event: the body, and the request it goes in.
struct RenderedMessage {
  std::string body;
  std::string method = "POST";  // or PUT, PATCH
  std::string path;             // added to the subscriber's url ("": the url itself)
};

struct SubscriberConfig {
  // Unique name ("erp", "wms-east"); labels metrics, keys and dead letters.
  std::string name;
  // Where each message is POSTed: http:// or https:// (TLS verified); a rendered
  // message's path is added to it, and its method used.
  std::string url;
  // For https: whom to trust (ca_file) and our client certificate (mutual TLS).
  TlsClientOptions tls;
  // Event types it receives: exact names or prefixes ending in '*' ("order.*").
  std::vector<std::string> events;
  // The header carrying the message's stable idempotency key.
  std::string key_header = "Idempotency-Key";
  // Extra headers sent with every message (credentials already resolved from the
  // environment by the configuration loader; never logged).
  std::vector<std::pair<std::string, std::string>> headers;
  DeliveryPolicy policy;
  // The body sent for an event: null sends the event's JSON envelope (event_json.h); set
  // by src/app from the subscriber's `mapping` (canonical → the partner's own format).
  // Called once per message on the deliverer thread; an error parks the message as a
  // dead letter at once (cause "unmappable"), without an attempt. Thread-compatible.
  std::function<absl::StatusOr<RenderedMessage>(const EventRecord& event)> render;
};

// Whether `type` matches one of `patterns` (exact, or prefix when ending in '*').
bool MatchesEventType(const std::vector<std::string>& patterns, std::string_view type);

// The stable key of the message carrying event `seq` to `subscriber`: the same on
// every attempt, after restarts, and when a replay sends the event again.
std::string OutboxKey(std::string_view subscriber, int64_t seq);

// Writes the outbox rows for each appended event. Install with Store::SetEventObserver.
// Thread-safety: immutable after construction; runs on the writer thread.
class OutboxRouter final : public EventObserver {
 public:
  explicit OutboxRouter(std::vector<SubscriberConfig> subscribers);
  absl::Status OnEventAppended(WriteTxn& txn, const EventRecord& event) override;

 private:
  std::vector<SubscriberConfig> subscribers_;
};

// The outbox row that sends `event` to `subscriber` now.
OutboxRecord OutboxRowFor(const std::string& subscriber, const EventRecord& event, absl::Time now,
                          std::string replay_id = "");

}  // namespace disthub
