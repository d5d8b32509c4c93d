// The differential check: one schedule run in the simulator and against the real daemon built
// from the same tree (TCP target), the two traces compared client by client, event by event.
// A divergence is reported as the first event where they differ, with both events.
//
// What may differ (the allowances, each explained in docs/real-daemon.md) is removed or
// rewritten before comparing, and counted so a report says how much was let through:
//   - timestamps (virtual vs real), and how events of DIFFERENT clients interleave: each
//     client's own sequence is compared, never the global order;
//   - keepalive pings (PINGREQ / PINGRESP): how many depends on the exact elapsed time;
//   - $SYS publishes and their acknowledgements: when they fire and what they count (uptime,
//     bytes, load) is time; the broker ids they take are renumbered away (next point);
//   - packet ids the BROKER chooses (PUBLISH to a client and its acks): numbered per client in
//     order of first use, so a $SYS message taking an id shifts nothing;
//   - a broker-assigned client identifier in CONNACK (random in the daemon);
//   - within one client, between two of its own actions, events of DIFFERENT packet flows may
//     interleave differently (how soon the client's acks reach the broker decides it), as long
//     as the same events are there, deliveries come in the same order, and every flow's own
//     events too;
//   - the end of a connection the broker closed right after writing to the client: peer-reset
//     in one, peer-closed in the other, when the client's last event was a packet it sent (its
//     answer reached the daemon before or after the close in the same loop pass);
//   - broker log lines, notes, steps and fault markers (not client observations).
// Everything else (every packet a client sent or received, field by field, and every
// connection event: dial, close, EOF, reset, malformed input) must be identical.
//
// This file must never weaken the comparison silently: an allowance is a named rule here and a
// line in docs/real-daemon.md, or it does not exist.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "sim/runner.h"
#include "schedule/schedule.h"
#include "model/checker.h"
#include "trace/trace.h"

namespace mqsim {

struct DiffOptions {
  bool ignore_pings = true;
  bool ignore_sys = true;
};

struct Divergence {
  std::string client;
  std::size_t position = 0;          // index in the client's compared sequence
  std::string sim_line;              // the simulator's event ("(none: ...)" when it ran out)
  std::string daemon_line;           // the daemon's event
  std::size_t sim_event = 0;         // index into the simulator trace's events (or npos)
  std::size_t daemon_event = 0;      // index into the daemon trace's events (or npos)
  std::string text() const;          // several lines: where, both events
};

struct DiffReport {
  std::optional<Divergence> divergence;
  std::map<std::string, std::uint64_t> allowed;   // allowance -> events removed or rewritten
  std::uint64_t compared = 0;                     // events compared equal
  bool ok() const { return !divergence.has_value(); }
  std::string summary() const;                    // one line
};

// Compares what each client did and saw in `sim` and `daemon` (traces of the same script).
DiffReport compare_traces(const Trace& sim, const Trace& daemon, const DiffOptions& options = {});

struct DifferentialOptions {
  TcpTargetConfig tcp;                          // the daemon to start (daemon_binary) or a port
  std::optional<std::uint64_t> max_advance_ms;  // applied to BOTH runs, so they stay comparable
  // Latency and short-I/O ops have no loopback equivalent: drop them from the schedule both
  // targets run (the schedule in the result is the one that ran).
  bool strip_link_faults = true;
  DiffOptions diff;
  std::uint32_t sim_wall_timeout_ms = 20'000;
};

struct DifferentialResult {
  Schedule schedule;                             // as run on both targets
  std::uint32_t stripped_ops = 0;
  RunResult sim;
  RunResult daemon;
  DiffReport diff;
  std::optional<model::Violation> sim_violation;      // the model's verdict on each trace
  std::optional<model::Violation> daemon_violation;
  std::string config_error;                           // the model could not read the config
  bool both_completed() const { return sim.ok() && daemon.ok(); }
  bool ok() const { return both_completed() && diff.ok() && !sim_violation && !daemon_violation && config_error.empty(); }
  std::string report() const;                         // for people: outcome, verdicts, divergence
};

// Drops Latency and ShortIo ops (see DifferentialOptions). Returns how many.
std::uint32_t strip_link_faults(Schedule& s);
// The schedule on the simulator (forked run) and on the daemon (in this process: no Mosquitto
// code runs here), both judged by the model (liveness as the schedule says), then compared.
DifferentialResult run_differential(const Schedule& s, const DifferentialOptions& options);
// The same for any script (the seed scenarios): `config` is the simulator's; the daemon gets
// its mosquitto_conf and files.
DifferentialResult run_differential(const SimConfig& config, const Script& script, bool liveness, const DifferentialOptions& options);

// Runs on the TCP target alone (in this process) and returns the result.
RunResult run_on_tcp(const Schedule& s, const TcpTargetConfig& tcp, std::optional<std::uint64_t> max_advance_ms = std::nullopt);
RunResult run_on_tcp(SimConfig config, const Script& script, const TcpTargetConfig& tcp);

}  // namespace mqsim
