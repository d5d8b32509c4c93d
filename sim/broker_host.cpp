// Hosting Mosquitto's main() as a coroutine over the virtual network: see broker_host.h.
#include "broker_host.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "arena.h"

// AddressSanitizer (gcc: __SANITIZE_ADDRESS__, clang: __has_feature) tracks one stack per thread.
#if defined(__SANITIZE_ADDRESS__)
#define MQSIM_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MQSIM_ASAN_FIBERS 1
#endif
#endif
#ifdef MQSIM_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

// Mosquitto's main(), renamed by the build (-Dmain=mqsim_mosquitto_main).
extern "C" int mqsim_mosquitto_main(int argc, char* argv[]);

// The broker objects' globals, moved into sections of their own by the build (objcopy
// --rename-section); the linker provides these bounds.
extern "C" char __start_mqsim_broker_data[], __stop_mqsim_broker_data[];
extern "C" char __start_mqsim_broker_bss[], __stop_mqsim_broker_bss[];

namespace mqsim {
namespace {

constexpr std::size_t kStackBytes = std::size_t{1} << 20;
constexpr const char* kConfPath = "/mqsim/mosquitto.conf";

BrokerHost* g_current = nullptr;
bool g_profiling = false;          // measure time spent inside Mosquitto's code (benchmarks)
std::uint64_t g_broker_ns = 0;
bool g_prepared = false;
std::vector<char> g_data_snapshot;
ucontext_t g_start_ctx;
ucontext_t g_sim_ctx;

// main()'s argv must be writable and outlive the coroutine.
char g_arg0[] = "mosquitto";
char g_arg1[] = "-c";
char g_arg2[] = "/mqsim/mosquitto.conf";
char* g_argv[] = {g_arg0, g_arg1, g_arg2, nullptr};

// Mosquitto's main() runs on a stack of its own, so every switch between the simulator's stack
// and the broker's is announced to ASan: start before leaving, finish on arrival. Without it,
// ASan judges frames on one stack by the other's bounds (false stack-buffer reports, and
// longjmp's unpoisoning refusing a "huge" stack). In other builds these are no-ops.
// The fake stacks (detect_stack_use_after_return) of the side not running are kept here; a
// broker fiber that ends (main() returned, exit()) passes none, so ASan frees its fake stack.
[[maybe_unused]] void* g_sim_fake_stack = nullptr;
[[maybe_unused]] void* g_broker_fake_stack = nullptr;
[[maybe_unused]] const void* g_sim_stack_bottom = nullptr;  // learnt on each arrival on the broker's stack
[[maybe_unused]] std::size_t g_sim_stack_bytes = 0;

void fiber_leave_sim([[maybe_unused]] void* broker_stack) {
#ifdef MQSIM_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&g_sim_fake_stack, broker_stack, kStackBytes);
#endif
}
void fiber_arrive_sim() {
#ifdef MQSIM_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(g_sim_fake_stack, nullptr, nullptr);
#endif
}
void fiber_leave_broker([[maybe_unused]] bool for_good) {
#ifdef MQSIM_ASAN_FIBERS
  assert(g_sim_stack_bytes > 0 && "left the broker's stack before ever arriving on it");
  __sanitizer_start_switch_fiber(for_good ? nullptr : &g_broker_fake_stack, g_sim_stack_bottom, g_sim_stack_bytes);
#endif
}
void fiber_arrive_broker([[maybe_unused]] bool fresh) {
#ifdef MQSIM_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fresh ? nullptr : g_broker_fake_stack, &g_sim_stack_bottom, &g_sim_stack_bytes);
#endif
}

std::size_t data_bytes() { return static_cast<std::size_t>(__stop_mqsim_broker_data - __start_mqsim_broker_data); }
std::size_t bss_bytes() { return static_cast<std::size_t>(__stop_mqsim_broker_bss - __start_mqsim_broker_bss); }

// The sandbox of the current process, made once per process (a forked worker makes its own):
// the per-run reset only removes the files the previous run wrote, which is much cheaper than
// rebuilding the directory every run.
pid_t g_sandbox_pid = -1;
std::vector<std::string> g_sandbox_written;  // files the broker wrote since the last reset

void remove_own_sandbox() {
  std::error_code ec;
  std::filesystem::remove_all(BrokerHost::sandbox_dir_for(getpid()), ec);
}

// This process's id without a system call per run (three a run otherwise): fork clears it in
// the child, which then asks once.
pid_t g_pid = 0;

pid_t own_pid() {
  if (g_pid == 0) {
    static const bool registered = pthread_atfork(nullptr, nullptr, [] { g_pid = 0; }) == 0;
    assert(registered && "pthread_atfork");
    (void)registered;
    g_pid = getpid();
  }
  return g_pid;
}

// The run's mosquitto.conf lives in a memfd of this process, not in the sandbox: a regular file
// to Mosquitto's fopen + fstat checks, but no path lookups, no chmod, and rewritten only when
// the config changes. Writing it as a file and reading it back cost two opens and a chmod per
// run, ~4% of a campaign's CPU time.
struct ConfFile {
  pid_t pid = -1;
  int fd = -1;
  std::string text;  // what the memfd holds now
} g_conf;

void write_conf(const std::string& text) {
  if (g_conf.pid != own_pid()) {  // first run in this process (a forked worker makes its own)
    g_conf.pid = own_pid();
    g_conf.fd = memfd_create("mqsim-mosquitto.conf", MFD_CLOEXEC);
    g_conf.text.clear();
    assert(g_conf.fd >= 0 && "memfd_create");
  }
  if (g_conf.text == text) return;
  const bool written = ftruncate(g_conf.fd, 0) == 0 &&
                       pwrite(g_conf.fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
  assert(written && "config memfd write");
  (void)written;
  g_conf.text = text;
}

void ensure_sandbox(const std::string& dir) {
  if (g_sandbox_pid == own_pid()) return;
  const bool first_in_any_process = g_sandbox_pid == -1;
  g_sandbox_pid = own_pid();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a stale one from a process that had this pid
  std::filesystem::create_directories(dir + "/mqsim", ec);
  // Forked children inherit the handler; it removes whichever process's own sandbox exits.
  if (first_in_any_process) std::atexit(remove_own_sandbox);
}

}  // namespace

void BrokerHost::prepare_process() {
  if (g_prepared) return;
  // OpenSSL reads openssl.cnf on first use; doing it once here (before any fork) saves that
  // cost in every run and keeps it out of the broker's snapshot.
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  g_data_snapshot.assign(__start_mqsim_broker_data, __stop_mqsim_broker_data);
  assert(g_data_snapshot.size() == data_bytes());
  arena::init();
  g_prepared = true;
}

BrokerHost* BrokerHost::current() { return g_current; }

BrokerHost::BrokerHost(Network& net, Prng& prng, const std::uint64_t& now_ms, LogSink log)
    : net_(net), prng_(prng), now_ms_(now_ms), log_(std::move(log)) {
  assert(g_prepared && "BrokerHost::prepare_process() must run first");
  assert(g_current == nullptr && "one broker per process at a time");
  g_current = this;
  // One coroutine stack per process, kept from one broker to the next (one at a time): mapping
  // and unmapping it every run cost a tenth of a short run (page faults, munmap). Like the
  // arena's heap, it is not cleared: Mosquitto reads no stack it has not written.
  static void* process_stack = nullptr;
  if (process_stack == nullptr) {
    process_stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    assert(process_stack != MAP_FAILED);
  }
  stack_ = process_stack;
  sandbox_dir_ = sandbox_dir_for(own_pid());
  ensure_sandbox(sandbox_dir_);
}

std::string BrokerHost::sandbox_dir_for(pid_t pid) {
  // /dev/shm when present: persistence fsyncs and rewrites are memory operations there. Looked
  // up once per process: every run asks, and the access() call was a few percent of a short run.
  static const std::string base = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (tmp ? tmp : "/tmp"));
  }();
  return base + "/mqsim-sandbox-" + std::to_string(pid);
}

