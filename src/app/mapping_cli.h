// `disthub mapping …`: trying declarative mappings (src/mapping) from the command line.
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace disthub {

// Adds the `mapping` command (`mapping test MAPPING PAYLOAD`) to `app`, which must outlive
// the returned function. After parsing, call the returned function: it returns the exit
// status when `mapping` was given, -1 otherwise.
std::function<int()> AddMappingCommands(CLI::App& app);

}  // namespace disthub
