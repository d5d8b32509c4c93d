// Hosts Mosquitto's own broker (its unmodified main() and main loop) inside the simulator.
//
// The broker's objects are built with their C library calls renamed to mqsim_* (see
// vendor/interpose.syms); broker_shim.cpp implements those names by calling into the one live
// BrokerHost. main() runs as a coroutine on its own stack: every time Mosquitto's loop calls
// epoll_wait(), control comes back to the simulator, so one step() is exactly one pass of the loop.
//
// Per run, the host puts the broker back to its pristine state: the broker's .data/.bss are
// restored from a snapshot taken before the broker ever ran, its heap (the arena) is dropped and
// its private filesystem (the sandbox: config, persistence, log files) is emptied.
//
// This file must never know MQTT: the broker speaks it, the clients speak it, the host only
// moves bytes, time and file names.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net.h"
#include "prng.h"

struct epoll_event;

namespace mqsim {

class BrokerHost {
 public:
  // Wall-clock epoch that virtual time 0 maps to (2026-01-01T00:00:00Z): broker timestamps,
  // persistence files and $SYS uptime depend only on virtual time.
  static constexpr std::int64_t kEpochS = 1767225600;
  static constexpr int kFirstVirtualFd = 1000;
  static constexpr int kOpenMax = 1024;     // what sysconf(_SC_OPEN_MAX) answers (sizes fd tables)

  using LogSink = std::function<void(std::string_view line)>;

  BrokerHost(Network& net, Prng& prng, const std::uint64_t& now_ms, LogSink log);
  ~BrokerHost();
  BrokerHost(const BrokerHost&) = delete;
  BrokerHost& operator=(const BrokerHost&) = delete;

  // Must run once in a process before any broker run (and before fork, in a parent): takes the
  // snapshot of the broker's pristine globals and initialises OpenSSL.
  static void prepare_process();
  static BrokerHost* current();
  // Benchmarks: wall time spent inside Mosquitto's loop passes, cumulated over the process.
  static void set_profiling(bool on);
  static std::uint64_t broker_ns();
  // The private directory a process's broker sees as its filesystem. A parent removes a dead
  // worker's with this.
  static std::string sandbox_dir_for(pid_t pid);

  // Resets the broker to pristine, writes `mosquitto_conf` as /mqsim/mosquitto.conf in the
  // sandbox and runs main() up to its first epoll_wait (config parsed, listeners open). Returns false
  // when the broker exited during start-up (a config it rejects): see exit_code() and the log.
  // `files` are further files the config names (password_file, acl_file...), by absolute path.
  bool start(const std::string& mosquitto_conf, const std::map<std::string, std::string>& files = {});
  // One pass of Mosquitto's main loop. Requires running().
  void step();
  // Asks the broker to shut down as SIGTERM would; the loop ends on a later step().
  void request_shutdown();
  // The broker has work to do at the current instant without time passing: unread input,
  // unaccepted connections, unseen EOF/reset, or output it could not write yet.
  bool has_pending_work() const;

  bool running() const { return started_ && !finished_; }
  bool finished() const { return finished_; }
  int exit_code() const { return exit_code_; }
  std::uint64_t passes() const { return passes_; }

  // --- called by broker_shim.cpp only (the broker's C library) ---
  std::uint64_t now_ms() const { return now_ms_; }
  Prng& prng() { return prng_; }
  int shim_socket();
  int shim_listen_bind(int fd, std::uint16_t port);
  int shim_accept(int fd, std::uint32_t* conn_out);
  long shim_read(int fd, void* buf, std::size_t size_bytes);
  long shim_send(int fd, const void* buf, std::size_t size_bytes);
  int shim_close(int fd);
  bool is_virtual_fd(int fd) const { return fd >= kFirstVirtualFd; }
  int shim_epoll_create();
  int shim_epoll_ctl(int epfd, int op, int fd, const struct epoll_event* event);
  int shim_epoll_wait(int epfd, struct epoll_event* events, int max_events);
  void shim_log(std::string_view text);
  void shim_set_signal(int signum, void (*handler)(int));
  [[noreturn]] void shim_exit(int status);
  // Maps a path the broker names to the real path in the sandbox (creating parent directories
  // for writes).
  std::string sandbox_path(const char* path, bool for_write) const;
  // The broker's fopen: its mosquitto.conf from memory, every other file in the sandbox.
  FILE* open_broker_file(const char* path, const char* mode);
  DIR* open_broker_dir(const char* path);
  Connection* conn_of_fd(int fd) { return net_.by_broker_fd(fd); }

 private:
  static void coroutine_entry();
  void resume();
  std::uint32_t ready_events(int fd, std::uint32_t wanted) const;
  void yield_from_broker();
  void reset_process_state();
  void clear_sandbox();
  void write_sandbox_file(const std::string& path, const std::string& content);

  Network& net_;
  Prng& prng_;
  const std::uint64_t& now_ms_;
  LogSink log_;

  std::jmp_buf sim_jb_;
  std::jmp_buf broker_jb_;
  void* stack_ = nullptr;
  bool started_ = false;
  bool finished_ = false;
  bool in_broker_ = false;
  int exit_code_ = 0;
  std::uint64_t passes_ = 0;

  std::map<int, std::uint16_t> listeners_;   // fd -> port (bound, listening)
  std::map<int, bool> sockets_;              // fd -> is open (listener sockets before bind)
  struct Interest {
    std::uint32_t events = 0;
    std::uint64_t data = 0;                  // epoll_data, returned as given
  };
  int epoll_fd_ = -1;
  std::map<int, Interest> interest_;         // the epoll interest list, by fd (reported in fd order)
  int next_fd_ = kFirstVirtualFd;
  void (*signal_handlers_[65])(int) = {};
  bool wants_write_ = false;                 // the last epoll_wait had EPOLLOUT interest on a writable fd
  std::string log_partial_;                  // a log line not yet ended by '\n'
  std::string sandbox_dir_;
};

}  // namespace mqsim
