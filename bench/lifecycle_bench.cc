// disthub-lifecycle-bench: complete order lifecycles per second, end to end over real HTTP.
//
// The real `disthub serve` runs as a child process (fresh store, port 0, keys in its
// environment) with two shipping locations. In this process: a warehouse simulator per
// location (sim/wms_sim.h behind a PartnerSim, sharded over several WarehouseSims so its
// callback threads are not the limit), an ERP and a channel endpoint (PartnerSims). The
// bench loads stock through POST /v1/inventory/snapshots, then posts orders of 1-3 lines
// closed-loop (at most --in-flight lifecycles open) or at a fixed --rate. Each order goes
//   intake → accept → source + reserve → release (fulfillment.release.LOCATION to the WMS)
//   → WMS acknowledges → WMS ships → invoice.posted to the ERP, order.status.dtc-web
//   ("released", "shipped") to the channel
// and is complete when the channel has its "shipped" status AND the ERP its invoice.
//
// Printed, from the same run: completed lifecycles/s over the steady-state window,
// intake → shipped-status latency (p50/p90/p99/max) with a breakdown, orders not complete
// within --deadline (must be 0), the machine's ceilings (SQLite alone writing the rows one
// lifecycle writes, counted in the hub's store after the run; an empty HTTP handler; the
// warehouse simulators alone against a stand-in hub), the hub's /metrics over the window,
// and CPU: the hub per thread (on a CPU and waiting for one), this process (the simulators
// and the load) per thread group, and the rest of the machine.
//
//   disthub-lifecycle-bench                  # ~30 s: closed loop, 256 lifecycles open
//   disthub-lifecycle-bench --quick          # ~10 s smoke check
//   disthub-lifecycle-bench --rate 500       # paced: latency at a given load
//   disthub-lifecycle-bench --synchronous normal --json out.json
// Exits 2 when a lifecycle did not complete within --deadline, 1 when the run failed.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/http_client.h"
#include "base/thread_name.h"
#include "fmt/core.h"
#include "lifecycle_ceiling.h"
#include "sim/partner_sim.h"
#include "sim/scenario_orders.h"
#include "sim/wms_sim.h"
#include "spdlog/spdlog.h"

#ifndef DISTHUB_SOURCE_DIR
#define DISTHUB_SOURCE_DIR "."
#endif

namespace disthub {
namespace {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kOrdersKey[] = "lcbench-orders-key-000000000001";
constexpr char kWmsKey[] = "lcbench-wms-key-00000000000000002";
constexpr char kChannel[] = "dtc-web";

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }
double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Options {
  std::string disthub;  // the hub binary
  std::string load;     // disthub-load, for the empty-handler ceiling
  std::string products = std::string(DISTHUB_SOURCE_DIR) + "/examples/harbor-products.csv";
  bool quick = false;    // a few seconds: a smoke check
  double seconds = 20;   // sending, warm-up included
  double warmup = 3;     // first seconds not measured
  int64_t orders = 0;    // send this many, measure until the last completes (0: --seconds)
  int connections = 64;  // client threads posting orders (one keep-alive connection each)
  double rate = 0;       // orders/s offered; 0: closed loop
  int in_flight = 256;   // closed loop: lifecycles open at once
  std::string synchronous = "full";  // the hub's store.synchronous (full or normal)
  int io_threads = 2;                // the hub's server.io_threads
  int delivery_concurrency = 32;     // delivery.concurrency of every subscriber
  int ack_delay_ms = 1;              // warehouse: release → acknowledgement
  int ship_delay_ms = 2;             // warehouse: release → shipment
  int wms_workers = 16;              // callback threads per WarehouseSim (1-16)
  int wms_shards = 8;    // WarehouseSims per location (their callbacks block on the hub's commits)
  int skus = 300;        // the catalog's first N products are ordered
  double deadline = 30;  // a lifecycle not complete this long after its intake failed
  double ceiling_seconds = 3;       // SQLite ceiling run
  int ceiling_batch = 32;           // lifecycles per transaction in the SQLite ceiling
  double http_ceiling_seconds = 2;  // empty-handler run; 0: none
  int bench_nice = 0;  // nice value of this process's threads; the hub keeps the caller's
  std::vector<std::string> hub_env;  // NAME=VALUE set in the hub's environment
  bool keep = false;                 // keep the temporary folder
  std::string json_out;              // also write the figures here
};

// ---- /proc ------------------------------------------------------------------------------

const double kTick = static_cast<double>(sysconf(_SC_CLK_TCK));

// CPU seconds (user + system, all threads, exited ones included) of process `pid`.
double ProcessCpu(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return 0;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));  // from field 3 (state) on
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / kTick;
}

// A thread's (or a group of threads') time: on a CPU, and runnable but waiting for one.
// From /proc/.../schedstat, in nanoseconds: tick-sampled utime/stime miss threads that
// run in short bursts.
struct ThreadTime {
  double cpu = 0, wait = 0;
};

// Per thread name; with `group`, trailing digits and dashes are dropped so "wh-sim-3"
// counts as "wh-sim". Threads that exited are not in it.
std::map<std::string, ThreadTime> ThreadTimes(pid_t pid, bool group) {
  std::map<std::string, ThreadTime> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    std::string name;
    std::ifstream comm(e.path().string() + "/comm");
    std::ifstream sched(e.path().string() + "/schedstat");
    double cpu_ns = 0, wait_ns = 0;
    if (!std::getline(comm, name) || !(sched >> cpu_ns >> wait_ns)) continue;
    if (group) {
      while (!name.empty() &&
             (std::isdigit(static_cast<unsigned char>(name.back())) || name.back() == '-')) {
        name.pop_back();
      }
    }
    out[name].cpu += cpu_ns / 1e9;
    out[name].wait += wait_ns / 1e9;
  }
  return out;
}

// Busy and total CPU seconds of the whole machine (all cores).
struct MachineCpu {
  double busy = 0, total = 0;
};
MachineCpu ReadMachineCpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double v[8] = {0};
  in >> cpu;
  for (double& x : v) in >> x;
  double total = 0;
  for (double x : v) total += x;
  return {.busy = (total - v[3] - v[4]) / kTick, .total = total / kTick};
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return fmt::format("{} {} {}", a, b, c);
}

