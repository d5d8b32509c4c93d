// `mqsim explain`: which known root cause explains a failure. The schedule runs on this build's
// Mosquitto, on the fixed broker (every listed fix) and on each ablation variant (every fix but
// one): "fails on 2.0.21; passes with fix <cause>; passes with no other single fix", with the
// cause's root cause and patch. A failure the fixed broker fails too is new, whatever its
// statement: a model bug or a new deviation.
#include <cinttypes>
#include <cstdio>

#include "cli/commands.h"
#include "props/campaign.h"

namespace mqsim::cli {
namespace {

constexpr std::uint32_t kExplainTimeoutMs = 20'000;

std::string verdict_line(const props::Evaluation& e) {
  if (!e.failed()) return "passes";
  if (e.violation) return "fails: " + e.violation->text();
  return "fails: " + e.failure_kind + " (" + e.result.detail + ")";
}

void print_cause(const props::KnownDeviations& known, const std::string& id) {
  const props::Cause* c = known.cause(id);
  if (c == nullptr) return;
  std::printf("  cause       %s: %s\n", c->id.c_str(), c->summary.c_str());
  const auto where = c->root_cause.find(MQSIM_MOSQUITTO_VERSION_STR);
  if (where != c->root_cause.end()) std::printf("  root cause  %s (Mosquitto %s)\n", where->second.c_str(), MQSIM_MOSQUITTO_VERSION_STR);
  if (c->has_fix()) std::printf("  patch       %s\n", c->fix_path.c_str());
  if (!c->fixed_in.empty()) std::printf("  fixed in    Mosquitto %s\n", c->fixed_in.c_str());
}

// Prints the ablation and returns the causes whose fix alone is needed.
std::vector<std::string> print_ablation(const std::map<std::string, bool>& fails_without) {
  std::vector<std::string> needed, not_needed;
  for (const auto& [cause, fails] : fails_without) (fails ? needed : not_needed).push_back(cause);
  for (const auto& c : needed) std::printf("fails without the fix of %s\n", c.c_str());
  if (needed.empty()) {
    std::printf("passes without any single fix: several fixes each suffice (no single cause)\n");
  } else {
    std::printf("passes with no other single fix left out (%zu other fix%s checked)\n", not_needed.size(), not_needed.size() == 1 ? "" : "es");
  }
  return needed;
}

}  // namespace

int run_explain(const ExplainArgs& args) {
  std::string error;
  auto loaded = load_replay_input(args.what, args.size, &error);
  if (!loaded) {
    std::fprintf(stderr, "mqsim explain: %s\n", error.c_str());
    return kExitUsage;
  }
  props::KnownDeviations known;
  if (!known.load_dir(args.known_dir.value_or(props::default_known_deviations_dir()), &error)) {
    std::fprintf(stderr, "mqsim explain: known deviations: %s\n", error.c_str());
    return kExitUsage;
  }
  props::Tolerance tolerance(known, props::ReferencePrograms::built_in(), kExplainTimeoutMs, false);
  if (!tolerance.has_fixed()) {
    std::fprintf(stderr, "mqsim explain: %s\n", tolerance.staleness().c_str());
    return kExitUsage;
  }
  if (!tolerance.staleness().empty()) std::fprintf(stderr, "mqsim explain: warning: %s\n", tolerance.staleness().c_str());
  const Schedule& s = loaded->schedule;
  props::Evaluator as_built(kExplainTimeoutMs);
  const props::Evaluation e = as_built.evaluate(s);
  std::printf("%s on Mosquitto %s as built: %s\n", args.what.c_str(), MQSIM_MOSQUITTO_VERSION_STR, verdict_line(e).c_str());
  if (!e.failed()) return kExitOk;
  const props::KnownDeviation* hint = e.violation ? known.match(e.violation->statement, e.violation->text(), e.mosquitto_conf) : nullptr;
  if (hint != nullptr) std::printf("its text looks like face %s (cause %s): a hint, checked below\n", hint->id.c_str(), hint->cause.c_str());
  const props::Evaluation fixed = tolerance.on_fixed(s);
  std::printf("on the fixed broker (%zu fixes): %s\n", tolerance.programs().fixed_causes.size(), verdict_line(fixed).c_str());
  if (fixed.failed()) {
    std::printf("NEW: it fails with every listed fix applied, so no known cause explains it: a model bug or a new deviation\n");
    return kExitFound;
  }
  const auto needed = print_ablation(tolerance.fails_without_each(s));
  for (const auto& c : needed) print_cause(known, c);
  if (hint != nullptr && needed.size() == 1 && needed.front() != hint->cause) {
    std::printf("note: the regex of face %s hinted %s; ablation names %s\n", hint->id.c_str(), hint->cause.c_str(), needed.front().c_str());
  }
  return kExitOk;
}

}  // namespace mqsim::cli
