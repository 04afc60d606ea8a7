// A log-linear latency histogram in the style of HdrHistogram: 128 linear sub-buckets
// per power of two, so any recorded value is reported within 1/128 (< 0.8%) of itself,
// in a fixed ~60 KB whatever the number of samples. Not thread-safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace disthub {

class LatencyHistogram {
 public:
  LatencyHistogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t nanos) {
    ++counts_[Index(nanos)];
    ++count_;
    sum_ += nanos;
    max_ = std::max(max_, nanos);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }

  // The smallest recorded-bucket upper bound at or below which a fraction `q` (0..1] of
  // the samples lie, capped at the exact maximum; 0 when empty.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<uint64_t>(std::max(1.0, std::ceil(q * count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperBound(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  // Values below kSub map to themselves; above, to (magnitude, top kSubBits bits).
  static size_t Index(uint64_t v) {
    if (v < kSub) return v;
    const int shift = std::bit_width(v) - 1 - kSubBits;
    return ((shift + 1) << kSubBits) + ((v >> shift) - kSub);
  }
  static uint64_t UpperBound(size_t index) {
    if (index < kSub) return index;
    const int shift = static_cast<int>(index >> kSubBits) - 1;
    const uint64_t sub = (index & (kSub - 1)) + kSub;
    return ((sub + 1) << shift) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace disthub
