// Obligations judged once the whole trace is known: messages owed to sessions that are
// connected at the end [MQTT-4.5.0-1], wills owed [MQTT-3.1.2-8], retained messages a new
// subscription must get [MQTT-3.3.1-9/10, 3.8.4-4], resends on session resumption [MQTT-4.4.0-1],
// and $share groups that lost a message.
// It must never demand what flow control, queue limits, expiry or a faulty link excuse: an
// obligation is only judged on a connection that stayed usable long enough (timer slack).
#include <algorithm>
#include <cassert>
#include <set>

#include "model/check_state.h"
#include "trace/mqtt/topic.h"

namespace mqsim::model::detail {

namespace {
// Says when the publisher was a 3.1.1 client with other QoS 1/2 messages unfinished: a server
// that limits in-flight messages cannot tell such a client "quota exceeded" (no reason codes in
// 3.1.1), which is the likeliest reason an acknowledged message went missing.
std::string pressure_note_for(const Msg& m, const Conn* publisher) {
  if (!m.under_pressure || m.qos == 0 || publisher == nullptr || publisher->version != mqtt::Version::v311) return "";
  return " (acknowledged while its 3.1.1 publisher had other QoS 1/2 messages in flight)";
}
}  // namespace

std::string Walker::pressure_note(const Msg& m) { return pressure_note_for(m, find_conn(m.conn)); }

namespace {

std::size_t window_limit(const Conn& c, const BrokerConfig& config) {
  std::size_t limit = c.version == mqtt::Version::v5 ? c.receive_max : 65535;
  if (config.max_inflight_messages > 0) limit = std::min<std::size_t>(limit, config.max_inflight_messages);
  return limit;
}

std::size_t unfinished(const Session& s) {
  std::size_t n = 0;
  for (const auto& [pid, o] : s.inflight)
    if ((o.qos == 1 && o.state == OutState::AwaitAck) || (o.qos == 2 && o.state != OutState::CompSent && !o.pubrec_failed)) ++n;
  return n;
}

}  // namespace

void Walker::finish() {
  if (ev_.empty()) return;
  // A message published on a quiet, accepted connection is taken by the broker at once: with no
  // latency and no partition the broker reads it in the same instant it was written.
  for (Msg& m : msgs_) {
    if (m.p_hi != kNever || m.will || m.qos == 2) continue;  // QoS 2: proven by PUBCOMP only
    const Conn* c = find_conn(m.conn);
    if (!c || !c->accepted || c->protocol_error || !link_quiet(*c)) continue;
    if (c->client_closed && c->close_how == "reset" && c->close_ms == time_of(m.p_lo)) continue;
    if (c->peer_closed && c->peer_close_idx < m.p_lo) continue;
    m.p_hi = first_idx_after(time_of(m.p_lo));
  }
  check_owed_messages();
  check_owed_retained();
  check_resends();
}

// The session is attached to a connection that stayed usable: obligations can be judged.
static const Conn* usable_conn(const Walker& w, const Session& s) {
  if (s.ended || s.conn == 0 || w.broker_exit_idx_ != kNever) return nullptr;
  const auto it = w.conns_.find(s.conn);
  if (it == w.conns_.end()) return nullptr;
  const Conn& c = it->second;
  if (!c.open() || c.held || c.protocol_error || !c.accepted) return nullptr;
  if (!w.options_.liveness && c.ever_held) return nullptr;
  return &c;
}

// Messages that may still wait in `s`'s queue for something that reached the broker in
// (lo_idx, hi_idx): every copy (one per matching subscription) of a message that could have
// been routed to `s` before hi_idx and was not delivered before lo_idx (an over-estimate of the
// queue, so drops are excused generously).
// $SYS messages the session subscribed to fill the same queue, unseen by the model.
Walker::QueueLoad Walker::queue_load(const Session& s, std::size_t exclude_msg, std::size_t lo_idx, std::size_t hi_idx) const {
  QueueLoad load;
  for (const Msg& m2 : msgs_) {
    if (m2.id == exclude_msg || m2.sys || !(m2.p_lo < hi_idx)) continue;
    if (!std::any_of(s.subs.begin(), s.subs.end(), [&](std::size_t k) { return possibly_matching(subs_[k], m2, hi_idx); })) continue;
    // Each matching subscription may queue its own copy [MQTT-3.3.4-2]: one copy delivered
    // early leaves the others waiting.
    const std::size_t early_done = static_cast<std::size_t>(std::count_if(s.deliveries.begin(), s.deliveries.end(), [&](const Delivery& d) {
      return d.msg == m2.id && d.recv_idx < lo_idx;
    }));
    const std::size_t copies = allowed_copies(s, m2, hi_idx);
    if (copies <= early_done) continue;
    load.messages += copies - early_done;
    load.bytes += (copies - early_done) * m2.payload.size();
  }
  // Retained copies a subscription made before brought are queued like any other message: those
  // that reached the client only after `lo_idx` were waiting (or in flight) then.
  for (const Delivery& d : s.deliveries) {
    if (!d.retained_offer || d.offer == kNever || d.msg == exclude_msg || d.recv_idx < lo_idx) continue;
    if (offers_[d.offer].subscribe_idx >= std::min(hi_idx, d.recv_idx)) continue;
    load.messages += 1;
    load.bytes += msgs_[d.msg].payload.size();
  }
  load.sys = std::any_of(s.subs.begin(), s.subs.end(), [&](std::size_t k) { return subs_[k].match_filter.rfind("$SYS", 0) == 0; });
  return load;
}

// Queue limits (max_queued_messages / max_queued_bytes) let a QoS 1/2 message for `s` go only
// when the session's queue was possibly full when the message came.
// `own_ahead`: copies of `m` itself, for other subscriptions, that the session got and that may
// have been queued before the one judged (a server sending one copy per matching subscription,
// [MQTT-3.3.4-2] and the MAY after it, queues each as a message).
bool Walker::queue_full_for(const Session& s, const Msg& m, std::size_t own_ahead) const {
  if (config_.max_queued_messages == 0 && config_.max_queued_bytes == 0) return false;
  QueueLoad load = queue_load(s, m.id, m.p_lo, m.p_hi);
  load.messages += own_ahead;
  load.bytes += own_ahead * m.payload.size();
  if (config_.max_queued_messages > 0 && (load.messages >= config_.max_queued_messages || load.sys)) return true;
  return config_.max_queued_bytes > 0 && load.bytes + m.payload.size() > config_.max_queued_bytes;
}

void Walker::check_owed_messages() {
  const std::uint64_t end_ms = ev_.back().time_ms;
  for (std::size_t si = 0; si < sessions_.size(); ++si) {
    Session& s = sessions_[si];
    const Conn* c = usable_conn(*this, s);
    if (!c) continue;
    if (unfinished(s) >= window_limit(*c, config_)) {
      count("owed.blocked_by_flow_control");
      continue;
    }
    // The subscription through which `m` is owed to `s`, if any (before the excuses below).
    auto owed_through = [&](const Msg& m) -> const Sub* {
      if (m.questionable || m.p_hi == kNever || m.sys || (broker_exit_idx_ != kNever && broker_exit_idx_ < m.p_hi)) return nullptr;
      if (m.will && will_cancel_state(m) != 0) return nullptr;
      const Sub* owed = nullptr;
      for (std::size_t sub_i : s.subs) {
        const Sub& sub = subs_[sub_i];
        if (!sub.group.empty() || sub.failed() || sub.add_hi == kNever || sub.add_hi > m.p_lo) continue;
        if (m.p_hi > std::min(sub.del_lo, s.end_lo) || !mqtt::topic_matches(sub.match_filter, m.topic)) continue;
        if (sub.opts.no_local && m.publisher_id == s.client_id) continue;  // a will too: its owner published it
        if (!owed || sub.granted > owed->granted) owed = &sub;
      }
      return owed;
    };
    // Whatever excuses a missing copy of `m` (not yet ready, expired, QoS 0 under pressure, a
    // full queue). `counting`: count the excuse (once, for the message being judged).
    // `own_ahead`: lower copies of `m` the session got, which may have filled its queue first.
    auto excused = [&](const Msg& m, const Sub* owed, bool counting, std::size_t own_ahead = 0) -> bool {
      const std::uint64_t ready_ms = m.will ? std::max(m.due_ms, c->connack_ms + options_.timer_slack_ms) + 2ull * c->max_latency_ms
                                            : std::max(time_of(m.p_hi), c->connack_ms) + options_.timer_slack_ms + 2ull * c->max_latency_ms;
      if (ready_ms >= end_ms) return true;
      if (m.expiry_s && end_ms >= m.recv_lo_ms + std::uint64_t{*m.expiry_s} * 1000) {
        if (counting) count("message.expired");
        return true;
      }
      if (c->max_packet_size > 0 && m.topic.size() + m.payload.size() + 16 > c->max_packet_size) return true;
      const int q = std::min<int>(m.qos, owed->granted);
      const bool online_at_publish = c->connack_idx < m.p_lo;
      if (q == 0 && (!options_.qos0_when_idle || !online_at_publish || !link_quiet(*c) || s.pressure_seen || m.under_pressure)) return true;
      if (queue_full_for(s, m, own_ahead)) {
        if (counting) count(own_ahead > 0 ? "owed.dropped_queue_full_behind_own_copy" : "owed.dropped_queue_full");
        return true;
      }
      return false;
    };
    std::set<std::size_t> reassigned;   // deliveries that stood for an identical message
    for (const Msg& m : msgs_) {
      const Sub* owed = owed_through(m);
      if (!owed) continue;
      // The copy owed is one at the maximum QoS of the matching subscriptions [MQTT-3.3.5-1]
      // (5.0: [MQTT-3.3.4-2]); further copies, one per other subscription at its QoS, MAY come.
      const int q_owed = std::min<int>(m.qos, owed->granted);
      int got_qos = -1;  // the highest QoS of a copy of m this session got (-1: none)
      std::size_t got_live = 0;  // live copies of m the session got (each below q_owed past here)
      for (const Delivery& d : s.deliveries) {
        if (d.msg != m.id) continue;
        got_qos = std::max<int>(got_qos, d.qos);
        if (!d.retained_offer) ++got_live;
      }
      if (got_qos < 0 && s.copies.count(m.id) > 0) got_qos = q_owed;  // counted, not listed: trust it
      if (got_qos >= q_owed) continue;
      // The copies that came may have filled the queue before the one owed (seed 27293:
      // max_queued_messages 1, the a/b QoS 1 copy queued, the a/+ QoS 2 copy dropped).
      if (excused(m, owed, true, got_live)) continue;
      // Two messages alike (topic, payload) and one copy: the model gave the copy to one of them
      // when it came; it may as well have been this one, if the other is not owed.
      bool swapped = false;
      for (std::size_t di = 0; di < s.deliveries.size() && !swapped; ++di) {
        const Delivery& d = s.deliveries[di];
        if (d.msg == kNever || d.msg == m.id || d.retained_offer || reassigned.count(di) || d.recv_idx <= m.p_lo) continue;
        const Msg& m2 = msgs_[d.msg];
        if (m2.topic != m.topic || m2.payload != m.payload) continue;
        const Sub* owed2 = owed_through(m2);
        if (owed2 && !excused(m2, owed2, false)) continue;
        const Event& de = ev_[d.recv_idx];
        const Conn* dc = find_conn(de.conn);
        if (!dc || !de.packet || d.qos < q_owed) continue;
        for (std::size_t sub_i : s.subs) {
          if (judge_live(d.recv_idx, *dc, s, *de.packet, m.id, sub_i).ok) {
            swapped = true;
            break;
          }
        }
        if (swapped) reassigned.insert(di);
      }
      if (swapped) {
        count("owed.identical_copy_reassigned");
        continue;
      }
      const std::uint64_t ready_ms = m.will ? std::max(m.due_ms, c->connack_ms + options_.timer_slack_ms) + 2ull * c->max_latency_ms
                                            : std::max(time_of(m.p_hi), c->connack_ms) + options_.timer_slack_ms + 2ull * c->max_latency_ms;
      const int q = std::min<int>(m.qos, owed->granted);
      const std::size_t at = std::min(first_idx_after(ready_ms), ev_.size() - 1);
      // A stale No Local kept from a replaced subscription explains a missing own message.
      bool stale_no_local = false;
      for (std::size_t old = owed->replaces, guard = 0; old != kNever && guard < subs_.size(); old = subs_[old].replaces, ++guard)
        if (subs_[old].opts.no_local && m.publisher_id == s.client_id) stale_no_local = true;
      if (stale_no_local) {
        violate(at, s.client, "MQTT-3.8.4-3", "the re-subscription to " + owed->filter + " replaces the old options (No Local 0)",
                "its own message never delivered, as the old subscription (No Local 1) would do");
        continue;
      }
      // A copy alike, given to another message, that would be this one's but for an option a
      // replaced subscription had (Retain As Published): the re-subscription is the cause.
      std::string stale;
      for (std::size_t di = 0; di < s.deliveries.size() && stale.empty(); ++di) {
        const Delivery& d = s.deliveries[di];
        if (d.msg == m.id || d.recv_idx <= m.p_lo) continue;
        const Event& de = ev_[d.recv_idx];
        const Conn* dc = find_conn(de.conn);
        if (!dc || !de.packet || de.packet->topic != m.topic || de.packet->payload != m.payload) continue;
        for (std::size_t sub_i : s.subs) {
          const Judgement jj = judge_live(d.recv_idx, *dc, s, *de.packet, m.id, sub_i);
          if (jj.statement != "MQTT-3.8.4-3") continue;
          violate(at, s.client, "MQTT-3.8.4-3", jj.expected,
                  jj.seen + " (the copy at t=" + std::to_string(de.time_ms) + "ms; the message on \"" + m.topic + "\" is otherwise never delivered)");
          stale = jj.statement;
          break;
        }
      }
      if (!stale.empty()) continue;
      // Copies came, only below the QoS owed (after the stale-options causes above, which explain
      // a missing copy too: seed 7279, a re-subscription that kept No Local 1).
      if (got_qos >= 0) {
        report_lower_qos_only(s, m, *owed, got_qos);
        continue;
      }
      if (const std::size_t back = owner_back_within_delay(m); back != kNever) {
        violate(at, s.client, "MQTT-3.1.2-8",
                "the Will Message of " + m.publisher_id + " published once its delay passed or its session ended (" + will_terms(m) + ", by t=" +
                    std::to_string(m.due_ms) + "ms), delivered through " + owed->filter,
                "never published: its owner reconnected at t=" + std::to_string(time_of(back)) + "ms, within the Will Delay (" +
                    std::to_string(m.will_delay_s) + " s) but after the session had ended");
        continue;
      }
      violate(at, s.client, m.will ? "MQTT-3.1.2-8" : "MQTT-4.5.0-1",
              std::string(m.will ? "the Will Message of " + m.publisher_id : "message") + " on \"" + m.topic + "\" payload \"" + m.payload +
                  "\" (QoS " + std::to_string(q) + ") delivered through " + owed->filter,
              "never delivered to " + s.client_id + missing_note(s, m) + (m.will ? "" : overlap_note(s, m, *owed)));
    }
  }
  // $share groups: a message owed to a group reaches one member, unless every member could
  // have been chosen while it could not take it.
  for (const Msg& m : msgs_) {
    if (m.questionable || m.p_hi == kNever || m.sys || (m.will && will_cancel_state(m) != 0)) continue;
    if (broker_exit_idx_ != kNever && broker_exit_idx_ < m.p_hi) continue;
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t k = 0; k < subs_.size(); ++k) {
      const Sub& sub = subs_[k];
      if (sub.group.empty() || sub.session == kNever || !possibly_matching(sub, m, kNever)) continue;
      groups[sub.group + "/" + sub.match_filter].push_back(k);
    }
    for (const auto& [key, members] : groups) {
      if (shared_picks_.count({m.id, key})) continue;
      // One copy per session may serve overlapping subscriptions [MQTT-3.3.4-2]: a member that
      // got the message through any of its subscriptions has it.
      const bool member_got = std::any_of(members.begin(), members.end(), [&](std::size_t k) {
        const auto& ds = sessions_[subs_[k].session].deliveries;
        return std::any_of(ds.begin(), ds.end(), [&](const Delivery& d) { return d.msg == m.id; });
      });
      if (member_got) continue;
      bool sure = false, all_ready = true;
      int q = 0;
      std::string note;
      for (std::size_t k : members) {
        const Sub& sub = subs_[k];
        const Session& s = sessions_[sub.session];
        if (note.empty()) note = expired_ahead_note(s, m.p_hi);
        if (sub.add_hi != kNever && sub.add_hi <= m.p_lo && m.p_hi <= std::min(sub.del_lo, s.end_lo)) sure = true;
        q = std::max(q, std::min<int>(m.qos, std::max(sub.granted, 0)));
        const Conn* c = usable_conn(*this, s);
        if (!c || c->connack_idx > m.p_lo || unfinished(s) >= window_limit(*c, config_) || !link_quiet(*c)) all_ready = false;
        if (c && std::max(time_of(m.p_hi), c->connack_ms) + options_.timer_slack_ms >= ev_.back().time_ms) all_ready = false;
        if (sub.opts.no_local && m.publisher_id == s.client_id) all_ready = false;
        // A member whose queue was full when the message came may have been chosen and dropped it.
        if (queue_full_for(s, m)) all_ready = false;
      }
      if (!sure || !all_ready || q == 0) continue;  // QoS 0 to a group: at most once, never owed
      if (m.expiry_s) continue;
      if (m.will) {  // a will no member got was never published: the will's rule, as for a non-shared subscriber
        violate(ev_.size() - 1, 0, "MQTT-3.1.2-8", "the Will Message of " + m.publisher_id + " on \"" + m.topic + "\" delivered to one member of " + key,
                "no member got it (" + will_cause(m) + ")");
        continue;
      }
      if (note.empty()) note = ended_member_note(key, m);
      violate(ev_.size() - 1, 0, "MQTT-4.5.0-1", "message on \"" + m.topic + "\" delivered to one member of " + key, "no member got it" + (pressure_note(m).empty() ? note : pressure_note(m)));
    }
  }
}

