// Same seed, same build -> byte-identical trace. Every scenario shape is run twice (in separate
// forked children) and the trace hashes compared; a different seed with network faults must
// actually change the run (so the hash is not trivially constant).
#include "scenario.h"

using namespace std::chrono_literals;
using namespace mqsim;
using mqsim::test::seed_config;

namespace {

// A busy scenario touching every source of nondeterminism the simulator owns: time, the
// network's random short reads/writes, broker-generated client ids (RAND_bytes), $SYS, wills,
// persistence, retained messages, QoS 2.
void busy(Sim& sim) {
  auto& a = sim.client("a", {.session_expiry_s = 60, .will = mqtt::Will{"w/a", "gone", 1, true, {}}});
  auto& b = sim.client("b", {.client_id = "", .keepalive_s = 5});
  b.options().client_id = "";  // empty id: the broker assigns one from its random source
  a.connect();
  a.subscribe({{"#", 2}, {"$SYS/broker/clients/+", 0}});
  sim.short_io("a", 50);
  b.connect();
  for (int i = 0; i < 20; ++i) b.publish("t/" + std::to_string(i % 3), std::string(static_cast<std::size_t>(i) * 37, 'x'), static_cast<std::uint8_t>(i % 3), i % 4 == 0);
  sim.advance(12s);
  a.crash();
  sim.advance(3s);
  a.connect();
  sim.advance(20s);
  sim.shutdown_broker();
}

std::uint64_t hash_of(std::uint64_t seed, const Script& script) {
  auto r = run(seed_config(seed), script);
  INFO(r.detail, "\n", r.trace.text());
  REQUIRE(r.ok());
  return r.trace.hash();
}

}  // namespace

TEST_CASE("same seed gives the same trace hash, run after run") {
  for (std::uint64_t seed : {1ULL, 2ULL, 99ULL}) {
    CAPTURE(seed);
    const auto first = hash_of(seed, busy);
    CHECK(hash_of(seed, busy) == first);
    CHECK(hash_of(seed, busy) == first);
  }
}

TEST_CASE("a different seed changes a run that has random faults") {
  CHECK(hash_of(1, busy) != hash_of(2, busy));
}

TEST_CASE("in-process and forked runs give the same trace") {
  const auto forked = hash_of(7, busy);
  auto r = run(seed_config(7), busy, RunOptions{.fork = false});
  REQUIRE(r.ok());
  CHECK(r.trace.hash() == forked);
  // And again in the same process: the broker's globals, heap and files were reset.
  auto again = run(seed_config(7), busy, RunOptions{.fork = false});
  CHECK(again.trace.hash() == forked);
}
