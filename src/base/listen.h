// Listen addresses: "HOST:PORT" as configuration files and command lines give them.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace disthub {

// Splits "HOST:PORT" ("[::1]:8080" too); kInvalidArgument naming the value when
// malformed or when the port is not 0 to 65535.
absl::StatusOr<std::pair<std::string, int>> SplitListen(const std::string& listen);

}  // namespace disthub
