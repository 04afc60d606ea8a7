// A small blocking HTTP/1.1 client (libcurl) with keep-alive, for the CLI, the demo and
// tests. One client is one connection's worth of state: not thread-safe; give each
// thread its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/tls.h"

namespace disthub {

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first value of header `lower_name`, or "".
  std::string Header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  // `base_url` like "http://127.0.0.1:8080"; requests name only the path. `tls` applies
  // to an https:// base (whom to trust, and our client certificate).
  explicit HttpClient(std::string base_url, double timeout_seconds = 30,
                      TlsClientOptions tls = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request. kUnavailable when no answer came (refused, reset, timed out, or
  // TLS failed, such as an untrusted certificate): the status says which, with libcurl's
  // detailed reason.
  absl::StatusOr<HttpResult> Send(std::string_view method, std::string_view path,
                                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                                  std::string_view body = {});

  absl::StatusOr<HttpResult> Get(std::string_view path,
                                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return Send("GET", path, headers);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace disthub
