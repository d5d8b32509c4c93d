// The virtual network's faults, seen through Mosquitto: half-close, partitions longer than the
// keepalive, latency, short reads/writes and resets all behave as they would on a real network.
#include "scenario.h"

using namespace std::chrono_literals;
using namespace mqsim;
using mqsim::test::play;
using mqsim::test::seed_config;
using mqsim::test::strings;
using mqtt::PacketType;

namespace {

mqtt::Will offline() { return mqtt::Will{"status/dev", "offline", 1, false, {}}; }

Sim& with_monitor(Sim& sim) {
  auto& m = sim.client("monitor");
  m.connect();
  m.subscribe({{"status/#", 1}, {"data/#", 1}});
  return sim;
}

}  // namespace

TEST_CASE("half-close: the broker sees EOF, closes, and publishes the will") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.will = offline()});
    dev.connect();
    dev.half_close();
    sim.advance(1s);
  });
  CHECK(r.trace.saw_close_by_broker("dev"));
  CHECK(r.trace.payloads("monitor", "status/dev") == strings({"offline"}));
}

TEST_CASE("a partition longer than 1.5 x keepalive makes the broker cut the client") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.keepalive_s = 2, .will = offline()});
    dev.connect();
    sim.hold("dev");
    sim.advance(5s);
    sim.release("dev");
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("monitor", "status/dev") == strings({"offline"}));
  CHECK(r.trace.saw_close_by_broker("dev"));
}

TEST_CASE("a partition shorter than the keepalive loses nothing: held bytes flow on release") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.keepalive_s = 60, .will = offline()});
    dev.connect();
    sim.hold("dev");
    dev.publish("data/x", "1", 1);
    dev.publish("data/x", "2", 1);
    sim.advance(3s);
    sim.release("dev");
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("monitor", "data/x") == strings({"1", "2"}));
  CHECK(r.trace.payloads("monitor", "status/dev").empty());
}

TEST_CASE("latency delays delivery but keeps order") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev");
    dev.connect();
    sim.latency("dev", 700);
    for (int i = 0; i < 5; ++i) dev.publish("data/x", std::to_string(i), 1);
    sim.advance(3s);
  });
  CHECK(r.trace.payloads("monitor", "data/x") == strings({"0", "1", "2", "3", "4"}));
  const auto idx = *r.trace.client_index("monitor");
  for (const auto& e : r.trace.events()) {
    if (e.client == idx && e.packet && e.packet->type == PacketType::PUBLISH) CHECK(e.time_ms >= 700);
  }
}

TEST_CASE("short reads and writes on both sides still deliver every byte") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto r = play(seed_config(seed), [](Sim& sim) {
      with_monitor(sim);
      sim.short_io("monitor", 90);
      auto& dev = sim.client("dev");
      dev.connect();
      sim.short_io("dev", 90);
      for (int i = 0; i < 10; ++i) dev.publish("data/big", std::string(static_cast<std::size_t>(300 * i + 1), char('a' + i)), 2);
      sim.advance(2s);
    });
    const auto got = r.trace.payloads("monitor", "data/big");
    REQUIRE(got.size() == 10);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == std::string(300 * i + 1, char('a' + i)));
  }
}

TEST_CASE("a connection reset is an abnormal close: the will is published") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.will = offline()});
    dev.connect();
    dev.reset();
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("monitor", "status/dev") == strings({"offline"}));
}

// ---- A TCP connection one side has closed, as Linux has it (docs/real-daemon.md). ----

namespace {

// How the broker's side of each of the client's connections ended, in order.
std::vector<EventKind> ends(const Trace& t, std::string_view client) {
  std::vector<EventKind> out;
  const auto idx = t.client_index(client);
  for (const auto& e : t.events()) {
    if (idx && e.client == *idx && (e.kind == EventKind::PeerClosed || e.kind == EventKind::PeerReset)) out.push_back(e.kind);
  }
  return out;
}

// A client whose persistent session subscribes to its own will, and that crashes and at once
// resumes the session: Mosquitto's context__disconnect() writes the will to the socket the
// client has just closed, before closing it.
RunResult own_will_after_crash(std::uint8_t sub_qos) {
  SimConfig c = seed_config();
  c.mosquitto_conf += "queue_qos0_messages true\n";
  return play(c, [sub_qos](Sim& sim) {
    auto& dev = sim.client("dev", {.version = mqtt::Version::v311, .clean_start = false, .will = mqtt::Will{"own/will", "w", 1, false, {}}});
    dev.connect();
    dev.subscribe({{"#", sub_qos}});
    dev.connect();  // closes the old socket (a crash), then resumes the session at once
    sim.advance(500ms);
  });
}

}  // namespace

TEST_CASE("a write to a socket the client has closed succeeds: a QoS 0 will to the client's own session is lost") {
  // Linux accepts the write (the peer answers with RST only afterwards), so Mosquitto believes
  // the will was sent; the simulator used to fail that write with EPIPE and keep the message.
  const auto r = own_will_after_crash(0);
  CHECK(r.trace.payloads("dev", "own/will").empty());
}

TEST_CASE("a write to a socket the client has closed succeeds: a QoS 1 will is resent with DUP after the resumption") {
  const auto r = own_will_after_crash(1);
  std::vector<mqtt::Packet> wills;
  for (const auto& p : r.trace.received("dev", PacketType::PUBLISH)) {
    if (p.topic == "own/will") wills.push_back(p);
  }
  REQUIRE(wills.size() == 1);
  CHECK(wills[0].dup);  // it was "sent" once already, to the closed socket
}

TEST_CASE("a broker close with the client's bytes unread is a reset, not an EOF") {
  // A second CONNECT is a protocol error and the PINGREQs behind it are still unread when the
  // socket is closed: Linux then sends RST. 2.0 reads one packet at a time; 2.1 reads up to its
  // packet_buffer_size (4096 bytes by default) at once and handles the packets in it, so a single
  // PINGREQ would already be out of the kernel's buffer (a FIN on the real daemon too): the pings
  // span more than 4096 bytes, whatever the version reads.
  auto second_connect = [](bool then_ping) {
    return [then_ping](Sim& sim) {
      auto& dev = sim.client("dev", {.version = mqtt::Version::v311});
      dev.connect();
      mqtt::Packet again;
      again.type = PacketType::CONNECT;
      again.protocol_level = 4;
      again.protocol_name = "MQTT";
      again.client_id = "dev";
      mqtt::Bytes bytes = mqtt::encode(again, mqtt::Version::v311);
      mqtt::Packet ping;
      ping.type = PacketType::PINGREQ;
      const mqtt::Bytes ping_bytes = mqtt::encode(ping, mqtt::Version::v311);
      constexpr int kPingsBeyondReadBuffer = 2100;  // 4,200 bytes > 4,096
      for (int i = 0; then_ping && i < kPingsBeyondReadBuffer; ++i) bytes.insert(bytes.end(), ping_bytes.begin(), ping_bytes.end());
      dev.send_raw(bytes);
      sim.advance(1s);
    };
  };
  CHECK(ends(play(seed_config(), second_connect(true)).trace, "dev") == std::vector<EventKind>{EventKind::PeerReset});
  CHECK(ends(play(seed_config(), second_connect(false)).trace, "dev") == std::vector<EventKind>{EventKind::PeerClosed});
}