// The retained messages one SUBSCRIBE brings reach the session's queue at once: with a queue
// limit (max_queued_messages / max_queued_bytes) the others may have filled it, so this one may
// be dropped as a live message would be. Counts every retained message any subscription of
// that SUBSCRIBE may get (an over-estimate, so drops are excused generously).
bool Walker::retained_queue_full(const RetainedOffer& o, std::size_t msg_id) {
  if (config_.max_queued_messages == 0 && config_.max_queued_bytes == 0) return false;
  const std::size_t session = subs_[o.sub].session;
  const QueueLoad live = queue_load(sessions_[session], kNever, o.subscribe_idx, subs_[o.sub].add_hi);
  std::size_t others = live.messages;
  std::uint64_t bytes = live.bytes;
  if (live.sys && config_.max_queued_messages > 0) return true;
  for (const RetainedOffer& o2 : offers_) {
    const Sub& sub2 = subs_[o2.sub];
    if (o2.subscribe_idx != o.subscribe_idx || sub2.session != session || !o2.forbidden.empty()) continue;
    std::vector<std::size_t> possible, required;
    retained_candidates(sub2.match_filter, sub2, o2.subscribe_idx, sub2.add_hi, possible, required);
    for (std::size_t id : possible) {
      if (&o2 == &o && id == msg_id) continue;
      ++others;
      bytes += msgs_[id].payload.size();
    }
  }
  if (config_.max_queued_messages > 0 && others >= config_.max_queued_messages) return true;
  return config_.max_queued_bytes > 0 && bytes + msgs_[msg_id].payload.size() > config_.max_queued_bytes;
}

