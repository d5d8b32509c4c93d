// The campaign loop: see campaign.h.
#include "campaign.h"

#include <cassert>
#include <chrono>
#include <cstring>
#include <memory>

#include "model/broker_config.h"
#include "props/generators.h"
#include "sim/schedule_exec.h"
#include "sim/sim.h"

namespace mqsim::props {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Jobs sent to the worker. A campaign's common case names a seed, and the worker generates the
// schedule itself (the parent only regenerates it when it has to shrink a failure): that spares
// a JSON round trip per schedule. Shrink candidates and listed deviations travel as JSON.
constexpr char kJobJson = 'J';
constexpr char kJobSeed = 'G';
// The same two, answered with the verdict only (judged in the worker): a reference broker's
// re-run needs no trace in the parent, so none crosses the pipe nor is parsed twice.
constexpr char kJobJsonVerdict = 'j';
constexpr char kJobSeedVerdict = 'g';

struct SeedJob {
  std::uint64_t seed;
  std::int32_t size;
  std::uint32_t max_ops;
};

std::string play(const Schedule& s) {
  SimConfig config;
  config.mosquitto_conf = s.mosquitto_conf;
  config.seed = s.seed;
  return run_answer(config, [&](Sim& sim) { execute(s, sim); });
}

Schedule schedule_of_job(std::string_view job) {
  assert(!job.empty());
  if (job[0] == kJobJson || job[0] == kJobJsonVerdict) {
    std::string error;
    auto parsed = schedule_from_json(job.substr(1), &error);
    assert(parsed && "the parent sends only schedules it wrote");
    return std::move(*parsed);
  }
  assert((job[0] == kJobSeed || job[0] == kJobSeedVerdict) && job.size() >= 1 + sizeof(SeedJob));
  SeedJob sj;
  std::memcpy(&sj, job.data() + 1, sizeof sj);
  Schedule s = schedule_for_seed(sj.seed, sj.size, sj.max_ops).value();
  if (job.size() > 1 + sizeof(SeedJob)) s.mosquitto_conf = std::string(job.substr(1 + sizeof(SeedJob)));
  return s;
}

void append_string(std::string& out, const std::string& s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += s;
}

std::string take_string(std::string_view& in) {
  std::uint32_t n = 0;
  assert(in.size() >= sizeof n);
  std::memcpy(&n, in.data(), sizeof n);
  assert(in.size() >= sizeof n + n);
  std::string s(in.substr(sizeof n, n));
  in.remove_prefix(sizeof n + n);
  return s;
}

// A verdict answer: [u8 kind][u32 ops], then for a violation its fields; for "model cannot read
// the config" the reason.
enum class VerdictKind : std::uint8_t { Ok = 0, Violation = 1, ConfigUnreadable = 2, RunFailed = 3 };

std::string verdict_answer(const Schedule& s) {
  SimConfig config;
  config.mosquitto_conf = s.mosquitto_conf;
  config.seed = s.seed;
  const RunResult r = run(config, [&](Sim& sim) { execute(s, sim); }, RunOptions{.fork = false});
  const auto ops = static_cast<std::uint32_t>(s.ops.size());
  std::string out(1, '\0');
  out.append(reinterpret_cast<const char*>(&ops), sizeof ops);
  if (!r.ok()) {
    out[0] = static_cast<char>(VerdictKind::RunFailed);
    append_string(out, std::string(outcome_name(r.outcome)) + ": " + r.detail);
    return out;
  }
  std::string error;
  const auto broker_config = model::parse_broker_config(s.mosquitto_conf, &error);
  if (!broker_config) {
    out[0] = static_cast<char>(VerdictKind::ConfigUnreadable);
    append_string(out, error);
    return out;
  }
  const auto verdict = model::check(r.trace, *broker_config, model::CheckOptions{.liveness = s.liveness});
  if (!verdict.violation) return out;
  const model::Violation& v = *verdict.violation;
  out[0] = static_cast<char>(VerdictKind::Violation);
  for (const std::string* field : {&v.statement, &v.expected, &v.seen, &v.client_name}) append_string(out, *field);
  for (std::uint64_t n : {std::uint64_t{v.event_index}, std::uint64_t{v.client}, v.time_ms}) out.append(reinterpret_cast<const char*>(&n), sizeof n);
  return out;
}

// In the worker. Answer: [u32 ops][u32 conf bytes][conf][u8 liveness][run_answer()], or for the
// verdict-only jobs verdict_answer().
std::string worker_job(std::string_view job) {
  const Schedule s = schedule_of_job(job);
  if (job[0] == kJobJsonVerdict || job[0] == kJobSeedVerdict) return verdict_answer(s);
  const auto ops = static_cast<std::uint32_t>(s.ops.size());
  const auto conf_bytes = static_cast<std::uint32_t>(s.mosquitto_conf.size());
  std::string answer(reinterpret_cast<const char*>(&ops), sizeof ops);
  answer.append(reinterpret_cast<const char*>(&conf_bytes), sizeof conf_bytes);
  answer += s.mosquitto_conf;
  answer += static_cast<char>(s.liveness ? 1 : 0);
  return answer + play(s);
}

std::string seed_job(char kind, std::uint64_t seed, int size, std::uint32_t max_ops, const std::optional<std::string>& conf) {
  const SeedJob sj{seed, size, max_ops};
  std::string job(1, kind);
  job.append(reinterpret_cast<const char*>(&sj), sizeof sj);
  if (conf) job += *conf;
  return job;
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

Evaluator::Evaluator(const std::string& program, std::uint32_t wall_timeout_ms)
    : worker_(Worker::Program{program, {}}, wall_timeout_ms) {}

void serve_campaign_worker() { serve_worker(worker_job); }

Evaluation Evaluator::evaluate(const Schedule& s) {
  return judge(worker_.call(kJobJson + to_json(s)));
}

Evaluation Evaluator::evaluate_seed(std::uint64_t seed, int size, std::uint32_t max_ops, const std::optional<std::string>& conf) {
  return judge(worker_.call(seed_job(kJobSeed, seed, size, max_ops, conf)));
}

Evaluation Evaluator::verdict(const Schedule& s) {
  return judge_verdict(worker_.call(kJobJsonVerdict + to_json(s)));
}

Evaluation Evaluator::verdict_seed(std::uint64_t seed, int size, std::uint32_t max_ops, const std::optional<std::string>& conf) {
  return judge_verdict(worker_.call(seed_job(kJobSeedVerdict, seed, size, max_ops, conf)));
}

Evaluation Evaluator::judge_verdict(WorkerReply reply) {
  Evaluation ev;
  if (reply.status != WorkerReply::Status::Ok) {
    ev.result = from_worker_reply(std::move(reply));
    ev.failure_kind = ev.result.outcome == Outcome::Crashed ? "crashed" : ev.result.outcome == Outcome::Hung ? "hung" : "runner-error";
    return ev;
  }
  std::string_view in = reply.bytes;
  assert(in.size() >= 1 + sizeof(std::uint32_t));
  const auto kind = static_cast<VerdictKind>(in[0]);
  std::memcpy(&ev.ops, in.data() + 1, sizeof ev.ops);
  in.remove_prefix(1 + sizeof(std::uint32_t));
  ev.result.outcome = Outcome::Completed;
  switch (kind) {
    case VerdictKind::Ok: return ev;
    case VerdictKind::RunFailed: ev.failure_kind = "run-failed"; ev.result.detail = take_string(in); return ev;
    case VerdictKind::ConfigUnreadable: ev.failure_kind = "start-failed"; ev.result.detail = "the model cannot read the config: " + take_string(in); return ev;
    case VerdictKind::Violation: break;
  }
  model::Violation v;
  for (std::string* field : {&v.statement, &v.expected, &v.seen, &v.client_name}) *field = take_string(in);
  std::uint64_t n[3];
  assert(in.size() == sizeof n);
  std::memcpy(n, in.data(), sizeof n);
  v.event_index = static_cast<std::size_t>(n[0]);
  v.client = static_cast<std::uint32_t>(n[1]);
  v.time_ms = n[2];
  ev.violation = std::move(v);
  ev.failure_kind = "violation";
  return ev;
}

Evaluation Evaluator::judge(WorkerReply reply) {
  Evaluation ev;
  Schedule s;  // only what the model needs: the config and whether a liveness phase ran
  if (reply.status == WorkerReply::Status::Ok) {
    std::uint32_t ops = 0, conf_bytes = 0;
    assert(reply.bytes.size() >= 2 * sizeof(std::uint32_t) + 1);
    std::memcpy(&ops, reply.bytes.data(), sizeof ops);
    std::memcpy(&conf_bytes, reply.bytes.data() + sizeof ops, sizeof conf_bytes);
    const std::size_t head = 2 * sizeof(std::uint32_t);
    s.mosquitto_conf = reply.bytes.substr(head, conf_bytes);
    s.liveness = reply.bytes[head + conf_bytes] != 0;
    ev.ops = ops;
    ev.mosquitto_conf = s.mosquitto_conf;
    reply.bytes.erase(0, head + conf_bytes + 1);
  }
  ev.result = from_worker_reply(std::move(reply));
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

namespace {

bool same_failure(const Schedule& s, const Evaluation& e, const std::string& wanted, Tolerance* tolerance) {
  if (!e.failed() || e.signature() != wanted) return false;
  return tolerance == nullptr || !tolerance->tolerates(s, e);
}

}  // namespace

Finding shrink_failure(Evaluator& ev, std::uint64_t seed, const CampaignOptions& options, const Evaluation& first,
                       Tolerance* tolerance) {
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
      if (!same_failure(s, e, wanted, tolerance)) continue;
      current = *candidate;
      f.evaluation = std::move(e);
      improved = true;
      break;
    }
  }
  f.shrunk = current.value();
  if (options.conf_override) f.shrunk.mosquitto_conf = *options.conf_override;
  finish_shrinking(ev, options, wanted, f, tolerance);
  return f;
}

namespace {

// Drops clients no op refers to (their "client" lines are noise), renaming the rest c1, c2...
Schedule without_unused_clients(const Schedule& s) {
  std::vector<bool> used(s.clients.size(), false);
  for (const auto& op : s.ops) if (op.kind != OpKind::Advance && op.client < used.size()) used[op.client] = true;
  std::vector<std::uint32_t> new_index(s.clients.size(), 0);
  Schedule out = s;
  out.clients.clear();
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    if (!used[i]) continue;
    new_index[i] = static_cast<std::uint32_t>(out.clients.size());
    out.clients.push_back(s.clients[i]);
  }
  for (auto& op : out.ops) op.client = op.kind == OpKind::Advance ? 0 : new_index[op.client];
  return out;
}

}  // namespace

