// The TCP target's pieces: the config rewrite that keeps a daemon on loopback and inside its
// temporary directory, start-up failures reported like the simulator's, a broker someone else
// started (tcp://127.0.0.1:PORT), and the comparison's allowances on hand-made traces.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "daemon_support.h"
#include "sim/tcp_daemon.h"

using namespace std::chrono_literals;
using namespace mqsim;

namespace {

// Builds a one-client trace from packets, for the comparison's tests.
struct Builder {
  TraceWriter w;
  Builder() { w.add(0, 1, 0, EventKind::Client, "a"); }
  void add(EventKind kind, const mqtt::Packet& p) {
    const auto b = mqtt::encode(p, mqtt::Version::v5);
    w.add(0, 1, 1, kind, {reinterpret_cast<const char*>(b.data()), b.size()});
  }
  Builder& recv(const mqtt::Packet& p) { return add(EventKind::Recv, p), *this; }
  Builder& send(const mqtt::Packet& p) { return add(EventKind::Send, p), *this; }
  Trace trace() const { return Trace::parse(w.bytes()); }
};

mqtt::Packet publish(const std::string& payload, std::uint16_t id) {
  return {.type = mqtt::PacketType::PUBLISH, .topic = "t", .payload = payload, .qos = 2, .packet_id = id};
}
mqtt::Packet ack(mqtt::PacketType type, std::uint16_t id) { return {.type = type, .packet_id = id}; }

// The broker delivers two QoS 2 messages; `interleaved`: the second before the first's PUBREL.
Trace two_qos2(bool interleaved, bool swapped_deliveries = false) {
  using T = mqtt::PacketType;
  Builder b;
  b.send({.type = T::SUBSCRIBE, .packet_id = 1});
  const std::string first = swapped_deliveries ? "p22" : "p19", second = swapped_deliveries ? "p19" : "p22";
  b.recv(publish(first, 8)).send(ack(T::PUBREC, 8));
  if (interleaved) b.recv(publish(second, 9)).send(ack(T::PUBREC, 9));
  b.recv(ack(T::PUBREL, 8)).send(ack(T::PUBCOMP, 8));
  if (!interleaved) b.recv(publish(second, 9)).send(ack(T::PUBREC, 9));
  b.recv(ack(T::PUBREL, 9)).send(ack(T::PUBCOMP, 9));
  return b.trace();
}

RewrittenConf rewrite(const std::string& conf, const std::map<std::string, std::string>& files = {}, bool as_root = false) {
  std::uint16_t next = 40000;
  return rewrite_conf(conf, "/tmp/d", files, [&] { return next++; }, as_root);
}

}  // namespace

