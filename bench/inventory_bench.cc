// disthub-inventory-bench: inventory reservations per second under contention, in one run
// on the same disk, beside the machine's ceiling:
//
//   1. memory   the Ledger alone on one thread (in the hub it runs on the writer thread):
//               reservations of new order lines and releases of earlier ones against
//               --skus SKUs x 3 locations, --hot-skus of them taking --hot-share of the
//               reservations, the scenario's channel rules, and what was taken replenished
//               by warehouse deltas (ApplyUpdate) every 2,000 commands. Every command is
//               timed with steady_clock (vDSO, ~20 ns).
//   2. durable  InventoryService through the single writer (CommitQueue) on SQLite, WAL,
//               synchronous=full: the same traffic from --threads closed-loop submitters
//               keeping --outstanding commands in flight, each resubmitting once its
//               command is answered (after its batch committed durably); a warehouse
//               thread sends the deltas every 2,000 answers, in one call (one transaction).
//               The availability feeds of examples/harbor.yaml run as in the hub
//               (--no-feeds: none). Latency: from submit to that answer. The store is
//               wrapped to split each transaction into the commands' Apply and the commit.
//   3. ceiling  SQLite alone writing, per command, the rows the service writes (position
//               upsert, reservation row, event with the payloads the durable run wrote),
//               same schema and pragmas, the same share of releases, in batches of
//               --outstanding: the largest batch the commit queue can form from that many.
//
//   disthub-inventory-bench [--seconds 10] [--outstanding 256] [--skus 2000] [--json out.json]
#include <malloc.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/base/thread_annotations.h"
#include "base/clock.h"
#include "base/thread_name.h"
#include "boost/json.hpp"
#include "fmt/core.h"
#include "inventory/ledger.h"
#include "inventory/service.h"
#include "observe/metrics.h"
#include "sqlite_ceiling.h"
#include "store/commit_queue.h"
#include "store/forwarding_store.h"
#include "store/packed_text.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

namespace json = boost::json;
using inventory::ChannelRule;
using inventory::InventoryService;
using inventory::Ledger;
using inventory::Outcome;
using inventory::Reservation;
using inventory::ReserveRequest;
using inventory::Result;
using inventory::StockUpdate;
using Steady = std::chrono::steady_clock;

constexpr std::array<std::string_view, 3> kLocations = {"wh-east", "wh-west", "3pl-central"};

// The traffic's shape.
struct Shape {
  int skus = 2000;              // SKUs, each stocked at every location
  int hot_skus = 20;            // SKUs taking `hot_share` of the reservations (0: none)
  double hot_share = 0.8;       // share of the reservations for the hot SKUs
  double release_share = 0.25;  // share of the commands releasing a line reserved earlier
  int64_t hot_stock = 100;      // units per location of a hot SKU at the start (ATP back to
                                // it at each replenishment)
  int64_t cold_stock = 20;      // other SKUs start with 0 to this many units per location
  int64_t safety_stock = 2;     // per position
};

// The warehouses receive what was taken (net of releases) once every this many commands,
// in both runs, so stock runs short between receipts the same way in both.
constexpr int64_t kReplenishEvery = 2000;

// The reference scenario's allocation rules (../shared/SCENARIO.md).
std::vector<ChannelRule> ScenarioRules() {
  return {{.channel = "marketplace-a", .share_percent = 80, .holdback = 5},
          {.channel = "marketplace-b", .share_percent = 60},
          {.channel = "dtc-web", .excluded_locations = {"3pl-central"}}};
}

// Who reserves what: the channel's share of the reservations, its line quantities
// (`unit` x min..max) and whether a line may be split across locations.
struct ChannelMix {
  std::string_view channel;
  double weight;
  int64_t min, max, unit;
  bool split;
};
constexpr ChannelMix kMix[] = {
    {"b2b-portal", 0.30, 1, 10, 1, true},     // ship-partial allowed
    {"dtc-web", 0.30, 1, 3, 1, false},        // ship-complete
    {"marketplace-a", 0.20, 1, 2, 1, false},  // 80% of ATP, never the last 5
    {"marketplace-b", 0.10, 1, 2, 1, false},  // 60% of ATP
    {"edi-retail", 0.10, 1, 2, 12, true},     // cases of 12
};

// The availability feeds of examples/harbor.yaml.
std::vector<inventory::FeedOptions> HarborFeeds() {
  return {{.channel = "dtc-web", .per_minute = 120, .burst = 2},
          {.channel = "marketplace-a", .per_minute = 60, .burst = 5},
          {.channel = "marketplace-b", .per_minute = 10}};
}

std::vector<std::string> Channels() {
  std::vector<std::string> out;
  for (const ChannelMix& m : kMix) out.emplace_back(m.channel);
  return out;
}

// splitmix64: cheap enough not to show in the in-memory figures.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

std::string SkuName(int i) { return fmt::format("HS-{}", 10001 + i); }
int SkuIndex(std::string_view sku) {
  int n = 0;
  std::from_chars(sku.data() + 3, sku.data() + sku.size(), n);
  return n - 10001;
}
int PositionIndex(std::string_view sku, std::string_view location) {
  int l = 0;
  while (kLocations[static_cast<size_t>(l)] != location) ++l;
  return SkuIndex(sku) * static_cast<int>(kLocations.size()) + l;
}

int PickSku(const Shape& shape, Rng& rng) {
  if (shape.hot_skus == 0) return static_cast<int>(rng.Below(static_cast<uint64_t>(shape.skus)));
  if (rng.Unit() < shape.hot_share) {
    return static_cast<int>(rng.Below(static_cast<uint64_t>(shape.hot_skus)));
  }
  return shape.hot_skus +
         static_cast<int>(rng.Below(static_cast<uint64_t>(shape.skus - shape.hot_skus)));
}

