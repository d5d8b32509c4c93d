#!/usr/bin/env bash
# Issue 20's commands end to end on the build's own broker and its fixed broker:
#   1. `mqsim explain` on every face of every cause that has a fix for this version names that
#      cause ("fails without the fix of <cause>") and no other;
#   2. `mqsim merge` of two real `mqsim fuzz --shard` directories: one report, schedules summed,
#      new failures first, then the known causes per version;
#   3. `mqsim check --broker fixed` runs on the fixed broker with no tolerance;
#   4. bad input: exit 2 with one line naming it.
#   test-explain-merge.sh <mqsim> <known-deviations dir> <Mosquitto version>
set -uo pipefail
mqsim="$1"
known="$2"
version="$3"
source "$(dirname "$0")/../lib/script-test.sh"

# 1. explain, face by face.
faces=0
# A face's shrunk schedule may show a second cause as well (its "shows_with": [...]): then
# explain must name exactly its cause and those.
also_of() { tr -d '\n' <"$1" | grep -o '"shows_with": *\[[^]]*\]' | grep -o '"[a-z0-9-]*"' | grep -v shows_with | tr -d '"'; }
with_text() { local also; also=$(also_of "$1" | tr '\n' ' '); [[ -n "$also" ]] && echo " with ${also% }" || echo " alone"; }
named_exactly() {   # named_exactly <cause> <face>: explain.out names these causes and no other
  local want=("$1") c
  mapfile -t -O 1 want < <(also_of "$2")
  for c in "${want[@]}"; do grep -q "fails without the fix of $c\$" explain.out || return 1; done
  [[ $(grep -c "fails without the fix of" explain.out) -eq ${#want[@]} ]]
}

for cause_dir in "$known"/*/; do
  cause=$(basename "$cause_dir")
  [[ -f "$cause_dir/cause.json" ]] || continue
  grep -q "\"$version " "$cause_dir/cause.json" || continue
  [[ -f "$cause_dir/fix-$version.fix" || -f "$cause_dir/fix.fix" ]] || continue
  for face in "$cause_dir"/faces/*.json; do
    [[ -f "$face" ]] || continue
    grep -q "\"$version " "$face" || continue
    faces=$((faces + 1))
    "$mqsim" explain "$face" >explain.out 2>explain.err
    rc=$?
    if [[ $rc -ne 0 ]]; then
      fail "explain $(basename "$face"): exit $rc: $(tail -1 explain.out)"
    elif named_exactly "$cause" "$face"; then
      ok "explain $(basename "$face") names $cause$(with_text "$face")"
    else
      fail "explain $(basename "$face") does not name $cause$(with_text "$face") (and nothing else): $(grep 'fix of\|passes\|NEW' explain.out | tr '\n' ' ')"
    fi
  done
done
[[ $faces -gt 0 ]] || echo "note: no face of a cause with a fix for $version in $known (nothing to explain)"

# 2. merge two shards of one seed space.
for k in 1 2; do
  "$mqsim" fuzz --time 6s --jobs 1 --shard "$k/2" --seed 777000 --out "shard$k" >"fuzz$k.out" 2>"fuzz$k.err"
  [[ -f "shard$k/state/shard-$k-of-2-job-0.json" ]] || fail "shard $k/2 left no state file: $(tail -2 "fuzz$k.err")"
done
"$mqsim" merge shard1 shard2 >merge.out 2>merge.err
rc=$?
done1=$(sed -n 's/.*"done":\([0-9]*\).*/\1/p' shard1/state/*.json)
done2=$(sed -n 's/.*"done":\([0-9]*\).*/\1/p' shard2/state/*.json)
if grep -q "2 campaign directories, Mosquitto $version: $((done1 + done2)) schedules" merge.out; then
  ok "merge sums both shards ($done1 + $done2 schedules)"
else
  fail "merge summary: $(head -1 merge.out) (expected $((done1 + done2)) schedules)"
fi
new_line=$(grep -n "^NEW FAILURES" merge.out | cut -d: -f1)
known_line=$(grep -n "^KNOWN CAUSES" merge.out | cut -d: -f1)
if [[ -n "$new_line" && -n "$known_line" && $new_line -lt $known_line ]]; then ok "new failures come first, then known causes"; else fail "report order: $(cat merge.out)"; fi
fresh=$(ls shard1/failures shard2/failures | grep -v ':$' | grep -c . || true)
if [[ $fresh -eq 0 && $rc -eq 0 ]] || [[ $fresh -gt 0 && $rc -eq 1 ]]; then ok "merge exit $rc with $fresh saved failure dir(s)"; else fail "merge exit $rc with $fresh saved failure dir(s)"; fi
cat merge.out

# 3. `check --broker fixed`: the campaign runs on mqsim-fixed and tolerates nothing (its verdict
#    depends on the list's fixes, so only what it ran on is checked here).
"$mqsim" check --broker fixed -n 100 --out fixed-out >fixed.out 2>fixed.err
rc=$?
if [[ $rc -le 1 ]] && grep -q "Mosquitto $version (fixed broker, no tolerance)" fixed.out && grep -q "tolerance  *none: every failure counts" fixed.out; then
  ok "check --broker fixed: on the fixed broker, no tolerance (exit $rc)"
else
  fail "check --broker fixed: exit $rc: $(head -3 fixed.out) $(tail -2 fixed.err)"
fi
if compgen -G "fixed-out/seed-*/verdict.txt" >/dev/null && ! grep -q "mqsim-fixed replay" fixed-out/seed-*/verdict.txt; then
  fail "check --broker fixed: a saved failure's reproduce command does not name mqsim-fixed"
fi

# 4. bad input.
"$mqsim" merge shard1 nowhere >bad.out 2>bad.err
if [[ $? -eq 2 ]] && grep -q "nowhere: not a \`mqsim fuzz --out\` directory" bad.err; then ok "merge of a non-campaign dir: exit 2, named"; else fail "merge nowhere: $(cat bad.err)"; fi
"$mqsim" explain no-such-file.json >bad.out 2>bad.err
if [[ $? -eq 2 ]] && grep -q "no-such-file.json" bad.err; then ok "explain of a missing file: exit 2, named"; else fail "explain missing: $(cat bad.err)"; fi
finish