// rapidcheck's shrink tree cannot drop the opening connects or unused clients; a last pass of
// single-op deletions (delta debugging at granularity one) and client pruning can.
void finish_shrinking(Evaluator& ev, const CampaignOptions& options, const std::string& wanted, Finding& f,
                      Tolerance* tolerance) {
  auto still_fails = [&](const Schedule& s) {
    if (f.shrink_runs >= options.max_shrink_runs) return false;
    ++f.shrink_runs;
    Evaluation e = ev.evaluate(s);
    if (!same_failure(s, e, wanted, tolerance)) return false;
    f.evaluation = std::move(e);
    return true;
  };
  for (std::size_t i = f.shrunk.ops.size(); i-- > 0;) {
    Schedule fewer = f.shrunk;
    fewer.ops.erase(fewer.ops.begin() + static_cast<long>(i));
    if (still_fails(fewer)) f.shrunk = std::move(fewer);
  }
  Schedule pruned = without_unused_clients(f.shrunk);
  if (pruned.clients.size() < f.shrunk.clients.size() && still_fails(pruned)) f.shrunk = std::move(pruned);
}

namespace {

// The campaign's state between runs.
struct CampaignLoop {
  const CampaignOptions& options;
  CampaignReport& report;
  Evaluator& ev;
  Tolerance* tolerance;                   // null: no tolerance (every failure is new)
  Clock::time_point t0;
  std::map<std::string, bool> seen_signatures;

