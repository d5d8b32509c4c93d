// The seed document's scenarios as simulator scripts: one function per story, shared by the
// scenario tests (which assert on the traces) and the benchmark (which times them). Each reads
// as the seed's paho test did, with virtual time instead of sleeps.
#pragma once

#include <string>

#include "sim/sim.h"

namespace mqsim::seed {

using namespace std::chrono_literals;

// Step 3 of the seed: a subscriber with clean_start=false goes away, a QoS 1 message is
// published, the subscriber comes back. `session_expiry_s` empty = as the seed wrote it.
inline void qos1_redelivery(Sim& sim, std::optional<std::uint32_t> session_expiry_s) {
  auto& sub = sim.client("sub", {.clean_start = false, .session_expiry_s = session_expiry_s});
  sub.connect();
  sub.subscribe({{"sensors/temp", 1}});
  sim.advance(500ms);
  sub.disconnect();
  auto& pub = sim.client("pub");
  pub.connect();
  pub.publish("sensors/temp", "22.5", 1);
  pub.disconnect();
  sub.connect();
  sim.advance(2s);
  sub.disconnect();
}

// Step 4: a retained message reaches a subscriber that arrives 5 s later; then an empty retained
// payload clears it and a later subscriber gets nothing.
inline void retained_late_subscriber(Sim& sim) {
  auto& pub = sim.client("pub");
  pub.connect();
  pub.publish("device/status", "online", 1, true);
  pub.disconnect();
  sim.advance(5s);
  auto& late = sim.client("sub-late");
  late.connect();
  late.subscribe({{"device/status", 1}});
  sim.advance(1s);
  late.disconnect();

  sim.step("clear the retained message with an empty retained payload");
  pub.connect();
  pub.publish("device/status", "", 1, true);
  pub.disconnect();
  auto& later = sim.client("sub-later");
  later.connect();
  later.subscribe({{"device/status", 1}});
  sim.advance(1s);
  later.disconnect();
}

// Step 5: a device with a Last Will crashes (socket closed without DISCONNECT).
inline void lwt_on_crash(Sim& sim) {
  auto& monitor = sim.client("monitor");
  monitor.connect();
  monitor.subscribe({{"device/+/status", 1}});
  auto& device = sim.client("device-1", {.will = mqtt::Will{"device/1/status", "offline", 1, false, {}}});
  device.connect();
  device.publish("device/1/status", "online", 1, true);
  device.crash();
  sim.advance(3s);
  monitor.disconnect();
}

// Step 5, keepalive variant: the device stops talking but keeps its socket (hung firmware).
inline void lwt_on_keepalive_expiry(Sim& sim) {
  auto& monitor = sim.client("monitor");
  monitor.connect();
  monitor.subscribe({{"device/+/status", 1}});
  auto& device = sim.client("device-1", {.keepalive_s = 4, .will = mqtt::Will{"device/1/status", "offline", 1, false, {}}, .auto_ping = false});
  device.connect();
  sim.advance(5s);
  sim.note("5 s of silence < 1.5 x 4 s: no will yet");
  sim.advance(3s);
}

// Step 6: two workers share $share/workers/jobs; ten QoS 1 jobs are published.
inline void shared_subscription_jobs(Sim& sim) {
  auto& a = sim.client("sub-a");
  auto& b = sim.client("sub-b");
  a.connect();
  a.subscribe({{"$share/workers/jobs", 1}});
  b.connect();
  b.subscribe({{"$share/workers/jobs", 1}});
  sim.advance(500ms);
  auto& pub = sim.client("pub");
  pub.connect();
  for (int i = 0; i < 10; ++i) pub.publish("jobs", "job-" + std::to_string(i), 1);
  pub.disconnect();
  sim.advance(1s);
}

// Step 7: a monitor watches $SYS/broker/clients/connected past the default sys_interval (10 s).
inline void sys_clients_connected(Sim& sim) {
  auto& monitor = sim.client("monitor");
  monitor.connect();
  monitor.subscribe({{"$SYS/broker/clients/connected", 0}});
  sim.client("other").connect();
  sim.advance(15s);
  monitor.disconnect();
}

// Step 3's table: one publish at `pub_qos` to a subscription at `sub_qos`.
inline void qos_pair(Sim& sim, std::uint8_t sub_qos, std::uint8_t pub_qos) {
  auto& sub = sim.client("sub");
  sub.connect();
  sub.subscribe({{"m/x", sub_qos}});
  auto& pub = sim.client("pub");
  pub.connect();
  pub.publish("m/x", "v", pub_qos);
  sim.advance(1s);
}

}  // namespace mqsim::seed
