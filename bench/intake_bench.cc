// disthub-intake-bench: the intake benchmark of issue #2, in one run.
//
// For each connection count it measures, back to back on the same disk:
//   1. the raw ceiling: the same rows the hub writes per order (order, idempotency key,
//      order.received event, inbound archive row; same schema, same pragmas, the documents
//      packed as the store packs them) inserted by a minimal single-threaded program with
//      the SQLite C API in batches of that many orders, one fsynced transaction per batch.
//      It runs twice: with the documents packed before the clock starts (SQLite alone: the
//      hub packs on its I/O threads, the ratio is to this one), and packing each in its
//      loop as the store's writer does for a document that comes without its packed form;
//   2. the hub: the real `disthub serve` on a fresh store, driven by `disthub-load`
//      posting ~2 KB orders over keep-alive connections (load generator on the same cores).
// and then the HTTP+JSON layer alone: the hub rejecting valid-JSON orders before any
// write, beside an empty handler (GET /healthz) as that layer's ceiling.
// Results are printed as ratios so they hold on a noisy machine.
//
//   disthub-intake-bench [--duration 10] [--connections 16,64] [--json results.json]
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "base/ids.h"
#include "fmt/core.h"
#include "load/order_gen.h"
#include "sqlite_ceiling.h"
#include "store/sqlite/sqlite_migrations.h"

namespace disthub {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr char kKey[] = "bench-key-0123456789abcdef";
constexpr char kShopifySecret[] = "shpss_bench_0123456789";

// A running `disthub serve` on a fresh store.
class Server {
 public:
  Server(const std::string& binary, const std::string& config, const std::string& data_dir) {
    std::filesystem::remove_all(data_dir);
    int out[2];
    if (pipe(out) != 0) std::exit(1);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      // The server's log goes to a file beside its store, not into the figures.
      const std::string log = data_dir + ".log";
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) dup2(err, 2);
      setenv("BENCH_KEY", kKey, 1);
      setenv("BENCH_SHOPIFY_SECRET", kShopifySecret, 1);
      execl(binary.c_str(), binary.c_str(), "serve", "--config", config.c_str(), "--data-dir",
            data_dir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(out[0]);
    if (line.rfind("disthub listening on ", 0) != 0) {
      fmt::print(stderr, "bench: {} did not start\n", binary);
      std::exit(1);
    }
    url_ = line.substr(21);
  }
  ~Server() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  const std::string& url() const { return url_; }
  // Peak resident memory so far, in MiB.
  double PeakMiB() const {
    std::ifstream in(fmt::format("/proc/{}/status", pid_));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024;
    }
    return 0;
  }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

json::object Load(const std::string& load, const std::string& url, const std::string& mode,
                  int connections, double seconds) {
  std::string cmd = fmt::format(
      "{} --url {} --mode {} --connections {} --duration {} --warmup 1 --json "
      "--header 'Authorization: Bearer {}' --header 'Content-Type: application/json'{}",
      load, url, mode, connections, seconds, kKey,
      mode == "shopify-webhook" ? fmt::format(" --webhook-secret {}", kShopifySecret) : "");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (pclose(p) != 0) {
    fmt::print(stderr, "bench: {} failed:\n{}\n", cmd, out);
    std::exit(1);
  }
  return json::parse(out).as_object();
}

double Num(const json::value& v) { return v.is_double() ? v.as_double() : static_cast<double>(v.as_int64()); }

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  using namespace disthub;
  std::string self_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
  std::string binary = self_dir + "/../src/app/disthub";
  std::string load = self_dir + "/disthub-load";
  double duration = 10, ceiling_seconds = 5;
  std::vector<int> connections = {16, 64};
  std::string json_out;
  std::string mappings = DISTHUB_SOURCE_DIR "/mappings";
  CLI::App app{"The intake benchmark: hub throughput and latency beside the raw SQLite ceiling."};
  app.add_option("--disthub", binary, "The disthub binary")->capture_default_str();
  app.add_option("--load", load, "The disthub-load binary")->capture_default_str();
  app.add_option("--duration", duration, "Measured seconds per hub run")->capture_default_str();
  app.add_option("--ceiling-seconds", ceiling_seconds, "Seconds per raw ceiling run")->capture_default_str();
  app.add_option("--connections", connections, "Connection counts to run")->delimiter(',');
  app.add_option("--json", json_out, "Also write the results as JSON to this file");
  app.add_option("--mappings", mappings, "The built-in mappings (shopify-order.yaml)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  char tmpl[] = "/tmp/disthub-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  std::string dir = tmpl;
  // Every SKU the load generator orders, sold by the case of 12.
  {
    std::ofstream csv(dir + "/products.csv");
    csv << "sku,description,case_qty,weight_grams\n";
    for (int i = 0; i < 2000; ++i) csv << "HS-" << 10001 + i << ",Bench product " << i << ",12,100\n";
  }
  std::ofstream(dir + "/bench.yaml") << R"(server:
  listen: 127.0.0.1:0
  io_threads: 2
store:
  synchronous: full
catalog:
  products_file: products.csv
channels:
  - {name: b2b-portal}
  - {name: dtc-web}
  - {name: marketplace-a}
  - {name: marketplace-b}
  - {name: edi-retail}
  - name: shopify-store
    webhook: {mapping: )" + mappings + R"(/shopify-order.yaml, signature: shopify,
              secret_env: BENCH_SHOPIFY_SECRET}
partners:
  - name: loadgen
    scopes: [orders:write, orders:read]
    api_keys: [{id: bench, key_env: BENCH_KEY}]
)";
  std::vector<std::string> bodies = MakeOrderTemplates(4096, 7);
  double avg = 0;
  for (const auto& b : bodies) avg += static_cast<double>(b.size());
  avg /= static_cast<double>(bodies.size());

