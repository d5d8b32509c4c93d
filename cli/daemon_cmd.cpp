// `mqsim replay --target ...`: see daemon_cmd.h. Loads the schedule as `mqsim replay` does, runs
// it on the real broker (and with --diff in the simulator too), writes the artifacts.
#include "cli/daemon_cmd.h"
#include "cli/input.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/artifacts.h"
#include "cli/commands.h"
#include "model/broker_config.h"
#include "props/generators.h"
#include "differential/tcp_diff.h"

#ifndef MQSIM_DAEMON_BINARY
#define MQSIM_DAEMON_BINARY ""  // built without vendor/daemon.cmake: only daemon:/path works
#endif

namespace mqsim::cli {
namespace {

namespace fs = std::filesystem;

// A TCP run's artifacts: as a simulator failure's, minus trace.hash (a real-time run has no
// reproducible hash) plus target.txt.
bool write_tcp_dir(const std::string& dir, FailureReport fr, const std::string& target, std::string* error) {
  if (!write_failure_dir(dir, fr, error)) return false;
  std::error_code ec;
  fs::remove(fs::path(dir) / "trace.hash", ec);
  FILE* f = std::fopen((fs::path(dir) / "target.txt").c_str(), "w");
  if (f == nullptr) return *error = dir + "/target.txt: cannot write", false;
  std::fprintf(f, "target: %s\nreal time, not deterministic: compare with the simulator by `mqsim replay --target %s --diff`\n", target.c_str(), target.c_str());
  std::fclose(f);
  return true;
}

FailureReport report_for(const Schedule& s, const RunResult& r, const std::optional<model::Violation>& v, const ReplayInput& l, const std::string& reproduce) {
  FailureReport fr;
  fr.schedule = s;
  fr.result = r;
  fr.violation = v;
  fr.seed = l.seed;
  const bool failed = !r.ok() || v.has_value();
  fr.headline = failed ? (v ? "FAIL [" + v->statement + "] " + v->expected : std::string("FAIL ") + outcome_name(r.outcome)) : "PASS: the trace satisfies the model";
  fr.reproduce = reproduce;
  return fr;
}

int run_diff(const TargetReplayArgs& args, const ReplayInput& l, const TcpTargetConfig& tcp, std::optional<std::uint64_t> cap_ms) {
  DifferentialOptions o;
  o.tcp = tcp;
  o.max_advance_ms = cap_ms;
  const DifferentialResult r = run_differential(l.schedule, o);
  const std::string again = "mqsim replay --target " + args.target + " --diff " + args.out_dir + "/daemon";
  std::string error;
  if (!write_failure_dir(args.out_dir + "/sim", report_for(r.schedule, r.sim, r.sim_violation, l, "mqsim replay " + args.out_dir + "/sim"), &error) ||
      !write_tcp_dir(args.out_dir + "/daemon", report_for(r.schedule, r.daemon, r.daemon_violation, l, again), args.target, &error)) {
    std::fprintf(stderr, "mqsim replay: --out %s: %s\n", args.out_dir.c_str(), error.c_str());
    return kExitUsage;
  }
  std::string text = r.report();
  if (FILE* f = std::fopen((fs::path(args.out_dir) / "diff.txt").c_str(), "w")) {
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  std::printf("%sartifacts: %s/{sim,daemon}/ and %s/diff.txt\n", text.c_str(), args.out_dir.c_str(), args.out_dir.c_str());
  return r.ok() ? kExitOk : kExitFound;
}

}  // namespace

std::optional<TcpTargetConfig> parse_target(const std::string& text, std::string* error) {
  TcpTargetConfig t;
  if (text == "daemon" || text.rfind("daemon:", 0) == 0) {
    t.daemon_binary = text == "daemon" ? std::string(MQSIM_DAEMON_BINARY) : text.substr(7);
    if (t.daemon_binary.empty()) *error = "--target daemon: this mqsim was built without the same-tree daemon (vendor/daemon.cmake); name one: daemon:/path/to/mosquitto";
    else if (access(t.daemon_binary.c_str(), X_OK) != 0) *error = "--target " + text + ": " + t.daemon_binary + " is not an executable (build it: make mosquitto_daemon)";
    return error->empty() ? std::optional(t) : std::nullopt;
  }
  const std::string prefix = "tcp://";
  const auto colon = text.rfind(':');
  if (text.rfind(prefix, 0) != 0 || colon == std::string::npos || colon < prefix.size()) {
    *error = "--target: expected tcp://127.0.0.1:PORT, daemon or daemon:/path/to/mosquitto, got \"" + text + "\"";
    return std::nullopt;
  }
  const std::string host = text.substr(prefix.size(), colon - prefix.size());
  const std::string port = text.substr(colon + 1);
  if (host != "127.0.0.1" && host != "localhost") {
    *error = "--target: only a loopback broker (127.0.0.1) can be a target, got \"" + host + "\"";
    return std::nullopt;
  }
  const auto number = parse_u64(port, 1, 65535);
  if (!number) {
    *error = "--target: \"" + port + "\" is not a TCP port (1 to 65535)";
    return std::nullopt;
  }
  t.port = static_cast<std::uint16_t>(*number);
  return t;
}

int run_replay_on_target(const TargetReplayArgs& args) {
  std::string error;
  const auto tcp = parse_target(args.target, &error);
  auto loaded = tcp ? load_replay_input(args.what, args.size, &error) : std::nullopt;
  if (!loaded) {
    std::fprintf(stderr, "mqsim replay: %s\n", error.c_str());
    return kExitUsage;
  }
  Schedule& s = loaded->schedule;
  if (args.config_path) {
    auto text = read_file(*args.config_path, &error);
    if (!text || !validate_config(*args.config_path, *text, &error)) {
      std::fprintf(stderr, "mqsim replay: %s\n", error.c_str());
      return kExitUsage;
    }
    s.mosquitto_conf = *text;
  }
  const auto config = model::parse_broker_config(s.mosquitto_conf, &error);
  if (!config) {
    std::fprintf(stderr, "mqsim replay: the schedule's mosquitto_conf: %s\n", error.c_str());
    return kExitUsage;
  }
  std::optional<std::uint64_t> cap_ms;
  if (args.max_advance_s) cap_ms = static_cast<std::uint64_t>(std::llround(*args.max_advance_s * 1000));
  if (args.diff) return run_diff(args, *loaded, *tcp, cap_ms);

  const RunResult result = run_on_tcp(s, *tcp, cap_ms);
  std::optional<model::Violation> violation;
  if (result.ok()) violation = model::check(result.trace, *config, model::CheckOptions{.liveness = s.liveness}).violation;
  const FailureReport fr = report_for(s, result, violation, *loaded, "mqsim replay --target " + args.target + " " + args.out_dir);
  if (!write_tcp_dir(args.out_dir, fr, args.target, &error)) {
    std::fprintf(stderr, "mqsim replay: --out %s: %s\n", args.out_dir.c_str(), error.c_str());
    return kExitUsage;
  }
  std::printf("%s\n", verdict_text(fr).c_str());
  std::printf("target: %s (real time; no trace hash)\nartifacts: %s/{trace.txt,trace.pcap,sequence.html,verdict.txt,schedule.json,target.txt}\n", args.target.c_str(), args.out_dir.c_str());
  return (!result.ok() || violation) ? kExitFound : kExitOk;
}

}  // namespace mqsim::cli
