// The cost of tolerance: the CPU share of a campaign spent re-running failing runs on the fixed
// broker (and attributing them by ablation). The same seeds run twice, each time through the
// persistent workers exactly as `mqsim check` runs them, with shrinking off (its cost is not
// tolerance's):
//   A  no tolerance (every failing run just counted),
//   B0 tolerance alone (each failing run re-run on the fixed broker's worker),
//   B  tolerance + attribution (ablation workers on first sight of a face, cached per signature
//      and hint).
// CPU = this process + its reaped workers (RUSAGE_CHILDREN; every worker is reaped when its
// campaign ends). Share = (B - A) / B. Target <= 25 %, printed, never asserted.
//   mqsim_bench_tolerance [schedules] [first seed]     (default 3000 from a random base)
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "props/campaign.h"

namespace {

using namespace mqsim;

double cpu_s(int who) {
  rusage u{};
  getrusage(who, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double total_cpu_s() { return cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN); }

struct Measured {
  props::CampaignStats stats;
  std::map<std::string, std::uint64_t> new_kinds;   // failure kind of each new signature's first run
  double cpu_s = 0;
};

Measured measure(props::CampaignOptions opt, const props::KnownDeviations& known) {
  const double before = total_cpu_s();
  Measured m;
  const auto rep = props::run_campaign(opt, known);
  m.stats = rep.stats;
  for (const auto& f : rep.findings) ++m.new_kinds[f.evaluation.failure_kind + " " + f.evaluation.signature() + " seed " + std::to_string(f.seed)];
  m.cpu_s = total_cpu_s() - before;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  props::CampaignOptions opt;
  opt.schedules = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 3000;
  std::random_device rd;
  opt.first_seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1'000'000 + rd() % 899'000'000;
  opt.max_shrink_runs = 0;
  props::KnownDeviations known;
  std::string error;
  if (!known.load_dir(props::default_known_deviations_dir(), &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  std::printf("tolerance bench: Mosquitto %s, %" PRIu64 " schedules from seed %" PRIu64 ", %zu causes with a fix\n",
              props::mosquitto_version().c_str(), opt.schedules, opt.first_seed, known.fixes_for_this_version());
  opt.tolerate = false;
  const Measured a = measure(opt, known);
  opt.tolerate = true;
  opt.attribute = false;
  const Measured b0 = measure(opt, known);
  opt.attribute = true;
  const Measured b = measure(opt, known);
  const double share = b.cpu_s > 0 ? (b.cpu_s - a.cpu_s) / b.cpu_s : 0;
  const double share0 = b0.cpu_s > 0 ? (b0.cpu_s - a.cpu_s) / b0.cpu_s : 0;
  std::printf("  failing runs            %" PRIu64 " of %" PRIu64 " (%.1f %%)\n", a.stats.failures, a.stats.schedules,
              100.0 * double(a.stats.failures) / double(a.stats.schedules));
  std::printf("  tolerated (fixed passes)%" PRIu64 " runs, %zu cause label(s); new %" PRIu64 "\n", b.stats.known, b.stats.known_by_cause.size(),
              b.stats.failures);
  for (const auto& [kind, n] : b.new_kinds) {
    if (kind.rfind("violation", 0) != 0) std::printf("    new, not a violation: %s\n", kind.c_str());
  }
  std::printf("  reference runs          %" PRIu64 " (%.2f per failing run)\n", b.stats.reference_runs,
              a.stats.failures ? double(b.stats.reference_runs) / double(a.stats.failures) : 0.0);
  std::printf("  CPU without tolerance   %.2f s\n  CPU, fixed broker only  %.2f s (%.1f %%: re-runs alone)\n  CPU with attribution    %.2f s\n",
              a.cpu_s, b0.cpu_s, 100 * share0, b.cpu_s);
  std::printf("  cost of tolerance       %.1f %% of campaign CPU (target <= 25 %%); wall in reference runs %.1f %%\n", 100 * share,
              b.stats.elapsed_s > 0 ? 100 * b.stats.tolerance_s / b.stats.elapsed_s : 0.0);
  return 0;
}
