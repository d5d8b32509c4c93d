// The libFuzzer entry point: coverage-guided fuzzing of Mosquitto's real broker code through the
// simulator. Each input is decoded into a Schedule (props/bytes_schedule.h), run in this process
// (no fork: a broker crash, an abort or a sanitizer report is libFuzzer's own crash report, with
// the input saved), and its trace judged by the reference model. A violation that is not a listed
// known deviation aborts, so libFuzzer saves that input too.
//
// Replay a saved input with `mqsim replay <crash-file>` (the same decoder), or re-run it here:
// `mqsim_fuzz <crash-file>`.
//
// Environment:
//   MQSIM_FUZZ_MODEL=1       (default) abort on an unlisted model violation
//   MQSIM_FUZZ_MODEL=report  print each new violation statement once and carry on
//   MQSIM_FUZZ_MODEL=0       no model: fuzz for crashes, hangs and sanitizer reports only
//   MQSIM_KNOWN_DEVIATIONS   the known-deviations directory (props/known_deviations.h)
//
// This file must never be part of mqsim_props or any other library: it defines libFuzzer's
// entry point, and the fuzzer runtime supplies main().
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <span>
#include <string>

#include "model/broker_config.h"
#include "model/checker.h"
#include "props/bytes_schedule.h"
#include "props/known_deviations.h"
#include "sim/runner.h"
#include "schedule/schedule.h"
#include "sim/schedule_exec.h"
#include "sim/sim.h"

namespace {

enum class ModelMode { Abort, Report, Off };

struct FuzzState {
  ModelMode mode = ModelMode::Abort;
  mqsim::props::KnownDeviations known;
  std::set<std::string> reported;   // statements (or deviation ids) printed once already
  std::uint64_t runs = 0;
  std::uint64_t known_runs = 0;
};

FuzzState& state() {
  static FuzzState s;
  return s;
}

ModelMode mode_from_env() {
  const char* v = std::getenv("MQSIM_FUZZ_MODEL");
  if (v == nullptr || std::strcmp(v, "1") == 0) return ModelMode::Abort;
  if (std::strcmp(v, "0") == 0) return ModelMode::Off;
  if (std::strcmp(v, "report") == 0) return ModelMode::Report;
  std::fprintf(stderr, "mqsim_fuzz: MQSIM_FUZZ_MODEL must be 1, report or 0, not '%s'\n", v);
  std::exit(2);
}

// Everything a person needs next to libFuzzer's own crash report.
[[noreturn]] void fail(const mqsim::Schedule& s, const std::string& what) {
  std::fprintf(stderr, "\n==mqsim_fuzz== %s\n==mqsim_fuzz== schedule:\n%s\n", what.c_str(), mqsim::schedule_text(s).c_str());
  std::fprintf(stderr, "==mqsim_fuzz== reproduce: mqsim replay <the crash file libFuzzer names below>\n");
  std::fflush(stderr);
  std::abort();
}

void judge(const mqsim::Schedule& s, const mqsim::RunResult& result) {
  FuzzState& st = state();
  std::string error;
  const auto config = mqsim::model::parse_broker_config(s.mosquitto_conf, &error);
  // The decoder writes only configurations the model reads: anything else is a decoder bug.
  if (!config) fail(s, "the model cannot read the decoded config: " + error);
  const auto verdict = mqsim::model::check(result.trace, *config, mqsim::model::CheckOptions{.liveness = s.liveness});
  if (verdict.ok()) return;
  const mqsim::model::Violation& v = *verdict.violation;
  // With the run's config: a deviation that shows only under some settings (when_config) is
  // listed for those settings only.
  if (const auto* kd = st.known.match(v.statement, v.text(), s.mosquitto_conf)) {
    ++st.known_runs;
    if (st.reported.insert("known " + kd->id).second) std::fprintf(stderr, "==mqsim_fuzz== known deviation seen: %s\n", kd->id.c_str());
    return;
  }
  if (st.mode == ModelMode::Abort) fail(s, "model violation: " + v.text());
  if (st.reported.insert(v.statement).second) {
    std::fprintf(stderr, "==mqsim_fuzz== new violation (report mode, run %llu): %s\n", static_cast<unsigned long long>(st.runs), v.text().c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  FuzzState& st = state();
  st.mode = mode_from_env();
  std::string error;
  const std::string dir = mqsim::props::default_known_deviations_dir();
  if (!st.known.load_dir(dir, &error)) {
    std::fprintf(stderr, "mqsim_fuzz: known deviations: %s\n", error.c_str());
    std::exit(2);
  }
  std::fprintf(stderr, "mqsim_fuzz: model %s, %zu known deviations from %s\n",
               st.mode == ModelMode::Off ? "off" : st.mode == ModelMode::Report ? "report-only" : "on",
               st.known.all().size(), dir.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const mqsim::Schedule s = mqsim::props::schedule_from_bytes(std::span<const std::uint8_t>(data, size));
  mqsim::SimConfig config;
  config.mosquitto_conf = s.mosquitto_conf;
  config.seed = s.seed;
  // In process: the broker's crash is this process's crash, which is what libFuzzer reports.
  const mqsim::RunResult result = mqsim::run(config, [&](mqsim::Sim& sim) { mqsim::execute(s, sim); }, mqsim::RunOptions{.fork = false});
  ++state().runs;
  switch (result.outcome) {
    case mqsim::Outcome::Completed: break;
    // The decoder only writes configurations Mosquitto accepts; a refusal is a finding.
    case mqsim::Outcome::StartFailed: fail(s, "the broker refused to start: " + result.detail);
    case mqsim::Outcome::Hung: fail(s, "hung: " + result.detail);
    case mqsim::Outcome::Crashed:
    case mqsim::Outcome::RunnerError: fail(s, std::string(mqsim::outcome_name(result.outcome)) + ": " + result.detail);
  }
  if (state().mode != ModelMode::Off) judge(s, result);
  return 0;
}
