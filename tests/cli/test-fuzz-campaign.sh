#!/usr/bin/env bash
# `mqsim fuzz` as a nightly campaign meets it, on a broker with a planted bug: the campaign finds
# the bug and saves it; killed with SIGKILL it takes its jobs along and loses nothing saved;
# `--resume` goes on from the saved position (no finished seed run again) and keeps every saved
# failure; two shards of one seed space run disjoint seeds.
#   test-fuzz-campaign.sh <mqsim linked with a planted broker>
set -uo pipefail
mqsim="$1"
pid=""
source "$(dirname "$0")/../lib/script-test.sh"
at_exit '[[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null'

# state_field <state file> <field>: a number from a job's state file ({"done":N,"first_seed":...}).
state_field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
# failure_seeds <campaign dir>: the seed each saved failure was found with, one per line.
failure_seeds() { sed -n 's/^seed: *\([0-9]*\)$/\1/p' "$1"/failures/*/verdict.txt 2>/dev/null | sort -n; }
# in_job_seeds <state file> <seed>: whether <seed> is one of the seeds that job has finished.
in_job_seeds() {
  local first stride done x="$2"
  first=$(state_field "$1" first_seed); stride=$(state_field "$1" stride); done=$(state_field "$1" done)
  (( x >= first && (x - first) % stride == 0 && (x - first) / stride < done ))
}

# 1. Found and saved, then SIGKILL while running.
"$mqsim" fuzz --time 120s --jobs 1 --out camp >run1.out 2>run1.err &
pid=$!
state=camp/state/shard-1-of-1-job-0.json
for _ in $(seq 1 600); do   # up to 60 s for the first saved failure
  compgen -G "camp/failures/*/verdict.txt" >/dev/null && break
  sleep 0.1
done
sleep 1.5                   # the job keeps running past it (its position is saved every second)
# children_of <pid>: from /proc/*/stat ("pid (comm) state ppid ..."); processes come and go
# while the loop reads, so a vanished file is skipped.
children_of() {
  local f line rest
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$f" || continue
    rest=${line##*) }                 # "state ppid ..."
    rest=${rest#* }
    [[ ${rest%% *} == "$1" ]] && printf '%s ' "${line%% *}"
  done
}
jobs_before=$(children_of "$pid")
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=""
sleep 1
saved1=$(cd camp/failures && ls -d -- */ 2>/dev/null | tr -d / | sort)
if [[ -z "$saved1" ]]; then
  fail "no failure saved within 60 s (planted bug not found); stderr:"; sed 's/^/    /' run1.err | tail -5
else
  ok "planted bug found and saved: $(echo "$saved1" | head -1)"
fi
left=""
# alive: the process exists and is not a zombie waiting for a reaper
alive() { local line; read -r line 2>/dev/null <"/proc/$1/stat" || return 1; line=${line##*) }; [[ ${line:0:1} != Z ]]; }
for j in $jobs_before; do alive "$j" && left+="$j "; done
[[ -n "$jobs_before" && -z "$left" ]] && ok "SIGKILL of the campaign took its job processes along ($jobs_before)" \
  || fail "job processes before the kill: '$jobs_before', still alive after it: '$left'"
for d in $saved1; do
  for f in schedule.json verdict.txt trace.txt trace.hash; do
    [[ -s camp/failures/$d/$f ]] || fail "saved failure $d lacks $f after the kill"
  done
done
done1=$(state_field "$state" done); next1=$(state_field "$state" next_seed)
[[ -n "$done1" && "$done1" -gt 0 ]] && ok "position saved before the kill: $done1 seeds done, next seed $next1" \
  || fail "no saved position in $state"
# (Whether each failure's seed is among the finished ones is checked after --resume: a kill
# between saving a failure and saving the position would leave that seed to be run again.)

# 2. The same directory without --resume is refused; with other parameters too.
"$mqsim" fuzz --time 1s --out camp >/dev/null 2>err.txt
[[ $? -eq 2 ]] && grep -q -- "--resume" err.txt && ok "restarting over a campaign without --resume is refused" \
  || fail "restarting over a campaign without --resume was not refused with status 2"
"$mqsim" fuzz --time 1s --out camp --resume --shard 2/2 >/dev/null 2>err.txt
[[ $? -eq 2 ]] && ok "--resume with another --shard is refused" || fail "--resume with another --shard was accepted"

# 3. --resume: starts at the saved position, keeps every saved failure, advances.
"$mqsim" fuzz --time 3s --jobs 1 --out camp --resume >run2.out 2>run2.err
status=$?
[[ $status -eq 1 ]] && ok "resumed campaign exits 1 (failures saved)" || fail "resumed campaign exited $status, want 1"
grep -qF "job 0 resumes at seed $next1 ($done1 of its seeds done)" run2.err \
  && ok "resumed at seed $next1, after the $done1 seeds already done" \
  || { fail "resume did not start at the saved seed $next1:"; grep resumes run2.err | sed 's/^/    /'; }
for d in $saved1; do [[ -s camp/failures/$d/verdict.txt ]] || fail "failure $d lost by --resume"; done
done2=$(state_field "$state" done)
[[ -n "$done2" && "$done2" -gt "$done1" ]] && ok "position advanced: $done1 -> $done2 seeds done" \
  || fail "position did not advance on --resume ($done1 -> $done2)"
for s in $(failure_seeds camp); do
  in_job_seeds "$state" "$s" || fail "failure seed $s is not among the job's finished seeds after --resume"
done
for d in $(cd camp/failures && ls -d -- */ | tr -d /); do   # failures saved by the resumed run
  grep -qxF "$d" <<<"$saved1" && continue
  s=$(sed -n 's/^seed: *\([0-9]*\)$/\1/p' "camp/failures/$d/verdict.txt")
  [[ -n "$s" && "$s" -ge "$next1" ]] || fail "the resumed run saved $d from seed '$s', before its start seed $next1"
done
first_saved=$(echo "$saved1" | head -1)
if [[ -n "$first_saved" ]]; then
  "$mqsim" replay "camp/failures/$first_saved" --out replayed >out.txt 2>&1
  status=$?
  [[ $status -eq 1 ]] && grep -q "trace hash verified" out.txt && ok "saved failure replays (exit 1, hash verified)" \
    || { fail "replay of the saved failure: exit $status"; tail -3 out.txt | sed 's/^/    /'; }
fi

# 4. Two shards of the same seed space: disjoint seeds.
"$mqsim" fuzz --time 2s --jobs 1 --shard 1/2 --out s1 >/dev/null 2>&1
"$mqsim" fuzz --time 2s --jobs 1 --shard 2/2 --out s2 >/dev/null 2>&1
st1=s1/state/shard-1-of-2-job-0.json; st2=s2/state/shard-2-of-2-job-0.json
if [[ -s $st1 && -s $st2 ]]; then
  d1=$(state_field $st1 done); d2=$(state_field $st2 done)
  f1=$(state_field $st1 first_seed); f2=$(state_field $st2 first_seed)
  overlap=0
  for ((i = 0; i < d1; i++)); do in_job_seeds $st2 $((f1 + i * $(state_field $st1 stride))) && overlap=$((overlap + 1)); done
  [[ $d1 -gt 0 && $d2 -gt 0 && $overlap -eq 0 && $f1 -ne $f2 ]] \
    && ok "shards 1/2 and 2/2 ran $d1 and $d2 seeds (from $f1 and $f2), none in common" \
    || fail "shards: $d1 and $d2 seeds from $f1 and $f2, $overlap in common"
  for s in $(failure_seeds s1); do in_job_seeds $st1 "$s" && ! in_job_seeds $st2 "$s" || fail "shard 1 failure seed $s"; done
  for s in $(failure_seeds s2); do in_job_seeds $st2 "$s" && ! in_job_seeds $st1 "$s" || fail "shard 2 failure seed $s"; done
  common=$(comm -12 <(failure_seeds s1 | sort) <(failure_seeds s2 | sort))
  [[ -z "$common" ]] || fail "both shards report failures from seeds: $common"
else
  fail "shard runs left no state files"
fi

finish
