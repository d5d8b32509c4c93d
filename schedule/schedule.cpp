// Schedules: the text form (op_text, schedule_text). See schedule.h; JSON: schedule_json.cpp;
// playing one on the simulator: sim/schedule_exec.h.
#include "schedule.h"

#include <nlohmann/json.hpp>

#include <cassert>
#include <map>
#include <sstream>


namespace mqsim {
namespace {

using nlohmann::json;

constexpr std::pair<OpKind, const char*> kOpNames[] = {
    {OpKind::Connect, "connect"}, {OpKind::Subscribe, "subscribe"}, {OpKind::Unsubscribe, "unsubscribe"},
    {OpKind::Publish, "publish"}, {OpKind::Disconnect, "disconnect"}, {OpKind::Crash, "crash"},
    {OpKind::Reset, "reset"}, {OpKind::Withhold, "withhold"}, {OpKind::ReleaseAcks, "release-acks"},
    {OpKind::Advance, "advance"}, {OpKind::Hold, "hold"}, {OpKind::Heal, "heal"},
    {OpKind::Latency, "latency"}, {OpKind::ShortIo, "short-io"}, {OpKind::Retry, "retry"},
};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string acks_text(const AckPolicy& a) {
  std::string out;
  if (a.withhold_puback) out += " puback";
  if (a.withhold_pubrec) out += " pubrec";
  if (a.withhold_pubrel) out += " pubrel";
  if (a.withhold_pubcomp) out += " pubcomp";
  return out.empty() ? " none" : out;
}

std::string subs_text(const std::vector<mqtt::Subscription>& subs) {
  std::string out;
  for (const auto& s : subs) {
    out += " " + s.filter + " qos=" + std::to_string(s.qos);
    if (s.no_local) out += " nl";
    if (s.retain_as_published) out += " rap";
    if (s.retain_handling != 0) out += " rh=" + std::to_string(s.retain_handling);
  }
  return out;
}

}  // namespace

const char* op_kind_name(OpKind kind) {
  for (const auto& [k, name] : kOpNames) {
    if (k == kind) return name;
  }
  return "?";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (const auto& [k, n] : kOpNames) {
    if (name == n) return k;
  }
  return std::nullopt;
}

std::string op_text(const Schedule& s, const Op& op) {
  std::string who = op.client < s.clients.size() ? s.clients[op.client].name : "c?";
  std::string out = who + " " + op_kind_name(op.kind);
  switch (op.kind) {
    case OpKind::Connect:
      out += op.clean_start ? " clean" : " resume";
      if (op.session_expiry_s) out += " expiry=" + std::to_string(*op.session_expiry_s) + "s";
      break;
    case OpKind::Subscribe:
      out += subs_text(op.subscriptions);
      if (op.subscription_id) out += " id=" + std::to_string(*op.subscription_id);
      break;
    case OpKind::Unsubscribe:
      for (const auto& f : op.filters) out += " " + f;
      break;
    case OpKind::Publish:
      out += " " + op.topic + " qos=" + std::to_string(op.qos) + " retain=" + std::to_string(op.retain) + " payload=" + quoted(op.payload);
      if (op.message_expiry_s) out += " expiry=" + std::to_string(*op.message_expiry_s) + "s";
      if (op.packet_id) out += " id=" + std::to_string(*op.packet_id);
      break;
    case OpKind::Disconnect: {
      char rc[8];
      std::snprintf(rc, sizeof rc, "0x%02x", op.reason_code);
      out += std::string(" rc=") + rc;
      if (op.session_expiry_s) out += " expiry=" + std::to_string(*op.session_expiry_s) + "s";
      break;
    }
    case OpKind::Withhold: out += acks_text(op.acks); break;
    case OpKind::Advance: out = "advance " + std::to_string(op.duration_ms) + "ms"; break;
    case OpKind::Latency: out += " " + std::to_string(op.amount) + "ms"; break;
    case OpKind::ShortIo: out += " " + std::to_string(op.amount) + "%"; break;
    default: break;
  }
  return out;
}

std::string schedule_text(const Schedule& s) {
  std::ostringstream out;
  out << "seed " << s.seed << "\n";
  if (!s.swarm.empty()) out << "swarm " << s.swarm << "\n";
  for (const auto& c : s.clients) {
    out << "client " << c.name << " id=" << quoted(c.client_id) << " v" << (c.version == mqtt::Version::v5 ? "5" : "3.1.1")
        << " keepalive=" << c.keepalive_s << "s";
    if (c.will) out << " will=" << c.will->topic << ":" << quoted(c.will->payload) << " qos=" << int(c.will->qos) << " retain=" << c.will->retain;
    if (c.will_delay_s) out << " will_delay=" << *c.will_delay_s << "s";
    out << "\n";
  }
  for (std::size_t i = 0; i < s.ops.size(); ++i) out << i + 1 << ". " << op_text(s, s.ops[i]) << "\n";
  return out.str();
}

}  // namespace mqsim
