#include "observe/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "fmt/format.h"

namespace disthub {
namespace {

// Our own misuse of the API: crash with the reason, in every build type.
[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "observe/metrics: %s\n", why.c_str());
  std::abort();
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Label value escaping: backslash, double quote and newline.
void AppendEscaped(std::string& out, std::string_view s, bool escape_quote) {
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

// Appends `{a="1",b="2"}`, with `extra` (e.g. le="0.5") last; nothing when both are empty.
void AppendLabels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    AppendEscaped(out, value, /*escape_quote=*/true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const Labels& labels, std::string_view value) {
  out += name;
  out += suffix;
  AppendLabels(out, labels);
  out += ' ';
  out += value;
  out += '\n';
}

std::vector<double> ValidBounds(std::vector<double> bounds) {
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Die("histogram bucket bounds must be finite and strictly increasing");
    }
  }
  return bounds;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(ValidBounds(std::move(upper_bounds))),
      buckets_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  const size_t i =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v) - upper_bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) n += BucketCount(i);
  return n;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> SizeBuckets() {
  std::vector<double> b;
  for (double v = 1; v <= 4096; v *= 2) b.push_back(v);
  return b;
}

Registry::Series& Registry::Slot(std::string_view name, std::string_view help, Type type,
                                 const Labels& labels, const std::vector<double>* buckets) {
  if (!IsValidName(name, /*allow_colon=*/true)) Die(fmt::format("invalid metric name '{}'", name));
  Labels key = labels;
  std::sort(key.begin(), key.end());
  for (size_t i = 0; i < key.size(); ++i) {
    if (!IsValidName(key[i].first, /*allow_colon=*/false) || key[i].first.starts_with("__")) {
      Die(fmt::format("{}: invalid label name '{}'", name, key[i].first));
    }
    if (i > 0 && key[i].first == key[i - 1].first) {
      Die(fmt::format("{}: label '{}' given twice", name, key[i].first));
    }
    if (type == Type::kHistogram && key[i].first == "le") {
      Die(fmt::format("{}: histograms reserve the label 'le'", name));
    }
  }

  auto it = families_.find(name);
  if (it == families_.end()) {
    Family f{type, std::string(help), buckets ? ValidBounds(*buckets) : std::vector<double>{}, {}};
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second.type != type) {
    Die(fmt::format("'{}' is already registered as another metric type", name));
  } else if (buckets && ValidBounds(*buckets) != it->second.buckets) {
    Die(fmt::format("histogram '{}' is already registered with other buckets", name));
  }
  return it->second.series[std::move(key)];
}

::disthub::Counter* Registry::Counter(std::string_view name, std::string_view help,
                                      const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = Slot(name, help, Type::kCounter, labels, nullptr);
  if (!s.counter) s.counter = std::make_unique<::disthub::Counter>();
  return s.counter.get();
}

::disthub::Gauge* Registry::Gauge(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = Slot(name, help, Type::kGauge, labels, nullptr);
  if (s.gauge_fn) Die(fmt::format("gauge '{}' series is already a GaugeFn", name));
  if (!s.gauge) s.gauge = std::make_unique<::disthub::Gauge>();
  return s.gauge.get();
}

::disthub::Histogram* Registry::Histogram(std::string_view name, std::string_view help,
                                          const Labels& labels,
                                          const std::vector<double>& buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = Slot(name, help, Type::kHistogram, labels, &buckets);
  if (!s.histogram) s.histogram = std::make_unique<::disthub::Histogram>(buckets);
  return s.histogram.get();
}

void Registry::GaugeFn(std::string_view name, std::string_view help, const Labels& labels,
                       std::function<double()> fn) {
  if (!fn) Die(fmt::format("GaugeFn '{}' given an empty function", name));
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = Slot(name, help, Type::kGauge, labels, nullptr);
  if (s.gauge) Die(fmt::format("gauge '{}' series is already a settable Gauge", name));
  s.gauge_fn = std::move(fn);
}

std::optional<double> Registry::Sum(std::string_view name, const Labels& labels,
                                    bool max) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return std::nullopt;
  double sum = 0;
  for (const auto& [series_labels, s] : it->second.series) {
    const bool matches = std::all_of(labels.begin(), labels.end(), [&](const auto& want) {
      return std::find(series_labels.begin(), series_labels.end(), want) != series_labels.end();
    });
    if (!matches) continue;
    double v = 0;
    switch (it->second.type) {
      case Type::kCounter: v = static_cast<double>(s.counter->Value()); break;
      case Type::kGauge: v = s.gauge ? s.gauge->Value() : s.gauge_fn(); break;
      case Type::kHistogram: v = static_cast<double>(s.histogram->Count()); break;
    }
    sum = max ? std::max(sum, v) : sum + v;
  }
  return sum;
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    static constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};
    out += "# HELP ";
    out += name;
    if (!family.help.empty()) out += ' ';
    AppendEscaped(out, family.help, /*escape_quote=*/false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += kTypeNames[static_cast<int>(family.type)];
    out += '\n';
    std::string value;
    for (const auto& [labels, s] : family.series) {
      value.clear();
      switch (family.type) {
        case Type::kCounter:
          AppendSample(out, name, "", labels, fmt::format_int(s.counter->Value()).str());
          break;
        case Type::kGauge:
          AppendDouble(value, s.gauge ? s.gauge->Value() : s.gauge_fn());
          AppendSample(out, name, "", labels, value);
          break;
        case Type::kHistogram: {
          const ::disthub::Histogram& h = *s.histogram;
          uint64_t cumulative = 0;
          std::string le;
          for (size_t i = 0; i <= family.buckets.size(); ++i) {
            cumulative += h.BucketCount(i);
            le.clear();
            AppendDouble(le, i < family.buckets.size() ? family.buckets[i] : INFINITY);
            out += name;
            out += "_bucket";
            AppendLabels(out, labels, "le", le);
            out += ' ';
            fmt::format_to(std::back_inserter(out), "{}\n", cumulative);
          }
          AppendDouble(value, h.Sum());
          AppendSample(out, name, "_sum", labels, value);
          // _count is the +Inf bucket, so the two always agree within one scrape.
          AppendSample(out, name, "_count", labels, fmt::format_int(cumulative).str());
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace disthub
