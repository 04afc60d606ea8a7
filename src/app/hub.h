// The hub assembled from a configuration: store, single writer, API and HTTP server.
// The only place that knows the concrete store backend.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "app/config.h"

namespace disthub {

class Hub {
 public:
  virtual ~Hub() = default;
  // The port the HTTP server bound (useful when configured with port 0).
  virtual int port() const = 0;
  // "http://127.0.0.1:PORT"
  virtual std::string url() const = 0;
  // Stops accepting, finishes and acknowledges every write already taken, then stops.
  virtual void Shutdown() = 0;
};

// Opens the store (creating data_dir if needed), resolves API keys from the
// environment (`env`), and starts serving. Errors say what to fix.
absl::StatusOr<std::unique_ptr<Hub>> StartHub(const Config& config, const EnvLookup& env);

}  // namespace disthub