// The warehouses' first snapshot: every position with its on hand and safety stock.
std::vector<StockUpdate> InitialStock(const Shape& shape, uint64_t seed) {
  Rng rng(seed ^ 0x5eed);
  std::vector<StockUpdate> out;
  for (int s = 0; s < shape.skus; ++s) {
    for (std::string_view l : kLocations) {
      int64_t units =
          s < shape.hot_skus
              ? shape.hot_stock
              : static_cast<int64_t>(rng.Below(static_cast<uint64_t>(shape.cold_stock) + 1));
      out.push_back(StockUpdate{.sku = SkuName(s),
                                .location = std::string(l),
                                .on_hand = units,
                                .safety_stock = shape.safety_stock,
                                .sequence = 1});
    }
  }
  return out;
}

// One submitter's commands: reservations of new order lines and releases of lines it
// reserved earlier. Not thread-safe: one per thread.
class Traffic {
 public:
  struct Command {
    bool release = false;
    uint64_t n = 0;          // the line's number in this stream
    ReserveRequest request;  // for a release, only order_id and line
  };

  // `tag` tells this stream's order ids from other streams'.
  Traffic(const Shape& shape, uint64_t seed, char tag) : shape_(shape), rng_(seed), tag_(tag) {}

  Command Next() {
    Command c;
    if (!held_.empty() && rng_.Unit() < shape_.release_share) {
      size_t i = rng_.Below(held_.size());
      c.release = true;
      c.n = held_[i];
      held_[i] = held_.back();
      held_.pop_back();
      c.request.order_id = OrderId(c.n);
      c.request.line = Line(c.n);
      return c;
    }
    c.n = next_++;
    const ChannelMix* mix = &kMix[0];
    double w = rng_.Unit();
    for (const ChannelMix& m : kMix) {
      mix = &m;
      if ((w -= m.weight) < 0) break;
    }
    c.request = ReserveRequest{
        .order_id = OrderId(c.n),
        .line = Line(c.n),
        .sku = SkuName(PickSku(shape_, rng_)),
        .channel = std::string(mix->channel),
        .quantity = mix->unit * (mix->min + static_cast<int64_t>(rng_.Below(
                                                static_cast<uint64_t>(mix->max - mix->min + 1)))),
        .allow_split = mix->split};
    return c;
  }

  // What a command did: a line now held may be released later.
  void Observe(bool release, uint64_t n, const Result& r) {
    if (!release && r.outcome == Outcome::kApplied) held_.push_back(n);
  }

 private:
  // Three lines per order. Ids as long as IdGenerator's ("ord_" + 26 characters).
  static int Line(uint64_t n) { return static_cast<int>(n % 3) + 1; }
  std::string OrderId(uint64_t n) const {
    std::string id = "ord_01JDQ3Z7R8?000000000000000";
    id[14] = tag_;
    for (size_t i = id.size(), order = n / 3; order > 0 && i > 15; order /= 10) {
      id[--i] = static_cast<char>('0' + order % 10);
    }
    return id;
  }

  const Shape& shape_;
  Rng rng_;
  const char tag_;
  uint64_t next_ = 0;
  std::vector<uint64_t> held_;  // lines reserved and not released
};

// Calls fn(position index, units) for the units an applied command took (+) or gave back (-).
template <typename Fn>
void ForEachTaken(bool release, const Result& r, Fn fn) {
  if (r.outcome != Outcome::kApplied) return;
  for (const Reservation& x : r.reservations) {
    fn(PositionIndex(x.sku, x.location), release ? -(x.quantity - x.consumed) : x.quantity);
  }
}

struct Latency {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};

Latency Summarize(std::vector<double>& v) {
  if (v.empty()) return {};
  auto at = [&v](double p) {
    size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
  };
  return {.p50 = at(0.5),
          .p99 = at(0.99),
          .p999 = at(0.999),
          .max = *std::max_element(v.begin(), v.end())};
}

json::object ToJson(const Latency& l) {
  return {{"p50", l.p50}, {"p99", l.p99}, {"p999", l.p999}, {"max", l.max}};
}

// CPU time the process has used so far, all threads, user and system.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The peak resident memory is reset to the current one (Linux: clear_refs 5), so each
// phase reports its own peak.
void ResetPeakRss() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}
double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

// Counts of one phase's commands.
struct Counts {
  int64_t reserves = 0, releases = 0, updates = 0;
  int64_t applied = 0, unchanged = 0, refused = 0;  // of the reservations
  int64_t errors = 0;                               // the store failed (durable only)

  void Add(bool release, Outcome o) {
    if (release) {
      ++releases;
      return;
    }
    ++reserves;
    (o == Outcome::kApplied ? applied : o == Outcome::kRefused ? refused : unchanged)++;
  }
  void Add(const Counts& o) {
    reserves += o.reserves, releases += o.releases, updates += o.updates;
    applied += o.applied, unchanged += o.unchanged, refused += o.refused, errors += o.errors;
  }
  json::object ToJson() const {
    return {{"reserves", reserves}, {"releases", releases},   {"stock_updates", updates},
            {"applied", applied},   {"unchanged", unchanged}, {"refused", refused},
            {"errors", errors}};
  }
};

// --- 1. In memory --------------------------------------------------------------------------

struct MemoryResult {
  Counts counts;
  double seconds = 0;
  double ledger_seconds = 0;  // of which inside the Ledger (the rest: making the commands)
  Latency latency_us;         // per reserve or release command
  int64_t slow_commands = 0;  // commands that took over 1 ms
  size_t reservations = 0;    // reservation lines the ledger holds at the end
  double peak_rss_mib = 0;
};

