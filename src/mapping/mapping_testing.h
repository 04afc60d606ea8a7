// Helpers the mapping tests share: where the built-in mappings, their test payloads and the
// published fixtures are, and error listings. Test code only.
#pragma once

#include <boost/json.hpp>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/files.h"
#include "fixtures.h"
#include "gtest/gtest.h"
#include "mapping/mapping.h"

namespace disthub::mapping::test {

using ::disthub::testing::FixturesDir;
using ::disthub::testing::SourceDir;

// mappings/NAME, compiled (a test failure if it does not compile).
inline Mapping LoadBuiltIn(const std::string& name) {
  absl::StatusOr<Mapping> m = Mapping::Load(SourceDir() + "/mappings/" + name);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

// `path` parsed ({} and a test failure if it cannot be read or is not JSON).
inline boost::json::value ParseFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text.ok() ? *text : "{}", ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
  return v;
}

// mappings/testdata/NAME, parsed.
inline boost::json::value TestPayload(const std::string& name) {
  return ParseFile(SourceDir() + "/mappings/testdata/" + name);
}

// A fixture (its path under FixturesDir()), parsed.
inline boost::json::value Fixture(const std::string& file) {
  return ParseFile(FixturesDir() + "/" + file);
}

// Every error as ToString(file) gives it, a line each.
inline std::string AllErrors(const std::vector<MappingError>& errors, const std::string& file) {
  std::string all;
  for (const MappingError& e : errors) all += e.ToString(file) + "\n";
  return all;
}

inline absl::Time Utc(int y, int mo, int d, int h, int mi, int s, int ms = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()) +
         absl::Milliseconds(ms);
}

// Every value of `v` and below, depth first (so a mutation can pick one).
inline void Collect(boost::json::value& v, std::vector<boost::json::value*>& out) {
  out.push_back(&v);
  if (v.is_object()) {
    for (auto& kv : v.get_object()) Collect(kv.value(), out);
  } else if (v.is_array()) {
    for (boost::json::value& e : v.get_array()) Collect(e, out);
  }
}

// Mangles `doc` 1 to 3 times: a member removed from an object, or a value replaced by one
// of `replacements`, each picked by `rng`.
inline void Mangle(boost::json::value& doc, std::mt19937_64& rng,
                   const std::vector<boost::json::value>& replacements) {
  const int mutations = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < mutations; ++k) {
    std::vector<boost::json::value*> all;
    Collect(doc, all);
    boost::json::value* target = all[rng() % all.size()];
    if (target->is_object() && !target->get_object().empty() && rng() % 2 == 0) {
      auto& obj = target->get_object();
      obj.erase(std::next(obj.begin(), static_cast<std::ptrdiff_t>(rng() % obj.size())));
    } else {
      *target = replacements[rng() % replacements.size()];
    }
  }
}

}  // namespace disthub::mapping::test