TEST_SUITE("daemon: pieces") {

TEST_CASE("rewrite: listeners move to free loopback ports, the mapping is kept") {
  const auto r = rewrite("listener 1883\nallow_anonymous true\nlistener 8883 0.0.0.0\n");
  CHECK(r.ports == std::map<std::uint16_t, std::uint16_t>{{1883, 40000}, {8883, 40001}});
  CHECK(r.text.find("listener 40000 127.0.0.1\n") != std::string::npos);
  CHECK(r.text.find("listener 40001 127.0.0.1\n") != std::string::npos);
  CHECK(r.text.find("0.0.0.0") == std::string::npos);
  CHECK(r.text.find("allow_anonymous true") != std::string::npos);
}

TEST_CASE("rewrite: persistence, pid and log files go to the temporary directory") {
  const auto r = rewrite("listener 1883\npersistence true\npersistence_location /mosquitto/data/\npid_file /run/m.pid\nlog_dest file /var/log/m.log\n");
  CHECK(r.text.find("/mosquitto/data") == std::string::npos);
  CHECK(r.text.find("persistence_location /tmp/d/persistence/\n") != std::string::npos);
  CHECK(r.text.find("pid_file /tmp/d/mosquitto.pid\n") != std::string::npos);
  CHECK(r.text.find("log_dest file /tmp/d/log/m.log\n") != std::string::npos);
}

TEST_CASE("rewrite: files the config names are copied in and the paths follow") {
  const auto r = rewrite("listener 1883\npassword_file /etc/mosquitto/passwd\n", {{"/etc/mosquitto/passwd", "u:x\n"}});
  CHECK(r.text.find("password_file /tmp/d/files/etc/mosquitto/passwd\n") != std::string::npos);
  CHECK(r.files == std::map<std::string, std::string>{{"/tmp/d/files/etc/mosquitto/passwd", "u:x\n"}});
}

TEST_CASE("rewrite: no listener is Mosquitto's local-only mode on 1883, moved; root stays root") {
  const auto r = rewrite("# nothing\nuser mosquitto\n", {}, true);
  CHECK(r.ports == std::map<std::uint16_t, std::uint16_t>{{1883, 40000}});
  CHECK(r.text.find("listener 40000 127.0.0.1\nallow_anonymous true\n") != std::string::npos);
  CHECK(r.text.find("\nuser mosquitto") == std::string::npos);
  CHECK(r.text.find("\nuser root\n") != std::string::npos);
  CHECK(r.text.find("# nothing\n") == 0);
}

TEST_CASE("a config the daemon rejects is a start failure with its log, as in the simulator") {
  SimConfig c;
  c.mosquitto_conf = "listener 1883\nno_such_option 1\n";
  const RunResult sim = run(c, [](Sim&) {});
  const RunResult daemon = run_on_tcp(c, [](Sim&) {}, test::daemon_target());
  CHECK(sim.outcome == Outcome::StartFailed);
  CHECK(daemon.outcome == Outcome::StartFailed);
  const auto log = daemon.trace.log_lines();
  CHECK(std::any_of(log.begin(), log.end(), [](const std::string& l) { return l.find("no_such_option") != std::string::npos; }));
}

TEST_CASE("tcp://127.0.0.1:PORT: a broker someone else started; the daemon is stopped by PID after") {
  Daemon d;
  std::string error;
  DaemonConfig dc;
  dc.binary = MQSIM_DAEMON_BINARY;
  dc.mosquitto_conf = "listener 1883\nallow_anonymous true\n";
  REQUIRE_MESSAGE(d.start(dc, &error), error);
  const std::uint16_t port = d.ports().at(1883);
  CHECK(port_listening(port));
  TcpTargetConfig t;
  t.port = port;
  t.align_to_second = false;
  const RunResult r = run_on_tcp(SimConfig{}, [](Sim& sim) {
    auto& a = sim.client("a", {.port = 9999});  // any port a script names goes to the target's
    a.connect();
    a.subscribe({{"x", 1}});
    a.publish("x", "hello", 1);
    sim.shutdown_broker();  // not ours: a note, the broker keeps running
    a.disconnect();
  }, t);
  REQUIRE(r.ok());
  CHECK(r.trace.payloads("a", "x") == test::strings({"hello"}));
  CHECK(r.trace.text(false).find("is not ours to stop") != std::string::npos);
  CHECK(d.running());
  const pid_t pid = d.pid();
  CHECK(d.stop() == 0);  // SIGTERM: Mosquitto's own clean exit
  CHECK(kill(pid, 0) != 0);
  CHECK_FALSE(port_listening(port));
  const std::string dir = d.dir();
  CHECK(std::filesystem::exists(dir + "/mosquitto.conf"));
}

TEST_CASE("nothing listening at the target is a start failure, not a hang") {
  std::set<std::uint16_t> taken;
  TcpTargetConfig t;
  t.port = pick_free_loopback_port(taken);
  const RunResult r = run_on_tcp(SimConfig{}, [](Sim& sim) { sim.client("a").connect(); }, t);
  CHECK(r.outcome == Outcome::StartFailed);
}

TEST_CASE("compare: pings, $SYS traffic, broker packet ids and assigned ids are allowed to differ") {
  const auto trace = [](std::uint16_t sys_id, std::uint16_t user_id, const std::string& assigned, int pings, const std::string& payload = "m") {
    TraceWriter w;
    w.add(0, 1, 0, EventKind::Client, "a");
    auto send = [&](const mqtt::Packet& p) { const auto b = mqtt::encode(p, mqtt::Version::v5); w.add(0, 1, 1, EventKind::Send, {reinterpret_cast<const char*>(b.data()), b.size()}); };
    auto recv = [&](const mqtt::Packet& p) { const auto b = mqtt::encode(p, mqtt::Version::v5); w.add(0, 1, 1, EventKind::Recv, {reinterpret_cast<const char*>(b.data()), b.size()}); };
    mqtt::Packet connack{.type = mqtt::PacketType::CONNACK};
    connack.properties.push_back({mqtt::prop::AssignedClientIdentifier, 0, assigned, ""});
    recv(connack);
    for (int i = 0; i < pings; ++i) send({.type = mqtt::PacketType::PINGREQ}), recv({.type = mqtt::PacketType::PINGRESP});
    if (sys_id) {
      recv({.type = mqtt::PacketType::PUBLISH, .topic = "$SYS/broker/uptime", .payload = "7 seconds", .qos = 1, .packet_id = sys_id});
      send({.type = mqtt::PacketType::PUBACK, .packet_id = sys_id});
    }
    recv({.type = mqtt::PacketType::PUBLISH, .topic = "t", .payload = payload, .qos = 1, .packet_id = user_id});
    send({.type = mqtt::PacketType::PUBACK, .packet_id = user_id});
    return Trace::parse(w.bytes());
  };
  const DiffReport same = compare_traces(trace(0, 1, "auto-1", 1), trace(1, 2, "auto-2", 3));
  INFO(same.summary());
  CHECK(same.ok());
  CHECK(same.compared == 3);
  // Anything else is a divergence, reported with both events.
  const DiffReport other = compare_traces(trace(0, 1, "auto-1", 0), trace(0, 1, "auto-1", 0, "n"));
  REQUIRE_FALSE(other.ok());
  CHECK(other.divergence->client == "a");
  CHECK(other.divergence->position == 1);
  CHECK(other.divergence->sim_line.find("payload=\"m\"") != std::string::npos);
  CHECK(other.divergence->daemon_line.find("payload=\"n\"") != std::string::npos);
}

TEST_CASE("compare: independent flows may interleave differently, deliveries and each flow may not") {
  const DiffReport same = compare_traces(two_qos2(false), two_qos2(true));
  INFO(same.summary());
  CHECK(same.ok());
  CHECK(same.allowed.count("independent flows interleaved differently (segments)") == 1);
  const DiffReport swapped = compare_traces(two_qos2(false), two_qos2(true, true));
  INFO(swapped.summary());
  CHECK_FALSE(swapped.ok());
}

TEST_CASE("compare: a FIN or an RST at the end may differ only right after the client's own answer") {
  const auto trace = [](bool answered, EventKind end) {
    TraceWriter w;
    w.add(0, 1, 0, EventKind::Client, "a");
    auto add = [&](EventKind kind, const mqtt::Packet& p) { const auto b = mqtt::encode(p, mqtt::Version::v5); w.add(0, 1, 1, kind, {reinterpret_cast<const char*>(b.data()), b.size()}); };
    add(EventKind::Recv, {.type = mqtt::PacketType::DISCONNECT, .reason_code = 0x82});
    add(EventKind::Recv, {.type = mqtt::PacketType::PUBLISH, .topic = "w", .payload = "will", .qos = 1, .packet_id = 3});
    if (answered) add(EventKind::Send, {.type = mqtt::PacketType::PUBACK, .packet_id = 3});
    w.add(0, 1, 1, end, "");
    return Trace::parse(w.bytes());
  };
  const DiffReport raced = compare_traces(trace(true, EventKind::PeerClosed), trace(true, EventKind::PeerReset));
  INFO(raced.summary());
  CHECK(raced.ok());
  CHECK(raced.allowed.size() == 2);  // the race, and the broker's packet id renumbered
  // Without an answer of the client's in flight there is nothing to race: a real difference.
  CHECK_FALSE(compare_traces(trace(false, EventKind::PeerClosed), trace(false, EventKind::PeerReset)).ok());
}

}  // TEST_SUITE("daemon: pieces")
