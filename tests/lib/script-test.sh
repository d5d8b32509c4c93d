# Sourced by the shell tests (tests/cli, fuzz/): a scratch directory, entered and removed at exit,
# and a tally of failed checks.
#   source .../tests/lib/script-test.sh
#   at_exit 'kill -9 "$pid"'        # more to do at exit, before the scratch directory goes
#   ok "what held"; fail "what did not"
#   finish                          # prints the tally; the script's status is 0 only if none failed
work="$(mktemp -d)"
script_test_exit=""
at_exit() { script_test_exit="$1"; }
trap 'eval "$script_test_exit"; rm -rf "$work"' EXIT
cd "$work" || exit 2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }
finish() { echo "$failures failure(s)"; [[ $failures -eq 0 ]]; }