BrokerHost::~BrokerHost() {
  g_current = nullptr;  // the stack stays mapped for the next broker of this process
}

void BrokerHost::reset_process_state() {
  // Globals back to what static initialisation left; the heap dropped wholesale.
  std::memcpy(__start_mqsim_broker_data, g_data_snapshot.data(), data_bytes());
  std::memset(__start_mqsim_broker_bss, 0, bss_bytes());
  arena::reset();
  clear_sandbox();
  listeners_.clear();
  sockets_.clear();
  interest_.clear();
  epoll_fd_ = -1;
  next_fd_ = kFirstVirtualFd;
  std::memset(signal_handlers_, 0, sizeof signal_handlers_);
  started_ = finished_ = in_broker_ = wants_write_ = false;
  exit_code_ = 0;
  passes_ = 0;
  log_partial_.clear();
}

void BrokerHost::clear_sandbox() {
  // What the previous run wrote (persistence, logs, pid files) must not exist in this one.
  for (const auto& path : g_sandbox_written) unlink(path.c_str());
  g_sandbox_written.clear();
}

void BrokerHost::write_sandbox_file(const std::string& path, const std::string& content) {
  const std::string real = sandbox_path(path.c_str(), true);
  FILE* f = std::fopen(real.c_str(), "w");
  assert(f != nullptr && "sandbox not writable");
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
  chmod(real.c_str(), 0600);  // Mosquitto warns about world-readable password/ACL files
}

