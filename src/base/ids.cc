#include "base/ids.h"

#include <array>

namespace disthub {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int CrockfordValue(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kCrockford[i] == c) return i;
  }
  return -1;
}

}  // namespace

IdGenerator::IdGenerator(const Clock* clock) : clock_(clock), rng_(std::random_device{}()) {}

std::string IdGenerator::Next(std::string_view prefix) {
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(clock_->Now()));
  uint64_t hi, lo;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ms > last_ms_) {
      last_ms_ = ms;
      rand_hi_ = rng_() & 0x7FFF;  // leave headroom so increments never overflow 80 bits
      rand_lo_ = rng_();
    } else {
      ms = last_ms_;  // same millisecond, or the clock stepped back: keep increasing
      if (++rand_lo_ == 0) ++rand_hi_;
    }
    hi = rand_hi_;
    lo = rand_lo_;
  }
  // 128 bits: ms (48) | hi (16) | lo (64), written as 26 base32 digits (130 bits, top 2
  // zero). The first 10 digits hold the 50 bits "00" + ms; the last 16 hold hi:lo (80 bits).
  std::array<char, 26> out;
  for (int i = 9; i >= 0; --i, ms >>= 5) out[i] = kCrockford[ms & 31];
  for (int i = 25; i >= 10; --i) {
    out[i] = kCrockford[lo & 31];
    lo = (lo >> 5) | ((hi & 31) << 59);
    hi >>= 5;
  }
  std::string id;
  id.reserve(prefix.size() + 27);
  id.append(prefix).push_back('_');
  id.append(out.data(), out.size());
  return id;
}

int64_t IdMillis(std::string_view id) {
  size_t us = id.rfind('_');
  std::string_view body = us == std::string_view::npos ? id : id.substr(us + 1);
  if (body.size() != 26) return -1;
  int64_t ms = 0;
  for (int i = 0; i < 26; ++i) {
    int d = CrockfordValue(body[i]);
    if (d < 0) return -1;
    if (i < 10) ms = (ms << 5) | d;
  }
  return ms;  // 10 digits = 50 bits: 2 bits of padding (zero), then the 48-bit milliseconds
}

}  // namespace disthub
