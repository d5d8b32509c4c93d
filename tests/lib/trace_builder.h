// Hand-built traces for testing the reference model: a small script of what clients send and
// receive, with times, written through TraceWriter exactly as the simulator writes them.
// Header-only; used by tests (tests/unit/test_model_*.cpp), never by the checker itself.
// It must never invent what a broker did: a test states every packet the client saw.
#pragma once

#include <cassert>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/checker.h"
#include "trace/mqtt/packet.h"
#include "trace/trace.h"

namespace mqsim::model::build {

inline mqtt::Packet connect(std::string client_id, bool clean_start = true, mqtt::Properties props = {},
                            std::uint16_t keepalive_s = 60, std::optional<mqtt::Will> will = std::nullopt,
                            mqtt::Version version = mqtt::Version::v5) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::CONNECT;
  p.protocol_level = static_cast<std::uint8_t>(version);
  p.client_id = std::move(client_id);
  p.clean_start = clean_start;
  p.keepalive_s = keepalive_s;
  p.will = std::move(will);
  if (version == mqtt::Version::v5) p.properties = std::move(props);
  return p;
}
inline mqtt::Packet connack(bool session_present = false, std::uint8_t rc = 0, mqtt::Properties props = {}) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::CONNACK;
  p.session_present = session_present;
  p.reason_code = rc;
  p.properties = std::move(props);
  return p;
}
inline mqtt::Packet publish(std::string topic, std::string payload, std::uint8_t qos = 0, std::uint16_t id = 0,
                            bool retain = false, bool dup = false, mqtt::Properties props = {}) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::PUBLISH;
  p.topic = std::move(topic);
  p.payload = std::move(payload);
  p.qos = qos;
  p.packet_id = qos > 0 ? id : 0;
  p.retain = retain;
  p.dup = dup;
  p.properties = std::move(props);
  return p;
}
inline mqtt::Packet ack(mqtt::PacketType type, std::uint16_t id, std::uint8_t rc = 0) {
  mqtt::Packet p;
  p.type = type;
  p.packet_id = id;
  p.reason_code = rc;
  return p;
}
inline mqtt::Packet puback(std::uint16_t id, std::uint8_t rc = 0) { return ack(mqtt::PacketType::PUBACK, id, rc); }
inline mqtt::Packet pubrec(std::uint16_t id, std::uint8_t rc = 0) { return ack(mqtt::PacketType::PUBREC, id, rc); }
inline mqtt::Packet pubrel(std::uint16_t id) { return ack(mqtt::PacketType::PUBREL, id); }
inline mqtt::Packet pubcomp(std::uint16_t id) { return ack(mqtt::PacketType::PUBCOMP, id); }
// One subscription of a SUBSCRIBE: filter, maximum QoS, No Local, Retain As Published, Retain Handling.
inline mqtt::Subscription sub(std::string filter, std::uint8_t qos, bool no_local = false, bool rap = false, std::uint8_t rh = 0) {
  return {std::move(filter), qos, no_local, rap, rh};
}
inline mqtt::Packet subscribe(std::uint16_t id, std::vector<mqtt::Subscription> subs, mqtt::Properties props = {}) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::SUBSCRIBE;
  p.packet_id = id;
  p.subscriptions = std::move(subs);
  p.properties = std::move(props);
  return p;
}
inline mqtt::Packet suback(std::uint16_t id, std::vector<std::uint8_t> codes) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::SUBACK;
  p.packet_id = id;
  p.reason_codes = std::move(codes);
  return p;
}
inline mqtt::Packet unsubscribe(std::uint16_t id, std::vector<std::string> filters) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::UNSUBSCRIBE;
  p.packet_id = id;
  p.filters = std::move(filters);
  return p;
}
inline mqtt::Packet unsuback(std::uint16_t id, std::vector<std::uint8_t> codes) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::UNSUBACK;
  p.packet_id = id;
  p.reason_codes = std::move(codes);
  return p;
}
inline mqtt::Packet simple(mqtt::PacketType type) {
  mqtt::Packet p;
  p.type = type;
  return p;
}
inline mqtt::Packet disconnect(std::uint8_t rc = 0, mqtt::Properties props = {}) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::DISCONNECT;
  p.reason_code = rc;
  p.properties = std::move(props);
  return p;
}
inline mqtt::Property prop(std::uint8_t id, std::uint32_t number) { return {id, number, "", ""}; }

