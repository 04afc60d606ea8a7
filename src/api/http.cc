#include "api/http.h"

#include <boost/json.hpp>

#include "base/strings.h"
#include "model/json_escape.h"

namespace disthub {

HttpResponse Problem(int status, std::string_view type_slug, std::string_view title,
                     std::string_view detail, std::string_view instance,
                     const std::vector<ProblemError>& errors) {
  // Written as text, member by member, in the order and with the escaping of
  // boost::json::serialize() of the equivalent object (http_test.cc holds it to that).
  std::string body;
  body.reserve(256);
  body += R"({"type":)";
  AppendJsonString(StrCat("https://disthub.dev/problems/", type_slug), body);
  body += R"(,"title":)";
  AppendJsonString(title, body);
  body += R"(,"status":)";
  body += StrCat(status);
  if (!detail.empty()) {
    body += R"(,"detail":)";
    AppendJsonString(detail, body);
  }
  if (!instance.empty()) {
    body += R"(,"instance":)";
    AppendJsonString(instance, body);
  }
  if (!errors.empty()) {
    body += R"(,"errors":[)";
    for (size_t i = 0; i < errors.size(); ++i) {
      const ProblemError& e = errors[i];
      if (i > 0) body += ',';
      body += '{';
      AppendJsonString(e.kind, body);
      body += ':';
      AppendJsonString(e.pointer, body);
      body += R"(,"detail":)";
      AppendJsonString(e.detail, body);
      body += '}';
    }
    body += ']';
  }
  body += '}';
  return HttpResponse{
      .status = status, .content_type = "application/problem+json", .body = std::move(body)};
}

std::string KeptHeadersJson(const HttpRequest& req) {
  boost::json::object headers;
  for (const auto& [name, value] : req.headers) {
    if (name == "authorization" || name == "cookie" || name == "proxy-authorization") continue;
    headers[name] = value;
  }
  return boost::json::serialize(headers);
}

}  // namespace disthub
