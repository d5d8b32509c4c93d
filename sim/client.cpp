// Scripted MQTT client and the virtual transport: see client.h.
#include "client.h"

#include <cassert>

namespace mqsim {

SendState VirtualTransport::send_state(std::uint32_t conn) const {
  const Connection& c = net_.at(conn);
  if (c.to_broker.reset) return SendState::Reset;
  return c.to_broker.fin ? SendState::Shut : SendState::Open;
}

void VirtualTransport::write(std::uint32_t conn, const std::uint8_t* data, std::size_t size_bytes) {
  Connection& c = net_.at(conn);
  assert(!c.to_broker.reset && !c.to_broker.fin);
  c.to_broker.write(data, size_bytes, now_ms_ + c.faults.latency_ms);
}

std::size_t VirtualTransport::read(std::uint32_t conn, std::uint8_t* out, std::size_t max_bytes) {
  Connection& c = net_.at(conn);
  // The budget draws from the run's Prng only under short-I/O faults: one draw per read call.
  const std::size_t n = c.to_client.read(out, net_.io_budget(c, max_bytes, prng_), now_ms_);
  assert(n <= max_bytes);
  return n;
}

void VirtualTransport::close(std::uint32_t conn, CloseHow how) {
  Connection& c = net_.at(conn);
  switch (how) {
    case CloseHow::Reset:
      c.to_broker.reset = true;
      c.to_client.reset = true;
      c.client_closed = true;
      break;
    case CloseHow::Fin:
      // Drained first, as TcpTransport does: a close with unread input would be an RST.
      c.to_client.drop_readable(now_ms_);
      c.client_closed = true;
      if (!c.to_broker.reset) c.to_broker.fin = true;
      Network::answer_closed_client(c, now_ms_);  // bytes still in flight to us come back as RST
      break;
    case CloseHow::HalfClose:
      if (!c.to_broker.reset) c.to_broker.fin = true;
      break;
  }
}

ScriptedClient::ScriptedClient(SimContext ctx, std::uint32_t index, std::string name, ClientOptions options)
    : ctx_(ctx), index_(index), name_(std::move(name)), options_(std::move(options)) {
  assert(index_ >= 1);
  assert(!name_.empty());
  if (options_.client_id.empty()) options_.client_id = name_;
}

void ScriptedClient::record(EventKind kind, std::string_view data) {
  ctx_.trace.add(ctx_.now_ms, index_, conn_, kind, data);
}

void ScriptedClient::open_connection() {
  if (connected()) close_socket("crash");  // a client that reconnects without closing first
  conn_ = ctx_.transport.dial(index_, options_.port);
  closed_ = false;
  connack_seen_ = false;
  ping_outstanding_ = false;
  inbox_.clear();
  record(EventKind::Dial, "port " + std::to_string(options_.port));
}

void ScriptedClient::dial() {
  open_connection();
  acted();
}

void ScriptedClient::connect() {
  open_connection();
  mqtt::Packet p;
  p.type = mqtt::PacketType::CONNECT;
  p.protocol_level = static_cast<std::uint8_t>(options_.version);
  p.protocol_name = options_.version == mqtt::Version::v311 ? "MQTT" : "MQTT";
  p.clean_start = options_.clean_start;
  p.keepalive_s = options_.keepalive_s;
  keepalive_s_ = options_.keepalive_s;
  p.client_id = options_.client_id;
  p.username = options_.username;
  p.password = options_.password;
  p.will = options_.will;
  if (options_.version == mqtt::Version::v5) {
    if (options_.session_expiry_s) p.properties.push_back({mqtt::prop::SessionExpiryInterval, *options_.session_expiry_s, "", ""});
    for (const auto& extra : options_.extra_connect_properties) p.properties.push_back(extra);
    if (p.will && options_.will_delay_s) p.will->properties.push_back({mqtt::prop::WillDelayInterval, *options_.will_delay_s, "", ""});
  }
  send_packet(p);
  acted();
}

void ScriptedClient::send_packet(const mqtt::Packet& packet) {
  write_bytes(mqtt::encode(packet, options_.version));
}

void ScriptedClient::send(const mqtt::Packet& packet) {
  send_packet(packet);
  acted();
}

void ScriptedClient::send_raw(const mqtt::Bytes& bytes) {
  write_bytes(bytes);
  acted();
}

void ScriptedClient::write_bytes(const mqtt::Bytes& bytes) {
  if (!connected()) {
    record(EventKind::Note, "send while not connected: dropped");
    return;
  }
  const SendState state = ctx_.transport.send_state(conn_);
  if (state == SendState::Reset) return;
  if (state == SendState::Shut) {
    record(EventKind::Note, "send after half-close: dropped");
    return;
  }
  record(EventKind::Send, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  ctx_.transport.write(conn_, bytes.data(), bytes.size());
  last_send_ms_ = ctx_.now_ms;
}

std::uint16_t ScriptedClient::next_packet_id() {
  last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ % 65535 + 1);
  return last_packet_id_;
}

std::uint16_t ScriptedClient::publish(const std::string& topic, const std::string& payload, std::uint8_t qos,
                                      bool retain, mqtt::Properties props) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::PUBLISH;
  p.topic = topic;
  p.payload = payload;
  p.qos = qos;
  p.retain = retain;
  p.packet_id = qos > 0 ? next_packet_id() : 0;
  p.properties = std::move(props);
  send_packet(p);
  acted();
  return p.packet_id;
}

std::uint16_t ScriptedClient::subscribe(std::vector<mqtt::Subscription> subs, mqtt::Properties props) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::SUBSCRIBE;
  p.packet_id = next_packet_id();
  p.subscriptions = std::move(subs);
  p.properties = std::move(props);
  send_packet(p);
  acted();
  return p.packet_id;
}

