#include "mapping/cancellation.h"

#include <boost/json.hpp>
#include <set>

#include "base/strings.h"
#include "mapping/object_reader.h"
#include "model/fields.h"

namespace disthub::mapping {
namespace json = boost::json;

namespace {

using internal::ObjectReader;

constexpr size_t kMaxLines = 1000;

}  // namespace

Decoded<Cancellation> DecodeCancellation(const json::value& value) {
  Decoded<Cancellation> out;
  const json::object* object = value.if_object();
  if (object == nullptr) {
    out.errors.push_back({"#", "expected an object"});
    return out;
  }
  Cancellation c;
  ObjectReader r(*object, "#", out.errors);
  r.String("channel", c.channel, {.required = true, .max_len = 64});
  r.String("channel_order_ref", c.channel_order_ref,
           {.required = true, .format = Format::kId, .max_len = 128}, /*id=*/true);
  r.Time("cancelled_at", c.cancelled_at, true);
  r.String("reason", c.reason, {.max_len = 200});
  if (const json::value* lines = r.Member("lines", false)) {
    const json::array* list = lines->if_array();
    if (list == nullptr) {
      r.Error("lines", "expected an array");
    } else if (list->size() > kMaxLines) {
      r.Error("lines", StrCat("must have at most ", kMaxLines, " items"));
    } else {
      std::set<std::string> seen;
      c.lines.resize(list->size());
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string at = StrCat(r.Pointer("lines"), "/", i);
        const json::object* line = (*list)[i].if_object();
        if (line == nullptr) {
          if (out.errors.size() < kMaxDecodeErrors)
            out.errors.push_back({at, "expected an object"});
          continue;
        }
        ObjectReader lr(*line, at, out.errors);
        CancelledLine& l = c.lines[i];
        lr.String("channel_line_ref", l.channel_line_ref,
                  {.required = true, .format = Format::kId, .max_len = 128}, /*id=*/true);
        lr.Integer("quantity", l.quantity, true, 1);
        lr.Unknown({"channel_line_ref", "quantity"}, "CancelledLine");
        if (!l.channel_line_ref.empty() && !seen.insert(l.channel_line_ref).second) {
          lr.Error("channel_line_ref", StrCat("line ", l.channel_line_ref, " is cancelled twice"));
        }
      }
    }
  }
  r.Unknown({"channel", "channel_order_ref", "cancelled_at", "reason", "lines"}, "Cancellation");
  if (out.errors.empty()) out.value = std::move(c);
  return out;
}

}  // namespace disthub::mapping
