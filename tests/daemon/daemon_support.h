// Shared helpers of the daemon tests (label "daemon"): the mosquitto daemon built from the same
// tree as the simulator (vendor/daemon.cmake), runs against it, and the differential check with
// its report shown on failure. Never point these at /usr/sbin/mosquitto: a comparison with
// another build of Mosquitto proves nothing about this one.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "differential/tcp_diff.h"
#include "tests/scenarios/scenario.h"

#ifndef MQSIM_DAEMON_BINARY
#error "MQSIM_DAEMON_BINARY: the daemon built from the simulator's tree (tests/CMakeLists.txt sets it)"
#endif

namespace mqsim::test {

inline TcpTargetConfig daemon_target() {
  TcpTargetConfig t;
  t.daemon_binary = MQSIM_DAEMON_BINARY;
  return t;
}

inline DifferentialOptions differential_options(std::optional<std::uint64_t> max_advance_ms = std::nullopt) {
  DifferentialOptions o;
  o.tcp = daemon_target();
  o.max_advance_ms = max_advance_ms;
  return o;
}

// Runs the script on both targets; both runs must complete, both traces must satisfy the
// model, and they must agree up to the documented allowances. Returns the result so the caller
// can check the scenario's own expectations on the daemon's trace.
inline DifferentialResult both_agree(const SimConfig& config, const Script& script, bool liveness = false,
                                     std::optional<std::uint64_t> max_advance_ms = std::nullopt) {
  DifferentialResult r = run_differential(config, script, liveness, differential_options(max_advance_ms));
  INFO(r.report(), "\ndaemon trace:\n", r.daemon.trace.text(false), "\nsimulator trace:\n", r.sim.trace.text(false));
  REQUIRE(r.both_completed());
  CHECK(r.config_error.empty());
  CHECK_FALSE(r.sim_violation.has_value());
  CHECK_FALSE(r.daemon_violation.has_value());
  CHECK(r.diff.ok());
  MESSAGE(r.diff.summary());
  return r;
}

}  // namespace mqsim::test
