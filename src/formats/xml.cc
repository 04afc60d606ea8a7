#include "formats/xml.h"

#include <expat.h>

#include <boost/json.hpp>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.h"

namespace disthub::formats {
namespace {

namespace json = boost::json;

// Expat reports names as "URI\x01local" once namespaces are processed.
constexpr char kNamespaceSeparator = '\x01';

std::string_view LocalName(const XML_Char* name) {
  std::string_view n(name);
  const size_t cut = n.rfind(kNamespaceSeparator);
  return cut == std::string_view::npos ? n : n.substr(cut + 1);
}

bool OnlySpace(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// An element being read: its attributes and children so far, and its text.
struct Frame {
  std::string name;
  json::object members;
  std::string text;
};

struct Reader {
  json::storage_ptr sp;
  XmlLimits limits;
  XML_Parser parser = nullptr;
  std::vector<Frame> open;
  std::optional<json::object> root;  // {"name": value} once the document element closes
  std::string error;                 // why the reading was stopped, by us rather than by expat

  void Stop(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }

  // Puts `value` under `name` in `parent`; a second element of that name makes a list.
  void Add(json::object& parent, std::string_view name, json::value value) {
    auto it = parent.find(name);
    if (it == parent.end()) {
      parent.emplace(name, std::move(value));
      return;
    }
    json::value& there = it->value();
    if (!there.is_array()) {
      json::array list(sp);
      list.reserve(2);
      list.push_back(std::move(there));
      there = std::move(list);
    }
    there.get_array().push_back(std::move(value));
  }

  void Start(const XML_Char* name, const XML_Char** attributes) {
    if (open.size() >= limits.max_depth) {
      return Stop(StrCat("elements are nested deeper than ", static_cast<int64_t>(limits.max_depth),
                         " levels"));
    }
    Frame& f = open.emplace_back(
        Frame{.name = std::string(LocalName(name)), .members = json::object(sp), .text = {}});
    for (const XML_Char** a = attributes; a[0] != nullptr; a += 2) {
      Add(f.members, StrCat("@", LocalName(a[0])), json::string(a[1], sp));
    }
  }

  void End() {
    Frame f = std::move(open.back());
    open.pop_back();
    if (!f.members.empty() && !OnlySpace(f.text)) {
      f.members.emplace("#text", json::string(f.text, sp));
    }
    // Constructed, not assigned: a value keeps the storage it is made with.
    json::value value = f.members.empty() ? json::value(json::string(f.text, sp))
                                          : json::value(std::move(f.members));
    if (open.empty()) {
      root.emplace(sp);
      root->emplace(f.name, std::move(value));
    } else {
      Add(open.back().members, f.name, std::move(value));
    }
  }

  void Text(const XML_Char* s, int len) {
    if (open.empty()) return;
    std::string& text = open.back().text;
    if (text.size() + static_cast<size_t>(len) > limits.max_text_bytes) {
      return Stop(StrCat("an element's text is longer than ",
                         static_cast<int64_t>(limits.max_text_bytes), " bytes"));
    }
    text.append(s, static_cast<size_t>(len));
  }
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attributes) {
  static_cast<Reader*>(data)->Start(name, attributes);
}
void XMLCALL OnEnd(void* data, const XML_Char*) { static_cast<Reader*>(data)->End(); }
void XMLCALL OnText(void* data, const XML_Char* s, int len) {
  static_cast<Reader*>(data)->Text(s, len);
}
void XMLCALL OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<Reader*>(data)->Stop(
      "a DOCTYPE is not accepted (no document type definitions, so no entities of their own)");
}

struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

}  // namespace

absl::StatusOr<json::value> ParseXml(std::string_view bytes, json::storage_ptr storage,
                                     const XmlLimits& limits) {
  if (bytes.size() > limits.max_bytes || bytes.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(StrCat("the XML document is larger than ",
                                             static_cast<int64_t>(limits.max_bytes), " bytes"));
  }
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserFree> parser(
      XML_ParserCreateNS(nullptr, kNamespaceSeparator));
  if (parser == nullptr) return absl::ResourceExhaustedError("no memory for an XML parser");
  Reader reader{.sp = std::move(storage), .limits = limits, .parser = parser.get()};
  XML_SetUserData(parser.get(), &reader);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), OnDoctype);
  if (XML_Parse(parser.get(), bytes.data(), static_cast<int>(bytes.size()), XML_TRUE) !=
      XML_STATUS_OK) {
    const bool ours = !reader.error.empty();
    return absl::InvalidArgumentError(
        StrCat(ours ? "XML refused at line " : "not well-formed XML at line ",
               static_cast<int64_t>(XML_GetCurrentLineNumber(parser.get())), ", column ",
               static_cast<int64_t>(XML_GetCurrentColumnNumber(parser.get())) + 1, ": ",
               ours ? reader.error : XML_ErrorString(XML_GetErrorCode(parser.get()))));
  }
  if (!reader.root) return absl::InvalidArgumentError("not well-formed XML: no element");
  return json::value(std::move(*reader.root));
}

bool LooksLikeXml(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) return true;  // UTF-16
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '<';
}

}  // namespace disthub::formats
