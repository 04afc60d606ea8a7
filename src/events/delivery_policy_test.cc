#include "events/delivery_policy.h"

#include "gtest/gtest.h"

namespace disthub {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'767'225'600);

TEST(RetryDelay, GrowsExponentiallyUpToTheMaximumWithinTheJitter) {
  RetryPolicy p{.initial = absl::Seconds(1), .multiplier = 2, .max = absl::Seconds(10),
                .jitter = 0.2};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    absl::Duration d1 = RetryDelay(p, 1, rng), d3 = RetryDelay(p, 3, rng),
                   d9 = RetryDelay(p, 9, rng);
    EXPECT_GE(d1, absl::Milliseconds(800));
    EXPECT_LE(d1, absl::Milliseconds(1200));
    EXPECT_GE(d3, absl::Milliseconds(3200));
    EXPECT_LE(d3, absl::Milliseconds(4800));
    EXPECT_GE(d9, absl::Seconds(8));
    EXPECT_LE(d9, absl::Seconds(12));
  }
  p.jitter = 0;
  EXPECT_EQ(RetryDelay(p, 2, rng), absl::Seconds(2));
}

TEST(TokenBucket, AllowsTheBurstThenTheRate) {
  TokenBucket b(10, 3, kT0);
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_FALSE(b.TryTake(kT0));
  EXPECT_EQ(b.NextAvailable(kT0), kT0 + absl::Milliseconds(100));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Milliseconds(50)));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Milliseconds(100)));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Seconds(10)));  // refilled, capped at the burst
  EXPECT_TRUE(b.TryTake(kT0 + absl::Seconds(10)));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Seconds(10)));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Seconds(10)));
}

TEST(TokenBucket, UnlimitedUnlessPausedByRetryAfter) {
  TokenBucket b(0, 1, kT0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.TryTake(kT0));
  b.PauseUntil(kT0 + absl::Seconds(2));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Seconds(1)));
  EXPECT_EQ(b.NextAvailable(kT0 + absl::Seconds(1)), kT0 + absl::Seconds(2));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Seconds(2)));
}

TEST(CircuitBreaker, OpensAfterTheThresholdProbesOnceAndClosesOnSuccess) {
  CircuitBreaker c({.failure_threshold = 3, .open_for = absl::Seconds(5),
                    .max_open = absl::Seconds(15)});
  for (int i = 0; i < 2; ++i) c.OnFailure(kT0);
  EXPECT_EQ(c.state(), CircuitBreaker::State::kClosed);
  c.OnFailure(kT0);
  EXPECT_EQ(c.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(c.Allow(kT0 + absl::Seconds(4)));
  EXPECT_EQ(c.NextAllowed(kT0), kT0 + absl::Seconds(5));
  EXPECT_TRUE(c.Allow(kT0 + absl::Seconds(5)));  // the probe
  EXPECT_EQ(c.state(), CircuitBreaker::State::kHalfOpen);
  EXPECT_FALSE(c.Allow(kT0 + absl::Seconds(5)));  // only one probe at a time
  c.OnFailure(kT0 + absl::Seconds(6));  // probe failed: open twice as long
  EXPECT_EQ(c.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(c.Allow(kT0 + absl::Seconds(15)));
  EXPECT_TRUE(c.Allow(kT0 + absl::Seconds(16)));
  c.OnSuccess();
  EXPECT_EQ(c.state(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(c.Allow(kT0 + absl::Seconds(16)));
}

TEST(CircuitBreaker, OpenTimeIsCappedAndASuccessResetsTheCount) {
  CircuitBreaker c({.failure_threshold = 2, .open_for = absl::Seconds(10),
                    .max_open = absl::Seconds(15)});
  c.OnFailure(kT0);
  c.OnSuccess();
  c.OnFailure(kT0);
  EXPECT_EQ(c.state(), CircuitBreaker::State::kClosed);
  c.OnFailure(kT0);
  ASSERT_EQ(c.state(), CircuitBreaker::State::kOpen);
  absl::Time t = kT0 + absl::Seconds(10);
  ASSERT_TRUE(c.Allow(t));
  c.OnFailure(t);
  EXPECT_EQ(c.NextAllowed(t), t + absl::Seconds(15));  // 20 s capped at 15
}

TEST(ClassifyAttempt, SaysWhatEachOutcomeMeans) {
  EXPECT_EQ(ClassifyAttempt(200, "").verdict, AttemptVerdict::kDelivered);
  EXPECT_EQ(ClassifyAttempt(204, "").verdict, AttemptVerdict::kDelivered);
  EXPECT_EQ(ClassifyAttempt(429, "").verdict, AttemptVerdict::kQuota);
  EXPECT_EQ(ClassifyAttempt(503, "").cause, "http_5xx");
  EXPECT_EQ(ClassifyAttempt(503, "").verdict, AttemptVerdict::kRetry);
  EXPECT_EQ(ClassifyAttempt(408, "").verdict, AttemptVerdict::kRetry);
  EXPECT_EQ(ClassifyAttempt(422, "").verdict, AttemptVerdict::kPermanent);
  EXPECT_EQ(ClassifyAttempt(0, "timeout").cause, "timeout");
  EXPECT_EQ(ClassifyAttempt(0, "reset").verdict, AttemptVerdict::kRetry);
}

TEST(ParseRetryAfter, ReadsSecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfter("3", kT0), kT0 + absl::Seconds(3));
  EXPECT_EQ(ParseRetryAfter(" 0 ", kT0), kT0);
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", kT0), kT0 + absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("soon", kT0), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1", kT0), std::nullopt);
}

}  // namespace
}  // namespace disthub
