// Playing a schedule on the simulator. See schedule_exec.h.
//
// Ops never fail: an op that makes no sense at that point (publish while disconnected) is sent
// anyway or dropped with a note, exactly as a buggy client would. That keeps every subsequence
// of a schedule valid, which shrinking relies on.
#include <cassert>
#include <map>
#include <set>

#include "schedule_exec.h"

#include "sim.h"

namespace mqsim {
namespace {

constexpr std::uint64_t kLivenessSettleMs = 30'000;

struct ClientState {
  bool ever_connected = false;
  bool last_clean_start = true;
  std::optional<std::uint32_t> last_expiry_s;
  std::optional<mqtt::Packet> last_publish;   // QoS > 0 only: what a retry sends again
};

ClientOptions options_for(const ClientSpec& c) {
  ClientOptions o;
  o.version = c.version;
  o.client_id = c.client_id;
  o.keepalive_s = c.keepalive_s;
  o.will = c.will;
  o.will_delay_s = c.will_delay_s;
  return o;
}

void apply_publish(ScriptedClient& c, ClientState& st, const Op& op) {
  mqtt::Packet p;
  p.type = mqtt::PacketType::PUBLISH;
  p.topic = op.topic;
  p.payload = op.payload;
  p.qos = op.qos;
  p.retain = op.retain;
  if (op.message_expiry_s) p.properties.push_back({mqtt::prop::MessageExpiryInterval, *op.message_expiry_s, "", ""});
  if (!op.packet_id || op.qos == 0) {
    p.packet_id = c.publish(op.topic, op.payload, op.qos, op.retain, p.properties);
  } else {
    p.packet_id = *op.packet_id;  // a broken client reusing a packet id of its choice
    c.send(p);
  }
  if (op.qos > 0) st.last_publish = p;
}

// What a client does when an acknowledgement is late: the same PUBLISH again, DUP set
// [MQTT-3.3.1-1], same packet id. The broker must not deliver a QoS 2 message twice.
void apply_retry(ScriptedClient& c, const ClientState& st) {
  if (!st.last_publish) return;
  mqtt::Packet again = *st.last_publish;
  again.dup = true;
  c.send(again);
}

void apply(Sim& sim, ScriptedClient& c, ClientState& st, const Op& op) {
  switch (op.kind) {
    case OpKind::Connect:
      c.options().clean_start = op.clean_start;
      c.options().session_expiry_s = op.session_expiry_s;
      st.ever_connected = true;
      st.last_clean_start = op.clean_start;
      st.last_expiry_s = op.session_expiry_s;
      c.connect();
      break;
    case OpKind::Subscribe: {
      mqtt::Properties props;
      if (op.subscription_id) props.push_back({mqtt::prop::SubscriptionIdentifier, *op.subscription_id, "", ""});
      c.subscribe(op.subscriptions, std::move(props));
      break;
    }
    case OpKind::Unsubscribe: c.unsubscribe(op.filters); break;
    case OpKind::Publish: apply_publish(c, st, op); break;
    case OpKind::Retry: apply_retry(c, st); break;
    case OpKind::Disconnect: {
      mqtt::Properties props;
      if (op.session_expiry_s) props.push_back({mqtt::prop::SessionExpiryInterval, *op.session_expiry_s, "", ""});
      if (op.session_expiry_s) st.last_expiry_s = op.session_expiry_s;
      c.disconnect(op.reason_code, std::move(props));
      break;
    }
    case OpKind::Crash: c.crash(); break;
    case OpKind::Reset: c.reset(); break;
    case OpKind::Withhold: c.acks() = op.acks; break;
    case OpKind::ReleaseAcks: c.release_acks(); break;
    case OpKind::Hold: sim.hold(c.name()); break;
    case OpKind::Heal: sim.release(c.name()); break;
    case OpKind::Latency: sim.latency(c.name(), op.amount); break;
    case OpKind::ShortIo: sim.short_io(c.name(), op.amount); break;
    case OpKind::Advance: assert(false && "handled by the caller"); break;
  }
}

// A session outlives its connection when v5 expiry > 0, or v3.1.1 clean session 0.
bool session_persists(const ClientSpec& spec, const ClientState& st) {
  if (!st.ever_connected) return false;
  if (spec.version == mqtt::Version::v311) return !st.last_clean_start;
  return st.last_expiry_s.value_or(0) > 0;
}

}  // namespace

void execute(const Schedule& s, Sim& sim) {
  std::vector<ScriptedClient*> clients;
  std::vector<ClientState> states(s.clients.size());
  for (const auto& spec : s.clients) {
    clients.push_back(&sim.client(spec.name, options_for(spec)));
    clients.back()->options().client_id = spec.client_id;  // may be empty on purpose
  }
  for (const auto& op : s.ops) {
    sim.step(op_text(s, op));
    if (op.kind == OpKind::Advance) sim.advance(op.duration_ms);
    else if (op.client < clients.size()) apply(sim, *clients[op.client], states[op.client], op);
    if (sim.livelocked() || !sim.broker().running()) return;
  }
  if (s.liveness) liveness_phase(s, sim);
}

void liveness_phase(const Schedule& s, Sim& sim) {
  sim.step("liveness: heal the network, release acks, reconnect persistent sessions, let time run");
  std::vector<ClientState> states(s.clients.size());
  // Recompute each client's last connect from the schedule (execute's state is not passed in, so
  // this phase can also be run on its own).
  for (const auto& op : s.ops) {
    if (op.client >= s.clients.size()) continue;
    if (op.kind == OpKind::Connect) states[op.client] = {true, op.clean_start, op.session_expiry_s, std::nullopt};
    if (op.kind == OpKind::Disconnect && op.session_expiry_s) states[op.client].last_expiry_s = op.session_expiry_s;
  }
  for (const auto& spec : s.clients) {
    ScriptedClient& c = sim[spec.name];
    sim.release(spec.name);
    sim.latency(spec.name, 0);
    sim.short_io(spec.name, 0);
    c.release_acks();
  }
  sim.settle();  // let clients see what the healed network now delivers (a close, say)
  // One reconnection per client id (two clients sharing an id would only take each other over):
  // the last client of that id in the schedule's order.
  std::map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    if (session_persists(s.clients[i], states[i])) owner[s.clients[i].client_id] = i;
  }
  for (const auto& [id, i] : owner) {
    ScriptedClient& c = sim[s.clients[i].name];
    if (c.connected()) continue;
    c.options().clean_start = false;
    c.options().session_expiry_s = states[i].last_expiry_s;
    c.connect();
  }
  sim.advance(kLivenessSettleMs);
}

}  // namespace mqsim
