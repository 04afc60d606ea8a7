// XML documents read as JSON trees, so that mappings select into a partner's XML with the
// same paths, filters and transforms as into JSON (docs/mappings.md, XML payloads):
//
//   <ns:order xmlns:ns="urn:x" id="7">          {"order": {"@id": "7",
//     <line><sku>A</sku></line>           →                "line": [{"sku": "A"},
//     <line><sku>B</sku><qty>2</qty></line>                         {"sku": "B", "qty": "2"}],
//     <note/>                                               "note": ""}}
//   </ns:order>
//
// - An element is a member named by its local name: namespace prefixes (and URIs) are
//   dropped, and `xmlns` declarations are not attributes.
// - An element with neither attributes nor child elements is its text ("" when empty),
//   entities and CDATA resolved.
// - Otherwise it is an object: each attribute a member "@name", each child element a
//   member, and its own text, when it is not only white space, the member "#text".
// - Sibling elements of one name make a list, in document order. One alone is not a list:
//   mappings read XML with lists of one (Mapping, `formats: [xml]`).
// - Every value is a string: the mapping's transforms read numbers, booleans and times
//   from text, as they do from JSON partners that send them as strings.
//
// Read with expat, in one pass, into `storage`. Refused (kInvalidArgument, with the line
// and column): malformed XML, a DOCTYPE (so no entity of the document's own is ever
// expanded), nesting deeper than max_depth, text longer than max_text_bytes, and input
// larger than max_bytes.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"

namespace disthub::formats {

struct XmlLimits {
  size_t max_bytes = 64u << 20;
  size_t max_depth = 64;
  size_t max_text_bytes = 1u << 20;
};

absl::StatusOr<boost::json::value> ParseXml(std::string_view bytes,
                                            boost::json::storage_ptr storage = {},
                                            const XmlLimits& limits = {});

// Whether `bytes` look like XML: their first character, after a byte-order mark and white
// space, is '<'.
bool LooksLikeXml(std::string_view bytes);

}  // namespace disthub::formats