// Says when a QoS 1/2 message that may have waited in `s`'s queue ahead of something owed (routed
// before `before_idx`) expired there undelivered: a server that drops an expired message from
// its in-flight window without moving its queue on strands what waits behind it, which is the
// likeliest reason an owed message never came, unless it was lost on its way in (pressure_note,
// the more specific reason: said instead). Words only: it excuses nothing.
// Words on why an owed message `m` may be missing from session `s`, for the person reading (and
// for props/known-deviations to match): never an excuse. A will says how its connection ended.
std::string Walker::missing_note(const Session& s, const Msg& m) {
  if (m.will) return " (" + will_cause(m) + ")" + expired_ahead_note(s, m.p_hi);
  std::string note = pressure_note(m);
  if (note.empty()) note = expired_ahead_note(s, m.p_hi);
  if (note.empty()) note = inflight_offline_note(s, m);
  return note;
}

// A message that reached a session while it was offline with QoS 1/2 copies in flight to it,
// unacknowledged: a server that counts those against its queue limit (Mosquitto documents
// max_queued_messages as the queue *above* the messages in flight) may drop it as if the queue
// were full.
std::string Walker::inflight_offline_note(const Session& s, const Msg& m) const {
  if (m.p_lo >= ev_.size()) return "";
  for (std::uint32_t conn_id : s.conns) {
    const auto it = conns_.find(conn_id);
    if (it == conns_.end() || !it->second.accepted || it->second.connack_idx > m.p_lo) continue;
    const std::size_t closed_idx = std::min(it->second.close_idx, it->second.peer_close_idx);
    if (closed_idx == kNever || closed_idx > m.p_lo) return "";   // (maybe) online when it arrived
  }
  std::size_t unacked = 0;
  for (const Delivery& d : s.deliveries) {
    if (d.qos == 0 || d.recv_idx >= m.p_lo || !ev_[d.recv_idx].packet) continue;
    const Event& copy = ev_[d.recv_idx];
    const mqtt::PacketType done = d.qos == 1 ? mqtt::PacketType::PUBACK : mqtt::PacketType::PUBCOMP;
    bool acked = false;
    for (std::size_t i = d.recv_idx + 1; i < m.p_lo && !acked; ++i) {
      const Event& e = ev_[i];
      acked = e.kind == EventKind::Send && e.client == copy.client && e.packet && e.packet->type == done &&
              e.packet->packet_id == copy.packet->packet_id;
    }
    if (!acked) ++unacked;
  }
  if (unacked == 0) return "";
  return " (it reached the offline session while " + std::to_string(unacked) + " QoS 1/2 message" + (unacked > 1 ? "s" : "") + " to it " +
         (unacked > 1 ? "were" : "was") + " in flight, unacknowledged)";
}

