// What clients send and how the broker must answer it: PUBLISH intake (QoS 2 duplicates are one
// message [MQTT-4.3.3-10], topic aliases, packets the broker may refuse), SUBSCRIBE/UNSUBSCRIBE
// (subscription lifetimes, replacement [MQTT-3.8.4-3], SUBACK codes), acknowledgements both
// ways, and which retained messages a new subscription may or must receive.
// It must never decide that the broker refused a message on its own: only what a client saw.
#include <algorithm>
#include <cassert>

#include "model/check_state.h"
#include "trace/mqtt/topic.h"

namespace mqsim::model::detail {

namespace {
constexpr int kResponse = 1;
}

std::size_t Walker::add_msg(Msg m) {
  m.id = msgs_.size();
  if (m.retain) retained_[m.topic].push_back(m.id);
  msgs_.push_back(std::move(m));
  return msgs_.size() - 1;
}

// The publisher sent `m` again (same Packet Identifier, before its acknowledgement), maybe on a
// newer connection: the broker may read it from there even if the first send is still held.
void Walker::note_resend(Msg& m, const Conn& c, std::size_t idx) {
  assert(!m.will && !m.sends.empty());
  if (m.sends.size() < kMaxSendsTracked) m.sends.emplace_back(c.id, idx);
}

void Walker::on_publish_in(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  const Event& e = ev_[idx];
  std::string topic = p.topic;
  std::vector<std::string> why;
  if (c.version == mqtt::Version::v5) {
    if (const auto alias = prop_number(p.properties, mqtt::prop::TopicAlias)) {
      count("topic_alias.in");
      if (*alias == 0 || *alias > c.server_alias_max) why.push_back("topic alias out of range [MQTT-3.3.2-9]");
      if (!topic.empty()) c.alias_in[static_cast<std::uint16_t>(*alias)] = topic;
      else if (auto it = c.alias_in.find(static_cast<std::uint16_t>(*alias)); it != c.alias_in.end()) topic = it->second;
      else {
        mark_protocol_error(c, "unknown topic alias");
        return;  // no topic: nothing can be delivered from it
      }
    }
    if (mqtt::find_property(p.properties, mqtt::prop::SubscriptionIdentifier)) why.push_back("Subscription Identifier [MQTT-3.3.4-6]");
    // The client's send quota (4.9): no more than the server's Receive Maximum QoS 1/2 PUBLISH
    // unacknowledged [MQTT-3.3.4-7]. Beyond it the server treats it as an error (DISCONNECT 0x93,
    // 4.13), so what becomes of that message is open.
    if (p.qos > 0 && c.quota_used.count(p.packet_id) == 0 && c.quota_used.size() >= c.server_receive_max)
      why.push_back("more than the server's Receive Maximum " + std::to_string(c.server_receive_max) + " unacknowledged [MQTT-3.3.4-7]");
    if (p.qos > 0 && c.quota_used.size() < 65535) c.quota_used.insert(p.packet_id);
  }
  if (!mqtt::valid_topic_name(topic)) why.push_back("invalid topic name");
  if (p.qos > config_.max_qos) why.push_back("QoS above the server's maximum");
  if (p.retain && !config_.retain_available) why.push_back("RETAIN while retain is unavailable");
  if (config_.message_size_limit > 0 && p.payload.size() > config_.message_size_limit) why.push_back("payload over message_size_limit");
  if (config_.max_packet_size > 0 && e.data.size() > config_.max_packet_size) why.push_back("packet over max_packet_size");
  for (const auto& w : why) mark_protocol_error(c, w);
  Session* s = c.session == kNever ? nullptr : &sessions_[c.session];
  count(p.qos == 0 ? "publish.qos0" : (p.qos == 1 ? "publish.qos1" : "publish.qos2"));
  // A client that reuses the identifier of a QoS 2 message still awaiting PUBREL for a different
  // message breaks [MQTT-2.2.1-3]; the spec says nothing of what the server then does with the
  // earlier one, so it may be lost (and the new one is a message of its own).
  if (s && p.qos > 0) {
    if (auto it = s->inbound_qos2.find(p.packet_id); it != s->inbound_qos2.end()) {
      Msg& earlier = msgs_[it->second];
      if (p.qos != 2 || earlier.topic != topic || earlier.payload != p.payload) {
        earlier.questionable = true;
        earlier.questionable_why = "its packet id was reused by the publisher before PUBREL";
        count("publish.id_reused");
        s->inbound_qos2.erase(it);
      }
    }
  }
  if (s && p.qos == 2) {
    if (auto it = s->inbound_qos2.find(p.packet_id); it != s->inbound_qos2.end()) {
      // Until PUBREL the same identifier is the same message: PUBREC again, no second delivery.
      count("publish.qos2.duplicate");
      note_resend(msgs_[it->second], c, idx);
      c.pending.push_back({T::PUBREC, p.packet_id, idx, e.time_ms, it->second, {}});
      return;
    }
  }
  if (s && p.qos == 1) {
    if (auto it = s->inbound_qos1.find(p.packet_id); it != s->inbound_qos1.end() && msgs_[it->second].payload == p.payload &&
                                                       msgs_[it->second].topic == topic) {
      // A resend before PUBACK: the broker may take it as a new message (at least once).
      ++msgs_[it->second].processings;
      msgs_[it->second].again_lo = idx;
      msgs_[it->second].again_hi = kNever;
      note_resend(msgs_[it->second], c, idx);
      count("publish.qos1.resend");
      c.pending.push_back({T::PUBACK, p.packet_id, idx, e.time_ms, it->second, {}});
      deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-4.3.2-4", "PUBACK", idx, kResponse, p.packet_id, 0});
      return;
    }
  }
  Msg m;
  m.client = c.client;
  m.conn = c.id;
  m.publisher_id = c.client_id;
  m.topic = topic;
  m.payload = p.payload;
  m.qos = p.qos;
  m.retain = p.retain;
  m.props = forwarded_props(p.properties);
  m.expiry_s = prop_number(p.properties, mqtt::prop::MessageExpiryInterval);
  m.p_lo = idx;
  m.recv_lo_ms = e.time_ms + (c.held ? 0 : c.latency_ms);
  m.questionable = !why.empty() || c.protocol_error;
  if (m.questionable) m.questionable_why = why.empty() ? c.protocol_error_why : why.front();
  m.seq = ++seq_by_conn_[c.id];
  m.sends.emplace_back(c.id, idx);
  m.under_pressure = s && (!s->inbound_qos2.empty() || !s->inbound_qos1.empty());
  const std::size_t id = add_msg(std::move(m));
  // QoS 2 may be routed on PUBLISH or only on PUBREL (4.3.3, Figure 4.3): its proof is PUBCOMP.
  if (p.qos < 2) c.unproven_msgs.push_back(id);
  if (p.retain) count(p.payload.empty() ? "publish.retained.clear" : "publish.retained");
  if (s && p.qos > 0 && config_.max_inflight_messages > 0 &&
      s->inbound_qos1.size() + s->inbound_qos2.size() + 1 >= config_.max_inflight_messages)
    s->pressure_seen = true;  // Mosquitto's window may count both directions
  if (p.qos == 1) {
    if (s) s->inbound_qos1[p.packet_id] = id;
    c.pending.push_back({T::PUBACK, p.packet_id, idx, e.time_ms, id, {}});
    deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-4.3.2-4", "PUBACK", idx, kResponse, p.packet_id, 0});
  } else if (p.qos == 2) {
    if (s) s->inbound_qos2[p.packet_id] = id;
    c.pending.push_back({T::PUBREC, p.packet_id, idx, e.time_ms, id, {}});
    deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-4.3.3-8", "PUBREC", idx, kResponse, p.packet_id, 0});
  }
}

// The client's acknowledgements: of the server's PUBLISH (PUBACK, PUBREC, PUBCOMP) and its own
// QoS 2 release (PUBREL).
void Walker::on_client_ack(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  const Event& e = ev_[idx];
  if (c.session == kNever) return;
  Session& s = sessions_[c.session];
  if (p.type == T::PUBREL) {
    const auto it = s.inbound_qos2.find(p.packet_id);
    const std::size_t msg = it == s.inbound_qos2.end() ? kNever : it->second;
    s.inbound_qos2.erase(p.packet_id);  // after this the identifier starts a new message [MQTT-4.3.3-12]
    c.pending.push_back({T::PUBCOMP, p.packet_id, idx, e.time_ms, msg, {}});
    deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-4.3.3-11", "PUBCOMP", idx, kResponse, p.packet_id, 0});
    return;
  }
  auto it = s.inflight.find(p.packet_id);
  if (it != s.inflight.end() && p.type == T::PUBREC && it->second.qos != 2) {
    // A PUBREC meant for another exchange (an old session's): answered like a stray one.
    mark_protocol_error(c, "PUBREC for a QoS 1 message");
    if (p.reason_code < 0x80) c.pending.push_back({T::PUBREL, p.packet_id, idx, e.time_ms, kNever, {}});
    return;
  }
  if (it == s.inflight.end()) {
    mark_protocol_error(c, std::string(mqtt::packet_type_name(p.type)) + " for an identifier not in flight");
    // The broker may still answer a stray PUBREC with PUBREL (reason 0x92 or not).
    if (p.type == T::PUBREC && p.reason_code < 0x80) c.pending.push_back({T::PUBREL, p.packet_id, idx, e.time_ms, kNever, {}});
    return;
  }
  Outflight& o = it->second;
  if (p.type == T::PUBACK) {
    if (o.qos != 1) {
      // A PUBACK has no place in a QoS 2 exchange (4.3.3): it does not undo a finished one (a
      // client may send a stale PUBACK after PUBCOMP). An unfinished one is the client's
      // Protocol Error: what the server then does with that message is not specified.
      mark_protocol_error(c, "PUBACK for a QoS 2 message");
      if (o.state != OutState::CompSent) o.client_broke = true;
      return;
    }
    o.state = OutState::AckSent;
  } else if (p.type == T::PUBREC) {
    if (o.qos != 2) mark_protocol_error(c, "PUBREC for a QoS 1 message");
    if (p.reason_code >= 0x80) o.pubrec_failed = true;
    if (o.state == OutState::AwaitAck) o.state = OutState::AckSent;
    if (!o.pubrec_failed) {
      deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-4.3.3-4", "PUBREL", idx,
                            kResponse, p.packet_id, 0});
      c.pending.push_back({T::PUBREL, p.packet_id, idx, e.time_ms, kNever, {}});
    }
  } else if (p.type == T::PUBCOMP) {
    if (o.state != OutState::RelSeen) mark_protocol_error(c, "PUBCOMP before PUBREL");
    o.state = OutState::CompSent;
  }
}

