// Small helpers shared by the JSON routes (delivery, inventory): responses, request
// bodies and the mapping of a Status to a problem document.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/auth.h"
#include "api/http.h"
#include "store/store.h"

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

// A quantity or a change of stock, at most: sums over locations cannot overflow.
inline constexpr int64_t kMaxUnits = 1'000'000'000'000;

// Reads the members of one JSON request object, collecting an error per bad field with its
// JSON Pointer (base + "/" + key), for one 422 that names them all.
class Fields {
 public:
  Fields(const boost::json::object& o, std::string base, std::vector<ProblemError>& errors)
      : o_(o), base_(std::move(base)), errors_(errors) {}

  // A non-empty string; "" (and an error if `required`) when absent.
  std::string Str(std::string_view key, bool required = true);
  // An integer in [min, max].
  std::optional<int64_t> Int(std::string_view key, bool required, int64_t min,
                             int64_t max = kMaxUnits);
  // false when absent.
  bool Bool(std::string_view key);
  std::vector<std::string> Strings(std::string_view key);
  // The source's ordering: "sequence" (a positive integer) or "as_of" (RFC 3339).
  void Ordering(int64_t& sequence, absl::Time& as_of);
  void Error(std::string_view key, std::string_view detail);
  bool Has(std::string_view key) const;

 private:
  const boost::json::object& o_;
  std::string base_;
  std::vector<ProblemError>& errors_;
};

// 422 validation-failed naming every bad field.
HttpResponse Invalid(std::string_view path, const std::vector<ProblemError>& errors);

// The request as the inbound archive keeps it (headers without credentials), or nullopt
// when archiving is off.
std::optional<InboundRecord> ArchivedInbound(bool archive, const HttpRequest& req,
                                             const Principal& who, std::string_view kind,
                                             absl::Time now);

}  // namespace disthub