// ---- Prometheus text --------------------------------------------------------------------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Sample> ParseMetrics(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) continue;
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      size_t end = line.find('}', i);
      if (end == std::string::npos) continue;
      std::string body = line.substr(i + 1, end - i - 1);
      size_t p = 0;
      while (p < body.size()) {
        size_t eq = body.find('=', p);
        if (eq == std::string::npos) break;
        size_t q1 = body.find('"', eq), q2 = body.find('"', q1 + 1);
        if (q1 == std::string::npos || q2 == std::string::npos) break;
        s.labels[body.substr(p, eq - p)] = body.substr(q1 + 1, q2 - q1 - 1);
        p = q2 + 1;
        if (p < body.size() && body[p] == ',') ++p;
      }
      i = end + 1;
    }
    try {
      s.value = std::stod(line.substr(i));
    } catch (...) {
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Matches(const Sample& s, const std::map<std::string, std::string>& want) {
  for (const auto& [k, v] : want) {
    auto it = s.labels.find(k);
    if (it == s.labels.end() || it->second != v) return false;
  }
  return true;
}

// Sum of the samples named `name` whose labels include `want`.
double Sum(const std::vector<Sample>& m, const std::string& name,
           const std::map<std::string, std::string>& want = {}) {
  double total = 0;
  for (const Sample& s : m) {
    if (s.name == name && Matches(s, want)) total += s.value;
  }
  return total;
}

// A histogram's change between two scrapes, summed over the series matching `want`.
struct HistDelta {
  double count = 0, sum = 0;
  std::map<double, double> cumulative;  // le → count (cumulative)

  double Mean() const { return count > 0 ? sum / count : 0; }
  // Linear interpolation inside the bucket holding the q-quantile.
  double Quantile(double q) const {
    if (count <= 0) return 0;
    double rank = q * count, prev_le = 0, prev_n = 0;
    for (const auto& [le, n] : cumulative) {
      if (n >= rank) {
        if (std::isinf(le)) return prev_le;
        return n == prev_n ? le : prev_le + (le - prev_le) * (rank - prev_n) / (n - prev_n);
      }
      prev_le = le;
      prev_n = n;
    }
    return prev_le;
  }
  // The upper bound of the bucket holding the q-quantile (for coarse buckets).
  double Bound(double q) const {
    for (const auto& [le, n] : cumulative) {
      if (count > 0 && n >= q * count) return le;
    }
    return 0;
  }
};

HistDelta Hist(const std::vector<Sample>& before, const std::vector<Sample>& after,
               const std::string& name, const std::map<std::string, std::string>& want = {}) {
  HistDelta h;
  h.count = Sum(after, name + "_count", want) - Sum(before, name + "_count", want);
  h.sum = Sum(after, name + "_sum", want) - Sum(before, name + "_sum", want);
  auto add = [&](const std::vector<Sample>& m, double sign) {
    for (const Sample& s : m) {
      if (s.name != name + "_bucket" || !Matches(s, want)) continue;
      auto le = s.labels.find("le");
      if (le == s.labels.end()) continue;
      double bound = le->second == "+Inf" ? INFINITY : std::stod(le->second);
      h.cumulative[bound] += sign * s.value;
    }
  };
  add(after, 1);
  add(before, -1);
  return h;
}

// The distinct values of label `key` among samples named `name`.
std::vector<std::string> LabelValues(const std::vector<Sample>& m, const std::string& name,
                                     const std::string& key) {
  std::vector<std::string> out;
  for (const Sample& s : m) {
    if (s.name != name) continue;
    auto it = s.labels.find(key);
    if (it != s.labels.end() && std::find(out.begin(), out.end(), it->second) == out.end()) {
      out.push_back(it->second);
    }
  }
  return out;
}

// ---- the hub ----------------------------------------------------------------------------

// `disthub serve` as a child process; killed (by its pid) when this object goes.
class HubChild {
 public:
  // Starts it and waits (up to 30 s) for "disthub listening on URL".
  static std::unique_ptr<HubChild> Start(const std::string& binary, const std::string& config,
                                         const std::string& log,
                                         const std::vector<std::string>& env, int nice) {
    auto hub = std::unique_ptr<HubChild>(new HubChild());
    // Everything the child needs is made before fork(): other threads are running, so the
    // child may only make system calls until it execs.
    std::vector<std::string> vars = {fmt::format("LCBENCH_ORDERS_KEY={}", kOrdersKey),
                                     fmt::format("LCBENCH_WMS_KEY={}", kWmsKey)};
    vars.insert(vars.end(), env.begin(), env.end());
    for (char** e = environ; *e != nullptr; ++e) vars.emplace_back(*e);  // later ones lose
    std::vector<char*> envp;
    for (std::string& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string bin = binary, serve = "serve", flag = "--config", file = config;
    char* argv[] = {bin.data(), serve.data(), flag.data(), file.data(), nullptr};
    int out[2];
    if (pipe(out) != 0) return nullptr;
    hub->pid_ = fork();
    if (hub->pid_ < 0) return nullptr;
    if (hub->pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);    // never outlive the bench (the forking thread)
      setpriority(PRIO_PROCESS, 0, nice);  // back from the bench's own nice value
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) dup2(err, STDERR_FILENO);
      execve(bin.c_str(), argv, envp.data());
      _exit(127);
    }
    close(out[1]);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    std::string line;
    const auto deadline = Steady::now() + std::chrono::seconds(30);
    while (Steady::now() < deadline) {
      char c;
      ssize_t n = read(out[0], &c, 1);
      if (n == 1) {
        if (c == '\n') break;
        line.push_back(c);
      } else if (n == 0) {
        break;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    close(out[0]);
    constexpr std::string_view kPrefix = "disthub listening on ";
    if (!std::string_view(line).starts_with(kPrefix)) return nullptr;
    hub->url_ = line.substr(kPrefix.size());
    return hub;
  }
  ~HubChild() { Stop(); }

  // SIGTERM, then SIGKILL if it has not exited within 20 s.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const auto deadline = Steady::now() + std::chrono::seconds(20);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (Steady::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }
  double PeakMiB() const {
    std::ifstream in(fmt::format("/proc/{}/status", pid_));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024;
    }
    return 0;
  }

 private:
  HubChild() = default;
  pid_t pid_ = -1;
  std::string url_;
};

// ---- what happened to each order --------------------------------------------------------

struct Life {
  Steady::time_point sent;      // the POST started
  Steady::time_point accepted;  // its 201 arrived
  Steady::time_point release;   // the first release reached a warehouse
  Steady::time_point released;  // the channel got "released"
  Steady::time_point shipped;   // the channel got "shipped"
  Steady::time_point invoiced;  // the ERP got the invoice
  Steady::time_point done;      // shipped and invoiced
  std::string order_id;
  int status = 0;  // of the POST; 0: no answer
};

// What happened to every order, by its channel order ref. Thread-safe: the load threads
// and the simulators' I/O threads report here. In a closed loop it also hands out the
// slots: an order holds one from before its POST until it completes (or is refused).
class Tracker {
 public:
  void Sent(const std::string& ref, Steady::time_point at) {
    std::lock_guard<std::mutex> lock(mu_);
    lives_[ref].sent = at;
  }
  void Answered(const std::string& ref, int status, std::string order_id) {
    const auto now = Steady::now();
    std::lock_guard<std::mutex> lock(mu_);
    Life& l = lives_[ref];
    l.status = status;
    l.accepted = now;
    l.order_id = std::move(order_id);
    if (status == 201) {
      ++accepted_;
    } else {
      FreeSlot();
    }
  }
  void Release(const std::string& ref) { Mark(ref, &Life::release); }
  void Status(const std::string& ref, const std::string& status) {
    if (status == "released") Mark(ref, &Life::released);
    if (status == "shipped") Mark(ref, &Life::shipped);
  }
  void Invoice(const std::string& ref) { Mark(ref, &Life::invoiced); }
  void Unknown() { ++unknown_; }

  // Closed loop: waits for a slot (fewer than `limit` orders open); false at `until`.
  bool Acquire(int limit, Steady::time_point until) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!slot_cv_.wait_until(lock, until, [&] { return open_ < limit; })) return false;
    ++open_;
    return true;
  }
  // Gives back a slot taken by Acquire() and not used.
  void GiveBack() {
    std::lock_guard<std::mutex> lock(mu_);
    FreeSlot();
  }
  // Waits until every accepted order completed, or `until`.
  void WaitAllDone(Steady::time_point until) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait_until(lock, until, [&] { return completed_ == accepted_; });
  }
  // Every order, with its ref in `refs` at the same index.
  std::vector<Life> Lives(std::vector<std::string>* refs) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Life> out;
    for (const auto& [ref, l] : lives_) {
      out.push_back(l);
      refs->push_back(ref);
    }
    return out;
  }
  int64_t unknown() const { return unknown_; }

 private:
  void FreeSlot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    --open_;
    slot_cv_.notify_one();
  }
  void Mark(const std::string& ref, Steady::time_point Life::*field) {
    const auto now = Steady::now();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lives_.find(ref);
    if (it == lives_.end()) {
      ++unknown_;
      return;
    }
    Life& l = it->second;
    if (l.*field != Steady::time_point()) return;
    l.*field = now;
    if (l.done == Steady::time_point() && l.shipped != Steady::time_point() &&
        l.invoiced != Steady::time_point()) {
      l.done = now;
      FreeSlot();
      if (++completed_ == accepted_) done_cv_.notify_all();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable slot_cv_;  // a slot was freed
  std::condition_variable done_cv_;  // every accepted order completed
  absl::flat_hash_map<std::string, Life> lives_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // closed loop: slots taken (unused otherwise)
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> unknown_{0};
};

// The envelope's type and payload of a message the hub delivered.
struct Delivered {
  std::string type;
  json::object payload;
};
std::optional<Delivered> ReadDelivered(const std::string& body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  json::object& o = v.as_object();
  Delivered d;
  if (auto* t = o.if_contains("type"); t && t->is_string()) d.type = t->as_string();
  if (auto* p = o.if_contains("payload"); p && p->is_object())
    d.payload = std::move(p->as_object());
  return d;
}
std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// ---- the partners -----------------------------------------------------------------------

// Starts a PartnerSim whose I/O threads carry `thread_name` (they inherit this thread's).
std::unique_ptr<PartnerSim> StartPartner(const std::string& thread_name,
                                         std::function<void(const PartnerMessage&)> on_message) {
  PartnerSimOptions o;
  o.io_threads = 1;
  o.record_headers = {};
  o.record_bodies = false;
  o.max_messages = 0;  // the hook sees every message; nothing kept
  o.on_message = std::move(on_message);
  NameThisThread(thread_name);
  auto p = StartPartnerSim(o);
  NameThisThread("lc-main");
  if (!p.ok()) {
    fmt::print(stderr, "lifecycle-bench: partner sim: {}\n", p.status().ToString());
    std::exit(1);
  }
  return *std::move(p);
}

// One shipping location: a PartnerSim taking the hub's deliveries, fanning them out by
// fulfillment id to `shards` WarehouseSims (which join once the hub's URL is known).
class Warehouse {
 public:
  Warehouse(std::string location, Tracker* tracker)
      : location_(std::move(location)), tracker_(tracker) {
    partner_ = StartPartner("ps-" + location_, [this](const PartnerMessage& m) { OnMessage(m); });
  }
  ~Warehouse() { Stop(); }

  void Join(const std::string& hub_url, const Options& opt) {
    for (int i = 0; i < opt.wms_shards; ++i) {
      WarehouseOptions w;
      w.hub_url = hub_url;
      w.api_key = kWmsKey;
      w.location = location_;
      w.ack_delay_ms = opt.ack_delay_ms;
      w.ship_delay_ms = opt.ship_delay_ms;
      w.worker_threads = opt.wms_workers;
      w.retry_initial_ms = 20;
      w.seed = static_cast<uint64_t>(i + 1);
      auto sim = WarehouseSim::Start(w);
      if (!sim.ok()) {
        fmt::print(stderr, "lifecycle-bench: warehouse sim: {}\n", sim.status().ToString());
        std::exit(1);
      }
      shards_.push_back(*std::move(sim));
    }
    joined_.store(true, std::memory_order_release);
  }
  void Stop() {
    if (partner_) partner_->Stop();
    for (auto& s : shards_) s->Stop();
  }
  std::string url() const { return partner_->url(); }
  const std::string& location() const { return location_; }
  WarehouseStats Stats() const {
    WarehouseStats t;
    for (const auto& s : shards_) {
      WarehouseStats x = s->Stats();
      t.messages += x.messages;
      t.releases_received += x.releases_received;
      t.re_releases += x.re_releases;
      t.acks_sent += x.acks_sent;
      t.shipments_sent += x.shipments_sent;
      t.callbacks_retried += x.callbacks_retried;
      t.callbacks_failed += x.callbacks_failed;
      t.callbacks_rejected += x.callbacks_rejected;
      t.malformed += x.malformed;
    }
    return t;
  }
  std::vector<WarehouseProblem> Problems() const {
    std::vector<WarehouseProblem> out;
    for (const auto& s : shards_) {
      for (auto& p : s->Problems()) out.push_back(std::move(p));
    }
    return out;
  }
  PartnerSimStats PartnerStats() const { return partner_->Stats(); }

 private:
  void OnMessage(const PartnerMessage& m) {
    std::optional<Delivered> d = ReadDelivered(m.body);
    std::string fid;
    if (d) {
      if (d->type.starts_with("fulfillment.release."))
        tracker_->Release(Str(d->payload, "channel_ref"));
      fid = Str(d->payload, "fulfillment_id");
    }
    if (!joined_.load(std::memory_order_acquire)) return;
    const size_t shard = std::hash<std::string>{}(fid) % shards_.size();
    shards_[shard]->OnMessage(m);
  }

  const std::string location_;
  Tracker* const tracker_;
  std::atomic<bool> joined_{false};
  std::vector<std::unique_ptr<WarehouseSim>> shards_;  // fixed once joined_
  std::unique_ptr<PartnerSim> partner_;
};

// ---- orders -----------------------------------------------------------------------------

struct Region {
  const char* code;
  const char* city;
  const char* postal;
};
constexpr Region kRegions[] = {{"NY", "Albany", "12207"},   {"NJ", "Newark", "07102"},
                               {"PA", "Scranton", "18503"}, {"MA", "Boston", "02108"},
                               {"CA", "Fresno", "93721"},   {"OR", "Salem", "97301"},
                               {"WA", "Spokane", "99201"},  {"NV", "Reno", "89501"}};

// A dtc-web order of 1-3 lines (distinct SKUs, 1-3 each) shipping to one of kRegions.
std::string MakeOrder(const std::vector<ScenarioProduct>& products, const std::string& ref,
                      std::mt19937_64& rng) {
  Order o;
  o.channel = kChannel;
  o.channel_order_ref = ref;
  o.currency = "USD";
  o.customer = {.name = "Pat Doe", .email = "pat@example.com"};
  const Region& r = kRegions[rng() % std::size(kRegions)];
  o.ship_to = {.name = "Pat Doe",
               .line1 = "1 Main St",
               .city = r.city,
               .region = r.code,
               .postal_code = r.postal,
               .country = "US"};
  o.placed_at = absl::Now();
  o.payment_state = PaymentState::kCaptured;
  const int lines = 1 + static_cast<int>(rng() % 3);
  std::vector<size_t> picked;
  int64_t sub = 0;
  for (int n = 1; n <= lines; ++n) {
    size_t p;
    do {
      p = rng() % products.size();
    } while (std::find(picked.begin(), picked.end(), p) != picked.end());
    picked.push_back(p);
    const int64_t qty = 1 + static_cast<int64_t>(rng() % 3);
    o.lines.push_back({.line_no = n,
                       .sku = products[p].sku,
                       .quantity = qty,
                       .uom = "each",
                       .unit_price = {.minor = 500, .currency = "USD"},
                       .tax = {.minor = 0, .currency = "USD"}});
    sub += 500 * qty;
  }
  o.totals = {.subtotal = {sub, "USD"},
              .discount = {0, "USD"},
              .tax = {0, "USD"},
              .shipping = {0, "USD"},
              .grand_total = {sub, "USD"}};
  return ScenarioOrders::InboundJson(o);
}

Headers Auth(const char* key) {
  return {{"Authorization", fmt::format("Bearer {}", key)}, {"Content-Type", "application/json"}};
}

// ---- statistics -------------------------------------------------------------------------

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

struct Dist {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  size_t n = 0;
};
Dist Distribution(const std::vector<double>& v) {
  Dist d;
  d.n = v.size();
  if (v.empty()) return d;
  d.p50 = Percentile(v, 0.50);
  d.p90 = Percentile(v, 0.90);
  d.p99 = Percentile(v, 0.99);
  d.max = *std::max_element(v.begin(), v.end());
  return d;
}

// Runs disthub-load GET /healthz (the empty handler) for `seconds`; requests/s or 0.
double HttpCeiling(const std::string& load, const std::string& url, double seconds) {
  if (!std::filesystem::exists(load)) return 0;
  const std::string cmd = fmt::format(
      "{} --url {}/healthz --mode get --connections 64 --duration {} --warmup 0.5 --json", load,
      url, seconds);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (pclose(p) != 0) return 0;
  json::error_code ec;
  json::value v = json::parse(out, ec);
  if (ec || !v.is_object()) return 0;
  const json::value* rps = v.as_object().if_contains("throughput_rps");
  return rps == nullptr     ? 0
         : rps->is_double() ? rps->as_double()
                            : static_cast<double>(rps->as_int64());
}

std::vector<Sample> Scrape(HttpClient& client) {
  auto r = client.Get("/metrics");
  if (!r.ok() || r->status != 200) return {};
  return ParseMetrics(r->body);
}

// Figures read at one instant, to be subtracted from a later reading.
struct Snapshot {
  Steady::time_point at;
  std::vector<Sample> metrics;
  double hub_cpu = 0, self_cpu = 0;
  std::map<std::string, ThreadTime> hub_threads, self_threads;
  MachineCpu machine;
};
Snapshot Take(HttpClient& client, pid_t hub) {
  Snapshot s;
  s.metrics = Scrape(client);
  s.at = Steady::now();
  s.hub_cpu = ProcessCpu(hub);
  s.self_cpu = ProcessCpu(getpid());
  s.hub_threads = ThreadTimes(hub, false);
  s.self_threads = ThreadTimes(getpid(), true);
  s.machine = ReadMachineCpu();
  return s;
}

// The hub's configuration: store under `data_dir`, the partners at their URLs.
std::string Config(const Options& o, const std::string& data_dir, const std::string& east,
                   const std::string& west, const std::string& erp, const std::string& channel) {
  const std::string delivery = fmt::format(
      "{{concurrency: {}, retry: {{initial_ms: 50, max_ms: 1000}}}}", o.delivery_concurrency);
  return fmt::format(
      R"(server:
  listen: 127.0.0.1:0
  io_threads: {io}
store:
  data_dir: {data_dir}
  synchronous: {sync}
catalog:
  products_file: {products}
channels:
  - name: {channel_name}
    fulfillment: {{ship_complete: preferred, status_updates: [released, shipped, cancelled]}}
partners:
  - name: loadgen
    scopes: [orders:write, orders:read]
    api_keys: [{{id: k, key_env: LCBENCH_ORDERS_KEY}}]
  - name: wms
    scopes: [inventory:read, inventory:write, fulfillment:write]
    api_keys: [{{id: k, key_env: LCBENCH_WMS_KEY}}]
fulfillment:
  locations:
    - name: wh-east
      regions: [NY, NJ, PA, MA]
    - name: wh-west
      regions: [CA, OR, WA, NV]
subscribers:
  - name: wms-east
    url: {east}/wms
    events: ["fulfillment.release.wh-east", "fulfillment.cancel.wh-east"]
    delivery: {delivery}
  - name: wms-west
    url: {west}/wms
    events: ["fulfillment.release.wh-west", "fulfillment.cancel.wh-west"]
    delivery: {delivery}
  - name: erp
    url: {erp}/invoices
    events: ["invoice.posted"]
    delivery: {delivery}
  - name: dtc-status
    url: {channel}/status
    events: ["order.status.{channel_name}"]
    delivery: {delivery}
)",
      fmt::arg("io", o.io_threads), fmt::arg("data_dir", data_dir), fmt::arg("sync", o.synchronous),
      fmt::arg("products", std::filesystem::absolute(o.products).string()),
      fmt::arg("channel_name", kChannel), fmt::arg("east", east), fmt::arg("west", west),
      fmt::arg("erp", erp), fmt::arg("channel", channel), fmt::arg("delivery", delivery));
}

