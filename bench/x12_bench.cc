// disthub-x12-bench: X12 reading on one core in MB/s and documents/s, on the published
// fixtures and on generated interchanges from one small purchase order to hundreds of
// thousands of line items, beside the ceiling for the same bytes: one pass that finds every
// segment terminator (memchr) and counts the element separators, which any reader must do.
// The ratio to it holds on a noisy machine.
//
//   build/bench/disthub-x12-bench [--seconds 1] [--fixtures ../shared/fixtures] [--only TEXT]
//
// Steps per input: the ceiling; X12Reader (segments and elements); ReadX12 with envelopes
// only (check_segments off); ReadX12 with the segment dictionary too (what `disthub edi
// check` runs); that + OrderFrom850 for each purchase order, in documents/s (what intake of
// an 850 file runs before the store).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/files.h"
#include "fmt/format.h"
#include "formats/x12.h"
#include "formats/x12_envelope.h"
#include "mapping/x12_orders.h"

namespace disthub {
namespace {

using Steady = std::chrono::steady_clock;

// Calls `step` for about `seconds` on this thread; returns calls per second.
double Rate(double seconds, const std::function<void()>& step) {
  const auto start = Steady::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  int64_t n = 0;
  int64_t batch = 1;
  while (Steady::now() < end) {
    for (int64_t i = 0; i < batch; ++i) step();
    n += batch;
    if (Steady::now() - start < std::chrono::milliseconds(50)) batch *= 2;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Steady::now() - start).count();
}

// An interchange of `orders` purchase orders of `lines` lines each, as a retailer writes
// them: '~' terminators with line breaks, cases and eaches, UPC and vendor numbers.
std::string Generate(int orders, int lines) {
  std::string out =
      "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DISTHUB        *261127*1000*U*"
      "00401*000000007*0*P*>~\nGS*PO*RETAILER*DISTHUB*20261127*1000*42*X*004010~\n";
  for (int o = 1; o <= orders; ++o) {
    const std::string control = fmt::format("{:04}", o);
    size_t segments = 0;
    auto add = [&](const std::string& s) {
      out += s;
      out += "~\n";
      ++segments;
    };
    add("ST*850*" + control);
    add(fmt::format("BEG*00*SA*PO-{}**20261120", o));
    add("CUR*BY*USD");
    add("REF*DP*038");
    add("DTM*002*20261201");
    add("N1*BY*Harbor Retail*92*HR-1");
    add("N1*ST*Harbor Retail DC 4*92*DC4");
    add("N3*31875 Solon Rd");
    add("N4*Solon*OH*44139*US");
    int64_t quantity = 0;
    for (int l = 1; l <= lines; ++l) {
      const int q = 1 + l % 24;
      quantity += q;
      add(fmt::format("PO1*{}*{}*{}*{}.{:02}**UP*0{:011}*VN*HB-{:05}", l, q, l % 3 ? "EA" : "CA",
                      1 + l % 90, l % 100, 12345678905LL + l, l));
      add(fmt::format("PID*F****Hex bolt, zinc, M{} x {} mm", 4 + l % 12, 10 + l % 90));
    }
    add(fmt::format("CTT*{}*{}", lines, quantity));
    add(fmt::format("SE*{}*{}", segments + 1, control));
  }
  out += fmt::format("GE*{}*42~\nIEA*1*000000007~\n", orders);
  return out;
}

// One interchange file and its delimiters (for the ceiling's scan).
struct Piece {
  std::string bytes;
  char terminator = '~';
  char separator = '*';
};

Piece Delimited(std::string bytes) {
  Piece p{std::move(bytes), '~', '*'};
  formats::X12Reader r(p.bytes);
  formats::X12Segment isa;
  if (r.Next(isa).ok()) {
    p.terminator = r.delimiters().segment;
    p.separator = r.delimiters().element;
  }
  return p;
}

struct Input {
  std::string name;
  std::vector<Piece> pieces;
  size_t documents = 0;  // purchase orders, when `orders`
  bool orders = false;   // every set is an 850
};

// The ceiling: every terminator found and every element separator counted.
size_t Scan(std::string_view bytes, char terminator, char separator) {
  size_t elements = 0;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    const char* t = static_cast<const char*>(std::memchr(p, terminator, end - p));
    const char* stop = t == nullptr ? end : t;
    for (const char* c = p; c < stop; ++c) elements += *c == separator;
    p = stop + 1;
  }
  return elements;
}

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) {
  using namespace disthub;
  CLI::App app{"X12 reading throughput on one core, beside a memchr scan of the same bytes."};
  double seconds = 1;
  std::string fixtures = std::string(DISTHUB_SOURCE_DIR) + "/../shared/fixtures";
  app.add_option("--seconds", seconds, "Measured seconds per step")->capture_default_str();
  app.add_option("--fixtures", fixtures, "The published fixtures (../shared/fixtures)")
      ->capture_default_str();
  std::string only;
  app.add_option("--only", only, "Only the inputs whose name holds this text (for profiling)");
  std::string steps = "reader,envelope,checked,orders";
  app.add_option("--steps", steps,
                 "The steps to time, comma-separated (for profiling one): reader, envelope, "
                 "checked, orders; the ceiling is always timed")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<Input> inputs;
  // The fixtures, one input: every readable published interchange, each read on its own.
  const std::string dir = fixtures + "/x12";
  if (std::filesystem::exists(dir)) {
    Input all{"fixture files", {}, 0, false};
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".edi" && ext != ".EDI") continue;
      absl::StatusOr<std::string> text = ReadFile(entry.path().string());
      if (text.ok() && formats::ReadX12(*text).ok()) all.pieces.push_back(Delimited(*text));
    }
    all.name = fmt::format("{} fixture files", all.pieces.size());
    inputs.push_back(std::move(all));
  } else {
    std::printf("no fixtures at %s: generated inputs only\n", dir.c_str());
  }
  struct Shape {
    const char* name;
    int orders, lines;
  };
  for (Shape s :
       {Shape{"1 PO x 5 lines", 1, 5}, Shape{"100 POs x 20 lines", 100, 20},
        Shape{"1,000 POs x 100 lines", 1000, 100}, Shape{"10 POs x 1,000 lines", 10, 1000},
        Shape{"1 set x 200,000 lines", 1, 200000}}) {
    Input in{s.name, {}, static_cast<size_t>(s.orders), true};
    in.pieces.push_back(Delimited(Generate(s.orders, s.lines)));
    inputs.push_back(std::move(in));
  }

  mapping::X12Dialect dialect;
  dialect.channel = "edi-retail";
  std::printf("MB/s on one core; ratios to the ceiling (a memchr scan of the same bytes)\n");
  std::printf("%-24s %9s %9s %8s %6s %9s %6s %8s %6s %11s\n", "input", "bytes", "ceiling", "reader",
              "", "envelope", "", "checked", "", "850s→orders/s");
  for (const Input& in : inputs) {
    if (!only.empty() && in.name.find(only) == std::string::npos) continue;
    size_t bytes = 0;
    for (const Piece& p : in.pieces) bytes += p.bytes.size();
    auto each = [&](const std::function<void(const Piece&)>& f) {
      for (const Piece& p : in.pieces) f(p);
    };
    size_t sink = 0;
    const double ceiling = Rate(seconds, [&] {
      each([&](const Piece& p) { sink += Scan(p.bytes, p.terminator, p.separator); });
    });
    auto wanted = [&](std::string_view step) { return steps.find(step) != std::string::npos; };
    const double reader = !wanted("reader") ? 0 : Rate(seconds, [&] {
      each([&](const Piece& p) {
        formats::X12Reader r(p.bytes);
        formats::X12Segment s;
        while (true) {
          absl::StatusOr<bool> more = r.Next(s);
          if (!more.ok() || !*more) break;
          sink += s.elements.size();
          r.Recycle();
        }
      });
    });
    const double envelopes = !wanted("envelope") ? 0 : Rate(seconds, [&] {
      each([&](const Piece& p) {
        sink += formats::ReadX12(p.bytes, {}, {.check_segments = false})->size();
      });
    });
    const double checked = !wanted("checked") ? 0 : Rate(seconds, [&] {
      each([&](const Piece& p) { sink += formats::ReadX12(p.bytes)->size(); });
    });
    double translated = 0;
    if (in.orders && wanted("orders")) {
      size_t failed = 0;
      translated = Rate(seconds, [&] {
        each([&](const Piece& p) {
          (void)formats::ReadX12(
              p.bytes, {.set = [&](const formats::X12Interchange&, const formats::X12Group&,
                                   const formats::X12Set&, std::span<const formats::X12Segment> s) {
                failed += !mapping::OrderFrom850(s, dialect).ok();
              }});
        });
      });
      if (failed > 0) std::printf("  (%zu sets did not translate)\n", failed);
    }
    const double mb = static_cast<double>(bytes) / 1e6;
    const std::string docs =
        in.orders ? fmt::format("{:.0f}", translated * static_cast<double>(in.documents)) : "-";
    std::printf("%-24s %9zu %9.0f %8.0f %5.0f%% %9.0f %5.0f%% %8.0f %5.0f%% %11s\n",
                in.name.c_str(), bytes, ceiling * mb, reader * mb, 100 * reader / ceiling,
                envelopes * mb, 100 * envelopes / ceiling, checked * mb, 100 * checked / ceiling,
                docs.c_str());
    if (sink == 42) std::printf(" ");  // keeps the work
  }
  return 0;
}
