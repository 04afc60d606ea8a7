// How a fuzz target reports a broken contract: says which, then aborts, so that libFuzzer
// stops, saves the input and reports it like a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace disthub::fuzz {

[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "\nfuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace disthub::fuzz