  fmt::print("disthub intake benchmark: {} cores, orders of {:.0f} bytes on average, "
             "synchronous=full (fsync per commit)\n\n", std::thread::hardware_concurrency(), avg);
  // Two ceilings: "SQLite alone" writes the rows with the documents packed before the
  // clock starts (the hub packs them on its I/O threads, not on the writer); "+ packing"
  // also packs each document in its loop, as the store's writer does for a document that
  // comes without its packed form.
  fmt::print("{:>5}  {:>13}  {:>10}  {:>12}  {:>6}  {:>10}  {:>7}  {:>7}  {:>7}  {:>8}\n", "conns",
             "SQLite alone", "+ packing", "hub orders/s", "ratio", "(+packing)", "p50 ms", "p99 ms",
             "p999 ms", "peak MiB");
  json::array runs;
  for (int c : connections) {
    double ceiling = RawCeiling(dir + "/ceiling", c, ceiling_seconds, bodies);
    double prepacked = RawCeiling(dir + "/ceiling", c, ceiling_seconds, bodies,
                                  /*with_archive=*/true, Packing::kBeforehand);
    Server server(binary, dir + "/bench.yaml", dir + "/data");
    json::object r = Load(load, server.url() + "/v1/orders", "orders", c, duration);
    double rps = Num(r["throughput_rps"]);
    const auto& lat = r["latency_ms"].as_object();
    double peak = server.PeakMiB();
    fmt::print(
        "{:>5}  {:>13.0f}  {:>10.0f}  {:>12.0f}  {:>5.0f}%  {:>9.0f}%  {:>7.2f}  {:>7.2f}  {:>7.2f}  "
        "{:>8.1f}\n",
        c, prepacked, ceiling, rps, 100 * rps / prepacked, 100 * rps / ceiling, Num(lat.at("p50")),
        Num(lat.at("p99")), Num(lat.at("p999")), peak);
    int64_t ok = 0;
    if (auto* s = r["status"].as_object().if_contains("201")) ok = s->as_int64();
    if (ok != Num(r["responses"])) {
      fmt::print("       ({} of {} responses were not 201: {})\n", Num(r["responses"]) - ok,
                 Num(r["responses"]), json::serialize(r["status"]));
    }
    runs.push_back(json::object{{"connections", c},
                                {"ceiling_orders_per_s", prepacked},
                                {"ceiling_packing_orders_per_s", ceiling},
                                {"orders_per_s", rps},
                                {"ratio", rps / prepacked},
                                {"ratio_packing", rps / ceiling},
                                {"latency_ms", lat}, {"peak_rss_mib", peak},
                                {"load_cpu_pct", r["cpu_pct"]}});
  }

  // Signed Shopify webhooks: signature, mapping and the model's checks before the same
  // intake, beside canonical orders at the same connection count.
  double webhook_rps = 0, canonical_rps = 0;
  json::object webhook;
  {
    Server canonical_server(binary, dir + "/bench.yaml", dir + "/data");
    canonical_rps =
        Num(Load(load, canonical_server.url() + "/v1/orders", "orders", 64, duration)["throughput_rps"]);
  }
  {
    Server webhook_server(binary, dir + "/bench.yaml", dir + "/data");
    webhook = Load(load, webhook_server.url() + "/v1/webhooks/shopify-store", "shopify-webhook", 64,
                   duration);
    webhook_rps = Num(webhook["throughput_rps"]);
  }
  int64_t created = 0;
  if (auto* s = webhook["status"].as_object().if_contains("201")) created = s->as_int64();
  fmt::print("\nSigned Shopify webhooks at 64 connections (HMAC, mapping, checks, then intake):\n");
  fmt::print("  canonical orders (POST /v1/orders)        {:>8.0f} orders/s\n", canonical_rps);
  fmt::print("  Shopify webhooks (POST /v1/webhooks/...)  {:>8.0f} orders/s  ({:.0f}% of canonical; "
             "p50 {:.2f} ms, p99 {:.2f} ms; {} of {} answered 201)\n",
             webhook_rps, 100 * webhook_rps / canonical_rps,
             Num(webhook["latency_ms"].at("p50")), Num(webhook["latency_ms"].at("p99")), created,
             Num(webhook["responses"]));

  Server server(binary, dir + "/bench.yaml", dir + "/data");
  json::object empty = Load(load, server.url() + "/healthz", "get", 64, duration / 2);
  json::object rejected = Load(load, server.url() + "/v1/orders", "invalid", 64, duration);
  double empty_rps = Num(empty["throughput_rps"]), rejected_rps = Num(rejected["throughput_rps"]);
  fmt::print("\nHTTP+JSON layer at 64 connections (no writes):\n");
  fmt::print("  empty handler (GET /healthz)            {:>8.0f} requests/s\n", empty_rps);
  fmt::print("  2 KB orders parsed, validated, refused  {:>8.0f} requests/s  ({:.0f}% of the empty "
             "handler; p99 {:.2f} ms)\n", rejected_rps, 100 * rejected_rps / empty_rps,
             Num(rejected["latency_ms"].at("p99")));

  if (!json_out.empty()) {
    std::ofstream(json_out) << json::serialize(json::object{
        {"intake", runs}, {"empty_handler_rps", empty_rps}, {"rejected_rps", rejected_rps},
        {"webhook_rps", webhook_rps}, {"webhook_canonical_rps", canonical_rps},
        {"rejected_latency_ms", rejected["latency_ms"]}});
  }
  std::filesystem::remove_all(dir);
  return 0;
}