// A PUBREC on `c` for a QoS 2 PUBLISH its client sent on an earlier connection of the same
// session and that no PUBREC answered there: the server holds that message as session state
// (4.1: "QoS 2 messages which have been received from the Client, but have not been completely
// acknowledged") and may answer it on the connection that resumed the session; the PUBREC
// carries that PUBLISH's Packet Identifier [MQTT-2.2.1-5]. Takes the request off the earlier
// connection and returns its message, or kNever when there is no such PUBLISH.
std::size_t Walker::pubrec_from_earlier_connection(const Conn& c, std::uint16_t packet_id) {
  if (c.session == kNever) return kNever;
  Session& s = sessions_[c.session];
  const auto held = s.inbound_qos2.find(packet_id);
  if (held == s.inbound_qos2.end() || s.pubrec_late.count(held->second)) return kNever;   // nothing left to answer
  const Msg& m = msgs_[held->second];
  for (const auto& [conn_id, send_idx] : m.sends) {
    const Conn* earlier = conn_id == c.id ? nullptr : find_conn(conn_id);
    if (!earlier || earlier->open() || earlier->session != c.session) continue;
    bool answered = false;   // a PUBREC for it came on that connection
    for (std::size_t i = send_idx + 1; i < current_idx_ && !answered; ++i) {
      const Event& e = ev_[i];
      answered = e.conn == conn_id && e.kind == EventKind::Recv && e.packet && e.packet->type == mqtt::PacketType::PUBREC &&
                 e.packet->packet_id == packet_id;
    }
    if (answered) continue;
    s.pubrec_late.insert(held->second);
    return held->second;
  }
  return kNever;
}

