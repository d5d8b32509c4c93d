// Tolerance by the fixed broker and attribution by ablation: see tolerance.h.
#include "tolerance.h"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "props/campaign.h"

// Compiled in by vendor/fixed-programs.cmake: where the build put the reference programs and
// which causes' fixes the fixed broker carries (','-separated, sorted).
#ifndef MQSIM_FIXED_PROGRAM
#define MQSIM_FIXED_PROGRAM ""
#endif
#ifndef MQSIM_ABLATION_DIR
#define MQSIM_ABLATION_DIR ""
#endif
#ifndef MQSIM_FIXED_CAUSES
#define MQSIM_FIXED_CAUSES ""
#endif

namespace mqsim::props {
namespace {

// Reference workers kept alive at once: each is a process with a broker (a few MB resident); the
// least recently used one stops when another is needed. Room for every ablation variant of ~20
// causes: a full ablation walks them all, and with 6 live workers (tried first) each walk
// restarted most of them, which made tolerance cost 51 % of campaign CPU on 3000 schedules.
constexpr std::size_t kMaxLiveWorkers = 24;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) if (!part.empty()) out.push_back(part);
  return out;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : fallback;
}

bool executable(const std::string& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

}  // namespace

ReferencePrograms ReferencePrograms::built_in() {
  ReferencePrograms p;
  p.fixed = env_or("MQSIM_FIXED_PROGRAM", MQSIM_FIXED_PROGRAM);
  const std::string ablation_dir = env_or("MQSIM_ABLATION_DIR", MQSIM_ABLATION_DIR);
  p.fixed_causes = split(MQSIM_FIXED_CAUSES, ',');
  std::sort(p.fixed_causes.begin(), p.fixed_causes.end());
  for (const auto& c : p.fixed_causes) p.without[c] = ablation_dir + "/mqsim-without-" + c;
  return p;
}

std::string Attribution::label() const {
  if (causes.empty()) return "unattributed";
  std::string out;
  for (const auto& c : causes) out += (out.empty() ? "" : "+") + c;
  return out;
}

struct Tolerance::Job {
  const Schedule* schedule = nullptr;        // either a schedule...
  std::uint64_t seed = 0;                    // ...or a seed of the campaign's generator
  const CampaignOptions* options = nullptr;
};

Tolerance::Tolerance(const KnownDeviations& known, ReferencePrograms programs, std::uint32_t wall_timeout_ms, bool attribute)
    : known_(known), programs_(std::move(programs)), wall_timeout_ms_(wall_timeout_ms), attribute_(attribute) {
  assert(wall_timeout_ms_ > 0);
  if (!programs_.fixed.empty() && !executable(programs_.fixed)) {
    staleness_ = "the fixed broker's program " + programs_.fixed + " is not built (cmake --build <build> --target mqsim-fixed): nothing is tolerated";
    programs_.fixed.clear();
  }
  // Ablation variants not built: attribution cannot run (a missing program must not read as
  // "fails without that fix").
  std::string unbuilt;
  for (auto it = programs_.without.begin(); it != programs_.without.end();) {
    if (executable(it->second)) {
      ++it;
      continue;
    }
    unbuilt += " " + it->first;
    it = programs_.without.erase(it);
  }
  if (!unbuilt.empty()) staleness_ += (staleness_.empty() ? "" : "; ") + std::string("ablation programs not built (cmake --build <build> --target mqsim_ablation) for:") + unbuilt;
  // A listed fix the fixed broker lacks (the list changed since the build): its cause is known
  // by its regex only until the next build, and people are told.
  std::string missing;
  for (const auto& c : known_.causes()) {
    if (!c.for_this_version || !c.has_fix()) continue;
    if (!std::binary_search(programs_.fixed_causes.begin(), programs_.fixed_causes.end(), c.id)) missing += " " + c.id;
  }
  if (!missing.empty()) staleness_ += (staleness_.empty() ? "" : "; ") + std::string("the fixed broker was built without the fixes of:") + missing + " (rebuild)";
}

Tolerance::~Tolerance() = default;

Evaluator& Tolerance::evaluator(const std::string& program) {
  auto it = workers_.find(program);
  worker_order_.erase(std::remove(worker_order_.begin(), worker_order_.end(), program), worker_order_.end());
  worker_order_.push_back(program);
  if (it != workers_.end()) return *it->second;
  if (workers_.size() >= kMaxLiveWorkers) {
    // The fixed broker's worker is the busiest: never the one stopped.
    for (const auto& victim : worker_order_) {
      if (victim == programs_.fixed || victim == program) continue;
      workers_.erase(victim);
      worker_order_.erase(std::find(worker_order_.begin(), worker_order_.end(), victim));
      break;
    }
  }
  return *workers_.emplace(program, std::make_unique<Evaluator>(program, wall_timeout_ms_)).first->second;
}

