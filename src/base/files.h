// Whole-file reads for configuration, catalogs and test data.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace disthub {

// The bytes of `path`. kNotFound (naming the path and the reason) when it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// `path` as written in the configuration file `config_file`: a relative path counts from
// that file's folder; an absolute or empty one is returned as is.
std::string ResolveRelative(const std::string& config_file, const std::string& path);

}  // namespace disthub
