// The seed document's six scenarios (tests/mosquitto.conf + paho clients + sleeps against a real
// broker), rewritten for the simulator: Mosquitto's own code, virtual time, no sleeps, no ports.
// Each test reads as the story the seed tells; expectations are on what each client received.
#include <algorithm>
#include <set>

#include "scenario.h"
#include "seed_scripts.h"

using namespace std::chrono_literals;
using namespace mqsim;
using mqsim::test::play;
using mqsim::test::seed_config;
using mqsim::test::strings;
using mqtt::PacketType;

TEST_SUITE("seed") {

TEST_CASE("seed config (persistence true) is accepted by Mosquitto's own parser") {
  auto r = play(seed_config(), [](Sim& sim) { sim.advance(1s); });
  const auto log = r.trace.log_lines();
  const std::string banner = std::string("mosquitto version ") + mqsim::test::mosquitto_version();
  CHECK(std::any_of(log.begin(), log.end(), [&](auto& l) { return l.find(banner) != std::string::npos && l.find("running") != std::string::npos; }));
}

// Step 3 of the seed, as written: clean_start=False but no Session Expiry Interval. Under MQTT v5
// the session ends when the network connection closes [MQTT-3.1.2-23 with expiry 0], so the
// QoS 1 message published meanwhile is not queued for "sub" and is never delivered.
TEST_CASE("QoS 1 redelivery as the seed wrote it: v5 without session expiry loses the message") {
  auto r = play(seed_config(), [](Sim& sim) { seed::qos1_redelivery(sim, std::nullopt); });
  CHECK(r.trace.payloads("sub", "sensors/temp").empty());
  const auto connacks = r.trace.received("sub", PacketType::CONNACK);
  REQUIRE(connacks.size() == 2);
  CHECK_FALSE(connacks[1].session_present);
}

// The same story with a Session Expiry Interval: the session (subscription and queued message)
// outlives the connection and the message arrives after reconnecting [MQTT-3.1.2-4, 4.4].
TEST_CASE("QoS 1 redelivery with session expiry: the queued message arrives on reconnect") {
  auto r = play(seed_config(), [](Sim& sim) { seed::qos1_redelivery(sim, 300); });
  CHECK(r.trace.payloads("sub", "sensors/temp") == strings({"22.5"}));
  const auto connacks = r.trace.received("sub", PacketType::CONNACK);
  REQUIRE(connacks.size() == 2);
  CHECK(connacks[1].session_present);
  const auto pubs = r.trace.received("sub", PacketType::PUBLISH);
  REQUIRE(pubs.size() == 1);
  CHECK(pubs[0].qos == 1);
}

// A v3.1.1 client with clean session 0 keeps its session until the broker's own limit.
TEST_CASE("QoS 1 redelivery for a v3.1.1 persistent session") {
  auto r = play(seed_config(), [](Sim& sim) {
    auto& sub = sim.client("sub", {.version = mqtt::Version::v311, .clean_start = false});
    sub.connect();
    sub.subscribe({{"sensors/temp", 1}});
    sub.disconnect();
    auto& pub = sim.client("pub");
    pub.connect();
    pub.publish("sensors/temp", "22.5", 1);
    sub.connect();
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("sub", "sensors/temp") == strings({"22.5"}));
}

TEST_CASE("retained message reaches a late subscriber, and an empty retained payload clears it") {
  auto r = play(seed_config(), seed::retained_late_subscriber);
  CHECK(r.trace.payloads("sub-late", "device/status") == strings({"online"}));
  const auto late_pubs = r.trace.received("sub-late", PacketType::PUBLISH);
  REQUIRE(late_pubs.size() == 1);
  CHECK(late_pubs[0].retain);  // a retained message sent because of a new subscription [MQTT-3.3.1-8]
  CHECK(r.trace.received("sub-later", PacketType::PUBLISH).empty());
}

TEST_CASE("Last Will is published when a device crashes") {
  auto r = play(seed_config(), seed::lwt_on_crash);
  CHECK(r.trace.payloads("monitor", "device/1/status") == strings({"online", "offline"}));
}

TEST_CASE("Last Will is published when keepalive expires (1.5 x keepalive of silence)") {
  auto r = play(seed_config(), seed::lwt_on_keepalive_expiry);
  const auto& ev = r.trace.events();
  const auto monitor = *r.trace.client_index("monitor");
  std::optional<std::uint64_t> will_at_ms;
  for (const auto& e : ev) {
    if (e.client == monitor && e.kind == EventKind::Recv && e.packet && e.packet->type == PacketType::PUBLISH) will_at_ms = e.time_ms;
  }
  REQUIRE(will_at_ms.has_value());
  CHECK(*will_at_ms >= 6000);   // not before 1.5 x keepalive [MQTT-3.1.2-22]
  CHECK(*will_at_ms <= 7000);   // and within the broker's one-second check after it
  CHECK(r.trace.saw_close_by_broker("device-1"));
  CHECK(r.trace.payloads("monitor", "device/1/status") == strings({"offline"}));
}

TEST_CASE("no Last Will after a normal DISCONNECT") {
  auto r = play(seed_config(), [](Sim& sim) {
    auto& monitor = sim.client("monitor");
    monitor.connect();
    monitor.subscribe({{"device/+/status", 1}});
    auto& device = sim.client("device-1", {.will = mqtt::Will{"device/1/status", "offline", 1, false, {}}});
    device.connect();
    device.disconnect(0x00);
    sim.advance(3s);
  });
  CHECK(r.trace.payloads("monitor", "device/1/status").empty());
}

TEST_CASE("$share/workers/jobs splits 10 jobs between 2 workers, none lost or duplicated") {
  auto r = play(seed_config(), seed::shared_subscription_jobs);
  const auto got_a = r.trace.payloads("sub-a", "jobs");
  const auto got_b = r.trace.payloads("sub-b", "jobs");
  CHECK(got_a.size() > 0);
  CHECK(got_a.size() < 10);
  CHECK(got_b.size() > 0);
  CHECK(got_b.size() < 10);
  std::multiset<std::string> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  std::multiset<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.insert("job-" + std::to_string(i));
  CHECK(all == expected);
}

TEST_CASE("$SYS/broker/clients/connected reports the connected clients after sys_interval") {
  auto r = play(seed_config(), seed::sys_clients_connected);
  const auto values = r.trace.payloads("monitor", "$SYS/broker/clients/connected");
  REQUIRE_FALSE(values.empty());
  CHECK(values.back() == "2");
}

}  // TEST_SUITE("seed")