  // A failing run the fixed broker passes: counted under its cause, the first of each kept.
  void on_known(std::uint64_t seed, const Evaluation& e, const Attribution& a) {
    const std::string label = a.label();
    ++report.stats.known;
    ++report.stats.known_by_cause[label];
    if (seen_signatures["known " + label]) return;
    seen_signatures["known " + label] = true;
    Schedule s = schedule_for_seed(seed, options.size, options.max_ops).value();
    if (options.conf_override) s.mosquitto_conf = *options.conf_override;
    Finding f{seed, s, s, e, 0, seconds_since(t0), label, a.method, {}};
    report.known.push_back(std::move(f));
  }

  // A new failure: the first of each signature is shrunk, later seeds are listed with it.
  const Finding* on_new(std::uint64_t seed, const Evaluation& e) {
    ++report.stats.failures;
    if (!seen_signatures[e.signature()]) {
      seen_signatures[e.signature()] = true;
      Finding f = shrink_failure(ev, seed, options, e, tolerance);
      f.found_after_s = seconds_since(t0);
      report.findings.push_back(std::move(f));
      return &report.findings.back();
    }
    // The first seed of this signature is the shrunk one; findings are few, so a scan finds it.
    for (Finding& f : report.findings) {
      if (f.evaluation.signature() != e.signature() || f.other_seeds.size() >= Finding::kMaxOtherSeeds) continue;
      f.other_seeds.push_back(seed);
      break;
    }
    return nullptr;
  }