std::uint16_t ScriptedClient::unsubscribe(std::vector<std::string> filters) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::UNSUBSCRIBE;
  p.packet_id = next_packet_id();
  p.filters = std::move(filters);
  send_packet(p);
  acted();
  return p.packet_id;
}

void ScriptedClient::disconnect(std::uint8_t reason_code, mqtt::Properties props) {
  if (!connected()) return;
  mqtt::Packet p;
  p.type = mqtt::PacketType::DISCONNECT;
  p.reason_code = reason_code;
  p.properties = std::move(props);
  send_packet(p);
  close_socket("disconnect");
  acted();
}

void ScriptedClient::crash() {
  if (connected()) close_socket("crash");
  acted();
}

void ScriptedClient::reset() {
  if (!connected()) return;
  close_socket("reset");
  acted();
}

void ScriptedClient::half_close() {
  if (!connected()) return;
  if (ctx_.transport.send_state(conn_) == SendState::Shut) return;
  record(EventKind::Close, "half-close");
  ctx_.transport.close(conn_, CloseHow::HalfClose);
  acted();
}

void ScriptedClient::close_socket(const char* how) {
  assert(conn_ != 0);
  assert(!closed_);
  record(EventKind::Close, how);
  ctx_.transport.close(conn_, std::string_view(how) == "reset" ? CloseHow::Reset : CloseHow::Fin);
  closed_ = true;
}

void ScriptedClient::release_acks() {
  acks_ = AckPolicy{};
  while (!held_acks_.empty()) {
    send_packet(held_acks_.front());
    held_acks_.pop_front();
  }
  acted();
}

void ScriptedClient::answer(mqtt::PacketType type, std::uint16_t packet_id, bool withhold) {
  mqtt::Packet ack;
  ack.type = type;
  ack.packet_id = packet_id;
  if (withhold) held_acks_.push_back(ack);
  else send_packet(ack);
}

void ScriptedClient::handle(const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  switch (p.type) {
    case T::CONNACK:
      connack_seen_ = true;
      // A Server Keep Alive replaces ours: the client MUST use it [MQTT-3.1.2-21]
      // (Mosquitto sends one when max_keepalive caps or forbids the client's value).
      if (const auto* ka = mqtt::find_property(p.properties, mqtt::prop::ServerKeepAlive)) keepalive_s_ = static_cast<std::uint16_t>(ka->number);
      break;
    case T::PINGRESP: ping_outstanding_ = false; break;
    case T::PUBLISH:
      if (p.qos == 1) answer(T::PUBACK, p.packet_id, acks_.withhold_puback);
      if (p.qos == 2) answer(T::PUBREC, p.packet_id, acks_.withhold_pubrec);
      break;
    case T::PUBREC:
      if (p.reason_code < 0x80) answer(T::PUBREL, p.packet_id, acks_.withhold_pubrel);
      break;
    case T::PUBREL: answer(T::PUBCOMP, p.packet_id, acks_.withhold_pubcomp); break;
    default: break;
  }
}

bool ScriptedClient::pump() {
  if (conn_ == 0) return false;
  if (closed_) {
    // The socket is gone on our side; whatever the broker still sends is dropped by the kernel.
    return false;
  }
  if (ctx_.transport.peer_reset(conn_)) {
    see_end(EventKind::PeerReset);
    return true;
  }
  bool progressed = false;
  std::uint8_t buf[4096];
  for (std::size_t n; (n = ctx_.transport.read(conn_, buf, sizeof buf)) > 0;) {
    inbox_.insert(inbox_.end(), buf, buf + n);
    progressed = true;
  }
  take_frames();
  // A real socket learns of a reset while reading (the virtual network never resets mid-read).
  if (ctx_.transport.peer_reset(conn_)) {
    see_end(EventKind::PeerReset);
    return true;
  }
  if (ctx_.transport.peer_eof(conn_)) {
    see_end(EventKind::PeerClosed);
    progressed = true;
  }
  return progressed;
}

void ScriptedClient::take_frames() {
  for (std::size_t guard = 0; guard < 1'000'000 && !inbox_.empty(); ++guard) {
    auto probe = mqtt::probe_frame(inbox_);
    if (probe.status == mqtt::FrameProbe::Status::NeedMore) break;
    if (probe.status == mqtt::FrameProbe::Status::Malformed) {
      record(EventKind::Malformed, probe.error);
      inbox_.clear();
      break;
    }
    const std::string frame(inbox_.begin(), inbox_.begin() + static_cast<long>(probe.frame_size));
    inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<long>(probe.frame_size));
    record(EventKind::Recv, frame);
    auto r = mqtt::decode({reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()}, options_.version);
    if (r.ok()) handle(*r.packet);
  }
}

void ScriptedClient::see_end(EventKind kind) {
  assert(kind == EventKind::PeerReset || kind == EventKind::PeerClosed);
  assert(!closed_);
  record(kind, "");
  closed_ = true;
  ctx_.transport.close(conn_, CloseHow::Fin);
}

std::optional<std::uint64_t> ScriptedClient::next_timer_ms() const {
  if (!connected() || !connack_seen_ || !options_.auto_ping || keepalive_s_ == 0) return std::nullopt;
  return last_send_ms_ + std::uint64_t{keepalive_s_} * 1000;
}

bool ScriptedClient::on_time() {
  const auto due = next_timer_ms();
  if (!due || *due > ctx_.now_ms) return false;
  mqtt::Packet ping;
  ping.type = mqtt::PacketType::PINGREQ;
  ping_outstanding_ = true;
  send_packet(ping);
  return true;
}

}  // namespace mqsim
