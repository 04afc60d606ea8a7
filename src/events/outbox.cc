#include "events/outbox.h"

#include "base/status_macros.h"
#include "base/strings.h"

namespace disthub {

bool MatchesEventType(const std::vector<std::string>& patterns, std::string_view type) {
  for (const std::string& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (type.substr(0, p.size() - 1) == std::string_view(p).substr(0, p.size() - 1)) {
        return true;
      }
    } else if (type == p) {
      return true;
    }
  }
  return false;
}

std::string OutboxKey(std::string_view subscriber, int64_t seq) {
  return StrCat("dh-", subscriber, "-", seq);
}

OutboxRecord OutboxRowFor(const std::string& subscriber, const EventRecord& event,
                          absl::Time now, std::string replay_id) {
  return OutboxRecord{.subscriber = subscriber,
                      .event_seq = event.seq,
                      .message_type = event.type,
                      .subject = event.subject,
                      .key = OutboxKey(subscriber, event.seq),
                      .created_at = now,
                      .next_attempt_at = now,
                      .updated_at = now,
                      .replay_id = std::move(replay_id)};
}

OutboxRouter::OutboxRouter(std::vector<SubscriberConfig> subscribers)
    : subscribers_(std::move(subscribers)) {}

absl::Status OutboxRouter::OnEventAppended(WriteTxn& txn, const EventRecord& event) {
  for (const SubscriberConfig& s : subscribers_) {
    if (!MatchesEventType(s.events, event.type)) continue;
    DISTHUB_RETURN_IF_ERROR(txn.InsertOutbox(OutboxRowFor(s.name, event, event.recorded_at)).status());
  }
  return absl::OkStatus();
}

}  // namespace disthub