bool BrokerHost::start(const std::string& mosquitto_conf, const std::map<std::string, std::string>& files) {
  reset_process_state();
  write_conf(mosquitto_conf);
  for (const auto& [path, content] : files) {
    write_sandbox_file(path, content);
    g_sandbox_written.push_back(sandbox_path(path.c_str(), false));  // gone before the next run
  }
  getcontext(&g_start_ctx);
  g_start_ctx.uc_stack.ss_sp = stack_;
  g_start_ctx.uc_stack.ss_size = kStackBytes;
  g_start_ctx.uc_link = nullptr;
  makecontext(&g_start_ctx, &BrokerHost::coroutine_entry, 0);
  started_ = true;
  // The first switch needs a context switch onto the new stack; later ones are _longjmp only
  // (no signal-mask syscalls).
  if (_setjmp(sim_jb_) == 0) {
    in_broker_ = true;
    fiber_leave_sim(stack_);
    swapcontext(&g_sim_ctx, &g_start_ctx);
  }
  fiber_arrive_sim();
  in_broker_ = false;
  return !finished_;
}

void BrokerHost::coroutine_entry() {
  fiber_arrive_broker(true);
  BrokerHost* self = g_current;
  const int rc = mqsim_mosquitto_main(3, g_argv);
  self->finished_ = true;
  self->exit_code_ = rc;
  fiber_leave_broker(true);
  _longjmp(self->sim_jb_, 1);
}

void BrokerHost::resume() {
  assert(running());
  assert(!in_broker_);
  if (_setjmp(sim_jb_) == 0) {
    in_broker_ = true;
    fiber_leave_sim(stack_);
    _longjmp(broker_jb_, 1);
  }
  fiber_arrive_sim();
  in_broker_ = false;
}

