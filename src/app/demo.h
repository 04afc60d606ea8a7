// `disthub demo`: the reference scenario's order traffic against a real hub.
#pragma once

#include <string>

namespace disthub {

struct DemoOptions {
  int orders = 20'000;      // distinct orders the channels send (repeats and bad ones come on top)
  int connections = 32;     // concurrent keep-alive connections
  uint64_t seed = 2026;     // same seed, same traffic
  std::string data_dir;     // "" makes a temporary folder (removed afterwards unless keep)
  std::string config_file;  // "" uses the built-in examples/harbor.yaml
  bool keep = false;        // keep the data folder for inspection
};

// Runs the demo and prints what happened. Returns the process exit code: 0 when every
// check held (nothing lost, nothing doubled, every bad request refused).
int RunDemo(const DemoOptions& options);

}  // namespace disthub
