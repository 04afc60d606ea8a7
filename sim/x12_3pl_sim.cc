#include "sim/x12_3pl_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "base/files.h"
#include "base/strings.h"
#include "formats/x12_envelope.h"
#include "formats/x12_writer.h"

namespace disthub {

namespace fs = std::filesystem;

// A 945 to send at `due`.
struct X12ThreePlSim::Pending {
  absl::Time due;
  formats::X12OutSet set;
  int64_t units = 0;
};

namespace {

struct OrderLine940 {
  std::string line_no;  // LX01
  int64_t quantity = 0;
  std::string sku;
};

struct Order940 {
  std::string reference;  // W0502
  std::string po;         // W0503
  std::vector<OrderLine940> lines;
};

formats::X12OutSet Advice945(const Order940& order, const std::string& shipment,
                             const std::vector<std::pair<OrderLine940, int64_t>>& lines,
                             absl::Time at) {
  formats::X12OutSet set{.id = "945", .implementation = "", .segments = {}};
  auto& s = set.segments;
  s.push_back({"W06", "N", order.reference, absl::FormatTime("%Y%m%d", at, absl::UTCTimeZone()),
               shipment, "", order.po});
  s.push_back({"W27", "M", "UPSN"});
  s.push_back({"N9", "2I", StrCat("1Z", shipment)});
  int64_t total = 0;
  for (const auto& [line, shipped] : lines) {
    s.push_back({"LX", line.line_no});
    // BP: shipment partial, the rest back ordered to ship later (element 368).
    s.push_back({"W12", shipped < line.quantity ? "BP" : "CC", std::to_string(line.quantity),
                 std::to_string(shipped), std::to_string(line.quantity - shipped), "EA", "", "VN",
                 line.sku});
    total += shipped;
  }
  s.push_back({"W03", std::to_string(total)});
  return set;
}

// A shipment id from the shipping order's reference: its last characters and a suffix.
std::string ShipmentId(const std::string& reference, int n) {
  return StrCat(reference.substr(reference.size() > 8 ? reference.size() - 8 : 0), "-", n);
}

}  // namespace

absl::StatusOr<std::unique_ptr<X12ThreePlSim>> X12ThreePlSim::Start(X12ThreePlOptions options) {
  std::error_code ec;
  for (const fs::path& dir : {options.from_hub, options.to_hub}) {
    fs::create_directories(dir, ec);
    if (ec) return absl::FailedPreconditionError(StrCat("cannot create ", dir.string()));
  }
  fs::create_directories(options.from_hub / "taken", ec);
  std::unique_ptr<X12ThreePlSim> sim(new X12ThreePlSim(std::move(options)));
  sim->worker_ = std::thread([s = sim.get()] { s->Run(); });
  return sim;
}

X12ThreePlSim::~X12ThreePlSim() { Stop(); }

void X12ThreePlSim::Stop() {
  stop_ = true;
  if (worker_.joinable()) worker_.join();
}

X12ThreePlStats X12ThreePlSim::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void X12ThreePlSim::Run() {
  while (!stop_) {
    Poll();
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(options_.poll));
  }
}

void X12ThreePlSim::Write(const std::string& name, const std::string& text) {
  const fs::path tmp = options_.to_hub / StrCat(".", name);
  std::ofstream(tmp, std::ios::binary) << text;
  std::error_code ec;
  fs::rename(tmp, options_.to_hub / name, ec);
  if (ec) spdlog::warn("3pl sim: cannot write {}: {}", name, ec.message());
}