void BrokerHost::step() {
  if (!g_profiling) return resume();
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  resume();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  g_broker_ns += static_cast<std::uint64_t>((t1.tv_sec - t0.tv_sec) * 1'000'000'000LL + (t1.tv_nsec - t0.tv_nsec));
}

void BrokerHost::set_profiling(bool on) { g_profiling = on; }
std::uint64_t BrokerHost::broker_ns() { return g_broker_ns; }

void BrokerHost::request_shutdown() {
  assert(running());
  // Mosquitto installs handle_sigint for SIGINT and SIGTERM; it only clears `run`.
  if (signal_handlers_[SIGTERM] != nullptr) signal_handlers_[SIGTERM](SIGTERM);
}

bool BrokerHost::has_pending_work() const {
  if (!running()) return false;
  if (wants_write_) return true;
  for (const auto& [fd, in] : interest_) {
    if (ready_events(fd, in.events & EPOLLIN) != 0) return true;
  }
  return false;
}

void BrokerHost::shim_exit(int status) {
  assert(in_broker_);
  finished_ = true;
  exit_code_ = status;
  fiber_leave_broker(true);
  _longjmp(sim_jb_, 1);
}

// ---- the broker's sockets ----

int BrokerHost::shim_socket() {
  const int fd = next_fd_++;
  sockets_[fd] = true;
  return fd;
}

int BrokerHost::shim_listen_bind(int fd, std::uint16_t port) {
  assert(sockets_.count(fd) == 1);
  for (const auto& [other_fd, other_port] : listeners_) {
    if (other_port == port) {
      errno = EADDRINUSE;
      return -1;
    }
  }
  listeners_[fd] = port;
  return 0;
}

int BrokerHost::shim_accept(int fd, std::uint32_t* conn_out) {
  auto it = listeners_.find(fd);
  if (it == listeners_.end()) {
    errno = EINVAL;
    return -1;
  }
  Connection* c = net_.pending_for(it->second);
  if (c == nullptr) {
    errno = EAGAIN;
    return -1;
  }
  net_.accept_as(*c, next_fd_++);
  *conn_out = c->id;
  return c->broker_fd;
}

long BrokerHost::shim_read(int fd, void* buf, std::size_t size_bytes) {
  Connection* c = net_.by_broker_fd(fd);
  if (c == nullptr) {
    errno = EBADF;
    return -1;
  }
  if (c->to_broker.reset) {
    errno = ECONNRESET;
    return -1;
  }
  const std::size_t budget = net_.io_budget(*c, size_bytes, prng_);
  const std::size_t n = c->to_broker.read(static_cast<std::uint8_t*>(buf), budget, now_ms_);
  if (n > 0) return static_cast<long>(n);
  if (c->to_broker.at_eof()) return 0;
  errno = EAGAIN;
  return -1;
}

long BrokerHost::shim_send(int fd, const void* buf, std::size_t size_bytes) {
  Connection* c = net_.by_broker_fd(fd);
  if (c == nullptr) {
    errno = EBADF;
    return -1;
  }
  if (c->to_client.reset) {
    errno = ECONNRESET;
    return -1;
  }
  // A client that closed its socket (FIN) still has its bytes accepted, as Linux does; only
  // once its RST has come back do sends fail, with EPIPE (the socket was in CLOSE_WAIT).
  if (c->rst_arrived(now_ms_)) {
    c->rst_error_taken = true;
    errno = EPIPE;
    return -1;
  }
  const std::size_t n = net_.io_budget(*c, size_bytes, prng_);
  c->to_client.write(static_cast<const std::uint8_t*>(buf), n, now_ms_ + c->faults.latency_ms);
  Network::answer_closed_client(*c, now_ms_);
  return static_cast<long>(n);
}

int BrokerHost::shim_close(int fd) {
  interest_.erase(fd);  // the kernel drops a closed fd from epoll sets
  if (fd == epoll_fd_) {
    epoll_fd_ = -1;
    return 0;
  }
  if (listeners_.erase(fd) + sockets_.erase(fd) > 0) return 0;
  Connection* c = net_.by_broker_fd(fd);
  if (c == nullptr) {
    errno = EBADF;
    return -1;
  }
  c->broker_closed = true;
  if (c->to_client.reset) return 0;
  // Linux (tcp_close()) answers a close with unread input by RST instead of FIN (RFC 1122
  // 4.2.2.13): the client reads what was sent before, then gets ECONNRESET. Bytes still in
  // flight to the broker (latency, a partition) are not unread input yet.
  if (c->to_broker.readable_bytes(now_ms_) > 0) c->to_client.reset_after_drain = true;
  else c->to_client.fin = true;
  return 0;
}

// What `fd` is ready for now, among `wanted` (EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits).
std::uint32_t BrokerHost::ready_events(int fd, std::uint32_t wanted) const {
  std::uint32_t ready = 0;
  if (auto it = listeners_.find(fd); it != listeners_.end()) {
    if ((wanted & EPOLLIN) && const_cast<Network&>(net_).pending_for(it->second) != nullptr) ready |= EPOLLIN;
    return ready;
  }
  const Connection* c = const_cast<Network&>(net_).by_broker_fd(fd);
  if (c == nullptr) return 0;
  // EOF and resets show as readable: the read that follows tells which. (The closed client's
  // RST comes after its FIN, so that case is readable as EOF already.)
  const bool rst_back = c->rst_arrived(now_ms_);
  const bool readable = c->to_broker.readable_bytes(now_ms_) > 0 || c->to_broker.at_eof() || c->to_broker.reset;
  if ((wanted & EPOLLIN) && readable) ready |= EPOLLIN;
  // A socket whose peer closed stays writable (Linux reports EPOLLOUT after a shutdown too):
  // the write is what brings the RST back.
  if ((wanted & EPOLLOUT) && !c->to_client.reset) ready |= EPOLLOUT;
  // Reported whether asked for or not, as epoll does: a reset, or the closed client's RST
  // (EPOLLERR until a send has reported the error).
  if ((wanted & EPOLLHUP) && (c->to_broker.reset || rst_back)) ready |= EPOLLHUP;
  if ((wanted & EPOLLERR) && (c->to_broker.reset || (rst_back && !c->rst_error_taken))) ready |= EPOLLERR;
  return ready;
}

void BrokerHost::yield_from_broker() {
  assert(in_broker_);
  ++passes_;
  if (_setjmp(broker_jb_) == 0) {
    fiber_leave_broker(false);
    _longjmp(sim_jb_, 1);
  }
  fiber_arrive_broker(false);
}

int BrokerHost::shim_epoll_create() {
  epoll_fd_ = next_fd_++;
  return epoll_fd_;
}

int BrokerHost::shim_epoll_ctl(int epfd, int op, int fd, const struct epoll_event* event) {
  if (epfd != epoll_fd_ || epfd < 0) {
    errno = EBADF;
    return -1;
  }
  const bool known = interest_.count(fd) == 1;
  switch (op) {
    case EPOLL_CTL_ADD:
      if (known) return errno = EEXIST, -1;
      interest_[fd] = {event->events, event->data.u64};
      return 0;
    case EPOLL_CTL_MOD:
      if (!known) return errno = ENOENT, -1;
      interest_[fd] = {event->events, event->data.u64};
      return 0;
    case EPOLL_CTL_DEL:
      if (!known) return errno = ENOENT, -1;
      interest_.erase(fd);
      return 0;
    default:
      return errno = EINVAL, -1;
  }
}

// One pass of Mosquitto's (epoll) loop ends here. Level-triggered, like Mosquitto's own use:
// every ready fd is reported, in fd order (the order connections were made), at most
// max_events of them.
int BrokerHost::shim_epoll_wait(int epfd, struct epoll_event* events, int max_events) {
  assert(epfd == epoll_fd_);
  wants_write_ = false;
  for (const auto& [fd, in] : interest_) {
    if (ready_events(fd, in.events & EPOLLOUT) != 0) wants_write_ = true;
  }
  yield_from_broker();
  int n = 0;
  for (const auto& [fd, in] : interest_) {
    if (n >= max_events) break;
    const std::uint32_t ready = ready_events(fd, in.events | EPOLLERR | EPOLLHUP);
    if (ready == 0) continue;
    events[n].events = ready;
    events[n].data.u64 = in.data;
    ++n;
  }
  return n;
}

void BrokerHost::shim_set_signal(int signum, void (*handler)(int)) {
  if (signum > 0 && signum < 65) signal_handlers_[signum] = handler;
}

// The broker's stdout/stderr/syslog: cut into lines for the trace.
void BrokerHost::shim_log(std::string_view text) {
  constexpr std::size_t kMaxLineBytes = 4096;
  log_partial_.append(text);
  std::size_t start = 0;
  for (std::size_t nl; (nl = log_partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    log_(std::string_view(log_partial_).substr(start, std::min(nl - start, kMaxLineBytes)));
  }
  log_partial_.erase(0, start);
}

FILE* BrokerHost::open_broker_file(const char* path, const char* mode) {
  assert(path != nullptr && mode != nullptr);
  const bool reading = mode[0] == 'r' && std::strchr(mode, '+') == nullptr;
  if (reading && std::strcmp(path, kConfPath) == 0) {
    // A descriptor of its own (closed with the FILE) sharing the memfd's offset: rewind it.
    const int fd = dup(g_conf.fd);
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) return nullptr;
    return fdopen(fd, "r");
  }
  return std::fopen(sandbox_path(path, !reading).c_str(), mode);
}

DIR* BrokerHost::open_broker_dir(const char* path) {
  assert(path != nullptr);
  // Mosquitto first checks that its config file is not a directory; the memfd never is.
  if (std::strcmp(path, kConfPath) == 0) {
    errno = ENOTDIR;
    return nullptr;
  }
  return opendir(sandbox_path(path, false).c_str());
}

std::string BrokerHost::sandbox_path(const char* path, bool for_write) const {
  assert(path != nullptr);
  // Every path the broker names lives in the sandbox: a run never reads a file the schedule did
  // not provide (a mosquitto.db left on this machine would otherwise change the run).
  std::string mapped = sandbox_dir_ + (path[0] == '/' ? "" : "/") + path;
  if (for_write) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(mapped).parent_path(), ec);
    if (mapped != sandbox_dir_ + kConfPath) g_sandbox_written.push_back(mapped);
  }
  return mapped;
}

}  // namespace mqsim
