// disthub-codec-bench: the JSON codec steps of the HTTP intake path on the realistic 2 KB,
// 5-line order (model/test_entities.h), beside the machine's ceiling for the same bytes:
// boost::json parsing the document into a tree and serializing that tree back to text, which
// no typed codec can beat by much. The summary prints each step as a share of that ceiling so
// the figures hold on a noisy machine.
//
//   build/bench/disthub-codec-bench                  # all steps, then the summary
//   build/bench/disthub-codec-bench --benchmark_filter=Decode
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/json.h"
#include "model/test_entities.h"
#include "model/validate.h"

namespace disthub {
namespace {

namespace json = boost::json;

json::value ParsedOrder() {
  return json::parse(
      json::string_view(test::kRealisticOrderJson.data(), test::kRealisticOrderJson.size()));
}

// The decoded order as the intake path serializes it: with id, status and received_at set.
Order StoredOrder() {
  Decoded<Order> decoded = DecodeOrder(ParsedOrder());
  if (!decoded.ok()) {
    std::fprintf(stderr, "codec-bench: the realistic order does not decode\n");
    std::exit(1);
  }
  Order order = *std::move(decoded.value);
  order.id = "ord_01JDQ3Z7R8X9ABCDEFGHJKMNPQ";
  order.status = OrderStatus::kAccepted;
  order.received_at = test::At(1795727408456);
  return order;
}

void SetBytes(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(test::kRealisticOrderJson.size()));
}

// Ceiling: boost::json alone, parse into an arena and serialize back.
void BM_CeilingParseAndSerialize(benchmark::State& state) {
  const std::string_view text = test::kRealisticOrderJson;
  unsigned char scratch[16 * 1024];
  for (auto _ : state) {
    json::monotonic_resource arena(scratch, sizeof scratch);
    json::value v = json::parse(json::string_view(text.data(), text.size()), &arena);
    std::string out = json::serialize(v);
    benchmark::DoNotOptimize(out);
  }
  SetBytes(state);
}

void BM_Parse(benchmark::State& state) {
  const std::string_view text = test::kRealisticOrderJson;
  unsigned char scratch[16 * 1024];
  for (auto _ : state) {
    json::monotonic_resource arena(scratch, sizeof scratch);
    json::value v = json::parse(json::string_view(text.data(), text.size()), &arena);
    benchmark::DoNotOptimize(v);
  }
  SetBytes(state);
}

void BM_Decode(benchmark::State& state) {
  const json::value parsed = ParsedOrder();
  for (auto _ : state) {
    Decoded<Order> d = DecodeOrder(parsed);
    benchmark::DoNotOptimize(d);
  }
}

void BM_Validate(benchmark::State& state) {
  const Order order = StoredOrder();
  for (auto _ : state) {
    std::vector<FieldError> errors = ValidateOrder(order);
    benchmark::DoNotOptimize(errors);
  }
}

void BM_Serialize(benchmark::State& state) {
  const Order order = StoredOrder();
  for (auto _ : state) {
    std::string s = SerializeOrder(order);
    benchmark::DoNotOptimize(s);
  }
}

// What the intake path does per order: parse, decode, validate, serialize for storage.
void BM_IntakeCodecPath(benchmark::State& state) {
  const std::string_view text = test::kRealisticOrderJson;
  unsigned char scratch[16 * 1024];
  for (auto _ : state) {
    json::monotonic_resource arena(scratch, sizeof scratch);
    json::value v = json::parse(json::string_view(text.data(), text.size()), &arena);
    Decoded<Order> d = DecodeOrder(v);
    std::vector<FieldError> errors = ValidateOrder(*d.value);
    std::string s = SerializeOrder(*d.value);
    benchmark::DoNotOptimize(errors);
    benchmark::DoNotOptimize(s);
  }
  SetBytes(state);
}

BENCHMARK(BM_CeilingParseAndSerialize);
BENCHMARK(BM_Parse);
BENCHMARK(BM_Decode);
BENCHMARK(BM_Validate);
BENCHMARK(BM_Serialize);
BENCHMARK(BM_IntakeCodecPath);

// Collects each run's CPU time per iteration for the summary, while printing as usual.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.iterations == 0) continue;
      nanos_[run.benchmark_name()] = run.GetAdjustedCPUTime();  // in the run's time unit (ns)
    }
  }

  void PrintSummary() const {
    const auto ceiling = nanos_.find("BM_CeilingParseAndSerialize");
    if (ceiling == nanos_.end()) return;
    std::printf("\nPer 2 KB order, beside the ceiling (boost::json parse+serialize = %.2f us):\n",
                ceiling->second / 1000);
    for (const auto& [name, nanos] : nanos_) {
      if (name == ceiling->first) continue;
      std::printf("  %-22s %7.2f us  %5.2fx the ceiling  (%.0f orders/s on one core)\n",
                  name.c_str() + 3, nanos / 1000, nanos / ceiling->second, 1e9 / nanos);
    }
  }

 private:
  std::map<std::string, double> nanos_;
};

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  disthub::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
