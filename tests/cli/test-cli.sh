#!/usr/bin/env bash
# The mqsim program as a user meets it: bad input gets one clear message and exit status 2;
# check, replay and their artifacts work end to end (tshark decodes every packet of the pcap,
# a replayed failure directory verifies its trace hash).
#   test-cli.sh <path to mqsim>
set -uo pipefail
mqsim="$1"
source "$(dirname "$0")/../lib/script-test.sh"

expect() {  # expect <status> <stderr/stdout substring> <description> -- command...
  local want_status="$1" want_text="$2" what="$3"; shift 4
  "$@" >out.txt 2>err.txt
  local status=$?
  if [[ $status -ne $want_status ]] || ! grep -qF -- "$want_text" out.txt err.txt; then
    echo "FAIL: $what: status $status (want $want_status), output lacks '$want_text'"
    sed 's/^/    /' err.txt | head -5
    failures=$((failures + 1))
  else
    echo "ok:   $what"
  fi
}

expect 2 "--bogus" "unknown flag" -- "$mqsim" check --bogus
expect 2 "cannot read \"5x\"" "malformed duration" -- "$mqsim" check --time 5x
expect 2 "/nonexistent.conf" "missing config file" -- "$mqsim" check --config /nonexistent.conf
printf 'listener 1883\nallow_anonymous true\nno_such_option 1\n' > bad.conf
expect 2 "no_such_option" "config Mosquitto rejects" -- "$mqsim" check --config bad.conf
printf 'listener 1883\nmax_inflight_messages many\n' > bad2.conf
expect 2 "line 2" "config value the model cannot read" -- "$mqsim" check --config bad2.conf
touch not-a-dir
expect 2 "not a writable directory" "unwritable --out" -- "$mqsim" check -n 1 --out not-a-dir/sub
expect 2 "--junit" "unwritable --junit" -- "$mqsim" check -n 1 --junit /proc/no/such.xml
cat > bad.json <<'JSON'
{"seed": 1, "mosquitto_conf": "listener 1883\nallow_anonymous true\n", "liveness": true,
 "clients": [{"name": "c1"}], "ops": [{"op": "publish", "client": "c1", "topic": "a", "qos": "x"}]}
JSON
expect 2 "ops[0].qos" "malformed schedule.json names the field" -- "$mqsim" replay bad.json
printf '{"seed": 1' > truncated.json
expect 2 "not valid JSON" "truncated schedule.json" -- "$mqsim" replay truncated.json
expect 2 "--shard 3/2" "bad shard" -- "$mqsim" fuzz --shard 3/2 --time 1s
expect 2 "cannot open" "missing replay file" -- "$mqsim" replay no-such-file.json
expect 2 "no such corpus directory" "missing corpus directory" -- "$mqsim" corpus --corpus no-such-dir
expect 2 "expected tcp://127.0.0.1:PORT" "bad corpus target" -- "$mqsim" corpus --target 127.0.0.1:1883
expect 2 "no-such.json: cannot open" "missing result list to compare" -- "$mqsim" corpus --compare no-such.json other.json
printf '[{"file": "A.json", "group": "g", "name": "n", "verdict": "pass"}]' > verdicts.json
expect 2 "entry 0: \"reason\" must be a string" "result list missing a field" -- "$mqsim" corpus --compare verdicts.json verdicts.json
expect 2 "seed 99999999999999999999: expected a whole number" "seed out of range (was an abort)" -- "$mqsim" replay 99999999999999999999
expect 2 "--time: cannot read \"inf\"" "endless duration" -- "$mqsim" check --time inf
# A fuzz state file cut short (as a crash mid-write would leave it, were writes not atomic):
# --resume refuses and names it, instead of starting that job over.
"$mqsim" fuzz --time 1s --out cut >/dev/null 2>&1
state=$(ls cut/state/*.json | head -1)
head -c 9 "$state" > "$state.cut" && mv "$state.cut" "$state"
expect 2 "$state: not a JSON object" "truncated fuzz state file" -- "$mqsim" fuzz --time 1s --out cut --resume
head -c 20 cut/campaign.json > cut/campaign.json.cut && mv cut/campaign.json.cut cut/campaign.json
expect 2 "cut/campaign.json: not a JSON object" "truncated campaign.json" -- "$mqsim" fuzz --time 1s --out cut --resume

# A seed's schedule, replayed with all artifacts; then the directory replays byte-identically.
"$mqsim" replay 3 --out r3 >out.txt 2>err.txt
status=$?
if [[ $status -gt 1 ]]; then echo "FAIL: replay 3 exited $status"; failures=$((failures + 1)); fi
for f in trace.txt trace.pcap sequence.html verdict.txt schedule.json trace.hash; do
  [[ -s r3/$f ]] || { echo "FAIL: replay artifact r3/$f missing"; failures=$((failures + 1)); }
done
expect "$status" "trace hash verified" "replaying a saved directory verifies its hash" -- "$mqsim" replay r3 --out r3-again
cmp -s r3/trace.txt r3-again/trace.txt || { echo "FAIL: replayed trace differs"; failures=$((failures + 1)); }
if command -v tshark >/dev/null; then
  decoded=$(tshark -r r3/trace.pcap -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null | tr ',' '\n' | grep -c .)
  packets=$(grep -c -E '^ *[0-9]+\.[0-9]{3} \S+ +(->|<-) ' r3/trace.txt)
  if [[ "$decoded" -ne "$packets" || "$packets" -eq 0 ]]; then
    echo "FAIL: tshark decoded $decoded MQTT messages, the trace has $packets packets"; failures=$((failures + 1))
  else
    echo "ok:   tshark decodes all $packets packets of trace.pcap"
  fi
fi

# A libFuzzer input (fuzz/: a crash-<sha1> file, raw bytes) replays through the same decoder;
# its schedule.json is written and replays byte-identically. These 38 bytes are the schedule of
# fuzz/known-ub/handle_publish-memcmp-null.json (header of zeros, then 4 steps).
{ head -c 22 /dev/zero; printf '\x00\x00\x00\x00\x07\x04\x00\x00\x03\x10\x0e\x00\x0f\x00\x00\x00'; } > crash-0123abcd
expect 0 "decoded as a fuzzer input (38 bytes" "replay decodes a raw fuzzer input" -- "$mqsim" replay crash-0123abcd --out rf
grep -q '"op": "retry"' rf/schedule.json && grep -qF "4. c1 retry" rf/verdict.txt && ok_steps=1 || ok_steps=0
[[ $ok_steps -eq 1 ]] && echo "ok:   the decoded schedule (connect, withhold, publish, retry) is in schedule.json" \
  || { echo "FAIL: the fuzzer input did not decode to its 4 steps"; failures=$((failures + 1)); }
expect 0 "trace hash verified" "the decoded schedule replays byte-identically" -- "$mqsim" replay rf --out rf-again
printf '{"seed": \x01\xff' > crash-starting-with-brace
expect 0 "decoded as a fuzzer input" "a fuzzer input that starts like JSON is still bytes" -- "$mqsim" replay crash-starting-with-brace --out rb

# check with a JUnit report: the XML is there whatever the verdict.
"$mqsim" check -n 20 --junit report.xml --out out >/dev/null 2>&1
grep -q "<testsuite name=\"mqsim check\"" report.xml && echo "ok:   JUnit report written" || { echo "FAIL: no JUnit report"; failures=$((failures + 1)); }

finish
