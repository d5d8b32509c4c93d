// The differential check's comparison: see tcp_diff.h (tcp_differential.cpp runs the two
// targets). The allowances are the functions named allow_* and the options of DiffOptions; the
// list in docs/real-daemon.md names the same rules.
#include "tcp_diff.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <set>
#include <vector>

#include "sim/sim.h"

namespace mqsim {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

struct ViewEvent {
  std::size_t index = kNone;   // into Trace::events()
  std::string text;            // the normalised form compared
  // For the interleaving allowance (segments_equivalent): an anchor starts a segment (the
  // client's own actions, connection events); a flow names the packet-id exchange an event
  // belongs to ("b3": the broker's third message to this client, "c7": the client's id 7); a
  // delivery is a PUBLISH received.
  bool anchor = false;
  std::string flow;
  bool delivery = false;
};

// Per-client state of the normalisation, across its connections (broker packet ids belong to
// the session, which may outlive a connection).
struct ClientState {
  std::set<std::uint16_t> sys_ids;                 // broker ids of $SYS messages in flight
  std::map<std::uint16_t, std::uint32_t> ordinal;  // broker id -> its number in this client's view
  std::uint32_t next_ordinal = 0;
};

using Allowed = std::map<std::string, std::uint64_t>;

ViewEvent view_event(std::string text, bool anchor) {
  ViewEvent v;
  v.text = std::move(text);
  v.anchor = anchor;
  return v;
}

bool is_ping(const mqtt::Packet& p) { return p.type == mqtt::PacketType::PINGREQ || p.type == mqtt::PacketType::PINGRESP; }

// $SYS messages and the acks that belong to them. True: leave the event out.
bool allow_sys(const Event& e, const mqtt::Packet& p, ClientState& st) {
  using T = mqtt::PacketType;
  const bool recv = e.kind == EventKind::Recv;
  if (recv && p.type == T::PUBLISH && p.topic.rfind("$SYS/", 0) == 0) {
    if (p.qos > 0) st.sys_ids.insert(p.packet_id);
    return true;
  }
  if (!st.sys_ids.count(p.packet_id)) return false;
  if (!recv && p.type == T::PUBACK) return st.sys_ids.erase(p.packet_id), true;
  if (!recv && p.type == T::PUBREC) return true;
  if (recv && p.type == T::PUBREL) return true;
  if (!recv && p.type == T::PUBCOMP) return st.sys_ids.erase(p.packet_id), true;
  return false;
}

// Renumbers the packet ids the broker chose (its PUBLISH to this client and the acks of that
// flow) in order of first use. Ids the client chose are left alone.
bool allow_broker_ids(const Event& e, mqtt::Packet& p, ClientState& st) {
  using T = mqtt::PacketType;
  const bool recv = e.kind == EventKind::Recv;
  const bool broker_flow = (recv && p.type == T::PUBLISH && p.qos > 0) || (!recv && (p.type == T::PUBACK || p.type == T::PUBREC || p.type == T::PUBCOMP)) ||
                           (recv && p.type == T::PUBREL);
  if (!broker_flow) return false;
  auto it = st.ordinal.find(p.packet_id);
  if (it == st.ordinal.end()) it = st.ordinal.emplace(p.packet_id, ++st.next_ordinal).first;
  const std::uint32_t ordinal = it->second;
  // The flow ends with the client's PUBACK (QoS 1) or PUBCOMP (QoS 2): the broker may reuse the id.
  if (!recv && (p.type == T::PUBACK || p.type == T::PUBCOMP)) st.ordinal.erase(it);
  p.packet_id = static_cast<std::uint16_t>(ordinal % 65536);
  return true;
}

bool allow_assigned_id(mqtt::Packet& p) {
  if (p.type != mqtt::PacketType::CONNACK) return false;
  bool changed = false;
  for (auto& prop : p.properties) {
    if (prop.id == mqtt::prop::AssignedClientIdentifier) prop.text = "<assigned>", prop.value = "<assigned>", changed = true;
  }
  return changed;
}

// Where a (normalised) packet sits in the client's view: see ViewEvent.
void classify(bool sent, const mqtt::Packet& p, bool broker_id, ViewEvent& v) {
  using T = mqtt::PacketType;
  const std::string id = std::to_string(p.packet_id);
  switch (p.type) {
    case T::CONNECT: case T::SUBSCRIBE: case T::UNSUBSCRIBE: case T::DISCONNECT: case T::AUTH:
      v.anchor = true;
      if (p.type == T::SUBSCRIBE || p.type == T::UNSUBSCRIBE) v.flow = "c" + id;
      break;
    case T::PUBLISH:
      v.anchor = sent;
      v.delivery = !sent;
      if (p.qos > 0) v.flow = (broker_id ? "b" : "c") + id;
      break;
    case T::CONNACK: v.flow = "connack"; break;
    default: v.flow = (broker_id ? "b" : "c") + id; break;  // acks, SUBACK, UNSUBACK
  }
}

// The normalised view of a Send/Recv event, or nullopt when an allowance leaves it out.
std::optional<ViewEvent> packet_view(const Event& e, ClientState& st, const DiffOptions& options, Allowed& allowed) {
  const bool sent = e.kind == EventKind::Send;
  const char* arrow = sent ? "-> " : "<- ";
  if (!e.packet) return view_event(std::string(arrow) + "UNDECODABLE (" + e.decode_error + ")", true);
  mqtt::Packet p = *e.packet;
  if (options.ignore_pings && is_ping(p)) return ++allowed["keepalive pings left out"], std::nullopt;
  if (options.ignore_sys && allow_sys(e, p, st)) return ++allowed["$SYS publishes and their acks left out"], std::nullopt;
  const bool broker_id = allow_broker_ids(e, p, st);
  if (broker_id) ++allowed["broker-chosen packet ids renumbered"];
  if (allow_assigned_id(p)) ++allowed["assigned client identifier masked"];
  ViewEvent v = view_event(std::string(arrow) + mqtt::to_text(p), false);
  classify(sent, p, broker_id, v);
  return v;
}

std::vector<ViewEvent> client_view(const Trace& t, std::uint32_t client, const DiffOptions& options, Allowed& allowed) {
  std::vector<ViewEvent> out;
  ClientState st;
  const auto& events = t.events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.client != client) continue;
    std::optional<ViewEvent> v;
    switch (e.kind) {
      case EventKind::Send:
      case EventKind::Recv: v = packet_view(e, st, options, allowed); break;
      case EventKind::Dial:
      case EventKind::Close:
      case EventKind::PeerClosed:
      case EventKind::PeerReset:
      case EventKind::Malformed:
      case EventKind::Note: v = view_event(std::string(event_kind_name(e.kind)) + (e.data.empty() ? "" : " " + e.data), true); break;
      default: break;  // Client, Step, Fault, Log, BrokerExit: not what a client observed
    }
    if (!v) continue;
    v->index = i;
    out.push_back(std::move(*v));
  }
  return out;
}

