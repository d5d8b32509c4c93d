// Schedule generators: see generators.h.
//
// Swarm testing (Groce et al.): each seed first picks a configuration and an operation mix, some
// ops weighted to zero, so that different seeds explore different corners (no crashes at all,
// only $share, tiny queues...) instead of every run being the same average soup.
#include "generators.h"

#include <algorithm>
#include <string>

namespace mqsim::props {
namespace {

namespace gen = rc::gen;

const std::vector<std::string> kTopics = {"a", "a/b", "b", "b/a", "a/b/c"};
const std::vector<std::string> kFilters = {"a", "a/b", "a/+", "+/b", "#", "a/#", "+", "b/#",
                                           "$share/g/a/+", "$share/g/#", "$share/h/a", "$SYS/broker/clients/connected"};

struct Swarm {
  std::uint16_t max_inflight = 20;
  std::uint32_t max_queued = 1000;
  bool queue_qos0 = false;
  std::uint32_t sys_interval_s = 10;
  bool persistence = false;
  std::vector<int> weights;  // one per OpKind, in enum order
};

constexpr int kOpKinds = static_cast<int>(OpKind::Retry) + 1;

// Each op kind's possible weights in a swarm, in OpKind order. Publishing and subscribing are
// what everything else acts upon, so they are never weighted out; faults are sometimes absent
// altogether, so some seeds explore a clean network in depth.
const std::vector<int> kWeightChoices[kOpKinds] = {
    {2, 4},        // connect
    {3, 5, 8},     // subscribe
    {0, 1, 2},     // unsubscribe
    {6, 10, 16},   // publish
    {0, 1, 2},     // disconnect
    {0, 1, 2},     // crash
    {0, 1},        // reset
    {0, 1, 3},     // withhold
    {0, 1, 2},     // release-acks
    {1, 3, 6},     // advance
    {0, 1},        // hold
    {0, 1},        // heal
    {0, 1},        // latency
    {0, 1},        // short-io
    {0, 1, 2},     // retry
};

rc::Gen<std::vector<int>> gen_weights() {
  std::vector<rc::Gen<int>> per_kind;
  for (const auto& choices : kWeightChoices) per_kind.push_back(gen::elementOf(choices));
  return gen::exec([per_kind] {
    std::vector<int> w;
    for (const auto& g : per_kind) w.push_back(*g);
    return w;
  });
}

rc::Gen<Swarm> gen_swarm() {
  return gen::build<Swarm>(
      gen::set(&Swarm::max_inflight, gen::element<std::uint16_t>(1, 2, 20, 20)),
      gen::set(&Swarm::max_queued, gen::element<std::uint32_t>(1, 3, 100, 1000)),
      gen::set(&Swarm::queue_qos0, gen::arbitrary<bool>()),
      // $SYS updates are the broker's most expensive idle work (tens of retained
      // messages per tick): a 1 s interval in every third swarm cost 40% of all schedule time.
      // Mosquitto's default (10 s) and longer dominate; 1 s stays for tight tick/state races.
      gen::set(&Swarm::sys_interval_s, gen::weightedElement<std::uint32_t>({{1, 1}, {4, 10}, {3, 30}, {2, 60}})),
      gen::set(&Swarm::persistence, gen::arbitrary<bool>()),
      gen::set(&Swarm::weights, gen_weights()));
}

std::string broker_conf(const Swarm& s) {
  std::string c = "listener 1883\nallow_anonymous true\n";
  c += "max_inflight_messages " + std::to_string(s.max_inflight) + "\n";
  c += "max_queued_messages " + std::to_string(s.max_queued) + "\n";
  c += std::string("queue_qos0_messages ") + (s.queue_qos0 ? "true" : "false") + "\n";
  c += "sys_interval " + std::to_string(s.sys_interval_s) + "\n";
  if (s.persistence) c += "persistence true\npersistence_location /var/lib/mosquitto/\n";
  return c;
}

std::string swarm_text(const Swarm& s) {
  std::string t = "inflight=" + std::to_string(s.max_inflight) + " queued=" + std::to_string(s.max_queued) +
                  " qos0q=" + (s.queue_qos0 ? "1" : "0") + " sys=" + std::to_string(s.sys_interval_s) + "s" +
                  " persist=" + (s.persistence ? "1" : "0") + " mix=";
  for (int k = 0; k < kOpKinds; ++k) t += (k ? "," : "") + std::string(op_kind_name(static_cast<OpKind>(k))) + ":" + std::to_string(s.weights[static_cast<std::size_t>(k)]);
  return t;
}

rc::Gen<mqtt::Will> gen_will() {
  return gen::build<mqtt::Will>(
      gen::set(&mqtt::Will::topic, gen::elementOf(kTopics)),
      gen::set(&mqtt::Will::payload, gen::just<std::string>("will")),
      gen::set(&mqtt::Will::qos, gen::inRange<std::uint8_t>(0, 3)),
      gen::set(&mqtt::Will::retain, gen::weightedElement<bool>({{4, false}, {1, true}})));
}

rc::Gen<ClientSpec> gen_client(std::uint32_t index, std::uint32_t count) {
  const std::string name = "c" + std::to_string(index + 1);
  return gen::build<ClientSpec>(
      gen::set(&ClientSpec::name, gen::just(name)),
      gen::set(&ClientSpec::version, gen::weightedElement<mqtt::Version>({{4, mqtt::Version::v5}, {1, mqtt::Version::v311}})),
      // Now and then two clients share an id: session takeover.
      gen::set(&ClientSpec::client_id, gen::weightedOneOf<std::string>(
          {{9, gen::just(name)}, {1, gen::map(gen::inRange<std::uint32_t>(0, count), [](std::uint32_t i) { return "c" + std::to_string(i + 1); })}})),
      gen::set(&ClientSpec::keepalive_s, gen::element<std::uint16_t>(0, 2, 5, 60, 60)),
      gen::set(&ClientSpec::will, gen::weightedOneOf<std::optional<mqtt::Will>>(
          {{2, gen::just(std::optional<mqtt::Will>())}, {1, gen::map(gen_will(), [](mqtt::Will w) { return std::optional(w); })}})),
      gen::set(&ClientSpec::will_delay_s, gen::element<std::optional<std::uint32_t>>(std::nullopt, std::nullopt, 0u, 2u, 10u)));
}

rc::Gen<std::vector<ClientSpec>> gen_clients() {
  return gen::mapcat(gen::inRange<std::uint32_t>(1, 7), [](std::uint32_t n) {
    std::vector<rc::Gen<ClientSpec>> gens;
    for (std::uint32_t i = 0; i < n; ++i) gens.push_back(gen_client(i, n));
    return gen::exec([gens] {
      std::vector<ClientSpec> out;
      for (const auto& g : gens) out.push_back(*g);
      return out;
    });
  });
}

rc::Gen<std::optional<std::uint32_t>> gen_expiry() {
  return gen::element<std::optional<std::uint32_t>>(std::nullopt, 0u, 2u, 10u, 300u, 0xFFFFFFFFu);
}

rc::Gen<mqtt::Subscription> gen_subscription() {
  return gen::build<mqtt::Subscription>(
      gen::set(&mqtt::Subscription::filter, gen::elementOf(kFilters)),
      gen::set(&mqtt::Subscription::qos, gen::inRange<std::uint8_t>(0, 3)),
      gen::set(&mqtt::Subscription::no_local, gen::weightedElement<bool>({{4, false}, {1, true}})),
      gen::set(&mqtt::Subscription::retain_as_published, gen::arbitrary<bool>()),
      gen::set(&mqtt::Subscription::retain_handling, gen::inRange<std::uint8_t>(0, 3)));
}

template <typename... Setters>
rc::Gen<Op> op_of(OpKind kind, std::uint32_t clients, Setters... setters) {
  return gen::build<Op>(gen::set(&Op::kind, gen::just(kind)), gen::set(&Op::client, gen::inRange<std::uint32_t>(0, clients)),
                        setters...);
}

rc::Gen<Op> gen_op_of(OpKind kind, std::uint32_t n) {
  switch (kind) {
    case OpKind::Connect:
      return op_of(kind, n, gen::set(&Op::clean_start, gen::arbitrary<bool>()), gen::set(&Op::session_expiry_s, gen_expiry()));
    case OpKind::Subscribe:
      return op_of(kind, n, gen::set(&Op::subscriptions, gen::mapcat(gen::inRange<std::size_t>(1, 3), [](std::size_t k) {
                                  return gen::container<std::vector<mqtt::Subscription>>(k, gen_subscription());
                                })),
                   gen::set(&Op::subscription_id, gen::element<std::optional<std::uint32_t>>(std::nullopt, std::nullopt, 1u, 7u)));
    case OpKind::Unsubscribe:
      return op_of(kind, n, gen::set(&Op::filters, gen::container<std::vector<std::string>>(1, gen::elementOf(kFilters))));
    case OpKind::Publish:
      return op_of(kind, n, gen::set(&Op::topic, gen::elementOf(kTopics)),
                   gen::set(&Op::payload, gen::weightedElement<std::string>({{9, std::string("x")}, {1, std::string()}})),
                   gen::set(&Op::qos, gen::inRange<std::uint8_t>(0, 3)),
                   gen::set(&Op::retain, gen::weightedElement<bool>({{2, false}, {1, true}})),
                   gen::set(&Op::message_expiry_s, gen::element<std::optional<std::uint32_t>>(std::nullopt, std::nullopt, std::nullopt, 1u, 3u, 10u)),
                   gen::set(&Op::packet_id, gen::weightedElement<std::optional<std::uint16_t>>({{30, std::nullopt}, {1, std::uint16_t{1}}})));
    case OpKind::Disconnect:
      return op_of(kind, n, gen::set(&Op::reason_code, gen::weightedElement<std::uint8_t>({{6, 0x00}, {2, 0x04}, {1, 0x80}})),
                   gen::set(&Op::session_expiry_s, gen::element<std::optional<std::uint32_t>>(std::nullopt, std::nullopt, std::nullopt, 0u, 5u)));
    case OpKind::Withhold:
      return op_of(kind, n, gen::set(&Op::acks, gen::build<AckPolicy>(
                                gen::set(&AckPolicy::withhold_puback, gen::arbitrary<bool>()), gen::set(&AckPolicy::withhold_pubrec, gen::arbitrary<bool>()),
                                gen::set(&AckPolicy::withhold_pubrel, gen::arbitrary<bool>()), gen::set(&AckPolicy::withhold_pubcomp, gen::arbitrary<bool>()))));
    case OpKind::Advance:
      return gen::build<Op>(gen::set(&Op::kind, gen::just(kind)),
                            gen::set(&Op::duration_ms, gen::element<std::uint64_t>(100, 500, 1000, 1000, 2000, 3000, 5000, 10000, 30000, 70000)));
    case OpKind::Latency: return op_of(kind, n, gen::set(&Op::amount, gen::element<std::uint32_t>(0u, 10u, 500u, 3000u)));
    case OpKind::ShortIo: return op_of(kind, n, gen::set(&Op::amount, gen::element<std::uint32_t>(0u, 30u, 90u)));
    default: return op_of(kind, n);  // crash, reset, release-acks, hold, heal
  }
}

rc::Gen<Op> gen_op(const Swarm& sw, std::uint32_t n) {
  std::vector<std::pair<std::size_t, rc::Gen<Op>>> choices;
  for (int k = 0; k < kOpKinds; ++k) {
    const int w = sw.weights[static_cast<std::size_t>(k)];
    if (w > 0) choices.emplace_back(static_cast<std::size_t>(w), gen_op_of(static_cast<OpKind>(k), n));
  }
  // A mix with everything weighted out still needs something to do.
  if (choices.empty()) choices.emplace_back(1, gen_op_of(OpKind::Publish, n));
  std::size_t total = 0;
  for (const auto& c : choices) total += c.first;
  return gen::mapcat(gen::inRange<std::size_t>(0, total), [choices](std::size_t x) {
    for (const auto& [weight, g] : choices) {
      if (x < weight) return g;
      x -= weight;
    }
    return choices.back().second;
  });
}

}  // namespace

Schedule normalise(Schedule s) {
  std::uint32_t next_payload = 1;
  for (auto& op : s.ops) {
    if (op.client >= s.clients.size()) op.client = 0;
    const bool v311 = !s.clients.empty() && s.clients[op.client].version == mqtt::Version::v311;
    if (op.kind == OpKind::Publish && !op.payload.empty()) op.payload = "p" + std::to_string(next_payload++);
    if (!v311) continue;
    // v3.1.1 has no properties and no subscription options beyond QoS.
    op.session_expiry_s.reset();
    op.message_expiry_s.reset();
    op.subscription_id.reset();
    for (auto& sub : op.subscriptions) sub.no_local = sub.retain_as_published = false, sub.retain_handling = 0;
    if (op.kind == OpKind::Disconnect) op.reason_code = 0;
  }
  for (auto& c : s.clients) {
    if (c.version == mqtt::Version::v311) c.will_delay_s.reset();
  }
  return s;
}

rc::Gen<Schedule> gen_schedule(std::uint32_t max_ops) {
  return gen::mapcat(gen_swarm(), [max_ops](Swarm sw) {
    return gen::mapcat(gen_clients(), [sw, max_ops](std::vector<ClientSpec> clients) {
      const auto n = static_cast<std::uint32_t>(clients.size());
      // Every client starts by connecting (ops like any other, so shrinking can drop them): most
      // of what matters needs connected clients, and random connects alone leave many idle.
      std::vector<rc::Gen<Op>> opening;
      for (std::uint32_t i = 0; i < n; ++i) {
        opening.push_back(gen::build<Op>(gen::set(&Op::kind, gen::just(OpKind::Connect)), gen::set(&Op::client, gen::just(i)),
                                         gen::set(&Op::clean_start, gen::arbitrary<bool>()), gen::set(&Op::session_expiry_s, gen_expiry())));
      }
      auto body = gen::scale(static_cast<double>(max_ops) / 100.0, gen::container<std::vector<Op>>(gen_op(sw, n)));
      auto ops = gen::mapcat(body, [opening](std::vector<Op> rest) {
        return gen::exec([opening, rest] {
          std::vector<Op> all;
          for (const auto& g : opening) all.push_back(*g);
          all.insert(all.end(), rest.begin(), rest.end());
          return all;
        });
      });
      return gen::map(ops, [sw, clients](std::vector<Op> ops) {
        Schedule s;
        s.mosquitto_conf = broker_conf(sw);
        s.swarm = swarm_text(sw);
        s.clients = clients;
        s.ops = std::move(ops);
        return normalise(std::move(s));
      });
    });
  });
}

rc::Shrinkable<Schedule> schedule_for_seed(std::uint64_t seed, int size, std::uint32_t max_ops) {
  auto shrinkable = gen_schedule(max_ops)(rc::Random(seed), size);
  return rc::shrinkable::map(std::move(shrinkable), [seed](Schedule s) {
    s.seed = seed;
    return s;
  });
}

}  // namespace mqsim::props
