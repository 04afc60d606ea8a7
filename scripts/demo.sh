#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs `disthub demo`:
# the reference scenario (../shared/SCENARIO.md) against a hub on a temporary store.
# Arguments go to `disthub demo` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build -DDISTHUB_BUILD_BENCH=OFF -- disthub
exec build/src/app/disthub demo "$@"