MemoryResult RunMemory(const Shape& shape, double seconds, uint64_t seed) {
  ResetPeakRss();
  MemoryResult out;
  {
    Ledger ledger;
    ledger.SetChannelRules(ScenarioRules());
    for (const StockUpdate& u : InitialStock(shape, seed)) {
      if (ledger.ApplyUpdate(u).outcome != Outcome::kApplied) std::exit(1);
    }
    Traffic traffic(shape, seed, 'M');
    const size_t positions = static_cast<size_t>(shape.skus) * kLocations.size();
    std::vector<int64_t> taken(positions, 0);  // units taken since the last replenishment
    std::vector<int> dirty;
    std::vector<char> is_dirty(positions, 0);
    int64_t sequence = 1;
    std::vector<double> lat;  // every reserve and release, µs
    lat.reserve(1 << 22);
    Steady::duration in_ledger{};  // time inside the Ledger's calls, deltas included

    const auto start = Steady::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    uint64_t n = 0;
    auto now = start;
    while (now < deadline) {
      for (int k = 0; k < 1024; ++k, ++n) {
        Traffic::Command c = traffic.Next();
        const Steady::time_point t0 = Steady::now();
        Result r = c.release ? ledger.Release(c.request.order_id, c.request.line)
                             : ledger.Reserve(c.request);
        const Steady::duration took = Steady::now() - t0;
        in_ledger += took;
        lat.push_back(std::chrono::duration<double, std::micro>(took).count());
        if (took > std::chrono::milliseconds(1)) ++out.slow_commands;
        out.counts.Add(c.release, r.outcome);
        traffic.Observe(c.release, c.n, r);
        ForEachTaken(c.release, r, [&](int pos, int64_t units) {
          taken[static_cast<size_t>(pos)] += units;
          if (!is_dirty[static_cast<size_t>(pos)]) {
            is_dirty[static_cast<size_t>(pos)] = 1;
            dirty.push_back(pos);
          }
        });
        if (static_cast<int64_t>(n + 1) % kReplenishEvery == 0) {
          // The warehouses receive what was taken.
          const Steady::time_point t1 = Steady::now();
          for (int pos : dirty) {
            is_dirty[static_cast<size_t>(pos)] = 0;
            int64_t& units = taken[static_cast<size_t>(pos)];
            if (units <= 0) continue;
            ledger.ApplyUpdate(StockUpdate{
                .sku = SkuName(pos / static_cast<int>(kLocations.size())),
                .location = std::string(kLocations[static_cast<size_t>(pos) % kLocations.size()]),
                .delta = units,
                .sequence = ++sequence});
            ++out.counts.updates;
            units = 0;
          }
          dirty.clear();
          in_ledger += Steady::now() - t1;
        }
      }
      now = Steady::now();
    }
    out.seconds = std::chrono::duration<double>(now - start).count();
    out.ledger_seconds = std::chrono::duration<double>(in_ledger).count();
    out.latency_us = Summarize(lat);
    out.reservations = ledger.reservation_count();
    if (absl::Status s = ledger.CheckInvariants(); !s.ok()) {
      fmt::print(stderr, "inventory-bench: ledger invariant broken: {}\n", s.ToString());
      std::exit(1);
    }
    out.peak_rss_mib = PeakRssMiB();
  }
  return out;
}

// --- 2. Durable ----------------------------------------------------------------------------

// What the submitters took from stock, for the warehouse thread to replenish.
struct Taken {
  explicit Taken(size_t positions) : units(positions) {}
  std::vector<std::atomic<int64_t>> units;  // per position, net, since the last replenishment
  std::atomic<int64_t> answers{0};          // commands answered so far
};

// The measured window: answers in [start, stop) count; nothing is submitted after stop.
struct Window {
  Steady::time_point start, stop;
  bool Contains(Steady::time_point t) const { return t >= start && t < stop; }
};

// A closed-loop client of the service: keeps `slots` commands in flight, each resubmitted
// on this thread once the previous one is answered. Run() returns once the window closed
// and every command it submitted was answered.
class Submitter {
 public:
  Submitter(InventoryService* service, const Shape& shape, uint64_t seed, char tag, int slots,
            Window window, Taken* taken)
      : service_(service),
        traffic_(shape, seed, tag),
        slots_(slots),
        window_(window),
        taken_(taken) {}

  void Run() {
    for (int i = 0; i < slots_; ++i) Submit();
    int outstanding = slots_;
    std::vector<Answer> got;
    while (outstanding > 0) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return !answers_.empty(); });
        got.swap(answers_);
      }
      for (Answer& a : got) {
        --outstanding;
        Record(a);
        if (a.answered < window_.stop) {
          Submit();
          ++outstanding;
        }
      }
      got.clear();
    }
  }

  const Counts& counts() const { return counts_; }
  std::vector<double>& latency_us() { return latency_us_; }

 private:
  struct Answer {
    bool release;
    uint64_t n;
    Steady::time_point submitted, answered;
    absl::StatusOr<Result> result;
  };

  void Submit() {
    Traffic::Command c = traffic_.Next();
    const Steady::time_point submitted = Steady::now();
    // On the writer thread, after the batch committed: hand the answer back, quickly.
    auto done = [this, release = c.release, n = c.n, submitted](absl::StatusOr<Result> r) {
      const Steady::time_point answered = Steady::now();
      std::lock_guard<std::mutex> lock(mu_);
      const bool was_empty = answers_.empty();
      answers_.push_back({release, n, submitted, answered, std::move(r)});
      if (was_empty) ready_.notify_one();  // under the lock: Run() may return right after
    };
    std::string cause = c.request.order_id;
    if (c.release) {
      service_->Release(std::move(c.request.order_id), c.request.line, "", std::move(cause),
                        std::move(done));
    } else {
      service_->Reserve(std::move(c.request), std::move(cause), std::move(done));
    }
  }

  void Record(const Answer& a) {
    taken_->answers.fetch_add(1, std::memory_order_relaxed);
    const bool counted = window_.Contains(a.answered);
    if (!a.result.ok()) {
      if (counted) ++counts_.errors;
      if (!reported_error_) {
        fmt::print(stderr, "inventory-bench: command failed: {}\n", a.result.status().ToString());
        reported_error_ = true;
      }
      return;
    }
    traffic_.Observe(a.release, a.n, *a.result);
    ForEachTaken(a.release, *a.result, [this](int pos, int64_t units) {
      taken_->units[static_cast<size_t>(pos)].fetch_add(units, std::memory_order_relaxed);
    });
    if (!counted) return;
    counts_.Add(a.release, a.result->outcome);
    latency_us_.push_back(
        std::chrono::duration<double, std::micro>(a.answered - a.submitted).count());
  }

  InventoryService* const service_;
  Traffic traffic_;
  const int slots_;
  const Window window_;
  Taken* const taken_;
  Counts counts_;
  bool reported_error_ = false;
  std::vector<double> latency_us_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::vector<Answer> answers_ ABSL_GUARDED_BY(mu_);
};

