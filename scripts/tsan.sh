#!/usr/bin/env bash
# Builds with ThreadSanitizer and runs every test (not part of scripts/test.sh, to keep
# CI within its time budget; run it after touching anything concurrent).
# Locks are std::mutex throughout: Debian's prebuilt abseil is not instrumented, so
# absl::Mutex would make TSan report false races.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build-tsan -DDISTHUB_SANITIZE=thread -DDISTHUB_BUILD_BENCH=OFF
cd build-tsan
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest -j"$(nproc)" --output-on-failure --timeout 900
