// Query-string parameters for API routes, with problem+json errors naming the bad one.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"

namespace disthub {

// Decoded query parameters, or an error response naming the first bad one.
struct Query {
  std::map<std::string, std::string> values;
  std::optional<HttpResponse> error;

  // The value of `name`, or "" when absent.
  std::string Get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  }
};

// 400 invalid-parameter naming `name` and what is wrong with it.
HttpResponse BadQuery(std::string_view name, std::string_view why, std::string_view instance);

// Parses the query string; an unknown parameter is an error listing the known ones.
Query ParseQuery(const HttpRequest& req, std::initializer_list<std::string_view> known);

// Parses an integer query parameter within [lo, hi]; `fallback` when absent.
std::optional<HttpResponse> IntParam(const Query& q, const HttpRequest& req,
                                     const std::string& name, int64_t lo, int64_t hi,
                                     int64_t fallback, int64_t& out);

}  // namespace disthub
