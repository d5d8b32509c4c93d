// Starts and stops a real Mosquitto daemon for the TCP target (SimConfig::tcp) and the
// differential check: the schedule's mosquitto.conf, rewritten so that the daemon listens only
// on free loopback ports and keeps every file it writes (persistence, pid, log files, the files
// the config names) in a temporary directory of its own.
//
// Which binary: the one built from the SAME tree as the simulator (vendor/daemon.cmake puts it
// in <build>/_daemon/src/mosquitto). Debian's /usr/sbin/mosquitto only when a caller asks for it
// by path: Debian's own test harness silently starts the installed daemon, and a comparison with
// another build of Mosquitto compares nothing.
//
// This file must never leave a daemon running (stop() by PID: SIGTERM, then SIGKILL; the daemon
// also dies with its parent), never touch a path outside its temporary directory, and never
// bind anything but 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mqsim {

struct DaemonConfig {
  std::string binary;                          // the mosquitto executable
  std::string mosquitto_conf;                  // as the schedule has it (ports, paths as written)
  std::map<std::string, std::string> files;    // further files the config names, by path
  std::uint32_t start_timeout_ms = 5000;       // until every listener accepts
  std::uint32_t stop_grace_ms = 5000;          // SIGTERM, then SIGKILL after this
};

// The config the daemon actually reads. Pure: unit-testable without a daemon.
struct RewrittenConf {
  std::string text;
  std::map<std::uint16_t, std::uint16_t> ports;          // listener port as written -> real port
  std::map<std::string, std::string> files;              // real path -> content to write
};
// `dir`: the daemon's temporary directory. `free_port` hands out unused loopback ports.
// `as_root`: Mosquitto started as root drops privileges to user "mosquitto", who cannot write
// in `dir`; "user root" keeps it where it is (our files, our process).
RewrittenConf rewrite_conf(const std::string& conf, const std::string& dir, const std::map<std::string, std::string>& files,
                           const std::function<std::uint16_t()>& free_port, bool as_root);

// An unused TCP port on 127.0.0.1 (bound then released: another process may still take it).
std::uint16_t pick_free_loopback_port(std::set<std::uint16_t>& taken);
// Whether something listens on 127.0.0.1:port (or on any address), from /proc/net/tcp: a
// readiness check that opens no connection (a probe connection would show in the daemon's log
// and $SYS counters).
bool port_listening(std::uint16_t port);

class Daemon {
 public:
  Daemon() = default;
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts it and waits until every listener accepts. False with `error` when it cannot be
  // started, exits during start-up (a config it rejects: see take_log_lines()) or is not ready
  // in time (then it is stopped).
  bool start(const DaemonConfig& config, std::string* error);
  // SIGTERM, wait up to the grace period (draining its log), then SIGKILL. Returns exit_code().
  int stop();
  // Reaps the daemon if it has exited on its own. True while it runs.
  bool poll_running();

  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && !exited_; }
  bool exited() const { return exited_; }
  // The exit status, or 128 + signal; -1 while it runs.
  int exit_code() const { return exit_code_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  const std::map<std::uint16_t, std::uint16_t>& ports() const { return ports_; }
  // The read end of its stdout+stderr (non-blocking), for poll(); -1 when there is none.
  int log_fd() const { return log_fd_; }
  // True when the daemon is asleep in epoll_wait (from /proc/PID/stat and wchan): it has nothing
  // left to do until a timer or a client wakes it. A settle() that trusts this can stop after a
  // few quiet milliseconds instead of guessing with a long quiet period.
  bool idle() const;
  // Whole log lines written since the last call (a partial last line waits for its end, unless
  // the daemon has exited).
  std::vector<std::string> take_log_lines();

 private:
  bool spawn(const std::string& conf_path, std::string* error);
  bool wait_ready(std::uint32_t timeout_ms, std::string* error);
  void reap(int status);
  void read_log();    // pipe -> log_lines_

  std::string dir_;
  std::string binary_;
  std::map<std::uint16_t, std::uint16_t> ports_;
  std::uint32_t stop_grace_ms_ = 5000;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  int log_fd_ = -1;
  std::string log_partial_;
  std::vector<std::string> log_lines_;
};

}  // namespace mqsim