std::string line_at(const Trace& t, std::size_t index, const std::string& fallback) {
  return index == kNone ? fallback : t.line(t.events()[index]);
}

using Segment = std::pair<std::size_t, std::size_t>;  // [begin, end) of a view

// A view cut before every anchor: one segment per client action or connection event, with what
// followed it until the next one.
std::vector<Segment> segments_of(const std::vector<ViewEvent>& v) {
  std::vector<Segment> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (out.empty() || v[i].anchor) out.push_back({i, i});
    out.back().second = i + 1;
  }
  return out;
}

std::vector<std::string> picked(const std::vector<ViewEvent>& v, Segment s, const std::function<bool(const ViewEvent&)>& keep) {
  std::vector<std::string> out;
  for (std::size_t i = s.first; i < s.second; ++i) {
    if (keep(v[i])) out.push_back(v[i].text);
  }
  return out;
}

// The interleaving allowance: two segments that start alike and hold the same events, with the
// same order of deliveries and the same order within every packet flow, differ only in how
// independent flows interleaved (how soon the client's acks reached the broker decides that).
bool segments_equivalent(const std::vector<ViewEvent>& a, Segment sa, const std::vector<ViewEvent>& b, Segment sb) {
  if (sa.second - sa.first != sb.second - sb.first || a[sa.first].text != b[sb.first].text) return false;
  auto all = [](const ViewEvent&) { return true; };
  auto ma = picked(a, sa, all), mb = picked(b, sb, all);
  std::sort(ma.begin(), ma.end());
  std::sort(mb.begin(), mb.end());
  if (ma != mb) return false;
  auto deliveries = [](const ViewEvent& e) { return e.delivery; };
  if (picked(a, sa, deliveries) != picked(b, sb, deliveries)) return false;
  std::set<std::string> flows;
  for (std::size_t i = sa.first; i < sa.second; ++i) flows.insert(a[i].flow);
  for (const auto& f : flows) {
    auto in_flow = [&f](const ViewEvent& e) { return e.flow == f; };
    if (!f.empty() && picked(a, sa, in_flow) != picked(b, sb, in_flow)) return false;
  }
  return true;
}

