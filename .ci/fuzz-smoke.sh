#!/usr/bin/env bash
# Fuzz smoke test: builds the libFuzzer target (clang, ASan+UBSan, coverage) in its own build
# directory and fuzzes Mosquitto through the simulator for N seconds (default 60). Exits non-zero
# on any crash, sanitizer report, hang or unlisted model violation; the input that did it is left
# in <build>/fuzz-artifacts/ and replays with `mqsim replay <file>` or `mqsim_fuzz <file>`.
#
#   .ci/fuzz-smoke.sh [seconds]
#   MQSIM_FUZZ_BUILD_DIR   build directory (default build-fuzz)
#   MQSIM_FUZZ_MODEL       1 (default) | report | 0: see fuzz/README.md
#   MOSQUITTO_SOURCE_DIR   a Mosquitto tree to build (default: the one ./build already uses,
#                          if any, so CI does not fetch the sources twice; else fetched)
#
# It must never reuse a gcc build directory: the fuzzer needs clang for every object.
set -euo pipefail

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds]" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${MQSIM_FUZZ_BUILD_DIR:-$root/build-fuzz}"

command -v clang++ >/dev/null || { echo "fuzz-smoke: clang++ not found (Debian: apt-get install clang)" >&2; exit 2; }
tree="${MOSQUITTO_SOURCE_DIR:-}"
if [[ -z "$tree" && -f "$root/build/CMakeCache.txt" ]]; then
  tree="$(sed -n 's/^MQSIM_MOSQUITTO_TREE:INTERNAL=//p' "$root/build/CMakeCache.txt")"
fi
configure=(-S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DMQSIM_LIBFUZZER=ON)
[[ -n "$tree" ]] && configure+=(-DMOSQUITTO_SOURCE_DIR="$tree")
start_s=$SECONDS
cmake "${configure[@]}" >"$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; echo "fuzz-smoke: configure failed" >&2; exit 2; }
cmake --build "$build" --target mqsim_fuzz -j "$(nproc)" >"$build.build.log" 2>&1 \
  || { tail -40 "$build.build.log" >&2; echo "fuzz-smoke: build failed (tail of $build.build.log above)" >&2; exit 2; }
echo "fuzz-smoke: built mqsim_fuzz in $((SECONDS - start_s)) s"

corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus" "$artifacts"
# -timeout=30: one run takes milliseconds; a wall-clock hang must fail the smoke run, not outlast it.
# -len_control=0: a step needs the 22-byte header first, so let inputs be long from the start.
# -detect_leaks=0: libFuzzer's per-input leak check re-runs every new input and scans the heap
#   (it more than halves exec/s) and cannot see the broker's heap (the simulator's arena) at all.
#   LSan still checks once at exit, with the per-run reset's own leak suppressed
#   (fuzz/sanitizer_options.cpp).
set +e
"$build/mqsim_fuzz" -max_total_time="$seconds" -timeout=30 -len_control=0 -max_len=1046 -detect_leaks=0 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "fuzz-smoke: FAILED (exit $rc); inputs kept in $artifacts:" >&2
  ls -1 "$artifacts" >&2 || true
  echo "replay one with: $build/mqsim_fuzz <file>, or (artifacts, pcap, sequence diagram):" >&2
  echo "  cmake --build $build --target mqsim && $build/mqsim replay <file>" >&2
  exit 1
fi
echo "fuzz-smoke: ok (${seconds}s, MQSIM_FUZZ_MODEL=${MQSIM_FUZZ_MODEL:-1}: no crash, no sanitizer report, no hang, no unlisted violation)"
