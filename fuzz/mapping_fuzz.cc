// Partner payloads through the built-in mappings (mappings/*.yaml): the bytes, if they are
// JSON, go through MapOrder() with the `channel` variable set. Nothing a partner sends may
// crash, leak, hit undefined behaviour or throw, and what comes out keeps the contracts
// CheckMappedOrder() (fuzz_support.h) checks.
//
// Seeds: the published payloads (../shared/fixtures/<partner>/*.json) and
// mappings/testdata/*.json; scripts/fuzz.sh runs it.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "mapping/mapping.h"

namespace {
const std::vector<disthub::mapping::Mapping>* mappings = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mappings = new std::vector<disthub::mapping::Mapping>(disthub::fuzz::LoadBuiltinMappings());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::error_code ec;
  const boost::json::value payload =
      boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return -1;  // not JSON: Boost.JSON's business, and kept out of the corpus
  for (const disthub::mapping::Mapping& m : *mappings) {
    if (m.target() == "order") {
      disthub::fuzz::CheckMappedOrder(
          m, disthub::mapping::MapOrder(m, payload, disthub::fuzz::kContext), /*utf8=*/true);
    } else {
      disthub::fuzz::CheckMappedDocument(
          disthub::mapping::MapDocument(m, payload, disthub::fuzz::kContext),
          m.target() == "partner");
    }
  }
  return 0;
}
