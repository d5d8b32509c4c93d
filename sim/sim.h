// The simulator: one broker (Mosquitto's own code), scripted clients, a virtual clock and a
// virtual network, all driven by one seed. Scripts call the clients and advance() time; the
// simulator runs the broker's loop pass by pass until nothing is left to do at each instant.
//
// A Sim lives inside one run (usually a forked child, see runner.h); what leaves it is the
// trace.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker_host.h"
#include "client.h"
#include "net.h"
#include "prng.h"
#include "model/trace.h"

namespace mqsim {

struct SimConfig {
  std::string mosquitto_conf = "listener 1883\nallow_anonymous true\n";
  std::map<std::string, std::string> files;   // further files the config names, by path
  std::uint64_t seed = 1;
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
  // and answers), without time passing.
  void settle();
  // Lets `duration_ms` of virtual time pass, stepping the broker at every whole second and at
  // every delivery or client timer in between.
  void advance(std::uint64_t duration_ms);
  template <typename Rep, typename Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    advance(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
  }
  // With auto-settle on (the default), every client action settles before it returns. Turn it
  // off to queue several actions at one instant before the broker sees any of them.
  void set_auto_settle(bool on) { auto_settle_ = on; }
  // Marks the start of a script step in the trace (for people reading it).
  void step(const std::string& text);
  void note(const std::string& text);
  // Stops the broker as SIGTERM would and lets it finish (persistence is written, wills that are
  // due are not sent: that is Mosquitto's own shutdown).
  void shutdown_broker();

  // Network faults on a client's current connection.
  void hold(const std::string& client);       // partition: bytes both ways wait
  void release(const std::string& client);    // heal: held bytes flow again
  void latency(const std::string& client, std::uint32_t latency_ms);
  void short_io(const std::string& client, std::uint32_t percent);

  std::uint64_t now_ms() const { return now_ms_; }
  Prng& prng() { return prng_; }
  TraceWriter& trace() { return trace_; }
  BrokerHost& broker() { return *broker_; }
  bool livelocked() const { return livelocked_; }

 private:
  bool pump_clients();
  std::uint64_t next_stop_ms(std::uint64_t target_ms) const;
  Connection* conn_of(const std::string& client);
  void broker_log(std::string_view line);
  void record_broker_exit();

  std::uint64_t now_ms_ = 0;
  Prng prng_;
  Network net_;
  TraceWriter trace_;
  std::unique_ptr<BrokerHost> broker_;
  std::vector<std::unique_ptr<ScriptedClient>> clients_;
  bool broker_started_ = false;
  bool exit_recorded_ = false;
  bool livelocked_ = false;
  bool auto_settle_ = true;
};

}  // namespace mqsim
