// One row of the planted-bug matrix: runs the PR-budget campaign against a broker built with one
// planted bug and reports whether the model caught it, how fast, and how short the shrunk
// schedule is. Exit 0 when caught, 1 when missed.
//   mqsim_planted_<name> [schedules]
//   mqsim_planted_<name> --schedule file.json   (judge one schedule on this broker: debugging)
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "props/campaign.h"

#ifndef MQSIM_PLANT_NAME
#error "MQSIM_PLANT_NAME must name the planted bug"
#endif
#ifndef MQSIM_PLANTED_FIXED_PROGRAM
#error "MQSIM_PLANTED_FIXED_PROGRAM must name the planted broker with the fixes (the tolerance reference)"
#endif

int judge_one(const char* path) {
  using namespace mqsim;
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return 2;
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  std::string error;
  auto s = schedule_from_json(text, &error);
  if (!s) {
    std::fprintf(stderr, "%s: %s\n", path, error.c_str());
    return 2;
  }
  props::Evaluator ev(20'000);
  const auto e = ev.evaluate(*s);
  std::printf("%s\n%s", e.violation ? e.violation->text().c_str() : (e.failed() ? e.result.detail.c_str() : "ok"), e.result.trace.text(false).c_str());
  return e.failed() ? 0 : 1;
}

int main(int argc, char** argv) {
  using namespace mqsim;
  if (argc > 2 && std::string(argv[1]) == "--schedule") return judge_one(argv[2]);
  props::CampaignOptions opt;
  opt.schedules = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000;
  opt.stop_at_first_failure = true;
  props::KnownDeviations known;
  std::string error;
  if (!known.load_dir(props::default_known_deviations_dir(), &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  // Tolerance as users get it, with the planted broker's own fixed variant as the reference: a
  // failing run is tolerated iff the fixes explain it. (No ablation: the row asks "caught?".)
  props::ReferencePrograms reference = props::ReferencePrograms::built_in();
  reference.fixed = MQSIM_PLANTED_FIXED_PROGRAM;
  reference.without.clear();
  opt.reference = reference;
  opt.attribute = false;
  const auto rep = props::run_campaign(opt, known);
  if (rep.findings.empty()) {
    std::printf("MISSED  %-34s after %" PRIu64 " schedules (%.1f s)\n", MQSIM_PLANT_NAME, rep.stats.schedules, rep.stats.elapsed_s);
    return 1;
  }
  const auto& f = rep.findings.front();
  std::printf("CAUGHT  %-34s seed %-6" PRIu64 " after %.2f s, shrunk %zu -> %zu steps, %s\n", MQSIM_PLANT_NAME, f.seed,
              f.found_after_s, f.original.ops.size(), f.shrunk.ops.size(),
              f.evaluation.violation ? ("[" + f.evaluation.violation->statement + "]").c_str() : f.evaluation.failure_kind.c_str());
  std::printf("%s", schedule_text(f.shrunk).c_str());
  if (f.evaluation.violation) std::printf("%s\n", f.evaluation.violation->text().c_str());
  return 0;
}
