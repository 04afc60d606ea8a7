#include "api/http.h"

#include <boost/json.hpp>

#include "base/strings.h"

namespace disthub {

HttpResponse Problem(int status, std::string_view type_slug, std::string_view title,
                     std::string_view detail, std::string_view instance,
                     const std::vector<ProblemError>& errors) {
  boost::json::object doc;
  doc["type"] = StrCat("https://disthub.dev/problems/", type_slug);
  doc["title"] = title;
  doc["status"] = status;
  if (!detail.empty()) doc["detail"] = detail;
  if (!instance.empty()) doc["instance"] = instance;
  if (!errors.empty()) {
    boost::json::array list;
    list.reserve(errors.size());
    for (const ProblemError& e : errors) {
      boost::json::object item;
      item[e.kind] = e.pointer;
      item["detail"] = e.detail;
      list.push_back(std::move(item));
    }
    doc["errors"] = std::move(list);
  }
  return HttpResponse{.status = status,
                      .content_type = "application/problem+json",
                      .body = boost::json::serialize(doc)};
}

}  // namespace disthub
