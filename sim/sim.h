// The simulator: one broker (Mosquitto's own code), scripted clients, a virtual clock and a
// virtual network, all driven by one seed. Scripts call the clients and advance() time; the
// simulator runs the broker's loop pass by pass until nothing is left to do at each instant.
//
// The same Sim can instead drive a REAL Mosquitto daemon over loopback TCP in real time
// (SimConfig::tcp): the same scripts and schedules, the same trace, checked by the same model.
// Then there is no BrokerHost; settle() waits for a quiet period, advance() lets real time pass
// (see sim/tcp_driver.cpp and docs/real-daemon.md). Nothing about the simulator target changes
// when the TCP target is not asked for: same passes, same Prng draws, same trace bytes.
//
// A Sim lives inside one run (usually a forked child, see runner.h); what leaves it is the
// trace.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_host.h"
#include "client.h"
#include "net.h"
#include "prng.h"
#include "trace/trace.h"

namespace mqsim {

// A real broker over loopback TCP instead of the simulated one.
struct TcpTargetConfig {
  // Non-empty: start this mosquitto binary with SimConfig::mosquitto_conf, its listeners moved to
  // free loopback ports and its files into a temporary directory (sim/tcp_daemon.h), and stop it
  // at the end. Build it from the same tree as the simulator (vendor/daemon.cmake).
  std::string daemon_binary;
  // When daemon_binary is empty: a broker already listening on host:port; every client dials it
  // whatever port its options name. The run cannot restart or stop it.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  // settle(): done when no byte arrived for quiet_ms, or after settle_bound_ms in any case. With
  // a daemon this run started, done already after idle_quiet_ms if the daemon is idle (asleep
  // in epoll_wait, nothing queued on its sockets: Daemon::idle()).
  std::uint32_t quiet_ms = 30;
  std::uint32_t idle_quiet_ms = 3;
  std::uint32_t settle_bound_ms = 2000;
  std::uint32_t start_timeout_ms = 5000;     // until the daemon's listeners accept
  // Start the run's clock on a whole wall-clock second, as the simulator's virtual time 0 is:
  // Mosquitto's whole-second timers then tick at the same run times on both targets.
  bool align_to_second = true;
};

struct SimConfig {
  std::string mosquitto_conf = "listener 1883\nallow_anonymous true\n";
  std::map<std::string, std::string> files;   // further files the config names, by path
  std::uint64_t seed = 1;
  std::optional<TcpTargetConfig> tcp;         // set: a real broker over loopback TCP, real time
  // Caps every advance() (both targets, noted in the trace): keeps real-time runs short, and the
  // simulator given the same cap stays comparable with them.
  std::optional<std::uint64_t> max_advance_ms;
};

class TcpTarget;  // sim/tcp_driver.h

// What scripts and schedules may ask about the broker, whichever target runs it.
class BrokerStatus {
 public:
  BrokerStatus(const BrokerHost* host, const TcpTarget* tcp) : host_(host), tcp_(tcp) {}
  bool running() const;
  bool finished() const;
  int exit_code() const;

 private:
  const BrokerHost* host_;
  const TcpTarget* tcp_;
};

class Sim {
 public:
  // Loop passes allowed at one instant before the run is declared a livelock.
  static constexpr std::uint64_t kMaxPassesPerInstant = 100'000;
  static constexpr std::size_t kMaxClients = 64;

  explicit Sim(const SimConfig& config);
  ~Sim();
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  // False when the broker refused to start (bad config): the trace holds its log.
  bool broker_started() const { return broker_started_; }

  ScriptedClient& client(const std::string& name, ClientOptions options = {});
  ScriptedClient& operator[](const std::string& name);

  // Lets everything that can happen at the current instant happen (broker passes, client reads
  // and answers), without time passing. TCP: until no byte arrives for a quiet period.
  void settle();
  // Lets `duration_ms` of virtual time pass, stepping the broker at every whole second and at
  // every delivery or client timer in between. TCP: at least that much real time.
  void advance(std::uint64_t duration_ms);
  template <typename Rep, typename Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    advance(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
  }
  // With auto-settle on (the default), every client action settles before it returns. Turn it
  // off to queue several actions at one instant before the broker sees any of them (TCP: the
  // bytes still leave at once; real sockets have no "same instant").
  void set_auto_settle(bool on) { auto_settle_ = on; }
  // Marks the start of a script step in the trace (for people reading it).
  void step(const std::string& text);
  void note(const std::string& text);
  // Stops the broker as SIGTERM would and lets it finish (persistence is written, wills that are
  // due are not sent: that is Mosquitto's own shutdown). TCP: SIGTERM to the daemon we started.
  void shutdown_broker();

  // Network faults on a client's current connection. TCP: hold/release stop and resume the
  // client's own reading and writing on its socket (a one-sided partition); latency and short
  // I/O cannot be imposed on loopback and are no-ops with a trace note.
  void hold(const std::string& client);       // partition: bytes both ways wait
  void release(const std::string& client);    // heal: held bytes flow again
  void latency(const std::string& client, std::uint32_t latency_ms);
  void short_io(const std::string& client, std::uint32_t percent);

  std::uint64_t now_ms() const { return now_ms_; }
  Prng& prng() { return prng_; }
  TraceWriter& trace() { return trace_; }
  BrokerStatus broker() const { return BrokerStatus(broker_.get(), tcp_.get()); }
  // The hosted broker. Requires the simulator target (!is_tcp()).
  BrokerHost& host();
  bool is_tcp() const { return tcp_ != nullptr; }
  bool livelocked() const { return livelocked_; }

 private:
  bool pump_clients();
  std::uint64_t next_stop_ms(std::uint64_t target_ms) const;
  std::uint64_t capped(std::uint64_t duration_ms);
  Connection* conn_of(const std::string& client);
  void broker_log(std::string_view line);
  void record_broker_exit();
  void fault(const std::string& client, const Fault& fault);

  // The TCP target (sim/tcp_driver.cpp).
  void tcp_start(const SimConfig& config);
  void tcp_settle();
  void tcp_advance(std::uint64_t duration_ms);
  bool tcp_pump_until(std::uint64_t until_ms, bool stop_when_quiet);
  bool tcp_pump_once();
  void tcp_shutdown();
  void tcp_fault(const std::string& client, const Fault& fault);
  void tcp_record_exit_if_gone();

  std::uint64_t now_ms_ = 0;
  Prng prng_;
  Network net_;
  TraceWriter trace_;
  std::unique_ptr<BrokerHost> broker_;       // the simulator target
  std::unique_ptr<TcpTarget> tcp_;           // the TCP target
  std::unique_ptr<ClientTransport> transport_;
  std::optional<std::uint64_t> max_advance_ms_;
  std::vector<std::unique_ptr<ScriptedClient>> clients_;
  bool broker_started_ = false;
  bool exit_recorded_ = false;
  bool livelocked_ = false;
  bool auto_settle_ = true;
};

}  // namespace mqsim
