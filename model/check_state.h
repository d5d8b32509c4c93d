// The reference model's inner state while it walks a trace: connections, sessions, messages,
// subscriptions, retained offers and obligations. Internal to model/check_*.cpp.
//
// The one idea: the broker's actions are never in the trace, only their effects, so every
// broker action is placed between two events. "Processed in (lo, hi)" means: after event lo and
// before event hi (event indices; kNever = not known to have happened). A rule that says
// "must" uses the sure bounds; a rule that says "may" uses the possible ones. Times follow the
// same habit: *_lo_ms / *_hi_ms bound when the broker did something.
//
// Must never: read the broker's log, or decide anything from Mosquitto's behaviour.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "model/checker.h"
#include "trace/mqtt/packet.h"

namespace mqsim::model::detail {

constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();
constexpr std::uint64_t kForeverMs = std::numeric_limits<std::uint64_t>::max() / 4;
constexpr std::uint32_t kExpiryNever = 0xFFFFFFFFu;
// [MQTT-3.1.2-22] bounds how LATE the server closes a silent connection (1.5 x Keep Alive). The
// earliest a keepalive close may come is once the client, as far as the server can tell, missed its
// own keepalive [MQTT-3.1.2-20]: 1 x Keep Alive without a packet received (issue 20's review).
constexpr std::uint64_t kKeepaliveEarliestCloseMsPerS = 1000;
constexpr std::size_t kMaxSendsTracked = 64;   // Msg::sends beyond this: assume some send was read

struct PendingRequest {       // a client packet that the server must answer
  mqtt::PacketType answer = mqtt::PacketType::PUBACK;
  std::uint16_t packet_id = 0;
  std::size_t send_idx = 0;
  std::uint64_t send_ms = 0;
  std::size_t msg = kNever;              // PUBLISH: the message it carried
  std::vector<std::size_t> subs;         // SUBSCRIBE / UNSUBSCRIBE: the subscriptions it touched
};

struct Conn {
  std::uint32_t id = 0;
  std::uint32_t client = 0;
  mqtt::Version version = mqtt::Version::v5;
  std::size_t dial_idx = 0;
  std::size_t connect_idx = kNever;      // the CONNECT Send
  std::size_t connack_idx = kNever;      // the CONNACK Recv
  std::uint64_t connack_ms = 0;
  bool accepted = false;                 // CONNACK success seen
  bool refused = false;
  std::uint8_t refused_rc = 0;           // the refusing CONNACK's code
  std::string client_id;                 // as sent, then as assigned
  bool clean_start = true;
  std::uint32_t expiry_s = 0;            // Session Expiry Interval in effect for this connection
  std::uint32_t expiry_before_disconnect_s = 0;   // ... before DISCONNECT changed it
  std::uint16_t keepalive_s = 0;         // the keepalive the server applies (Server Keep Alive wins)
  std::optional<mqtt::Will> will;
  std::uint32_t will_delay_s = 0;
  std::uint32_t session_expiry_s = 0;    // a will: its connection's Session Expiry Interval at the close
  std::uint16_t receive_max = 65535;     // client's Receive Maximum
  std::uint32_t max_packet_size = 0;     // client's Maximum Packet Size, 0 = none
  std::uint16_t client_alias_max = 0;    // client's Topic Alias Maximum
  std::uint16_t server_alias_max = 0;    // from CONNACK
  std::uint16_t server_receive_max = 65535;   // from CONNACK: the server's Receive Maximum
  std::set<std::uint16_t> quota_used;    // the client's QoS 1/2 PUBLISH ids not yet PUBACK/PUBCOMP/failed PUBREC
  std::map<std::uint16_t, std::string> alias_in;   // client -> server
  std::map<std::uint16_t, std::string> alias_out;  // server -> client
  std::size_t session = kNever;          // index into Walker::sessions_ once accepted
  std::size_t packets_seen = 0;          // server packets received on this connection

