// Persistent worker processes: see worker.h.
#include "worker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <filesystem>
#include <string_view>

#include "broker_host.h"
#include "trace/trace.h"

// Sanitizer builds (MQSIM_SANITIZE, fuzz/CMakeLists.txt): gcc says __SANITIZE_ADDRESS__, clang
// __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define MQSIM_LSAN_AT_WORKER_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MQSIM_LSAN_AT_WORKER_EXIT 1
#endif
#endif
#ifdef MQSIM_LSAN_AT_WORKER_EXIT
#include <sanitizer/lsan_interface.h>
#endif

namespace mqsim {
namespace {

constexpr std::uint8_t kReplyOk = 0;
constexpr std::uint8_t kReplyCrash = 1;
constexpr std::uint64_t kMaxMessageBytes = std::uint64_t{1} << 32;
constexpr std::size_t kReplyHeadBytes = 1 + sizeof(std::uint64_t);  // kind, then the body's size
// A worker's exit status when its leak check found leaks (LeakSanitizer's own default).
constexpr int kLeakExitStatus = 23;

const TraceWriter* g_crash_trace = nullptr;
int g_crash_fd = -1;

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// A header and a body in one system call (writev), looping over partial writes: one message,
// one wake-up of the reader.
bool write_message(int fd, const void* head, std::size_t head_size, std::string_view body) {
  iovec parts[2] = {{const_cast<void*>(head), head_size}, {const_cast<char*>(body.data()), body.size()}};
  std::size_t first = 0;
  while (first < 2) {
    const ssize_t n = ::writev(fd, parts + first, static_cast<int>(2 - first));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    auto left = static_cast<std::size_t>(n);
    while (first < 2 && left >= parts[first].iov_len) left -= parts[first++].iov_len;
    if (first < 2) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
  return true;
}

void on_fatal_signal(int sig) {
  // Async-signal-safe only: write, signal, raise. The buffer may be mid-append; the parent's
  // Trace::parse drops a torn last record.
  if (g_crash_fd >= 0) {
    const std::uint8_t kind = kReplyCrash;
    const std::uint64_t size = g_crash_trace ? g_crash_trace->bytes().size() : 0;
    write_all(g_crash_fd, &kind, 1);
    write_all(g_crash_fd, &size, sizeof size);
    if (size > 0) write_all(g_crash_fd, g_crash_trace->bytes().data(), size);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Reads exactly `size` bytes before `deadline`. Returns false on EOF, error or timeout
// (`timed_out` tells which).
bool read_exact(int fd, void* out, std::size_t size, std::chrono::steady_clock::time_point deadline, bool* timed_out) {
  char* p = static_cast<char*>(out);
  const bool forever = deadline == std::chrono::steady_clock::time_point::max();
  while (size > 0 && forever) {  // a blocking read needs no poll (the worker waiting for a job)
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  while (size > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      *timed_out = true;
      return false;
    }
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The end of a worker whose parent is done with it. Workers end with _exit (a reset broker's
// globals must not meet static destructors or atexit handlers), so LeakSanitizer's own check at
// exit never runs in them: a sanitizer build runs it here. It sees the simulator's heap and
// OpenSSL's, not the broker's (the arena).
[[noreturn]] void finish_worker() {
#ifdef MQSIM_LSAN_AT_WORKER_EXIT
  if (__lsan_do_recoverable_leak_check() != 0) _exit(kLeakExitStatus);
#endif
  _exit(0);
}

[[noreturn]] void child_loop(const Worker::Handler& handler, int in_fd, int out_fd) {
  install_crash_flush(out_fd);
  std::string job;
  for (;;) {
    std::uint64_t size = 0;
    bool timed_out = false;
    const auto forever = std::chrono::steady_clock::time_point::max();
    if (!read_exact(in_fd, &size, sizeof size, forever, &timed_out) || size > kMaxMessageBytes) finish_worker();
    job.resize(size);
    if (size > 0 && !read_exact(in_fd, job.data(), size, forever, &timed_out)) _exit(0);
    const std::string answer = handler(job);
    char head[kReplyHeadBytes];
    head[0] = static_cast<char>(kReplyOk);
    const std::uint64_t answer_size = answer.size();
    std::memcpy(head + 1, &answer_size, sizeof answer_size);
    if (!write_message(out_fd, head, sizeof head, answer)) _exit(0);
  }
}

}  // namespace

void set_crash_trace(const TraceWriter* trace) { g_crash_trace = trace; }

void install_crash_flush(int fd) {
  g_crash_fd = fd;
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_fatal_signal);
}

Worker::Worker(Handler handler, std::uint32_t wall_timeout_ms)
    : handler_(std::move(handler)), wall_timeout_ms_(wall_timeout_ms) {
  assert(handler_);
  assert(wall_timeout_ms_ > 0);
}

Worker::Worker(Program program, std::uint32_t wall_timeout_ms)
    : program_(std::move(program)), wall_timeout_ms_(wall_timeout_ms) {
  assert(!program_.path.empty());
  assert(wall_timeout_ms_ > 0);
}

namespace {
constexpr int kProgramJobFd = 3;
constexpr int kProgramAnswerFd = 4;
constexpr int kFirstFreeFd = 10;
}  // namespace

// In the forked child: the pipes become fds 3 and 4, every other inherited descriptor is closed
// (another worker's pipe held open here would hide that worker's end of file), then exec.
void Worker::exec_program(int in_fd, int out_fd) const {
  const int in_high = fcntl(in_fd, F_DUPFD, kFirstFreeFd);
  const int out_high = fcntl(out_fd, F_DUPFD, kFirstFreeFd);
  if (in_high < 0 || out_high < 0 || dup2(in_high, kProgramJobFd) < 0 || dup2(out_high, kProgramAnswerFd) < 0) _exit(127);
  for (int fd = kProgramAnswerFd + 1; fd < 1024; ++fd) ::close(fd);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program_.path.c_str()));
  for (const auto& a : program_.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(const_cast<char*>(kWorkerFlag));
  argv.push_back(nullptr);
  execv(program_.path.c_str(), argv.data());
  std::fprintf(stderr, "mqsim: cannot run worker program %s: %s\n", program_.path.c_str(), std::strerror(errno));
  _exit(127);
}

void serve_worker(const Worker::Handler& handler) {
  // The pipes must be what the parent set up: a person running the flag by hand gets told.
  if (fcntl(kProgramJobFd, F_GETFD) < 0 || fcntl(kProgramAnswerFd, F_GETFD) < 0) {
    std::fprintf(stderr, "%s is for mqsim's own use: this program then serves jobs on fds 3 and 4\n", kWorkerFlag);
    _exit(2);
  }
  BrokerHost::prepare_process();
  child_loop(handler, kProgramJobFd, kProgramAnswerFd);
}

Worker::~Worker() { stop(); }

namespace {
// A worker that died could not tidy up after itself.
void remove_sandbox_of(pid_t pid) {
  std::error_code ec;
  std::filesystem::remove_all(BrokerHost::sandbox_dir_for(pid), ec);
}
}  // namespace

bool Worker::start() {
  // Before fork: OpenSSL initialised and the broker's pristine globals snapshotted once here,
  // not in every child (a worker program does it itself, in serve_worker).
  if (program_.path.empty()) BrokerHost::prepare_process();
  int down[2], up[2];
  if (pipe(down) != 0) return false;
  if (pipe(up) != 0) {
    ::close(down[0]);
    ::close(down[1]);
    return false;
  }
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the process that owns this worker
    ::close(down[1]);
    ::close(up[0]);
    if (!program_.path.empty()) exec_program(down[0], up[1]);
    child_loop(handler_, down[0], up[1]);
  }
  ::close(down[0]);
  ::close(up[1]);
  pid_ = pid;
  to_child_ = down[1];
  from_child_ = up[0];
  return true;
}

void Worker::stop() {
  if (pid_ < 0) return;
  ::close(to_child_);  // the child's read fails and it exits
  ::close(from_child_);
  int status = 0;
#ifdef MQSIM_LSAN_AT_WORKER_EXIT
  // Give the leak check at the worker's exit time to run (bounded: a wedged worker is killed).
  constexpr int kLeakCheckWaitMs = 10'000;
  pid_t gone = 0;
  for (int waited_ms = 0; waited_ms < kLeakCheckWaitMs && (gone = waitpid(pid_, &status, WNOHANG)) == 0; waited_ms += 5) usleep(5'000);
  if (gone == pid_ && WIFEXITED(status) && WEXITSTATUS(status) == kLeakExitStatus) {
    std::fprintf(stderr, "mqsim: worker %d: LeakSanitizer found leaks at its exit (report above)\n", static_cast<int>(pid_));
  }
  if (gone != pid_) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
  }
#else
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
#endif
  remove_sandbox_of(pid_);
  pid_ = to_child_ = from_child_ = -1;
}

WorkerReply Worker::collect_death(std::string partial, bool timed_out) {
  if (timed_out) {
    // SIGABRT first: the child's handler flushes the trace so far, so a hang is reported with
    // what led to it. SIGKILL after a grace period in case the handler cannot run.
    kill(pid_, SIGABRT);
    const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    bool late = false;
    std::uint8_t kind = 0;
    std::uint64_t size = 0;
    if (read_exact(from_child_, &kind, 1, grace, &late) && read_exact(from_child_, &size, sizeof size, grace, &late) &&
        size <= kMaxMessageBytes) {
      std::string flushed(size, '\0');
      if (size == 0 || read_exact(from_child_, flushed.data(), size, grace, &late)) partial = std::move(flushed);
    }
    kill(pid_, SIGKILL);
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
  remove_sandbox_of(pid_);
  ::close(to_child_);
  ::close(from_child_);
  pid_ = to_child_ = from_child_ = -1;
  ++restarts_;
  WorkerReply r;
  r.bytes = std::move(partial);
  if (timed_out) {
    r.status = WorkerReply::Status::Hung;
    r.detail = "watchdog: no answer within " + std::to_string(wall_timeout_ms_) + " ms of wall time";
  } else if (WIFSIGNALED(status)) {
    r.status = WorkerReply::Status::Crashed;
    r.signal = WTERMSIG(status);
    r.detail = std::string("crashed: signal ") + std::to_string(r.signal) + " (" + strsignal(r.signal) + ")";
  } else {
    r.status = WorkerReply::Status::Failed;
    r.detail = "worker exited with status " + std::to_string(WEXITSTATUS(status)) + " during a job";
  }
  return r;
}

WorkerReply Worker::call(std::string_view job) {
  if (pid_ < 0 && !start()) return {WorkerReply::Status::Failed, 0, {}, std::string("fork: ") + std::strerror(errno)};
  const std::uint64_t size = job.size();
  static const bool sigpipe_ignored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;  // a dead worker must not kill the parent
  assert(sigpipe_ignored);
  (void)sigpipe_ignored;
  if (!write_message(to_child_, &size, sizeof size, job)) return collect_death({}, false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wall_timeout_ms_);
  bool timed_out = false;
  char head[kReplyHeadBytes];
  if (!read_exact(from_child_, head, sizeof head, deadline, &timed_out)) return collect_death({}, timed_out);
  const auto kind = static_cast<std::uint8_t>(head[0]);
  std::uint64_t answer_size = 0;
  std::memcpy(&answer_size, head + 1, sizeof answer_size);
  if (answer_size > kMaxMessageBytes) return collect_death({}, timed_out);
  std::string answer(answer_size, '\0');
  if (answer_size > 0 && !read_exact(from_child_, answer.data(), answer_size, deadline, &timed_out)) {
    return collect_death({}, timed_out);
  }
  if (kind == kReplyCrash) return collect_death(std::move(answer), false);
  return {WorkerReply::Status::Ok, 0, std::move(answer), "ok"};
}

}  // namespace mqsim
