// The campaign loop: see campaign.h.
#include "campaign.h"

#include <cassert>
#include <chrono>

#include "model/broker_config.h"
#include "props/generators.h"
#include "sim/sim.h"

namespace mqsim::props {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// In the worker: parse the job (schedule JSON), play it, answer with the run's status + trace.
std::string worker_job(std::string_view job) {
  std::string error;
  auto s = schedule_from_json(job, &error);
  assert(s && "the parent sends only schedules it wrote");
  SimConfig config;
  config.mosquitto_conf = s->mosquitto_conf;
  config.seed = s->seed;
  return run_answer(config, [&](Sim& sim) { execute(*s, sim); });
}

std::uint64_t virtual_ms_of(const Trace& t) { return t.events().empty() ? 0 : t.events().back().time_ms; }

}  // namespace

std::string Evaluation::signature() const {
  if (failure_kind == "violation" && violation) return "violation " + violation->statement;
  if (failure_kind == "crashed") return "crashed " + std::to_string(result.signal);
  return failure_kind;
}

std::string Finding::headline() const {
  const auto& e = evaluation;
  std::string what = e.violation ? "[" + e.violation->statement + "]" : e.failure_kind + " (" + e.result.detail + ")";
  return what + " seed " + std::to_string(seed) + ", shrunk to " + std::to_string(shrunk.ops.size()) + " steps (from " +
         std::to_string(original.ops.size()) + ")";
}

Evaluator::Evaluator(std::uint32_t wall_timeout_ms) : worker_(worker_job, wall_timeout_ms) {}

Evaluation Evaluator::evaluate(const Schedule& s) {
  Evaluation ev;
  ev.result = from_worker_reply(worker_.call(to_json(s)));
  switch (ev.result.outcome) {
    case Outcome::Completed: break;
    case Outcome::Crashed: ev.failure_kind = "crashed"; return ev;
    case Outcome::Hung: ev.failure_kind = "hung"; return ev;
    case Outcome::StartFailed: ev.failure_kind = "start-failed"; return ev;
    case Outcome::RunnerError: ev.failure_kind = "runner-error"; return ev;
  }
  std::string error;
  auto config = model::parse_broker_config(s.mosquitto_conf, &error);
  if (!config) {
    ev.failure_kind = "start-failed";
    ev.result.detail = "the model cannot read the config: " + error;
    return ev;
  }
  auto verdict = model::check(ev.result.trace, *config, model::CheckOptions{.liveness = s.liveness});
  ev.coverage = verdict.coverage;
  if (verdict.violation) {
    ev.violation = verdict.violation;
    ev.failure_kind = "violation";
  }
  return ev;
}

Finding shrink_failure(Evaluator& ev, std::uint64_t seed, const CampaignOptions& options, const Evaluation& first) {
  auto current = schedule_for_seed(seed, options.size, options.max_ops);
  Finding f;
  f.seed = seed;
  f.original = current.value();
  if (options.conf_override) f.original.mosquitto_conf = *options.conf_override;
  f.evaluation = first;
  const std::string wanted = first.signature();
  // Greedy descent over rapidcheck's shrink tree: take the first simpler schedule that still
  // fails the same way, then look at its shrinks; stop when none does or the budget is spent.
  bool improved = true;
  while (improved && f.shrink_runs < options.max_shrink_runs) {
    improved = false;
    auto shrinks = current.shrinks();
    for (auto candidate = shrinks.next(); candidate && f.shrink_runs < options.max_shrink_runs; candidate = shrinks.next()) {
      Schedule s = candidate->value();
      if (options.conf_override) s.mosquitto_conf = *options.conf_override;
      ++f.shrink_runs;
      Evaluation e = ev.evaluate(s);
      if (!e.failed() || e.signature() != wanted) continue;
      current = *candidate;
      f.evaluation = std::move(e);
      improved = true;
      break;
    }
  }
  f.shrunk = current.value();
  if (options.conf_override) f.shrunk.mosquitto_conf = *options.conf_override;
  return f;
}

CampaignReport run_campaign(const CampaignOptions& options, const KnownDeviations& known, const Progress& progress) {
  assert(options.schedules > 0 || options.time_limit_s > 0);
  CampaignReport report;
  Evaluator ev(options.wall_timeout_ms);
  std::map<std::string, bool> seen_signatures;
  const auto t0 = Clock::now();
  for (std::uint64_t i = 0; options.schedules == 0 || i < options.schedules; ++i) {
    if (options.time_limit_s > 0 && seconds_since(t0) >= options.time_limit_s) break;
    const std::uint64_t seed = options.first_seed + i * options.seed_stride;
    Schedule s = schedule_for_seed(seed, options.size, options.max_ops).value();
    if (options.conf_override) s.mosquitto_conf = *options.conf_override;
    Evaluation e = ev.evaluate(s);
    auto& st = report.stats;
    ++st.schedules;
    st.ops += s.ops.size();
    st.virtual_ms += virtual_ms_of(e.result.trace);
    for (const auto& [k, v] : e.coverage.counts) st.coverage[k] += v;
    const Finding* fresh = nullptr;
    if (e.failed()) {
      const KnownDeviation* kd = e.violation ? known.match(e.violation->statement, e.violation->text()) : nullptr;
      if (kd != nullptr) {
        ++st.known;
        if (!seen_signatures[kd->id]) {
          seen_signatures[kd->id] = true;
          Finding f{seed, s, s, e, 0, seconds_since(t0), kd->id};
          report.known.push_back(std::move(f));
        }
      } else {
        ++st.failures;
        if (!seen_signatures[e.signature()]) {
          seen_signatures[e.signature()] = true;
          Finding f = shrink_failure(ev, seed, options, e);
          f.found_after_s = seconds_since(t0);
          report.findings.push_back(std::move(f));
          fresh = &report.findings.back();
        }
      }
    }
    st.elapsed_s = seconds_since(t0);
    if (progress) progress(st, fresh);
    if (fresh && options.stop_at_first_failure) break;
  }
  report.stats.elapsed_s = seconds_since(t0);
  return report;
}

}  // namespace mqsim::props
