// What the mapping fuzz targets share: where the repository is, the built-in mappings and
// the payloads they were written for (loaded once in LLVMFuzzerInitialize; a target that
// cannot load them stops at start-up rather than fuzz nothing), and the checks on a
// mapped order.
#pragma once

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "base/files.h"
#include "fail.h"
#include "mapping/mapping.h"
#include "model/json.h"
#include "model/validate.h"

namespace disthub::fuzz {

// The repository root: $DISTHUB_SOURCE_DIR, else the one this binary was built from.
inline std::filesystem::path SourceDir() {
  const char* env = std::getenv("DISTHUB_SOURCE_DIR");
  return env != nullptr && *env != '\0' ? env : DISTHUB_FUZZ_SOURCE_DIR;
}

// The files of `dir` whose name ends with `ext`, sorted.
inline std::vector<std::string> FilesIn(const std::filesystem::path& dir, const std::string& ext) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) Fail("no " + ext + " file in " + dir.string() + " (set DISTHUB_SOURCE_DIR)");
  return out;
}

// The built-in mappings, mappings/*.yaml.
inline std::vector<mapping::Mapping> LoadBuiltinMappings() {
  std::vector<mapping::Mapping> out;
  for (const std::string& file : FilesIn(SourceDir() / "mappings", ".yaml")) {
    absl::StatusOr<mapping::Mapping> m = mapping::Mapping::Load(file);
    if (!m.ok()) Fail(std::string(m.status().message()));
    out.push_back(*std::move(m));
  }
  return out;
}

// The payloads written for the built-in mappings, mappings/testdata/*.json.
inline std::vector<boost::json::value> LoadTestPayloads() {
  std::vector<boost::json::value> out;
  for (const std::string& file : FilesIn(SourceDir() / "mappings" / "testdata", ".json")) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) Fail(std::string(text.status().message()));
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(*text, ec);
    if (ec) Fail(file + ": " + ec.message());
    out.push_back(std::move(v));
  }
  return out;
}

// Whether `text` is valid UTF-8 (as Boost.JSON's parser checks it).
inline bool IsUtf8(const std::string& text) {
  boost::json::error_code ec;
  boost::json::parse(boost::json::serialize(boost::json::value(text)), ec);
  return !ec;
}

// The variables the mappings' `var:` rules read.
inline const mapping::MappingContext kContext{.vars = {{"channel", "fuzz-channel"}}};

// MapDocument()'s contract for the other targets: a value of the mapping's target engaged
// iff no errors, every error with its rule and message.
inline void CheckMappedDocument(const mapping::MappedDocument& out, bool partner = false) {
  if (partner) {
    if (!std::holds_alternative<std::monostate>(out.value)) Fail("MapDocument: partner decoded");
  } else if (out.ok() == std::holds_alternative<std::monostate>(out.value)) {
    Fail("MapDocument: a value engaged iff no errors");
  }
  for (const auto& e : out.errors) {
    if (e.rule.empty() || e.message.empty()) Fail("MapDocument: an error without rule or message");
  }
}

// The contracts of mapping.h and model/json.h on what MapOrder() returns:
//   - `order` engaged iff no errors; every error names its rule and says what is wrong (in
//     valid UTF-8 when `utf8` is set); the mapping's own errors (those not of the
//     "canonical" model) stop at 100;
//   - the document is a JSON object that serializes to JSON parsing back to the same value
//     (valid UTF-8 too when `utf8` is set: what comes from a parsed payload is, and a mapping
//     file's keys and values are not checked for it, yaml-cpp passes any bytes);
//   - for an order: ParseAndDecode(serialize(document)) decodes the same order as
//     Decode(document) did (when that text is UTF-8), Serialize(order) == serialize(Encode(order))
//     byte for byte, and Decode(Encode(order), kStored) == order, which still validates.
inline void CheckMappedOrder(const mapping::Mapping& m, const mapping::MappedOrder& out,
                             bool utf8) {
  const std::string who = m.file() + ": ";
  if (out.ok() != out.order.has_value()) Fail(who + "order engaged iff no errors");
  if (!out.document.is_object()) Fail(who + "the document is not a JSON object");
  size_t mapping_errors = 0;
  for (const auto& e : out.errors) {
    if (e.rule.empty() || e.message.empty())
      Fail(who + "an error without rule or message: " + e.ToString(m.file()));
    if (!e.rule.starts_with("canonical ")) ++mapping_errors;
    // Errors go out in JSON answers (problem details): text cut inside a character is not JSON.
    if (utf8 && !IsUtf8(e.ToString(m.file())))
      Fail(who + "an error is not valid UTF-8: " + e.ToString(m.file()));
  }
  if (mapping_errors > 100)
    Fail(who + "more than 100 mapping errors: " + std::to_string(mapping_errors));

  const std::string text = boost::json::serialize(out.document);
  boost::json::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 100000;  // a mapping file's `fields:` may nest deeper than 32
  options.allow_invalid_utf8 = !utf8;
  boost::json::value back = boost::json::parse(text, ec, {}, options);
  if (ec)
    Fail(who + "the document serializes to text that is not JSON (" + ec.message() + "): " + text);
  if (back != out.document) Fail(who + "the document does not survive serialize/parse: " + text);
  if (!out.order) return;

  // (Text that is not UTF-8 is not JSON to ParseAndDecode, as to boost::json::parse.)
  if (utf8 || IsUtf8(text)) {
    absl::StatusOr<Decoded<Order>> streamed = ParseAndDecodeOrder(text);
    if (!streamed.ok() || !streamed->ok() || streamed->value != out.order) {
      Fail(who +
           "ParseAndDecodeOrder(serialize(document)) differs from DecodeOrder(document): " + text);
    }
  }
  const boost::json::value encoded = EncodeOrder(*out.order);
  if (SerializeOrder(*out.order) != boost::json::serialize(encoded)) {
    Fail(who +
         "SerializeOrder differs from serialize(EncodeOrder): " + boost::json::serialize(encoded));
  }
  Decoded<Order> again = DecodeOrder(encoded, DecodeMode::kStored);
  if (!again.ok() || again.value != out.order) {
    Fail(who + "DecodeOrder(EncodeOrder(order), kStored) differs from the order: " +
         boost::json::serialize(encoded));
  }
  if (!ValidateOrder(*again.value).empty()) Fail(who + "the re-decoded order no longer validates");
}

}  // namespace disthub::fuzz
