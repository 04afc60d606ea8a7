// The HTTP vocabulary between the server (http_server.cc, the only Beast code) and the
// routes. Kept free of Beast so route code compiles fast and tests stay simple.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace disthub {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query, as sent: "/v1/orders?limit=10"
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string peer;                                // "127.0.0.1:53122"
  std::chrono::steady_clock::time_point received;  // when the whole request was read

  // The first value of header `lower_name`, or "" if absent.
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
  std::string_view Path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
  std::string_view Query() const {
    std::string_view t = target;
    size_t q = t.find('?');
    return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Sends the response. Call exactly once, from any thread.
using Responder = absl::AnyInvocable<void(HttpResponse) &&>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Runs on an I/O thread; may answer later from another thread through `respond`.
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

// The request's headers as a JSON object, credentials (authorization, cookies) left out:
// what the inbound archive keeps.
std::string KeptHeadersJson(const HttpRequest& req);

// An RFC 9457 problem document. `type_slug` names a problem documented in docs/api.md
// ("validation-failed" → "https://disthub.dev/problems/validation-failed").
struct ProblemError {
  std::string pointer;  // "#/lines/0/sku" for body fields
  std::string detail;
  std::string kind = "pointer";  // or "parameter" (query) or "header"
};
HttpResponse Problem(int status, std::string_view type_slug, std::string_view title,
                     std::string_view detail, std::string_view instance = {},
                     const std::vector<ProblemError>& errors = {});

}  // namespace disthub