// The broker's answers to the client's PUBLISH and PUBREL.
void Walker::on_server_ack(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  const auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const PendingRequest& r) {
    return r.answer == p.type && r.packet_id == p.packet_id;
  });
  std::size_t msg = it == c.pending.end() ? kNever : it->msg;
  const std::size_t request_idx = it == c.pending.end() ? kNever : it->send_idx;
  if (it == c.pending.end() && p.type == T::PUBREC && (msg = pubrec_from_earlier_connection(c, p.packet_id)) != kNever) {
    count("answer.pubrec_on_later_connection");
  } else {
    answer_request(idx, c, p.type, p.packet_id);
  }
  // The client's send quota comes back with PUBACK, PUBCOMP or a failed PUBREC (4.9).
  if (p.type != T::PUBREC || p.reason_code >= 0x80) c.quota_used.erase(p.packet_id);
  if (msg == kNever) return;
  Msg& m = msgs_[msg];
  const bool refused = c.version == mqtt::Version::v5 && p.reason_code >= 0x80;
  if (refused) {
    // The broker said it did not accept the message: no one is owed it.
    m.questionable = true;
    m.questionable_why = "refused with reason code " + std::to_string(p.reason_code);
    count("publish.refused");
  }
  if (p.type == T::PUBACK && request_idx == m.again_lo) m.again_hi = std::min(m.again_hi, idx);  // the resend is taken
  if (p.type == T::PUBCOMP) {
    m.p_hi = std::min(m.p_hi, idx);  // routed by now, whichever method the broker uses
    m.recv_hi_ms = std::min(m.recv_hi_ms, time_of(idx));
  }
  if (c.session == kNever) return;
  Session& s = sessions_[c.session];
  if (p.type == T::PUBACK) s.inbound_qos1.erase(p.packet_id);
  if (p.type == T::PUBREC && refused) s.inbound_qos2.erase(p.packet_id);  // [MQTT-4.3.3-9]
}

