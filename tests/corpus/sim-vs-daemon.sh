#!/usr/bin/env bash
# Mosquitto's packet-sequence corpus, simulator vs the real daemon built from the same tree: every
# case must get the same verdict on both (labels "corpus" and "daemon"; docs/real-daemon.md).
#
#   sim-vs-daemon.sh <mqsim> [corpus dir]
#
# Both sides run all cases on one broker in order (as msg_sequence_test.py does): the simulator
# with --shared, the daemon with --target daemon. A case whose verdicts differ is a simulator
# fidelity bug (or a runner bug): the comparison lists it with both reasons, and this test fails.
# With a corpus dir (e.g. a newer tree's test/broker/data), the same check runs that corpus
# against this build's broker: the cross-version comparison.
set -u
mqsim="${1:?usage: sim-vs-daemon.sh <mqsim> [corpus dir]}"
corpus=()
[[ -n "${2:-}" ]] && corpus=(--corpus "$2")
work="$(mktemp -d /tmp/mqsim-corpus-agreement-XXXXXX)"
trap 'rm -rf "$work"' EXIT

run() {  # run <name> <args...>: a completed run exits 0 (all passed) or 1 (some failed)
  local name="$1"; shift
  "$mqsim" corpus "${corpus[@]}" "$@" --json "$work/$name.json" > "$work/$name.txt" 2>&1
  local rc=$?
  sed -n '/^total /p' "$work/$name.txt" | sed "s/^/$name: /"
  if [[ $rc -gt 1 ]]; then
    echo "FAIL: mqsim corpus $* did not complete (exit $rc):"
    cat "$work/$name.txt"
    exit 1
  fi
}

run simulator --shared
run daemon --target daemon
"$mqsim" corpus --compare "$work/simulator.json" "$work/daemon.json" --reasons
rc=$?
if [[ $rc -ne 0 ]]; then
  echo "FAIL: the simulator and the daemon disagree (A = simulator, B = daemon); failing cases on the daemon:"
  grep -A1 '^FAIL' "$work/daemon.txt" | head -60
  exit 1
fi
echo "PASS: every case has the same verdict in the simulator and on the daemon"
