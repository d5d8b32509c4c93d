// The reference model's driver: walks the trace event by event, hands each event to the rule
// that owns it, keeps the deadlines ("must happen by") and returns the first violation.
// It must never look at Log events (the broker's own account) to judge anything.
#include <algorithm>
#include <cassert>
#include <cstdio>

#include "model/check_state.h"
#include "trace/mqtt/topic.h"

namespace mqsim::model {

std::string Violation::text() const {
  char when[48];
  std::snprintf(when, sizeof when, "t=%llu.%03llus", static_cast<unsigned long long>(time_ms / 1000),
                static_cast<unsigned long long>(time_ms % 1000));
  std::string who = client_name.empty() ? (client == 0 ? "-" : "client " + std::to_string(client)) : client_name;
  return "[" + statement + "] at event " + std::to_string(event_index) + " (" + who + ", " + when +
         "): expected " + expected + ", seen " + seen;
}

Verdict check(const Trace& trace, const BrokerConfig& config, const CheckOptions& options) {
  detail::Walker walker(trace, config, options);
  return walker.run();
}

namespace detail {

enum DeadlineKind : int { kResponse = 1, kKeepalive = 2, kTakeoverClose = 3, kCloseAfter = 4 };

std::optional<std::uint32_t> prop_number(const mqtt::Properties& props, std::uint8_t id) {
  const auto* p = mqtt::find_property(props, id);
  if (!p) return std::nullopt;
  return p->number;
}

// The properties a server must pass on unaltered (3.3.2-4, -15..-20); expiry is recomputed,
// aliases and subscription identifiers are per connection / per subscription.
mqtt::Properties forwarded_props(const mqtt::Properties& props) {
  mqtt::Properties out;
  for (const auto& p : props) {
    if (p.id == mqtt::prop::PayloadFormatIndicator || p.id == mqtt::prop::ContentType ||
        p.id == mqtt::prop::ResponseTopic || p.id == mqtt::prop::CorrelationData || p.id == mqtt::prop::UserProperty) {
      out.push_back(p);
    }
  }
  return out;
}

bool is_sys_topic(const std::string& topic) { return topic.rfind("$SYS/", 0) == 0 || topic == "$SYS"; }

Walker::Walker(const Trace& trace, const BrokerConfig& config, const CheckOptions& options)
    : trace_(trace), config_(config), options_(options), ev_(trace.events()) {
  // The broker's close of a connection shows on the client's side only when it reads it; its
  // effects (a will, a $SYS count) may reach other clients first. Knowing where each close
  // shows lets the model act on it as early as it may have happened.
  for (std::size_t i = 0; i < ev_.size(); ++i) {
    const auto k = ev_[i].kind;
    if (k == EventKind::PeerClosed || k == EventKind::PeerReset) future_peer_close_.try_emplace(ev_[i].conn, i);
  }
}

Verdict Walker::run() {
  for (std::size_t idx = 0; idx < ev_.size(); ++idx) {
    current_idx_ = idx;
    expire_deadlines(idx);
    on_event(idx);
  }
  current_idx_ = ev_.empty() ? 0 : ev_.size() - 1;
  finish();
  if (!violations_.empty()) {
    // The earliest offending event is the one a person should look at first.
    const auto first = std::min_element(violations_.begin(), violations_.end(), [](const Violation& a, const Violation& b) {
      return a.event_index < b.event_index;
    });
    verdict_.violation = *first;
  }
  verdict_.coverage.counts["violations"] = violations_.size();
  return verdict_;
}

void Walker::violate(std::size_t idx, std::uint32_t client, std::string statement, std::string expected, std::string seen) {
  assert(!statement.empty());
  if (ev_.empty()) return;
  idx = std::min(idx, ev_.size() - 1);
  Violation v;
  v.event_index = idx;
  v.client = client;
  v.client_name = client == 0 ? "" : trace_.client_name(client);
  v.time_ms = ev_[idx].time_ms;
  v.statement = std::move(statement);
  v.expected = std::move(expected);
  v.seen = std::move(seen);
  if (violations_.size() < 1000) violations_.push_back(std::move(v));
}

Conn* Walker::find_conn(std::uint32_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second;
}

Conn& Walker::conn(std::uint32_t id, std::uint32_t client) {
  auto [it, fresh] = conns_.try_emplace(id);
  if (fresh) {
    it->second.id = id;
    it->second.client = client;
  }
  return it->second;
}

std::size_t Walker::first_idx_at_or_after(std::uint64_t time_ms) const {
  const auto it = std::lower_bound(ev_.begin(), ev_.end(), time_ms, [](const Event& e, std::uint64_t t) { return e.time_ms < t; });
  return it == ev_.end() ? kNever : static_cast<std::size_t>(it - ev_.begin());
}

std::size_t Walker::first_idx_after(std::uint64_t time_ms) const {
  if (time_ms >= kForeverMs) return kNever;
  const auto it = std::upper_bound(ev_.begin(), ev_.end(), time_ms, [](std::uint64_t t, const Event& e) { return t < e.time_ms; });
  return it == ev_.end() ? kNever : static_cast<std::size_t>(it - ev_.begin());
}

std::uint64_t Walker::time_of(std::size_t idx) const {
  if (ev_.empty()) return 0;
  if (idx >= ev_.size()) return kForeverMs;
  return ev_[idx].time_ms;
}

// Called while the offending packet is being sent: the broker can read it once it is off the
// wire (after the link's latency, behind earlier bytes, or at the end of a partition).
void Walker::mark_protocol_error(Conn& c, const std::string& why) {
  if (!c.protocol_error) {
    c.protocol_error_why = why;
    const std::uint64_t now = ev_[current_idx_].time_ms;
    c.protocol_error_readable_ms = c.held ? kForeverMs : std::max(now + c.latency_ms, c.last_deliver_ms);
  }
  c.protocol_error = true;
  count("client.protocol_error");
}

// The broker receives a client's bytes `latency` after they are written, or at the release of a
// partition. Keeps the bounds keepalive needs: the last receipt surely no earlier than
// last_recv_lo_ms, and no later than last_recv_hi_ms.
void Walker::note_send_timing(Conn& c, std::uint64_t now_ms) {
  c.last_send_ms = now_ms;
  c.last_send_idx = current_idx_;
  if (c.held) {
    c.sent_while_held = true;
    c.last_recv_hi_ms = kForeverMs;
    return;
  }
  // Bytes keep their order: a chunk arrives after every chunk written before it.
  const std::uint64_t deliver_ms = std::max(now_ms + c.latency_ms, c.last_deliver_ms);
  // With latency the bytes may still be on the wire when a partition starts; only a delivery
  // that cannot be held back counts for the lower bound.
  if (deliver_ms == now_ms) {
    c.last_recv_lo_ms = std::max(c.last_recv_lo_ms, deliver_ms);
    if (c.sure_recv_ms.size() < 100'000) c.sure_recv_ms.push_back(deliver_ms);
  }
  c.last_deliver_ms = deliver_ms;
  if (c.last_recv_hi_ms != kForeverMs) c.last_recv_hi_ms = std::max(c.last_recv_hi_ms, deliver_ms);
  if (c.keepalive_s > 0 && c.accepted && c.last_recv_hi_ms != kForeverMs) {
    Deadline d;
    d.kind = kKeepalive;
    d.conn = c.id;
    d.due_ms = c.last_recv_hi_ms + std::uint64_t{c.keepalive_s} * 1500 + options_.timer_slack_ms + c.max_latency_ms;
    d.from_idx = current_idx_;
    d.statement = "MQTT-3.1.2-22";
    deadlines_.push_back(d);
  }
}

void Walker::on_fault(std::size_t idx, Conn& c, const Fault& fault) {
  const std::uint64_t now = ev_[idx].time_ms;
  count("fault");
  switch (fault.kind) {
    case FaultKind::Hold: {
      // Bytes of a close still on the wire now wait for the release: when the broker learns of
      // that close (and reads a DISCONNECT before it) is open again.
      if (c.ended && c.client_closed && c.close_ms + c.max_latency_ms >= now) widen_close(c);
      // A second hold does not restart the partition, nor does one that begins before the bytes
      // the last release let go can have arrived: those are held again.
      const bool bytes_in_flight = c.ever_held && c.last_release_ms + c.max_latency_ms >= now;
      if (!c.held && !bytes_in_flight) c.hold_since_ms = now;
      if (!c.held) c.hold_since_idx = idx;
      c.first_hold_ms = std::min(c.first_hold_ms, now);
      c.held = true;
      c.ever_held = true;
      return;
    }
    case FaultKind::Release:
      c.held = false;
      c.last_release_ms = now;
      if (c.protocol_error && c.protocol_error_readable_ms >= kForeverMs) c.protocol_error_readable_ms = now + c.latency_ms;
      if (c.sent_while_held) {
        // Held bytes flow now, unless the broker closed the connection during the partition:
        // they raise the upper bound of the last receipt, never the lower one.
        c.last_recv_hi_ms = now + c.latency_ms;
        c.sent_while_held = false;
      }
      return;
    case FaultKind::Latency:
      c.latency_ms = fault.amount;
      if (c.latency_ms > 0) c.ever_latency = true;
      c.max_latency_ms = std::max(c.max_latency_ms, c.latency_ms);
      return;
    case FaultKind::ShortIo:
      return;  // it only splits reads and writes: MQTT framing hides it from the model
  }
  assert(false && "a fault kind the model does not know");
}

void Walker::on_event(std::size_t idx) {
  const Event& e = ev_[idx];
  switch (e.kind) {
    case EventKind::Client: case EventKind::Step: case EventKind::Note: case EventKind::Log:
      return;  // annotations, and the broker's log: never evidence
    case EventKind::BrokerExit:
      if (broker_exit_idx_ == kNever) broker_exit_idx_ = idx;
      return;
    case EventKind::Dial: {
      Conn& c = conn(e.conn, e.client);
      c.dial_idx = idx;
      count("connection");
      return;
    }
    case EventKind::Fault:
      assert(e.fault);  // Trace::parse refuses a fault it cannot read
      if (Conn* c = find_conn(e.conn)) on_fault(idx, *c, *e.fault);
      return;
    case EventKind::Close: if (Conn* c = find_conn(e.conn)) on_client_close(idx, *c, e.data); return;
    case EventKind::PeerClosed: case EventKind::PeerReset:
      if (Conn* c = find_conn(e.conn)) {
        if (c->deferred_close_check == idx) {
          c->deferred_close_check = kNever;
          if (!c->server_disconnect) check_server_close(idx, *c);
        }
        on_peer_close(idx, *c);
      }
      return;
    case EventKind::Malformed: {
      const auto at = e.data.find("[MQTT-");
      const std::string id = at == std::string::npos ? "MQTT-2.1.4" : e.data.substr(at + 1, e.data.find(']', at) - at - 1);
      violate(idx, e.client, id, "a well-formed packet from the server", "undecodable bytes (" + e.data + ")");
      return;
    }
    case EventKind::Send: case EventKind::Recv: break;
  }
  Conn& c = conn(e.conn, e.client);
  if (e.kind == EventKind::Recv) {
    if (!e.packet) {
      const auto at = e.decode_error.find("[MQTT-");
      const std::string id = at == std::string::npos ? "MQTT-4.13.1" : e.decode_error.substr(at + 1, e.decode_error.find(']', at) - at - 1);
      violate(idx, e.client, id, "a well-formed packet from the server", "malformed packet (" + e.decode_error + ")");
      return;
    }
    on_recv(idx, c, *e.packet);
    return;
  }
  if (!e.packet) {
    // The client sent something the codec refuses: the broker may close, or may read it some
    // other way. What it might have done (a PUBLISH, a SUBSCRIBE) stays possible.
    mark_protocol_error(c, "undecodable packet: " + e.decode_error);
    const std::uint8_t type = e.data.empty() ? 0 : static_cast<std::uint8_t>(e.data[0]) >> 4;
    if (type == 3 && unknown_publish_idx_ == kNever) unknown_publish_idx_ = idx;
    if (type == 8 && c.session != kNever) sessions_[c.session].unknown_subs = true;
    note_send_timing(c, e.time_ms);
    return;
  }
  on_send(idx, c, *e.packet);
  note_send_timing(c, e.time_ms);
}

void Walker::on_send(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  if (p.type != T::CONNECT && c.connect_idx == kNever) mark_protocol_error(c, "packet before CONNECT [MQTT-3.1.0-1]");
  if (c.refused) return;  // after a refusing CONNACK the server processes nothing [MQTT-3.1.4-6]
  switch (p.type) {
    case T::CONNECT: on_connect(idx, c, p); return;
    case T::PUBLISH: on_publish_in(idx, c, p); return;
    case T::PUBACK: case T::PUBREC: case T::PUBREL: case T::PUBCOMP: on_client_ack(idx, c, p); return;
    case T::SUBSCRIBE: on_subscribe(idx, c, p); return;
    case T::UNSUBSCRIBE: on_unsubscribe(idx, c, p); return;
    case T::PINGREQ:
      c.pending.push_back({T::PINGRESP, 0, idx, ev_[idx].time_ms, kNever, {}});
      deadlines_.push_back({ev_[idx].time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-3.12.4-1",
                            "PINGRESP", idx, kResponse, 0, 0});
      return;
    case T::DISCONNECT: {
      c.expiry_before_disconnect_s = c.expiry_s;
      c.disconnect_sent = true;
      c.disconnect_rc = p.reason_code;
      if (const auto e = prop_number(p.properties, mqtt::prop::SessionExpiryInterval)) {
        // Setting a non-zero expiry on DISCONNECT after CONNECT said 0 is a Protocol Error (3.14.2.2.2).
        if (c.expiry_s == 0 && *e != 0) mark_protocol_error(c, "DISCONNECT sets Session Expiry after 0");
        else {
          c.expiry_before_disconnect_s = c.expiry_s;
          c.expiry_s = *e;
        }
      }
      return;
    }
    default:
      if (p.type == T::CONNACK || p.type == T::SUBACK || p.type == T::UNSUBACK || p.type == T::PINGRESP)
        mark_protocol_error(c, std::string("client sent ") + mqtt::packet_type_name(p.type));
      return;
  }
}

void Walker::on_recv(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  const auto client = ev_[idx].client;
  ++c.packets_seen;
  if (c.max_packet_size > 0 && ev_[idx].data.size() > c.max_packet_size) {
    violate(idx, client, "MQTT-3.1.2-24", "no packet over the client's Maximum Packet Size " + std::to_string(c.max_packet_size),
            std::to_string(ev_[idx].data.size()) + " bytes");
  }
  if (c.server_disconnect) {
    violate(idx, client, "MQTT-3.14.4-1", "nothing after the server's DISCONNECT", mqtt::packet_type_name(p.type));
  }
  if (c.packets_seen == 1 && p.type != T::CONNACK && p.type != T::AUTH) {
    const bool disc = p.type == T::DISCONNECT;
    violate(idx, client, disc ? "MQTT-3.14.0-1" : "MQTT-3.2.0-1", "CONNACK as the server's first packet",
            mqtt::packet_type_name(p.type));
  }
  switch (p.type) {
    case T::CONNACK:
      if (c.connack_idx != kNever) {
        violate(idx, client, "MQTT-3.2.0-2", "one CONNACK per connection", "a second CONNACK");
        return;
      }
      on_connack(idx, c, p);
      return;
    case T::PUBLISH: on_publish_out(idx, c, p); return;
    case T::PUBACK: case T::PUBREC: case T::PUBCOMP: on_server_ack(idx, c, p); return;
    case T::PUBREL: on_pubrel_out(idx, c, p); return;
    case T::SUBACK: on_suback(idx, c, p); return;
    case T::UNSUBACK: on_unsuback(idx, c, p); return;
    case T::PINGRESP: answer_request(idx, c, T::PINGRESP, 0); return;
    case T::DISCONNECT: on_server_disconnect(idx, c, p); return;
    default: return;
  }
}

// Everything the client sent on `c` up to `upto_send_idx` was processed before event `recv_idx`:
// the broker handles one connection's packets in order.
void Walker::prove_processed(Conn& c, std::size_t upto_send_idx, std::size_t recv_idx) {
  assert(recv_idx > upto_send_idx);
  c.last_proven_send_idx = std::max(c.last_proven_send_idx, upto_send_idx);
  std::vector<std::size_t> keep;
  for (std::size_t id : c.unproven_msgs) {
    Msg& m = msgs_[id];
    if (m.p_lo <= upto_send_idx) {
      m.p_hi = std::min(m.p_hi, recv_idx);
      m.recv_hi_ms = std::min(m.recv_hi_ms, time_of(recv_idx));
    } else {
      keep.push_back(id);
    }
  }
  c.unproven_msgs = std::move(keep);
}

// The model may place the broker's close of a connection before its client sees it (its will
// reached another client first: early_close), and then forgets the requests still unanswered.
// The broker may still have answered one of them before closing, on a slow or held link: an
// answer that arrives afterwards, to a request the client really sent and that nothing answered
// yet, carries the identifier of an outstanding request.
bool Walker::answers_request_cut_by_close(const Conn& c, mqtt::PacketType type, std::uint16_t packet_id, std::size_t idx) const {
  using T = mqtt::PacketType;
  if (!c.ended || !c.pending_at_close) return false;
  auto asks = [&](const mqtt::Packet& q) {
    switch (type) {
      case T::SUBACK: return q.type == T::SUBSCRIBE;
      case T::UNSUBACK: return q.type == T::UNSUBSCRIBE;
      case T::PUBACK: return q.type == T::PUBLISH && q.qos == 1;
      case T::PUBREC: return q.type == T::PUBLISH && q.qos == 2;
      case T::PUBCOMP: return q.type == T::PUBREL;
      case T::PUBREL: return q.type == T::PUBREC;
      default: return false;
    }
  };
  for (std::size_t i = std::min(idx, ev_.size()); i-- > c.dial_idx;) {
    const Event& e = ev_[i];
    if (e.conn != c.id || !e.packet || e.packet->packet_id != packet_id) continue;
    if (e.kind == EventKind::Recv && e.packet->type == type) return false;  // already answered
    if (e.kind == EventKind::Send && asks(*e.packet)) return true;
  }
  return false;
}

void Walker::answer_request(std::size_t idx, Conn& c, mqtt::PacketType type, std::uint16_t packet_id) {
  auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const PendingRequest& r) {
    return r.answer == type && r.packet_id == packet_id;
  });
  if (it == c.pending.end()) {
    if (type == mqtt::PacketType::PINGRESP || type == mqtt::PacketType::CONNACK) return;
    if (answers_request_cut_by_close(c, type, packet_id, idx)) {
      count("answer.after_placed_close");
      return;
    }
    const bool sub = type == mqtt::PacketType::SUBACK || type == mqtt::PacketType::UNSUBACK;
    violate(idx, ev_[idx].client, sub ? "MQTT-2.2.1-6" : "MQTT-2.2.1-5",
            "the packet identifier of an outstanding request",
            std::string(mqtt::packet_type_name(type)) + " id=" + std::to_string(packet_id));
    return;
  }
  prove_processed(c, it->send_idx, idx);
  c.pending.erase(it);
}

void DeadlineQueue::push_back(Deadline d) {
  open_.emplace(d.due_ms, made_.size());
  made_.push_back(std::move(d));
}

void Walker::expire_deadlines(std::size_t idx) {
  const std::uint64_t now = ev_[idx].time_ms;
  // Latency set after the deadline was made still delays the answer (bytes keep their order).
  const auto extra_ms = [&](const Deadline& d) -> std::uint64_t {
    const Conn* c = find_conn(d.conn);
    return c ? 2ull * c->max_latency_ms : 0;
  };
  for (const auto& d : deadlines_.take_due(now, extra_ms)) check_deadline(d, idx);
}

void Walker::check_deadline(const Deadline& d, std::size_t idx) {
  if (broker_exit_idx_ != kNever) return;
  Conn* c = find_conn(d.conn);
  if (!c) return;
  const bool quiet = !c->held && !c->ever_held;
  switch (d.kind) {
    case kResponse: {
      if (!c->open() || !quiet || c->protocol_error || c->refused) return;
      const auto it = std::find_if(c->pending.begin(), c->pending.end(), [&](const PendingRequest& r) { return r.send_idx == d.from_idx; });
      if (it == c->pending.end()) return;
      if (c->connect_idx != d.from_idx && !c->accepted) return;  // no session yet: answers wait for CONNACK
      violate(idx, c->client, d.statement, d.expected + " within " + std::to_string(options_.timer_slack_ms) + " ms",
              "none by t=" + std::to_string(ev_[idx].time_ms) + "ms");
      return;
    }
    case kKeepalive: {
      if (!c->open() || !quiet || !c->accepted || c->keepalive_s == 0) return;
      if (c->last_send_idx > d.from_idx || c->server_disconnect) return;  // superseded by a later packet
      violate(idx, c->client, "MQTT-3.1.2-22",
              "the server closes the connection after 1.5 x keepalive (" + std::to_string(c->keepalive_s) + " s) of silence",
              "still open " + std::to_string(ev_[idx].time_ms - c->last_recv_hi_ms) + " ms after the last packet");
      return;
    }
    case kTakeoverClose:
    case kCloseAfter: {
      if (!c->open() || !quiet) return;
      violate(idx, c->client, d.statement, d.expected, "the connection still open");
      return;
    }
    default: return;
  }
}

}  // namespace detail
}  // namespace mqsim::model