void Walker::on_subscribe(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  using T = mqtt::PacketType;
  const Event& e = ev_[idx];
  std::optional<std::uint32_t> sub_id;
  if (c.version == mqtt::Version::v5) sub_id = prop_number(p.properties, mqtt::prop::SubscriptionIdentifier);
  PendingRequest req{T::SUBACK, p.packet_id, idx, e.time_ms, kNever, {}};
  for (const auto& want : p.subscriptions) {
    Sub sub;
    sub.session = c.session;
    sub.conn = c.id;
    sub.filter = want.filter;
    sub.opts = want;
    sub.sub_id = sub_id;
    sub.add_lo = idx;
    if (const auto shared = mqtt::parse_shared(want.filter)) {
      sub.group = shared->group;
      sub.match_filter = shared->filter;
      if (want.no_local) mark_protocol_error(c, "No Local on a shared subscription [MQTT-3.8.3-4]");
    } else {
      sub.match_filter = want.filter;
    }
    if (c.session != kNever) {
      for (std::size_t old : sessions_[c.session].subs) {
        Sub& o = subs_[old];
        if (o.filter != want.filter || o.del_lo != kNever || o.failed()) continue;
        o.del_lo = idx;  // replaced [MQTT-3.8.4-3]
        sub.replaces = old;
        sub.maybe_existed = true;
        sub.surely_existed = o.add_hi != kNever && o.add_hi <= idx && o.granted >= 0;
      }
    }
    subs_.push_back(std::move(sub));
    const std::size_t si = subs_.size() - 1;
    if (c.session != kNever) sessions_[c.session].subs.push_back(si);
    req.subs.push_back(si);
    const Sub& added = subs_[si];
    {
      // Every subscription gets an offer; the ones that may send nothing say which rule forbids
      // it, so that a retained message sent anyway is named precisely.
      RetainedOffer offer;
      offer.sub = si;
      offer.subscribe_idx = idx;
      offer.statement = added.opts.retain_handling == 1 ? "MQTT-3.3.1-10" : (added.replaces != kNever ? "MQTT-3.8.4-4" : "MQTT-3.3.1-9");
      if (!added.group.empty()) offer.forbidden = "MQTT-4.8.2";
      else if (c.version == mqtt::Version::v5 && added.opts.retain_handling == 2) offer.forbidden = "MQTT-3.3.1-11";
      else if (c.version == mqtt::Version::v5 && added.opts.retain_handling == 1 && added.surely_existed) offer.forbidden = "MQTT-3.3.1-10";
      else if (!config_.retain_available) offer.forbidden = "MQTT-3.3.1-5";
      offers_.push_back(std::move(offer));
      if (c.session != kNever) sessions_[c.session].offers.push_back(offers_.size() - 1);
    }
    count(added.group.empty() ? "subscribe" : "subscribe.shared");
  }
  c.pending.push_back(std::move(req));
  deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-3.8.4-1", "SUBACK", idx, kResponse, p.packet_id, 0});
}

