#!/usr/bin/env bash
# Shows that the scenarios exercise Mosquitto's real code: copies the Mosquitto tree the build
# uses, plants one bug in the copy (a *.plant file), builds mqsim against the copy with
# -DMOSQUITTO_SOURCE_DIR, and requires the matching scenario to FAIL there (it passes on the
# unmodified tree in the normal test run).
#
# Usage: check-via-source-dir.sh <repo> <build dir> <mosquitto tree> <plant file> <doctest case filter>
set -euo pipefail
repo="$1"; build="$2"; tree="$3"; plant="$4"; filter="$5"
name="$(basename "$plant" .plant)"
work="$build/planted/$name"

rm -rf "$work"
mkdir -p "$work"
cp -a "$tree" "$work/mosquitto"
cmake -DPLANT="$plant" -DTREE="$work/mosquitto" -P "$repo/tests/planted/apply-plant.cmake"
cmake -S "$repo" -B "$work/build" -DMOSQUITTO_SOURCE_DIR="$work/mosquitto" >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; echo "planted build: configure failed"; exit 1; }
cmake --build "$work/build" --target mqsim_scenario_tests -j"$(nproc)" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log"; echo "planted build: build failed"; exit 1; }

set +e
"$work/build/tests/mqsim_scenario_tests" --test-case="$filter" >"$work/run.log" 2>&1
rc=$?
set -e
grep -E "test cases:|ERROR:|values:" "$work/run.log" | head -20
if [[ $rc -eq 0 ]]; then
  echo "MISSED: '$filter' still passes with $name planted: the scenario does not catch it"
  exit 1
fi
if ! grep -q "test cases: *[1-9]" "$work/run.log"; then
  echo "no test case matched '$filter'"
  exit 1
fi
echo "CAUGHT: '$filter' fails with $name planted (as it must)"