std::string Walker::expired_ahead_note(const Session& s, std::size_t before_idx) {
  const std::string live = expired_live_ahead(s, before_idx);
  return live.empty() ? expired_retained_ahead(s, before_idx) : live;
}

// A retained copy a SUBSCRIBE of `s` made before `before_idx` queued (at QoS 1/2), never sent,
// whose message expired by the end. The copy is its own queue entry: the same message delivered
// live earlier does not make it delivered.
std::string Walker::expired_retained_ahead(const Session& s, std::size_t before_idx) {
  const std::uint64_t end_ms = ev_.back().time_ms;
  for (std::size_t k : s.offers) {
    const RetainedOffer& o2 = offers_[k];
    const Sub& sub2 = subs_[o2.sub];
    if (!o2.forbidden.empty() || sub2.add_hi == kNever || o2.subscribe_idx >= before_idx) continue;
    if (sub2.granted <= 0 || sub2.granted >= 0x80) continue;
    std::vector<std::size_t> possible, required;
    retained_candidates(sub2.match_filter, sub2, o2.subscribe_idx, sub2.add_hi, possible, required);
    for (std::size_t id : possible) {
      const Msg& m2 = msgs_[id];
      const int q = std::min<int>(m2.qos, sub2.granted);
      if (q == 0 || !m2.expiry_s || o2.delivered.count(id)) continue;
      if (end_ms < m2.recv_lo_ms + std::uint64_t{*m2.expiry_s} * 1000) continue;  // not expired by the end
      return " (a retained QoS " + std::to_string(q) + " message on \"" + m2.topic + "\" queued ahead of it expired undelivered)";
    }
  }
  return "";
}

