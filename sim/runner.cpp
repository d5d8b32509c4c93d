// Run isolation: fork, pipe, watchdog, crash capture. See runner.h.
#include "runner.h"

#include <cassert>

namespace mqsim {
namespace {

// Exit codes of one run, carried in the first byte of the worker's answer.
constexpr std::uint8_t kCompleted = 0;
constexpr std::uint8_t kStartFailed = 3;
constexpr std::uint8_t kLivelock = 4;

}  // namespace

std::string run_answer(const SimConfig& config, const Script& script) {
  Sim sim(config);
  std::uint8_t code = kCompleted;
  if (!sim.broker_started()) code = kStartFailed;
  else {
    script(sim);
    if (sim.livelocked()) code = kLivelock;
  }
  std::string answer(1, static_cast<char>(code));
  answer += sim.trace().bytes();
  return answer;
}

namespace {

RunResult from_answer(const std::string& answer) {
  RunResult r;
  assert(!answer.empty());
  r.wire = answer.substr(1);
  switch (static_cast<std::uint8_t>(answer[0])) {
    case kCompleted: r.outcome = Outcome::Completed; r.detail = "completed"; break;
    case kStartFailed: r.outcome = Outcome::StartFailed; r.detail = "the broker refused to start (see its log)"; break;
    case kLivelock: r.outcome = Outcome::Hung; r.detail = "livelock: the broker never went idle at one instant"; break;
    default: r.outcome = Outcome::RunnerError; r.detail = "unknown run status"; break;
  }
  return r;
}

}  // namespace

RunResult from_worker_reply(WorkerReply reply) {
  RunResult r;
  switch (reply.status) {
    case WorkerReply::Status::Ok: r = from_answer(reply.bytes); break;
    case WorkerReply::Status::Crashed: r.outcome = Outcome::Crashed; break;
    case WorkerReply::Status::Hung: r.outcome = Outcome::Hung; break;
    case WorkerReply::Status::Failed: r.outcome = Outcome::RunnerError; break;
  }
  if (reply.status != WorkerReply::Status::Ok) {
    r.signal = reply.signal;
    r.detail = reply.detail;
    r.wire = std::move(reply.bytes);
  }
  r.trace = Trace::parse(r.wire);
  return r;
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Completed: return "completed";
    case Outcome::StartFailed: return "start-failed";
    case Outcome::Crashed: return "crashed";
    case Outcome::Hung: return "hung";
    case Outcome::RunnerError: return "runner-error";
  }
  return "?";
}

RunResult run(const SimConfig& config, const Script& script, const RunOptions& options) {
  if (!options.fork) {
    RunResult r = from_answer(run_answer(config, script));
    r.trace = Trace::parse(r.wire);
    return r;
  }
  // A one-job worker: the same fork, framing, watchdog and crash capture as campaigns use.
  Worker once([&](std::string_view) { return run_answer(config, script); }, options.wall_timeout_ms);
  return from_worker_reply(once.call(""));
}

}  // namespace mqsim
