// A scripted MQTT client: speaks 5.0 or 3.1.1 at packet level over the virtual network, through
// the project's own codec. It does what real clients do (connect, subscribe, publish, ack, ping,
// disconnect) and what broken ones do (withhold acks, reuse packet ids, vanish without a
// DISCONNECT, send any bytes at all). Everything it sends and sees goes into the trace.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/mqtt/packet.h"
#include "net.h"
#include "prng.h"
#include "model/trace.h"

namespace mqsim {

struct ClientOptions {
  mqtt::Version version = mqtt::Version::v5;
  std::string client_id;                          // empty: the client's name
  bool clean_start = true;
  std::optional<std::uint32_t> session_expiry_s;  // v5 Session Expiry Interval property
  std::uint16_t keepalive_s = 60;
  std::optional<mqtt::Will> will;
  std::optional<std::uint32_t> will_delay_s;      // v5 Will Delay Interval
  std::optional<std::string> username;
  std::optional<std::string> password;
  mqtt::Properties extra_connect_properties;      // anything else for CONNECT
  std::uint16_t port = 1883;
  bool auto_ping = true;                          // send PINGREQ when keepalive_s passes quietly
};

// Which acknowledgements the client holds back instead of sending (a slow or broken receiver).
struct AckPolicy {
  bool withhold_puback = false;    // for QoS 1 PUBLISH received
  bool withhold_pubrec = false;    // for QoS 2 PUBLISH received
  bool withhold_pubrel = false;    // for our QoS 2 PUBLISH acknowledged by PUBREC
  bool withhold_pubcomp = false;   // for PUBREL received
};

struct SimContext {
  Network& net;
  TraceWriter& trace;
  Prng& prng;
  const std::uint64_t& now_ms;
  // Called after every scripted action, so a script reads as a story: each line's effects
  // (the broker's answers) have happened before the next line. Empty: actions only queue bytes.
  std::function<void()> after_action;
};

class ScriptedClient {
 public:
  ScriptedClient(SimContext ctx, std::uint32_t index, std::string name, ClientOptions options);

  const std::string& name() const { return name_; }
  std::uint32_t index() const { return index_; }
  ClientOptions& options() { return options_; }
  AckPolicy& acks() { return acks_; }

  // Opens a new connection and sends CONNECT built from options().
  void connect();
  // Sends any packet as is on the open connection (nothing is checked: broken clients too).
  void send(const mqtt::Packet& packet);
  // Sends raw bytes (a malformed packet, half a packet...).
  void send_raw(const mqtt::Bytes& bytes);
  // PUBLISH with the next free packet id (QoS > 0); returns the id used (0 for QoS 0).
  std::uint16_t publish(const std::string& topic, const std::string& payload, std::uint8_t qos = 0,
                        bool retain = false, mqtt::Properties props = {});
  std::uint16_t subscribe(std::vector<mqtt::Subscription> subs, mqtt::Properties props = {});
  std::uint16_t unsubscribe(std::vector<std::string> filters);
  // DISCONNECT with `reason_code`, then closes the socket.
  void disconnect(std::uint8_t reason_code = 0, mqtt::Properties props = {});
  // Closes the socket without DISCONNECT (a process crash: the kernel sends FIN).
  void crash();
  // Resets the connection (RST: both sides see ECONNRESET, bytes in flight are lost).
  void reset();
  // Shuts down the sending side only (shutdown(SHUT_WR)): the broker sees EOF, the client still
  // reads whatever the broker sends until the broker closes.
  void half_close();
  // Sends every acknowledgement held back so far, in order, and stops withholding.
  void release_acks();

  bool connected() const { return conn_ != 0 && !closed_; }
  bool connack_seen() const { return connack_seen_; }
  std::uint32_t conn() const { return conn_; }

  // Reads what the broker sent, decodes it, records it and answers (acks, pings) per policy.
  // Returns true if anything happened.
  bool pump();
  // When this client next wants to act without being asked (its keepalive ping).
  std::optional<std::uint64_t> next_timer_ms() const;
  // Acts on due timers. Returns true if it sent something.
  bool on_time();

 private:
  void record(EventKind kind, std::string_view data);
  void acted() { if (ctx_.after_action) ctx_.after_action(); }
  void send_packet(const mqtt::Packet& packet);
  void write_bytes(const mqtt::Bytes& bytes);
  void handle(const mqtt::Packet& packet);
  void answer(mqtt::PacketType type, std::uint16_t packet_id, bool withhold);
  std::uint16_t next_packet_id();
  void close_socket(const char* how);

  SimContext ctx_;
  std::uint32_t index_;
  std::string name_;
  ClientOptions options_;
  AckPolicy acks_;
  std::uint32_t conn_ = 0;
  bool closed_ = true;
  bool connack_seen_ = false;
  std::uint16_t last_packet_id_ = 0;
  std::uint64_t last_send_ms_ = 0;
  bool ping_outstanding_ = false;
  std::vector<std::uint8_t> inbox_;        // bytes read, not yet a whole packet
  std::deque<mqtt::Packet> held_acks_;     // withheld acknowledgements, in order
};

}  // namespace mqsim