  // How it ended, as seen by the client.
  bool client_closed = false;            // the client closed (any way)
  std::string close_how;                 // "disconnect", "crash", "reset"
  std::size_t close_idx = kNever;
  std::uint64_t close_ms = 0;
  bool peer_closed = false;              // the client saw the broker close or reset
  std::size_t peer_close_idx = kNever;
  std::uint64_t peer_close_ms = 0;
  bool disconnect_sent = false;          // the client sent DISCONNECT
  std::uint8_t disconnect_rc = 0;
  bool server_disconnect = false;        // the server sent DISCONNECT
  std::uint8_t server_disconnect_rc = 0;
  std::size_t server_disconnect_idx = kNever;
  bool ended = false;                    // processed by end_connection
  bool pending_at_close = false;         // answers were still owed when it closed
  std::size_t broker_close_lo_idx = kNever, broker_close_hi_idx = kNever;
  std::uint64_t broker_close_lo_ms = 0, broker_close_hi_ms = kForeverMs;

  // Why the broker may close it (none of these = only keepalive could explain a close).
  bool protocol_error = false;
  std::string protocol_error_why;
  std::uint64_t protocol_error_readable_ms = kForeverMs;  // the broker can read the first offending packet from then (kForeverMs: held)
  std::size_t takeover_idx = kNever;     // a later CONNECT for the same ClientID was sent
  std::size_t hold_since_idx = kNever;   // the event that began the current partition
  std::size_t deferred_close_check = kNever;  // peer close applied early (early_close): judge its cause there

  // Faults on the link.
  bool held = false;
  bool ever_held = false;
  std::uint64_t hold_since_ms = 0;       // start of the partition whose held bytes may still be undelivered
  std::uint64_t first_hold_ms = kForeverMs;  // the earliest partition on this connection
  std::uint64_t last_release_ms = 0;
  std::uint32_t latency_ms = 0;
  std::uint32_t max_latency_ms = 0;      // bytes keep their order: an earlier slow chunk delays later ones
  bool ever_latency = false;

  // Receipt of client packets by the broker (for keepalive).
  std::uint64_t last_recv_lo_ms = 0;      // the broker surely received a packet no earlier than this
  std::uint64_t last_recv_hi_ms = 0;      // ... and its last packet no later than this (kForeverMs: held)
  bool sent_while_held = false;
  std::uint64_t last_send_ms = 0;
  std::size_t last_send_idx = 0;
  std::uint64_t last_deliver_ms = 0;     // when the last byte written reaches the broker (without a hold)
  std::vector<std::uint64_t> sure_recv_ms;   // packets readable at once when written (no latency, no hold)

  std::vector<PendingRequest> pending;     // client requests awaiting the server's answer
  std::vector<PendingRequest> pending_when_closed;  // `pending` as end_connection found it (a close judged later needs it)
  std::vector<std::size_t> unproven_msgs;  // messages published on this connection not yet known processed
  std::size_t last_proven_send_idx = 0;