// A live QoS 1/2 message routed to `s` before `before_idx`, never delivered to it, expired by the end.
std::string Walker::expired_live_ahead(const Session& s, std::size_t before_idx) const {
  const std::uint64_t end_ms = ev_.back().time_ms;
  for (const Msg& m2 : msgs_) {
    if (m2.sys || m2.qos == 0 || !m2.expiry_s || !(m2.p_lo < before_idx)) continue;
    if (end_ms < m2.recv_lo_ms + std::uint64_t{*m2.expiry_s} * 1000) continue;  // not expired by the end
    const bool delivered = std::any_of(s.deliveries.begin(), s.deliveries.end(), [&](const Delivery& d) { return d.msg == m2.id; });
    if (delivered) continue;
    const bool queued = std::any_of(s.subs.begin(), s.subs.end(), [&](std::size_t k) {
      return subs_[k].granted > 0 && subs_[k].granted < 0x80 && possibly_matching(subs_[k], m2, before_idx);
    });
    if (queued) return " (a QoS " + std::to_string(m2.qos) + " message on \"" + m2.topic + "\" queued ahead of it expired undelivered)";
  }
  return "";
}

// `s` got copies of `m` only below the QoS owed through `owed`, the matching subscription of
// the highest QoS: the server MUST deliver it "respecting the maximum QoS of all the matching
// subscriptions" [MQTT-3.3.5-1] (5.0: [MQTT-3.3.4-2]). Names a lower subscription that explains
// the copies seen.
void Walker::report_lower_qos_only(const Session& s, const Msg& m, const Sub& owed, int got_qos) {
  const int q = std::min<int>(m.qos, owed.granted);
  assert(got_qos >= 0 && got_qos < q);
  std::string lower;
  for (std::size_t sub_i : s.subs) {
    const Sub& sub = subs_[sub_i];
    if (&sub == &owed || sub.failed() || sub.granted < 0 || !mqtt::topic_matches(sub.match_filter, m.topic)) continue;
    if (std::min<int>(m.qos, sub.granted) == got_qos) {
      lower = sub.filter;
      break;
    }
  }
  const std::uint64_t ready_ms = m.will ? m.due_ms : time_of(m.p_hi);
  const std::size_t at = std::min(first_idx_after(ready_ms + options_.timer_slack_ms), ev_.size() - 1);
  violate(at, s.client, s.version == mqtt::Version::v5 ? "MQTT-3.3.4-2" : "MQTT-3.3.5-1",
          std::string(m.will ? "the Will Message of " + m.publisher_id : "message") + " on \"" + m.topic + "\" payload \"" + m.payload +
              "\" delivered at QoS " + std::to_string(q) + ", the maximum QoS of the matching subscriptions (" + owed.filter + " granted " +
              std::to_string(owed.granted) + ")",
          "only at QoS " + std::to_string(got_qos) + (lower.empty() ? "" : " (the QoS of the overlapping subscription " + lower + ")"));
}

