// `disthub demo`: a trading day of the reference scenario (../shared/SCENARIO.md) against a
// real hub (`disthub serve` as a child process on a fresh embedded store) and the
// scenario's partners as simulators in this process — two warehouses and a 3PL, the ERP,
// the channels' endpoints and an alert webhook — with the faults on. It prints live
// progress, then the day's report, and checks the invariants against the simulators' own
// records: no oversell, no order lost or doubled.
#pragma once

#include <cstdint>
#include <string>

namespace disthub {

struct DemoOptions {
  int orders = 3'000;       // distinct orders the channels send (repeats and bad ones come on top)
  double rate = 150;        // orders sent per second; ignored with `fast`
  bool fast = false;        // flat out: no pacing, quick warehouses
  int connections = 16;     // concurrent keep-alive connections sending orders
  uint64_t seed = 2026;     // same seed, same traffic
  std::string data_dir;     // "" makes a temporary folder (removed afterwards unless keep)
  std::string config_file;  // "" uses the built-in examples/harbor.yaml
  bool keep = false;        // keep the data folder (store, hub.yaml, hub.log) for inspection
  // kill -9 the hub once this many orders were sent, then start it again on the same port
  // and store (0: never). The checks must hold all the same.
  int kill_hub_after = 0;
  double settle_seconds = 120;  // most time to wait for the orders to settle at the end
  std::string binary;           // the disthub executable to run as the hub ("": this one)
};

// Runs the demo and prints what happened. Returns the process exit code: 0 when every
// check held, 1 when one failed, 2 for a configuration problem.
int RunDemo(const DemoOptions& options);

}  // namespace disthub
