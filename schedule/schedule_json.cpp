// schedule.json: writing and strict reading. A malformed file gets one error naming the field
// ("ops[3].qos: ..."), never a partial schedule: a replay must be exactly what was saved.
#include <nlohmann/json.hpp>

#include <map>

#include "schedule.h"

namespace mqsim {
namespace {

using nlohmann::json;

json will_json(const mqtt::Will& w) {
  return {{"topic", w.topic}, {"payload", w.payload}, {"qos", w.qos}, {"retain", w.retain}};
}

json op_json(const Schedule& s, const Op& op) {
  json j = {{"op", op_kind_name(op.kind)}};
  if (op.kind != OpKind::Advance) j["client"] = s.clients.at(op.client).name;
  switch (op.kind) {
    case OpKind::Connect:
      j["clean_start"] = op.clean_start;
      if (op.session_expiry_s) j["session_expiry_s"] = *op.session_expiry_s;
      break;
    case OpKind::Subscribe: {
      json subs = json::array();
      for (const auto& sub : op.subscriptions) {
        subs.push_back({{"filter", sub.filter}, {"qos", sub.qos}, {"no_local", sub.no_local},
                        {"retain_as_published", sub.retain_as_published}, {"retain_handling", sub.retain_handling}});
      }
      j["subscriptions"] = subs;
      if (op.subscription_id) j["subscription_id"] = *op.subscription_id;
      break;
    }
    case OpKind::Unsubscribe: j["filters"] = op.filters; break;
    case OpKind::Publish:
      j["topic"] = op.topic;
      j["payload"] = op.payload;
      j["qos"] = op.qos;
      j["retain"] = op.retain;
      if (op.message_expiry_s) j["message_expiry_s"] = *op.message_expiry_s;
      if (op.packet_id) j["packet_id"] = *op.packet_id;
      break;
    case OpKind::Disconnect:
      j["reason_code"] = op.reason_code;
      if (op.session_expiry_s) j["session_expiry_s"] = *op.session_expiry_s;
      break;
    case OpKind::Withhold:
      j["puback"] = op.acks.withhold_puback;
      j["pubrec"] = op.acks.withhold_pubrec;
      j["pubrel"] = op.acks.withhold_pubrel;
      j["pubcomp"] = op.acks.withhold_pubcomp;
      break;
    case OpKind::Advance: j["duration_ms"] = op.duration_ms; break;
    case OpKind::Latency:
    case OpKind::ShortIo: j["amount"] = op.amount; break;
    default: break;
  }
  return j;
}

// Reads fields with their path, so every error says where it is.
struct Reader {
  std::string* error;
  bool failed = false;

