// A planted bug found in the simulator is shown on the REAL daemon built from the same patched
// tree: the PR-budget campaign finds and shrinks a failure against the simulator's broker with
// the plant (mqsim_planted_broker), then the shrunk schedule runs against
//   - the mosquitto daemon built from a copy of the tree with the same plant
//     (mqsim_planted_daemon, vendor/daemon.cmake): the model must report the same statement;
//   - the daemon built from the unmodified tree: the model must accept its trace, so the
//     violation on the planted daemon is the plant's and not the schedule's.
// Exit 0 when all three hold, 1 otherwise, 2 on bad set-up.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "props/campaign.h"
#include "differential/tcp_diff.h"

#if !defined(MQSIM_PLANT_NAME) || !defined(MQSIM_PLANTED_DAEMON) || !defined(MQSIM_DAEMON_BINARY)
#error "MQSIM_PLANT_NAME, MQSIM_PLANTED_DAEMON and MQSIM_DAEMON_BINARY must be defined (tests/CMakeLists.txt)"
#endif

namespace {

using namespace mqsim;

constexpr std::uint64_t kMaxAdvanceMs = 3000;  // as the other daemon tests: 30 s of liveness costs 3

DifferentialResult on_daemon(const Schedule& s, const char* binary) {
  DifferentialOptions o;
  o.tcp.daemon_binary = binary;
  o.max_advance_ms = kMaxAdvanceMs;
  return run_differential(s, o);
}

std::string verdict(const std::optional<model::Violation>& v) { return v ? "[" + v->statement + "] " + v->text() : "accepted"; }

}  // namespace

int main() {
  props::CampaignOptions opt;
  opt.schedules = 2000;
  opt.stop_at_first_failure = true;
  props::KnownDeviations known;
  std::string error;
  if (!known.load_dir(props::default_known_deviations_dir(), &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  // The tolerance reference is the planted broker with the fixes (as in matrix_main.cpp): the
  // unplanted fixed broker would pass the plant's runs and tolerate them.
  props::ReferencePrograms reference = props::ReferencePrograms::built_in();
  reference.fixed = MQSIM_PLANTED_FIXED_PROGRAM;
  reference.without.clear();
  opt.reference = reference;
  opt.attribute = false;
  const auto rep = props::run_campaign(opt, known);
  if (rep.findings.empty() || !rep.findings.front().evaluation.violation) {
    std::printf("the simulator did not find %s as a model violation: nothing to show on the daemon\n", MQSIM_PLANT_NAME);
    return 1;
  }
  const auto& f = rep.findings.front();
  const std::string statement = f.evaluation.violation->statement;
  std::printf("simulator: %s found by seed %" PRIu64 ", shrunk to %zu steps: [%s]\n%s", MQSIM_PLANT_NAME, f.seed, f.shrunk.ops.size(),
              statement.c_str(), schedule_text(f.shrunk).c_str());

  const DifferentialResult planted = on_daemon(f.shrunk, MQSIM_PLANTED_DAEMON);
  std::printf("\n-- planted daemon %s --\n%s", MQSIM_PLANTED_DAEMON, planted.report().c_str());
  const DifferentialResult clean = on_daemon(f.shrunk, MQSIM_DAEMON_BINARY);
  std::printf("\n-- unmodified daemon %s --\ndaemon trace: %s\n", MQSIM_DAEMON_BINARY, verdict(clean.daemon_violation).c_str());

  bool ok = true;
  if (!planted.daemon.ok() || !planted.daemon_violation || planted.daemon_violation->statement != statement) {
    std::printf("NOT SHOWN: the planted daemon's trace is %s, the simulator's [%s]\n", verdict(planted.daemon_violation).c_str(), statement.c_str());
    std::printf("%s", planted.daemon.trace.text(true).c_str());
    ok = false;
  }
  if (!clean.daemon.ok() || clean.daemon_violation) {
    std::printf("NOT THE PLANT'S: the unmodified daemon's trace is %s\n", verdict(clean.daemon_violation).c_str());
    std::printf("%s", clean.daemon.trace.text(true).c_str());
    ok = false;
  }
  if (ok) std::printf("SHOWN: [%s] on the daemon built with %s planted, and not on the unmodified one\n", statement.c_str(), MQSIM_PLANT_NAME);
  return ok ? 0 : 1;
}