// Applies `items` in one call and waits until they are durable.
void ApplyAndWait(InventoryService& service, std::vector<inventory::UpdateItem> items) {
  std::promise<absl::Status> p;
  service.ApplyUpdates(
      "wms-bench", std::move(items),
      [&p](absl::StatusOr<std::vector<inventory::UpdateOutcome>> r) { p.set_value(r.status()); });
  if (absl::Status s = p.get_future().get(); !s.ok()) {
    fmt::print(stderr, "inventory-bench: stock update failed: {}\n", s.ToString());
    std::exit(1);
  }
}

// The calling thread's CPU time so far.
Steady::duration ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Splits each write transaction while `measuring`: the time in the batch's commands (their
// Apply, savepoints included) and the rest (BEGIN, COMMIT with its WAL write; the fsync runs after,
// on the commit queue's flush thread), with the writer thread's CPU time in that rest.
class TimingStore final : public ForwardingStore {
 public:
  TimingStore(Store* inner, const std::atomic<bool>* measuring)
      : ForwardingStore(inner), measuring_(measuring) {}

  absl::Status WriteUnsynced(absl::FunctionRef<absl::Status(WriteTxn&)> fn) override {
    const Steady::time_point t0 = Steady::now();
    const Steady::duration cpu0 = ThreadCpu();
    Steady::duration apply{}, apply_cpu{};
    absl::Status s = ForwardingStore::WriteUnsynced([&](WriteTxn& txn) {
      const Steady::time_point t1 = Steady::now();
      const Steady::duration cpu1 = ThreadCpu();
      absl::Status r = fn(txn);
      apply = Steady::now() - t1;
      apply_cpu = ThreadCpu() - cpu1;
      return r;
    });
    if (measuring_->load(std::memory_order_relaxed)) {
      ++transactions;
      in_apply += apply;
      in_apply_cpu += apply_cpu;
      in_commit += Steady::now() - t0 - apply;
      commit_cpu += ThreadCpu() - cpu0 - apply_cpu;
    }
    return s;
  }

  // Writer thread only; read once the queue is closed.
  int64_t transactions = 0;
  Steady::duration in_apply{}, in_apply_cpu{}, in_commit{}, commit_cpu{};

 private:
  const std::atomic<bool>* const measuring_;
};

struct DurableResult {
  Counts counts;
  double seconds = 0;
  Latency latency_us;  // submit to answer, reserve and release commands
  int64_t batches = 0;
  double mean_batch = 0;          // operations per transaction
  double apply_ms = 0;            // per batch: its commands' Apply (ledger, rows, events)
  double apply_cpu_ms = 0;        // of which the writer thread's CPU time
  double commit_ms = 0;           // per batch: the rest (BEGIN, COMMIT: WAL write)
  double commit_cpu_ms = 0;       // of which the writer thread's CPU time
  double writer_busy = 0;         // share of the window the writer spent in transactions
  double cpu_us_per_command = 0;  // the process's CPU time (all threads) per command answered
  double peak_rss_mib = 0;
  std::vector<std::string> payloads;  // reserved and released payloads the run wrote (a sample)
};