void Walker::on_suback(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  const auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const PendingRequest& r) {
    return r.answer == mqtt::PacketType::SUBACK && r.packet_id == p.packet_id;
  });
  const bool known = it != c.pending.end();
  const std::vector<std::size_t> subs = known ? it->subs : std::vector<std::size_t>{};
  answer_request(idx, c, mqtt::PacketType::SUBACK, p.packet_id);  // invalidates `it`
  if (!known) return;
  const auto client = ev_[idx].client;
  if (p.reason_codes.size() != subs.size()) {
    violate(idx, client, c.version == mqtt::Version::v5 ? "MQTT-3.8.4-6" : "MQTT-3.8.4-5",
            std::to_string(subs.size()) + " return codes, one per Topic Filter", std::to_string(p.reason_codes.size()));
  }
  for (std::size_t i = 0; i < subs.size() && i < p.reason_codes.size(); ++i) {
    Sub& s = subs_[subs[i]];
    const std::uint8_t rc = p.reason_codes[i];
    if (c.version == mqtt::Version::v311 && rc > 2 && rc != 0x80) {
      violate(idx, client, "MQTT-3.9.3-2", "a SUBACK return code of 0x00, 0x01, 0x02 or 0x80", std::to_string(rc));
    }
    s.granted = rc;
    s.add_hi = idx;
    if (rc < 0x80 && rc > s.opts.qos) {
      violate(idx, client, c.version == mqtt::Version::v5 ? "MQTT-3.8.4-7" : "MQTT-3.9.3-1",
              "a granted QoS no higher than the requested " + std::to_string(s.opts.qos), std::to_string(rc));
    }
    if (s.replaces != kNever) {
      if (rc < 0x80) subs_[s.replaces].del_hi = idx;
      else subs_[s.replaces].del_lo = kNever;  // a failed replacement leaves the old one
    }
    if (rc >= 0x80) count("subscribe.refused");
  }
}

void Walker::on_unsubscribe(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  const Event& e = ev_[idx];
  PendingRequest req{mqtt::PacketType::UNSUBACK, p.packet_id, idx, e.time_ms, kNever, {}};
  if (c.session != kNever) {
    for (const auto& f : p.filters) {
      for (std::size_t si : sessions_[c.session].subs) {
        Sub& s = subs_[si];
        if (s.filter != f || s.del_lo != kNever) continue;
        s.del_lo = idx;
        req.subs.push_back(si);
      }
    }
  }
  count("unsubscribe");
  c.pending.push_back(std::move(req));
  deadlines_.push_back({e.time_ms + 2 * c.max_latency_ms + options_.timer_slack_ms, c.id, "MQTT-3.10.4-4", "UNSUBACK", idx, kResponse, p.packet_id, 0});
}

