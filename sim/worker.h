// A worker: a long-lived child process that runs jobs in-process, one after another (the broker
// is reset between runs, see broker_host.h), so a campaign pays for fork once, not per run —
// AFL's persistent mode, with process isolation kept at the worker level. If a job kills the
// worker (a broker SIGSEGV, an abort, a sanitizer report) or hangs, the parent gets the signal
// and the trace recorded up to that point, and the next job starts a fresh worker.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mqsim {

struct WorkerReply {
  enum class Status : std::uint8_t { Ok, Crashed, Hung, Failed } status = Status::Failed;
  int signal = 0;             // Crashed
  std::string bytes;          // Ok: the handler's answer; Crashed/Hung: the partial trace wire
  std::string detail;         // one line for people
};

class Worker {
 public:
  // Runs in the child for each job; returns the answer bytes.
  using Handler = std::function<std::string(std::string_view job)>;

  explicit Worker(Handler handler, std::uint32_t wall_timeout_ms = 20'000);
  // A worker that is another program: fork, then exec `program` with `args` followed by
  // kWorkerFlag. That program calls serve_worker() and speaks the same pipe protocol (jobs on
  // fd 3, answers on fd 4). Used for a second broker in one campaign (the fixed broker, an
  // ablation variant): two brokers cannot live in one process (their globals and interposed
  // libc calls have the same names).
  struct Program {
    std::string path;
    std::vector<std::string> args;
  };
  Worker(Program program, std::uint32_t wall_timeout_ms);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  WorkerReply call(std::string_view job);
  std::uint64_t restarts() const { return restarts_; }

 private:
  bool start();
  void stop();
  WorkerReply collect_death(std::string partial, bool timed_out);

  [[noreturn]] void exec_program(int in_fd, int out_fd) const;

  Handler handler_;
  Program program_;             // path empty: run handler_ in a forked child
  std::uint32_t wall_timeout_ms_;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::uint64_t restarts_ = 0;
};

// The hidden command-line flag that turns a program into a worker (Worker::Program).
inline constexpr const char* kWorkerFlag = "--mqsim-worker";
// The worker side of Worker::Program: prepares the process (BrokerHost::prepare_process), then
// answers jobs on fd 3 with `handler` until the parent closes the pipe. Never returns.
[[noreturn]] void serve_worker(const Worker::Handler& handler);

// The trace buffer a crash handler flushes (the live Sim's, registered by Sim itself).
class TraceWriter;
void set_crash_trace(const TraceWriter* trace);
// Installs handlers for fatal signals that write [crash marker][trace so far] to `fd`, then die of
// the same signal. Used by forked run children and workers.
void install_crash_flush(int fd);

}  // namespace mqsim