// The end-of-connection race: the broker writes to a client and closes the socket in the same
// loop pass (context__disconnect(): the will, then net__socket_close()). On the daemon the client
// may read and answer (a PUBACK) before the close() runs, which then finds unread input and
// sends RST (peer-reset); in the simulator the clients act between passes, so the close comes
// first and is a FIN (peer-closed). Allowed only when the two views agree up to the client's
// end, one ends in peer-closed and the other in peer-reset, and the client's last event before
// the end is a packet it sent (the bytes that were, or were not yet, unread at the close).
bool allow_end_race(const std::vector<ViewEvent>& a, std::size_t ia, const std::vector<ViewEvent>& b, std::size_t ib) {
  const std::set<std::string> ends{"peer-closed", "peer-reset"};
  if (ia == 0 || ia != ib || a[ia].text == b[ib].text) return false;
  if (!ends.count(a[ia].text) || !ends.count(b[ib].text)) return false;
  return a[ia - 1].text.rfind("-> ", 0) == 0 && a[ia - 1].text == b[ib - 1].text;
}

// The first position where two views differ beyond the allowances, or nullopt.
std::optional<std::size_t> first_difference(const std::vector<ViewEvent>& a, const std::vector<ViewEvent>& b, Allowed& allowed) {
  const auto sa = segments_of(a), sb = segments_of(b);
  for (std::size_t k = 0; k < std::min(sa.size(), sb.size()); ++k) {
    const auto [a0, a1] = sa[k];
    const auto [b0, b1] = sb[k];
    assert(a0 == b0 && "earlier segments matched in length");
    std::size_t i = 0;
    if (allow_end_race(a, a0, b, b0)) {
      ++allowed["end of connection: RST or FIN as the client's last answer raced the broker's close"];
      i = 1;
    }
    while (a0 + i < a1 && b0 + i < b1 && a[a0 + i].text == b[b0 + i].text) ++i;
    if (a0 + i == a1 && b0 + i == b1) continue;
    if (!segments_equivalent(a, sa[k], b, sb[k])) return a0 + i;
    ++allowed["independent flows interleaved differently (segments)"];
  }
  if (a.size() == b.size()) return std::nullopt;
  return std::min(a.size(), b.size());
}

}  // namespace

std::string Divergence::text() const {
  return "first divergence: client " + client + ", its event #" + std::to_string(position) + "\n  simulator: " + sim_line + "\n  daemon:    " + daemon_line;
}

std::string DiffReport::summary() const {
  std::string s = ok() ? "traces agree" : "traces DIVERGE";
  s += " (" + std::to_string(compared) + " events equal";
  for (const auto& [rule, n] : allowed) s += "; " + rule + ": " + std::to_string(n);
  return s + ")";
}

DiffReport compare_traces(const Trace& sim, const Trace& daemon, const DiffOptions& options) {
  DiffReport r;
  if (sim.client_names() != daemon.client_names()) {
    r.divergence = Divergence{"(clients)", 0, "clients differ", "clients differ", kNone, kNone};
    return r;
  }
  std::optional<Divergence> first;
  for (std::uint32_t c = 1; c <= sim.client_names().size(); ++c) {
    // Allowances are counted over both traces.
    const auto a = client_view(sim, c, options, r.allowed);
    const auto b = client_view(daemon, c, options, r.allowed);
    const auto at = first_difference(a, b, r.allowed);
    if (!at) {
      r.compared += a.size();
      continue;
    }
    r.compared += *at;
    Divergence d;
    d.client = sim.client_name(c);
    d.position = *at;
    d.sim_event = *at < a.size() ? a[*at].index : kNone;
    d.daemon_event = *at < b.size() ? b[*at].index : kNone;
    d.sim_line = line_at(sim, d.sim_event, "(none: the simulator's trace of this client ends here)");
    d.daemon_line = line_at(daemon, d.daemon_event, "(none: the daemon's trace of this client ends here)");
    // Report the divergence that happens first in the simulator's (deterministic) order.
    if (!first || std::min(d.sim_event, d.daemon_event) < std::min(first->sim_event, first->daemon_event)) first = d;
  }
  r.divergence = first;
  return r;
}

}  // namespace mqsim
