// Delivers outbox messages to their subscribers over HTTP (libcurl multi: keep-alive
// connections, TLS), applying each subscriber's DeliveryPolicy: concurrency, token-bucket
// quota that also obeys 429/Retry-After, timeouts, retries with backoff and jitter up to a
// maximum of attempts and age, a circuit breaker, and per-subject ordering.
//
// Every attempt carries the message's stable key (SubscriberConfig::key_header), so a
// partner can drop our retries. Delivery is at least once: a message acknowledged by the
// partner whose "delivered" mark had not committed when the hub died is sent again after
// restart, with the same key.
//
// Outcomes are written back through the CommitQueue in batches: delivered, rescheduled
// (with the attempt recorded), or dead-lettered with the reason, every attempt and the
// original bytes.
//
// Threads: one dispatcher thread owns all delivery state. Wake() and Requeue() may be
// called from any thread. Lifetime: `store`, `queue`, `metrics` and `clock` must outlive
// the Deliverer; Stop() it before closing the queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "events/outbox.h"
#include "observe/metrics.h"
#include "store/commit_queue.h"
#include "store/store.h"

namespace disthub {

struct DelivererOptions {
  std::vector<SubscriberConfig> subscribers;
  // Pending messages read from the store per query. One query per turn of the delivery
  // loop: a larger page stalls the deliveries in flight for longer.
  int load_batch = 500;
  // Most messages held in memory waiting or in flight; beyond it, loading pauses.
  int max_in_memory = 50'000;
  // How often the store is checked for new messages when nobody calls Wake().
  absl::Duration poll_interval = absl::Milliseconds(250);
  // Outcomes are written to the store in batches: once this many wait, or once the
  // oldest has waited `results_delay`. A message delivered but not yet marked when the
  // hub dies is sent again (with the same key) after restart.
  int results_batch = 1000;
  absl::Duration results_delay = absl::Milliseconds(10);
  // Seed of the retry jitter (0: from the clock).
  uint64_t seed = 0;
};

// Per-subscriber figures for status pages and tests.
struct SubscriberStatus {
  std::string name;
  std::string circuit;      // "closed", "open", "half_open"
  int64_t waiting = 0;      // in memory, not in flight
  int64_t in_flight = 0;
  int64_t delivered = 0;    // since start
  int64_t dead = 0;         // dead-lettered since start
};

class Deliverer {
 public:
  Deliverer(Store* store, CommitQueue* queue, Registry* metrics, Clock* clock,
            DelivererOptions options);
  ~Deliverer();
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  // Starts the dispatcher thread.
  absl::Status Start();
  // Stops the dispatcher: transfers in flight are abandoned (their messages stay pending
  // and go again, with the same key, after restart). Idempotent.
  void Stop();

  // New outbox rows may have committed: look now rather than at the next poll.
  void Wake();
  // These outbox messages were set back to pending by an operator (dead-letter retry):
  // load them again even though they are older than what was loaded.
  void Requeue(std::vector<int64_t> outbox_ids);

  std::vector<SubscriberStatus> Status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace disthub
