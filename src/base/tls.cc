#include "base/tls.h"

#include <filesystem>
#include <fstream>

#include "base/files.h"
#include "base/strings.h"

namespace disthub {

std::vector<std::pair<std::string, std::string>> CheckTlsOptions(const TlsClientOptions& tls,
                                                                 std::string_view url) {
  std::vector<std::pair<std::string, std::string>> problems;
  if (tls.empty()) return problems;
  if (!url.starts_with("https://")) {
    problems.emplace_back("", StrCat("applies only to an https:// URL, and \"", url, "\" is not one"));
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    problems.emplace_back(tls.cert_file.empty() ? "cert_file" : "key_file",
                          "a client certificate needs both cert_file and key_file");
  }
  return problems;
}

absl::Status CheckTlsFiles(const TlsClientOptions& tls, std::string_view where) {
  for (const auto& [key, path] : {std::pair<const char*, const std::string&>{"ca_file", tls.ca_file},
                                  {"cert_file", tls.cert_file},
                                  {"key_file", tls.key_file}}) {
    if (path.empty()) continue;
    std::ifstream in(path);
    if (!in) {
      std::error_code ec;
      const bool exists = std::filesystem::exists(path, ec);
      return absl::FailedPreconditionError(StrCat(where, ".", key, ": cannot read ", path, " (",
                                                  exists ? "permission denied" : "no such file",
                                                  ")"));
    }
  }
  return absl::OkStatus();
}

TlsClientOptions ResolveTlsPaths(TlsClientOptions tls, const std::string& config_file) {
  for (std::string* path : {&tls.ca_file, &tls.cert_file, &tls.key_file}) {
    *path = ResolveRelative(config_file, *path);
  }
  return tls;
}

}  // namespace disthub
