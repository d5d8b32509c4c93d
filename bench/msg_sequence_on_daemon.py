#!/usr/bin/env python3
# Runs Mosquitto's own packet-sequence runner, test/broker/msg_sequence_test.py of a Mosquitto
# tree, UNCHANGED, against a mosquitto binary named on the command line (the one built from the
# same tree: vendor/daemon.cmake), on a free loopback port. mqsim_bench_corpus times it next to
# mqsim's own runner on the simulator and on the daemon.
#
#   msg_sequence_on_daemon.py <mosquitto tree> <mosquitto binary> [--corpus DIR] [--json OUT]
#
# --corpus DIR runs another corpus directory (another version's test/broker/data) with this
# tree's runner. --json OUT writes the runner's per-case verdicts in `mqsim corpus --json`'s
# form, so that `mqsim corpus --compare` can hold mqsim's runner against Mosquitto's own: its
# lines (green: passed, red: "NAME failed: REASON") are matched to the corpus's cases by order,
# the order in which it runs them (files sorted, groups and tests as listed, disabled groups
# skipped).
#
# Nothing of the tree is copied: its test/ directory goes on sys.path and the runner is executed
# from there. Two things are redirected, without editing the tree:
#   - mosq_test.start_broker: Debian's mosq_test.py starts /usr/sbin/mosquitto; a comparison with
#     another build of Mosquitto would compare nothing, so the given binary is started instead,
#     with the runner's own command line (-v -p PORT);
#   - the runner's helper publisher dials port 1888 whatever port it was given; it is mapped to
#     the port in use, so that no fixed port is needed on a shared machine.
# The runner's own output (a line per case, then "N tests total / M tests succeeded") is passed
# through; the exit status is the runner's.
import io
import json
import os
import runpy
import socket
import sys


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus_cases(data_dir):
    """(file, group, name) of every case, in the order msg_sequence_test.py runs them."""
    cases = []
    for name in sorted(f for f in os.listdir(data_dir) if f.endswith(".json")):
        with open(os.path.join(data_dir, name)) as f:
            for group in json.load(f):
                if group.get("disable", False):
                    continue
                cases.extend((name, group["group"], t["name"]) for t in group["tests"])
    return cases


def verdicts(output, cases):
    """The runner's per-case lines, in mqsim corpus --json's form."""
    green, red, reset = "\033[32m", "\033[31m", "\033[0m"
    lines = [l for l in output.splitlines() if l.startswith(green) or l.startswith(red)]
    if len(lines) != len(cases):
        raise SystemExit(f"msg_sequence_on_daemon.py: {len(lines)} verdict lines for {len(cases)} cases (did the runner stop early?)")
    out = []
    for line, (file, group, name) in zip(lines, cases):
        text = line[len(green):].removesuffix(reset)
        tname = group + " " + name
        if not text.startswith(tname):
            raise SystemExit(f"msg_sequence_on_daemon.py: expected the verdict of \"{tname}\", got \"{text}\"")
        passed = line.startswith(green)
        reason = "" if passed else text[len(tname):].removeprefix(" failed: ") or "failed"
        out.append({"file": file, "group": group, "name": name, "verdict": "pass" if passed else "fail", "reason": reason})
    return out


class Tee(io.TextIOBase):
    def __init__(self, out):
        self.out, self.buf = out, io.StringIO()

    def write(self, s):
        self.buf.write(s)
        return self.out.write(s)

    def flush(self):
        self.out.flush()


def main():
    args = sys.argv[1:]
    options = {}
    for flag in ("--corpus", "--json"):
        if flag in args:
            i = args.index(flag)
            if i + 1 >= len(args):
                print(f"msg_sequence_on_daemon.py: {flag} needs a value", file=sys.stderr)
                return 2
            options[flag] = os.path.abspath(args[i + 1])
            del args[i:i + 2]
    if len(args) != 2:
        print("usage: msg_sequence_on_daemon.py <mosquitto tree> <mosquitto binary> [--corpus DIR] [--json OUT]", file=sys.stderr)
        return 2
    tree, binary = os.path.abspath(args[0]), os.path.abspath(args[1])
    runner = os.path.join(tree, "test", "broker", "msg_sequence_test.py")
    if not os.path.isfile(runner):
        print(f"msg_sequence_on_daemon.py: {runner}: no such file (this tree has no packet-sequence runner)", file=sys.stderr)
        return 2
    if not os.access(binary, os.X_OK):
        print(f"msg_sequence_on_daemon.py: {binary}: not an executable", file=sys.stderr)
        return 2
    broker_dir = os.path.dirname(runner)
    data_dir = options.get("--corpus", os.path.join(broker_dir, "data"))
    if not os.path.isdir(data_dir):
        print(f"msg_sequence_on_daemon.py: {data_dir}: no such corpus directory", file=sys.stderr)
        return 2
    sys.path[0:0] = [broker_dir, os.path.dirname(broker_dir)]
    # The runner reads "data/" relative to where it runs: a scratch directory whose data/ is the
    # corpus, when it is not the runner's own.
    run_dir = broker_dir
    if "--corpus" in options:
        import tempfile
        run_dir = tempfile.mkdtemp(prefix="mqsim-msg-sequence-")
        os.symlink(data_dir, os.path.join(run_dir, "data"))
    os.chdir(run_dir)
    port = free_port()

    import mosq_test

    start_broker = mosq_test.start_broker
    connect_only = mosq_test.client_connect_only

    def start_given_broker(filename, cmd=None, port=0, use_conf=False, expect_fail=False, nolog=False):
        return start_broker(filename, cmd=[binary, "-v", "-p", str(port)], port=port, expect_fail=expect_fail, nolog=nolog)

    def connect_mapped(hostname="localhost", port=1888, timeout=10):
        return connect_only(hostname=hostname, port=mapped if port == 1888 else port, timeout=timeout)

    mapped = port
    mosq_test.start_broker = start_given_broker
    mosq_test.client_connect_only = connect_mapped
    sys.argv = [runner, str(port)]  # mosq_test.get_port() reads the port from argv[1]
    tee = Tee(sys.stdout)
    sys.stdout = tee
    rc = 0
    try:
        runpy.run_path(runner, run_name="__main__")
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    finally:
        sys.stdout = tee.out
        if run_dir != broker_dir:
            os.unlink(os.path.join(run_dir, "data"))
            os.rmdir(run_dir)
    if "--json" in options:
        with open(options["--json"], "w") as f:
            json.dump(verdicts(tee.buf.getvalue(), corpus_cases(data_dir)), f, indent=1)
            f.write("\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