// Says when a 3.1.1 session that was owed `m` through `owed` also had a non-shared subscription
// of lower QoS matching it: a server that sends one copy per session at that subscription's
// QoS instead of the maximum [MQTT-3.3.5-1] loses a QoS 0 copy with its connection, which is the
// likeliest reason a message owed at QoS 1/2 never came. Words only: it excuses nothing.
std::string Walker::overlap_note(const Session& s, const Msg& m, const Sub& owed) const {
  if (s.version != mqtt::Version::v311) return "";
  const int q = std::min<int>(m.qos, owed.granted);
  for (std::size_t sub_i : s.subs) {
    const Sub& sub = subs_[sub_i];
    if (&sub == &owed || !sub.group.empty() || sub.failed() || sub.granted < 0 || sub.add_hi == kNever || sub.add_hi > m.p_lo) continue;
    if (m.p_hi > std::min(sub.del_lo, s.end_lo) || !mqtt::topic_matches(sub.match_filter, m.topic)) continue;
    if (std::min<int>(m.qos, sub.granted) >= q) continue;
    return " (an overlapping subscription " + sub.filter + " at QoS " + std::to_string(sub.granted) + " matched it too)";
  }
  return "";
}

// A former member of the $share group `key` whose session surely ended before `m` came, at its
// close (Session Expiry shorter than its will's Will Delay), while that delay still ran: a
// server that keeps such a session until its will goes out may have picked that member, where
// the message was lost. Words only: it excuses nothing.
std::string Walker::ended_member_note(const std::string& key, const Msg& m) const {
  for (const Sub& sub : subs_) {
    if (sub.group.empty() || sub.group + "/" + sub.match_filter != key || sub.session == kNever) continue;
    const Session& s = sessions_[sub.session];
    if (s.end_hi == kNever || s.end_hi > m.p_lo || !mqtt::topic_matches(sub.match_filter, m.topic)) continue;
    for (const Msg& w : msgs_) {
      if (!w.will || w.will_delay_s <= w.session_expiry_s || w.cancelled) continue;
      if (std::find(s.conns.begin(), s.conns.end(), w.conn) == s.conns.end()) continue;
      const auto wit = conns_.find(w.conn);
      if (wit == conns_.end() || wit->second.broker_close_lo_ms >= kForeverMs) continue;
      if (time_of(m.p_lo) >= wit->second.broker_close_lo_ms + std::uint64_t{w.will_delay_s} * 1000) continue;
      return " (" + s.client_id + "'s session ended at its close (Session Expiry " + std::to_string(w.session_expiry_s) +
             " s) with a Will Delay of " + std::to_string(w.will_delay_s) + " s still running)";
    }
  }
  return "";
}

