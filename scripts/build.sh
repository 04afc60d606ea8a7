#!/usr/bin/env bash
# Configures and builds disthub into a build folder.
#   scripts/build.sh [BUILD_DIR] [extra cmake -D options…] [-- targets…]
# BUILD_DIR defaults to build/. Incremental: re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake_args=()
targets=()
while (($#)); do
  if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
  cmake_args+=("$1")
  shift
done
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null
ninja -C "$dir" "${targets[@]}"
