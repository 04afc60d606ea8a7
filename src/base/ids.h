// Time-sortable identifiers: a prefix, then 26 Crockford base32 characters holding
// 48 bits of milliseconds since the Unix epoch and 80 bits that are random at the
// start of each millisecond and incremented within it (the ULID layout), so ids from
// one generator sort in the order they were made: "ord_01JDQ3Z7R8X9...".
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <mutex>

#include "absl/base/thread_annotations.h"
#include "base/clock.h"

namespace disthub {

// Thread-safe. `clock` must outlive the generator.
class IdGenerator {
 public:
  explicit IdGenerator(const Clock* clock = Clock::Real());

  // Returns `prefix` + "_" + 26 sortable characters. Strictly increasing per generator,
  // even if the clock steps backwards.
  std::string Next(std::string_view prefix);

 private:
  const Clock* clock_;
  std::mutex mu_;  // not absl::Mutex: Debian's abseil is invisible to ThreadSanitizer
  uint64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rand_hi_ ABSL_GUARDED_BY(mu_) = 0;  // top 16 of the 80 random bits
  uint64_t rand_lo_ ABSL_GUARDED_BY(mu_) = 0;  // low 64 of the 80 random bits
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

// The millisecond timestamp inside an id made by IdGenerator, or -1 if `id` is not one.
int64_t IdMillis(std::string_view id);

}  // namespace disthub
