// Mapping files (the configuration names them; docs/mappings.md): the bytes as YAML through
// Mapping::Parse(), which must refuse anything that is not a mapping with
// kInvalidArgument, never crash, leak or throw. A mapping it accepts is applied, through
// MapOrder(), to each payload of mappings/testdata/ and keeps the contracts
// CheckMappedOrder() (fuzz_support.h) checks, whatever its rules say.
//
// Seeds: mappings/*.yaml; scripts/fuzz.sh runs it.
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "mapping/mapping.h"

namespace {
const std::vector<boost::json::value>* payloads = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  payloads = new std::vector<boost::json::value>(disthub::fuzz::LoadTestPayloads());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<disthub::mapping::Mapping> m = disthub::mapping::Mapping::Parse(yaml, "fuzz.yaml");
  if (!m.ok()) {
    if (m.status().code() != absl::StatusCode::kInvalidArgument || m.status().message().empty()) {
      disthub::fuzz::Fail("Parse refused with " + m.status().ToString() +
                          ", not kInvalidArgument and a message");
    }
    return 0;
  }
  if (m->name().empty() || m->dialect().empty() || m->version() < 1 || m->target().empty() ||
      m->file() != "fuzz.yaml") {
    disthub::fuzz::Fail("Parse accepted a mapping without name, from, version >= 1 or to");
  }
  for (const boost::json::value& payload : *payloads) {
    if (m->target() == "order") {
      disthub::fuzz::CheckMappedOrder(
          *m, disthub::mapping::MapOrder(*m, payload, disthub::fuzz::kContext), /*utf8=*/false);
    } else {
      disthub::fuzz::CheckMappedDocument(
          disthub::mapping::MapDocument(*m, payload, disthub::fuzz::kContext),
          m->target() == "partner");
    }
  }
  return 0;
}
