#!/usr/bin/env bash
# Reruns the differential check on a sample of generated schedules (docs/real-daemon.md, "The
# generated sample"): each schedule in the simulator and on the daemon built from the same tree,
# both judged by the model and compared event by event. Prints one line per schedule, every
# divergence with both events, and the figures (schedules, traces agreeing, verdicts agreeing,
# allowances used). Exit status: 0 when everything agreed, 1 otherwise, 2 on bad arguments.
#
#   tests/daemon/differential-sample.sh [BUILD_DIR] [FIRST:COUNT] [DUMP_DIR]
#     BUILD_DIR  default ./build (needs the target mqsim_daemon_tests)
#     FIRST:COUNT  default 1:200: the first COUNT seeds from FIRST whose schedule fits the time
#                budget (MQSIM_DAEMON_SIZE, default 40; MQSIM_DAEMON_BUDGET_MS, default 7000)
#     DUMP_DIR   if given: both traces of every schedule, logs included, as DIR/<seed>.{sim,daemon}.txt
# About 4 s of real time per schedule: 200 take 13-15 minutes.
set -euo pipefail
build="${1:-build}"
seeds="${2:-1:200}"
dump="${3:-}"
bin="$build/tests/mqsim_daemon_tests"
if [[ ! -x "$bin" ]]; then
  echo "differential-sample: $bin is not built (cmake --build $build --target mqsim_daemon_tests)" >&2
  exit 2
fi
if [[ ! "$seeds" =~ ^[0-9]+:[0-9]+$ ]]; then
  echo "differential-sample: seeds must be FIRST:COUNT (e.g. 1:200), not '$seeds'" >&2
  exit 2
fi
vars=(MQSIM_DAEMON_SEEDS="$seeds")
if [[ -n "$dump" ]]; then
  mkdir -p "$dump"
  vars+=(MQSIM_DAEMON_DUMP="$dump")
fi
set +e
env "${vars[@]}" "$bin" --test-case='*generated*' 2>&1 |
  grep -E "MESSAGE: (SEED|SAMPLE)|^  allowance used|^first divergence|^  (simulator|daemon): |ERROR:|test cases:" |
  sed -E 's/^.*MESSAGE: //'
rc=${PIPESTATUS[0]}
exit $(( rc == 0 ? 0 : 1 ))
