// Generated schedules (props/generators.h) on the simulator and on the REAL daemon built from the
// same tree, judged by the model and compared event by event (differential/tcp_diff.h). Real time is the
// cost here, so the sample is small and cheap on purpose: schedules whose virtual duration,
// with every advance capped at kMaxAdvanceMs on both targets, stays within kBudgetMs. A model
// violation fails unless it is a listed known deviation; every divergence fails.
//
// MQSIM_DAEMON_SEEDS="first:count" (e.g. "1:40") widens the sample for a deeper look, each
// schedule then printing a one-line report; MQSIM_DAEMON_SIZE and MQSIM_DAEMON_BUDGET_MS change
// the schedule size and the time budget; MQSIM_DAEMON_DUMP=<dir> writes both traces of every
// schedule, broker logs included, as <dir>/<seed>.{sim,daemon}.txt.
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "daemon_support.h"
#include "props/generators.h"
#include "props/known_deviations.h"

using namespace mqsim;

namespace {

constexpr std::uint64_t kMaxAdvanceMs = 3000;   // the liveness phase's 30 s becomes 3 s
constexpr std::uint64_t kBudgetMs = 7000;       // virtual time per schedule, after the cap
constexpr int kSize = 40;                       // rapidcheck size: ~10-40 ops
constexpr std::size_t kSample = 24;

std::uint64_t capped_duration_ms(const Schedule& s) {
  std::uint64_t total = s.liveness ? kMaxAdvanceMs : 0;
  for (const auto& op : s.ops) {
    if (op.kind == OpKind::Advance) total += std::min(op.duration_ms, kMaxAdvanceMs);
  }
  return total;
}

struct Sample {
  std::uint64_t first_seed = 1;
  std::size_t count = kSample;
  int size = kSize;
  std::uint64_t budget_ms = kBudgetMs;
  bool verbose = false;
};

Sample sample_from_env() {
  Sample s;
  if (const char* env = std::getenv("MQSIM_DAEMON_SEEDS")) {
    const std::string text = env;
    const auto colon = text.find(':');
    s.first_seed = std::stoull(text.substr(0, colon));
    if (colon != std::string::npos) s.count = std::stoull(text.substr(colon + 1));
    s.verbose = true;
  }
  if (const char* env = std::getenv("MQSIM_DAEMON_SIZE")) s.size = std::stoi(env);
  if (const char* env = std::getenv("MQSIM_DAEMON_BUDGET_MS")) s.budget_ms = std::stoull(env);
  return s;
}

void dump(std::uint64_t seed, const DifferentialResult& r) {
  const char* dir = std::getenv("MQSIM_DAEMON_DUMP");
  if (dir == nullptr) return;
  const std::string base = std::string(dir) + "/" + std::to_string(seed);
  std::ofstream(base + ".sim.txt") << schedule_text(r.schedule) << "\n" << r.report() << "\n" << r.sim.trace.text(true);
  std::ofstream(base + ".daemon.txt") << schedule_text(r.schedule) << "\n" << r.report() << "\n" << r.daemon.trace.text(true);
}

// A model violation is a failure unless it is a listed known deviation of Mosquitto (as in every
// campaign): returns the deviation's id, or "" when it is new.
std::string known_deviation(const props::KnownDeviations& known, const Schedule& s, const std::optional<model::Violation>& v) {
  if (!v) return "";
  const auto* k = known.match(v->statement, v->text(), s.mosquitto_conf);
  return k ? k->id : "";
}

std::string one_line(std::uint64_t seed, const DifferentialResult& r) {
  std::string line = "SEED " + std::to_string(seed) + ": " + (r.both_completed() ? r.diff.summary() : std::string("a run did not complete"));
  if (r.sim_violation) line += " | SIM VIOLATION " + r.sim_violation->text();
  if (r.daemon_violation) line += " | DAEMON VIOLATION " + r.daemon_violation->text();
  if (r.diff.divergence) line += " | " + r.diff.divergence->text();
  return line;
}

void judge(std::uint64_t seed, const DifferentialResult& r, const props::KnownDeviations& known) {
  REQUIRE(r.both_completed());
  for (const auto* v : {&r.sim_violation, &r.daemon_violation}) {
    const std::string id = known_deviation(known, r.schedule, *v);
    if (!id.empty()) MESSAGE("seed ", seed, ": known deviation ", id, " (", (*v)->statement, ")");
    CHECK_MESSAGE((!v->has_value() || !id.empty()), "new model violation: ", (*v)->text());
  }
  CHECK(r.diff.ok());
}

// What a sample showed, for the summary line (MQSIM_DAEMON_SEEDS runs; docs/real-daemon.md
// records the figures of the 200-schedule sample).
struct Tally {
  std::size_t ran = 0, incomplete = 0, agree = 0, diverge = 0, same_verdict = 0;
  std::size_t known_deviation_runs = 0, new_violations = 0;
  std::map<std::string, std::uint64_t> allowed;   // allowance -> schedules it was used in
  void add(const DifferentialResult& r, const props::KnownDeviations& known) {
    ++ran;
    if (!r.both_completed()) return void(++incomplete);
    ++(r.diff.ok() ? agree : diverge);
    const auto statement = [](const std::optional<model::Violation>& v) { return v ? v->statement : std::string(); };
    if (statement(r.sim_violation) == statement(r.daemon_violation)) ++same_verdict;
    for (const auto* v : {&r.sim_violation, &r.daemon_violation}) {
      if (!v->has_value()) continue;
      ++(known_deviation(known, r.schedule, *v).empty() ? new_violations : known_deviation_runs);
    }
    for (const auto& [rule, n] : r.diff.allowed) allowed[rule] += n > 0 ? 1 : 0;
  }
  std::string text() const {
    std::string out = "SAMPLE " + std::to_string(ran) + " schedules: " + std::to_string(agree) + " traces agree, " + std::to_string(diverge) +
                      " diverge, " + std::to_string(incomplete) + " incomplete; same verdict " + std::to_string(same_verdict) + "/" +
                      std::to_string(ran) + "; known-deviation verdicts " + std::to_string(known_deviation_runs) + ", new violations " +
                      std::to_string(new_violations);
    for (const auto& [rule, n] : allowed) out += "\n  allowance used in " + std::to_string(n) + " schedules: " + rule;
    return out;
  }
};

}  // namespace

