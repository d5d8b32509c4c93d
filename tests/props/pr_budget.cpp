// The PR-budget property run inside ctest: a fixed number of generated schedules (deterministic
// seeds) against Mosquitto, every trace judged by the reference model. A failing run is tolerated
// iff the fixed broker (every listed cause's fix) passes it, and reported under the cause ablation
// names; anything else fails the test with its shrunk schedule and the command that replays it.
// Listed faces that no longer reproduce are reported as fixed; each listed face must pass on the
// fixed broker (its cause's fix fixes it).
#include <doctest/doctest.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "cli/input.h"
#include "props/campaign.h"
#include "props/known_deviations.h"

using namespace mqsim;

namespace {

// An environment variable's number, range-checked: MQSIM_PR_SCHEDULES=abc must not run 0 schedules
// and pass.
std::uint64_t env_or(const char* name, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
  const char* v = std::getenv(name);
  return v ? cli::require_u64(v, min, max, std::string("environment variable ") + name) : fallback;
}

props::KnownDeviations load_known() {
  props::KnownDeviations known;
  std::string error;
  REQUIRE_MESSAGE(known.load_dir(props::default_known_deviations_dir(), &error), error);
  return known;
}

}  // namespace

TEST_CASE("PR budget: generated schedules against Mosquitto satisfy the MQTT model") {
  props::CampaignOptions opt;
  opt.first_seed = env_or("MQSIM_PR_SEED", 1, 0, UINT64_MAX);
  opt.schedules = env_or("MQSIM_PR_SCHEDULES", 2000, 1, 100'000'000);
  const auto known = load_known();
  const auto rep = props::run_campaign(opt, known);
  const auto& st = rep.stats;
  std::printf("PR budget: %" PRIu64 " schedules, %" PRIu64 " steps, %.1f s wall (%.0f schedules/s), %" PRIu64
              " runs the fixed broker passes (%.1f s in %" PRIu64 " reference runs)\n",
              st.schedules, st.ops, st.elapsed_s, double(st.schedules) / st.elapsed_s, st.known, st.tolerance_s, st.reference_runs);
  if (!rep.tolerance_note.empty()) std::printf("  WARNING: %s\n", rep.tolerance_note.c_str());
  for (const auto& k : rep.known) {
    std::printf("  known cause %s: %" PRIu64 " runs (first at seed %" PRIu64 "; %s)\n", k.known_deviation->c_str(),
                st.known_by_cause.at(*k.known_deviation), k.seed, k.attribution.c_str());
  }
  for (const auto& f : rep.findings) {
    std::printf("  NEW FAILURE %s\n    %s\n    replay: mqsim replay %" PRIu64 "\n%s", f.headline().c_str(),
                f.evaluation.violation ? f.evaluation.violation->text().c_str() : f.evaluation.result.detail.c_str(), f.seed,
                schedule_text(f.shrunk).c_str());
  }
  CHECK(st.schedules == opt.schedules);
  CHECK(rep.findings.empty());
}

TEST_CASE("known deviations: each listed schedule still shows its deviation, or is reported fixed") {
  const auto known = load_known();
  props::Evaluator ev(20'000);
  props::Tolerance tolerance(known, props::ReferencePrograms::built_in(), 20'000, false);
  for (const auto& d : known.all()) {
    CAPTURE(d.id);
    if (!d.schedule) continue;
    const auto e = ev.evaluate(*d.schedule);
    const bool reproduces = e.violation && props::KnownDeviations::shows(d, e.violation->statement, e.violation->text(), e.mosquitto_conf);
    if (reproduces && d.for_this_version) {
      MESSAGE("known deviation " << d.id << " [" << d.statement << "] still reproduces");
    } else if (d.for_this_version) {
      // Not a test failure: a fixed deviation is good news, but the list must be updated.
      MESSAGE("FIXED? known deviation " << d.id << " [" << d.statement << "] no longer reproduces on this Mosquitto: "
              << (e.violation ? "now " + e.violation->text() : std::string("the trace satisfies the model"))
              << " — remove or update " << d.path);
    } else if (reproduces) {
      // Listed for other versions only: campaigns here do not tolerate it, so say so.
      MESSAGE("known deviation " << d.id << " [" << d.statement << "] also reproduces on Mosquitto " << props::mosquitto_version()
              << ", which " << d.path << " does not list in its versions");
    }
    // A listed schedule is judged by the model, so it ends in a violation or none: never a crash or a hang.
    CHECK(e.result.ok());
    // Its cause's fix must fix it: the fixed broker passes every face of a cause it carries.
    const auto* cause = known.cause(d.cause);
    const auto& carried = tolerance.programs().fixed_causes;
    if (d.for_this_version && tolerance.has_fixed() && std::binary_search(carried.begin(), carried.end(), d.cause)) {
      const auto fixed = tolerance.on_fixed(*d.schedule);
      CHECK_MESSAGE(!fixed.failed(), "face " << d.id << " still fails on the fixed broker (fix " << cause->fix_path << "): "
                                             << (fixed.violation ? fixed.violation->text() : fixed.result.detail));
    }
  }
}