DurableResult RunDurable(const std::string& dir, const Shape& shape, double seconds, double warmup,
                         int outstanding, int threads, bool feeds, uint64_t seed) {
  ResetPeakRss();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/inventory.db";
  auto sqlite = OpenSqliteStore({.path = path, .synchronous = "full"});
  if (!sqlite.ok()) {
    fmt::print(stderr, "inventory-bench: {}\n", sqlite.status().ToString());
    std::exit(1);
  }
  Window window;
  std::atomic<bool> measuring{false};
  TimingStore store(sqlite->get(), &measuring);
  int64_t batched_ops = 0;  // writer thread; read after the queue closed
  DurableResult out;
  {
    CommitQueue queue(&store, {.on_batch = [&](int n, absl::Duration, bool) {
      if (measuring.load(std::memory_order_relaxed)) batched_ops += n;
    }});
    Registry metrics;
    InventoryService service(
        &store, &queue, Clock::Real(), &metrics,
        {.rules = ScenarioRules(),
         .channels = Channels(),
         .feeds = feeds ? HarborFeeds() : std::vector<inventory::FeedOptions>{}});
    if (absl::Status s = service.Load(); !s.ok()) {
      fmt::print(stderr, "inventory-bench: {}\n", s.ToString());
      std::exit(1);
    }
    {
      std::vector<inventory::UpdateItem> items;
      for (StockUpdate& u : InitialStock(shape, seed)) {
        items.push_back({.message_id = fmt::format("snap-{}-{}", u.sku, u.location),
                         .kind = "snapshot",
                         .update = std::move(u)});
        if (items.size() == 1000) ApplyAndWait(service, std::exchange(items, {}));
      }
      if (!items.empty()) ApplyAndWait(service, std::move(items));
    }
    service.Start();

    const size_t positions = static_cast<size_t>(shape.skus) * kLocations.size();
    Taken taken(positions);
    const auto t0 = Steady::now();
    window.start =
        t0 + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(warmup));
    window.stop = window.start + std::chrono::duration_cast<Steady::duration>(
                                     std::chrono::duration<double>(seconds));
    std::vector<std::unique_ptr<Submitter>> submitters;
    for (int t = 0; t < threads; ++t) {
      int slots = outstanding / threads + (t < outstanding % threads ? 1 : 0);
      submitters.push_back(std::make_unique<Submitter>(
          &service, shape, seed + 1 + t, static_cast<char>('A' + t), slots, window, &taken));
    }
    std::vector<std::thread> running;
    for (size_t t = 0; t < submitters.size(); ++t) {
      running.emplace_back([&submitters, t] {
        NameThisThread(fmt::format("bench-submit-{}", t));
        submitters[t]->Run();
      });
    }
    // The warehouses: every kReplenishEvery answers, one call of deltas for what was taken.
    std::atomic<int64_t> updates{0};
    std::thread warehouse([&] {
      NameThisThread("bench-wms");
      int64_t sequence = 1, next = kReplenishEvery;
      while (Steady::now() < window.stop) {
        const int64_t answers = taken.answers.load(std::memory_order_relaxed);
        if (answers < next) {
          std::this_thread::sleep_for(std::chrono::microseconds(500));
          continue;
        }
        next = answers + kReplenishEvery;
        std::vector<inventory::UpdateItem> items;
        for (size_t pos = 0; pos < positions; ++pos) {
          int64_t units = taken.units[pos].exchange(0, std::memory_order_relaxed);
          if (units < 0) taken.units[pos].fetch_add(units, std::memory_order_relaxed);  // kept
          if (units <= 0) continue;
          ++sequence;
          items.push_back({.message_id = fmt::format("rcv-{}", sequence),
                           .kind = "adjustment",
                           .update = {.sku = SkuName(static_cast<int>(pos / kLocations.size())),
                                      .location = std::string(kLocations[pos % kLocations.size()]),
                                      .delta = units,
                                      .sequence = sequence}});
        }
        if (items.empty()) continue;
        const int64_t n = static_cast<int64_t>(items.size());
        ApplyAndWait(service, std::move(items));
        if (window.Contains(Steady::now())) updates += n;
      }
    });
    std::this_thread::sleep_until(window.start);
    measuring = true;
    const double cpu0 = ProcessCpuSeconds();
    std::this_thread::sleep_until(window.stop);
    measuring = false;
    const double cpu1 = ProcessCpuSeconds();
    for (std::thread& t : running) t.join();
    warehouse.join();
    service.Stop();
    queue.Close();

    std::vector<double> latency;
    for (auto& s : submitters) {
      out.counts.Add(s->counts());
      latency.insert(latency.end(), s->latency_us().begin(), s->latency_us().end());
    }
    out.latency_us = Summarize(latency);
    out.counts.updates = updates;
    out.seconds = seconds;
    const int64_t commands = out.counts.reserves + out.counts.releases;
    const int64_t batches = store.transactions;
    auto per_batch_ms = [batches](Steady::duration d) {
      return batches > 0 ? std::chrono::duration<double, std::milli>(d).count() /
                               static_cast<double>(batches)
                         : 0;
    };
    out.batches = batches;
    out.mean_batch =
        batches > 0 ? static_cast<double>(batched_ops) / static_cast<double>(batches) : 0;
    out.apply_ms = per_batch_ms(store.in_apply);
    out.apply_cpu_ms = per_batch_ms(store.in_apply_cpu);
    out.commit_ms = per_batch_ms(store.in_commit);
    out.commit_cpu_ms = per_batch_ms(store.commit_cpu);
    out.writer_busy =
        std::chrono::duration<double>(store.in_apply + store.in_commit).count() / seconds;
    out.cpu_us_per_command = commands > 0 ? 1e6 * (cpu1 - cpu0) / static_cast<double>(commands) : 0;
    out.peak_rss_mib = PeakRssMiB();
  }
  // What the service wrote per reservation, for the ceiling to write the same.
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(
        db,
        "SELECT payload FROM events WHERE type IN ('inventory.reserved', 'inventory.released') "
        "ORDER BY seq DESC LIMIT 4096",
        -1, &s, nullptr);
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      std::string stored(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                         static_cast<size_t>(sqlite3_column_bytes(s, 0)));
      if (sqlite3_column_type(s, 0) != SQLITE_BLOB) {
        out.payloads.push_back(std::move(stored));
      } else if (absl::StatusOr<std::string> text = UnpackText(stored); text.ok()) {
        out.payloads.push_back(*std::move(text));  // the ceiling packs it again, as the store did
      }
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  sqlite->reset();
  std::filesystem::remove_all(dir);
  return out;
}

// "1,234,567"

struct SyncLagResult {
  int64_t updates = 0;   // warehouse deltas sent
  int64_t messages = 0;  // availability messages enqueued
  int64_t samples = 0;   // SKU changes measured
  Latency lag_ms;        // update sent → its channel message in the outbox
};