Evaluation Tolerance::run_on(const std::string& program, const Job& job) {
  assert(!program.empty());
  const auto t0 = std::chrono::steady_clock::now();
  Evaluator& ev = evaluator(program);
  Evaluation e = job.schedule != nullptr ? ev.verdict(*job.schedule)
                                         : ev.verdict_seed(job.seed, job.options->size, job.options->max_ops, job.options->conf_override);
  spent_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++reference_runs_;
  // A reference program that cannot run at all must not read as "fails there".
  if (e.failure_kind == "runner-error") std::fprintf(stderr, "mqsim: reference broker %s: %s\n", program.c_str(), e.result.detail.c_str());
  return e;
}

Attribution Tolerance::judge_seed(std::uint64_t seed, const CampaignOptions& options, const Evaluation& failing) {
  Job job;
  job.seed = seed;
  job.options = &options;
  return decide(job, failing, attribute_);
}

Attribution Tolerance::judge(const Schedule& s, const Evaluation& failing) {
  Job job;
  job.schedule = &s;
  return decide(job, failing, attribute_);
}

bool Tolerance::tolerates(const Schedule& s, const Evaluation& failing) {
  Job job;
  job.schedule = &s;
  return decide(job, failing, false).tolerated;
}

Evaluation Tolerance::on_fixed(const Schedule& s) {
  assert(has_fixed());
  Job job;
  job.schedule = &s;
  return run_on(programs_.fixed, job);
}

bool Tolerance::passes_on_fixed(const Schedule& s) { return has_fixed() && !on_fixed(s).failed(); }

std::map<std::string, bool> Tolerance::fails_without_each(const Schedule& s) {
  Job job;
  job.schedule = &s;
  std::map<std::string, bool> out;
  for (const auto& [cause, program] : programs_.without) out[cause] = run_on(program, job).failed();
  return out;
}

Attribution Tolerance::decide(const Job& job, const Evaluation& failing, bool attribute_it) {
  assert(failing.failed());
  Attribution a;
  const KnownDeviation* hint = failing.violation ? known_.match(failing.violation->statement, failing.violation->text(), failing.mosquitto_conf) : nullptr;
  if (hint != nullptr) a.hint = hint->id;
  const bool passes = has_fixed() && !run_on(programs_.fixed, job).failed();
  if (!passes) {
    // Still failing with every fix in: new, whatever the regexes say, unless the face it looks
    // like belongs to a cause the fixed broker has no fix for (the flat layout's files, a list
    // newer than the build): then only that regex knows it, and the method says so.
    const Cause* c = hint != nullptr ? known_.cause(hint->cause) : nullptr;
    const bool fixed_has_it = c != nullptr && std::binary_search(programs_.fixed_causes.begin(), programs_.fixed_causes.end(), c->id);
    if (c != nullptr && !fixed_has_it) {
      a.tolerated = true;
      a.causes = {c->id};
      a.method = "regex only: the fixed broker has no fix for " + c->id;
    }
    return a;
  }
  a.tolerated = true;
  if (!attribute_it) {
    a.method = "not attributed";
    return a;
  }
  const std::string key = failing.signature() + "|" + a.hint;
  attribute(job, key, a);
  return a;
}

// Names the cause(s) of a run that passes on the fixed broker. Cached per (signature, hint): a
// campaign sees the same few faces thousands of times, and ablation costs a run per cause.
void Tolerance::attribute(const Job& job, const std::string& key, Attribution& a) {
  if (auto it = cache_.find(key); it != cache_.end()) {
    a.causes = it->second.first;
    a.method = it->second.second + " (cached)";
    return;
  }
  if (programs_.without.empty()) {
    a.method = "not attributed: no ablation program";
    return;
  }
  const KnownDeviation* hint = a.hint.empty() ? nullptr : known_.face(a.hint);
  const auto hinted = hint != nullptr ? programs_.without.find(hint->cause) : programs_.without.end();
  if (hinted != programs_.without.end() && run_on(hinted->second, job).failed()) {
    a.causes = {hint->cause};
    a.method = "fails without the fix of " + hint->cause + ", the cause its regex hints";
  } else {
    // Each single fix left out in turn, in cause order; the first that makes it fail names it.
    for (const auto& [cause, program] : programs_.without) {
      if (hinted != programs_.without.end() && cause == hinted->first) continue;
      if (!run_on(program, job).failed()) continue;
      a.causes = {cause};
      a.method = "ablation: fails without the fix of " + cause;
      break;
    }
    if (a.causes.empty()) a.method = "ablation: passes without any single fix (several fixes each suffice)";
  }
  cache_[key] = {a.causes, a.method};
}

}  // namespace mqsim::props
