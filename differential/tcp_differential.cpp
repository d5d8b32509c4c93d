// Running one schedule on both targets and judging both traces: see tcp_diff.h.
#include <cassert>

#include "sim/schedule_exec.h"
#include "sim/sim.h"
#include "tcp_diff.h"

namespace mqsim {
namespace {

std::string outcome_line(const char* who, const RunResult& r) {
  return std::string(who) + ": " + outcome_name(r.outcome) + " (" + r.detail + "), " + std::to_string(r.trace.events().size()) + " events";
}

std::string verdict_line(const char* who, const std::optional<model::Violation>& v) {
  return std::string(who) + " trace: " + (v ? "VIOLATION " + v->text() : "accepted by the model");
}

}  // namespace

std::uint32_t strip_link_faults(Schedule& s) {
  const auto before = s.ops.size();
  std::erase_if(s.ops, [](const Op& op) { return op.kind == OpKind::Latency || op.kind == OpKind::ShortIo; });
  assert(s.ops.size() <= before);
  return static_cast<std::uint32_t>(before - s.ops.size());
}

RunResult run_on_tcp(SimConfig config, const Script& script, const TcpTargetConfig& tcp) {
  config.tcp = tcp;
  // In this process: no Mosquitto code runs here (the daemon is its own process), and a run in
  // real time would outlast the fork runner's watchdog.
  return run(config, script, RunOptions{.fork = false});
}

RunResult run_on_tcp(const Schedule& s, const TcpTargetConfig& tcp, std::optional<std::uint64_t> max_advance_ms) {
  SimConfig config;
  config.mosquitto_conf = s.mosquitto_conf;
  config.seed = s.seed;
  config.max_advance_ms = max_advance_ms;
  return run_on_tcp(config, [&](Sim& sim) { execute(s, sim); }, tcp);
}

DifferentialResult run_differential(const SimConfig& sim_config, const Script& script, bool liveness, const DifferentialOptions& options) {
  assert(!sim_config.tcp && "the simulator side of a differential run is the simulator");
  DifferentialResult r;
  SimConfig config = sim_config;
  config.max_advance_ms = options.max_advance_ms;
  r.sim = run(config, script, RunOptions{.wall_timeout_ms = options.sim_wall_timeout_ms});
  r.daemon = run_on_tcp(config, script, options.tcp);
  const auto broker = model::parse_broker_config(config.mosquitto_conf, &r.config_error);
  if (broker) {
    r.config_error.clear();
    const model::CheckOptions check{.liveness = liveness};
    if (r.sim.ok()) r.sim_violation = model::check(r.sim.trace, *broker, check).violation;
    if (r.daemon.ok()) r.daemon_violation = model::check(r.daemon.trace, *broker, check).violation;
  }
  if (r.both_completed()) r.diff = compare_traces(r.sim.trace, r.daemon.trace, options.diff);
  return r;
}

DifferentialResult run_differential(const Schedule& schedule, const DifferentialOptions& options) {
  Schedule s = schedule;
  const std::uint32_t stripped = options.strip_link_faults ? strip_link_faults(s) : 0;
  SimConfig config;
  config.mosquitto_conf = s.mosquitto_conf;
  config.seed = s.seed;
  DifferentialResult r = run_differential(config, [&](Sim& sim) { execute(s, sim); }, s.liveness, options);
  r.schedule = s;
  r.stripped_ops = stripped;
  return r;
}

std::string DifferentialResult::report() const {
  std::string out = outcome_line("simulator", sim) + "\n" + outcome_line("daemon   ", daemon) + "\n";
  if (!config_error.empty()) out += "the model cannot read the config: " + config_error + "\n";
  if (sim.ok()) out += verdict_line("simulator", sim_violation) + "\n";
  if (daemon.ok()) out += verdict_line("daemon   ", daemon_violation) + "\n";
  if (stripped_ops > 0) out += std::to_string(stripped_ops) + " latency/short-io ops left out of both runs\n";
  if (both_completed()) {
    out += diff.summary() + "\n";
    if (diff.divergence) out += diff.divergence->text() + "\n";
  }
  return out;
}

}  // namespace mqsim
