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
  std::optional<std::string> known_deviation;  // id, when this is a listed deviation
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
  std::uint64_t known = 0;                // runs that showed a listed deviation
  double elapsed_s = 0;
  std::map<std::string, std::uint64_t> coverage;
};

struct CampaignReport {
  CampaignStats stats;
  std::vector<Finding> findings;          // new failures, shrunk (one per distinct signature)
  std::vector<Finding> known;             // listed deviations seen (first occurrence each)
};

// Runs one schedule in `worker` and judges it.
class Evaluator {
 public:
  explicit Evaluator(std::uint32_t wall_timeout_ms);
  Evaluation evaluate(const Schedule& s);
  // The schedule of `seed`, generated in the worker (the fast path of a campaign).
  Evaluation evaluate_seed(std::uint64_t seed, int size, std::uint32_t max_ops, const std::optional<std::string>& conf_override);
 private:
  Evaluation judge(WorkerReply reply);
  Worker worker_;
};

using Progress = std::function<void(const CampaignStats&, const Finding* new_finding)>;

CampaignReport run_campaign(const CampaignOptions& options, const KnownDeviations& known, const Progress& progress = {});

// Shrinks a failing seed's schedule while the failure's signature stays the same. With `known`,
// a simpler schedule whose violation a listed deviation explains does not count as the same
// failure: a new failure must not shrink into a known one (the statement alone would let it),
// so its shrunk schedule still shows what no deviation file covers.
Finding shrink_failure(Evaluator& ev, std::uint64_t seed, const CampaignOptions& options, const Evaluation& first,
                       const KnownDeviations* known = nullptr);
// Last shrinking pass on a schedule value: single-op deletions, then unused clients.
void finish_shrinking(Evaluator& ev, const CampaignOptions& options, const std::string& wanted, Finding& f,
                      const KnownDeviations* known = nullptr);

}  // namespace mqsim::props
