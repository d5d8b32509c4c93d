#!/usr/bin/env bash
# The undefined behaviour listed in known-ub.supp is a finding, not a hidden one: in a sanitizer
# build, its schedule (known-ub/*.json) must still make UBSan report it when the suppressions are
# off, and pass with them on. When Mosquitto fixes it this test fails: then remove the entry.
#   check-known-ub.sh <mqsim of a sanitizer build> <fuzz/ dir>
set -uo pipefail
mqsim="$1"; fuzz_dir="$2"
source "$(dirname "$0")/../tests/lib/script-test.sh"

schedule="$fuzz_dir/known-ub/handle_publish-memcmp-null.json"
# Mosquitto 2.0.21 src/handle_publish.c:297: memcmp(NULL, NULL, 0) on a resent QoS 2 PUBLISH.
UBSAN_OPTIONS="suppressions=/dev/null:print_stacktrace=1:halt_on_error=1:abort_on_error=1" \
  "$mqsim" replay "$schedule" --out unsuppressed >out.txt 2>err.txt
status=$?
if [[ $status -eq 1 ]] && grep -q "handle_publish.c:297" err.txt && grep -q "null pointer passed as argument" err.txt; then
  ok "without suppressions UBSan reports handle_publish.c:297 (memcmp with null arguments), run reported as crashed"
else
  fail "without suppressions: exit $status, no UBSan report at handle_publish.c:297"; grep -m3 -E "runtime error|FAIL|PASS" out.txt err.txt | sed 's/^/    /'
fi
"$mqsim" replay "$schedule" --out suppressed >out.txt 2>err.txt
status=$?
[[ $status -eq 0 ]] && ! grep -q "runtime error" err.txt && ok "with known-ub.supp the schedule passes" \
  || fail "with the suppressions: exit $status; $(grep -m1 'runtime error' err.txt)"

finish
