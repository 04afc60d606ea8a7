// `disthub dead-letters …`, `disthub replay …`, `disthub outbox`, `disthub deliveries`:
// operator commands that talk to a running hub over its API (the hub's single writer
// owns the store, so the CLI never opens it directly).
//
// The hub's address comes from --hub or $DISTHUB_URL; the API key from the environment
// variable named by --key-env (default DISTHUB_KEY), never from the command line.
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace disthub {

// Adds the commands to `app` (which must outlive the returned function). After parsing,
// call the returned function: it returns the exit status when one of these commands
// ran, or -1 when none was given.
std::function<int()> AddOpsCommands(CLI::App& app);

}  // namespace disthub
