// A scripted MQTT client: speaks 5.0 or 3.1.1 at packet level through the project's own codec,
// over a ClientTransport: the simulator's virtual network, or real loopback TCP to a Mosquitto
// daemon (sim/tcp_transport.h). It does what real clients do (connect, subscribe, publish, ack,
// ping, disconnect) and what broken ones do (withhold acks, reuse packet ids, vanish without a
// DISCONNECT, send any bytes at all). Everything it sends and sees goes into the trace.
//
// It must never know which transport it is on: the same script gives the same trace shape on
// both, which is what the differential check (differential/tcp_diff.h) relies on.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "schedule/ack_policy.h"
#include "trace/mqtt/packet.h"
#include "net.h"
#include "prng.h"
#include "trace/trace.h"

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

// How a client ends (part of) its connection.
enum class CloseHow : std::uint8_t {
  Fin,        // close(): the broker sees EOF once it has read everything sent
  Reset,      // RST: both sides see ECONNRESET, bytes in flight are lost
  HalfClose,  // shutdown(SHUT_WR): the broker sees EOF, the client can still read
};

// Whether a connection can still carry the client's bytes to the broker.
enum class SendState : std::uint8_t { Open, Reset, Shut };

// What a scripted client needs from a network. Connections are numbered 1, 2, 3... in dial order
// across the run on every transport, so traces from different transports line up.
class ClientTransport {
 public:
  virtual ~ClientTransport() = default;
  // Opens a connection from `client` to the broker's listener `port`; returns its id.
  virtual std::uint32_t dial(std::uint32_t client, std::uint16_t port) = 0;
  virtual SendState send_state(std::uint32_t conn) const = 0;
  // Queues bytes to the broker. Requires send_state(conn) == Open.
  virtual void write(std::uint32_t conn, const std::uint8_t* data, std::size_t size_bytes) = 0;
  // Bytes from the broker that have arrived, at most max_bytes; 0 when none (yet).
  virtual std::size_t read(std::uint32_t conn, std::uint8_t* out, std::size_t max_bytes) = 0;
  // The connection was reset; nothing more will arrive.
  virtual bool peer_reset(std::uint32_t conn) const = 0;
  // The broker closed and everything it sent has been read.
  virtual bool peer_eof(std::uint32_t conn) const = 0;
  virtual void close(std::uint32_t conn, CloseHow how) = 0;
};

// The simulator's transport: the virtual network (net.h) in virtual time.
class VirtualTransport final : public ClientTransport {
 public:
  VirtualTransport(Network& net, Prng& prng, const std::uint64_t& now_ms) : net_(net), prng_(prng), now_ms_(now_ms) {}
  std::uint32_t dial(std::uint32_t client, std::uint16_t port) override { return net_.dial(client, port); }
  SendState send_state(std::uint32_t conn) const override;
  void write(std::uint32_t conn, const std::uint8_t* data, std::size_t size_bytes) override;
  std::size_t read(std::uint32_t conn, std::uint8_t* out, std::size_t max_bytes) override;
  bool peer_reset(std::uint32_t conn) const override { return net_.at(conn).to_client.drained_reset(); }
  bool peer_eof(std::uint32_t conn) const override { return net_.at(conn).to_client.at_eof(); }
  void close(std::uint32_t conn, CloseHow how) override;

 private:
  Network& net_;
  Prng& prng_;
  const std::uint64_t& now_ms_;
};

struct SimContext {
  ClientTransport& transport;
  TraceWriter& trace;
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
  // Opens a new connection and sends nothing: a bare TCP connect, which the broker accepts and
  // then waits on for a CONNECT (Mosquitto's corpus tests that say "connect": false).
  void dial();
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
  void open_connection();           // a new connection, nothing sent yet (connect() and dial())
  void take_frames();               // whole packets out of inbox_, recorded and answered
  void see_end(EventKind kind);     // the broker's side ended (EOF or reset): close ours

  SimContext ctx_;
  std::uint32_t index_;
  std::string name_;
  ClientOptions options_;
  AckPolicy acks_;
  std::uint32_t conn_ = 0;
  bool closed_ = true;
  bool connack_seen_ = false;
  std::uint16_t keepalive_s_ = 0;          // in force: ours, or the CONNACK's Server Keep Alive
  std::uint16_t last_packet_id_ = 0;
  std::uint64_t last_send_ms_ = 0;
  bool ping_outstanding_ = false;
  std::vector<std::uint8_t> inbox_;        // bytes read, not yet a whole packet
  std::deque<mqtt::Packet> held_acks_;     // withheld acknowledgements, in order
};

}  // namespace mqsim