  bool open() const { return !client_closed && !peer_closed; }
};

// An application message the broker may have taken ownership of.
struct Msg {
  std::size_t id = 0;
  bool will = false;
  bool sys = false;
  std::uint32_t client = 0;              // the publisher (or will owner)
  std::uint32_t conn = 0;
  std::string publisher_id;              // ClientID of the publisher
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  mqtt::Properties props;                // what must be forwarded unaltered
  std::optional<std::uint32_t> expiry_s;
  std::size_t p_lo = 0;                  // processed after event p_lo ...
  std::size_t p_hi = kNever;             // ... and before event p_hi
  std::uint64_t recv_lo_ms = 0;          // when the broker received it (for message expiry)
  std::uint64_t recv_hi_ms = kForeverMs;
  bool questionable = false;             // the broker may refuse it (client broke a rule)
  std::string questionable_why;
  bool cancelled = false;                // a will that surely must not be sent
  std::string cancel_statement;          // ... and the rule that forbids it
  std::uint32_t will_delay_s = 0;
  std::uint32_t session_expiry_s = 0;    // a will: its connection's Session Expiry Interval at the close
  std::uint64_t due_ms = kForeverMs;     // a will: published by then (slack included)
  std::uint32_t processings = 1;         // QoS 1 resends: the broker may take it this many times
  // The latest QoS 1 resend: after a PUBACK (perhaps lost with its connection) the broker must
  // take it as a new Application Message [MQTT-4.3.2-5], processed after event again_lo and
  // before again_hi (its own PUBACK), so subscriptions made since the first send may match it.
  std::size_t again_lo = kNever, again_hi = kNever;
  std::uint64_t seq = 0;                 // publish order on its connection
  bool under_pressure = false;           // the publisher had other QoS 1/2 messages unfinished
  // Every transmission of it by its publisher (connection, Send event): the first, then resends
  // of the same message (QoS 1 before PUBACK, QoS 2 before PUBREL), possibly on a newer connection.
  std::vector<std::pair<std::uint32_t, std::size_t>> sends;
};

struct Sub {
  std::size_t session = kNever;          // kNever until the connection's CONNACK attaches it
  std::uint32_t conn = 0;
  std::size_t replaces = kNever;         // the identical-filter subscription it replaces
  std::string filter;                    // as subscribed (with $share/...)
  std::string match_filter;              // without the share prefix
  std::string group;                     // share name, "" for non-shared
  mqtt::Subscription opts;
  int granted = -1;                      // SUBACK code: -1 unknown yet
  std::optional<std::uint32_t> sub_id;
  std::size_t add_lo = 0, add_hi = kNever;     // became active in (add_lo, add_hi)
  std::size_t del_lo = kNever, del_hi = kNever;  // stopped in (del_lo, del_hi)
  bool maybe_existed = false;            // an identical filter possibly existed (Retain Handling 1)
  bool surely_existed = false;
  bool failed() const { return granted >= 0x80; }
};

// Retained messages offered by one subscription (Retain Handling 0/1).
struct RetainedOffer {
  std::size_t sub = 0;
  std::vector<std::size_t> possible;     // Msg ids that may be sent
  std::vector<std::size_t> required;     // Msg ids that must be sent
  std::set<std::size_t> delivered;
  std::size_t subscribe_idx = 0;
  std::string statement;                 // the rule that requires them
  std::string forbidden;                 // the rule that forbids any (Retain Handling 2, shared...)
};

struct SharedPick {                       // a $share group member that got a message
  std::size_t session = 0;
  std::uint8_t qos = 0;
  std::uint32_t conn = 0;
  std::uint16_t packet_id = 0;
};

// The outcome of holding one received PUBLISH against one way it could have been sent.
struct Judgement {
  bool ok = false;
  int score = 0;                         // how far it got: the best failing one explains the violation
  std::string statement, expected, seen;
  bool retained = false;
  std::size_t msg = kNever, sub = kNever, offer = kNever;
  std::size_t swap_delivery = kNever;    // an earlier copy this offer served is re-read as a live one
  bool copies_full = false;              // it failed only because `msg` had all its copies already
};

enum class OutState : std::uint8_t { AwaitAck, AckSent, RelSeen, CompSent };

struct Outflight {                        // server -> client QoS 1/2 PUBLISH in flight
  std::size_t msg = kNever;              // Msg id (kNever for $SYS or unknown)
  std::string topic, payload;
  std::uint8_t qos = 1;
  OutState state = OutState::AwaitAck;
  std::uint32_t last_conn = 0;           // connection it was last (re)sent on
  std::uint32_t rel_conn = 0;            // connection PUBREL was last seen on
  bool pubrec_failed = false;
  bool client_broke = false;             // the client answered it with the wrong acknowledgement
  // When the Message Expiry Interval the copy carried runs out, counted from its arrival
  // (kForeverMs: it carried none). A $SYS message has no Msg, so this is all that says it expires.
  std::uint64_t carried_expiry_ms = kForeverMs;
};

struct Delivery {
  std::size_t msg = kNever;
  std::size_t recv_idx = 0;
  std::uint8_t qos = 0;
  bool retained_offer = false;
  std::string group;
  std::size_t offer = kNever;            // the retained offer it served
  std::size_t live_alt_sub = kNever;     // ... or a live copy through this subscription could have been it
};

struct Session {
  std::string client_id;
  std::uint32_t client = 0;              // the scripted client that owns it
  mqtt::Version version = mqtt::Version::v5;
  std::size_t start_idx = 0;             // created in (start_idx, connack)
  std::size_t end_lo = kNever, end_hi = kNever;   // ended in (end_lo, end_hi)
  bool ended = false;                    // a later incarnation replaced it
  std::uint32_t conn = 0;                // the connection it is attached to (0: none)
  std::uint32_t expiry_s = 0;
  std::vector<std::uint32_t> conns;      // every connection it was attached to
  std::vector<std::size_t> subs;
  std::map<std::uint16_t, Outflight> inflight;
  std::map<std::uint16_t, std::size_t> inbound_qos2;   // packet id -> Msg id, until PUBREL
  std::map<std::uint16_t, std::size_t> inbound_qos1;   // packet id -> Msg id, until PUBACK
  std::set<std::size_t> pubrec_late;                   // QoS 2 Msg ids answered on a later connection
  std::vector<Delivery> deliveries;
  std::map<std::size_t, std::uint32_t> copies;         // Msg id -> fresh live deliveries
  std::map<std::string, std::uint64_t> order;          // ordering key -> last seq delivered
  std::vector<std::size_t> offers;
  bool unknown_subs = false;             // an undecodable SUBSCRIBE may have added subscriptions
  bool pressure_seen = false;            // its in-flight window (both ways) was ever full
  std::vector<std::pair<std::uint16_t, Outflight>> past_outflights;   // in-flight entries whose identifier was reused
};

struct Deadline {
  std::uint64_t due_ms = 0;
  std::uint32_t conn = 0;
  std::string statement, expected;
  std::size_t from_idx = 0;
  int kind = 0;                          // see check_walk.cpp
  std::uint16_t packet_id = 0;
  std::uint32_t other_conn = 0;
};

// The deadlines not reached yet, in a heap by due time: every event looks at the earliest only.
// A deadline's allowance for its connection's latency may still grow after it is made (later
// latency delays the answer too), so its place in the heap is a lower bound: take_due re-checks
// it then and puts it back when the allowance moved it later.
class DeadlineQueue {
 public:
  void push_back(Deadline d);
  // Removes the deadlines with due_ms + extra_ms(d) < now_ms and returns them in the order they
  // were made (a tie of violations at one event goes to the first-made deadline).
  template <typename ExtraMs>
  std::vector<Deadline> take_due(std::uint64_t now_ms, const ExtraMs& extra_ms);