void Walker::on_unsuback(std::size_t idx, Conn& c, const mqtt::Packet& p) {
  const auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const PendingRequest& r) {
    return r.answer == mqtt::PacketType::UNSUBACK && r.packet_id == p.packet_id;
  });
  const std::vector<std::size_t> subs = it == c.pending.end() ? std::vector<std::size_t>{} : it->subs;
  answer_request(idx, c, mqtt::PacketType::UNSUBACK, p.packet_id);
  for (std::size_t si : subs) subs_[si].del_hi = idx;
}

namespace {

// The largest and the second largest of a key over a set of messages: "the largest over the
// others than m" for every m at once, instead of comparing every pair (long traces retain
// hundreds of messages on one topic).
struct TopTwo {
  std::size_t first_id = kNever;
  std::optional<std::size_t> first, second;
  void add(std::size_t id, std::size_t key) {
    if (!first || key > *first) {
      second = first;
      first = key;
      first_id = id;
    } else if (!second || key > *second) {
      second = key;
    }
  }
  std::optional<std::size_t> other_than(std::size_t id) const { return id == first_id ? second : first; }
};

}  // namespace

// Retained messages on topics matching `sub`'s filter that a subscription processed in
// (s_lo, s_hi) may receive (`possible`) or must receive (`required`) [MQTT-3.3.1-9/10].
void Walker::retained_candidates(const std::string& topic_filter, const Sub& sub, std::size_t s_lo, std::size_t s_hi,
                                 std::vector<std::size_t>& possible, std::vector<std::size_t>& required) {
  const std::uint64_t s_lo_ms = time_of(s_lo);
  const std::uint64_t s_hi_ms = s_hi == kNever ? kForeverMs : time_of(s_hi);
  for (const auto& [topic, ids] : retained_) {
    if (!mqtt::topic_matches(topic_filter, topic)) continue;
    // Whether a will is cancelled is asked once per will (it looks at every connection).
    std::vector<int> cancel(ids.size(), 0);
    for (std::size_t k = 0; k < ids.size(); ++k)
      if (msgs_[ids[k]].will) cancel[k] = will_cancel_state(msgs_[ids[k]]);
    // A message is superseded by another surely stored before the subscription and after it;
    // it is alone when no other may have been stored between it and the subscription.
    TopTwo superseder_lo, overlap_hi;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const Msg& m2 = msgs_[ids[k]];
      if (!m2.questionable && m2.p_hi <= s_lo && !(m2.will && cancel[k] != 0)) superseder_lo.add(ids[k], m2.p_lo);
      if (m2.p_lo < s_hi) overlap_hi.add(ids[k], m2.p_hi);
    }
    std::size_t sure = kNever;
    bool sure_unique = true;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const std::size_t id = ids[k];
      const Msg& m = msgs_[id];
      if (m.p_lo >= s_hi || m.payload.empty()) continue;
      if (m.will && cancel[k] == 1) continue;
      const auto later = superseder_lo.other_than(id);
      if (later && *later >= m.p_hi) continue;   // superseded
      if (m.expiry_s && m.recv_hi_ms < kForeverMs && s_lo_ms > m.recv_hi_ms + std::uint64_t{*m.expiry_s} * 1000 + options_.timer_slack_ms) continue;
      possible.push_back(id);
      // Required: surely stored before the subscription, nothing else possibly in between, and
      // surely not expired.
      const bool stable = m.p_hi <= s_lo && !m.questionable && !(m.will && cancel[k] != 0) &&
                          (!m.expiry_s || s_hi_ms < m.recv_lo_ms + std::uint64_t{*m.expiry_s} * 1000);
      const auto overlap = overlap_hi.other_than(id);
      const bool alone = !(overlap && *overlap > m.p_lo);
      if (stable && alone) {
        if (sure != kNever) sure_unique = false;
        sure = id;
      }
    }
    if (sure != kNever && sure_unique && s_hi != kNever && sub.granted >= 0 && sub.granted < 0x80 &&
        (sub.opts.retain_handling == 0 || (sub.opts.retain_handling == 1 && !sub.maybe_existed)))
      required.push_back(sure);
  }
}

}  // namespace mqsim::model::detail
