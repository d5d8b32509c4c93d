// Runs one simulation in isolation and brings back its trace and how it ended.
//
// Isolation: by default each run is a forked child of a process whose broker state is pristine
// (and the child restores the broker's globals and heap anyway, see broker_host.h). A broker that
// crashes, aborts, trips a sanitizer or hangs kills only the child: the parent reports it as an
// outcome, with the trace up to that point, and carries on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim.h"
#include "worker.h"
#include "trace/trace.h"

namespace mqsim {

enum class Outcome : std::uint8_t {
  Completed,      // the script ran to its end
  StartFailed,    // the broker refused to start (e.g. its config): see the log in the trace
  Crashed,        // the run died on a signal (SIGSEGV, SIGABRT from an assert or a sanitizer...)
  Hung,           // the watchdog stopped it (wall clock) or it livelocked (virtual instant)
  RunnerError,    // the run could not be carried out (fork/pipe failed, child exited oddly)
};
const char* outcome_name(Outcome outcome);

using Script = std::function<void(Sim&)>;

struct RunOptions {
  std::uint32_t wall_timeout_ms = 20'000;  // watchdog for one run
  bool fork = true;                        // false: run in this process (benchmarks, debugging)
};

struct RunResult {
  Outcome outcome = Outcome::RunnerError;
  int signal = 0;                          // for Crashed
  std::string detail;                      // one line: what happened
  std::string wire;                        // the raw trace buffer (TraceWriter::bytes())
  Trace trace;                             // parsed from wire
  bool ok() const { return outcome == Outcome::Completed; }
};

RunResult run(const SimConfig& config, const Script& script, const RunOptions& options = {});

// Runs `script` on a fresh Sim in this process and returns the answer a worker sends back
// ([status byte][trace wire]); campaigns call it inside their workers.
std::string run_answer(const SimConfig& config, const Script& script);

// Turns a worker's reply to a job that answered with run_answer() into a RunResult.
RunResult from_worker_reply(WorkerReply reply);

}  // namespace mqsim
