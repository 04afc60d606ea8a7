// How the hub treats one partner endpoint when delivering to it: the policy from
// configuration, and the small state machines that apply it (retry schedule, token
// bucket quota, circuit breaker) and the classification of an attempt's outcome.
//
// Everything here is pure and takes the time as an argument, so it is tested with fake
// time. Not thread-safe: the deliverer's dispatcher thread owns each instance.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace disthub {

struct RetryPolicy {
  // First retry after this, then multiplied by `multiplier` per attempt up to `max`.
  absl::Duration initial = absl::Milliseconds(500);
  double multiplier = 2.0;
  absl::Duration max = absl::Minutes(5);
  // Each delay is drawn uniformly from [delay × (1 − jitter), delay × (1 + jitter)].
  double jitter = 0.2;
  // A message still failing after this many attempts, or this old, is dead-lettered.
  int max_attempts = 12;
  absl::Duration max_age = absl::Hours(24);
};

struct CircuitPolicy {
  // Consecutive failed attempts (5xx, timeouts, resets, refused) that open the circuit.
  int failure_threshold = 5;
  // How long an open circuit waits before one probe; doubles while probes fail, up to
  // `max_open`.
  absl::Duration open_for = absl::Seconds(5);
  absl::Duration max_open = absl::Minutes(2);
};

struct DeliveryPolicy {
  // Attempts in flight at once to this partner.
  int concurrency = 8;
  // Quota: requests per second (0: unlimited) and burst size of the token bucket.
  double rate_per_second = 0;
  int burst = 10;
  // Connection and whole-request timeouts.
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration timeout = absl::Seconds(10);
  RetryPolicy retry;
  CircuitPolicy circuit;
  // Updates for one subject (an order) are delivered one at a time, in the order they
  // were committed: a later one never overtakes an earlier one, even across retries.
  bool ordered = true;
};

// The delay before retry number `attempt` (1 = the first retry), with jitter drawn
// from `rng`.
absl::Duration RetryDelay(const RetryPolicy& policy, int attempt, std::mt19937_64& rng);

// A token bucket: `rate` tokens per second, at most `burst` stored. rate 0: unlimited.
class TokenBucket {
 public:
  TokenBucket(double rate, int burst, absl::Time now);
  // Takes a token if one is available at `now`.
  bool TryTake(absl::Time now);
  // When the next token will be available (now if one is).
  absl::Time NextAvailable(absl::Time now);
  // Empties the bucket until `until` (the partner said 429 / Retry-After).
  void PauseUntil(absl::Time until);

 private:
  void Refill(absl::Time now);

  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
  absl::Time paused_until_ = absl::InfinitePast();
};

// closed → (failure_threshold consecutive failures) → open → (open_for elapsed) →
// half-open: one probe → success: closed; failure: open again for twice as long.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(CircuitPolicy policy) : policy_(policy) {}

  // Whether an attempt may start now. In half-open, only one probe at a time.
  bool Allow(absl::Time now);
  // When Allow() may next say yes (now if it does).
  absl::Time NextAllowed(absl::Time now) const;
  void OnSuccess();
  // A failure that says the partner is unwell (not a 4xx about one message).
  void OnFailure(absl::Time now);
  // The attempt ended without telling us about the partner's health (a 429, a 4xx).
  void OnNeutral();

  State state() const { return state_; }
  static std::string_view Name(State s);

 private:
  CircuitPolicy policy_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  absl::Duration current_open_ = absl::ZeroDuration();
  absl::Time open_until_ = absl::InfinitePast();
  bool probe_in_flight_ = false;
};

// What one attempt's outcome means.
enum class AttemptVerdict {
  kDelivered,  // 2xx
  kRetry,      // transient: try again later; counts against the partner's health
  kQuota,      // 429: wait as told, does not count as a failed attempt
  kPermanent,  // the partner refuses this message (4xx): dead-letter at once
};

struct AttemptOutcome {
  AttemptVerdict verdict;
  std::string cause;  // "ok", "http_5xx", "http_4xx", "quota", "timeout", "reset", "connect", "tls", "network"
};

// Classifies an HTTP answer (status > 0) or a transport failure (status 0, with
// `transport` one of "timeout", "reset", "connect", "network").
AttemptOutcome ClassifyAttempt(int http_status, std::string_view transport);

// Parses a Retry-After value (delta-seconds, or an HTTP date), relative to `now`.
std::optional<absl::Time> ParseRetryAfter(std::string_view value, absl::Time now);

}  // namespace disthub
