// Small helpers shared by the JSON routes (delivery, inventory): responses, request
// bodies and the mapping of a Status to a problem document.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "api/http.h"

namespace disthub {

inline boost::json::string_view J(std::string_view s) { return {s.data(), s.size()}; }

// `status` with `v` serialized as its body.
HttpResponse Json(int status, const boost::json::value& v);

// 404 not-found, 422 invalid-request, 409 conflict, otherwise 503 with Retry-After.
HttpResponse FromStatus(const absl::Status& s, std::string_view instance);

// Parses the body as a JSON object into `out` (an empty body is an empty object); a 400
// malformed-json problem otherwise.
std::optional<HttpResponse> BodyObject(const HttpRequest& req, boost::json::object& out);

// The string member `key` of `o`, or "" when absent or not a string.
std::string StringField(const boost::json::object& o, std::string_view key);

// 405 with the Allow header.
HttpResponse MethodNotAllowed(std::string_view allow, std::string_view instance);

}  // namespace disthub
