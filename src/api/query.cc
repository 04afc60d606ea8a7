#include "api/query.h"

#include <algorithm>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>

#include "base/strings.h"

namespace disthub {

HttpResponse BadQuery(std::string_view name, std::string_view why, std::string_view instance) {
  return Problem(400, "invalid-parameter", "Invalid query parameter", StrCat(name, ": ", why),
                 instance, {{std::string(name), std::string(why), "parameter"}});
}

Query ParseQuery(const HttpRequest& req, std::initializer_list<std::string_view> known) {
  Query q;
  std::string_view raw = req.Query();
  if (raw.empty()) return q;
  auto parsed = boost::urls::parse_query(boost::core::string_view(raw.data(), raw.size()));
  if (!parsed) {
    q.error = Problem(400, "invalid-parameter", "Invalid query string",
                      "the query string is not well-formed", req.Path());
    return q;
  }
  for (auto param : boost::urls::params_view(*parsed)) {
    std::string key(param.key);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      q.error =
          BadQuery(key, StrCat("is not a parameter of this route (known: ", list, ")"), req.Path());
      return q;
    }
    q.values[key] = std::string(param.value);
  }
  return q;
}

std::optional<HttpResponse> IntParam(const Query& q, const HttpRequest& req,
                                     const std::string& name, int64_t lo, int64_t hi,
                                     int64_t fallback, int64_t& out) {
  out = fallback;
  auto it = q.values.find(name);
  if (it == q.values.end()) return std::nullopt;
  const std::string& s = it->second;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || out < lo || out > hi) {
    return BadQuery(name, StrCat("must be an integer from ", lo, " to ", hi), req.Path());
  }
  return std::nullopt;
}

}  // namespace disthub
