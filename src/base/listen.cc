#include "base/listen.h"

#include <cstdlib>

#include "base/strings.h"

namespace disthub {

absl::StatusOr<std::pair<std::string, int>> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(StrCat("\"", listen, "\" must be HOST:PORT, e.g. 127.0.0.1:8080"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("\"", listen, "\": the port must be 0 to 65535"));
  }
  return std::make_pair(host, static_cast<int>(port));
}

}  // namespace disthub
