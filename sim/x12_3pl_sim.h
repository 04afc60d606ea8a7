// A 3PL trading X12 files (issue 7's end-to-end partner): it watches the folder the hub's
// x12-file-drop connector writes its 940 shipping orders into, and answers each through
// the folder the connector reads: a 997 for the group, then a 945 shipping advice. Its
// records (what it received, acknowledged and shipped) are the ground truth a test checks
// the hub against. docs/simulators.md, "The X12 3PL simulator".
//
//   X12ThreePlOptions o{.from_hub = out, .to_hub = in, .short_first = true};
//   DISTHUB_ASSIGN_OR_RETURN(std::unique_ptr<X12ThreePlSim> tpl, X12ThreePlSim::Start(o));
//   ... the hub releases to the 3PL's location ...
//   tpl->Stats().shipments;
//
// Files are written complete (a hidden temporary, then a rename), as the connector expects.
// Thread-safety: one worker thread; Stats() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace disthub {

struct X12ThreePlOptions {
  std::filesystem::path from_hub;  // the connector's outbound_folder: 940s appear here
  std::filesystem::path to_hub;    // the connector's folder: 997s and 945s go here
  std::string id = "3PLCENTRAL";   // our ISA06 (the connector's partner_id)
  std::string hub_id = "DISTHUB";  // the hub's (the connector's our_id)
  absl::Duration poll = absl::Milliseconds(20);
  // Send no 997 (and ship nothing): the hub's acknowledgement deadline must act.
  bool silent = false;
  // Ship each order's last line one unit short first (W12 CP, a partial shipment), then
  // the rest in a second 945 `rest_after` later.
  bool short_first = false;
  absl::Duration rest_after = absl::Milliseconds(100);
};

struct X12ThreePlStats {
  int64_t orders_received = 0;  // 940 sets read
  int64_t acknowledged = 0;     // 997s sent
  int64_t shipments = 0;        // 945s sent
  int64_t units_shipped = 0;
  int64_t unreadable = 0;  // files from the hub that did not read as X12
};

class X12ThreePlSim {
 public:
  static absl::StatusOr<std::unique_ptr<X12ThreePlSim>> Start(X12ThreePlOptions options);
  ~X12ThreePlSim();
  void Stop();
  X12ThreePlStats Stats() const;

 private:
  explicit X12ThreePlSim(X12ThreePlOptions options) : options_(std::move(options)) {}
  struct Pending;  // a 945 due later
  void Run();
  void Poll();
  void Write(const std::string& name, const std::string& text);

  const X12ThreePlOptions options_;
  std::atomic<bool> stop_{false};
  std::thread worker_;
  mutable std::mutex mu_;
  X12ThreePlStats stats_;
  uint64_t control_ = 0;                         // worker only
  std::vector<std::shared_ptr<Pending>> later_;  // worker only
};

}  // namespace disthub
