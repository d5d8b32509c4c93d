#!/usr/bin/env bash
# In a sanitizer build (MQSIM_SANITIZE=ON), a memory error in Mosquitto's code is a finding: the
# mqsim program linked with a broker carrying a planted stack overflow
# (planted/stack-read-overflow.plant) must report it from `mqsim check` as a crash with its seed,
# with ASan's report, save it, and reproduce it with `mqsim replay <failure dir>` and `<seed>`.
#   check-sanitizer-finding.sh <mqsim_sanitize_planted>
set -uo pipefail
mqsim="$1"
source "$(dirname "$0")/../tests/lib/script-test.sh"

"$mqsim" check -n 50 --out found >check.out 2>check.err
status=$?
[[ $status -eq 1 ]] && ok "mqsim check exits 1 (a failure found)" || fail "mqsim check exited $status, want 1"
grep -q "AddressSanitizer: stack-buffer-overflow" check.err && grep -q "handle__subscribe" check.err \
  && ok "ASan's report names the overflow in handle__subscribe" \
  || { fail "no ASan stack-buffer-overflow report from handle__subscribe:"; tail -5 check.err | sed 's/^/    /'; }
headline=$(grep -m1 -E "crashed.*seed [0-9]+" check.out)
seed=$(echo "$headline" | sed -n 's/.* seed \([0-9]*\).*/\1/p' | head -1)
[[ -n "$seed" ]] && ok "reported as a crash with its seed: $headline" \
  || { fail "no 'crashed ... seed N' line:"; tail -8 check.out | sed 's/^/    /'; }
dir=$(ls -d found/seed-*/ 2>/dev/null | head -1)
if [[ -n "$dir" && -s "$dir/verdict.txt" ]]; then
  ok "saved in $dir"
  "$mqsim" replay "$dir" --out replayed >replay.out 2>replay.err
  status=$?
  [[ $status -eq 1 ]] && grep -q "AddressSanitizer: stack-buffer-overflow" replay.err \
    && ok "mqsim replay <failure dir> reproduces it (exit 1, ASan report again)" \
    || fail "mqsim replay $dir: exit $status, ASan report: $(grep -c AddressSanitizer replay.err)"
else
  fail "no failure directory saved as found/seed-N"
fi
if [[ -n "$seed" ]]; then
  "$mqsim" replay "$seed" --out by-seed >seed.out 2>seed.err
  status=$?
  [[ $status -eq 1 ]] && grep -q "AddressSanitizer: stack-buffer-overflow" seed.err \
    && ok "mqsim replay $seed reproduces it" || fail "mqsim replay $seed: exit $status"
fi

finish
