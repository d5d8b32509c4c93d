// Run isolation: fork, pipe, watchdog, crash capture. See runner.h.
#include "runner.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

namespace mqsim {
namespace {

// Child exit codes that carry an outcome (anything else is a RunnerError).
constexpr int kExitCompleted = 0;
constexpr int kExitStartFailed = 3;
constexpr int kExitLivelock = 4;

// The child's trace buffer and pipe, for the fatal-signal handler.
const TraceWriter* g_child_trace = nullptr;
int g_child_fd = -1;

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Flushes what the run recorded so far, then dies of the same signal so the parent sees it.
// Only async-signal-safe calls: write, signal, raise.
void on_fatal_signal(int sig) {
  if (g_child_trace != nullptr && g_child_fd >= 0) {
    write_all(g_child_fd, g_child_trace->bytes().data(), g_child_trace->bytes().size());
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int execute(const SimConfig& config, const Script& script, std::string* wire_out, int fd) {
  Sim sim(config);
  g_child_trace = &sim.trace();
  g_child_fd = fd;
  int code = kExitCompleted;
  if (!sim.broker_started()) code = kExitStartFailed;
  else {
    script(sim);
    if (sim.livelocked()) code = kExitLivelock;
  }
  g_child_trace = nullptr;
  *wire_out = sim.trace().bytes();
  return code;
}

[[noreturn]] void child_main(const SimConfig& config, const Script& script, int fd) {
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_fatal_signal);
  std::string wire;
  const int code = execute(config, script, &wire, fd);
  write_all(fd, wire.data(), wire.size());
  ::close(fd);
  _exit(code);
}

RunResult from_exit_code(int code, std::string wire) {
  RunResult r;
  r.wire = std::move(wire);
  switch (code) {
    case kExitCompleted: r.outcome = Outcome::Completed; r.detail = "completed"; break;
    case kExitStartFailed: r.outcome = Outcome::StartFailed; r.detail = "the broker refused to start (see its log)"; break;
    case kExitLivelock: r.outcome = Outcome::Hung; r.detail = "livelock: the broker never went idle at one instant"; break;
    default: r.outcome = Outcome::RunnerError; r.detail = "run exited with status " + std::to_string(code); break;
  }
  return r;
}

RunResult run_forked(const SimConfig& config, const Script& script, const RunOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) return {Outcome::RunnerError, 0, std::string("pipe: ") + std::strerror(errno), {}, {}};
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {Outcome::RunnerError, 0, std::string("fork: ") + std::strerror(errno), {}, {}};
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(config, script, fds[1]);
  }
  ::close(fds[1]);
  std::string wire;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.wall_timeout_ms);
  char buf[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    wire.append(buf, static_cast<std::size_t>(n));
  }
  if (timed_out) kill(pid, SIGKILL);
  ::close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}

  RunResult r;
  if (timed_out) {
    r.outcome = Outcome::Hung;
    r.detail = "watchdog: the run took more than " + std::to_string(options.wall_timeout_ms) + " ms of wall time";
    r.wire = std::move(wire);
  } else if (WIFSIGNALED(status)) {
    r.outcome = Outcome::Crashed;
    r.signal = WTERMSIG(status);
    r.detail = std::string("crashed: signal ") + std::to_string(r.signal) + " (" + strsignal(r.signal) + ")";
    r.wire = std::move(wire);
  } else {
    r = from_exit_code(WEXITSTATUS(status), std::move(wire));
  }
  r.trace = Trace::parse(r.wire);
  return r;
}

}  // namespace

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
  if (options.fork) return run_forked(config, script, options);
  std::string wire;
  const int code = execute(config, script, &wire, -1);
  RunResult r = from_exit_code(code, std::move(wire));
  r.trace = Trace::parse(r.wire);
  return r;
}

}  // namespace mqsim
