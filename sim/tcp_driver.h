// The TCP target of a Sim (SimConfig::tcp): a real Mosquitto daemon (started here, or one
// someone else runs) over loopback TCP, in real time. TcpTarget holds what the simulator target
// does not have: the real clock, the daemon, the real transport. Sim's tcp_* members
// (tcp_driver.cpp) drive it with the same script-facing API as the simulator:
//   settle()   pumps the clients until no byte arrived for quiet_ms (bounded by settle_bound_ms);
//   advance(d) pumps for at least d of real time (client pings and acks go on), then settles;
//   trace times are milliseconds since the run started, the start aligned to a whole second.
//
// Nothing here is deterministic, and nothing here may pretend to be: a TCP trace is judged by
// the model and compared with the simulator's (tcp_diff.h), never replayed by hash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim.h"
#include "tcp_daemon.h"
#include "tcp_transport.h"

namespace mqsim {

class TcpTarget {
 public:
  // Longest single wait inside advance(): client timers and the daemon's log are looked at
  // least this often.
  static constexpr std::uint32_t kTickMs = 50;
  // Bound on pump rounds in one settle or advance (every round waits or makes progress).
  static constexpr std::uint64_t kMaxRounds = 10'000'000;

  TcpTarget(const TcpTargetConfig& config, std::uint64_t& now_ms) : config_(config), clock_(now_ms) {}

  const TcpTargetConfig& config() const { return config_; }
  RealClock& clock() { return clock_; }
  void sync_clock() const { clock_.sync(); }

  // The daemon this run started, or null (a broker someone else runs).
  Daemon* daemon() { return daemon_.get(); }
  void set_daemon(std::unique_ptr<Daemon> d) { daemon_ = std::move(d); }
  TcpTransport* transport = nullptr;   // owned by the Sim (as its ClientTransport)
  std::string target_text;             // "tcp://127.0.0.1:PORT", for notes

  // Only a daemon we started can be seen to stop; a broker someone else runs is taken to run
  // throughout (a dial it refuses shows as a reset).
  bool running() const { return daemon_ ? daemon_->running() : true; }
  bool finished() const { return daemon_ ? daemon_->exited() : false; }
  int exit_code() const { return daemon_ ? daemon_->exit_code() : 0; }
  int log_fd() const { return daemon_ ? daemon_->log_fd() : -1; }

 private:
  TcpTargetConfig config_;
  RealClock clock_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace mqsim
