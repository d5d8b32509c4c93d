// The virtual network's faults, seen through Mosquitto: half-close, partitions longer than the
// keepalive, latency, short reads/writes and resets all behave as they would on a real network.
#include "scenario.h"

using namespace std::chrono_literals;
using namespace mqsim;
using mqsim::test::play;
using mqsim::test::seed_config;
using mqsim::test::strings;
using mqtt::PacketType;

namespace {

mqtt::Will offline() { return mqtt::Will{"status/dev", "offline", 1, false, {}}; }

Sim& with_monitor(Sim& sim) {
  auto& m = sim.client("monitor");
  m.connect();
  m.subscribe({{"status/#", 1}, {"data/#", 1}});
  return sim;
}

}  // namespace

TEST_CASE("half-close: the broker sees EOF, closes, and publishes the will") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.will = offline()});
    dev.connect();
    dev.half_close();
    sim.advance(1s);
  });
  CHECK(r.trace.saw_close_by_broker("dev"));
  CHECK(r.trace.payloads("monitor", "status/dev") == strings({"offline"}));
}

TEST_CASE("a partition longer than 1.5 x keepalive makes the broker cut the client") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.keepalive_s = 2, .will = offline()});
    dev.connect();
    sim.hold("dev");
    sim.advance(5s);
    sim.release("dev");
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("monitor", "status/dev") == strings({"offline"}));
  CHECK(r.trace.saw_close_by_broker("dev"));
}

TEST_CASE("a partition shorter than the keepalive loses nothing: held bytes flow on release") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.keepalive_s = 60, .will = offline()});
    dev.connect();
    sim.hold("dev");
    dev.publish("data/x", "1", 1);
    dev.publish("data/x", "2", 1);
    sim.advance(3s);
    sim.release("dev");
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("monitor", "data/x") == strings({"1", "2"}));
  CHECK(r.trace.payloads("monitor", "status/dev").empty());
}

TEST_CASE("latency delays delivery but keeps order") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev");
    dev.connect();
    sim.latency("dev", 700);
    for (int i = 0; i < 5; ++i) dev.publish("data/x", std::to_string(i), 1);
    sim.advance(3s);
  });
  CHECK(r.trace.payloads("monitor", "data/x") == strings({"0", "1", "2", "3", "4"}));
  const auto idx = *r.trace.client_index("monitor");
  for (const auto& e : r.trace.events()) {
    if (e.client == idx && e.packet && e.packet->type == PacketType::PUBLISH) CHECK(e.time_ms >= 700);
  }
}

TEST_CASE("short reads and writes on both sides still deliver every byte") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto r = play(seed_config(seed), [](Sim& sim) {
      with_monitor(sim);
      sim.short_io("monitor", 90);
      auto& dev = sim.client("dev");
      dev.connect();
      sim.short_io("dev", 90);
      for (int i = 0; i < 10; ++i) dev.publish("data/big", std::string(static_cast<std::size_t>(300 * i + 1), char('a' + i)), 2);
      sim.advance(2s);
    });
    const auto got = r.trace.payloads("monitor", "data/big");
    REQUIRE(got.size() == 10);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == std::string(300 * i + 1, char('a' + i)));
  }
}

TEST_CASE("a connection reset is an abnormal close: the will is published") {
  auto r = play(seed_config(), [](Sim& sim) {
    with_monitor(sim);
    auto& dev = sim.client("dev", {.will = offline()});
    dev.connect();
    dev.reset();
    sim.advance(1s);
  });
  CHECK(r.trace.payloads("monitor", "status/dev") == strings({"offline"}));
}
