// disthub-outbox-bench: the transactional outbox end to end, in one process: events are
// committed through the single writer (SQLite, WAL, synchronous=FULL), the outbox router
// writes one message per event in the same transaction, and the deliverer POSTs each one
// over HTTP keep-alive to the partner simulator, which acknowledges it. Printed beside the
// machine's ceiling from the same run: SQLite alone committing order rows in batches.
//
// Two phases:
//   max    the producer commits as fast as delivery keeps up (at most --window messages
//          committed and not yet acknowledged): messages delivered per second.
//   paced  the producer commits --rate messages per second: delivered per second, and
//          latency from the commit of each message to the partner's acknowledgement.
//
//   build/bench/disthub-outbox-bench [--seconds 10] [--rate 10000] [--concurrency 32]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "base/ids.h"
#include "boost/json.hpp"
#include "events/deliverer.h"
#include "events/outbox.h"
#include "fmt/core.h"
#include "load/order_gen.h"
#include "observe/metrics.h"
#include "sim/partner_sim.h"
#include "spdlog/spdlog.h"
#include "sqlite_ceiling.h"
#include "store/commit_queue.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub {
namespace {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;

// Appends one event per subject in one write; records when they committed.
class AppendOp final : public WriteOp {
 public:
  // `subjects`: one new order id per event, as the hub's intake makes them.
  AppendOp(std::vector<std::string> subjects, const std::vector<std::string>* bodies,
           std::atomic<int64_t>* committed, std::mutex* mu,
           std::map<int64_t, absl::Time>* commit_times)
      : n_(static_cast<int>(subjects.size())),
        subjects_(std::move(subjects)),
        bodies_(bodies),
        committed_(committed),
        mu_(mu),
        commit_times_(commit_times) {}
  absl::Status Apply(WriteTxn& txn) override {
    absl::Time now = absl::Now();
    for (int i = 0; i < n_; ++i) {
      const std::string& body = (*bodies_)[static_cast<size_t>(next_body_++) % bodies_->size()];
      auto seq = txn.AppendEvent({.type = "order.received",
                                  .subject = subjects_[static_cast<size_t>(i)],
                                  .correlation_id = "bench",
                                  .causation_id = "bench",
                                  .occurred_at = now,
                                  .recorded_at = now,
                                  .payload = body});
      if (!seq.ok()) return seq.status();
      last_seq_ = *seq;
    }
    return absl::OkStatus();
  }
  void Done(absl::Status s) override {
    if (!s.ok()) {
      fmt::print(stderr, "outbox-bench: commit failed: {}\n", s.ToString());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(*mu_);
      (*commit_times_)[last_seq_] = absl::Now();  // commit time of seqs up to last_seq_
    }
    committed_->fetch_add(n_);
  }

 private:
  const int n_;
  const std::vector<std::string> subjects_;
  const std::vector<std::string>* bodies_;
  std::atomic<int64_t>* committed_;
  std::mutex* mu_;
  std::map<int64_t, absl::Time>* commit_times_;
  int64_t last_seq_ = 0;
  static inline std::atomic<int64_t> next_body_{0};
};

struct PhaseResult {
  double delivered_per_s = 0;
  double committed_per_s = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  int64_t delivered = 0;
  double cpu_us_per_msg = 0;  // the whole process's CPU time (all threads) per delivered message
};

// CPU time the process has used so far, all threads, user and system.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

PhaseResult RunPhase(const std::string& dir, int concurrency, double seconds, double rate,
                     int64_t window, const std::vector<std::string>& bodies) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  PartnerSimOptions so;
  so.io_threads = 1;
  so.record_headers = {};
  so.record_bodies = false;  // only keys and arrival times are needed here
  auto sim = StartPartnerSim(so);
  if (!sim.ok()) {
    fmt::print(stderr, "outbox-bench: {}\n", sim.status().ToString());
    std::exit(1);
  }
  auto store = OpenSqliteStore({.path = dir + "/disthub.db", .synchronous = "full"});
  if (!store.ok()) {
    fmt::print(stderr, "outbox-bench: {}\n", store.status().ToString());
    std::exit(1);
  }
  SubscriberConfig sub{.name = "erp",
                       .url = (*sim)->url() + "/events",
                       .events = {"order.*"}};
  sub.policy.concurrency = concurrency;
  sub.policy.ordered = false;  // every event has its own subject here anyway
  OutboxRouter router({sub});
  (*store)->SetEventObserver(&router);
  Registry metrics;
  std::atomic<Deliverer*> deliverer{nullptr};
  CommitQueue queue(store->get(),
                    {.on_batch = [&](int, absl::Duration, bool ok) {
                      if (Deliverer* d = deliverer.load(); ok && d != nullptr) d->Wake();
                    }});
  Deliverer dl(store->get(), &queue, &metrics, Clock::Real(),
               {.subscribers = {sub}, .poll_interval = absl::Milliseconds(100)});
  if (!dl.Start().ok()) std::exit(1);
  deliverer = &dl;

