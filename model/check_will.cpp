// Last Will rules: when a closed connection owes its Will Message [MQTT-3.1.2-8], when it must not
// send it (DISCONNECT 0x00 [MQTT-3.14.4-3], reconnection within the Will Delay [MQTT-3.1.3-9]),
// and the window in which it may appear (after the delay, never after the session ends).
// It must never treat a takeover's will as settled when the specification's reading is open.
#include <algorithm>
#include <cassert>
#include <cstdio>

#include "model/check_state.h"

namespace mqsim::model::detail {

std::size_t Walker::lo_idx_from_ms(std::uint64_t time_ms) const {
  const std::size_t at = first_idx_at_or_after(time_ms);
  if (at == kNever) return ev_.empty() ? 0 : ev_.size() - 1;
  return at == 0 ? 0 : at - 1;
}

void Walker::publish_will(std::size_t idx, Conn& c, bool by_server) {
  (void)by_server;
  if (!c.will || !c.accepted || broker_exit_idx_ != kNever) return;
  Msg m;
  m.will = true;
  m.client = c.client;
  m.conn = c.id;
  m.publisher_id = c.client_id;
  m.topic = c.will->topic;
  m.payload = c.will->payload;
  m.qos = c.will->qos;
  m.retain = c.will->retain;
  m.props = forwarded_props(c.will->properties);
  m.expiry_s = prop_number(c.will->properties, mqtt::prop::MessageExpiryInterval);
  m.will_delay_s = c.version == mqtt::Version::v5 ? c.will_delay_s : 0;
  m.session_expiry_s = c.expiry_s;
  const bool normal = c.disconnect_sent && (c.version == mqtt::Version::v311 || c.disconnect_rc == 0);
  // The DISCONNECT may not have reached the broker (a partition, a takeover racing it).
  // So may a close that raced the broker's answers: a broker that fails to write an answer to
  // a socket the client already closed sees a broken connection before it reads DISCONNECT.
  const bool maybe_unread = c.disconnect_sent &&
                            (c.ever_held || c.protocol_error || c.takeover_idx != kNever || c.pending_at_close || c.ever_latency);
  if (normal) {
    if (maybe_unread) {
      m.questionable = true;
      m.questionable_why = "DISCONNECT 0x00 may not have been read";
    } else {
      m.cancelled = true;
      m.cancel_statement = c.version == mqtt::Version::v5 ? "MQTT-3.14.4-3" : "MQTT-3.1.2-10";
    }
  }
  // Published once the Will Delay passed or the session ended, whichever is first [MQTT-3.1.2-8].
  // A DISCONNECT that may not have been read leaves the Session Expiry it set open: the session
  // may end after the interval of the CONNECT instead (docs/mosquitto-allowances.md, 7).
  const auto delay_with = [&](std::uint32_t expiry_s) -> std::uint64_t {
    return expiry_s == kExpiryNever ? m.will_delay_s : std::min(m.will_delay_s, expiry_s);
  };
  const std::uint64_t delay_hi_s = delay_with(c.expiry_s);
  const std::uint64_t delay_s = maybe_unread ? std::min(delay_hi_s, delay_with(c.expiry_before_disconnect_s)) : delay_hi_s;
  const std::uint64_t late_s = maybe_unread ? std::max(delay_hi_s, delay_with(c.expiry_before_disconnect_s)) : delay_hi_s;
  const std::uint64_t lo_ms = c.broker_close_lo_ms + delay_s * 1000;
  m.p_lo = std::max(c.broker_close_lo_idx, lo_idx_from_ms(lo_ms));
  if (m.p_lo == kNever) m.p_lo = idx;
  m.p_hi = c.broker_close_hi_ms >= kForeverMs ? kNever
                                              : first_idx_after(c.broker_close_hi_ms + late_s * 1000 + options_.timer_slack_ms);
  m.recv_lo_ms = lo_ms;
  m.recv_hi_ms = c.broker_close_hi_ms >= kForeverMs ? kForeverMs : c.broker_close_hi_ms + late_s * 1000 + options_.timer_slack_ms;
  m.due_ms = m.recv_hi_ms;
  if (c.takeover_idx != kNever && m.will_delay_s == 0 && !m.cancelled) {
    // A takeover opens the new connection before the old one closes: whether that "new
    // Network Connection ... before the Will Delay Interval has passed" cancels a will with no
    // delay is open (docs/mosquitto-allowances.md). Either outcome is accepted.
    m.questionable = true;
    m.questionable_why = "will on takeover";
  }
  if (m.qos > config_.max_qos || (m.retain && !config_.retain_available)) {
    m.questionable = true;
    m.questionable_why = "will beyond the server's capabilities";
  }
  count(m.cancelled ? "will.discarded" : (delay_s > 0 ? "will.delayed" : "will.owed"));
  add_msg(std::move(m));
}

// How the will's connection ended, for a person reading a violation about that will: the end
// is what made the will due (a DISCONNECT with a Reason Code other than 0x00 keeps it [MQTT-3.14.4-3]).
std::string Walker::will_cause(const Msg& m) const {
  assert(m.will);
  const auto it = conns_.find(m.conn);
  if (it == conns_.end()) return "";
  const Conn& c = it->second;
  char rc[8];
  std::snprintf(rc, sizeof rc, "0x%02X", static_cast<unsigned>(c.disconnect_rc));
  if (c.disconnect_sent) return std::string("its owner ended the connection with DISCONNECT ") + rc;
  if (c.client_closed) return "its owner's connection ended without DISCONNECT (" + c.close_how + ")";
  if (c.peer_closed) return "the server closed its owner's connection";
  return "its owner's connection ended";
}

// The two intervals that decide when a will is due [MQTT-3.1.2-8], as a violation states them.
std::string Walker::will_terms(const Msg& m) const {
  assert(m.will);
  const std::string expiry = m.session_expiry_s == kExpiryNever ? "never" : std::to_string(m.session_expiry_s) + " s";
  return "Will Delay " + std::to_string(m.will_delay_s) + " s, Session Expiry " + expiry;
}

// Whether a reconnection for the will's ClientID made "before the Will Delay Interval has
// passed" forbids it [MQTT-3.1.3-9]. Judged with what the trace shows so far.
int Walker::will_cancel_state(const Msg& m) const {
  assert(m.will);
  if (m.cancelled) return 1;
  const auto wit = conns_.find(m.conn);
  if (wit == conns_.end()) return 0;
  const Conn& wc = wit->second;
  int state = 0;
  for (const auto& [id, o] : conns_) {
    if (id == m.conn || o.client_id != m.publisher_id || o.connect_idx == kNever || o.connect_idx < wc.connect_idx) continue;
    if (o.refused) continue;
    const bool takeover = wc.takeover_idx != kNever && o.connect_idx <= wc.takeover_idx;
    if (takeover) {
      if (m.will_delay_s == 0) state = -1;
      else if (o.accepted) return 1;
      else state = -1;
      continue;
    }
    if (o.connect_idx >= m.p_hi) continue;            // surely after the will went out
    if (m.will_delay_s == 0 && wc.broker_close_hi_idx != kNever && o.connect_idx >= wc.broker_close_hi_idx) continue;
    if (m.will_delay_s > 0 && o.accepted && o.connack_idx <= m.p_lo) return 1;
    state = -1;
  }
  return state;
}

}  // namespace mqsim::model::detail
