#include "api/json_route.h"

#include <utility>

#include "base/strings.h"

namespace disthub {

namespace json = boost::json;

HttpResponse Json(int status, const json::value& v) {
  return HttpResponse{.status = status, .body = json::serialize(v)};
}

HttpResponse FromStatus(const absl::Status& s, std::string_view instance) {
  std::string_view msg = View(s.message());
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return Problem(404, "not-found", "Not found", msg, instance);
    case absl::StatusCode::kInvalidArgument:
      return Problem(422, "invalid-request", "The request is not valid", msg, instance);
    case absl::StatusCode::kFailedPrecondition:
      return Problem(409, "conflict", "Not possible in the current state", msg, instance);
    default: {
      HttpResponse r = Problem(503, "unavailable", "Store unavailable", msg, instance);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
  }
}

std::optional<HttpResponse> BodyObject(const HttpRequest& req, json::object& out) {
  if (req.body.empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(J(req.body), ec);
  if (ec || !v.is_object()) {
    return Problem(400, "malformed-json", "Malformed JSON", "the body must be a JSON object",
                   req.Path());
  }
  out = std::move(v.as_object());
  return std::nullopt;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(J(key));
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

HttpResponse MethodNotAllowed(std::string_view allow, std::string_view instance) {
  HttpResponse r = Problem(405, "method-not-allowed", "Method not allowed",
                           StrCat("this route allows ", allow), instance);
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace disthub
