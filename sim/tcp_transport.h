// Real loopback TCP for the scripted clients: the ClientTransport a Sim uses when its target is a
// real Mosquitto daemon (SimConfig::tcp). Non-blocking sockets to 127.0.0.1; a reset is
// SO_LINGER {1, 0} then close (the kernel sends RST); a half-close is shutdown(SHUT_WR).
//
// A hold (the simulator's partition) can only be one-sided here: the client stops reading and
// writing its socket, its bytes wait in a user-space outbox and a FIN it sends meanwhile waits
// for the release; the broker's bytes wait in the kernel. A reset is never held (as in the
// simulator, where a reset crosses a partition).
//
// This file must never block for long (every wait is bounded by its caller's timeout), never
// raise SIGPIPE (MSG_NOSIGNAL), and never dial anything but the mapped loopback ports.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client.h"

namespace mqsim {

// Real time since the run started, written into the Sim's now_ms (the trace's timestamps).
class RealClock {
 public:
  explicit RealClock(std::uint64_t& now_ms) : now_ms_(now_ms) {}
  // Time 0 is now, or (align_to_second) the next whole wall-clock second, slept to: the
  // simulator's virtual 0 is a whole second too, and Mosquitto's timers tick on whole seconds.
  void start(bool align_to_second);
  bool started() const { return started_; }
  // Updates now_ms to the milliseconds since time 0 (0 before start()).
  void sync() const;
  std::uint64_t now_ms() const { sync(); return now_ms_; }

 private:
  std::uint64_t& now_ms_;
  std::chrono::steady_clock::time_point t0_{};
  bool started_ = false;
};

class TcpTransport final : public ClientTransport {
 public:
  static constexpr std::size_t kMaxConnections = 4096;
  static constexpr std::uint32_t kCloseFlushBoundMs = 500;

  // `ports`: a listener port as scripts name it -> the real loopback port it was moved to.
  // `any_port` non-zero: every port goes there (a broker someone else started).
  TcpTransport(std::string host, std::map<std::uint16_t, std::uint16_t> ports, std::uint16_t any_port, const RealClock& clock);
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  std::uint32_t dial(std::uint32_t client, std::uint16_t port) override;
  SendState send_state(std::uint32_t conn) const override;
  void write(std::uint32_t conn, const std::uint8_t* data, std::size_t size_bytes) override;
  std::size_t read(std::uint32_t conn, std::uint8_t* out, std::size_t max_bytes) override;
  bool peer_reset(std::uint32_t conn) const override;
  bool peer_eof(std::uint32_t conn) const override;
  void close(std::uint32_t conn, CloseHow how) override;

  // A one-sided partition of `conn` (see the file comment). Releasing sends what waited.
  void hold(std::uint32_t conn, bool on);
  // Sends queued bytes of connections that are not held. True if bytes moved.
  bool flush();
  // Blocks up to timeout_ms until a socket has something to read (or room for queued bytes),
  // or `extra_fd` (e.g. the daemon's log pipe, -1 for none) is readable.
  void wait(std::uint32_t timeout_ms, int extra_fd) const;
  // Why a dial failed, for the trace (empty when it did not).
  const std::string& dial_error(std::uint32_t conn) const;

 private:
  struct Conn {
    int fd = -1;
    bool reset = false;                      // RST seen, dial refused, or our own reset
    bool eof = false;                        // the broker's FIN read
    bool shut = false;                       // our sending side is shut (half-close or close)
    bool held = false;
    std::optional<CloseHow> deferred;        // a FIN or half-close waiting for the release
    std::vector<std::uint8_t> outbox;        // bytes the kernel has not taken yet
    std::string dial_error;
  };
  Conn& at(std::uint32_t conn);
  const Conn& at(std::uint32_t conn) const;
  bool flush_one(Conn& c);
  void finish_close(Conn& c, CloseHow how);
  void drain_input(Conn& c);
  int connect_to(std::uint16_t real_port, std::string* error) const;

  std::string host_;
  std::map<std::uint16_t, std::uint16_t> ports_;
  std::uint16_t any_port_;
  const RealClock& clock_;
  std::vector<Conn> conns_;
};

}  // namespace mqsim