void X12ThreePlSim::Poll() {
  const absl::Time now = absl::Now();
  formats::X12Envelope envelope{.sender_qualifier = "ZZ",
                                .sender = options_.id,
                                .receiver_qualifier = "ZZ",
                                .receiver = options_.hub_id};
  auto send = [&](std::string_view kind, const std::string& functional_id,
                  std::vector<formats::X12OutSet> sets) {
    ++control_;
    const std::vector<formats::X12OutGroup> groups = {
        {.functional_id = functional_id, .sets = std::move(sets)}};
    absl::StatusOr<std::string> text = formats::WriteX12Interchange(
        envelope, {.interchange = control_, .group = control_}, groups, now);
    if (!text.ok()) {
      spdlog::warn("3pl sim: cannot write a {}: {}", kind, text.status().message());
      return;
    }
    Write(StrCat(kind, "-", options_.id, "-", control_, ".x12"), *text);
  };

  // The second shipments that are due.
  for (auto it = later_.begin(); it != later_.end();) {
    if ((*it)->due > now) {
      ++it;
      continue;
    }
    send("945", "SW", {(*it)->set});
    std::lock_guard lock(mu_);
    ++stats_.shipments;
    stats_.units_shipped += (*it)->units;
    it = later_.erase(it);
  }

  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(options_.from_hub, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && name.starts_with("940-")) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    absl::StatusOr<std::string> bytes = ReadFile(file.string());
    if (!bytes.ok()) continue;
    std::vector<Order940> orders;
    absl::StatusOr<std::vector<formats::X12Interchange>> read = formats::ReadX12(
        *bytes, {.set = [&](const formats::X12Interchange&, const formats::X12Group&,
                            const formats::X12Set& set, std::span<const formats::X12Segment> segs) {
          if (set.id != "940") return;
          Order940& o = orders.emplace_back();
          std::string lx;
          for (const formats::X12Segment& s : segs) {
            if (s.id() == "W05") {
              o.reference = std::string(s.element(2));
              o.po = std::string(s.element(3));
            } else if (s.id() == "LX") {
              lx = std::string(s.element(1));
            } else if (s.id() == "W01") {
              int64_t quantity = 0;
              for (char c : s.element(1)) quantity = quantity * 10 + (c - '0');
              o.lines.push_back(
                  {.line_no = lx, .quantity = quantity, .sku = std::string(s.element(5))});
            }
          }
        }});
    fs::rename(file, options_.from_hub / "taken" / file.filename(), ec);
    if (!read.ok()) {
      std::lock_guard lock(mu_);
      ++stats_.unreadable;
      continue;
    }
    {
      std::lock_guard lock(mu_);
      stats_.orders_received += static_cast<int64_t>(orders.size());
    }
    if (options_.silent) continue;
    for (const formats::X12Interchange& x : *read) {
      std::vector<formats::X12OutSet> acks;
      for (const formats::X12Group& g : x.groups) {
        acks.push_back(formats::FunctionalAcknowledgement(g, envelope.delimiters));
      }
      send("997", "FA", std::move(acks));
      std::lock_guard lock(mu_);
      ++stats_.acknowledged;
    }
    for (const Order940& o : orders) {
      if (o.lines.empty()) continue;
      std::vector<std::pair<OrderLine940, int64_t>> first;
      int64_t units = 0;
      for (size_t i = 0; i < o.lines.size(); ++i) {
        const bool cut = options_.short_first && i + 1 == o.lines.size() && o.lines[i].quantity > 1;
        first.emplace_back(o.lines[i], o.lines[i].quantity - (cut ? 1 : 0));
        units += first.back().second;
      }
      send("945", "SW", {Advice945(o, ShipmentId(o.reference, 1), first, now)});
      {
        std::lock_guard lock(mu_);
        ++stats_.shipments;
        stats_.units_shipped += units;
      }
      if (first.back().second < first.back().first.quantity) {
        OrderLine940 rest = first.back().first;
        rest.quantity = 1;  // what the first shipment left
        auto p = std::make_shared<Pending>();
        p->due = now + options_.rest_after;
        p->set = Advice945(o, ShipmentId(o.reference, 2), {{rest, 1}}, now);
        p->units = 1;
        later_.push_back(std::move(p));
      }
    }
  }
}

}  // namespace disthub