// A will whose owner came back after the session's end made it due but before the Will Delay
// had passed: the CONNECT event (kNever: none). A broker that waits for the delay instead of
// the session's end cancels the will then, so it is never published at all.
std::size_t Walker::owner_back_within_delay(const Msg& m) const {
  std::size_t back = kNever;
  const auto wit = conns_.find(m.conn);
  const Conn* wc = wit == conns_.end() ? nullptr : &wit->second;
  if (!m.will || !wc || m.will_delay_s == 0 || wc->broker_close_lo_ms >= kForeverMs) return kNever;
  for (const auto& [id, o] : conns_) {
    if (id == m.conn || o.client_id != m.publisher_id || o.connect_idx == kNever || o.connect_idx <= wc->connect_idx) continue;
    const std::uint64_t t = time_of(o.connect_idx);
    if (t > m.due_ms && t < wc->broker_close_lo_ms + std::uint64_t{m.will_delay_s} * 1000) back = o.connect_idx;
  }
  return back;
}

void Walker::check_owed_retained() {
  const std::uint64_t end_ms = ev_.back().time_ms;
  for (RetainedOffer& o : offers_) {
    const Sub& sub = subs_[o.sub];
    if (!o.forbidden.empty() || sub.session == kNever || sub.add_hi == kNever) continue;
    const Session& s = sessions_[sub.session];
    const Conn* c = usable_conn(*this, s);
    if (!c || c->id != sub.conn || unfinished(s) >= window_limit(*c, config_)) continue;
    const std::uint64_t ready_ms = time_of(sub.add_hi) + options_.timer_slack_ms + 2ull * c->max_latency_ms;
    if (ready_ms >= end_ms) continue;
    std::vector<std::size_t> possible, required;
    retained_candidates(sub.match_filter, sub, o.subscribe_idx, sub.add_hi, possible, required);
    for (std::size_t id : required) {
      if (o.delivered.count(id)) continue;
      const Msg& m = msgs_[id];
      if (broker_exit_idx_ != kNever) continue;
      const bool live_copy = std::any_of(s.deliveries.begin(), s.deliveries.end(), [&](const Delivery& d) {
        return d.msg == id && d.recv_idx > o.subscribe_idx;
      });
      if (live_copy) continue;
      if (m.expiry_s && end_ms >= m.recv_lo_ms + std::uint64_t{*m.expiry_s} * 1000) continue;
      const int q = std::min<int>(m.qos, sub.granted);
      if (q == 0 && (!options_.qos0_when_idle || s.pressure_seen || !link_quiet(*c))) continue;  // QoS 0 may be lost under pressure
      if (q > 0 && retained_queue_full(o, id)) {
        count("owed.retained_dropped_queue_full");
        continue;
      }
      const std::size_t at = std::min(first_idx_after(ready_ms), ev_.size() - 1);
      if (m.will) {
        // A will that shows up live after the subscription was published after it: the missing
        // retained copy is the late will's doing, and the statement it breaks is the will's
        // [MQTT-3.1.2-8] (published once its delay passed or its session ended).
        std::size_t late = kNever;
        for (std::size_t i = o.subscribe_idx + 1; i < ev_.size() && late == kNever; ++i) {
          const Event& e = ev_[i];
          if (e.kind == EventKind::Recv && e.packet && e.packet->type == mqtt::PacketType::PUBLISH && e.packet->topic == m.topic &&
              e.packet->payload == m.payload)
            late = i;
        }
        // Or its owner came back after the session's end made the will due but before the Will
        // Delay had passed: a broker that waits for the delay instead of the session's end
        // cancels it then, so it was never published at all.
        const std::size_t back = owner_back_within_delay(m);
        const Conn* wc = find_conn(m.conn);
        if (late == kNever && back != kNever) {
          violate(at, s.client, "MQTT-3.1.2-8",
                  "the Will Message of " + m.publisher_id + " published once its delay passed or its session ended (" + will_terms(m) + ", by t=" +
                      std::to_string(m.due_ms) + "ms), then retained for the new subscription " + sub.filter,
                  "never published: its owner reconnected at t=" + std::to_string(time_of(back)) + "ms, within the Will Delay (" +
                      std::to_string(m.will_delay_s) + " s) but after the session had ended");
          continue;
        }
        if (late != kNever) {
          violate(at, s.client, "MQTT-3.1.2-8",
                  "the Will Message of " + m.publisher_id + " published once its delay passed or its session ended (" + will_terms(m) + ", by t=" +
                      std::to_string(m.due_ms) + "ms), then retained for the new subscription " + sub.filter,
                  "not retained when the subscription was made; first seen at t=" + std::to_string(ev_[late].time_ms) + "ms");
          continue;
        }
        // Never seen at all, after its owner's DISCONNECT with a reason code other than 0x00
        // (which keeps the will [MQTT-3.1.2-8]): a server that discards the will on that
        // DISCONNECT is the likelier story than one that published it without retaining it
        // (after a crash nothing tells them apart: [MQTT-3.3.1-9] below).
        if (wc && wc->disconnect_sent) {
          violate(at, s.client, "MQTT-3.1.2-8",
                  "the Will Message of " + m.publisher_id + " published once its delay passed or its session ended (" + will_terms(m) + ", by t=" +
                      std::to_string(m.due_ms) + "ms), then retained for the new subscription " + sub.filter,
                  "never published (" + will_cause(m) + ")");
          continue;
        }
      }
      violate(at, s.client, o.statement, "the retained message \"" + m.payload + "\" on " + m.topic + " for the new subscription " + sub.filter,
              "none" + expired_ahead_note(s, sub.add_hi));
    }
  }
}

