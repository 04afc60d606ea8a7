#include "api/http.h"

#include <boost/json.hpp>

#include "gtest/gtest.h"

namespace disthub {
namespace {

// What Problem() wrote before it wrote text directly: boost::json's serialization of the
// object built member by member.
std::string SerializedWithBoostJson(int status, std::string_view slug, std::string_view title,
                                    std::string_view detail, std::string_view instance,
                                    const std::vector<ProblemError>& errors) {
  boost::json::object doc;
  doc["type"] = std::string("https://disthub.dev/problems/") + std::string(slug);
  doc["title"] = title;
  doc["status"] = status;
  if (!detail.empty()) doc["detail"] = detail;
  if (!instance.empty()) doc["instance"] = instance;
  if (!errors.empty()) {
    boost::json::array list;
    for (const ProblemError& e : errors) {
      boost::json::object item;
      item[e.kind] = e.pointer;
      item["detail"] = e.detail;
      list.push_back(std::move(item));
    }
    doc["errors"] = std::move(list);
  }
  return boost::json::serialize(doc);
}

TEST(Problem, WritesWhatBoostJsonSerializes) {
  const std::string awkward = std::string("quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f ") +
                              std::string("nul ") + '\0' +
                              " us \x1f del \x7f utf-8 \xc3\xa9 / slash";
  const std::vector<ProblemError> errors = {
      {"#/totals/grand_total", "expected 1.00, got 1.01"},
      {"#/attributes/gift~1wrap", awkward},
      {"Idempotency-Key", "must be 1 to 255 visible ASCII characters", "header"},
      {"limit", "must be an integer", "parameter"},
  };
  struct Case {
    int status;
    std::string_view slug, title, detail, instance;
    std::vector<ProblemError> errors;
  };
  for (const Case& c : std::vector<Case>{
           {422, "validation-failed", "The order is not valid", "2 field(s)", "/v1/orders", errors},
           {400, "malformed-http", "Malformed HTTP request", "bad method", "", {}},
           {401, "unauthorized", "Authentication required", awkward, awkward, {}},
           {503, "unavailable", awkward, "", "", {}},
       }) {
    HttpResponse r = Problem(c.status, c.slug, c.title, c.detail, c.instance, c.errors);
    EXPECT_EQ(r.body,
              SerializedWithBoostJson(c.status, c.slug, c.title, c.detail, c.instance, c.errors));
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.content_type, "application/problem+json");
  }
}

}  // namespace
}  // namespace disthub