 private:
  using Entry = std::pair<std::uint64_t, std::size_t>;   // (lower bound of the due time, index in made_)
  std::vector<Deadline> made_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> open_;
};

template <typename ExtraMs>
std::vector<Deadline> DeadlineQueue::take_due(std::uint64_t now_ms, const ExtraMs& extra_ms) {
  std::vector<std::size_t> due;
  while (!open_.empty() && open_.top().first < now_ms) {
    const std::size_t i = open_.top().second;
    open_.pop();
    const std::uint64_t due_ms = made_[i].due_ms + extra_ms(made_[i]);
    if (due_ms < now_ms) due.push_back(i);
    else open_.emplace(due_ms, i);   // the allowance only grows: due_ms is the new lower bound
  }
  std::sort(due.begin(), due.end());
  std::vector<Deadline> out;
  out.reserve(due.size());
  for (std::size_t i : due) out.push_back(std::move(made_[i]));
  return out;
}

class Walker {
 public:
  Walker(const Trace& trace, const BrokerConfig& config, const CheckOptions& options);
  Verdict run();

 private:
  // check_walk.cpp: the driver and shared helpers.
  void on_event(std::size_t idx);
  void on_send(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_recv(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_fault(std::size_t idx, Conn& c, const Fault& fault);
  void violate(std::size_t idx, std::uint32_t client, std::string statement, std::string expected, std::string seen);
  void count(const std::string& what, std::uint64_t n = 1) { verdict_.coverage.counts[what] += n; }
  Conn& conn(std::uint32_t id, std::uint32_t client);
  Conn* find_conn(std::uint32_t id);
  std::string pressure_note(const Msg& m);
  std::size_t first_idx_at_or_after(std::uint64_t time_ms) const;
  std::size_t first_idx_after(std::uint64_t time_ms) const;
  std::uint64_t time_of(std::size_t idx) const;
  void expire_deadlines(std::size_t idx);
  void check_deadline(const Deadline& d, std::size_t idx);
  void mark_protocol_error(Conn& c, const std::string& why);
  void note_send_timing(Conn& c, std::uint64_t now_ms);
  void prove_processed(Conn& c, std::size_t upto_send_idx, std::size_t recv_idx);
  void answer_request(std::size_t idx, Conn& c, mqtt::PacketType type, std::uint16_t packet_id);
  bool answers_request_cut_by_close(const Conn& c, mqtt::PacketType type, std::uint16_t packet_id, std::size_t idx) const;
  bool link_quiet(const Conn& c) const { return !c.ever_held && !c.ever_latency; }

  // check_session.cpp: CONNECT, CONNACK, sessions, closes, keepalive, takeover, wills.
  void on_connect(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_connack(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_client_close(std::size_t idx, Conn& c, const std::string& how);
  void on_peer_close(std::size_t idx, Conn& c, bool defer_check = false);
  void on_server_disconnect(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void end_connection(std::size_t idx, Conn& c, bool by_server);
  void check_server_close(std::size_t idx, Conn& c);
  bool resend_close(std::size_t idx, Conn& c);    // a close answering a repeated QoS 2 PUBLISH
  void publish_will(std::size_t idx, Conn& c, bool by_server);
  bool still_held(const Msg& m) const;       // every transmission of it still waits behind a partition
  bool still_in_flight(const Msg& m, std::size_t idx) const;  // its one PUBLISH cannot have reached the broker by idx
  bool early_close(std::size_t idx, Conn& c);   // the broker may have closed it unseen: act on it now
  void widen_close(Conn& c);                    // a hold caught the close on the wire: its time is open
  std::uint64_t earliest_broker_close_ms(const Conn& c, std::uint64_t seen_ms) const;
  int will_cancel_state(const Msg& m) const;   // 1 surely cancelled, 0 not, -1 maybe
  std::string will_cause(const Msg& m) const;  // how its connection ended, in words
  std::string will_terms(const Msg& m) const;  // its Will Delay and Session Expiry, in words
  std::size_t lo_idx_from_ms(std::uint64_t time_ms) const;   // the last event surely before a time

  std::size_t current_session(const std::string& client_id) const;
  std::size_t new_session(const Conn& c, std::size_t start_idx);
  void end_session(Session& s, std::size_t end_lo, std::size_t end_hi);
  void session_offline(Session& s, const Conn& c);
  int session_alive_at(const Session& s, std::size_t lo_idx, std::size_t hi_idx) const;  // 1 yes, 0 no, -1 maybe
  std::string refused_connect_note(const std::string& client_id, std::uint32_t except_conn, std::size_t idx) const;

  // check_publish.cpp: what clients send, and the broker's answers to it.
  void on_publish_in(std::size_t idx, Conn& c, const mqtt::Packet& p);
  std::size_t add_msg(Msg m);
  void note_resend(Msg& m, const Conn& c, std::size_t idx);
  void on_subscribe(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_suback(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_unsubscribe(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_unsuback(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_client_ack(std::size_t idx, Conn& c, const mqtt::Packet& p);
  void on_server_ack(std::size_t idx, Conn& c, const mqtt::Packet& p);
  std::size_t pubrec_from_earlier_connection(const Conn& c, std::uint16_t packet_id);
  void retained_candidates(const std::string& topic_filter, const Sub& sub, std::size_t s_lo, std::size_t s_hi,
                           std::vector<std::size_t>& possible, std::vector<std::size_t>& required);

  // check_delivery.cpp: a PUBLISH the broker sent to a client.
  void on_publish_out(std::size_t idx, Conn& c, const mqtt::Packet& p);
  bool redelivery(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p);
  void fresh_delivery(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p);
  void on_pubrel_out(std::size_t idx, Conn& c, const mqtt::Packet& p);
  Judgement judge_live(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p, std::size_t msg, std::size_t sub);
  Judgement judge_retained(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p, std::size_t msg, std::size_t offer);
  bool judge_common(Judgement& j, std::size_t idx, const Conn& c, const mqtt::Packet& p, const Msg& m, const Sub& sub);
  bool delivery_could_start(std::size_t session, std::size_t from_idx, std::uint64_t to_ms) const;
  bool possibly_matching(const Sub& sub, const Msg& m, std::size_t idx) const;
  bool resend_after(const Sub& sub, const Msg& m, std::size_t idx) const;
  std::uint32_t allowed_copies(const Session& s, const Msg& m, std::size_t idx) const;
  bool will_of_early_keepalive_close(std::size_t idx, const mqtt::Packet& p);
  const Msg* will_sooner_than_late(std::size_t idx, const Judgement& late) const;
  bool will_of_refused_connect(std::size_t idx, const Session& s, const mqtt::Packet& p);
  void diagnose_unknown(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p);
  void add_outflight(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p, std::size_t msg);
  void accept_delivery(std::size_t idx, Conn& c, Session& s, const mqtt::Packet& p, const Judgement& j);
  std::vector<std::size_t> offer_possible(const RetainedOffer& o, std::size_t at_idx);
  bool stale_transmission(std::size_t idx, const Conn& c, const Session& s, const mqtt::Packet& p) const;
  bool reassign_identical_copy(std::size_t idx, const Conn& c, Session& s, const mqtt::Packet& p, std::size_t msg);
  std::size_t members_served_otherwise(const Msg& m, const std::string& key, std::size_t idx) const;
  std::string other_share_group(const Session& other, const Msg& m, const std::string& key, std::size_t idx) const;
  std::size_t release_idx(const Msg& m) const;

  // check_end.cpp: obligations at the end of the trace.
  void finish();
  void check_owed_messages();
  void check_owed_retained();
  void check_resends();
  struct QueueLoad { std::size_t messages = 0; std::uint64_t bytes = 0; bool sys = false; };
  QueueLoad queue_load(const Session& s, std::size_t exclude_msg, std::size_t lo_idx, std::size_t hi_idx) const;
  bool queue_full_for(const Session& s, const Msg& m, std::size_t own_ahead = 0) const;
  bool retained_queue_full(const RetainedOffer& o, std::size_t msg_id);
  std::string expired_ahead_note(const Session& s, std::size_t before_idx);
  std::string expired_retained_ahead(const Session& s, std::size_t before_idx);
  std::string expired_live_ahead(const Session& s, std::size_t before_idx) const;
  std::string missing_note(const Session& s, const Msg& m);
  std::string inflight_offline_note(const Session& s, const Msg& m) const;
  std::size_t owner_back_within_delay(const Msg& m) const;
  std::string ended_member_note(const std::string& key, const Msg& m) const;
  void report_lower_qos_only(const Session& s, const Msg& m, const Sub& owed, int got_qos);
  std::string overlap_note(const Session& s, const Msg& m, const Sub& owed) const;

  // check_sys.cpp: $SYS/broker/clients/*.
  void on_sys_publish(std::size_t idx, Conn& c, const mqtt::Packet& p, bool retained_offer);

 public:
  // Shared with the rule files (plain data; the Walker owns it).
  const Trace& trace_;
  const BrokerConfig& config_;
  const CheckOptions& options_;
  const std::vector<Event>& ev_;
  Verdict verdict_;
  std::vector<Violation> violations_;
  std::map<std::uint32_t, Conn> conns_;
  std::vector<Session> sessions_;
  std::vector<Msg> msgs_;
  std::vector<Sub> subs_;
  std::vector<RetainedOffer> offers_;
  std::map<std::string, std::vector<std::size_t>> retained_;   // topic -> retain=1 Msg ids
  DeadlineQueue deadlines_;
  std::map<std::pair<std::size_t, std::string>, std::vector<SharedPick>> shared_picks_;  // (msg, group) -> members
  std::map<std::uint32_t, std::uint64_t> seq_by_conn_;
  std::size_t broker_exit_idx_ = kNever;
  std::size_t unknown_publish_idx_ = kNever;   // an undecodable client PUBLISH: content unknown from here
  std::size_t current_idx_ = 0;
  std::map<std::uint32_t, std::size_t> future_peer_close_;
  struct SysSeen {
    std::uint64_t last_ms = 0;            // the last copy of this $SYS topic to this session
    std::uint64_t before_conn_ms = 0;     // the last copy before the current connection
    std::uint32_t conn = 0;
  };
  std::map<std::pair<std::size_t, std::string>, SysSeen> sys_seen_;   // (session, $SYS topic)   // conn -> its PeerClosed/PeerReset event
};

// Small shared helpers.
std::optional<std::uint32_t> prop_number(const mqtt::Properties& props, std::uint8_t id);
mqtt::Properties forwarded_props(const mqtt::Properties& props);
bool is_sys_topic(const std::string& topic);

}  // namespace mqsim::model::detail
