// Schedule generators: see generators.h.
//
// Swarm testing (Groce et al.): each seed first picks a configuration and an operation mix, some
// ops weighted to zero, so that different seeds explore different corners (no crashes at all,
// only $share, tiny queues...) instead of every run being the same average soup.
#include "generators.h"

#include "op_gen.h"
#include "schedule/broker_knobs.h"

#include <algorithm>
#include <string>

namespace mqsim::props {
namespace {

namespace gen = rc::gen;

// The broker's settings and the operation mix. The settings are BrokerKnobs' own members, so
// gen_swarm below draws them one by one, in the order it always has (a seed keeps its schedule).
struct Swarm : BrokerKnobs {
  std::vector<int> weights;  // one per OpKind, in enum order
};

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
      // $SYS updates are the broker's most expensive idle work (about 30 retained messages
      // per tick, 12 us, and a full set at start-up); only the clients/connected topic is ever
      // observed (kFilters). A 1 s interval in every third swarm cost 40% of all schedule time.
      // Now: $SYS off (sys_interval 0, as many deployments run) in 45% of swarms, Mosquitto's
      // default 10 s and longer in half, and 1 s in 5% for tight tick/state races.
      gen::set(&Swarm::sys_interval_s, gen::weightedElement<std::uint32_t>({{9, 0}, {1, 1}, {6, 10}, {2, 30}, {2, 60}})),
      gen::set(&Swarm::persistence, gen::arbitrary<bool>()),
      gen::set(&Swarm::weights, gen_weights()),
      // max_keepalive caps the clients' keepalive (client values are 0, 2, 5 and 60 s): a v5
      // client over the cap, or with 0, gets a Server Keep Alive it must use; a v3.1.1 one is
      // refused. Drawn last so that adding it kept every other choice of a seed. 10 s is the
      // smallest cap every supported version accepts (2.0.11 refuses to start below 10).
      gen::set(&Swarm::max_keepalive_s, gen::weightedElement<std::uint16_t>({{6, 0}, {1, 65535}, {2, 60}, {1, 10}})));
}

std::string swarm_text(const Swarm& s) {
  std::string t = knobs_text(s) + " mix=";
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
      for (std::uint32_t i = 0; i < n; ++i) opening.push_back(gen_connect(i));
      auto body = gen::scale(static_cast<double>(max_ops) / 100.0, gen::container<std::vector<Op>>(gen_op(sw.weights, n)));
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
        s.mosquitto_conf = mosquitto_conf(sw);
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
