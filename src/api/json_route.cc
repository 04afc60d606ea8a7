#include "api/json_route.h"

#include <utility>

#include "base/strings.h"
#include "model/json.h"

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

std::string Fields::Str(std::string_view key, bool required) {
  const json::value* v = o_.if_contains(J(key));
  if (v == nullptr || v->is_null()) {
    if (required) Error(key, "is required");
    return {};
  }
  if (!v->is_string() || v->as_string().empty()) {
    Error(key, "must be a non-empty string");
    return {};
  }
  return std::string(v->as_string());
}

std::optional<int64_t> Fields::Int(std::string_view key, bool required, int64_t min, int64_t max) {
  const json::value* v = o_.if_contains(J(key));
  if (v == nullptr || v->is_null()) {
    if (required) Error(key, "is required");
    return std::nullopt;
  }
  if (!v->is_int64() && !v->is_uint64()) {
    Error(key, "must be an integer");
    return std::nullopt;
  }
  if (v->is_uint64() || v->as_int64() < min || v->as_int64() > max) {
    Error(key, StrCat("must be from ", min, " to ", max));
    return std::nullopt;
  }
  return v->as_int64();
}

bool Fields::Bool(std::string_view key) {
  const json::value* v = o_.if_contains(J(key));
  if (v == nullptr || v->is_null()) return false;
  if (!v->is_bool()) Error(key, "must be true or false");
  return v->is_bool() && v->as_bool();
}

std::vector<std::string> Fields::Strings(std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o_.if_contains(J(key));
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) {
    Error(key, "must be a list of strings");
    return out;
  }
  for (const json::value& x : v->as_array()) {
    if (!x.is_string()) {
      Error(key, "must be a list of strings");
      return {};
    }
    out.emplace_back(x.as_string());
  }
  return out;
}

void Fields::Ordering(int64_t& sequence, absl::Time& as_of) {
  if (auto s = Int("sequence", false, 1, INT64_MAX)) sequence = *s;
  std::string t = Str("as_of", false);
  if (!t.empty()) {
    if (auto parsed = ParseTime(t)) {
      as_of = *parsed;
    } else {
      Error("as_of", "must be an RFC 3339 time such as 2026-11-27T06:00:00Z");
    }
  }
  if (sequence == 0 && as_of == absl::InfinitePast() && !Has("sequence") && !Has("as_of")) {
    Error("sequence",
          "give the source's sequence number or its as_of time, so late updates "
          "can be told from new ones");
  }
}

void Fields::Error(std::string_view key, std::string_view detail) {
  errors_.push_back({.pointer = StrCat(base_, "/", key), .detail = std::string(detail)});
}

bool Fields::Has(std::string_view key) const { return o_.if_contains(J(key)) != nullptr; }

HttpResponse Invalid(std::string_view path, const std::vector<ProblemError>& errors) {
  return Problem(422, "validation-failed", "The request is not valid",
                 StrCat(errors.size(), errors.size() == 1 ? " field is" : " fields are",
                        " not valid: ", errors[0].pointer, " ", errors[0].detail),
                 path, errors);
}

std::optional<InboundRecord> ArchivedInbound(bool archive, const HttpRequest& req,
                                             const Principal& who, std::string_view kind,
                                             absl::Time now) {
  if (!archive) return std::nullopt;
  return InboundRecord{.received_at = now,
                       .source = who.partner,
                       .kind = std::string(kind),
                       .key = std::string(req.Header("idempotency-key")),
                       .headers = KeptHeadersJson(req),
                       .body = req.body};
}

}  // namespace disthub
