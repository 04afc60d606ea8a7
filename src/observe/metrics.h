// A small metrics library for hot paths, rendered in the Prometheus text exposition
// format 0.0.4.
//
//   Registry registry;
//   Counter* created = registry.Counter("disthub_http_requests_total", "HTTP requests.",
//                                       {{"route", "/v1/orders"}, {"status", "201"}});
//   Histogram* latency = registry.Histogram("disthub_http_request_seconds", "Latency.",
//                                           {{"route", "/v1/orders"}}, LatencyBuckets());
//   ...                                   // per request, lock-free:
//   created->Inc();
//   latency->Observe(0.0042);
//   ...                                   // on GET /metrics:
//   std::string text = registry.Render();
//
// Thread-safety: Counter, Gauge and Histogram operations are lock-free (relaxed atomics)
// and may be called from any thread. A reader may see a histogram's _sum a moment ahead
// of or behind its buckets; each value on its own is exact. Registry methods are
// thread-safe; they take a mutex, so callers look a series up once and keep the pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include <mutex>

namespace disthub {

// Label name/value pairs. Order does not matter: {a,b} and {b,a} name the same series.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets. Observe() costs a binary search over the
// bounds and three relaxed atomic adds.
class Histogram {
 public:
  // REQUIRES: `upper_bounds` finite and strictly increasing (a trailing +Inf is
  // dropped; the +Inf bucket always exists).
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `v` in the first bucket whose upper bound is >= v (Prometheus `le`). NaN is
  // ignored so that one bad value cannot poison _sum.
  void Observe(double v);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Observations in bucket i alone (not cumulative); i == upper_bounds().size() is +Inf.
  uint64_t BucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> upper_bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // upper_bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds: 0.0001, 0.00025, 0.0005, 0.001, ... 2.5, 5, 10.
std::vector<double> LatencyBuckets();
// Size buckets: 1, 2, 4, ... 4096.
std::vector<double> SizeBuckets();

// Owns metric families and their series. Every returned pointer stays valid, at the same
// address, for the life of the Registry. Not copyable or movable.
//
// Programming errors abort the process with a message (STYLE.md habit 4): an invalid
// metric or label name, a repeated label name, the same name used for two metric types,
// a histogram re-requested with other buckets, or a label named "le" on a histogram.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Create-or-get: the first call for a (name, labels) creates the series; later calls
  // return the same pointer. `help` is taken from the first call for the family.
  ::disthub::Counter* Counter(std::string_view name, std::string_view help,
                              const Labels& labels = {});
  ::disthub::Gauge* Gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  ::disthub::Histogram* Histogram(std::string_view name, std::string_view help,
                                  const Labels& labels, const std::vector<double>& buckets);

  // A gauge whose value is `fn()` at render time, rendered in the same family as Gauge()
  // series of that name. Registering the same (name, labels) again replaces the function.
  // REQUIRES: `fn` is cheap, thread-safe, outlives its registration, and does not call
  // this Registry (Render() calls it with the registry's mutex held).
  void GaugeFn(std::string_view name, std::string_view help, const Labels& labels,
               std::function<double()> fn);

  // Prometheus text format 0.0.4 (Content-Type "text/plain; version=0.0.4"). Families
  // sorted by name, each with one # HELP and # TYPE; series sorted by their labels, whose
  // names appear sorted too.
  std::string Render() const;

  // The sum (or with `max`, the largest) over the series of family `name` whose labels
  // include every one of `labels` (counters and gauges their value, histograms their
  // count of observations); nullopt when no such family exists (0 when no series
  // matches). For threshold alerts; same locking as Render().
  std::optional<double> Sum(std::string_view name, const Labels& labels = {},
                            bool max = false) const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    std::unique_ptr<::disthub::Counter> counter;
    std::unique_ptr<::disthub::Gauge> gauge;
    std::function<double()> gauge_fn;  // set instead of `gauge` for GaugeFn series
    std::unique_ptr<::disthub::Histogram> histogram;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> buckets;      // histograms only
    std::map<Labels, Series> series;  // key: labels sorted by name
  };

  // Finds or creates the family and the series slot. REQUIRES: mu_ held.
  Series& Slot(std::string_view name, std::string_view help, Type type, const Labels& labels,
               const std::vector<double>* buckets) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable std::mutex mu_;  // not absl::Mutex: Debian's abseil is invisible to ThreadSanitizer
  std::map<std::string, Family, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace disthub