  std::atomic<int64_t> committed{0};
  std::mutex mu;
  std::map<int64_t, absl::Time> commit_times;
  constexpr int kBatch = 100;
  IdGenerator ids;
  const auto start = Steady::now();
  const double cpu_start = ProcessCpuSeconds();
  const auto end = start + std::chrono::duration<double>(seconds);
  int64_t submitted = 0;
  while (Steady::now() < end) {
    if (rate > 0) {
      double due = std::chrono::duration<double>(Steady::now() - start).count() * rate;
      if (static_cast<double>(submitted) >= due) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        continue;
      }
    } else if (submitted - (*sim)->Stats().accepted >= window) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    if (queue.pending() > 50) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    std::vector<std::string> subjects;
    subjects.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) subjects.push_back(ids.Next("ord"));
    (void)queue.Submit(
        std::make_unique<AppendOp>(std::move(subjects), &bodies, &committed, &mu, &commit_times));
    submitted += kBatch;
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  const int64_t delivered = (*sim)->Stats().accepted;
  const double cpu = ProcessCpuSeconds() - cpu_start;
  // Let the rest drain (not counted) before stopping.
  for (int i = 0; i < 200 && (*sim)->Stats().accepted < committed.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  deliverer = nullptr;
  dl.Stop();
  queue.Close();

  PhaseResult r{.delivered_per_s = static_cast<double>(delivered) / elapsed,
                .committed_per_s = static_cast<double>(committed.load()) / elapsed,
                .delivered = delivered,
                .cpu_us_per_msg = delivered > 0 ? 1e6 * cpu / static_cast<double>(delivered) : 0};
  std::vector<double> lat;
  uint64_t after = 0;
  while (true) {
    auto page = (*sim)->Messages(after, 20000);
    if (page.empty()) break;
    for (const PartnerMessage& m : page) {
      after = m.seq;
      // "dh-erp-SEQ": the event's seq.
      int64_t seq = std::stoll(m.key.substr(m.key.rfind('-') + 1));
      absl::Time committed_at;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = commit_times.lower_bound(seq);
        if (it == commit_times.end()) continue;
        committed_at = it->second;
      }
      lat.push_back(std::max(0.0, absl::ToDoubleMilliseconds(m.received_at - committed_at)));
    }
  }
  r.p50_ms = Percentile(lat, 0.50);
  r.p99_ms = Percentile(lat, 0.99);
  r.p999_ms = Percentile(lat, 0.999);
  r.max_ms = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  (*sim)->Stop();
  store->reset();
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  using namespace disthub;
  CLI::App app{"The outbox benchmark: events committed and delivered over HTTP keep-alive to a "
               "local partner, beside the raw SQLite group-commit ceiling."};
  double seconds = 10, rate = 10'000;
  int concurrency = 32;
  int64_t window = 20'000;
  app.add_option("--seconds", seconds, "Measured seconds per phase")->capture_default_str();
  app.add_option("--rate", rate, "Messages per second committed in the paced phase")->capture_default_str();
  app.add_option("--concurrency", concurrency, "Deliveries in flight to the partner")->capture_default_str();
  app.add_option("--window", window, "Max phase: most messages committed and not yet acknowledged")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  char tmpl[] = "/tmp/disthub-outbox-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  std::string dir = tmpl;
  std::vector<std::string> bodies = MakeOrderTemplates(1024, 3);
  double avg = 0;
  for (const auto& b : bodies) avg += static_cast<double>(b.size());
  avg /= static_cast<double>(bodies.size());

  fmt::print("disthub outbox benchmark: {} cores, events of {:.0f} bytes, synchronous=full, "
             "{} deliveries in flight, partner simulator in-process (1 thread)\n\n",
             std::thread::hardware_concurrency(), avg, concurrency);
  double ceiling = RawCeiling(dir + "/ceiling", 512, 5, bodies);
  PhaseResult max = RunPhase(dir + "/max", concurrency, seconds, 0, window, bodies);
  PhaseResult paced = RunPhase(dir + "/paced", concurrency, seconds, rate, window, bodies);
  std::filesystem::remove_all(dir);

  fmt::print("intake ceiling (SQLite alone, batches of 512 orders)  {:>8.0f} rows/s\n\n", ceiling);
  fmt::print("{:<8} {:>12} {:>12} {:>8} {:>9} {:>9} {:>9} {:>9} {:>11}\n", "phase",
             "committed/s", "delivered/s", "ratio", "p50 ms", "p99 ms", "p999 ms", "max ms",
             "cpu us/msg");
  for (const auto& [name, r] : {std::pair{"max", max}, std::pair{"paced", paced}}) {
    fmt::print("{:<8} {:>12.0f} {:>12.0f} {:>7.0f}% {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>11.0f}\n",
               name, r.committed_per_s, r.delivered_per_s, 100 * r.delivered_per_s / ceiling,
               r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms, r.cpu_us_per_msg);
  }
  fmt::print("\n(latency: from the commit of a message's transaction to the partner receiving it;"
             " ratio: delivered/s over the ceiling; cpu: all threads of this process, the"
             " partner's included, per message delivered)\n");
  return 0;
}
