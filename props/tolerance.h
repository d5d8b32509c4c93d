// Tolerance and attribution of failing runs by the fixed broker.
//
// A failing run is TOLERATED iff the same schedule passes on the fixed broker (this build's
// Mosquitto with the fix of every listed cause: vendor/fixed-broker.cmake), whatever statement
// it broke and whatever the known-deviation regexes say. A run that fails on the fixed broker too
// is NEW. Which cause explains a tolerated run is found by ABLATION: the broker with every fix but
// one ("without <cause>") fails it. The regex of a face is only a hint of where to look first.
//
// The references are other programs (two brokers cannot share a process): mqsim-fixed and
// ablation/mqsim-without-<cause>, each started once as a persistent worker and fed seeds (the
// worker regenerates the schedule) or, for shrink candidates, schedules; only verdicts come back.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "props/known_deviations.h"

namespace mqsim::props {

class Evaluator;
struct Evaluation;
struct CampaignOptions;

// Where the reference brokers are.
struct ReferencePrograms {
  std::string fixed;                              // "" = no fixed broker (nothing is tolerated by it)
  std::map<std::string, std::string> without;     // cause id -> the program without that cause's fix
  std::vector<std::string> fixed_causes;          // the causes whose fixes `fixed` carries, sorted
  // The build's own (compiled in; MQSIM_FIXED_PROGRAM and MQSIM_ABLATION_DIR override).
  static ReferencePrograms built_in();
};

struct Attribution {
  bool tolerated = false;
  std::vector<std::string> causes;   // the cause(s) ablation names (empty: none single)
  std::string method;                // how the causes were named, for people
  std::string hint;                  // the face the violation's text looks like ("" = none)
  std::string label() const;         // "a+b", or "unattributed"
};

class Tolerance {
 public:
  Tolerance(const KnownDeviations& known, ReferencePrograms programs, std::uint32_t wall_timeout_ms, bool attribute = true);
  ~Tolerance();
  Tolerance(const Tolerance&) = delete;
  Tolerance& operator=(const Tolerance&) = delete;

  // Judges a failing run of `seed` (as the campaign generated it).
  Attribution judge_seed(std::uint64_t seed, const CampaignOptions& options, const Evaluation& failing);
  // Judges a failing run of schedule `s`.
  Attribution judge(const Schedule& s, const Evaluation& failing);
  // The same decision without attribution (shrinking asks this of every candidate).
  bool tolerates(const Schedule& s, const Evaluation& failing);
  // Whether `s` passes on the fixed broker (false without one).
  bool passes_on_fixed(const Schedule& s);
  // Full ablation of `s` (explain): for each fixed cause, whether `s` fails without its fix.
  std::map<std::string, bool> fails_without_each(const Schedule& s);
  Evaluation on_fixed(const Schedule& s);

  bool has_fixed() const { return !programs_.fixed.empty(); }
  const ReferencePrograms& programs() const { return programs_; }
  // Cost: wall time spent waiting for reference runs, and how many there were.
  double spent_s() const { return spent_s_; }
  std::uint64_t reference_runs() const { return reference_runs_; }
  // A line for people when the fixed broker does not carry every listed fix ("" when it does).
  std::string staleness() const { return staleness_; }

 private:
  struct Job;
  Evaluation run_on(const std::string& program, const Job& job);
  Evaluator& evaluator(const std::string& program);
  Attribution decide(const Job& job, const Evaluation& failing, bool attribute_it);
  void attribute(const Job& job, const std::string& key, Attribution& a);

  const KnownDeviations& known_;
  ReferencePrograms programs_;
  std::uint32_t wall_timeout_ms_;
  bool attribute_;
  std::map<std::string, std::unique_ptr<Evaluator>> workers_;   // program -> its worker (started on first use)
  std::vector<std::string> worker_order_;                       // least recently used first
  std::map<std::string, std::pair<std::vector<std::string>, std::string>> cache_;  // key -> causes, method
  double spent_s_ = 0;
  std::uint64_t reference_runs_ = 0;
  std::string staleness_;
};

}  // namespace mqsim::props
