// Tolerance is decided by the fixed broker, never by a regex: on a broker with a planted bug
// (qos-not-downgraded, [MQTT-3.8.4-8]) and a known list whose face claims EVERY [MQTT-3.8.4-8]
// violation (an empty regex: exactly the kind of broad pattern issue 20 found hiding real
// failures), the campaign still reports the plant as new, because the planted broker with the
// fixes (the reference) fails the same schedule. The regex hint matches it; it decides nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "props/campaign.h"

#ifndef MQSIM_PLANTED_FIXED_PROGRAM
#error "MQSIM_PLANTED_FIXED_PROGRAM: the qos-not-downgraded broker with the fixes"
#endif

using namespace mqsim;

namespace {

// A known list with one cause whose face matches every [MQTT-3.8.4-8] violation.
std::string write_catch_all_list() {
  const auto dir = std::filesystem::temp_directory_path() / ("mqsim-tolerance-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "catch-all" / "faces");
  std::ofstream(dir / "catch-all" / "cause.json") << R"({"summary": "claims every QoS downgrade violation", "why": "test",
    "statements": ["MQTT-3.8.4-8"], "versions": [")" << props::mosquitto_version() << R"x( (test)"]})x";
  std::ofstream(dir / "catch-all" / "faces" / "catch-all.json") << R"({"statement": "MQTT-3.8.4-8", "match": "",
    "summary": "any", "why": "test"})";
  return dir.string();
}

}  // namespace

TEST_CASE("tolerance: a planted bug is new even when a known face's regex matches it") {
  const std::string dir = write_catch_all_list();
  props::KnownDeviations known;
  std::string error;
  REQUIRE_MESSAGE(known.load_dir(dir, &error), error);
  props::CampaignOptions opt;
  opt.schedules = 2000;
  opt.stop_at_first_failure = true;
  opt.max_shrink_runs = 200;
  props::ReferencePrograms reference;
  reference.fixed = MQSIM_PLANTED_FIXED_PROGRAM;
  reference.fixed_causes = {"catch-all"};   // the fixed broker "carries" it: no regex-only fallback
  opt.reference = reference;
  const auto rep = props::run_campaign(opt, known);
  REQUIRE(rep.findings.size() == 1);
  const auto& f = rep.findings.front();
  REQUIRE(f.evaluation.violation.has_value());
  CHECK(f.evaluation.violation->statement == "MQTT-3.8.4-8");
  // The regex alone would have tolerated it...
  const auto* hint = known.match(f.evaluation.violation->statement, f.evaluation.violation->text(), f.evaluation.mosquitto_conf);
  REQUIRE(hint != nullptr);
  CHECK(hint->cause == "catch-all");
  // ...but the reference (plant + fixes) fails the shrunk schedule too, so it is new.
  props::Tolerance tolerance(known, reference, 20'000, false);
  CHECK_FALSE(tolerance.passes_on_fixed(f.shrunk));
  CHECK_FALSE(tolerance.tolerates(f.shrunk, f.evaluation));
  CHECK(rep.stats.reference_runs > 0);
  // The control: the unplanted fixed broker passes the plant's schedule, so with it as the
  // reference the same failure would be tolerated: the reference decides, and it decides right.
  props::ReferencePrograms unplanted = props::ReferencePrograms::built_in();
  unplanted.fixed_causes = {"catch-all"};
  unplanted.without.clear();
  props::Tolerance control(known, unplanted, 20'000, false);
  REQUIRE(control.has_fixed());
  CHECK(control.tolerates(f.shrunk, f.evaluation));
  std::filesystem::remove_all(dir);
}
