// `disthub sim …`: the partner simulators (sim/) from the command line.
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace disthub {

// Adds the `sim` command and its subcommands (`sim partner`, `sim warehouse`, `sim erp`) to
// `app`, which must outlive the returned function. After parsing, when `sim` was given, call the
// returned function: it runs the chosen simulator until SIGINT/SIGTERM and returns the exit status.
std::function<int()> AddSimCommands(CLI::App& app);

}  // namespace disthub