// Writes events in order; time only moves forward.
class TraceBuilder {
 public:
  std::uint32_t client(const std::string& name) {
    names_.push_back(name);
    const auto index = static_cast<std::uint32_t>(names_.size());
    writer_.add(now_ms_, index, 0, EventKind::Client, name);
    return index;
  }
  TraceBuilder& at(std::uint64_t time_ms) {
    assert(time_ms >= now_ms_);
    now_ms_ = time_ms;
    return *this;
  }
  std::uint64_t now_ms() const { return now_ms_; }
  // Dials and sends CONNECT; returns the new connection's id.
  std::uint32_t dial_connect(std::uint32_t client, const mqtt::Packet& connect_packet) {
    const std::uint32_t conn = ++last_conn_;
    version_[conn] = connect_packet.protocol_level == 4 ? mqtt::Version::v311 : mqtt::Version::v5;
    writer_.add(now_ms_, client, conn, EventKind::Dial, "port 1883");
    send(client, conn, connect_packet);
    return conn;
  }
  // dial_connect + a successful CONNACK.
  std::uint32_t connect(std::uint32_t client, const mqtt::Packet& connect_packet, bool session_present = false) {
    const std::uint32_t conn = dial_connect(client, connect_packet);
    recv(client, conn, connack(session_present));
    return conn;
  }
  void send(std::uint32_t client, std::uint32_t conn, const mqtt::Packet& p) { packet(client, conn, EventKind::Send, p); }
  void recv(std::uint32_t client, std::uint32_t conn, const mqtt::Packet& p) { packet(client, conn, EventKind::Recv, p); }
  void event(std::uint32_t client, std::uint32_t conn, EventKind kind, const std::string& data = "") {
    writer_.add(now_ms_, client, conn, kind, data);
  }
  void close(std::uint32_t client, std::uint32_t conn, const std::string& how) { event(client, conn, EventKind::Close, how); }
  void peer_closed(std::uint32_t client, std::uint32_t conn) { event(client, conn, EventKind::PeerClosed); }
  // A fault by its text form ("hold", "latency 500ms"); anything else is a mistake in the test.
  void fault(std::uint32_t client, std::uint32_t conn, const std::string& what) {
    const std::optional<Fault> f = fault_from_text(what);
    if (!f) throw std::invalid_argument("TraceBuilder::fault: not a fault: \"" + what + "\"");
    writer_.fault(now_ms_, client, conn, *f);
  }
  Trace build() const { return Trace::parse(writer_.bytes()); }

 private:
  void packet(std::uint32_t client, std::uint32_t conn, EventKind kind, const mqtt::Packet& p) {
    const auto bytes = mqtt::encode(p, version_.count(conn) ? version_.at(conn) : mqtt::Version::v5);
    writer_.add(now_ms_, client, conn, kind, std::string(bytes.begin(), bytes.end()));
  }
  TraceWriter writer_;
  std::vector<std::string> names_;
  std::map<std::uint32_t, mqtt::Version> version_;
  std::uint64_t now_ms_ = 0;
  std::uint32_t last_conn_ = 0;
};

// Judges a built trace under `conf_text` (mosquitto.conf lines; the defaults otherwise).
inline Verdict judge(const TraceBuilder& b, const std::string& conf_text = "", bool liveness = false) {
  const auto config = parse_broker_config(conf_text);
  assert(config.has_value());
  CheckOptions options;
  options.liveness = liveness;
  return check(b.build(), *config, options);
}

// The violated statement, or "ok".
inline std::string verdict_statement(const Verdict& v) { return v.violation ? v.violation->statement : std::string("ok"); }

}  // namespace mqsim::model::build
