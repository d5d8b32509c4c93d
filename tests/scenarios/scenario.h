// Shared helpers for scenario tests: the seed's broker configuration and a one-call runner that
// fails the test loudly (with the trace) when the run itself did not complete.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sim/runner.h"

namespace mqsim::test {

// The seed document's tests/mosquitto.conf, verbatim (persistence on, a path that only exists in
// the run's sandbox).
inline const char* kSeedConf =
    "listener 1883\n"
    "allow_anonymous true\n"
    "persistence true\n"
    "persistence_location /mosquitto/data/\n"
    "log_dest stdout\n";

inline SimConfig seed_config(std::uint64_t seed = 1) {
  SimConfig c;
  c.mosquitto_conf = kSeedConf;
  c.seed = seed;
  return c;
}

// Runs a scenario in a forked child and returns its result; a run that crashed, hung or could
// not start is a test failure that shows the trace.
inline RunResult play(const SimConfig& config, const Script& script) {
  RunResult r = run(config, script);
  INFO("outcome: ", outcome_name(r.outcome), " — ", r.detail, "\ntrace:\n", r.trace.text());
  REQUIRE(r.ok());
  return r;
}

// The Mosquitto version under test (from its tree's CMakeLists.txt), e.g. "2.1.2". Scenarios
// whose expectation differs between versions (a deviation fixed upstream) ask mosquitto_at_least.
#ifdef MQSIM_MOSQUITTO_VERSION_STR
inline const char* mosquitto_version() { return MQSIM_MOSQUITTO_VERSION_STR; }
inline bool mosquitto_at_least(int major, int minor) {
  int have_major = 0, have_minor = 0;
  REQUIRE(std::sscanf(mosquitto_version(), "%d.%d", &have_major, &have_minor) == 2);
  return have_major > major || (have_major == major && have_minor >= minor);
}
#endif

inline std::vector<std::string> strings(std::initializer_list<const char*> items) {
  return {items.begin(), items.end()};
}

}  // namespace mqsim::test