  const Finding* on_run(std::uint64_t seed, const Evaluation& e) {
    auto& st = report.stats;
    ++st.schedules;
    st.ops += e.ops;
    st.virtual_ms += virtual_ms_of(e.result.trace);
    for (const auto& [k, v] : e.coverage.counts) st.coverage[k] += v;
    if (!e.failed()) return nullptr;
    if (tolerance != nullptr) {
      const Attribution a = tolerance->judge_seed(seed, options, e);
      st.tolerance_s = tolerance->spent_s();
      st.reference_runs = tolerance->reference_runs();
      if (a.tolerated) {
        on_known(seed, e, a);
        return nullptr;
      }
    }
    return on_new(seed, e);
  }
};

std::unique_ptr<Evaluator> campaign_evaluator(const CampaignOptions& options) {
  if (options.broker_program.empty()) return std::make_unique<Evaluator>(options.wall_timeout_ms);
  return std::make_unique<Evaluator>(options.broker_program, options.wall_timeout_ms);
}

}  // namespace

CampaignReport run_campaign(const CampaignOptions& options, const KnownDeviations& known, const Progress& progress) {
  assert(options.schedules > 0 || options.time_limit_s > 0);
  CampaignReport report;
  auto ev = campaign_evaluator(options);
  std::unique_ptr<Tolerance> tolerance;
  if (options.tolerate) {
    tolerance = std::make_unique<Tolerance>(known, options.reference.value_or(ReferencePrograms::built_in()), options.wall_timeout_ms,
                                            options.attribute);
    report.tolerance_note = tolerance->staleness();
  }
  CampaignLoop loop{options, report, *ev, tolerance.get(), Clock::now(), {}};
  for (std::uint64_t i = 0; options.schedules == 0 || i < options.schedules; ++i) {
    if (options.time_limit_s > 0 && seconds_since(loop.t0) >= options.time_limit_s) break;
    const std::uint64_t seed = options.first_seed + i * options.seed_stride;
    const Evaluation e = ev->evaluate_seed(seed, options.size, options.max_ops, options.conf_override);
    const Finding* fresh = loop.on_run(seed, e);
    report.stats.elapsed_s = seconds_since(loop.t0);
    if (progress) progress(report.stats, fresh);
    if (fresh && options.stop_at_first_failure) break;
  }
  report.stats.elapsed_s = seconds_since(loop.t0);
  return report;
}

}  // namespace mqsim::props
