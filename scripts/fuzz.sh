#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with Debian's clang 14 into
# build-fuzz/ and runs each for a bounded time on its seeds:
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]    # default 30
#
# Seeds are read in place (the published fixtures in ../shared/fixtures, or
# $DISTHUB_FIXTURES_DIR, and the repository's mappings/); what the fuzzers find new goes to a
# temporary folder that is removed at the end. Exits non-zero on any crash, leak, sanitizer
# report or timeout, printing the reproducer to save under fuzz/regressions/<target>/.
# Environment: DISTHUB_FUZZ_BUILD_DIR (default build-fuzz), DISTHUB_FUZZ_TARGETS (a
# space-separated subset), DISTHUB_FUZZ_JOBS (ninja -j, default nproc).
set -euo pipefail

seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DISTHUB_FUZZ_BUILD_DIR:-$root/build-fuzz}
fixtures=${DISTHUB_FIXTURES_DIR:-${DISTHUB_FIXTURES:-$root/../shared/fixtures}}
jobs=${DISTHUB_FUZZ_JOBS:-$(nproc)}

for tool in clang-14 clang++-14 cmake ninja; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

# ---- Build ----------------------------------------------------------------------------------
start=$SECONDS
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root/fuzz" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 1; }
  rm -f "$build.configure.log"
fi
targets=(mapping_fuzz mapping_file_fuzz csv_fuzz xml_fuzz x12_fuzz edifact_fuzz)
if [ -n "${DISTHUB_FUZZ_TARGETS:-}" ]; then read -r -a targets <<<"$DISTHUB_FUZZ_TARGETS"; fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
echo "fuzz: built ${targets[*]} in $((SECONDS - start)) s"

# ---- Seeds ----------------------------------------------------------------------------------
if [ -d "$fixtures" ]; then
  fixtures=$(cd "$fixtures" && pwd)
else
  echo "fuzz: no fixtures at $fixtures (set DISTHUB_FIXTURES_DIR): running with the repository's own seeds only"
  fixtures=""
fi
# The seed folders of a target, those that exist (libFuzzer reads every file in each).
seeds_of() {
  local dirs=()
  case $1 in
    mapping_fuzz)
      dirs=("$root/mappings/testdata")
      [ -n "$fixtures" ] && for p in shopify woocommerce bigcommerce amazon walmart threepl carrier; do
        dirs+=("$fixtures/$p")
      done ;;
    mapping_file_fuzz) dirs=("$root/mappings") ;;
    csv_fuzz) [ -n "$fixtures" ] && dirs=("$fixtures/datasets" "$fixtures/shopify") ;;
    xml_fuzz) dirs=("$root/mappings/testdata") ;;
    x12_fuzz) [ -n "$fixtures" ] && dirs=("$fixtures/x12") ;;
    edifact_fuzz) [ -n "$fixtures" ] && dirs=("$fixtures/edifact") ;;
  esac
  dirs+=("$root/fuzz/regressions/$1")
  for d in "${dirs[@]}"; do [ -d "$d" ] && echo "$d"; done
  return 0
}
# Only the files that are seeds: a folder of fixtures holds other formats too, and
# mappings/ holds testdata/ (libFuzzer reads sub-folders as well), so each target gets a
# folder of links to its own kind of file.
link_seeds() {
  local target=$1 dir=$2 pattern
  case $target in
    mapping_fuzz) pattern='*.json' ;;
    mapping_file_fuzz) pattern='*.yaml' ;;
    csv_fuzz) pattern='*.csv' ;;
    xml_fuzz) pattern='*.xml' ;;
    x12_fuzz | edifact_fuzz) pattern='*.[eE][dD][iI]' ;;
  esac
  local n=0 d f
  while read -r d; do
    for f in "$d"/$pattern "$d"/crash-* "$d"/leak-* "$d"/timeout-* "$d"/oom-* "$d"/slow-unit-*; do
      [ -f "$f" ] || continue
      ln -s "$f" "$dir/$(basename "$d")__$(basename "$f")"
      n=$((n + 1))
    done
  done < <(seeds_of "$target")
  echo "$n"
}

# ---- Run ------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/disthub-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="detect_leaks=1:symbolize=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer
export DISTHUB_SOURCE_DIR=$root

# One of libFuzzer's final stats (-print_final_stats=1) from the log: number_of_executed_units,
# average_exec_per_sec, peak_rss_mb, ...
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }

failed=()
summary=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/seeds" "$work/$t/corpus" "$work/$t/artifacts"
  n=$(link_seeds "$t" "$work/$t/seeds")
  dict=()
  case $t in
    mapping_fuzz) dict=(-dict="$root/fuzz/json.dict") ;;
    mapping_file_fuzz) dict=(-dict="$root/fuzz/yaml.dict") ;;
    xml_fuzz) dict=(-dict="$root/fuzz/xml.dict") ;;
  esac
  echo "fuzz: $t for ${seconds} s on $n seeds"
  log=$work/$t.log
  rc=0
  "$build/$t" "$work/$t/corpus" "$work/$t/seeds" "${dict[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" </dev/null >"$log" 2>&1 || rc=$?
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  corpus=$(find "$work/$t/corpus" -type f | wc -l)
  line="$t: $(stat number_of_executed_units) runs, $(stat average_exec_per_sec) exec/s, ${cov:-cov: ? ft: ?}, corpus $corpus, peak RSS $(stat peak_rss_mb) MB"
  if ((rc != 0)) || grep -qE '^(==[0-9]+==ERROR|SUMMARY: |.*runtime error: )' "$log"; then
    echo "fuzz: $t FAILED (exit $rc):" >&2
    # The report: from its first line (a sanitizer's, libFuzzer's or a harness invariant's)
    # on, without ASan's shadow-byte legend.
    report=$(awk '/^==[0-9]+== ?ERROR|runtime error:|^fuzz invariant broken|^ALARM|out-of-memory/ {on = 1}
                  /^Shadow bytes around/ {on = 0}
                  on && !/^#[0-9]+[ \t]/ && n++ < 60' "$log")
    if [ -n "$report" ]; then echo "$report" >&2; else tail -n 30 "$log" >&2; fi
    keep=$build/artifacts/$t
    mkdir -p "$keep"
    for a in "$work/$t/artifacts"/*; do
      [ -f "$a" ] || continue
      cp "$a" "$keep/"
      echo "fuzz: reproducer $keep/$(basename "$a") (rerun: $build/$t $keep/$(basename "$a"); keep it under fuzz/regressions/$t/)" >&2
    done
    failed+=("$t")
    line="$line: FAILED"
  fi
  summary+=("$line")
  echo "fuzz: $line"
done

echo "fuzz: summary (${seconds} s per target, $((SECONDS - start)) s in all)"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
