// The seed's QoS matrix: each QoS end to end (delivered QoS = min(publish, subscription)
// [MQTT-3.8.4-8]), QoS 2's whole PUBREC/PUBREL/PUBCOMP handshake on both legs, and a duplicate
// PUBLISH with the same packet id before PUBREL delivered only once [MQTT-4.3.3-10/11].
#include "scenario.h"
#include "seed_scripts.h"

using namespace std::chrono_literals;
using namespace mqsim;
using mqsim::test::play;
using mqsim::test::seed_config;
using mqsim::test::strings;
using mqtt::PacketType;

namespace {

std::vector<PacketType> types_between(const Trace& t, std::string_view client) {
  std::vector<PacketType> out;
  const auto idx = t.client_index(client);
  for (const auto& e : t.events()) {
    if (e.client != idx || !e.packet) continue;
    const auto ty = e.packet->type;
    if (ty == PacketType::CONNECT || ty == PacketType::CONNACK || ty == PacketType::SUBSCRIBE || ty == PacketType::SUBACK ||
        ty == PacketType::DISCONNECT || ty == PacketType::PINGREQ || ty == PacketType::PINGRESP) continue;
    out.push_back(ty);
  }
  return out;
}

}  // namespace

TEST_SUITE("seed") {

TEST_CASE("QoS matrix: delivered QoS is min(publish QoS, subscription QoS)") {
  for (std::uint8_t sub_qos = 0; sub_qos <= 2; ++sub_qos) {
    for (std::uint8_t pub_qos = 0; pub_qos <= 2; ++pub_qos) {
      CAPTURE(sub_qos);
      CAPTURE(pub_qos);
      auto r = play(seed_config(), [&](Sim& sim) { seed::qos_pair(sim, sub_qos, pub_qos); });
      const auto got = r.trace.received("sub", PacketType::PUBLISH);
      REQUIRE(got.size() == 1);
      CHECK(got[0].qos == std::min(sub_qos, pub_qos));
      CHECK(got[0].payload == "v");
    }
  }
}

TEST_CASE("QoS 2: full PUBREC/PUBREL/PUBCOMP handshake on both legs") {
  auto r = play(seed_config(), [](Sim& sim) {
    auto& sub = sim.client("sub");
    sub.connect();
    sub.subscribe({{"billing", 2}});
    auto& pub = sim.client("pub");
    pub.connect();
    pub.publish("billing", "42.00", 2);
    sim.advance(1s);
  });
  using P = PacketType;
  // Publisher leg: PUBLISH ->, <- PUBREC, PUBREL ->, <- PUBCOMP.
  CHECK(types_between(r.trace, "pub") == std::vector<P>{P::PUBLISH, P::PUBREC, P::PUBREL, P::PUBCOMP});
  // Subscriber leg: <- PUBLISH, PUBREC ->, <- PUBREL, PUBCOMP ->.
  CHECK(types_between(r.trace, "sub") == std::vector<P>{P::PUBLISH, P::PUBREC, P::PUBREL, P::PUBCOMP});
  CHECK(r.trace.payloads("sub", "billing") == strings({"42.00"}));
}

TEST_CASE("QoS 2: a duplicate PUBLISH with the same packet id before PUBREL is delivered once") {
  auto r = play(seed_config(), [](Sim& sim) {
    auto& sub = sim.client("sub");
    sub.connect();
    sub.subscribe({{"billing", 2}});
    auto& pub = sim.client("pub");
    pub.acks().withhold_pubrel = true;  // the publisher "lost" the PUBREC and retries
    pub.connect();
    const auto id = pub.publish("billing", "42.00", 2);
    mqtt::Packet again;
    again.type = PacketType::PUBLISH;
    again.topic = "billing";
    again.payload = "42.00";
    again.qos = 2;
    again.dup = true;
    again.packet_id = id;
    pub.send(again);
    sim.advance(1s);
    pub.release_acks();
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("sub", "billing") == strings({"42.00"}));
  CHECK(r.trace.received("pub", PacketType::PUBREC).size() == 2);   // each PUBLISH is acknowledged
  // Both withheld PUBRELs go out and each gets its PUBCOMP with the same packet id
  // [MQTT-4.3.3-11]; the spec leaves the reason code for an id already released open.
  const auto comps = r.trace.received("pub", PacketType::PUBCOMP);
  REQUIRE(comps.size() == 2);
  CHECK(comps[0].reason_code == 0x00);
  CHECK(comps[0].packet_id == comps[1].packet_id);
}

}  // TEST_SUITE("seed")
