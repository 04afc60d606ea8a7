#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs every test, twice:
# the normal build, then a build with AddressSanitizer + UndefinedBehaviorSanitizer;
# then the fuzz targets for a bounded time (scripts/fuzz.sh).
#   scripts/test.sh            both
#   scripts/test.sh --quick    the normal build only
# Both builds carry line tables only (-g1: backtraces and sanitizer reports keep function
# names, files and lines; no local variables), which compiles 15-40% faster. For full debug
# info in these folders: DISTHUB_DEBUG_INFO=full scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)
debug_info=-DDISTHUB_DEBUG_INFO=${DISTHUB_DEBUG_INFO:-lines}

# The benchmarks (bench/) are programs, not tests: they are left out here to keep CI within
# its time budget. Build them with: bash scripts/build.sh build -DDISTHUB_BUILD_BENCH=ON
echo "== build (RelWithDebInfo, warnings are errors)"
bash scripts/build.sh build -DDISTHUB_BUILD_BENCH=OFF "$debug_info"
echo "== tests"
(cd build && ctest -j"$jobs" --output-on-failure --timeout 300)

if [ "${1:-}" != "--quick" ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  bash scripts/build.sh build-asan -DDISTHUB_SANITIZE=address -DDISTHUB_BUILD_BENCH=OFF "$debug_info"
  echo "== tests under ASan+UBSan"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest -j"$jobs" --output-on-failure --timeout 600)
  # The mapping engine and the CSV reader under libFuzzer (clang 14, ASan/UBSan/LSan):
  # the saved reproducers first, then a bounded run per target on the fixtures
  # (docs/fuzzing.md). DISTHUB_FUZZ_SECONDS=0 leaves it out.
  if [ "${DISTHUB_FUZZ_SECONDS:-10}" != 0 ]; then
    echo "== fuzzing (libFuzzer, ${DISTHUB_FUZZ_SECONDS:-10} s per target)"
    bash scripts/fuzz.sh "${DISTHUB_FUZZ_SECONDS:-10}"
  fi
fi
