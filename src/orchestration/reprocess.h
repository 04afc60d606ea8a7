// Reprocessing archived inbound messages through the current configuration: what an
// order taken in earlier would become today (after a catalog, channel or decoding
// change), compared with what it became then; and applying that, without duplicates.
//
//   Plan()   a dry run: nothing is written.
//   Apply()  "new" → the order is created (the channel's reference still deduplicates);
//            "changed" → the stored order is revised (version + 1, an order.revised event
//            with the new document); "unchanged" and "invalid" → nothing. Audited.
//
// Thread-safety: the methods may be called from any thread; Apply's callback runs on the
// writer thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "base/ids.h"
#include "model/fields.h"
#include "model/json.h"
#include "orchestration/order_checks.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub {

// One field that would change: its JSON Pointer, and its JSON before and after
// ("" when absent).
struct FieldChange {
  std::string pointer;
  std::string before;
  std::string after;
};

struct ReprocessReport {
  int64_t inbound_id = 0;
  // "unchanged", "changed", "new" (no order exists for it: it would be created),
  // "invalid" (today's configuration refuses it), "unsupported" (not an order message).
  std::string outcome;
  std::string order_id;              // the order it became or would become
  std::vector<FieldChange> changes;  // for "changed"
  std::vector<FieldError> errors;    // for "invalid"
  bool applied = false;              // Apply() wrote the change
};

// What an archived order message decodes to today: the canonical order, or why not. The
// default reads the body as a canonical order (POST /v1/orders); src/app supplies one that
// also maps messages taken in by webhook (source "webhook:CHANNEL") through the channel's
// mapping, and a dry run may try a candidate mapping (POST /v1/inbound/reprocess).
using OrderDecoder = std::function<Decoded<Order>(const InboundRecord& message)>;
Decoded<Order> DecodeCanonicalMessage(const InboundRecord& message);

class Reprocessor {
 public:
  // All must outlive the Reprocessor. `decoder` null: DecodeCanonicalMessage.
  Reprocessor(Store* store, CommitQueue* queue, const OrderChecks* checks, IdGenerator* ids,
              const Clock* clock, OrderDecoder decoder = nullptr)
      : store_(store),
        queue_(queue),
        checks_(checks),
        ids_(ids),
        clock_(clock),
        decoder_(decoder ? std::move(decoder) : OrderDecoder(DecodeCanonicalMessage)) {}

  // `with`, when given, decodes instead of the configured decoder: a candidate mapping.
  absl::StatusOr<ReprocessReport> Plan(const InboundRecord& message,
                                       const OrderDecoder* with = nullptr) const;
  // The configured decoder, for callers that build a candidate on top of it.
  const OrderDecoder& decoder() const { return decoder_; }

  // Plans, then writes what the plan says; `done` gets the report with `applied` set.
  void Apply(const InboundRecord& message, std::string actor,
             absl::AnyInvocable<void(absl::StatusOr<ReprocessReport>) &&> done);

 private:
  Store* store_;
  CommitQueue* queue_;
  const OrderChecks* checks_;
  IdGenerator* ids_;
  const Clock* clock_;
  OrderDecoder decoder_;
};

// The differences between two JSON documents, as JSON Pointers into them, ignoring the
// top-level `ignored` keys. Exposed for tests.
std::vector<FieldChange> DiffJson(std::string_view before, std::string_view after,
                                  const std::vector<std::string>& ignored);

}  // namespace disthub
