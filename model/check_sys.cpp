// $SYS messages: only through a subscription that names $SYS (never a leading wildcard
// [MQTT-4.7.2-1]), and $SYS/broker/clients/connected and .../total equal to the true counts at
// the tick, within the uncertainty of when the tick happened (mosquitto(8) documents these
// topics; the statement ids "SYS-clients-*" name that documentation, not OASIS text).
// It must never count a client as surely connected while the trace leaves doubt.
#include <algorithm>
#include <cassert>
#include <charconv>

#include "model/check_state.h"
#include "trace/mqtt/topic.h"

namespace mqsim::model::detail {

namespace {

struct Bounds {
  std::uint64_t lo = 0, hi = 0;
};

}  // namespace

void Walker::on_sys_publish(std::size_t idx, Conn& c, const mqtt::Packet& p, bool retained_offer) {
  const Event& e = ev_[idx];
  const Session& s = sessions_[c.session];
  bool matched = false, dollar_wildcard = false;
  for (std::size_t si : s.subs) {
    const Sub& sub = subs_[si];
    if (sub.failed() || sub.add_lo >= idx) continue;
    if (mqtt::topic_matches(sub.match_filter, p.topic)) matched = true;
    else if (!sub.match_filter.empty() && (sub.match_filter[0] == '#' || sub.match_filter[0] == '+')) dollar_wildcard = true;
  }
  if (!matched) {
    if (s.unknown_subs) return;
    violate(idx, e.client, dollar_wildcard ? "MQTT-4.7.2-1" : "MQTT-3.3.2-3",
            dollar_wildcard ? "no $SYS topic through a filter starting with a wildcard" : "only topics matching the session's subscriptions",
            "PUBLISH topic=\"" + p.topic + "\"");
    return;
  }
  count("sys.tick");
  const bool connected = p.topic == "$SYS/broker/clients/connected";
  const bool total = p.topic == "$SYS/broker/clients/total";
  if (!connected && !total) return;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(p.payload.data(), p.payload.data() + p.payload.size(), value);
  if (ec != std::errc{} || end != p.payload.data() + p.payload.size()) return;
  // When was the value taken? Just before the client read it (its latency earlier), or - for a
  // retained copy sent on subscribing - up to one interval before that.
  const std::uint64_t stale_ms = retained_offer ? std::uint64_t{config_.sys_interval_s} * 1000 : 0;
  const std::uint64_t back_ms = c.max_latency_ms + stale_ms + 1000 + (c.ever_held ? e.time_ms : 0);
  std::uint64_t a = e.time_ms > back_ms ? e.time_ms - back_ms : 0;
  // A value may have waited in the session's queue (flow control, offline): it was taken no
  // earlier than just after the previous copy of this topic reached the session.
  // Copies queued while the session was offline come in a burst on the next connection: each
  // may have been taken any time after the last copy that reached an earlier connection.
  auto& seen = sys_seen_[{c.session, p.topic}];
  if (seen.conn != c.id) {
    seen.before_conn_ms = seen.last_ms;
    seen.conn = c.id;
  }
  if (p.qos > 0 || s.conns.size() > 1) a = std::min(a, std::min(seen.last_ms, seen.before_conn_ms));
  seen.last_ms = e.time_ms;
  const std::uint64_t b = e.time_ms;
  Bounds n;
  std::set<std::string> possible_ids;
  for (const auto& [id, x] : conns_) {
    if (x.connect_idx == kNever) continue;
    const std::uint64_t poss_start = time_of(x.connect_idx);
    const std::uint64_t poss_end = x.ended ? x.broker_close_hi_ms : kForeverMs;
    if (poss_start > b || poss_end < a || x.refused) continue;
    ++n.hi;
    if (!x.client_id.empty()) possible_ids.insert(x.client_id);
    const bool sure_start = x.accepted && x.connack_ms < a;
    const bool doubt = x.ever_held || x.takeover_idx != kNever || x.protocol_error;
    const std::uint64_t sure_end = x.ended ? x.broker_close_lo_ms : kForeverMs;
    if (sure_start && !doubt && sure_end > b) ++n.lo;
  }
  if (total) {
    // Connected clients plus sessions that outlive their connection; only the bounds matter.
    for (const Session& ss : sessions_) {
      const bool alive_maybe = ss.end_hi == kNever || time_of(ss.end_hi) >= a;
      if (alive_maybe && !possible_ids.count(ss.client_id)) {
        ++n.hi;
        possible_ids.insert(ss.client_id);
      } else if (alive_maybe) {
        ++n.hi;  // an offline session and a connection of the same id may both be counted
      }
    }
  }
  if (value < n.lo || value > n.hi) {
    violate(idx, e.client, connected ? "SYS-clients-connected" : "SYS-clients-total",
            "a count between " + std::to_string(n.lo) + " and " + std::to_string(n.hi) + " (the clients " +
                (connected ? "connected" : "connected or with a session") + " around t=" + std::to_string(b) + "ms)",
            p.payload);
  }
}

}  // namespace mqsim::model::detail