Options ParseOptions(int argc, char** argv) {
  Options opt;
  const std::string self_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
  opt.disthub = self_dir + "/../src/app/disthub";
  opt.load = self_dir + "/disthub-load";
  CLI::App app{"Complete order lifecycles per second through the real hub and partner simulators."};
  app.add_option("--disthub", opt.disthub, "The disthub binary")->capture_default_str();
  app.add_option("--load", opt.load, "disthub-load (for the empty-handler ceiling)")
      ->capture_default_str();
  app.add_option("--products", opt.products, "Catalog CSV")->capture_default_str();
  app.add_flag("--quick", opt.quick, "A few seconds: a smoke check");
  app.add_option("--seconds", opt.seconds, "Seconds of sending, warm-up included")
      ->capture_default_str();
  app.add_option("--warmup", opt.warmup, "First seconds not measured")->capture_default_str();
  app.add_option("--orders", opt.orders,
                 "Send this many orders (within --seconds) and measure the whole run until the "
                 "last completes (0: no limit)")
      ->capture_default_str();
  app.add_option("--connections", opt.connections, "Client threads posting orders")
      ->capture_default_str();
  app.add_option("--rate", opt.rate, "Orders offered per second (0: closed loop)")
      ->capture_default_str();
  app.add_option("--in-flight", opt.in_flight, "Closed loop: lifecycles open at once")
      ->capture_default_str();
  app.add_option("--synchronous", opt.synchronous, "Store durability: full or normal")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  app.add_option("--io-threads", opt.io_threads, "Hub I/O threads")->capture_default_str();
  app.add_option("--delivery-concurrency", opt.delivery_concurrency,
                 "Deliveries in flight per subscriber")
      ->capture_default_str();
  app.add_option("--ack-delay-ms", opt.ack_delay_ms, "Warehouse: release → acknowledgement")
      ->capture_default_str();
  app.add_option("--ship-delay-ms", opt.ship_delay_ms, "Warehouse: release → shipment")
      ->capture_default_str();
  app.add_option("--wms-workers", opt.wms_workers, "Callback threads per warehouse sim (1-16)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--wms-shards", opt.wms_shards, "Warehouse sims per location")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--skus", opt.skus, "SKUs ordered (the catalog's first N)")
      ->check(CLI::Range(3, 100'000))
      ->capture_default_str();
  app.add_option("--deadline", opt.deadline,
                 "Seconds a lifecycle may take before it counts as not complete")
      ->capture_default_str();
  app.add_option("--ceiling-seconds", opt.ceiling_seconds, "Seconds of the SQLite ceiling")
      ->capture_default_str();
  app.add_option("--ceiling-batch", opt.ceiling_batch,
                 "Lifecycles per transaction in the SQLite ceiling")
      ->capture_default_str();
  app.add_option("--http-ceiling-seconds", opt.http_ceiling_seconds,
                 "Seconds of the empty-handler run (0: skip)")
      ->capture_default_str();
  app.add_option("--bench-nice", opt.bench_nice,
                 "Nice value of the bench's threads (simulators, load); the hub runs at the "
                 "caller's, so the partners' stand-ins do not take its CPU")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  app.add_option("--hub-env", opt.hub_env,
                 "NAME=VALUE for the hub's environment (repeatable; for experiments)");
  app.add_flag("--keep", opt.keep, "Keep the temporary folder (config, store, hub log)");
  app.add_option("--json", opt.json_out, "Also write the figures as JSON to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (opt.quick) {
    opt.seconds = std::min(opt.seconds, 5.0);
    opt.warmup = std::min(opt.warmup, 1.5);
    opt.ceiling_seconds = std::min(opt.ceiling_seconds, 1.0);
    opt.http_ceiling_seconds = std::min(opt.http_ceiling_seconds, 1.0);
    opt.deadline = std::min(opt.deadline, 15.0);
  }
  opt.warmup = std::min(opt.warmup, opt.seconds / 2);
  if (opt.orders > 0) opt.warmup = 0;  // a fixed count is measured whole, until the last completes
  return opt;
}

// The first `n` products of the catalog CSV at `path`.
std::vector<ScenarioProduct> LoadProducts(const std::string& path, int n) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<ScenarioProduct> products = ScenarioProductsFromCsv(text.str());
  if (static_cast<int>(products.size()) > n) products.resize(static_cast<size_t>(n));
  return products;
}

// Every product at both locations, far more than a run can take.
bool LoadStock(HttpClient& hub, const std::vector<ScenarioProduct>& products) {
  for (const char* location : {"wh-east", "wh-west"}) {
    json::array items;
    for (const ScenarioProduct& p : products) {
      items.push_back(json::object{{"sku", p.sku}, {"on_hand", 10'000'000}});
    }
    const std::string body =
        json::serialize(json::object{{"id", fmt::format("lcbench-{}", location)},
                                     {"location", location},
                                     {"sequence", 1},
                                     {"items", std::move(items)}});
    auto r = hub.Send("POST", "/v1/inventory/snapshots", Auth(kWmsKey), body);
    if (!r.ok() || r->status != 200) {
      fmt::print(stderr, "lifecycle-bench: stock snapshot refused: {}\n",
                 r.ok() ? r->body : r.status().ToString());
      return false;
    }
  }
  return true;
}

Steady::duration Dur(double seconds) {
  return std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
}

// What the load phase saw, besides the tracker's per-order records.
struct LoadRun {
  Steady::time_point measure_from;  // end of the warm-up
  Snapshot from;                    // at measure_from
  Snapshot to;                      // when sending stopped (--orders: the last completed)
  Steady::time_point sent_end;      // sending stopped
  int64_t transport_errors = 0;
  struct Depth {
    double queue = 0, waiting = 0, in_flight = 0;
  };
  std::vector<Depth> depths;  // once a second
};

// Posts orders, closed loop or paced, for opt.seconds (or until opt.orders were sent),
// reading the hub's figures after the warm-up and when sending stops.
LoadRun RunLoad(const Options& opt, HubChild& hub, Tracker& tracker,
                const std::vector<ScenarioProduct>& products) {
  LoadRun run;
  const auto t0 = Steady::now();
  run.measure_from = t0 + Dur(opt.warmup);
  const auto send_until = t0 + Dur(opt.seconds);
  std::atomic<int64_t> next{0}, transport_errors{0};
  std::atomic<int> senders_done{0};
  std::atomic<bool> release_senders{false};
  const std::string run_id = fmt::format("{:x}", static_cast<uint32_t>(getpid()));
  std::vector<std::thread> senders;
  for (int c = 0; c < opt.connections; ++c) {
    senders.emplace_back([&, c] {
      NameThisThread(fmt::format("lc-load-{}", c));
      std::mt19937_64 rng(static_cast<uint64_t>(c) * 7919 + 17);
      HttpClient client(hub.url(), 30);
      Headers headers = Auth(kOrdersKey);
      headers.emplace_back("Idempotency-Key", "");
      while (true) {
        const int64_t i = next.fetch_add(1);
        if (opt.orders > 0 && i >= opt.orders) break;
        if (opt.rate > 0) {
          const auto due = t0 + Dur(static_cast<double>(i) / opt.rate);
          if (due >= send_until) break;
          std::this_thread::sleep_until(due);
        } else if (!tracker.Acquire(opt.in_flight, send_until)) {
          break;
        }
        if (Steady::now() >= send_until) {
          if (opt.rate <= 0) tracker.GiveBack();
          break;
        }
        const std::string ref = fmt::format("LC-{}-{:08}", run_id, i);
        const std::string body = MakeOrder(products, ref, rng);
        headers.back().second = ref;  // the Idempotency-Key
        tracker.Sent(ref, Steady::now());
        auto r = client.Send("POST", "/v1/orders", headers, body);
        std::string id;
        if (r.ok() && r->status == 201) {
          json::error_code ec;
          json::value v = json::parse(r->body, ec);
          if (!ec && v.is_object()) id = Str(v.as_object(), "id");
        } else if (!r.ok()) {
          ++transport_errors;
        }
        tracker.Answered(ref, r.ok() ? r->status : 0, std::move(id));
      }
      ++senders_done;
      // Stay until the figures are read: a thread's CPU leaves /proc with it.
      while (!release_senders.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
  }

  // The hub's figures after the warm-up, then its queue depth and delivery backlog once a
  // second.
  std::atomic<bool> sampling{true};
  std::optional<Snapshot> from;
  std::thread sampler([&] {
    NameThisThread("lc-sampler");
    HttpClient client(hub.url(), 30);
    std::this_thread::sleep_until(run.measure_from);
    from = Take(client, hub.pid());
    while (sampling.load()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!sampling.load()) break;
      std::vector<Sample> m = Scrape(client);
      run.depths.push_back({Sum(m, "disthub_commit_queue_depth"), Sum(m, "disthub_outbox_waiting"),
                            Sum(m, "disthub_delivery_in_flight")});
    }
  });
  while (Steady::now() < send_until && senders_done.load() < opt.connections) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  run.sent_end = Steady::now();
  // A fixed count is measured until its last order completes.
  if (opt.orders > 0) tracker.WaitAllDone(run.sent_end + Dur(opt.deadline));
  HttpClient admin(hub.url(), 30);
  run.to = Take(admin, hub.pid());
  sampling = false;
  release_senders = true;
  sampler.join();
  for (std::thread& t : senders) t.join();
  run.from = from ? *std::move(from) : run.to;
  run.transport_errors = transport_errors.load();
  return run;
}

// The per-order figures over the steady window.
struct Figures {
  double window = 0;  // seconds
  double lifecycles_per_s = 0;
  double accepted_per_s = 0;
  int64_t posted = 0, accepted = 0, refused = 0, completed = 0, late = 0;
  std::map<int, int64_t> refusals;  // status → count; 0: no answer
  Dist latency;                     // intake → shipped status (ms)
  std::vector<double> total, intake, to_release, release_to_status, release_to_shipped,
      shipped_to_invoice;      // ms, orders sent in the window
  std::vector<size_t> failed;  // indexes of orders not complete within the deadline
};

Figures Summarize(const std::vector<Life>& lives, const LoadRun& run, double deadline) {
  Figures f;
  const auto from = run.measure_from, to = run.to.at;
  f.window = Seconds(to - from);
  int64_t done_in_window = 0, accepted_in_window = 0;
  auto set = [](Steady::time_point t) { return t != Steady::time_point(); };
  for (size_t i = 0; i < lives.size(); ++i) {
    const Life& l = lives[i];
    ++f.posted;
    if (l.status != 201) {
      ++f.refused;
      ++f.refusals[l.status];
      continue;
    }
    ++f.accepted;
    if (l.accepted >= from && l.accepted < to) ++accepted_in_window;
    if (!set(l.done) || Seconds(l.shipped - l.sent) > deadline) {
      f.failed.push_back(i);
      f.late += set(l.done);
      continue;
    }
    ++f.completed;
    if (l.done >= from && l.done < to) ++done_in_window;
    if (l.sent < from || l.sent >= to) continue;
    f.total.push_back(Ms(l.shipped - l.sent));
    f.intake.push_back(Ms(l.accepted - l.sent));
    if (set(l.release)) {
      f.to_release.push_back(Ms(l.release - l.sent));
      if (set(l.released)) f.release_to_status.push_back(Ms(l.released - l.release));
      f.release_to_shipped.push_back(Ms(l.shipped - l.release));
    }
    f.shipped_to_invoice.push_back(Ms(l.invoiced - l.shipped));
  }
  if (f.window > 0) {
    f.lifecycles_per_s = static_cast<double>(done_in_window) / f.window;
    f.accepted_per_s = static_cast<double>(accepted_in_window) / f.window;
  }
  f.latency = Distribution(f.total);
  return f;
}

void PrintLifecycles(const Options& opt, const Figures& f, const LoadRun& run,
                     const std::vector<Life>& lives, const std::vector<std::string>& refs,
                     HttpClient& hub) {
  fmt::print("Lifecycles (steady window {:.1f} s, after {:.1f} s warm-up)\n", f.window, opt.warmup);
  fmt::print("  completed lifecycles/s      {:>9.0f}   (orders accepted/s {:.0f}{})\n",
             f.lifecycles_per_s, f.accepted_per_s,
             opt.rate > 0 ? fmt::format(", offered {:.0f}", opt.rate) : std::string());
  fmt::print(
      "  orders posted {}, accepted {}, refused {}, completed {}, not complete within "
      "{:g} s: {}{}\n",
      f.posted, f.accepted, f.refused, f.completed, opt.deadline, f.failed.size(),
      f.late > 0 ? fmt::format(" ({} completed late)", f.late) : std::string());
  for (const auto& [status, n] : f.refusals) fmt::print("    POST answered {}: {}\n", status, n);
  if (run.transport_errors > 0) fmt::print("    transport errors: {}\n", run.transport_errors);
  fmt::print(
      "  intake → 'shipped' at the channel: p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms, "
      "max {:.1f} ms  ({} lifecycles sent in the window)\n",
      f.latency.p50, f.latency.p90, f.latency.p99, f.latency.max, f.latency.n);
  auto row = [](const char* what, const std::vector<double>& v) {
    const Dist d = Distribution(v);
    fmt::print("    {:<46} p50 {:>8.1f}  p99 {:>8.1f}  max {:>8.1f} ms\n", what, d.p50, d.p99,
               d.max);
  };
  row("POST /v1/orders answered (201)", f.intake);
  row("intake → release at the warehouse", f.to_release);
  row("release at warehouse → 'released' at channel", f.release_to_status);
  row("release at warehouse → 'shipped' at channel", f.release_to_shipped);
  row("invoice at ERP minus 'shipped' at channel", f.shipped_to_invoice);
  if (!f.failed.empty()) {
    fmt::print("  NOT COMPLETE ({}), the first ones:\n", f.failed.size());
    auto seen = [](Steady::time_point t) { return t != Steady::time_point() ? "yes" : "no"; };
    for (size_t k = 0; k < f.failed.size() && k < 10; ++k) {
      const Life& l = lives[f.failed[k]];
      std::string status = "?";
      auto r = hub.Send("GET", "/v1/orders/" + l.order_id, Auth(kOrdersKey));
      if (r.ok() && r->status == 200) {
        json::error_code ec;
        json::value v = json::parse(r->body, ec);
        if (!ec && v.is_object()) status = Str(v.as_object(), "status");
      }
      fmt::print(
          "    {} {}: hub status {}; release seen {}, 'released' {}, 'shipped' {}, "
          "invoice {}{}\n",
          refs[f.failed[k]], l.order_id, status, seen(l.release), seen(l.released), seen(l.shipped),
          seen(l.invoiced),
          l.done != Steady::time_point()
              ? fmt::format("; 'shipped' {:.2f} s after its intake", Seconds(l.shipped - l.sent))
              : std::string());
    }
  }
}

void PrintWarehouse(const Warehouse& w) {
  const WarehouseStats s = w.Stats();
  const PartnerSimStats p = w.PartnerStats();
  fmt::print(
      "  {}: {} deliveries ({} duplicates), {} releases ({} repeated), {} acks, {} "
      "shipments, {} retried calls, {} failed, {} rejected\n",
      w.location(), p.received, p.duplicates, s.releases_received, s.re_releases, s.acks_sent,
      s.shipments_sent, s.callbacks_retried, s.callbacks_failed, s.callbacks_rejected);
  const std::vector<WarehouseProblem> problems = w.Problems();
  for (size_t k = 0; k < problems.size() && k < 3; ++k) {
    fmt::print("    problem: {} {} → {} {}\n", problems[k].path, problems[k].idempotency_key,
               problems[k].status, problems[k].detail.substr(0, 200));
  }
}

// What the hub's /metrics say about the window.
struct Internals {
  HistDelta batches, commits;
};

Internals PrintInternals(const LoadRun& run, double lifecycles_per_s) {
  const std::vector<Sample>& mb = run.from.metrics;
  const std::vector<Sample>& ma = run.to.metrics;
  const double span = Seconds(run.to.at - run.from.at);
  Internals in;
  fmt::print("\nHub internals over the window ({:.1f} s, /metrics before/after)\n", span);
  in.batches = Hist(mb, ma, "disthub_commit_batch_size");
  in.commits = Hist(mb, ma, "disthub_store_commit_duration_seconds");
  fmt::print(
      "  commits {:.0f}/s, operations per commit: mean {:.1f}, p50 {:.0f}, p99 {:.0f}; "
      "operations {:.0f}/s ({:.1f} per lifecycle)\n",
      in.batches.count / span, in.batches.Mean(), in.batches.Quantile(0.5),
      in.batches.Quantile(0.99), in.batches.sum / span,
      lifecycles_per_s > 0 ? in.batches.sum / span / lifecycles_per_s : 0);
  fmt::print(
      "  commit (BEGIN..flushed to disk): mean {:.2f} ms, p50 {:.2f} ms, p99 {:.2f} ms; "
      "{:.2f} batches between BEGIN and flushed on average (the flush of one overlaps the "
      "next)\n",
      in.commits.Mean() * 1e3, in.commits.Quantile(0.5) * 1e3, in.commits.Quantile(0.99) * 1e3,
      in.commits.sum / span);
  double max_queue = 0, mean_queue = 0, max_waiting = 0, mean_in_flight = 0;
  for (const LoadRun::Depth& d : run.depths) {
    const double n = static_cast<double>(run.depths.size());
    max_queue = std::max(max_queue, d.queue);
    mean_queue += d.queue / n;
    max_waiting = std::max(max_waiting, d.waiting);
    mean_in_flight += d.in_flight / n;
  }
  fmt::print(
      "  writer queue depth: mean {:.0f}, max {:.0f}; outbox waiting max {:.0f}; "
      "deliveries in flight mean {:.1f} (sampled each second)\n",
      mean_queue, max_queue, max_waiting, mean_in_flight);
  const HistDelta release = Hist(mb, ma, "disthub_order_time_to_release_seconds");
  fmt::print(
      "  time to release (intake commit → release committed): mean {:.1f} ms, p50 ≤ "
      "{:.0f} ms, p99 ≤ {:.0f} ms (bucket bounds)\n",
      release.Mean() * 1e3, release.Bound(0.5) * 1e3, release.Bound(0.99) * 1e3);
  for (const std::string& loc :
       LabelValues(ma, "disthub_fulfillment_ack_latency_seconds_count", "location")) {
    const HistDelta ack =
        Hist(mb, ma, "disthub_fulfillment_ack_latency_seconds", {{"location", loc}});
    fmt::print("  ack latency {} (release committed → ack committed): mean {:.1f} ms over {:.0f}\n",
               loc, ack.Mean() * 1e3, ack.count);
  }
  for (const std::string& sub : LabelValues(ma, "disthub_delivered_total", "subscriber")) {
    const std::map<std::string, std::string> l = {{"subscriber", sub}};
    const HistDelta d = Hist(mb, ma, "disthub_delivery_latency_seconds", l);
    const double delivered =
        Sum(ma, "disthub_delivered_total", l) - Sum(mb, "disthub_delivered_total", l);
    const double failures = Sum(ma, "disthub_delivery_failures_total", l) -
                            Sum(mb, "disthub_delivery_failures_total", l);
    fmt::print(
        "  delivery {:<10} {:>7.0f}/s, latency mean {:.1f} ms, p99 ≤ {:.0f} ms, failed "
        "attempts {:.0f}\n",
        sub, delivered / span, d.Mean() * 1e3, d.Quantile(0.99) * 1e3, failures);
  }
  return in;
}

// Prints the CPU split; returns the writer thread's CPU per lifecycle (µs; 0 if unknown).
double PrintCpu(const LoadRun& run, const Internals& in, double lifecycles_per_s) {
  const Snapshot& a = run.to;
  const Snapshot& b = run.from;
  const double span = Seconds(a.at - b.at);
  const double hub = (a.hub_cpu - b.hub_cpu) / span, self = (a.self_cpu - b.self_cpu) / span;
  const double busy = (a.machine.busy - b.machine.busy) / span;
  const double cores = static_cast<double>(std::thread::hardware_concurrency());
  fmt::print("\nCPU over the window (cores; the machine has {:.0f})\n", cores);
  fmt::print(
      "  hub {:.2f}, bench (simulators + load) {:.2f}, rest of the machine {:.2f}, idle "
      "{:.2f}\n",
      hub, self, std::max(0.0, busy - hub - self), std::max(0.0, cores - busy));
  if (lifecycles_per_s > 0) {
    fmt::print("  per lifecycle: hub {:.0f} µs, bench {:.0f} µs of CPU\n",
               1e6 * hub / lifecycles_per_s, 1e6 * self / lifecycles_per_s);
  }
  // Per thread (group): cores on a CPU, and cores' worth of time runnable but waiting for
  // a CPU (the machine is short of cores when that is large).
  auto delta = [&](const std::map<std::string, ThreadTime>& after,
                   const std::map<std::string, ThreadTime>& before, const std::string& name) {
    auto x = after.find(name), y = before.find(name);
    ThreadTime t = x == after.end() ? ThreadTime{} : x->second;
    if (y != before.end()) {
      t.cpu -= y->second.cpu;
      t.wait -= y->second.wait;
    }
    return ThreadTime{t.cpu / span, t.wait / span};
  };
  auto threads = [&](const char* who, const std::map<std::string, ThreadTime>& after,
                     const std::map<std::string, ThreadTime>& before) {
    std::vector<std::tuple<double, double, std::string>> v;
    for (const auto& [name, t] : after) {
      const ThreadTime d = delta(after, before, name);
      if (d.cpu >= 0.005 || d.wait >= 0.005) v.emplace_back(d.cpu, d.wait, name);
    }
    std::sort(v.rbegin(), v.rend());
    fmt::print("  {} threads (on a CPU / waiting for one):\n   ", who);
    int n = 0;
    for (const auto& [cpu, wait, name] : v) {
      fmt::print(" {} {:.2f}/{:.2f}", name, cpu, wait);
      if (++n % 5 == 0 && n < static_cast<int>(v.size())) fmt::print("\n   ");
    }
    fmt::print("\n");
  };
  threads("hub", a.hub_threads, b.hub_threads);
  double writer_us = 0;
  if (a.hub_threads.count("dh-writer")) {
    const ThreadTime w = delta(a.hub_threads, b.hub_threads, "dh-writer");
    fmt::print(
        "  writer thread: on a CPU {:.0f}% of the window, waiting for a CPU {:.0f}%, off CPU "
        "(no work, or a lock) {:.0f}%\n",
        100 * w.cpu, 100 * w.wait, 100 * std::max(0.0, 1 - w.cpu - w.wait));
    if (lifecycles_per_s > 0 && w.cpu > 0) {
      writer_us = 1e6 * w.cpu / lifecycles_per_s;
      fmt::print(
          "  writer CPU per lifecycle {:.0f} µs at {:.0f} operations per commit: at that cost "
          "a writer with a core to itself would top out near {:.0f} lifecycles/s\n",
          writer_us, in.batches.Mean(), 1e6 / writer_us);
    }
  }
  threads("bench", a.self_threads, b.self_threads);
  if (self > 0.8) {
    fmt::print(
        "  NOTE: the bench process used {:.2f} cores: the simulators and the load share "
        "the machine with the hub and hold the figure down\n",
        self);
  }
  return writer_us;
}

// What the warehouse simulators manage on their own.
struct SimCeiling {
  int64_t fulfillments = 0;    // acknowledged and shipped
  double per_s = 0;            // fulfillments per second
  double cpu_us = 0;           // wh-sim threads' CPU per fulfillment
  double stand_in_cpu_us = 0;  // the stand-in hub's CPU per fulfillment (not the sims')
};

// The bench's warehouse simulators for one location (opt.wms_shards sims of
// opt.wms_workers threads, the same delays) against a stand-in hub that answers every
// call 200 at once: how many releases they take to shipped per second (an acknowledgement
// and a shipment each), and their CPU. Run after the hub's run, on the same machine.
SimCeiling RunSimCeiling(const Options& opt, int64_t releases) {
  PartnerSimOptions o;
  o.io_threads = 1;
  o.record_headers = {};
  o.record_bodies = false;
  o.max_messages = 0;
  o.handler = [](const PartnerRequest&) -> std::optional<PartnerReply> {
    return PartnerReply{.status = 200, .body = R"({"outcome":"applied"})"};
  };
  NameThisThread("ps-standin");
  auto stand_in = StartPartnerSim(o);
  NameThisThread("lc-main");
  if (!stand_in.ok()) return {};
  std::vector<std::unique_ptr<WarehouseSim>> shards;
  for (int i = 0; i < opt.wms_shards; ++i) {
    WarehouseOptions w;
    w.hub_url = (*stand_in)->url();
    w.api_key = kWmsKey;
    w.location = "wh-east";
    w.ack_delay_ms = opt.ack_delay_ms;
    w.ship_delay_ms = opt.ship_delay_ms;
    w.worker_threads = opt.wms_workers;
    auto sim = WarehouseSim::Start(w);
    if (!sim.ok()) return {};
    shards.push_back(*std::move(sim));
  }
  const auto before = ThreadTimes(getpid(), true);
  const auto start = Steady::now();
  for (int64_t i = 0; i < releases; ++i) {
    PartnerMessage m;
    m.seq = static_cast<uint64_t>(i + 1);
    m.key = fmt::format("dh-wms-east-{}", i);
    m.method = "POST";
    m.path = "/wms";
    m.received_at = absl::Now();
    m.body = fmt::format(
        R"({{"seq":{0},"type":"fulfillment.release.wh-east","subject":"ord_{0}","payload":)"
        R"({{"fulfillment_id":"ful_{0}","order_id":"ord_{0}","channel":"dtc-web",)"
        R"("channel_ref":"LC-{0}","location":"wh-east","attempt":1,"lines":[{{"line":1,)"
        R"("sku":"HS-10001","quantity":2}},{{"line":2,"sku":"HS-10002","quantity":1}}]}}}})",
        i);
    shards[static_cast<size_t>(i) % shards.size()]->OnMessage(m);
  }
  int64_t shipped = 0;
  const auto give_up = start + std::chrono::seconds(60);
  while (Steady::now() < give_up) {
    shipped = 0;
    for (const auto& sim : shards) shipped += sim->Stats().shipments_sent;
    if (shipped >= releases) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double elapsed = Seconds(Steady::now() - start);
  const auto after = ThreadTimes(getpid(), true);
  for (auto& sim : shards) sim->Stop();
  (*stand_in)->Stop();
  auto cpu = [&](const std::string& name) {
    auto a = after.find(name), b = before.find(name);
    return (a == after.end() ? 0 : a->second.cpu) - (b == before.end() ? 0 : b->second.cpu);
  };
  SimCeiling c;
  c.fulfillments = shipped;
  if (shipped > 0) {
    c.per_s = static_cast<double>(shipped) / elapsed;
    c.cpu_us = 1e6 * cpu("wh-sim") / static_cast<double>(shipped);
    c.stand_in_cpu_us = 1e6 * cpu("ps-standin") / static_cast<double>(shipped);
  }
  return c;
}

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  using namespace disthub;
  NameThisThread("lc-main");
  spdlog::set_level(spdlog::level::err);  // the simulators' warnings would drown the figures
  const Options opt = ParseOptions(argc, argv);
  // Threads inherit their creator's nice value: set it before any starts. The partners'
  // stand-ins would be other machines; here they yield the CPU to the hub.
  errno = 0;
  const int hub_nice = getpriority(PRIO_PROCESS, 0);
  if (errno != 0 || setpriority(PRIO_PROCESS, 0, std::max(hub_nice, opt.bench_nice)) != 0) {
    fmt::print(stderr, "lifecycle-bench: cannot set the nice value: {}\n", std::strerror(errno));
  }
  const std::vector<ScenarioProduct> products = LoadProducts(opt.products, opt.skus);
  if (products.size() < 3) {
    fmt::print(stderr, "lifecycle-bench: too few products in {}\n", opt.products);
    return 1;
  }
  char tmpl[] = "/tmp/disthub-lcbench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;

  // The partners listen first: the hub's configuration names them.
  Tracker tracker;
  auto channel = StartPartner("ps-channel", [&](const PartnerMessage& m) {
    std::optional<Delivered> d = ReadDelivered(m.body);
    if (!d) return tracker.Unknown();
    tracker.Status(Str(d->payload, "channel_ref"), Str(d->payload, "status"));
  });
  auto erp = StartPartner("ps-erp", [&](const PartnerMessage& m) {
    std::optional<Delivered> d = ReadDelivered(m.body);
    if (!d || d->type != "invoice.posted") return tracker.Unknown();
    tracker.Invoice(Str(d->payload, "channel_ref"));
  });
  Warehouse east("wh-east", &tracker), west("wh-west", &tracker);
  std::ofstream(dir + "/hub.yaml")
      << Config(opt, dir + "/data", east.url(), west.url(), erp->url(), channel->url());
  auto hub =
      HubChild::Start(opt.disthub, dir + "/hub.yaml", dir + "/hub.log", opt.hub_env, hub_nice);
  if (!hub) {
    fmt::print(stderr, "lifecycle-bench: {} did not start; see {}/hub.log\n", opt.disthub, dir);
    return 1;
  }
  east.Join(hub->url(), opt);
  west.Join(hub->url(), opt);
  HttpClient admin(hub->url(), 30);

  fmt::print("disthub lifecycle benchmark: {} cores, load average {}, synchronous={}, {}\n",
             std::thread::hardware_concurrency(), LoadAverage(), opt.synchronous,
             opt.rate > 0 ? fmt::format("offered {:.0f} orders/s over {} connections", opt.rate,
                                        opt.connections)
                          : fmt::format("closed loop: {} lifecycles open, {} connections",
                                        opt.in_flight, opt.connections));
  fmt::print(
      "  warehouses: 2 locations x {} sims x {} callback threads, ack {} ms, ship {} ms; "
      "{} SKUs; orders of 1-3 lines; delivery concurrency {} per subscriber\n",
      opt.wms_shards, opt.wms_workers, opt.ack_delay_ms, opt.ship_delay_ms, products.size(),
      opt.delivery_concurrency);
  fmt::print(
      "  hub pid {} at nice {}, bench threads at nice {}; {} (store, configuration and "
      "log in {})\n\n",
      hub->pid(), getpriority(PRIO_PROCESS, static_cast<id_t>(hub->pid())),
      getpriority(PRIO_PROCESS, 0), hub->url(), dir);
  std::fflush(stdout);

  // The empty handler first, before the store holds anything.
  const double http_ceiling = opt.http_ceiling_seconds > 0
                                  ? HttpCeiling(opt.load, hub->url(), opt.http_ceiling_seconds)
                                  : 0;
  if (!LoadStock(admin, products)) return 1;
  const LoadRun run = RunLoad(opt, *hub, tracker, products);
  // Every accepted order gets until the deadline after the last send.
  tracker.WaitAllDone(run.sent_end + Dur(opt.deadline));
  const auto drained = Steady::now();
  const double peak_mib = hub->PeakMiB();

  std::vector<std::string> refs;
  const std::vector<Life> lives = tracker.Lives(&refs);
  const Figures f = Summarize(lives, run, opt.deadline);
  PrintLifecycles(opt, f, run, lives, refs, admin);
  if (tracker.unknown() > 0) fmt::print("  messages for unknown orders: {}\n", tracker.unknown());
  fmt::print("  drained {:.1f} s after the last order was sent\n", Seconds(drained - run.sent_end));
  PrintWarehouse(east);
  PrintWarehouse(west);
  const Internals in = PrintInternals(run, f.lifecycles_per_s);
  const double writer_us = PrintCpu(run, in, f.lifecycles_per_s);

  // The ceilings, with the hub and the simulators stopped.
  hub->Stop();
  east.Stop();
  west.Stop();
  channel->Stop();
  erp->Stop();
  fmt::print("\nCeilings (same machine, same run)\n");
  const absl::StatusOr<LifecycleWrites> writes = CountLifecycleWrites(dir + "/data/disthub.db");
  LifecycleCeiling ceiling;
  if (!writes.ok()) {
    fmt::print("  store counts: {}\n", writes.status().ToString());
  } else {
    fmt::print("  one lifecycle writes {:.1f} rows (averaged over {} completed orders):\n    {}\n",
               writes->Rows(), writes->lifecycles, writes->Describe());
    ceiling = RawLifecycleCeiling(dir + "/ceiling", *writes, opt.ceiling_batch, opt.ceiling_seconds,
                                  opt.synchronous == "normal");
    fmt::print(
        "  SQLite alone writing those rows, {} lifecycles per transaction, "
        "synchronous={}: {:.0f} lifecycles/s ({:.0f} rows/s, {:.0f} commits/s; on a CPU "
        "{:.0f}% of the time, {:.0f} µs of CPU per lifecycle)\n",
        opt.ceiling_batch, opt.synchronous, ceiling.lifecycles_per_s, ceiling.rows_per_s,
        ceiling.commits_per_s, 100 * ceiling.cpu_share, ceiling.cpu_us_per_lifecycle);
    fmt::print(
        "  hub: {:.0f} lifecycles/s = {:.1f}% of the SQLite ceiling\n", f.lifecycles_per_s,
        ceiling.lifecycles_per_s > 0 ? 100 * f.lifecycles_per_s / ceiling.lifecycles_per_s : 0);
    if (writer_us > 0 && ceiling.cpu_us_per_lifecycle > 0) {
      fmt::print(
          "  the hub's writer thread spends {:.1f}x the CPU SQLite alone needs for the "
          "same rows\n",
          writer_us / ceiling.cpu_us_per_lifecycle);
    }
  }
  if (http_ceiling > 0) {
    // A lifecycle sends the hub three requests: the order, the acknowledgement, the shipment.
    fmt::print(
        "  empty handler (GET /healthz, 64 connections): {:.0f} requests/s, {:.0f} "
        "lifecycles/s at 3 requests each; hub at {:.1f}% of that\n",
        http_ceiling, http_ceiling / 3, 100 * f.lifecycles_per_s / (http_ceiling / 3));
  }
  const SimCeiling sims = RunSimCeiling(opt, opt.quick ? 1000 : 4000);
  fmt::print(
      "  warehouse simulators alone (one location's {} sims x {} threads, stand-in hub "
      "answering at once): {:.0f} fulfillments/s (2 calls each), {:.0f} µs of their CPU "
      "per fulfillment (+{:.0f} µs in the stand-in hub)\n",
      opt.wms_shards, opt.wms_workers, sims.per_s, sims.cpu_us, sims.stand_in_cpu_us);
  fmt::print("  target 1,000 lifecycles/s: {}; peak hub RSS {:.0f} MiB\n",
             f.lifecycles_per_s >= 1000 ? "met" : "NOT met", peak_mib);

  if (!opt.json_out.empty()) {
    const double span = Seconds(run.to.at - run.from.at);
    json::object threads;
    for (const auto& [name, t] : run.to.hub_threads) {
      auto it = run.from.hub_threads.find(name);
      threads[name] = (t.cpu - (it == run.from.hub_threads.end() ? 0 : it->second.cpu)) / span;
    }
    std::ofstream(opt.json_out) << json::serialize(
        json::object{{"mode", opt.rate > 0 ? "paced" : "closed"},
                     {"rate", opt.rate},
                     {"in_flight", opt.in_flight},
                     {"synchronous", opt.synchronous},
                     {"lifecycles_per_s", f.lifecycles_per_s},
                     {"latency_ms", json::object{{"p50", f.latency.p50},
                                                 {"p90", f.latency.p90},
                                                 {"p99", f.latency.p99},
                                                 {"max", f.latency.max}}},
                     {"not_complete", static_cast<int64_t>(f.failed.size())},
                     {"rows_per_lifecycle", writes.ok() ? writes->Rows() : 0.0},
                     {"ceiling_lifecycles_per_s", ceiling.lifecycles_per_s},
                     {"ceiling_cpu_us_per_lifecycle", ceiling.cpu_us_per_lifecycle},
                     {"http_ceiling_rps", http_ceiling},
                     {"sim_fulfillments_per_s", sims.per_s},
                     {"sim_cpu_us_per_fulfillment", sims.cpu_us},
                     {"hub_cores", (run.to.hub_cpu - run.from.hub_cpu) / span},
                     {"bench_cores", (run.to.self_cpu - run.from.self_cpu) / span},
                     {"hub_thread_cores", std::move(threads)},
                     {"writer_cpu_us_per_lifecycle", writer_us},
                     {"commit_mean_ms", in.commits.Mean() * 1e3},
                     {"operations_per_commit", in.batches.Mean()},
                     {"peak_rss_mib", peak_mib}});
  }
  if (opt.keep) {
    fmt::print("  kept {}\n", dir);
  } else {
    std::filesystem::remove_all(dir);
  }
  return f.failed.empty() ? 0 : 2;
}
