// A property-check campaign: generate schedules from consecutive seeds, run each in a persistent
// worker against Mosquitto, judge each trace with the reference model, shrink what fails, and
// keep counts of what the runs reached. `mqsim check`, the PR-budget ctest and the planted-bug
// matrix all drive this one loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/checker.h"
#include "props/known_deviations.h"
#include "props/tolerance.h"
#include "sim/runner.h"
#include "schedule/schedule.h"

namespace mqsim::props {

struct CampaignOptions {
  std::uint64_t first_seed = 1;
  std::uint64_t schedules = 200;          // how many seeds (0 = until time_limit_s)
  double time_limit_s = 0;                // 0 = no limit
  int size = 100;                         // rapidcheck size: ops scale with it
  std::uint32_t max_ops = 100;
  std::uint32_t max_shrink_runs = 3000;   // evaluations spent shrinking one failure
  std::uint32_t wall_timeout_ms = 20'000; // watchdog per run
  std::optional<std::string> conf_override;  // run every schedule with this mosquitto.conf
  bool stop_at_first_failure = false;
  std::uint64_t seed_stride = 1;          // seeds first_seed, first_seed+stride... (sharding)
  // The broker under test: "" = the one linked into this process; else a program (mqsim-fixed)
  // run as a worker (`mqsim check --broker fixed`).
  std::string broker_program;
  // Tolerance: a failing run passing on the fixed broker is known (tolerance.h). Off: every
  // failure is new (`mqsim check --broker fixed`, which must pass with no tolerance at all).
  bool tolerate = true;
  bool attribute = true;                  // name the cause of tolerated runs by ablation
  std::optional<ReferencePrograms> reference;  // default: ReferencePrograms::built_in()
};

// What one run of one schedule showed.
struct Evaluation {
  RunResult result;
  std::optional<model::Violation> violation;
  model::Coverage coverage;
  std::string failure_kind;               // "" ok; else "violation", "crashed", "hung", "runner-error"
  std::uint32_t ops = 0;                  // steps of the schedule that ran
  std::string mosquitto_conf;             // the configuration it ran with
  std::string signature() const;          // what must stay the same while shrinking
  bool failed() const { return !failure_kind.empty(); }
};

struct Finding {
  std::uint64_t seed = 0;
  Schedule original;
  Schedule shrunk;
  Evaluation evaluation;                  // of the shrunk schedule
  std::uint32_t shrink_runs = 0;
  double found_after_s = 0;               // campaign time when first seen
  std::optional<std::string> known_deviation;  // the cause(s) ablation named ("a+b", "unattributed"), when tolerated
  std::string attribution;                // how they were named, for people
  // Later seeds of the campaign that failed with the same signature (not shrunk; at most
  // kMaxOtherSeeds): one statement can hide several causes, and triage reads each of them.
  std::vector<std::uint64_t> other_seeds;
  static constexpr std::size_t kMaxOtherSeeds = 50;
  std::string headline() const;           // one line: statement/outcome + seed + shrunk length
};

struct CampaignStats {
  std::uint64_t schedules = 0;
  std::uint64_t ops = 0;
  std::uint64_t virtual_ms = 0;
  std::uint64_t failures = 0;             // new (unlisted) failures
  std::uint64_t known = 0;                // failing runs the fixed broker passes (tolerated)
  std::map<std::string, std::uint64_t> known_by_cause;  // tolerated runs per attributed cause label
  double elapsed_s = 0;
  double tolerance_s = 0;                 // wall time in reference runs (fixed broker, ablations)
  std::uint64_t reference_runs = 0;
  std::map<std::string, std::uint64_t> coverage;
};

struct CampaignReport {
  CampaignStats stats;
  std::vector<Finding> findings;          // new failures, shrunk (one per distinct signature)
  std::vector<Finding> known;             // known causes seen (first run of each cause label)
  std::string tolerance_note;             // why tolerance is weaker than it should be ("" = it is not)
};

// Runs one schedule in `worker` and judges it.
class Evaluator {
 public:
  // Runs schedules on the broker linked into this process (in a forked worker).
  explicit Evaluator(std::uint32_t wall_timeout_ms);
  // Runs them on the broker of another program (mqsim-fixed, an ablation variant) started as a
  // worker (Worker::Program; the program calls serve_campaign_worker() for kWorkerFlag).
  Evaluator(const std::string& program, std::uint32_t wall_timeout_ms);
  Evaluation evaluate(const Schedule& s);
  // The schedule of `seed`, generated in the worker (the fast path of a campaign).
  Evaluation evaluate_seed(std::uint64_t seed, int size, std::uint32_t max_ops, const std::optional<std::string>& conf_override);
  // The same, judged in the worker: only the verdict comes back (no trace, no coverage). What a
  // reference broker's re-run needs, at the least cost.
  Evaluation verdict(const Schedule& s);
  Evaluation verdict_seed(std::uint64_t seed, int size, std::uint32_t max_ops, const std::optional<std::string>& conf_override);
 private:
  Evaluation judge(WorkerReply reply);
  Evaluation judge_verdict(WorkerReply reply);
  Worker worker_;
};

// The worker side of Evaluator(program): call it when argv[1] is kWorkerFlag. Never returns.
[[noreturn]] void serve_campaign_worker();

using Progress = std::function<void(const CampaignStats&, const Finding* new_finding)>;

CampaignReport run_campaign(const CampaignOptions& options, const KnownDeviations& known, const Progress& progress = {});

// Shrinks a failing seed's schedule while the failure's signature stays the same. With
// `tolerance`, a simpler schedule the fixed broker passes does not count as the same failure: a
// new failure must not shrink into a known one (the statement alone would let it), so its shrunk
// schedule still fails with every listed fix in.
Finding shrink_failure(Evaluator& ev, std::uint64_t seed, const CampaignOptions& options, const Evaluation& first,
                       Tolerance* tolerance = nullptr);
// Last shrinking pass on a schedule value: single-op deletions, then unused clients.
void finish_shrinking(Evaluator& ev, const CampaignOptions& options, const std::string& wanted, Finding& f,
                      Tolerance* tolerance = nullptr);

}  // namespace mqsim::props
