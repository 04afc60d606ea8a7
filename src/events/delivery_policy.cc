#include "events/delivery_policy.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "base/strings.h"

namespace disthub {

absl::Duration RetryDelay(const RetryPolicy& policy, int attempt, std::mt19937_64& rng) {
  double seconds = absl::ToDoubleSeconds(policy.initial) *
                   std::pow(policy.multiplier, std::max(0, attempt - 1));
  seconds = std::min(seconds, absl::ToDoubleSeconds(policy.max));
  if (policy.jitter > 0) {
    std::uniform_real_distribution<double> spread(1 - policy.jitter, 1 + policy.jitter);
    seconds *= spread(rng);
  }
  return absl::Seconds(std::max(0.0, seconds));
}

TokenBucket::TokenBucket(double rate, int burst, absl::Time now)
    : rate_(rate), burst_(std::max(1, burst)), tokens_(burst_), last_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_) return;
  tokens_ = std::min(burst_, tokens_ + rate_ * absl::ToDoubleSeconds(now - last_));
  last_ = now;
}

bool TokenBucket::TryTake(absl::Time now) {
  if (now < paused_until_) return false;
  if (rate_ <= 0) return true;
  Refill(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::Time TokenBucket::NextAvailable(absl::Time now) {
  if (now < paused_until_) return paused_until_;
  if (rate_ <= 0) return now;
  Refill(now);
  if (tokens_ >= 1) return now;
  return now + absl::Seconds((1 - tokens_) / rate_);
}

void TokenBucket::PauseUntil(absl::Time until) {
  paused_until_ = std::max(paused_until_, until);
  tokens_ = 0;
  last_ = std::max(last_, until);
}

bool CircuitBreaker::Allow(absl::Time now) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < open_until_) return false;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

absl::Time CircuitBreaker::NextAllowed(absl::Time now) const {
  if (state_ == State::kOpen) return std::max(now, open_until_);
  // The probe's outcome decides; its completion is what to wait for.
  if (state_ == State::kHalfOpen && probe_in_flight_) return absl::InfiniteFuture();
  return now;
}

void CircuitBreaker::OnSuccess() {
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  current_open_ = absl::ZeroDuration();
  probe_in_flight_ = false;
}

void CircuitBreaker::OnFailure(absl::Time now) {
  ++consecutive_failures_;
  if (state_ == State::kHalfOpen ||
      (state_ == State::kClosed && consecutive_failures_ >= policy_.failure_threshold)) {
    current_open_ = current_open_ == absl::ZeroDuration()
                        ? policy_.open_for
                        : std::min(policy_.max_open, current_open_ * 2);
    state_ = State::kOpen;
    open_until_ = now + current_open_;
    probe_in_flight_ = false;
  }
}

void CircuitBreaker::OnNeutral() {
  // A probe that got a 429 or a 4xx still proves the partner answers.
  if (state_ == State::kHalfOpen) OnSuccess();
}

std::string_view CircuitBreaker::Name(State s) {
  switch (s) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

AttemptOutcome ClassifyAttempt(int http_status, std::string_view transport) {
  if (http_status == 0) {
    return {AttemptVerdict::kRetry, transport.empty() ? "network" : std::string(transport)};
  }
  if (http_status >= 200 && http_status < 300) return {AttemptVerdict::kDelivered, "ok"};
  if (http_status == 429) return {AttemptVerdict::kQuota, "quota"};
  // 408 Request Timeout and 425 Too Early are about the moment, not the message.
  if (http_status == 408 || http_status == 425) return {AttemptVerdict::kRetry, "http_4xx"};
  if (http_status >= 400 && http_status < 500) return {AttemptVerdict::kPermanent, "http_4xx"};
  if (http_status >= 500) return {AttemptVerdict::kRetry, "http_5xx"};
  // 1xx/3xx as a final answer: the endpoint is misconfigured; keep trying, visibly.
  return {AttemptVerdict::kRetry, "http_other"};
}

std::optional<absl::Time> ParseRetryAfter(std::string_view value, absl::Time now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(ToAbsl(value), &seconds)) {
    if (seconds < 0) return std::nullopt;
    return now + absl::Seconds(std::min<int64_t>(seconds, 86'400));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), absl::UTCTimeZone(), &t,
                      &err)) {
    return std::max(now, t);
  }
  return std::nullopt;
}

}  // namespace disthub
