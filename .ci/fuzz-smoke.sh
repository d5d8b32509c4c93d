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

# clang and its runtimes (libFuzzer is in libclang-rt-dev, only recommended by clang): installed
# here when missing, as ./mqsim installs the rest.
missing=()
for p in clang libclang-rt-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "fuzz-smoke: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
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
# libFuzzer's progress lines go to a log; the end of it is shown either way.
log="$build/fuzz.log"
set +e
"$build/mqsim_fuzz" -max_total_time="$seconds" -timeout=30 -len_control=0 -max_len=1046 -detect_leaks=0 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  grep -v -E '^#[0-9]+|NEW_FUNC' "$log" | tail -80 >&2
  echo "fuzz-smoke: FAILED (exit $rc; whole log: $log); inputs kept in $artifacts:" >&2
  ls -1 "$artifacts" >&2 || true
  echo "replay one with: $build/mqsim_fuzz <file>, or (artifacts, pcap, sequence diagram):" >&2
  echo "  cmake --build $build --target mqsim && $build/mqsim replay <file>" >&2
  exit 1
fi
grep -E '^(stat::|Done )|Suppressions used|^ +[0-9]+ +[0-9]+ ' "$log"
echo "fuzz-smoke: ok (${seconds}s, MQSIM_FUZZ_MODEL=${MQSIM_FUZZ_MODEL:-1}: no crash, no sanitizer report, no hang, no unlisted violation)"

# The bad-input properties of every reader (tests/unit/test_input_readers.cpp: 10,000 mutated
# inputs per reader, every truncation of the state files) under the same ASan+UBSan build: a
# reader that reads past a buffer or overflows while refusing bad input is a finding too.
start_s=$SECONDS
cmake --build "$build" --target mqsim_unit_tests -j "$(nproc)" >>"$build.build.log" 2>&1 \
  || { tail -40 "$build.build.log" >&2; echo "fuzz-smoke: unit tests build failed" >&2; exit 2; }
"$build/tests/mqsim_unit_tests" -tc='readers:*' >"$build/readers.log" 2>&1 \
  || { tail -60 "$build/readers.log" >&2; echo "fuzz-smoke: reader properties FAILED under ASan+UBSan (log: $build/readers.log)" >&2; exit 1; }
tail -2 "$build/readers.log"
echo "fuzz-smoke: reader properties ok under ASan+UBSan ($((SECONDS - start_s)) s, build included)"
