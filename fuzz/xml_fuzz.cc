// XML as partners send it (formats/xml.h), read as a JSON tree, and through the built-in
// mappings that read XML (`formats: [xml]`). Nothing may crash, leak, hit undefined
// behaviour, throw or expand an entity, and the reader keeps its contract:
//   - a document read is an object with one member, its root element;
//   - every value below is a string (an element's text or an attribute), an object
//     (members named by a local name, "@" and a name, or "#text") or a list of two or more
//     (repeated elements), never a number, boolean or null;
//   - nothing is nested deeper than the depth limit allows;
//   - a refusal is kInvalidArgument naming a line and column;
//   - the tree survives serialize/parse unchanged.
// Each mapping that reads XML maps the tree with lists of one and keeps the contracts of
// CheckMappedOrder() / CheckMappedDocument() (fuzz_support.h).
//
// Seeds: mappings/testdata/*.xml; scripts/fuzz.sh runs it with fuzz/xml.dict.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/xml.h"
#include "fuzz_support.h"
#include "mapping/mapping.h"

namespace {

namespace json = boost::json;
using disthub::fuzz::Fail;

const std::vector<disthub::mapping::Mapping>* xml_mappings = nullptr;

constexpr size_t kDepth = 16;

// The checks above on one value, `depth` levels below the root element's member.
void CheckNode(const json::value& v, size_t depth) {
  if (depth > kDepth + 1) Fail("nested deeper than the limit");
  if (v.is_string()) return;
  if (v.is_array()) {
    if (v.get_array().size() < 2) Fail("a list of fewer than two elements");
    for (const json::value& e : v.get_array()) {
      if (e.is_array()) Fail("a list directly inside a list");
      CheckNode(e, depth);
    }
    return;
  }
  if (!v.is_object()) Fail("a value that is not a string, object or list: " + json::serialize(v));
  for (const auto& member : v.get_object()) {
    const std::string_view key = member.key();
    if (key.empty() || key == "@") Fail("an empty name");
    if (key == "#text" && !member.value().is_string()) Fail("#text that is not text");
    if (key.starts_with("@") && !member.value().is_string() && !member.value().is_array()) {
      Fail("an attribute that is not text");
    }
    CheckNode(member.value(), depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<disthub::mapping::Mapping> all = disthub::fuzz::LoadBuiltinMappings();
  auto* xml = new std::vector<disthub::mapping::Mapping>();
  for (disthub::mapping::Mapping& m : all) {
    if (m.ReadsXml()) xml->push_back(std::move(m));
  }
  if (xml->empty()) Fail("no built-in mapping reads XML");
  xml_mappings = xml;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<json::value> tree = disthub::formats::ParseXml(
      bytes, {}, {.max_bytes = 1 << 20, .max_depth = kDepth, .max_text_bytes = 4096});
  if (!tree.ok()) {
    const std::string message(tree.status().message());
    if (tree.status().code() != absl::StatusCode::kInvalidArgument) Fail("not kInvalidArgument");
    if (message.find(" at line ") == std::string::npos &&
        message.find("larger than") == std::string::npos &&
        message.find("no element") == std::string::npos) {
      Fail("a refusal without its line: " + message);
    }
    return -1;  // kept out of the corpus
  }
  if (!tree->is_object() || tree->get_object().size() != 1) Fail("not one root element");
  CheckNode(tree->get_object().begin()->value(), 1);
  const std::string text = json::serialize(*tree);
  if (json::parse(text) != *tree) Fail("the tree does not survive serialize/parse: " + text);

  for (const disthub::mapping::Mapping& m : *xml_mappings) {
    disthub::mapping::MappingContext context = disthub::fuzz::kContext;
    context.format = disthub::mapping::PayloadFormat::kXml;
    if (m.target() == "order") {
      disthub::fuzz::CheckMappedOrder(m, disthub::mapping::MapOrder(m, *tree, context),
                                      /*utf8=*/true);
    } else {
      disthub::fuzz::CheckMappedDocument(disthub::mapping::MapDocument(m, *tree, context),
                                         m.target() == "partner");
    }
  }
  return 0;
}
