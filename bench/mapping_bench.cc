// disthub-mapping-bench: partner payload → canonical order on one core, beside the
// ceiling for the same bytes (boost::json parsing them, which any mapping must do first),
// so the figures are ratios that hold on a noisy machine.
//
//   build/bench/disthub-mapping-bench [--seconds 2] [--fixtures ../shared/fixtures] [--only TEXT]
//
// Steps per payload: parse (the ceiling, into an arena reset per payload); Apply alone on a
// tree parsed once; parse + Apply (the canonical JSON); parse + MapOrder (Apply, then the
// model's decoding and checks: what intake would run).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/files.h"
#include "fmt/format.h"
#include "mapping/mapping.h"

namespace disthub {
namespace {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;

// Runs `step` for `seconds` on this thread; returns calls per second.
double Rate(double seconds, const std::function<void()>& step) {
  const auto end = Steady::now() + std::chrono::duration<double>(seconds);
  int64_t n = 0;
  const auto start = Steady::now();
  while (Steady::now() < end) {
    for (int i = 0; i < 64; ++i) step();
    n += 64;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Steady::now() - start).count();
}

struct Payload {
  std::string name;
  std::string mapping;
  std::string bytes;
};

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  using namespace disthub;
  CLI::App app{
      "Mapping throughput: partner payloads to canonical orders on one core, beside the JSON parse "
      "ceiling."};
  double seconds = 2;
  std::string source = DISTHUB_SOURCE_DIR;
  std::string fixtures = source + "/../shared/fixtures";
  app.add_option("--seconds", seconds, "Measured seconds per step")->capture_default_str();
  app.add_option("--fixtures", fixtures, "The published fixtures (../shared/fixtures)")
      ->capture_default_str();
  std::string only;
  app.add_option("--only", only, "Measure only the payloads whose name contains this text");
  CLI11_PARSE(app, argc, argv);

  std::vector<Payload> payloads;
  auto add = [&](const std::string& name, const std::string& mapping, const std::string& file) {
    if (name.find(only) == std::string::npos) return;
    absl::StatusOr<std::string> bytes = ReadFile(file);
    if (!bytes.ok()) {
      fmt::print("  ({}: skipped, {})\n", name, std::string(bytes.status().message()));
      return;
    }
    payloads.push_back({name, mapping, *std::move(bytes)});
  };
  fmt::print("disthub mapping benchmark: one thread, {} s per step\n\n", seconds);
  add("shopify webhook (mappings/testdata)", "shopify-order.yaml",
      source + "/mappings/testdata/shopify-order.json");
  add("shopify order #1001 (fixtures)", "shopify-order.yaml",
      fixtures + "/shopify/rbapi_order.json");
  add("amazon order + items (testdata)", "amazon-order.yaml",
      source + "/mappings/testdata/amazon-order.json");
  add("walmart order (testdata)", "walmart-order.yaml",
      source + "/mappings/testdata/walmart-order.json");
  add("bigcommerce order (testdata)", "bigcommerce-order.yaml",
      source + "/mappings/testdata/bigcommerce-order.json");
  add("shipstation order (testdata)", "shipstation-order.yaml",
      source + "/mappings/testdata/shipstation-order.json");

  fmt::print("{:<38} {:>6} {:>10} {:>10} {:>10} {:>6} {:>10} {:>6}\n", "payload", "bytes",
             "parse/s", "apply/s", "both/s", "ratio", "+checks/s", "ratio");
  for (const Payload& p : payloads) {
    absl::StatusOr<mapping::Mapping> m = mapping::Mapping::Load(source + "/mappings/" + p.mapping);
    if (!m.ok()) {
      fmt::print(stderr, "{}\n", std::string(m.status().message()));
      return 1;
    }
    const mapping::MappingContext context{.vars = {{"channel", "bench"}}};
    size_t sink = 0;
    // Payloads are parsed into an arena that is reset for each, as a connector would:
    // no allocation per node and nothing to free node by node.
    std::vector<unsigned char> arena(256 * 1024);
    const double parse = Rate(seconds, [&] {
      json::monotonic_resource mr(arena.data(), arena.size());
      sink += json::parse(p.bytes, &mr).is_object();
    });
    const double apply = Rate(seconds, [&] {
      json::monotonic_resource mr(arena.data(), arena.size());
      sink += m->Apply(json::parse(p.bytes, &mr), context).document.as_object().size();
    });
    const json::value parsed = json::parse(p.bytes);
    const double apply_only =
        Rate(seconds, [&] { sink += m->Apply(parsed, context).errors.size(); });
    const double checked = Rate(seconds, [&] {
      json::monotonic_resource mr(arena.data(), arena.size());
      sink += mapping::MapOrder(*m, json::parse(p.bytes, &mr), context).errors.size();
    });
    fmt::print("{:<38} {:>6} {:>10.0f} {:>10.0f} {:>10.0f} {:>5.0f}% {:>10.0f} {:>5.0f}%\n", p.name,
               p.bytes.size(), parse, apply_only, apply, 100 * apply / parse, checked,
               100 * checked / parse);
    if (sink == 42) std::puts("");  // keeps the work observable
  }
  fmt::print(
      "\n(per second on one core. parse: the bytes into a JSON tree (an arena, reset per "
      "payload), the ceiling;\n apply: the mapping on a tree parsed once; both: parse + apply; "
      "+checks: parse + MapOrder, which\n also decodes and checks the order as intake does; "
      "ratio: over parse alone. Target: 50,000 orders/s mapped per core)\n");
  return 0;
}