  bool fail(const std::string& path, const std::string& what) {
    if (!failed && error) *error = path + ": " + what;
    failed = true;
    return false;
  }
  const json* field(const json& obj, const std::string& path, const char* key, bool required) {
    if (!obj.is_object()) return fail(path, "expected an object"), nullptr;
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) fail(path + "." + key, "missing");
      return nullptr;
    }
    return &*it;
  }
  template <typename T>
  bool number(const json& obj, const std::string& path, const char* key, T lo, T hi, T& out, bool required = true) {
    const json* v = field(obj, path, key, required);
    if (v == nullptr) return !required;
    if (!v->is_number_integer() || v->get<long long>() < static_cast<long long>(lo) ||
        (v->is_number_unsigned() ? v->get<unsigned long long>() > static_cast<unsigned long long>(hi) : v->get<long long>() > static_cast<long long>(hi))) {
      return fail(path + "." + key, "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + v->dump());
    }
    out = static_cast<T>(v->is_number_unsigned() ? v->get<unsigned long long>() : static_cast<unsigned long long>(v->get<long long>()));
    return true;
  }
  template <typename T>
  bool optional_number(const json& obj, const std::string& path, const char* key, T lo, T hi, std::optional<T>& out) {
    if (field(obj, path, key, false) == nullptr) return true;
    T v{};
    if (!number(obj, path, key, lo, hi, v)) return false;
    out = v;
    return true;
  }
  bool boolean(const json& obj, const std::string& path, const char* key, bool& out, bool required = false) {
    const json* v = field(obj, path, key, required);
    if (v == nullptr) return !required;
    if (!v->is_boolean()) return fail(path + "." + key, "expected true or false, got " + v->dump());
    out = v->get<bool>();
    return true;
  }
  bool string(const json& obj, const std::string& path, const char* key, std::string& out, bool required = true) {
    const json* v = field(obj, path, key, required);
    if (v == nullptr) return !required;
    if (!v->is_string()) return fail(path + "." + key, "expected a string, got " + v->dump());
    out = v->get<std::string>();
    return true;
  }
};

bool read_client(Reader& r, const json& j, const std::string& path, ClientSpec& c) {
  int version = 5;
  r.string(j, path, "name", c.name);
  c.client_id = c.name;  // absent: the name; present and "": the broker assigns one
  r.string(j, path, "client_id", c.client_id, false);
  r.number(j, path, "version", 4, 5, version, false);
  c.version = version == 4 ? mqtt::Version::v311 : mqtt::Version::v5;
  r.number<std::uint16_t>(j, path, "keepalive_s", 0, 65535, c.keepalive_s, false);
  r.optional_number<std::uint32_t>(j, path, "will_delay_s", 0, 0xFFFFFFFF, c.will_delay_s);
  if (const json* w = r.field(j, path, "will", false)) {
    mqtt::Will will;
    r.string(*w, path + ".will", "topic", will.topic);
    r.string(*w, path + ".will", "payload", will.payload, false);
    r.number<std::uint8_t>(*w, path + ".will", "qos", 0, 2, will.qos, false);
    r.boolean(*w, path + ".will", "retain", will.retain);
    c.will = will;
  }
  return !r.failed;
}

bool read_subscriptions(Reader& r, const json& j, const std::string& path, Op& op) {
  const json* subs = r.field(j, path, "subscriptions", true);
  if (subs == nullptr) return false;
  if (!subs->is_array()) return r.fail(path + ".subscriptions", "expected an array");
  for (std::size_t i = 0; i < subs->size(); ++i) {
    const std::string p = path + ".subscriptions[" + std::to_string(i) + "]";
    mqtt::Subscription sub;
    r.string((*subs)[i], p, "filter", sub.filter);
    r.number<std::uint8_t>((*subs)[i], p, "qos", 0, 2, sub.qos, false);
    r.boolean((*subs)[i], p, "no_local", sub.no_local);
    r.boolean((*subs)[i], p, "retain_as_published", sub.retain_as_published);
    r.number<std::uint8_t>((*subs)[i], p, "retain_handling", 0, 2, sub.retain_handling, false);
    op.subscriptions.push_back(sub);
  }
  return r.optional_number<std::uint32_t>(j, path, "subscription_id", 1, 268435455, op.subscription_id);
}

bool read_op(Reader& r, const json& j, const std::string& path, const std::map<std::string, std::uint32_t>& names, Op& op) {
  std::string kind;
  if (!r.string(j, path, "op", kind)) return false;
  auto k = op_kind_from_name(kind);
  if (!k) return r.fail(path + ".op", "unknown op \"" + kind + "\"");
  op.kind = *k;
  if (op.kind != OpKind::Advance) {
    std::string who;
    if (!r.string(j, path, "client", who)) return false;
    auto it = names.find(who);
    if (it == names.end()) return r.fail(path + ".client", "no client named \"" + who + "\" in clients");
    op.client = it->second;
  }
  switch (op.kind) {
    case OpKind::Connect:
      r.boolean(j, path, "clean_start", op.clean_start);
      r.optional_number<std::uint32_t>(j, path, "session_expiry_s", 0, 0xFFFFFFFF, op.session_expiry_s);
      break;
    case OpKind::Subscribe: read_subscriptions(r, j, path, op); break;
    case OpKind::Unsubscribe: {
      const json* f = r.field(j, path, "filters", true);
      if (f && (!f->is_array() || !std::all_of(f->begin(), f->end(), [](const json& x) { return x.is_string(); })))
        return r.fail(path + ".filters", "expected an array of strings");
      if (f) op.filters = f->get<std::vector<std::string>>();
      break;
    }
    case OpKind::Publish:
      r.string(j, path, "topic", op.topic);
      r.string(j, path, "payload", op.payload, false);
      r.number<std::uint8_t>(j, path, "qos", 0, 2, op.qos, false);
      r.boolean(j, path, "retain", op.retain);
      r.optional_number<std::uint32_t>(j, path, "message_expiry_s", 0, 0xFFFFFFFF, op.message_expiry_s);
      r.optional_number<std::uint16_t>(j, path, "packet_id", 1, 65535, op.packet_id);
      break;
    case OpKind::Disconnect:
      r.number<std::uint8_t>(j, path, "reason_code", 0, 255, op.reason_code, false);
      r.optional_number<std::uint32_t>(j, path, "session_expiry_s", 0, 0xFFFFFFFF, op.session_expiry_s);
      break;
    case OpKind::Withhold:
      r.boolean(j, path, "puback", op.acks.withhold_puback);
      r.boolean(j, path, "pubrec", op.acks.withhold_pubrec);
      r.boolean(j, path, "pubrel", op.acks.withhold_pubrel);
      r.boolean(j, path, "pubcomp", op.acks.withhold_pubcomp);
      break;
    case OpKind::Advance: r.number<std::uint64_t>(j, path, "duration_ms", 1, 86'400'000ULL * 30, op.duration_ms); break;
    case OpKind::Latency: r.number<std::uint32_t>(j, path, "amount", 0, 60'000, op.amount); break;
    case OpKind::ShortIo: r.number<std::uint32_t>(j, path, "amount", 0, 100, op.amount); break;
    default: break;
  }
  return !r.failed;
}

}  // namespace

std::string to_json(const Schedule& s) {
  json j;
  j["seed"] = s.seed;
  j["mosquitto_conf"] = s.mosquitto_conf;
  j["swarm"] = s.swarm;
  j["liveness"] = s.liveness;
  j["clients"] = json::array();
  for (const auto& c : s.clients) {
    json cj = {{"name", c.name}, {"client_id", c.client_id}, {"version", static_cast<int>(c.version)}, {"keepalive_s", c.keepalive_s}};
    if (c.will) cj["will"] = will_json(*c.will);
    if (c.will_delay_s) cj["will_delay_s"] = *c.will_delay_s;
    j["clients"].push_back(cj);
  }
  j["ops"] = json::array();
  for (const auto& op : s.ops) j["ops"].push_back(op_json(s, op));
  return j.dump(2) + "\n";
}

std::optional<Schedule> schedule_from_json(std::string_view text, std::string* error) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (error) *error = "not valid JSON";
    return std::nullopt;
  }
  Reader r{error};
  Schedule s;
  r.number<std::uint64_t>(j, "schedule", "seed", 0, UINT64_MAX, s.seed);
  r.string(j, "schedule", "mosquitto_conf", s.mosquitto_conf);
  r.string(j, "schedule", "swarm", s.swarm, false);
  r.boolean(j, "schedule", "liveness", s.liveness);
  const json* clients = r.field(j, "schedule", "clients", true);
  const json* ops = r.field(j, "schedule", "ops", true);
  if (r.failed) return std::nullopt;
  if (!clients->is_array()) return r.fail("clients", "expected an array"), std::nullopt;
  if (!ops->is_array()) return r.fail("ops", "expected an array"), std::nullopt;
  std::map<std::string, std::uint32_t> names;
  for (std::size_t i = 0; i < clients->size(); ++i) {
    ClientSpec c;
    const std::string path = "clients[" + std::to_string(i) + "]";
    if (!read_client(r, (*clients)[i], path, c)) return std::nullopt;
    if (!names.emplace(c.name, static_cast<std::uint32_t>(i)).second) return r.fail(path + ".name", "duplicate client name \"" + c.name + "\""), std::nullopt;
    s.clients.push_back(c);
  }
  for (std::size_t i = 0; i < ops->size(); ++i) {
    Op op;
    if (!read_op(r, (*ops)[i], "ops[" + std::to_string(i) + "]", names, op)) return std::nullopt;
    s.ops.push_back(op);
  }
  return s;
}

}  // namespace mqsim
