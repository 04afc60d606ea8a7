#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs every test, twice:
# the normal build, then a build with AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            both
#   scripts/test.sh --quick    the normal build only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

echo "== build (RelWithDebInfo, warnings are errors)"
bash scripts/build.sh build
echo "== tests"
(cd build && ctest -j"$jobs" --output-on-failure --timeout 300)

if [ "${1:-}" != "--quick" ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  bash scripts/build.sh build-asan -DDISTHUB_SANITIZE=address -DDISTHUB_BUILD_BENCH=OFF
  echo "== tests under ASan+UBSan"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest -j"$jobs" --output-on-failure --timeout 600)
fi