// After a session resumes, unacknowledged PUBLISH and PUBREL packets go again [MQTT-4.4.0-1].
void Walker::check_resends() {
  const std::uint64_t end_ms = ev_.back().time_ms;
  for (const Session& s : sessions_) {
    const Conn* c = usable_conn(*this, s);
    if (!c || s.conns.size() < 2) continue;
    if (c->connack_ms + options_.timer_slack_ms + 2ull * c->max_latency_ms >= end_ms) continue;
    for (const auto& [pid, o] : s.inflight) {
      if (o.client_broke) continue;  // after the client's Protocol Error on it, nothing is owed
      bool owed = false;
      if (o.state == OutState::AwaitAck) owed = o.last_conn != c->id;
      else if (o.state == OutState::AckSent && o.qos == 2 && !o.pubrec_failed) owed = o.last_conn != c->id && o.rel_conn != c->id;
      else if (o.state == OutState::RelSeen) owed = o.rel_conn != c->id;
      if (!owed) continue;
      const std::size_t at = std::min(first_idx_after(c->connack_ms + options_.timer_slack_ms), ev_.size() - 1);
      const Msg* m = o.msg == kNever ? nullptr : &msgs_[o.msg];
      // Whether its Message Expiry Interval had passed: from the message as published, or from
      // what the copy itself carried (the only measure for a $SYS message).
      const bool expired = (m && m->expiry_s && end_ms >= m->recv_lo_ms + std::uint64_t{*m->expiry_s} * 1000) || end_ms >= o.carried_expiry_ms;
      if (expired && o.qos == 2) {
        violate(at, s.client, "MQTT-4.3.3-7", "no message expiry once the QoS 2 PUBLISH id=" + std::to_string(pid) + " was sent: resent after the session resumed",
                "nothing resent (its Message Expiry Interval had passed)");
        continue;
      }
      // Say when the message's expiry had passed: onward delivery had started, so expiry no
      // longer applies [MQTT-3.3.2-5], but it is the likeliest reason a server dropped it.
      violate(at, s.client, "MQTT-4.4.0-1",
              std::string(o.state == OutState::RelSeen ? "PUBREL" : "PUBLISH (DUP 1)") + " id=" + std::to_string(pid) + " on \"" + o.topic +
                  "\" resent after the session resumed",
              expired ? "nothing resent (its Message Expiry Interval had passed)" : "nothing resent");
    }
  }
}

}  // namespace mqsim::model::detail
