// A PUBLISH the broker sent to a client: was it allowed? It must be a redelivery of a message in
// flight (with DUP [MQTT-3.3.1-1], only on a new connection [MQTT-4.4.0-1]), or a fresh copy of a
// message some client published (or a will, a retained or a $SYS message) through a
// subscription that could match it, with the right QoS [MQTT-3.8.4-8], RETAIN [MQTT-3.3.1-12/13],
// properties [MQTT-3.3.2-4..20], subscription identifiers [MQTT-3.3.4-3], expiry [MQTT-3.3.2-5/6],
// copy count (QoS 2 exactly once), order [MQTT-4.6.0-5] and flow control [MQTT-3.3.4-9].
// It must never reject a delivery that any allowed choice of the broker explains.
#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "model/check_state.h"
#include "trace/mqtt/topic.h"

namespace mqsim::model::detail {

namespace {

// MQSIM_MODEL_DEBUG=1 prints every way a delivery could be explained. Read once: the
// environment scan cost ~1% of a campaign when asked per delivery.
bool model_debug() {
  static const bool on = std::getenv("MQSIM_MODEL_DEBUG") != nullptr;
  return on;
}

std::vector<std::uint32_t> sub_ids_of(const mqtt::Packet& p) {
  std::vector<std::uint32_t> ids;
  for (const auto& prop : p.properties)
    if (prop.id == mqtt::prop::SubscriptionIdentifier) ids.push_back(prop.number);
  return ids;
}

// Which forwarded property differs, by its statement.
std::string props_mismatch(const mqtt::Properties& want, const mqtt::Properties& got) {
  struct Rule { std::uint8_t id; const char* statement; };
  static const Rule rules[] = {{mqtt::prop::PayloadFormatIndicator, "MQTT-3.3.2-4"}, {mqtt::prop::ResponseTopic, "MQTT-3.3.2-15"},
                               {mqtt::prop::CorrelationData, "MQTT-3.3.2-16"}, {mqtt::prop::ContentType, "MQTT-3.3.2-20"}};
  for (const auto& r : rules) {
    const auto* a = mqtt::find_property(want, r.id);
    const auto* b = mqtt::find_property(got, r.id);
    if ((a == nullptr) != (b == nullptr) || (a && !(*a == *b))) return r.statement;
  }
  std::vector<mqtt::Property> ua, ub;
  for (const auto& p : want) if (p.id == mqtt::prop::UserProperty) ua.push_back(p);
  for (const auto& p : got) if (p.id == mqtt::prop::UserProperty) ub.push_back(p);
  if (ua == ub) return "";
  auto sa = ua, sb = ub;
  auto less = [](const mqtt::Property& x, const mqtt::Property& y) { return std::tie(x.text, x.value) < std::tie(y.text, y.value); };
  std::sort(sa.begin(), sa.end(), less);
  std::sort(sb.begin(), sb.end(), less);
  return sa == sb ? "MQTT-3.3.2-18" : "MQTT-3.3.2-17";
}

}  // namespace

// Could `sub` have routed `m` (topic, lifetime overlapping the message's processing, not refused)?
bool Walker::possibly_matching(const Sub& sub, const Msg& m, std::size_t idx) const {
  if (sub.failed() || !mqtt::topic_matches(sub.match_filter, m.topic)) return false;
  const std::size_t end_hi = sub.session == kNever ? kNever : sessions_[sub.session].end_hi;
  const std::size_t del_hi = std::min(sub.del_hi, end_hi);
  return (sub.add_lo < std::min(m.p_hi, idx) || resend_after(sub, m, idx)) && m.p_lo < del_hi;
}

// A QoS 1 resend the broker may take as a new Application Message [MQTT-4.3.2-5] after `sub`
// was made (before the copy at `idx`, and before the resend's own PUBACK).
bool Walker::resend_after(const Sub& sub, const Msg& m, std::size_t idx) const {
  return m.again_lo != kNever && m.again_lo < idx && sub.add_lo < std::min(m.again_hi, idx);
}

std::uint32_t Walker::allowed_copies(const Session& s, const Msg& m, std::size_t idx) const {
  std::uint32_t n = 0;
  std::set<std::string> groups;
  for (std::size_t si : s.subs) {
    const Sub& sub = subs_[si];
    if (!possibly_matching(sub, m, idx)) continue;
    if (sub.group.empty()) ++n;
    else if (groups.insert(sub.group + "/" + sub.match_filter).second) ++n;
  }
  return std::max<std::uint32_t>(n, 1) * m.processings;
}

// Whether session `session` had an accepted connection still open after the event `from_idx`
// (the message's PUBLISH) and accepted by `to_ms` (its expiry), as far as its client saw: the
// server could have written a copy to it in between.
bool Walker::delivery_could_start(std::size_t session, std::size_t from_idx, std::uint64_t to_ms) const {
  if (session == kNever) return false;
  for (const auto& [id, k] : conns_) {
    if (k.session != session || !k.accepted || k.connack_ms > to_ms) continue;
    // A close made while the link was held reaches the server only at the release: until then
    // the server still writes to that connection.
    const bool close_held = k.client_closed && k.ever_held && k.hold_since_ms <= k.close_ms &&
                            (k.hold_since_idx != kNever || k.last_release_ms >= k.close_ms);
    const std::size_t end_idx = close_held ? kNever : k.client_closed ? k.close_idx : k.peer_closed ? k.peer_close_idx : kNever;
    if (end_idx == kNever || end_idx > from_idx) return true;
  }
  return false;
}

// Checks shared by live and retained copies: QoS, expiry, forwarded properties.
bool Walker::judge_common(Judgement& j, std::size_t idx, const Conn& c, const mqtt::Packet& p, const Msg& m, const Sub& sub) {
  const bool v5 = c.version == mqtt::Version::v5;
  // QoS: the lower of the published and the granted QoS [MQTT-3.8.4-8] (or the granted one
  // when upgrade_outgoing_qos is on); before SUBACK the grant is not known yet.
  const int grant_hi = sub.granted >= 0 ? sub.granted : sub.opts.qos;
  const int grant_lo = sub.granted >= 0 ? sub.granted : 0;
  const bool qos_ok = sub.granted >= 0 ? (p.qos == std::min<int>(m.qos, sub.granted) || (config_.upgrade_outgoing_qos && p.qos == sub.granted))
                                       : (p.qos <= std::max<int>(std::min<int>(m.qos, grant_hi), config_.upgrade_outgoing_qos ? grant_hi : 0));
  (void)grant_lo;
  if (!qos_ok) {
    j.statement = !sub.group.empty() ? "MQTT-4.8.2-3" : (v5 ? "MQTT-3.8.4-8" : "MQTT-3.8.4-6");
    j.expected = "QoS min(published " + std::to_string(m.qos) + ", granted " + std::to_string(grant_hi) + ")";
    j.seen = "QoS " + std::to_string(p.qos);
    return false;
  }
  j.score += 1;
  if (m.expiry_s) {
    const Event& e = ev_[idx];
    const bool recent_hold = c.ever_held && c.last_release_ms + c.max_latency_ms >= e.time_ms;
    // Bytes written before a partition with latency arrive at max(write + latency, release).
    const std::uint64_t lat_lo_ms = e.time_ms - std::min<std::uint64_t>(e.time_ms, c.max_latency_ms);
    const std::uint64_t hold_lo_ms = c.hold_since_ms - std::min<std::uint64_t>(c.hold_since_ms, c.max_latency_ms);
    const std::uint64_t sent_lo_ms = recent_hold ? std::min(lat_lo_ms, hold_lo_ms) : lat_lo_ms;
    const std::uint64_t expiry_ms = std::uint64_t{*m.expiry_s} * 1000;
    // A QoS 1 resend is a new Application Message [MQTT-4.3.2-5]: its interval counts from its
    // own receipt, as late as its PUBACK (unknown before that).
    const std::uint64_t recv_hi_ms = m.again_lo < idx ? (m.again_hi < idx ? std::max(m.recv_hi_ms, time_of(m.again_hi)) : kForeverMs)
                                                      : m.recv_hi_ms;
    // 3.3.2.3.3 deletes only a copy whose onward delivery has not started [MQTT-3.3.2-5]; a
    // QoS > 0 copy with DUP 1 is the server's resend of an earlier attempt [MQTT-3.3.1-1], owed
    // on a resumed session [MQTT-4.4.0-1], and started in time if the session had a connection
    // the message could have been written to before it expired (a held link hides that write).
    const bool resend_of_started = recv_hi_ms < kForeverMs && p.dup && p.qos > 0 &&
                                   delivery_could_start(c.session, m.p_lo, recv_hi_ms + expiry_ms);
    if (resend_of_started) count("expiry.resend_after_started_delivery");
    if (!resend_of_started && recv_hi_ms < kForeverMs && sent_lo_ms > recv_hi_ms + expiry_ms + options_.timer_slack_ms) {
      j.statement = "MQTT-3.3.2-5";
      j.expected = "no copy after its Message Expiry Interval (" + std::to_string(*m.expiry_s) + " s) passed";
      j.seen = "delivered " + std::to_string(sent_lo_ms - recv_hi_ms) + " ms after it was received";
      return false;
    }
    if (v5) {
      const auto fwd = prop_number(p.properties, mqtt::prop::MessageExpiryInterval);
      const std::uint64_t waited_lo_s = recv_hi_ms < kForeverMs && sent_lo_ms > recv_hi_ms ? (sent_lo_ms - recv_hi_ms) / 1000 : 0;
      const std::uint64_t waited_hi_s = e.time_ms > m.recv_lo_ms ? (e.time_ms - m.recv_lo_ms) / 1000 + 1 : 1;
      const std::int64_t hi = static_cast<std::int64_t>(*m.expiry_s) - static_cast<std::int64_t>(waited_lo_s);
      std::int64_t lo = static_cast<std::int64_t>(*m.expiry_s) - static_cast<std::int64_t>(waited_hi_s) -
                        static_cast<std::int64_t>(options_.timer_slack_ms / 1000);
      // A resend repeats an attempt made at an unseen earlier instant: any interval from its
      // receipt value down to 0 is "received minus waited" for some instant of that attempt.
      if (resend_of_started) lo = 0;
      const std::int64_t hi_resend = resend_of_started ? static_cast<std::int64_t>(*m.expiry_s) : hi;
      if (!fwd || static_cast<std::int64_t>(*fwd) > hi_resend || static_cast<std::int64_t>(*fwd) < lo) {
        // This message passed the "not yet expired" test above: among failing explanations of
        // the same delivery it is the likelier one, so it wins a tie against an expired one.
        // Unless it surely waited longer than its interval (hi < 0: no value is right, only the
        // timer slack let it through): then a message still within its interval is likelier.
        if (hi >= 0) j.score += 1;
        j.statement = "MQTT-3.3.2-6";
        j.expected = "Message Expiry Interval = received " + std::to_string(*m.expiry_s) + " s minus the time waited (" +
                     std::to_string(std::max<std::int64_t>(lo, 0)) + ".." + std::to_string(hi) + ")";
        j.seen = fwd ? std::to_string(*fwd) : std::string("none");
        return false;
      }
    }
  } else if (v5 && prop_number(p.properties, mqtt::prop::MessageExpiryInterval)) {
    // 3.3.2.3.3: with no Message Expiry Interval the message does not expire; the interval a
    // copy carries is "the received value minus the time waited" [MQTT-3.3.2-6], so a copy with
    // one is not a copy of a message that had none (an identical message that had one is).
    j.statement = "MQTT-3.3.2-6";
    j.expected = "no Message Expiry Interval (the message had none)";
    j.seen = std::to_string(*prop_number(p.properties, mqtt::prop::MessageExpiryInterval));
    return false;
  }
  j.score += 1;
  if (v5) {
    const std::string bad = props_mismatch(m.props, forwarded_props(p.properties));
    if (!bad.empty()) {
      j.statement = bad;
      j.expected = "the publisher's properties forwarded unaltered";
      j.seen = "different properties";
      return false;
    }
  }
  j.score += 1;
  return true;
}

Judgement Walker::judge_live(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p, std::size_t msg, std::size_t sub_index) {
  const Msg& m = msgs_[msg];
  const Sub& sub = subs_[sub_index];
  const bool v5 = c.version == mqtt::Version::v5;
  Judgement j;
  j.msg = msg;
  j.sub = sub_index;
  auto fail = [&](int score, std::string st, std::string ex, std::string se) {
    j.score += score;
    j.statement = std::move(st);
    j.expected = std::move(ex);
    j.seen = std::move(se);
    return j;
  };
  if (!mqtt::topic_matches(sub.match_filter, m.topic)) return fail(0, "MQTT-3.3.2-3", "a topic matching a subscription", m.topic);
  if (sub.failed()) return fail(1, "MQTT-3.3.2-3", "nothing through a refused subscription", sub.filter);
  const std::size_t del_hi = std::min(sub.del_hi, s.end_hi);
  if (!(m.p_lo < del_hi)) return fail(2, "MQTT-3.10.4-2", "no new message after the subscription ended (" + sub.filter + ")", "message published after it");
  if (!(sub.add_lo < std::min(m.p_hi, idx)) && !resend_after(sub, m, idx)) {
    // A will surely cancelled (its owner came back within the delay) is not a late one.
    if (m.will && will_cancel_state(m) == 1)
      return fail(4, m.cancel_statement.empty() ? "MQTT-3.1.3-9" : m.cancel_statement, "no Will Message", "the Will Message of " + m.publisher_id);
    if (m.will) {  // a will owed at the session's end or after its delay, sent later than that
      // Several wills may look alike (topic, payload): the one whose QoS and RETAIN this copy
      // can carry is the likelier one. A late will that fits this subscription also explains
      // the copy better than an earlier subscription whose QoS it does not fit (scored past
      // judge_common's QoS check).
      const int grant = sub.granted >= 0 ? sub.granted : sub.opts.qos;
      const bool qos_fits = p.qos == std::min<int>(m.qos, grant) || (config_.upgrade_outgoing_qos && p.qos == grant);
      const bool retain_fits = !p.retain || m.retain;
      return fail(qos_fits && retain_fits ? 9 : 4, "MQTT-3.1.2-8", "the Will Message of " + m.publisher_id + " published once its delay passed or its session ended (" + will_terms(m) + ", by t=" +
                                         std::to_string(m.due_ms) + "ms)", "it published after a later subscription (" + sub.filter + ")");
    }
    return fail(2, "MQTT-3.3.2-3", "no message published before the subscription (" + sub.filter + ") existed", "an older message");
  }
  if (sub.opts.no_local && !m.will && m.publisher_id == s.client_id) {
    // A No Local the replaced subscription lacked explains the copy only if the copy is right in
    // every other way for the old options: otherwise (e.g. it came through another subscription,
    // one copy serving both [MQTT-3.3.4-2], and is wrong in a way of its own) it is no cause.
    std::size_t stale = kNever;   // the nearest replaced subscription without No Local
    for (std::size_t old = sub.replaces, guard = 0; stale == kNever && old != kNever && guard < subs_.size(); old = subs_[old].replaces, ++guard)
      if (!subs_[old].opts.no_local) stale = old;
    if (stale != kNever) {
      subs_[sub_index].opts.no_local = false;   // judged once as if the old No Local were kept
      const Judgement as_old = judge_live(idx, c, s, p, msg, sub_index);
      subs_[sub_index].opts.no_local = true;
      if (as_old.ok || as_old.statement == "MQTT-3.8.4-3")
        return fail(4, "MQTT-3.8.4-3", "the re-subscription to " + sub.filter + " replaces the old options (No Local 1)",
                    "its own message, as the old subscription (No Local 0) would send it");
    }
    return fail(3, "MQTT-3.8.3-3", "No Local: not forwarded to the publisher's own ClientID", "its own message");
  }
  if (m.will && will_cancel_state(m) == 1)
    return fail(4, m.cancel_statement.empty() ? "MQTT-3.1.3-9" : m.cancel_statement, "no Will Message", "the Will Message of " + m.publisher_id);
  j.score += 5;
  // A 3.1.1 connection resuming a session whose subscription a 5.0 connection made with Retain
  // As Published keeps that option: either flag is accepted then.
  const bool retain_ok = (v5 ? (sub.opts.retain_as_published ? p.retain == m.retain : !p.retain)
                             : (!p.retain || (sub.opts.retain_as_published && m.retain)));
  if (!retain_ok) {
    // The flag a subscription this one replaced would have set points at the replacement.
    // A 3.1.1 SUBSCRIBE replacing a 5.0 subscription made with Retain As Published ends that
    // option too: 3.1.1's [MQTT-3.8.4-3] "completely replace[s]" the existing subscription.
    for (std::size_t old = sub.replaces, guard = 0; old != kNever && guard < subs_.size(); old = subs_[old].replaces, ++guard) {
      const bool old_rap = subs_[old].opts.retain_as_published;
      const bool old_ok = v5 ? (old_rap ? p.retain == m.retain : !p.retain) : (!p.retain || (old_rap && m.retain));
      if (old_ok) return fail(0, "MQTT-3.8.4-3", "the re-subscription to " + sub.filter + " replaces the old options (Retain As Published " +
                                                     (sub.opts.retain_as_published ? "1" : "0") + ")",
                              std::string("RETAIN ") + (p.retain ? "1" : "0") + " as the old subscription would set it");
    }
    const char* st = v5 ? (sub.opts.retain_as_published ? "MQTT-3.3.1-13" : "MQTT-3.3.1-12") : "MQTT-3.3.1-9";
    return fail(0, st, std::string("RETAIN ") + (v5 && sub.opts.retain_as_published && m.retain ? "1" : "0"), std::string("RETAIN ") + (p.retain ? "1" : "0"));
  }
  j.score += 1;
  const auto it = s.copies.find(msg);
  if (it != s.copies.end() && it->second >= allowed_copies(s, m, idx)) {
    // A will published later than it was due may meet subscriptions made after it was due; each
    // overlapping subscription may then get its copy ([MQTT-3.3.4-2] and the MAY after it). The
    // extra copy is a symptom of the late will, and the rule it breaks is [MQTT-3.1.2-8].
    if (m.will && m.p_hi != kNever) {
      for (std::size_t si : s.subs) {
        const Sub& later = subs_[si];
        if (later.failed() || !mqtt::topic_matches(later.match_filter, m.topic)) continue;
        if (later.add_lo < m.p_hi || later.add_lo >= idx || !(m.p_lo < std::min(later.del_hi, s.end_hi))) continue;
        return fail(5, "MQTT-3.1.2-8", "the Will Message of " + m.publisher_id + " published once its delay passed or its session ended (" + will_terms(m) + ", by t=" +
                                           std::to_string(m.due_ms) + "ms)",
                    "a copy for a subscription made after that (" + later.filter + ")");
      }
    }
    const char* st = m.qos == 2 && p.qos == 2 ? "MQTT-4.3.3-10" : (p.qos == 0 ? "MQTT-4.3.1" : "MQTT-4.4.0-1");
    j.copies_full = true;
    return fail(0, st, "one copy per matching subscription (" + std::to_string(allowed_copies(s, m, idx)) + ")", "another copy");
  }
  j.score += 1;
  // Subscription identifiers say which subscriptions a copy was sent for: they tell which
  // message it is before its content (QoS, expiry, properties) is judged, so a copy whose
  // identifier only a newer identical message explains is judged as that one.
  if (v5) {
    const auto ids = sub_ids_of(p);
    std::set<std::uint32_t> allowed;
    std::size_t matching = 0;
    for (std::size_t si : s.subs) {
      if (!possibly_matching(subs_[si], m, idx)) continue;
      ++matching;
      if (subs_[si].sub_id) allowed.insert(*subs_[si].sub_id);
    }
    for (auto id : ids)
      if (!allowed.count(id)) return fail(0, "MQTT-3.3.4-3", "only identifiers of matching subscriptions", "identifier " + std::to_string(id));
    if (matching == 1 && sub.sub_id && std::find(ids.begin(), ids.end(), *sub.sub_id) == ids.end())
      return fail(0, "MQTT-3.3.4-3", "Subscription Identifier " + std::to_string(*sub.sub_id), "none");
  }
  j.score += 1;
  if (!judge_common(j, idx, c, p, m, sub)) return j;
  if (!sub.group.empty()) {
    const auto pit = shared_picks_.find({msg, sub.group + "/" + sub.match_filter});
    // A QoS 1 message the broker took again (a resend) is another message: one member each.
    if (pit != shared_picks_.end() && pit->second.size() >= m.processings) {
      for (const auto& pick : pit->second) {
        if (pick.session == static_cast<std::size_t>(&s - sessions_.data())) continue;
        // QoS 1 may go to another member once the first one's connection broke unacknowledged.
        const Session& other = sessions_[pick.session];
        const auto oit = other.inflight.find(pick.packet_id);
        const Conn* oc = conns_.count(pick.conn) ? &conns_.at(pick.conn) : nullptr;
        const bool broke = pick.qos == 1 && oc && !oc->open() && oit != other.inflight.end() && oit->second.msg == msg &&
                           oit->second.state == OutState::AwaitAck;
        const bool gone = other.ended;
        // A member that also has a non-shared subscription matching may have got it that way.
        const bool ambiguous = std::any_of(other.subs.begin(), other.subs.end(), [&](std::size_t k) {
          return subs_[k].group.empty() && possibly_matching(subs_[k], m, idx);
        });
        // A member in two groups matching the message may have got it for the other group.
        const bool other_group = !other_share_group(other, m, sub.group + "/" + sub.match_filter, idx).empty();
        if (!broke && !ambiguous && !other_group && !(gone && pick.qos < 2))
          return fail(0, "MQTT-4.8.2", "each message to one member of share group '" + sub.group + "'", "a second member got it");
      }
    }
  }
  j.ok = true;
  return j;
}

// Sessions with a subscription of share group `key` that could have routed `m`, which got a
// live copy of `m` through a non-shared subscription and hold no pick of the group for it: one copy
// per session may serve overlapping subscriptions [MQTT-3.3.4-2], so each may have been the
// group's pick.
std::size_t Walker::members_served_otherwise(const Msg& m, const std::string& key, std::size_t idx) const {
  const auto it = shared_picks_.find({m.id, key});
  std::size_t n = 0;
  for (std::size_t si = 0; si < sessions_.size(); ++si) {
    const Session& member = sessions_[si];
    const bool in_group = std::any_of(member.subs.begin(), member.subs.end(), [&](std::size_t k) {
      return !subs_[k].group.empty() && subs_[k].group + "/" + subs_[k].match_filter == key && possibly_matching(subs_[k], m, idx);
    });
    if (!in_group) continue;
    if (it != shared_picks_.end() &&
        std::any_of(it->second.begin(), it->second.end(), [&](const SharedPick& pick) { return pick.session == si; }))
      continue;
    const bool got = std::any_of(member.deliveries.begin(), member.deliveries.end(), [&](const Delivery& d) {
      return d.msg == m.id && !d.retained_offer && d.group.empty();
    });
    if (got) ++n;
  }
  return n;
}

// A share group (other than `key`) in which `other` has a subscription that could have routed
// `m`, and whose one copy of `m` no session got yet: `other`'s copy may have been that group's.
std::string Walker::other_share_group(const Session& other, const Msg& m, const std::string& key, std::size_t idx) const {
  for (std::size_t k : other.subs) {
    const Sub& alt = subs_[k];
    if (alt.group.empty() || !possibly_matching(alt, m, idx)) continue;
    const std::string alt_key = alt.group + "/" + alt.match_filter;
    if (alt_key == key) continue;
    const auto it = shared_picks_.find({m.id, alt_key});
    if (it == shared_picks_.end() || it->second.empty()) return alt_key;
  }
  return "";
}

Judgement Walker::judge_retained(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p, std::size_t msg, std::size_t offer_index) {
  const Msg& m = msgs_[msg];
  const RetainedOffer& o = offers_[offer_index];
  const Sub& sub = subs_[o.sub];
  Judgement j;
  j.retained = true;
  j.msg = msg;
  j.sub = o.sub;
  j.offer = offer_index;
  if (!mqtt::topic_matches(sub.match_filter, m.topic)) return j;
  if (m.p_lo >= o.subscribe_idx && sub.add_hi != kNever && m.p_lo >= sub.add_hi) return j;  // newer than the subscription
  j.score = 3;
  if (!o.forbidden.empty()) {
    // A rule that forbids any retained copy outranks "sent twice"; but retained copies go out
    // with RETAIN 1 (3.3.1.3), so a RETAIN 0 copy is a poor fit for this explanation.
    j.score = p.retain ? 5 : 3;
    j.statement = o.forbidden;
    j.expected = o.forbidden == "MQTT-4.8.2" ? "no retained messages for a shared subscription" : "no retained messages for this subscription";
    j.seen = "the retained message on " + m.topic;
    return j;
  }
  const auto possible = offer_possible(o, idx);
  if (std::find(possible.begin(), possible.end(), msg) == possible.end()) {
    // Say why it was not retained any more.
    j.statement = "MQTT-3.3.1-5";
    j.expected = "only the retained message current when the subscription was made";
    if (m.expiry_s) j.statement = "MQTT-3.3.2-5";
    std::size_t cleared_by = kNever;
    for (std::size_t id2 : retained_[m.topic]) {
      const Msg& m2 = msgs_[id2];
      if (id2 != msg && m2.payload.empty() && m.p_hi <= m2.p_lo && m2.p_hi <= o.subscribe_idx) {
        j.statement = "MQTT-3.3.1-6";
        j.expected = "no retained message after it was cleared by an empty retained PUBLISH";
        cleared_by = id2;
      }
    }
    if (m.p_lo >= o.subscribe_idx && (sub.add_hi == kNever || m.p_lo >= sub.add_hi)) j.statement = "MQTT-3.3.1-9";
    j.seen = "the retained message \"" + m.payload + "\"";
    // Why the clearing PUBLISH may not have been taken (words only).
    if (j.statement == "MQTT-3.3.1-6") j.seen += pressure_note(msgs_[cleared_by]);
    // A newer retained message, surely taken before the subscription, should have replaced it
    // [MQTT-3.3.1-5]: the copy says that one was not stored, which outranks the symptoms (a
    // rule forbidding retained copies to another subscription of the session).
    for (std::size_t id2 : retained_[m.topic]) {
      const Msg& m2 = msgs_[id2];
      if (id2 == msg || m2.will || m2.questionable || m2.payload.empty() || m.p_hi > m2.p_lo || m2.p_hi > o.subscribe_idx) continue;
      j.score = 6;
      j.statement = "MQTT-3.3.1-5";
      j.expected = "the retained message \"" + m2.payload + "\" on " + m.topic + ", which replaced it before the subscription";
      j.seen += pressure_note(m2);
      break;
    }
    // A retained Will Message that was due before the subscription replaced it: the will was
    // never published, which is the broken rule [MQTT-3.1.2-8], and it outranks the symptoms.
    for (std::size_t id2 : retained_[m.topic]) {
      const Msg& w = msgs_[id2];
      if (!w.will || w.questionable || m.p_hi > w.p_lo || w.p_hi > o.subscribe_idx || will_cancel_state(w) != 0) continue;
      j.score = 6;
      j.statement = "MQTT-3.1.2-8";
      j.expected = "the Will Message of " + w.publisher_id + " (RETAIN 1 on " + w.topic + ") published by t=" + std::to_string(w.due_ms) +
                   "ms, " + will_cause(w) + ", replacing the retained message";
      break;
    }
    return j;
  }
  j.score += 1;
  // The copy this offer got may also have been a live one (RETAIN 1 through Retain As
  // Published): when a live copy is still allowed, that copy becomes the live one and this one
  // the retained one.
  if (o.delivered.count(msg)) {
    const auto copies = s.copies.find(msg);
    const bool live_left = (copies == s.copies.end() ? 0u : copies->second) < allowed_copies(s, m, idx);
    for (std::size_t di = 0; live_left && di < s.deliveries.size(); ++di) {
      const Delivery& d = s.deliveries[di];
      if (d.msg == msg && d.retained_offer && d.offer == offer_index && d.live_alt_sub != kNever) j.swap_delivery = di;
    }
  }
  if (o.delivered.count(msg) && j.swap_delivery == kNever) {
    j.statement = "MQTT-3.3.1-9";
    j.expected = "each retained message once per subscription";
    j.seen = "a second copy";
    return j;
  }
  j.score += 1;
  if (c.version == mqtt::Version::v311 && !p.retain) {
    j.statement = "MQTT-3.3.1-8";
    j.expected = "RETAIN 1 on a message sent for a new subscription";
    j.seen = "RETAIN 0";
    return j;
  }
  if (c.version == mqtt::Version::v5) {
    // A retained copy carries the identifier of the subscription that asked for it, only. An
    // identifier says which subscription a copy was sent for before its content is judged (as
    // in judge_live): a copy carrying another subscription's is a poor fit for this offer.
    for (auto id : sub_ids_of(p)) {
      if (!sub.sub_id || id != *sub.sub_id) {
        j.statement = "MQTT-3.3.4-3";
        j.expected = "only the identifier of the subscription the retained message is sent for";
        j.seen = "identifier " + std::to_string(id);
        return j;
      }
    }
  }
  j.score += 2;
  if (!judge_common(j, idx, c, p, m, sub)) return j;
  if (c.version == mqtt::Version::v5 && sub.sub_id) {
    const auto ids = sub_ids_of(p);
    if (std::find(ids.begin(), ids.end(), *sub.sub_id) == ids.end()) {
      j.statement = "MQTT-3.3.4-3";
      j.expected = "Subscription Identifier " + std::to_string(*sub.sub_id);
      j.seen = "none";
      return j;
    }
  }
  j.ok = true;
  return j;
}

std::vector<std::size_t> Walker::offer_possible(const RetainedOffer& o, std::size_t at_idx) {
  const Sub& sub = subs_[o.sub];
  std::vector<std::size_t> possible, required;
  const std::size_t s_hi = std::min(sub.add_hi, at_idx);
  retained_candidates(sub.match_filter, sub, o.subscribe_idx, s_hi, possible, required);
  return possible;
}


void Walker::on_publish_out(std::size_t idx, Conn& c, const mqtt::Packet& p_in) {
  const Event& e = ev_[idx];
  if (!c.accepted || c.session == kNever) return;  // before CONNACK: reported as MQTT-3.2.0-1
  Session& s = sessions_[c.session];
  const auto alias = c.version == mqtt::Version::v5 ? prop_number(p_in.properties, mqtt::prop::TopicAlias) : std::nullopt;
  // Only a PUBLISH that names its topic by an alias is copied (to put the topic in).
  std::optional<mqtt::Packet> aliased;
  if (alias && p_in.topic.empty()) aliased = p_in;
  const mqtt::Packet& p = aliased ? *aliased : p_in;
  if (c.version == mqtt::Version::v5) {
    if (alias) {
      count("topic_alias.out");
      if (c.client_alias_max == 0 || *alias == 0 || *alias > c.client_alias_max) {
        violate(idx, e.client, c.client_alias_max == 0 ? "MQTT-3.1.2-27" : "MQTT-3.3.2-11",
                "topic aliases only up to the client's Topic Alias Maximum " + std::to_string(c.client_alias_max),
                "Topic Alias " + std::to_string(*alias));
        return;
      }
      if (!p.topic.empty()) c.alias_out[static_cast<std::uint16_t>(*alias)] = p.topic;
      else if (auto it = c.alias_out.find(static_cast<std::uint16_t>(*alias)); it != c.alias_out.end()) aliased->topic = it->second;
      else {
        violate(idx, e.client, "MQTT-3.3.2-7", "an alias set on this connection", "an unknown Topic Alias");
        return;
      }
    }
  }
  if (p.qos == 0 && p.dup) violate(idx, e.client, "MQTT-3.3.1-2", "DUP 0 on a QoS 0 PUBLISH", "DUP 1");
  count("delivery");
  count(p.qos == 0 ? "delivery.qos0" : (p.qos == 1 ? "delivery.qos1" : "delivery.qos2"));
  if (p.qos > 0 && stale_transmission(idx, c, s, p)) {
    count("delivery.stale_transmission");
    return;
  }
  if (p.qos > 0 && redelivery(idx, c, s, p)) return;
  if (is_sys_topic(p.topic)) {
    on_sys_publish(idx, c, p, p.retain);
    if (p.qos > 0) add_outflight(idx, c, s, p, kNever);
    return;
  }
  fresh_delivery(idx, c, s, p);
}

// A QoS 1/2 PUBLISH seen late on an older connection of the session, over a held or slow link:
// the broker wrote it there before a newer connection took the session over, and then resent it
// on the newer one with DUP and the same Packet Identifier, as [MQTT-4.4.0-1] requires. It is the
// first transmission of the copy already seen there, not another copy (a quiet link shows the
// bytes at once, so before the resend: only a hold or latency can put it after).
bool Walker::stale_transmission(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p) const {
  (void)idx;
  if (!c.ever_held && !c.ever_latency) return false;
  const auto pos = std::find(s.conns.begin(), s.conns.end(), c.id);
  if (pos == s.conns.end() || pos + 1 == s.conns.end()) return false;  // not superseded
  const auto next = conns_.find(*(pos + 1));
  const std::size_t takeover_hi = next == conns_.end() ? kNever : next->second.connack_idx;  // the session moved on by then
  auto stale = [&](const Outflight& o) {
    if (o.topic != p.topic || o.payload != p.payload || o.qos != p.qos) return false;
    const auto at = std::find(s.conns.begin(), s.conns.end(), o.last_conn);
    if (at == s.conns.end() || at <= pos) return false;  // last sent on this or an older connection
    return o.msg == kNever || msgs_[o.msg].p_lo < takeover_hi;  // routed to the session before it moved
  };
  if (const auto it = s.inflight.find(p.packet_id); it != s.inflight.end() && stale(it->second)) return true;
  return std::any_of(s.past_outflights.begin(), s.past_outflights.end(),
                     [&](const auto& po) { return po.first == p.packet_id && stale(po.second); });
}

// A PUBLISH reusing the identifier of one still in flight to this session.
bool Walker::redelivery(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p) {
  const auto client = ev_[idx].client;
  auto it = s.inflight.find(p.packet_id);
  if (it == s.inflight.end()) return false;
  Outflight& o = it->second;
  const bool same = o.topic == p.topic && o.payload == p.payload && o.qos == p.qos;
  const std::string id = std::to_string(p.packet_id);
  auto retire = [&]() {  // the identifier starts a new message: keep the old one for stale_transmission
    if (s.past_outflights.size() < 10'000) s.past_outflights.emplace_back(p.packet_id, it->second);
    s.inflight.erase(it);
  };
  auto resend = [&]() {
    if (o.last_conn == c.id) {
      violate(idx, client, "MQTT-4.4.0-1", "no resend except on a new connection of the session", "PUBLISH id=" + id + " again on the same connection");
    } else if (!p.dup) {
      violate(idx, client, "MQTT-3.3.1-1", "DUP 1 on the re-delivery of PUBLISH id=" + id, "DUP 0");
    }
    o.last_conn = c.id;
    count("redelivery");
    return true;
  };
  switch (o.state) {
    case OutState::AwaitAck:
      if (same) return resend();
      violate(idx, client, "MQTT-2.2.1-4", "a packet identifier not in use (id=" + id + " awaits its acknowledgement)", "a new PUBLISH with it");
      retire();
      return false;
    case OutState::AckSent:
      if (same && p.dup && o.last_conn != c.id) {
        o.last_conn = c.id;  // the acknowledgement may have been lost with the old connection
        count("redelivery");
        return true;
      }
      if (o.qos == 2 && !o.pubrec_failed) {
        // The identifier stays in use until PUBCOMP whether or not the broker has the PUBREC.
        if (same) return resend();
        violate(idx, client, "MQTT-2.2.1-4", "a packet identifier not in use (QoS 2 id=" + id + " awaits PUBCOMP)", "a new PUBLISH with it");
      }
      retire();
      return false;
    case OutState::RelSeen:
      violate(idx, client, same ? "MQTT-4.3.3-6" : "MQTT-2.2.1-4",
              same ? "no PUBLISH again after its PUBREL was sent" : "a packet identifier not in use (id=" + id + " awaits PUBCOMP)",
              "PUBLISH id=" + id);
      if (same) return true;
      retire();
      return false;
    case OutState::CompSent:
      retire();
      return false;
  }
  return false;
}

// The copy `p` at `idx` would be one of `msg` but for an earlier copy the model gave to `msg`
// when identical messages (topic, payload) could each explain it: a QoS 1 message its publisher
// sent again after PUBACK is a new Application Message [MQTT-4.3.2-5], and each may reach each
// matching subscription [MQTT-3.3.4-2]. The earlier copy moves to another identical message that
// explains it as well and has room, so that `msg` has room for this one. Only live copies
// through non-shared subscriptions move (retained offers and share groups keep their own
// bookkeeping). The moved-from message keeps the processing bound that copy gave it, which is
// stricter than needed, never looser. Returns whether a copy moved.
bool Walker::reassign_identical_copy(std::size_t idx, const Conn& c, Session& s, const mqtt::Packet& p, std::size_t msg) {
  assert(msg < msgs_.size() && idx < ev_.size());
  auto& count_of = s.copies[msg];
  if (count_of == 0) return false;
  // This copy must fit `msg` once one of its copies has gone elsewhere.
  --count_of;
  const bool fits = std::any_of(s.subs.begin(), s.subs.end(), [&](std::size_t si) { return judge_live(idx, c, s, p, msg, si).ok; });
  ++count_of;
  if (!fits) return false;
  const Msg& m = msgs_[msg];
  for (std::size_t di = s.deliveries.size(); di-- > 0;) {
    Delivery& d = s.deliveries[di];
    if (d.msg != msg || d.retained_offer || !d.group.empty() || d.recv_idx >= idx) continue;
    const Event& de = ev_[d.recv_idx];
    const Conn* dc = find_conn(de.conn);
    if (!dc || !de.packet || de.packet->topic != m.topic) continue;   // a topic alias: left as it is
    for (const Msg& other : msgs_) {
      if (other.id == msg || other.topic != m.topic || other.payload != m.payload || other.p_lo >= d.recv_idx) continue;
      const bool explains = std::any_of(s.subs.begin(), s.subs.end(), [&](std::size_t si) {
        return subs_[si].group.empty() && judge_live(d.recv_idx, *dc, s, *de.packet, other.id, si).ok;
      });
      if (!explains) continue;
      const std::size_t to = other.id;
      d.msg = to;
      --count_of;
      ++s.copies[to];
      msgs_[to].p_hi = std::min(msgs_[to].p_hi, d.recv_idx);
      msgs_[to].recv_hi_ms = std::min(msgs_[to].recv_hi_ms, de.time_ms);
      if (de.packet->qos > 0) {
        const auto it = s.inflight.find(de.packet->packet_id);
        if (it != s.inflight.end() && it->second.msg == msg) it->second.msg = to;
        for (auto& [pid, o] : s.past_outflights)
          if (pid == de.packet->packet_id && o.msg == msg && o.last_conn == de.conn) o.msg = to;
      }
      count("delivery.identical_copy_reassigned");
      return true;
    }
  }
  return false;
}

// A message every transmission of which was written during its connection's current partition:
// the broker has not read it yet, so no copy of it can have gone out. A resend on a connection
// that is not held (a retry after reconnecting) makes it readable.
bool Walker::still_held(const Msg& m) const {
  if (m.will || m.sends.empty() || m.sends.size() >= kMaxSendsTracked) return false;
  return std::all_of(m.sends.begin(), m.sends.end(), [&](const std::pair<std::uint32_t, std::size_t>& send) {
    const auto it = conns_.find(send.first);
    if (it == conns_.end()) return false;
    const Conn& c = it->second;
    return c.held && c.hold_since_idx != kNever && send.second >= c.hold_since_idx;
  });
}

// A message sent once over a link with latency reaches the broker no earlier than its
// recv_lo_ms: a copy the client reads before then is not a copy of it.
bool Walker::still_in_flight(const Msg& m, std::size_t idx) const {
  return !m.will && m.sends.size() == 1 && m.recv_lo_ms > ev_[idx].time_ms;
}

void Walker::fresh_delivery(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p) {
  const auto client = ev_[idx].client;
  if (p.dup) {
    // DUP only on a retransmission [MQTT-3.3.1-3]: possible when the first copy went out on an
    // earlier connection of this session and never reached the client.
    const bool earlier_conn = s.conns.size() > 1 || s.conns.front() != c.id;
    if (!earlier_conn) violate(idx, client, "MQTT-3.3.1-3", "DUP 0 on the first transmission", "DUP 1");
  }
  std::vector<Judgement> judged;
  const std::size_t self = static_cast<std::size_t>(&s - sessions_.data());
  auto judge_all = [&]() {
    judged.clear();
    for (const Msg& m : msgs_) {
      if (m.topic != p.topic || m.payload != p.payload || m.p_lo >= idx) continue;
      if (still_held(m)) continue;  // its PUBLISH waits behind a partition: the broker has not read it
      if (still_in_flight(m, idx)) continue;  // its one PUBLISH is still on a slow link
      for (std::size_t si : s.subs) judged.push_back(judge_live(idx, c, s, p, m.id, si));
      for (std::size_t oi = 0; oi < offers_.size(); ++oi) {
        if (subs_[offers_[oi].sub].session == self && m.retain) judged.push_back(judge_retained(idx, c, s, p, m.id, oi));
      }
    }
    return std::any_of(judged.begin(), judged.end(), [](const Judgement& j) { return j.ok; });
  };
  bool explained_now = judge_all();
  if (!explained_now) {
    // A message that has had all its copies may still be this one's, if an earlier copy given to
    // it was one of an identical message with room left (a matching, not a first-come choice).
    std::vector<std::size_t> full;
    for (const auto& j : judged)
      if (j.copies_full && std::find(full.begin(), full.end(), j.msg) == full.end()) full.push_back(j.msg);
    for (std::size_t msg : full) {
      if (!reassign_identical_copy(idx, c, s, p, msg)) continue;
      explained_now = judge_all();
      break;
    }
  }
  if (!explained_now) {
    // Nothing published explains it; the will of a connection the broker may have closed before
    // its client noticed might.
    bool closed_any = false;
    for (auto& [id, other] : conns_) {
      if (other.will && other.open() && other.will->topic == p.topic && other.will->payload == p.payload) {
        const bool closed = early_close(idx, other);
        closed_any = closed_any || closed;
        if (model_debug()) std::fprintf(stderr, "[model] event %zu: conn %u may have closed unseen: %d\n", idx, id, closed);
      }
    }
    const bool explained = closed_any && judge_all();
    // The will of a refused CONNECT is a surer source than a keepalive close come too early.
    if (!explained && (will_of_refused_connect(idx, s, p) || will_of_early_keepalive_close(idx, p))) return;
  }
  if (model_debug()) {
    // A person chasing a model question reads every way this PUBLISH could have been sent.
    for (const auto& j : judged)
      std::fprintf(stderr, "[model] event %zu msg %zu (p_lo %zu p_hi %zu) sub %zu %s ok=%d score=%d %s %s\n", idx, j.msg,
                   msgs_[j.msg].p_lo, msgs_[j.msg].p_hi, j.sub, j.retained ? "retained" : "live", j.ok, j.score,
                   j.statement.c_str(), j.expected.c_str());
  }
  const Judgement* best = nullptr;
  for (const auto& j : judged) {
    if (!j.ok) continue;
    if (!best) { best = &j; continue; }
    // A way that needs no earlier copy re-read (judge_retained's swap) first.
    if ((j.swap_delivery == kNever) != (best->swap_delivery == kNever)) {
      if (j.swap_delivery == kNever) best = &j;
      continue;
    }
    // Prefer the earliest message; between a retained and a live copy of one message, the
    // retained one when the message is older than the subscription.
    const Msg& a = msgs_[j.msg];
    const Msg& b = msgs_[best->msg];
    const auto copies_of = [&](std::size_t id) { const auto it = s.copies.find(id); return it == s.copies.end() ? 0u : it->second; };
    // Identical copies of different messages: not to a QoS 2 message its publisher has not
    // released yet when another explains it (that one needs the server to route on PUBLISH,
    // Figure 4.3 Method A; routing on PUBREL is as allowed, and would send it later).
    const auto unreleased = [&](const Msg& m) { return m.qos == 2 && !m.will && m.p_hi == kNever && release_idx(m) >= idx; };
    if (a.id != b.id && unreleased(a) != unreleased(b)) {
      if (!unreleased(a)) best = &j;
      continue;
    }
    // Nor to a will whose publication has no bound yet (its close waits behind a partition, the
    // broker cannot have read it) when a message surely published explains it (seed 42734).
    const auto unbounded_will = [](const Msg& m) { return m.will && m.p_hi == kNever; };
    if (a.id != b.id && unbounded_will(a) != unbounded_will(b)) {
      if (!unbounded_will(a)) best = &j;
      continue;
    }
    // Identical copies of different messages: give it to one the session surely still owes first
    // (a live message not received yet, or a retained message a new subscription must get).
    const auto owed = [&](const Judgement& x, const Msg& m) {
      if (x.retained) {
        const RetainedOffer& o = offers_[x.offer];
        if (o.delivered.count(m.id)) return false;
        const Sub& osub = subs_[o.sub];
        std::vector<std::size_t> possible, required;
        retained_candidates(osub.match_filter, osub, o.subscribe_idx, std::min(osub.add_hi, idx), possible, required);
        return std::find(required.begin(), required.end(), m.id) != required.end();
      }
      return subs_[x.sub].add_hi != kNever && subs_[x.sub].add_hi <= m.p_lo && !m.questionable &&
             !(m.will && will_cancel_state(m) != 0) && copies_of(m.id) == 0;
    };
    const bool a_owed = owed(j, a);
    const bool b_owed = owed(*best, b);
    if (a.id != b.id && a_owed != b_owed) {
      if (a_owed) best = &j;
      continue;
    }
    // Identical copies through one share group: to a message the group has not taken yet (each
    // message goes to one member, 4.8.2; a member whose session ended no longer blocks a second).
    // A member that got the message through another of its subscriptions may have had the
    // group's copy in that one [MQTT-3.3.4-2] (as check_end's member_got: seeds 26576, 48556).
    const auto group_taken = [&](const Judgement& x, const Msg& m) {
      if (x.retained || subs_[x.sub].group.empty()) return false;
      const std::string key = subs_[x.sub].group + "/" + subs_[x.sub].match_filter;
      const auto it = shared_picks_.find({m.id, key});
      const std::size_t picked = it == shared_picks_.end() ? 0 : it->second.size();
      return picked + members_served_otherwise(m, key, idx) >= m.processings;
    };
    if (a.id != b.id && group_taken(j, a) != group_taken(*best, b)) {
      if (!group_taken(j, a)) best = &j;
      continue;
    }
    // Identical copies of different messages: each copy of a message is owed to, or MAY be sent
    // for, one matching subscription at that subscription's QoS [MQTT-3.3.4-2], so a message
    // with as many copies at this QoS as it has subscriptions giving it has none left at it
    // (2.1.2 seed 456: two QoS 2 copies for one "a" granted 2 left the other message none).
    const auto room_at_qos = [&](const Judgement& x, const Msg& m) {
      if (x.retained) return true;
      std::size_t ways = 0, had = 0;
      for (std::size_t si : s.subs)
        if (subs_[si].group.empty() && subs_[si].granted >= 0 && possibly_matching(subs_[si], m, idx) && std::min<int>(m.qos, subs_[si].granted) == p.qos) ++ways;
      for (const Delivery& d : s.deliveries)
        if (d.msg == m.id && !d.retained_offer && d.group.empty() && d.qos == p.qos) ++had;
      return had < ways;
    };
    if (a.id != b.id && room_at_qos(j, a) != room_at_qos(*best, b)) {
      if (room_at_qos(j, a)) best = &j;
      continue;
    }
    // ... and then to one that has not reached this session yet.
    if (a.id != b.id && copies_of(a.id) != copies_of(b.id)) {
      if (copies_of(a.id) < copies_of(b.id)) best = &j;
      continue;
    }
    // ... and then to one owed at this copy's QoS, the maximum of its matching subscriptions
    // [MQTT-3.3.4-2]: a lower copy is only one of the further copies the server MAY send, and
    // giving it to a message owed higher may leave that message's own copy no room (seed 45417).
    const auto at_owed_qos = [&](const Msg& m) {
      int q = 0;
      for (std::size_t si : s.subs)
        if (subs_[si].group.empty() && subs_[si].granted >= 0 && possibly_matching(subs_[si], m, idx)) q = std::max(q, std::min<int>(m.qos, subs_[si].granted));
      return p.qos >= q;
    };
    if (a.id != b.id && !j.retained && !best->retained && at_owed_qos(a) != at_owed_qos(b)) {
      if (at_owed_qos(a)) best = &j;
      continue;
    }
    // One message, a shared and a non-shared way: the non-shared subscription owes a copy anyway.
    if (a.id == b.id && !j.retained && !best->retained && subs_[j.sub].group.empty() != subs_[best->sub].group.empty()) {
      if (subs_[j.sub].group.empty()) best = &j;
      continue;
    }
    if (a.p_lo < b.p_lo) best = &j;
    else if (a.id == b.id && j.retained != best->retained) {
      // Retained copies go out with RETAIN 1; a RETAIN 0 copy is a live one when it can be.
      const std::size_t sub_lo = subs_[j.sub].add_lo;
      if (j.retained && a.p_lo < sub_lo && p.retain) best = &j;
      if (!j.retained && !p.retain) best = &j;
    }
  }
  if (best) {
    accept_delivery(idx, c, s, p, *best);
    if (best->retained) {
      // Remember a live way this copy could also have gone (see judge_retained).
      for (const auto& j : judged)
        if (j.ok && !j.retained && j.msg == best->msg && subs_[j.sub].group.empty()) s.deliveries.back().live_alt_sub = j.sub;
    }
    return;
  }
  const Judgement* worst = nullptr;
  // Between two alike wills published late, the one due last is the likelier (the least late).
  const auto later_will = [&](const Judgement& a, const Judgement& b) {
    return a.statement == "MQTT-3.1.2-8" && b.statement == "MQTT-3.1.2-8" && msgs_[a.msg].will && msgs_[b.msg].will &&
           msgs_[a.msg].due_ms > msgs_[b.msg].due_ms;
  };
  for (const auto& j : judged)
    if (!j.statement.empty() &&
        (!worst || j.score > worst->score || (j.score == worst->score && ((j.retained && p.retain) || later_will(j, *worst)))))
      worst = &j;
  // Stale options after a re-subscription explain several symptoms at once: name the cause.
  for (const auto& j : judged)
    if (j.statement == "MQTT-3.8.4-3") worst = &j;
  if (worst && unknown_publish_idx_ == kNever && !s.unknown_subs) {
    if (const Msg* early = will_sooner_than_late(idx, *worst)) {
      violate(idx, client, "MQTT-3.1.2-8", "the Will Message only after the Will Delay (" + std::to_string(early->will_delay_s) + " s) or the session's end",
              "PUBLISH topic=\"" + p.topic + "\" payload=\"" + p.payload + "\" too early");
      return;
    }
    violate(idx, client, worst->statement, worst->expected, worst->seen + " (PUBLISH topic=\"" + p.topic + "\" payload=\"" + p.payload + "\")");
    return;
  }
  diagnose_unknown(idx, c, s, p);
}

// A copy explained at best as a will published late (after it was due) may instead be an alike
// will (topic, payload) whose delay had not passed yet, published early: both break
// [MQTT-3.1.2-8]. The smaller error in time is the likelier story; returns that will when it is
// the early one, nullptr otherwise.
const Msg* Walker::will_sooner_than_late(std::size_t idx, const Judgement& late) const {
  if (late.statement != "MQTT-3.1.2-8" || late.msg == kNever || !msgs_[late.msg].will) return nullptr;
  const Msg& was_due = msgs_[late.msg];
  const std::uint64_t now_ms = ev_[idx].time_ms;
  // Late since it was due, or since a copy showed it published (a will is published once).
  const std::uint64_t by_ms = was_due.p_hi < idx ? std::min(was_due.due_ms, time_of(was_due.p_hi)) : was_due.due_ms;
  const std::uint64_t late_ms = now_ms > by_ms ? now_ms - by_ms : 0;
  const Msg* best = nullptr;
  std::uint64_t best_early_ms = late_ms;
  for (const Msg& m : msgs_) {
    if (!m.will || m.id == late.msg || m.cancelled || m.p_lo < idx || m.topic != was_due.topic || m.payload != was_due.payload) continue;
    if (m.recv_lo_ms <= now_ms) continue;   // not early by the clock: the event order placed it later
    const std::uint64_t early_ms = m.recv_lo_ms - now_ms;
    if (early_ms < best_early_ms) {
      best = &m;
      best_early_ms = early_ms;
    }
  }
  return best;
}

// A will that nothing published explains, of a connection behind a partition that keepalive
// would close, only a little later: the close came before 1 x Keep Alive of silence [MQTT-3.1.2-22].
// Named as the keepalive rule, which is what the broker broke (its will is then due at once).
bool Walker::will_of_early_keepalive_close(std::size_t idx, const mqtt::Packet& p) {
  const std::uint64_t now = ev_[idx].time_ms;
  for (const auto& [id, other] : conns_) {
    if (!other.will || !other.open() || !other.accepted || !other.held || other.keepalive_s == 0) continue;
    if (other.protocol_error || other.takeover_idx != kNever || other.will->topic != p.topic || other.will->payload != p.payload) continue;
    if (other.version == mqtt::Version::v5 && other.will_delay_s > 0) continue;
    std::uint64_t last_read_ms = 0;
    for (std::uint64_t d : other.sure_recv_ms) last_read_ms = std::max(last_read_ms, d);
    const std::uint64_t earliest_ms = last_read_ms + std::uint64_t{other.keepalive_s} * kKeepaliveEarliestCloseMsPerS;
    if (earliest_ms < now) continue;  // early_close would have placed it
    violate(idx, other.client, "MQTT-3.1.2-22",
            "no keepalive close before the Keep Alive (" + std::to_string(other.keepalive_s) + " s) passed without a packet received (t>=" +
                std::to_string(earliest_ms) + "ms)",
            "the Will Message of " + other.client_id + " at t=" + std::to_string(now) + "ms: the server closed the connection (" +
                std::to_string(earliest_ms - now) + " ms early)");
    return true;
  }
  return false;
}

// A copy nothing the broker accepted explains, that is the Will Message of a connection the
// broker refused: a will is stored only "if the Connect request is accepted" (3.1.1 [MQTT-3.1.2-8];
// 5.0 3.1.4: the checks that refuse a CONNECT come before any processing of it). Named as that,
// not as whichever accepted will or message looks most alike.
bool Walker::will_of_refused_connect(std::size_t idx, const Session& s, const mqtt::Packet& p) {
  const bool subscribed = std::any_of(s.subs.begin(), s.subs.end(), [&](std::size_t si) {
    return !subs_[si].failed() && mqtt::topic_matches(subs_[si].match_filter, p.topic);
  });
  if (!subscribed || unknown_publish_idx_ != kNever || s.unknown_subs) return false;
  for (const auto& [id, o] : conns_) {
    if (!o.refused || !o.will || o.connack_idx >= idx) continue;
    const mqtt::Will& w = *o.will;
    if (w.topic != p.topic || w.payload != p.payload || p.qos > w.qos || (p.retain && !w.retain)) continue;
    char rc[8];
    std::snprintf(rc, sizeof rc, "0x%02X", static_cast<unsigned>(o.refused_rc));
    violate(idx, ev_[idx].client, o.version == mqtt::Version::v311 ? "MQTT-3.1.2-8" : "MQTT-3.1.4",
            "no Will Message of a refused CONNECT (a will is stored only if the Connect request is accepted)",
            "the Will Message of " + o.client_id + " (" + trace_.client_name(o.client) + ", CONNACK " + rc + " at t=" +
                std::to_string(o.connack_ms) + "ms, Keep Alive " + std::to_string(o.keepalive_s) + " s) (PUBLISH topic=\"" + p.topic +
                "\" payload=\"" + p.payload + "\")");
    return true;
  }
  return false;
}

void Walker::diagnose_unknown(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p) {
  const auto client = ev_[idx].client;
  if (unknown_publish_idx_ < idx || s.unknown_subs) {
    count("delivery.unknown_input");
    return;
  }
  bool any_match = false;
  bool dollar_wildcard = false;
  for (std::size_t si : s.subs) {
    const Sub& sub = subs_[si];
    if (mqtt::topic_matches(sub.match_filter, p.topic)) any_match = true;
    if (!p.topic.empty() && p.topic[0] == '$' && !sub.match_filter.empty() && (sub.match_filter[0] == '#' || sub.match_filter[0] == '+'))
      dollar_wildcard = true;
  }
  const std::string seen = "PUBLISH topic=\"" + p.topic + "\" payload=\"" + p.payload + "\"";
  if (!any_match) {
    violate(idx, client, dollar_wildcard ? "MQTT-4.7.2-1" : "MQTT-3.3.2-3",
            dollar_wildcard ? "no $-topic through a filter starting with a wildcard" : "only topics matching the session's subscriptions", seen);
    return;
  }
  for (const Msg& m : msgs_) {
    if (m.will && m.topic == p.topic && m.payload == p.payload && m.p_lo >= idx) {
      violate(idx, client, "MQTT-3.1.2-8", "the Will Message only after the Will Delay (" + std::to_string(m.will_delay_s) + " s) or the session's end",
              seen + " too early");
      return;
    }
  }
  for (const auto& [id, other] : conns_) {
    if (other.will && other.open() && other.accepted && other.will->topic == p.topic && other.will->payload == p.payload) {
      violate(idx, client, "MQTT-3.1.2-8", "a Will Message only after its connection closed", seen + " while " + other.client_id + " is connected");
      return;
    }
  }
  (void)c;
  violate(idx, client, "MQTT-4.5.0-1", "a message some client published (or a will or retained message)", seen);
}

void Walker::accept_delivery(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p, const Judgement& j) {
  const auto client = ev_[idx].client;
  Msg& m = msgs_[j.msg];
  const Sub& sub = subs_[j.sub];
  m.p_hi = std::min(m.p_hi, idx);  // a copy arrived: the broker surely had it
  m.recv_hi_ms = std::min(m.recv_hi_ms, ev_[idx].time_ms);
  Delivery d;
  d.msg = j.msg;
  d.recv_idx = idx;
  d.qos = p.qos;
  d.retained_offer = j.retained;
  d.group = sub.group;
  if (j.retained) d.offer = j.offer;
  if (j.swap_delivery != kNever) {
    Delivery& earlier = s.deliveries[j.swap_delivery];
    earlier.retained_offer = false;
    earlier.offer = kNever;
    d.live_alt_sub = kNever;
    ++s.copies[j.msg];
    count("retained.reread_as_live");
  }
  s.deliveries.push_back(d);
  if (j.retained) {
    offers_[j.offer].delivered.insert(j.msg);
    count("retained.delivered");
  } else {
    ++s.copies[j.msg];
  }
  if (m.will) count("will.published");
  if (m.expiry_s) count("message.expiry_forwarded");
  const std::size_t self = static_cast<std::size_t>(&s - sessions_.data());
  if (!sub.group.empty() && !j.retained) {
    const std::string key = sub.group + "/" + sub.match_filter;
    // Another member's copy counted for this group moves to another group it is in, where it
    // explains both copies (judge_live accepted this one on that ground).
    auto& picks = shared_picks_[{j.msg, key}];
    for (std::size_t k = 0; k < picks.size();) {
      const SharedPick& pick = picks[k];
      const Session& other = sessions_[pick.session];
      const auto oit = other.inflight.find(pick.packet_id);
      const auto ocit = conns_.find(pick.conn);
      const bool broke = pick.qos == 1 && ocit != conns_.end() && !ocit->second.open() && oit != other.inflight.end() &&
                         oit->second.msg == j.msg && oit->second.state == OutState::AwaitAck;
      const bool ambiguous = std::any_of(other.subs.begin(), other.subs.end(), [&](std::size_t k2) {
        return subs_[k2].group.empty() && possibly_matching(subs_[k2], m, idx);
      });
      const bool justified = broke || ambiguous || (other.ended && pick.qos < 2);
      const std::string alt = pick.session == self || justified ? "" : other_share_group(other, m, key, idx);
      if (alt.empty()) { ++k; continue; }
      const SharedPick moved = picks[k];
      picks.erase(picks.begin() + static_cast<std::ptrdiff_t>(k));
      shared_picks_[{j.msg, alt}].push_back(moved);
      count("share.pick_regrouped");
    }
    shared_picks_[{j.msg, key}].push_back({self, p.qos, c.id, p.packet_id});
    count("share.delivery");
  }
  // Order per publisher, topic and QoS on non-shared subscriptions [MQTT-4.6.0-5, 4.6.0-6].
  std::size_t matching = 0;
  for (std::size_t si : s.subs) if (possibly_matching(subs_[si], m, idx)) ++matching;
  const bool twin = std::any_of(msgs_.begin(), msgs_.end(), [&](const Msg& o) {
    return o.id != m.id && o.conn == m.conn && o.topic == m.topic && o.payload == m.payload;
  });
  if (!j.retained && sub.group.empty() && !m.will && m.processings == 1 && matching == 1 && !twin) {
    const std::string key = std::to_string(m.conn) + "|" + m.topic + "|" + std::to_string(m.qos) + "|" + std::to_string(p.qos);
    auto& last = s.order[key];
    // A QoS 2 message may be routed on its PUBREL (4.3.3, Figure 4.3 Method A): a publisher that
    // released its messages in another order than it published them (against its own
    // [MQTT-4.6.0-4]) may see them delivered in the order released.
    const auto released_first = [&]() {
      if (m.qos != 2) return false;
      const auto later = std::find_if(msgs_.begin(), msgs_.end(), [&](const Msg& o) { return o.conn == m.conn && o.seq == last && !o.will; });
      const std::size_t rel = release_idx(m);
      return later != msgs_.end() && later->qos == 2 && rel < idx && release_idx(*later) < rel;
    };
    if (last > m.seq && released_first()) {
      count("order.qos2_released_out_of_order");
    } else if (last > m.seq) {
      violate(idx, client, "MQTT-4.6.0-5", "messages from one publisher on topic \"" + m.topic + "\" at QoS " + std::to_string(m.qos) + " in the order sent",
              "message #" + std::to_string(m.seq) + " after #" + std::to_string(last));
    }
    last = std::max(last, m.seq);
  }
  add_outflight(idx, c, s, p, j.msg);
}

// The client's PUBREL for its QoS 2 message `m` (kNever: not sent): on its connection, or on a
// later one that resumed the same session (the PUBREL is resent there [MQTT-4.4.0-1]).
std::size_t Walker::release_idx(const Msg& m) const {
  if (m.p_lo >= ev_.size()) return kNever;
  const Event& pub = ev_[m.p_lo];
  if (pub.kind != EventKind::Send || pub.conn != m.conn || !pub.packet || pub.packet->type != mqtt::PacketType::PUBLISH ||
      pub.packet->qos != 2)
    return kNever;
  const std::uint16_t id = pub.packet->packet_id;
  const auto cit = conns_.find(m.conn);
  const std::size_t session = cit == conns_.end() ? kNever : cit->second.session;
  const auto same_session = [&](std::uint32_t conn) {
    if (conn == m.conn) return true;
    if (session == kNever) return false;
    const auto& conns = sessions_[session].conns;
    return std::find(conns.begin(), conns.end(), conn) != conns.end();
  };
  for (std::size_t i = m.p_lo + 1; i < ev_.size(); ++i) {
    const Event& e = ev_[i];
    if (e.kind != EventKind::Send || !e.packet || !same_session(e.conn)) continue;
    if (e.packet->type == mqtt::PacketType::PUBREL && e.packet->packet_id == id) return i;
  }
  return kNever;
}

// A fresh QoS 1/2 PUBLISH: within the client's Receive Maximum [MQTT-3.3.4-9], then in flight.
void Walker::add_outflight(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p, std::size_t msg) {
  const auto client = ev_[idx].client;
  if (p.qos == 0) return;
  if (c.version == mqtt::Version::v5) {
    std::size_t in_flight = 0;
    for (const auto& [pid, o] : s.inflight) {
      if (o.last_conn != c.id) continue;
      if ((o.qos == 1 && o.state == OutState::AwaitAck) || (o.qos == 2 && o.state != OutState::CompSent && !o.pubrec_failed)) ++in_flight;
    }
    if (in_flight >= c.receive_max) {
      violate(idx, client, "MQTT-3.3.4-9", "at most Receive Maximum " + std::to_string(c.receive_max) + " unacknowledged QoS 1/2 PUBLISH",
              std::to_string(in_flight + 1) + " in flight");
    }
  }
  if (config_.max_inflight_messages > 0 && s.inflight.size() + s.inbound_qos2.size() + 1 >= config_.max_inflight_messages)
    s.pressure_seen = true;
  Outflight o;
  o.msg = msg;
  o.topic = p.topic;
  o.payload = p.payload;
  o.qos = p.qos;
  o.last_conn = c.id;
  if (c.version == mqtt::Version::v5)
    if (const auto left_s = prop_number(p.properties, mqtt::prop::MessageExpiryInterval)) o.carried_expiry_ms = ev_[idx].time_ms + std::uint64_t{*left_s} * 1000;
  s.inflight[p.packet_id] = o;
}

// The broker's PUBREL for a QoS 2 message it sent: only after the client's PUBREC, and after it
// the PUBLISH is never sent again [MQTT-4.3.3-6].
void Walker::on_pubrel_out(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  const auto client = ev_[idx].client;
  if (c.session == kNever) return;
  Session& s = sessions_[c.session];
  auto it = s.inflight.find(p.packet_id);
  auto pend = std::find_if(c.pending.begin(), c.pending.end(), [&](const PendingRequest& r) {
    return r.answer == mqtt::PacketType::PUBREL && r.packet_id == p.packet_id;
  });
  const bool answered_pubrec = pend != c.pending.end();
  if (answered_pubrec) c.pending.erase(pend);
  if (answered_pubrec && (it == s.inflight.end() || it->second.qos != 2)) return;  // a stray PUBREC may get its PUBREL
  if (it == s.inflight.end() || it->second.qos != 2 || it->second.state == OutState::AwaitAck) {
    violate(idx, client, "MQTT-2.2.1-5", "PUBREL only for a QoS 2 PUBLISH the client answered with PUBREC", "PUBREL id=" + std::to_string(p.packet_id));
    return;
  }
  Outflight& o = it->second;
  if (o.state == OutState::RelSeen && o.rel_conn == c.id) {
    violate(idx, client, "MQTT-4.4.0-1", "no PUBREL resend except on a new connection", "PUBREL id=" + std::to_string(p.packet_id) + " again");
  }
  if (o.state != OutState::CompSent) o.state = OutState::RelSeen;
  o.rel_conn = c.id;
  o.last_conn = c.id;
  count("pubrel");
}

}  // namespace mqsim::model::detail