// Sync lag: warehouse deltas arrive at `rate` a second, each raising one SKU's stock (so each
// changes what the channel may sell); the channel's feed takes `per_minute` messages. For every
// SKU in every availability message, the lag from the first delta it carries being sent to the
// message being committed to the outbox (the event's recorded time: same clock).
SyncLagResult RunSyncLag(const std::string& dir, double seconds, double rate, double per_minute) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto sqlite = OpenSqliteStore({.path = dir + "/lag.db", .synchronous = "full"});
  if (!sqlite.ok()) {
    fmt::print(stderr, "inventory-bench: {}\n", sqlite.status().ToString());
    std::exit(1);
  }
  Store* store = sqlite->get();
  CommitQueue queue(store, {});
  Registry metrics;
  InventoryService service(
      store, &queue, Clock::Real(), &metrics,
      inventory::InventoryOptions{
          .channels = {"feed-bench"},
          .feeds = {
              {.channel = "feed-bench", .per_minute = per_minute, .burst = 1, .max_items = 1000}}});
  if (absl::Status st = service.Load(); !st.ok()) std::exit(1);
  service.Start();
  constexpr int kSkus = 500;
  std::vector<inventory::UpdateItem> start;
  for (int i = 0; i < kSkus; ++i) {
    start.push_back(
        {.message_id = fmt::format("start-{}", i),
         .kind = "snapshot",
         .update = {.sku = SkuName(i), .location = "wh-east", .on_hand = 100, .sequence = 1}});
  }
  ApplyAndWait(service, std::move(start));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the first push goes out
  const int64_t first_seq = store->LastEventSeq().value_or(0);

  // Sent times per SKU, in order.
  std::vector<std::vector<absl::Time>> sent(kSkus);
  std::vector<int64_t> seq(kSkus, 1);
  Rng rng(7);
  SyncLagResult out;
  const auto tick = std::chrono::milliseconds(10);
  const int per_tick = std::max(1, static_cast<int>(rate / 100));
  const Steady::time_point end = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                                     std::chrono::duration<double>(seconds));
  std::atomic<int> waiting{0};
  for (Steady::time_point next = Steady::now(); next < end; next += tick) {
    std::this_thread::sleep_until(next);
    std::vector<inventory::UpdateItem> batch;
    const absl::Time now = absl::Now();
    for (int k = 0; k < per_tick; ++k) {
      int i = static_cast<int>(rng.Below(kSkus));
      sent[static_cast<size_t>(i)].push_back(now);
      batch.push_back({.message_id = fmt::format("d-{}-{}", i, seq[static_cast<size_t>(i)]),
                       .kind = "adjustment",
                       .update = {.sku = SkuName(i),
                                  .location = "wh-east",
                                  .delta = 1,
                                  .sequence = ++seq[static_cast<size_t>(i)]}});
      ++out.updates;
    }
    ++waiting;
    service.ApplyUpdates(
        "wms-bench", std::move(batch),
        [&waiting](absl::StatusOr<std::vector<inventory::UpdateOutcome>>) { --waiting; });
  }
  while (waiting > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Let the last changes go out (one quota interval and a tick).
  std::this_thread::sleep_for(std::chrono::milliseconds(300) +
                              std::chrono::milliseconds(static_cast<int>(60'000 / per_minute)));
  service.Stop();
  queue.Close();

  std::vector<size_t> covered(kSkus, 0);  // sent[i][0..covered) are in a message already
  std::vector<double> lags;
  for (int64_t after = first_seq;;) {
    auto page = store->ListEvents(after, 1000);
    if (!page.ok() || page->empty()) break;
    for (const EventRecord& e : *page) {
      after = e.seq;
      if (e.type != "inventory.availability.feed-bench") continue;
      ++out.messages;
      const json::value payload = json::parse(e.payload);
      for (const json::value& item : payload.at("items").as_array()) {
        const size_t i = static_cast<size_t>(SkuIndex(item.at("sku").as_string()));
        if (i >= sent.size() || covered[i] >= sent[i].size()) continue;
        if (sent[i][covered[i]] > e.recorded_at) continue;
        lags.push_back(absl::ToDoubleMilliseconds(e.recorded_at - sent[i][covered[i]]));
        while (covered[i] < sent[i].size() && sent[i][covered[i]] <= e.recorded_at) ++covered[i];
      }
    }
  }
  out.samples = static_cast<int64_t>(lags.size());
  out.lag_ms = Summarize(lags);
  std::filesystem::remove_all(dir);
  return out;
}

std::string Thousands(double v) {
  std::string digits = fmt::format("{:.0f}", v), out;
  const size_t first = digits[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Pct(int64_t part, int64_t whole) {
  return whole > 0 ? fmt::format("{:.1f}%",
                                 100.0 * static_cast<double>(part) / static_cast<double>(whole))
                   : "-";
}

// "0.98 µs", "5.99 ms", "1.20 s"
std::string Time(double us) {
  if (us < 1000) return fmt::format("{:.2f} µs", us);
  if (us < 1e6) return fmt::format("{:.2f} ms", us / 1e3);
  return fmt::format("{:.2f} s", us / 1e6);
}

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  using namespace disthub;
  Shape shape;
  double seconds = 10, memory_seconds = -1, warmup = 1, ceiling_seconds = 5;
  int outstanding = 256, threads = 2;
  uint64_t seed = 1;
  bool feeds = true;
  std::string tmp = "/tmp", json_out;
  CLI::App app{
      "Inventory reservations per second under contention: the Ledger in memory, the "
      "InventoryService durable (SQLite, synchronous=full, group commit through the single "
      "writer) and, on the same disk in the same run, SQLite alone writing the same rows (the "
      "ceiling). Prints a table; --json writes the figures too."};
  app.add_option("--seconds", seconds,
                 "Measured seconds of the durable run (and of the in-memory "
                 "run unless --memory-seconds)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--memory-seconds", memory_seconds,
                 "Measured seconds of the in-memory run (default: --seconds); the ledger keeps "
                 "every line it reserved, so memory grows with this")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "Seconds of durable traffic before the measured window")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ceiling-seconds", ceiling_seconds, "Seconds of the SQLite ceiling run")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option(
         "--outstanding,--connections", outstanding,
         "Durable commands in flight (closed loop); also the ceiling's batch size, up to the "
         "commit queue's largest batch (512). 256: at 20,000 commands/s and 10 ms each, about "
         "what a hub's callers keep open (64 caps a closed loop near 64 / the round trip)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20'000));
  app.add_option("--threads", threads, "Submitting threads sharing --outstanding")
      ->capture_default_str()
      ->check(CLI::Range(1, 26));
  app.add_option("--skus", shape.skus, "SKUs, each stocked at wh-east, wh-west and 3pl-central")
      ->capture_default_str()
      ->check(CLI::Range(2, 1'000'000));
  app.add_option("--hot-skus", shape.hot_skus, "SKUs taking --hot-share of the reservations")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--hot-share", shape.hot_share, "Share of the reservations for the hot SKUs")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--hot-stock", shape.hot_stock,
                 "Units of a hot SKU per location at the start and after each replenishment "
                 "(fewer: more refusals)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--release-share", shape.release_share,
                 "Share of the commands that release a line reserved earlier")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  app.add_flag("--feeds,!--no-feeds", feeds,
               "Durable run: the availability feeds of examples/harbor.yaml (dtc-web, "
               "marketplace-a, marketplace-b), as the hub runs them")
      ->capture_default_str();
  app.add_option("--seed", seed, "Seed of the traffic")->capture_default_str();
  app.add_option("--tmp", tmp, "Folder for the temporary databases (removed at the end)")
      ->capture_default_str()
      ->check(CLI::ExistingDirectory);
  double lag_seconds = 5, lag_rate = 1000, lag_per_minute = 600;
  app.add_option("--lag-seconds", lag_seconds, "Seconds of the sync-lag run (0: skip it)")
      ->capture_default_str();
  app.add_option("--lag-rate", lag_rate, "Warehouse deltas a second in the sync-lag run")
      ->capture_default_str();
  app.add_option("--lag-per-minute", lag_per_minute,
                 "The channel's feed quota in the sync-lag run (messages a minute)")
      ->capture_default_str();
  app.add_option("--json", json_out, "Also write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  if (shape.hot_skus >= shape.skus) {
    fmt::print(stderr, "--hot-skus must be below --skus\n");
    return 2;
  }
  if (threads > outstanding) threads = outstanding;
  if (memory_seconds <= 0) memory_seconds = seconds;

  std::string dir = tmp + "/disthub-inventory-bench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return 1;

  fmt::print(
      "disthub inventory benchmark: {} cores; {} SKUs x {} locations, {} hot SKUs take {:.0f}% "
      "of the reservations; {:.0f}% of the commands release an earlier line; scenario channel "
      "rules; what is taken is replenished by warehouse deltas every {} commands; durable: "
      "availability feeds {}\n\n",
      std::thread::hardware_concurrency(), shape.skus, kLocations.size(), shape.hot_skus,
      100 * shape.hot_share, 100 * shape.release_share, kReplenishEvery,
      feeds ? "on (examples/harbor.yaml)" : "off");
  std::fflush(stdout);

  const MemoryResult mem = RunMemory(shape, memory_seconds, seed);
  const DurableResult dur =
      RunDurable(dir + "/durable", shape, seconds, warmup, outstanding, threads, feeds, seed);
  // The ceiling batches as the commit queue can, and takes positions as often as the traffic.
  const int batch = std::min(outstanding, CommitQueueOptions{}.max_batch);
  std::vector<std::pair<std::string, std::string>> picks;
  {
    Rng rng(seed);
    for (int i = 0; i < 4096; ++i) {
      picks.emplace_back(SkuName(PickSku(shape, rng)),
                         std::string(kLocations[rng.Below(kLocations.size())]));
    }
  }
  std::vector<std::string> payloads = dur.payloads;
  if (payloads.empty()) payloads.emplace_back(400, ' ');
  double avg_payload = 0;
  for (const std::string& p : payloads) avg_payload += static_cast<double>(p.size());
  avg_payload /= static_cast<double>(payloads.size());
  ResetPeakRss();
  const InventoryCeiling ceiling = RawInventoryCeiling(dir + "/ceiling", batch, ceiling_seconds,
                                                       picks, payloads, shape.release_share);
  const double ceiling_rss = PeakRssMiB();
  SyncLagResult lag;
  if (lag_seconds > 0) lag = RunSyncLag(dir + "/lag", lag_seconds, lag_rate, lag_per_minute);
  std::filesystem::remove_all(dir);

  const Counts& m = mem.counts;
  const Counts& d = dur.counts;
  const double mem_rate = static_cast<double>(m.reserves) / mem.seconds;
  const double mem_cmds = static_cast<double>(m.reserves + m.releases) / mem.seconds;
  const double dur_rate = static_cast<double>(d.reserves) / dur.seconds;
  const double dur_cmds = static_cast<double>(d.reserves + d.releases) / dur.seconds;
  const double ratio = dur_cmds / ceiling.commands_per_s;
  fmt::print("{:<36} {:>14} {:>11} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9}\n", "",
             "reservations/s", "commands/s", "applied", "refused", "p50", "p99", "p99.9", "max",
             "peak RSS");
  auto row = [](std::string_view name, double rate, double cmds, const Counts& c, const Latency& us,
                double rss) {
    fmt::print("{:<36} {:>14} {:>11} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>5.0f} MiB\n", name,
               Thousands(rate), Thousands(cmds), Pct(c.applied, c.reserves),
               Pct(c.refused, c.reserves), Time(us.p50), Time(us.p99), Time(us.p999), Time(us.max),
               rss);
  };
  row("in memory (Ledger, 1 thread)", mem_rate, mem_cmds, m, mem.latency_us, mem.peak_rss_mib);
  row(fmt::format("durable ({} in flight, {} thread{})", outstanding, threads,
                  threads > 1 ? "s" : ""),
      dur_rate, dur_cmds, d, dur.latency_us, dur.peak_rss_mib);
  fmt::print("{:<36} {:>14} {:>11} {:>60} {:>5.0f} MiB\n",
             fmt::format("SQLite ceiling (batches of {})", batch),
             Thousands(ceiling.reservations_per_s), Thousands(ceiling.commands_per_s), "",
             ceiling_rss);
  fmt::print(
      "\ndurable / ceiling: {:.0f}% (commands/s; the ceiling writes the same three rows per "
      "command)\n",
      100 * ratio);
  fmt::print(
      "targets: in memory >= 200,000 reservations/s: {}; durable >= 20,000 reservations/s "
      "({} in flight): {}\n",
      mem_rate >= 200'000 ? "met" : "NOT met", outstanding,
      dur_rate >= 20'000 ? "met" : "NOT met");
  fmt::print(
      "\nin memory: {} reservations ({} unchanged) and {} releases in {:.1f} s, {} warehouse "
      "deltas; inside the Ledger {:.0f}% of the time ({} commands/s counting only that time, the "
      "rest is making the commands); {} commands over 1 ms; {} reservation lines held at the end\n",
      Thousands(static_cast<double>(m.reserves)), m.unchanged,
      Thousands(static_cast<double>(m.releases)), mem.seconds,
      Thousands(static_cast<double>(m.updates)), 100 * mem.ledger_seconds / mem.seconds,
      Thousands(static_cast<double>(m.reserves + m.releases) / mem.ledger_seconds),
      mem.slow_commands, Thousands(static_cast<double>(mem.reservations)));
  fmt::print(
      "durable: {} transactions of {:.1f} commands on average, each {:.2f} ms in the commands' "
      "Apply ({:.0f} µs per command: ledger, savepoint, rows, event; {:.0f} µs of it on the "
      "writer's CPU) and {:.2f} ms in BEGIN and COMMIT (WAL write; the fsync overlaps the next "
      "batch; {:.2f} ms of it on "
      "the CPU); the writer in a transaction "
      "{:.0f}% of the time; {:.0f} µs of CPU per command (the process, all threads); {} warehouse "
      "deltas (each a stock update row, a position and an event; not in the ceiling); {} "
      "errors\n",
      Thousands(static_cast<double>(dur.batches)), dur.mean_batch, dur.apply_ms,
      dur.mean_batch > 0 ? 1000 * dur.apply_ms / dur.mean_batch : 0,
      dur.mean_batch > 0 ? 1000 * dur.apply_cpu_ms / dur.mean_batch : 0, dur.commit_ms,
      dur.commit_cpu_ms, 100 * dur.writer_busy, dur.cpu_us_per_command,
      Thousands(static_cast<double>(d.updates)), d.errors);
  fmt::print(
      "ceiling: per command a position upsert, a reservation row (new, or updated for a release) "
      "and an event of {:.0f} bytes (the durable run's own payloads), one transaction per batch, "
      "no per-command savepoint\n",
      avg_payload);

  if (lag_seconds > 0) {
    fmt::print(
        "\nsync lag (warehouse delta sent -> the channel's availability message in the outbox): "
        "p50 {:.1f} ms, p99 {:.1f} ms, p99.9 {:.1f} ms, max {:.1f} ms over {} SKU changes; {} "
        "deltas/s on 500 SKUs, a feed of at most {:.0f} messages a minute ({} sent, changes "
        "coalesced); target p99 < 1 s: {}\n",
        lag.lag_ms.p50, lag.lag_ms.p99, lag.lag_ms.p999, lag.lag_ms.max, lag.samples, lag_rate,
        lag_per_minute, lag.messages, lag.lag_ms.p99 < 1000 ? "met" : "NOT met");
  }

  if (!json_out.empty()) {
    std::ofstream(json_out) << json::serialize(
        json::object{{"shape",
                      {{"skus", shape.skus},
                       {"locations", kLocations.size()},
                       {"hot_skus", shape.hot_skus},
                       {"hot_share", shape.hot_share},
                       {"hot_stock", shape.hot_stock},
                       {"release_share", shape.release_share}}},
                     {"memory",
                      {{"reservations_per_s", mem_rate},
                       {"commands_per_s", mem_cmds},
                       {"seconds", mem.seconds},
                       {"ledger_seconds", mem.ledger_seconds},
                       {"counts", m.ToJson()},
                       {"latency_us", ToJson(mem.latency_us)},
                       {"commands_over_1ms", mem.slow_commands},
                       {"reservation_lines", mem.reservations},
                       {"peak_rss_mib", mem.peak_rss_mib}}},
                     {"durable",
                      {{"reservations_per_s", dur_rate},
                       {"commands_per_s", dur_cmds},
                       {"seconds", dur.seconds},
                       {"outstanding", outstanding},
                       {"threads", threads},
                       {"feeds", feeds},
                       {"counts", d.ToJson()},
                       {"latency_us", ToJson(dur.latency_us)},
                       {"batches", dur.batches},
                       {"mean_batch", dur.mean_batch},
                       {"apply_ms_per_batch", dur.apply_ms},
                       {"apply_cpu_ms_per_batch", dur.apply_cpu_ms},
                       {"commit_ms_per_batch", dur.commit_ms},
                       {"commit_cpu_ms_per_batch", dur.commit_cpu_ms},
                       {"writer_busy", dur.writer_busy},
                       {"cpu_us_per_command", dur.cpu_us_per_command},
                       {"peak_rss_mib", dur.peak_rss_mib}}},
                     {"ceiling",
                      {{"commands_per_s", ceiling.commands_per_s},
                       {"reservations_per_s", ceiling.reservations_per_s},
                       {"batch", batch},
                       {"payload_bytes", avg_payload},
                       {"peak_rss_mib", ceiling_rss}}},
                     {"sync_lag",
                      {{"deltas_per_s", lag_rate},
                       {"feed_per_minute", lag_per_minute},
                       {"messages", lag.messages},
                       {"samples", lag.samples},
                       {"lag_ms", ToJson(lag.lag_ms)}}},
                     {"ratio", ratio}});
  }
  return 0;
}
