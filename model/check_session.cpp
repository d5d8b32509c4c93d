// Rules about connections and sessions: CONNECT/CONNACK, Session Present, Clean Start, Session
// Expiry, session takeover, keepalive closes, and when a Last Will is owed or forbidden.
// It must never assume the broker acted at an instant the trace cannot pin down: every broker
// action is bounded by events (see check_state.h).
#include <algorithm>
#include <cassert>
#include <cstdio>

#include "model/check_state.h"

namespace mqsim::model::detail {

namespace {
constexpr int kTakeoverClose = 3;
constexpr int kCloseAfter = 4;
constexpr int kResponse = 1;

bool connack_refused(const Conn& c, const mqtt::Packet& p) {
  return c.version == mqtt::Version::v311 ? p.reason_code != 0 : p.reason_code >= 0x80;
}
}  // namespace

std::size_t Walker::current_session(const std::string& client_id) const {
  if (client_id.empty()) return kNever;
  for (std::size_t i = sessions_.size(); i-- > 0;) {
    if (sessions_[i].client_id == client_id) return sessions_[i].ended ? kNever : i;
  }
  return kNever;
}

std::size_t Walker::new_session(const Conn& c, std::size_t start_idx) {
  Session s;
  s.client_id = c.client_id;
  s.client = c.client;
  s.version = c.version;
  s.start_idx = start_idx;
  sessions_.push_back(std::move(s));
  count("session.created");
  return sessions_.size() - 1;
}

void Walker::end_session(Session& s, std::size_t end_lo, std::size_t end_hi) {
  s.ended = true;
  s.end_lo = s.end_lo == kNever ? end_lo : std::min(s.end_lo, end_lo);
  s.end_hi = end_hi;
  s.conn = 0;
}

// 1: the session surely exists for a CONNECT processed in (lo_idx, hi_idx); 0: surely not; -1: maybe.
int Walker::session_alive_at(const Session& s, std::size_t lo_idx, std::size_t hi_idx) const {
  if (s.ended) return 0;
  if (s.end_lo == kNever) return 1;
  if (hi_idx <= s.end_lo) return 1;
  if (s.end_hi != kNever && lo_idx >= s.end_hi) return 0;
  return -1;
}

// A refused CONNECT must leave every session as it was: the checks that refuse a connection come
// before the takeover and Clean Start processing [MQTT-3.1.4-2] [MQTT-3.1.4-3], and a refusing
// CONNACK says Session Present 0 [MQTT-3.2.2-4]. A Session Present that contradicts the session
// states which refused CONNECT for the ClientID (since its last accepted one) may have disturbed
// it, for the person reading the violation: the broker then acted on a connection it refused.
std::string Walker::refused_connect_note(const std::string& client_id, std::uint32_t except_conn, std::size_t idx) const {
  const Conn* refused = nullptr;
  std::size_t last_accepted_idx = 0;
  for (const auto& [id, o] : conns_) {
    if (id == except_conn || o.client_id != client_id || o.connack_idx == kNever || o.connack_idx >= idx) continue;
    if (o.accepted) last_accepted_idx = std::max(last_accepted_idx, o.connack_idx);
    if (o.refused && (!refused || o.connack_idx > refused->connack_idx)) refused = &o;
  }
  if (!refused || refused->connack_idx < last_accepted_idx) return "";
  char rc[8];
  std::snprintf(rc, sizeof rc, "0x%02X", static_cast<unsigned>(refused->refused_rc));
  return " (after a refused CONNECT for this ClientID: " + trace_.client_name(refused->client) + " " +
         (refused->version == mqtt::Version::v311 ? "v3.1.1 Clean Session " : "v5 Clean Start ") + (refused->clean_start ? "1" : "0") +
         " Keep Alive " + std::to_string(refused->keepalive_s) + " s, CONNACK " + rc + " at t=" + std::to_string(refused->connack_ms) + "ms)";
}

// The session's connection closed (as the broker saw it, in the connection's close window):
// it now lives for its Session Expiry Interval [MQTT-3.1.2-23], and ends after it [MQTT-4.1.0-2].
void Walker::session_offline(Session& s, const Conn& c) {
  s.conn = 0;
  // A DISCONNECT that may not have been read leaves either interval possible.
  const bool unread = c.disconnect_sent && (c.ever_held || c.protocol_error || c.pending_at_close || c.ever_latency);
  const std::uint32_t e_new = c.expiry_s;
  const std::uint32_t e_old = c.disconnect_sent ? c.expiry_before_disconnect_s : c.expiry_s;
  const std::uint32_t e_lo = unread ? std::min(e_new, e_old) : e_new;
  const std::uint32_t e_hi = unread ? std::max(e_new, e_old) : e_new;
  s.expiry_s = e_new;
  if (e_hi == 0) {
    s.end_lo = c.broker_close_lo_idx;
    s.end_hi = c.broker_close_hi_idx;
    return;
  }
  const auto& pce = config_.persistent_client_expiration_s;
  // Mosquitto's persistent_client_expiration may end a session before its own interval
  // (docs/mosquitto-allowances.md): the lower bound takes the shorter of the two.
  std::uint64_t lo_s = e_lo == kExpiryNever ? kForeverMs : e_lo;
  if (pce) lo_s = std::min<std::uint64_t>(lo_s, *pce);
  std::uint64_t hi_s = e_hi == kExpiryNever ? (pce ? *pce : kForeverMs) : e_hi;
  if (lo_s >= kForeverMs) {
    s.end_lo = s.end_hi = kNever;
    return;
  }
  const std::size_t at = first_idx_at_or_after(c.broker_close_lo_ms + lo_s * 1000);
  s.end_lo = at == kNever ? kNever : (at == 0 ? 0 : at - 1);
  s.end_hi = (hi_s >= kForeverMs || c.broker_close_hi_ms >= kForeverMs)
                 ? kNever
                 : first_idx_after(c.broker_close_hi_ms + hi_s * 1000 + options_.timer_slack_ms);
}

void Walker::on_connect(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  if (c.connect_idx != kNever) {
    mark_protocol_error(c, "second CONNECT [MQTT-3.1.0-2]");
    return;
  }
  c.connect_idx = idx;
  c.version = p.protocol_level == 4 ? mqtt::Version::v311 : mqtt::Version::v5;
  c.client_id = p.client_id;
  c.clean_start = p.clean_start;
  c.keepalive_s = p.keepalive_s;
  c.will = p.will;
  c.last_recv_hi_ms = ev_[idx].time_ms + c.latency_ms;
  if (c.version == mqtt::Version::v5) {
    c.expiry_s = prop_number(p.properties, mqtt::prop::SessionExpiryInterval).value_or(0);
    c.receive_max = static_cast<std::uint16_t>(prop_number(p.properties, mqtt::prop::ReceiveMaximum).value_or(65535));
    c.max_packet_size = prop_number(p.properties, mqtt::prop::MaximumPacketSize).value_or(0);
    c.client_alias_max = static_cast<std::uint16_t>(prop_number(p.properties, mqtt::prop::TopicAliasMaximum).value_or(0));
    if (p.will) c.will_delay_s = prop_number(p.will->properties, mqtt::prop::WillDelayInterval).value_or(0);
  } else {
    c.expiry_s = p.clean_start ? 0 : kExpiryNever;  // 3.1.1 Clean Session 0: the session persists
  }
  c.pending.push_back({mqtt::PacketType::CONNACK, 0, idx, ev_[idx].time_ms, kNever, {}});
  deadlines_.push_back({ev_[idx].time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-3.1.4-5",
                        "CONNACK (or a close)", idx, kResponse, 0, 0});
  count(c.version == mqtt::Version::v311 ? "connect.v311" : "connect.v5");
  // A connection for a ClientID that is connected takes the session over [MQTT-3.1.4-3].
  const std::size_t si = current_session(c.client_id);
  if (si != kNever && sessions_[si].conn != 0 && sessions_[si].conn != c.id) {
    Conn* old = find_conn(sessions_[si].conn);
    if (old && old->open()) old->takeover_idx = std::min(old->takeover_idx, idx);
  }
  // A connection whose close was placed early (its sign is still ahead) may be the one taken over.
  for (auto& [id, o] : conns_) {
    if (id != c.id && o.accepted && o.client_id == c.client_id && o.deferred_close_check != kNever && o.deferred_close_check > idx)
      o.takeover_idx = std::min(o.takeover_idx, idx);
  }
}

void Walker::on_connack(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  const auto client = ev_[idx].client;
  c.connack_idx = idx;
  c.connack_ms = ev_[idx].time_ms;
  answer_request(idx, c, mqtt::PacketType::CONNACK, 0);
  if (connack_refused(c, p)) {
    c.refused = true;
    c.refused_rc = p.reason_code;
    count("connect.refused");
    if (p.session_present) {
      // Which CONNECT was refused, and how: the reader (and a known deviation) needs both.
      char rc[8];
      std::snprintf(rc, sizeof rc, "0x%02X", static_cast<unsigned>(p.reason_code));
      const bool v311 = c.version == mqtt::Version::v311;
      violate(idx, client, v311 ? "MQTT-3.2.2-4" : "MQTT-3.2.2-6", "Session Present 0 with a refusing CONNACK",
              std::string("Session Present 1 (refusing CONNACK ") + rc + " to a " + (v311 ? "v3.1.1 CONNECT, Clean Session " : "v5 CONNECT, Clean Start ") +
                  (c.clean_start ? "1" : "0") + ", Keep Alive " + std::to_string(c.keepalive_s) + " s)" + refused_connect_note(c.client_id, c.id, idx));
    }
    deadlines_.push_back({ev_[idx].time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-3.2.2-7",
                          "the server closes the connection after a refusing CONNACK", idx, kCloseAfter, 0, 0});
    return;
  }
  c.accepted = true;
  if (c.version == mqtt::Version::v5) {
    if (const auto* a = mqtt::find_property(p.properties, mqtt::prop::AssignedClientIdentifier); a && c.client_id.empty())
      c.client_id = a->text;
    if (const auto ka = prop_number(p.properties, mqtt::prop::ServerKeepAlive)) c.keepalive_s = static_cast<std::uint16_t>(*ka);
    if (const auto e = prop_number(p.properties, mqtt::prop::SessionExpiryInterval)) c.expiry_s = *e;
    c.server_alias_max = static_cast<std::uint16_t>(prop_number(p.properties, mqtt::prop::TopicAliasMaximum).value_or(0));
    c.server_receive_max = static_cast<std::uint16_t>(prop_number(p.properties, mqtt::prop::ReceiveMaximum).value_or(65535));
  }
  if (c.client_id.empty()) c.client_id = "\x01" "unnamed-" + std::to_string(c.id);  // 3.1.1 with a server-made id
  if (c.keepalive_s > 0 && c.last_recv_hi_ms != kForeverMs) {
    // From acceptance on, silence longer than 1.5 x keepalive must end the connection.
    deadlines_.push_back({c.last_recv_hi_ms + std::uint64_t{c.keepalive_s} * 1500 + options_.timer_slack_ms + c.max_latency_ms, c.id,
                          "MQTT-3.1.2-22", "", idx, 2 /* keepalive */, 0, 0});
  }
  std::size_t si = current_session(c.client_id);
  if (si != kNever && sessions_[si].conn != 0 && sessions_[si].conn != c.id) {
    // The session's connection may have been cut for keepalive behind a partition already.
    Conn* old = find_conn(sessions_[si].conn);
    if (old && old->open() && old->held) early_close(idx, *old);
  }
  const std::uint32_t old_conn = si == kNever ? 0 : sessions_[si].conn;
  std::size_t use = kNever;
  if (c.clean_start) {
    if (p.session_present) {
      violate(idx, client, c.version == mqtt::Version::v5 ? "MQTT-3.2.2-2" : "MQTT-3.2.2-1",
              "Session Present 0 for Clean Start 1", "Session Present 1");
    }
    if (si != kNever) end_session(sessions_[si], c.connect_idx, idx);
    use = new_session(c, c.connect_idx);
  } else {
    int alive = si == kNever ? 0 : session_alive_at(sessions_[si], c.connect_idx, idx);
    if (alive == 1 && old_conn != 0 && old_conn != c.id) {
      // Taking over a session whose connection had Session Expiry 0: closing that connection
      // may end the session before the new one looks for it. Either reading is accepted.
      const Conn* old = find_conn(old_conn);
      if (old && old->expiry_s == 0) alive = -1;
    }
    if (p.session_present && alive == 0) {
      violate(idx, client, si == kNever ? "MQTT-3.2.2-3" : (c.version == mqtt::Version::v5 ? "MQTT-4.1.0-2" : "MQTT-3.2.2-3"),
              "Session Present 0: no session exists for this ClientID (none made, or it expired)",
              "Session Present 1" + refused_connect_note(c.client_id, c.id, idx));
    }
    if (!p.session_present && alive == 1) {
      const bool connected = old_conn != 0;
      violate(idx, client, connected ? "MQTT-3.2.2-3" : (c.version == mqtt::Version::v5 ? "MQTT-3.1.2-23" : "MQTT-3.1.2-4"),
              connected ? "Session Present 1: the session is in use by another connection"
                        : "Session Present 1: the session's expiry interval has not passed",
              "Session Present 0" + refused_connect_note(c.client_id, c.id, idx));
    }
    if (p.session_present && si != kNever) {
      use = si;
      sessions_[si].end_lo = sessions_[si].end_hi = kNever;
      count("session.resumed");
    } else {
      if (si != kNever) {
        if (alive != 0) count("session.expired");
        end_session(sessions_[si], sessions_[si].end_lo == kNever ? c.connect_idx : sessions_[si].end_lo, idx);
      }
      use = new_session(c, c.connect_idx);
    }
  }
  Session& s = sessions_[use];
  s.conn = c.id;
  s.conns.push_back(c.id);
  s.version = c.version;
  s.expiry_s = c.expiry_s;
  c.session = use;
  for (auto& sub : subs_) {
    if (sub.conn == c.id && sub.session == kNever) {
      sub.session = use;
      s.subs.push_back(static_cast<std::size_t>(&sub - subs_.data()));
    }
  }
  if (old_conn != 0 && old_conn != c.id) {
    Conn* old = find_conn(old_conn);
    if (old && old->open()) {
      count("takeover");
      old->takeover_idx = std::min(old->takeover_idx, c.connect_idx);
      deadlines_.push_back({ev_[idx].time_ms + 2 * old->max_latency_ms + options_.timer_slack_ms, old->id, "MQTT-3.1.4-3",
                            "the server closes the taken-over connection", idx, kTakeoverClose, 0, 0});
    }
  }
}

void Walker::on_client_close(std::size_t idx, Conn& c, const std::string& how) {
  if (c.client_closed || c.peer_closed) return;
  c.client_closed = true;
  c.close_how = how;
  c.close_idx = idx;
  c.close_ms = ev_[idx].time_ms;
  if (c.ended) return;  // the broker's close was already placed (early_close)
  // The broker learns of the close after the bytes in flight (latency, partition). It may also
  // have closed first itself, unseen yet, if notice of that was still on the wire.
  const std::uint64_t t = c.close_ms;
  c.broker_close_lo_ms = earliest_broker_close_ms(c, t);
  const bool early_possible = c.broker_close_lo_ms < t;
  c.broker_close_hi_ms = c.held ? kForeverMs : (how == "reset" ? t : t + c.max_latency_ms);
  const std::size_t lo_at = first_idx_at_or_after(c.broker_close_lo_ms);
  c.broker_close_lo_idx = (c.held || c.max_latency_ms > 0 || early_possible) ? (lo_at == 0 || lo_at == kNever ? 0 : lo_at - 1) : idx;
  c.broker_close_hi_idx = c.broker_close_hi_ms >= kForeverMs ? kNever : first_idx_after(c.broker_close_hi_ms);
  end_connection(idx, c, false);
}

void Walker::on_peer_close(std::size_t idx, Conn& c, bool defer_check) {
  if (c.client_closed || c.peer_closed) return;
  c.peer_closed = true;
  c.peer_close_idx = idx;
  c.peer_close_ms = ev_[idx].time_ms;
  if (c.ended) return;  // the broker's close was already placed (early_close)
  const std::uint64_t t = c.peer_close_ms;
  c.broker_close_hi_ms = t;
  c.broker_close_hi_idx = idx;
  c.broker_close_lo_ms = earliest_broker_close_ms(c, t);
  const std::size_t lo_at = first_idx_at_or_after(c.broker_close_lo_ms);
  c.broker_close_lo_idx = lo_at == 0 || lo_at == kNever ? 0 : lo_at - 1;
  // Placed early (early_close): what explains the close (a takeover, a server DISCONNECT) may
  // still be ahead in the trace, so it is judged when the walk reaches the close itself.
  if (defer_check) c.deferred_close_check = idx;
  else if (!c.server_disconnect) check_server_close(idx, c);
  end_connection(idx, c, true);
}

// The earliest the broker may have closed `c`, which its client noticed (or caused) at `seen_ms`:
// a slow or held link hides a close, and keepalive may have cut a silent or held connection.
std::uint64_t Walker::earliest_broker_close_ms(const Conn& c, std::uint64_t seen_ms) const {
  std::uint64_t lo_ms = seen_ms >= c.max_latency_ms ? seen_ms - c.max_latency_ms : 0;
  if (c.ever_held) lo_ms = std::min(lo_ms, c.first_hold_ms);
  if (c.keepalive_s > 0 && c.accepted && (c.ever_held || c.ever_latency)) {
    std::uint64_t last_read_ms = 0;
    for (std::uint64_t d : c.sure_recv_ms) last_read_ms = std::max(last_read_ms, d);
    lo_ms = std::min(lo_ms, last_read_ms + std::uint64_t{c.keepalive_s} * kKeepaliveEarliestCloseMsPerS);
  }
  return lo_ms;
}

// Evidence that the broker may already have closed `c` (a will of it arrived): when the close
// shows on the client's side in this same instant (or after a latency or partition), apply it now.
bool Walker::early_close(std::size_t idx, Conn& c) {
  if (!c.open() || c.ended) return false;
  const auto it = future_peer_close_.find(c.id);
  const std::uint64_t now = ev_[idx].time_ms;
  if (it != future_peer_close_.end() && it->second > idx && (c.held || ev_[it->second].time_ms <= now + c.max_latency_ms)) {
    on_peer_close(it->second, c, true);
    count("close.seen_late");
    return true;
  }
  // A takeover, a Protocol Error the broker has read, or keepalive on a held link, may have
  // closed it with no sign yet on its side.
  std::uint64_t lo_ms = kForeverMs;
  if (c.takeover_idx != kNever && c.takeover_idx < idx) lo_ms = time_of(c.takeover_idx);
  if (c.protocol_error && c.protocol_error_readable_ms <= now) lo_ms = std::min(lo_ms, c.protocol_error_readable_ms);
  if (c.held && c.keepalive_s > 0 && c.accepted) {
    std::uint64_t last_read_ms = 0;
    for (std::uint64_t d : c.sure_recv_ms) last_read_ms = std::max(last_read_ms, d);
    const std::uint64_t ka_ms = last_read_ms + std::uint64_t{c.keepalive_s} * kKeepaliveEarliestCloseMsPerS;
    if (ka_ms <= now) lo_ms = std::min(lo_ms, ka_ms);
  }
  if (lo_ms >= kForeverMs) return false;
  c.broker_close_lo_ms = lo_ms;
  c.broker_close_hi_ms = now;
  c.broker_close_lo_idx = lo_idx_from_ms(lo_ms);
  c.broker_close_hi_idx = idx;
  end_connection(idx, c, true);
  count("close.unseen");
  return true;
}

void Walker::widen_close(Conn& c) {
  c.broker_close_hi_ms = kForeverMs;
  c.broker_close_hi_idx = kNever;
  count("close.held_on_wire");
  if (c.session != kNever) {
    Session& s = sessions_[c.session];
    if (s.conn == 0 && !s.conns.empty() && s.conns.back() == c.id && !s.ended) s.end_hi = kNever;
  }
  for (Msg& m : msgs_) {
    if (!m.will || m.conn != c.id) continue;
    m.p_hi = kNever;
    m.due_ms = m.recv_hi_ms = kForeverMs;
    if (m.cancelled) {
      // The DISCONNECT may now reach the broker after it gave up on the connection.
      m.cancelled = false;
      m.questionable = true;
      m.questionable_why = "DISCONNECT held on the wire";
    }
  }
}

void Walker::on_server_disconnect(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  c.server_disconnect = true;
  c.server_disconnect_rc = p.reason_code;
  c.server_disconnect_idx = idx;
  count("server.disconnect");
  if (mqtt::find_property(p.properties, mqtt::prop::SessionExpiryInterval)) {
    violate(idx, ev_[idx].client, "MQTT-3.14.2-2", "no Session Expiry Interval in a server's DISCONNECT", "one present");
  }
  if (p.reason_code == 0x8E && c.takeover_idx == kNever) count("server.disconnect.takeover_unexplained");
  check_server_close(idx, c);
  deadlines_.push_back({ev_[idx].time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-3.14.4-2",
                        "the server closes the connection after its DISCONNECT", idx, kCloseAfter, 0, 0});
}

// A close that keepalive cannot explain, while the broker owed PUBREC for a QoS 2 PUBLISH the
// client repeated on the same connection before releasing it: the close is the broker's answer
// to that repeat. Under 5.0 the repeat breaks "Clients and Servers MUST NOT resend messages at
// any other time" [MQTT-4.4.0-1], which explains the close. 3.1.1 has no such rule (4.4 only says
// the reconnection is the one time a resend is REQUIRED), and its receiver "MUST acknowledge any
// subsequent PUBLISH packet with the same Packet Identifier by sending a PUBREC" until PUBREL
// [MQTT-4.3.3-2]: closing instead breaks that. Returns true when it settled the close.
// A close placed early (a will showed it first) is judged after end_connection: the requests
// still owed are then those it found.
bool Walker::resend_close(std::size_t idx, Conn& c) {
  for (const PendingRequest& r : c.ended ? c.pending_when_closed : c.pending) {
    if (r.answer != mqtt::PacketType::PUBREC || r.msg == kNever) continue;
    const Msg& m = msgs_[r.msg];
    if (m.p_lo >= r.send_idx) continue;  // not a repeat
    // Sent before on this very connection: the repeat is not the resend reconnection requires.
    const bool repeat_here = std::any_of(m.sends.begin(), m.sends.end(), [&](const std::pair<std::uint32_t, std::size_t>& send) {
      return send.first == c.id && send.second < r.send_idx;
    });
    if (!repeat_here) continue;
    if (c.version == mqtt::Version::v5) {
      count("close.after_resend");
      return true;
    }
    violate(idx, ev_[idx].client, "MQTT-4.3.3-2",
            "PUBREC for the repeated PUBLISH id=" + std::to_string(r.packet_id) +
                " (until PUBREL every PUBLISH with that Packet Identifier is acknowledged with PUBREC)",
            "the server closed the connection instead (t=" + std::to_string(ev_[idx].time_ms) + "ms)");
    return true;
  }
  return false;
}

// The broker closed `c` (or said it would). Anything the client did wrong, a takeover, a refused
// CONNECT or the broker's exit explains it; otherwise only keepalive can, and then never before
// 1 x keepalive after the last packet the broker received (kKeepaliveEarliestCloseMsPerS; [MQTT-3.1.2-22] bounds how late).
void Walker::check_server_close(std::size_t idx, Conn& c) {
  if (c.protocol_error || c.refused || c.takeover_idx != kNever || broker_exit_idx_ != kNever || c.disconnect_sent) return;
  if (c.server_disconnect && c.server_disconnect_rc != 0x8D) {
    count("server.disconnect.reason");
    return;
  }
  if (c.keepalive_s == 0) {
    if (resend_close(idx, c)) return;
    count("close.unexplained");
    return;
  }
  const std::uint64_t t = ev_[idx].time_ms;
  // Only a packet the broker surely read before it closed counts: one readable strictly before
  // the earliest moment the close can have happened (a close in the same instant may come first).
  std::uint64_t last_read_ms = 0;
  for (std::uint64_t d : c.sure_recv_ms)
    if (d + c.max_latency_ms < t) last_read_ms = std::max(last_read_ms, d);
  const std::uint64_t earliest_ms = last_read_ms + std::uint64_t{c.keepalive_s} * kKeepaliveEarliestCloseMsPerS;
  // A client silent for exactly its Keep Alive has not missed it yet (a packet every Keep Alive
  // is the most it owes): only more silence than that allows the close.
  if (t <= earliest_ms) {
    if (resend_close(idx, c)) return;
    violate(idx, ev_[idx].client, "MQTT-3.1.2-22",
            "no keepalive close before the Keep Alive (" + std::to_string(c.keepalive_s) + " s) passed without a packet received (t>=" +
                std::to_string(earliest_ms) + "ms)",
            "the server closed the connection at t=" + std::to_string(t) + "ms (" + std::to_string(earliest_ms - t) + " ms early)");
    return;
  }
  count("keepalive.expired");
}

void Walker::end_connection(std::size_t idx, Conn& c, bool by_server) {
  if (c.ended) return;
  c.ended = true;
  c.pending_at_close = !c.pending.empty();
  c.pending_when_closed = std::move(c.pending);
  c.pending.clear();
  if (!c.accepted || c.session == kNever) return;
  Session& s = sessions_[c.session];
  if (s.conn == c.id) session_offline(s, c);
  publish_will(idx, c, by_server);
}

}  // namespace mqsim::model::detail