TEST_SUITE("daemon: generated") {

TEST_CASE("a sample of generated schedules: simulator and daemon agree, the model accepts both") {
  const Sample sample = sample_from_env();
  props::KnownDeviations known;
  std::string error;
  REQUIRE_MESSAGE(known.load_dir(props::default_known_deviations_dir(), &error), error);
  Tally tally;
  std::size_t ran = 0;
  for (std::uint64_t seed = sample.first_seed; ran < sample.count && seed < sample.first_seed + 100 * sample.count; ++seed) {
    const Schedule s = props::schedule_for_seed(seed, sample.size).value();
    if (capped_duration_ms(s) > sample.budget_ms) continue;
    // Not with max_keepalive: Mosquitto 2.0's keepalive ring then closes a client whose Keep
    // Alive equals the cap when its packet is read in the first loop pass of a new second
    // (keepalive-ring-closes-at-max-keepalive). The simulator's broker wakes exactly on the
    // second, the daemon every 100 ms or on I/O: whether the close happens is a wall-clock race
    // there, so the traces would differ by the deviation itself, not by the simulator.
    if (s.mosquitto_conf.find("max_keepalive") != std::string::npos) continue;
    ++ran;
    CAPTURE(seed);
    const DifferentialResult r = run_differential(s, test::differential_options(kMaxAdvanceMs));
    dump(seed, r);
    INFO("schedule (seed ", seed, ", size ", sample.size, "):\n", schedule_text(r.schedule), "\n", r.report(),
         "\ndaemon trace:\n", r.daemon.trace.text(false), "\nsimulator trace:\n", r.sim.trace.text(false));
    if (sample.verbose) MESSAGE(one_line(seed, r));
    tally.add(r, known);
    judge(seed, r, known);
  }
  MESSAGE(tally.text());
  CHECK(ran == sample.count);
}

}  // TEST_SUITE("daemon: generated")
