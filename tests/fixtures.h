// Where the tests find the source tree and the published fixtures (../shared/fixtures,
// which a clone elsewhere may lack: tests that need them skip). Test code only.
#pragma once

#include <cstdlib>
#include <string>

namespace disthub::testing {

// The source tree: $DISTHUB_SOURCE_DIR, else the one this test was built from.
inline std::string SourceDir() {
  const char* dir = std::getenv("DISTHUB_SOURCE_DIR");
  return dir != nullptr ? dir : DISTHUB_DEFAULT_SOURCE_DIR;
}

// The published fixtures: $DISTHUB_FIXTURES or $DISTHUB_FIXTURES_DIR (as scripts/fuzz.sh
// names it), else ../shared/fixtures beside the source tree.
inline std::string FixturesDir() {
  const char* dir = std::getenv("DISTHUB_FIXTURES");
  if (dir == nullptr) dir = std::getenv("DISTHUB_FIXTURES_DIR");
  return dir != nullptr ? dir : SourceDir() + "/../shared/fixtures";
}

}  // namespace disthub::testing
