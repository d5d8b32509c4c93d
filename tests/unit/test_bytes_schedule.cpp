// Unit tests of the fuzzer's decoder (props/bytes_schedule.h). A fuzzer's crash file is only
// worth something if it decodes to the same schedule later, and a fuzzer only explores what the
// decoder can reach: so the decoder must be total (no input crashes it or yields an invalid
// schedule), deterministic, able to produce every kind of step, and local (one mutated byte
// changes one step, not the whole schedule).
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "model/broker_config.h"
#include "props/bytes_schedule.h"
#include "sim/prng.h"

using mqsim::OpKind;
using mqsim::Schedule;
using mqsim::props::kHeaderBytes;
using mqsim::props::kMaxClients;
using mqsim::props::kMaxOps;
using mqsim::props::kOpBytes;
using mqsim::props::schedule_from_bytes;

namespace {

using Bytes = std::vector<std::uint8_t>;

Schedule decode(const Bytes& b) { return schedule_from_bytes(b); }

Bytes random_bytes(mqsim::Prng& prng, std::size_t size) {
  Bytes b(size);
  for (auto& x : b) x = static_cast<std::uint8_t>(prng.next());
  return b;
}

// What every decoded schedule must satisfy for execute() and the model to take it as is.
void check_valid(const Schedule& s, std::size_t input_bytes) {
  REQUIRE(s.clients.size() >= (input_bytes > 0 ? 1u : 0u));
  REQUIRE(s.clients.size() <= kMaxClients);
  REQUIRE(s.ops.size() <= kMaxOps);
  REQUIRE(mqsim::model::parse_broker_config(s.mosquitto_conf).has_value());
  for (const auto& op : s.ops) {
    REQUIRE(op.client < s.clients.size());
    REQUIRE(op.qos <= 2);
    for (const auto& sub : op.subscriptions) REQUIRE(sub.retain_handling <= 2);
  }
  std::string error;
  const auto back = mqsim::schedule_from_json(mqsim::to_json(s), &error);
  REQUIRE_MESSAGE(back.has_value(), error);
  // A decoded schedule can be saved as schedule.json and replayed. (Compared as JSON: Schedule's
  // operator== is deleted while AckPolicy has none.)
  REQUIRE(mqsim::to_json(*back) == mqsim::to_json(s));
}

Bytes header_then_ops(std::initializer_list<std::uint8_t> op_bytes) {
  Bytes b(kHeaderBytes, 0);
  b.insert(b.end(), op_bytes);
  return b;
}

}  // namespace

TEST_SUITE("bytes_schedule") {

TEST_CASE("the empty input is the empty schedule") {
  const Schedule s = decode({});
  CHECK(s.clients.empty());
  CHECK(s.ops.empty());
  CHECK(mqsim::to_json(decode({})) == mqsim::to_json(s));
}

TEST_CASE("header byte 1 sets max_keepalive without moving anything else") {
  Bytes b = header_then_ops({0x03, 0, 0, 0});  // one publish step
  const Schedule plain = decode(b);
  CHECK(plain.mosquitto_conf.find("max_keepalive") == std::string::npos);  // 0: the ordinary choice
  const std::pair<std::uint8_t, const char*> cases[] = {{1, "max_keepalive 65535\n"}, {2, "max_keepalive 60\n"}, {3, "max_keepalive 10\n"}};
  for (const auto& [bits, line] : cases) {
    b[1] = bits;
    const Schedule s = decode(b);
    CHECK(s.mosquitto_conf.find(line) != std::string::npos);
    CHECK(mqsim::op_text(s, s.ops[0]) == mqsim::op_text(plain, plain.ops[0]));
    CHECK(s.clients.size() == plain.clients.size());
  }
  check_valid(decode(b), b.size());
}

TEST_CASE("zero bytes mean the ordinary choices") {
  const Schedule s = decode(Bytes(kHeaderBytes, 0));
  REQUIRE(s.clients.size() == 1);
  CHECK(s.ops.empty());
  CHECK(s.seed == 1);
  CHECK(s.clients[0].version == mqsim::mqtt::Version::v5);
  CHECK(s.clients[0].keepalive_s == 60);
  CHECK(s.clients[0].client_id == "c1");
  CHECK_FALSE(s.clients[0].will.has_value());
  const auto config = mqsim::model::parse_broker_config(s.mosquitto_conf);
  REQUIRE(config.has_value());
  CHECK(config->max_inflight_messages == 20);
  CHECK(config->max_queued_messages == 1000);
  CHECK_FALSE(config->persistence);
}

TEST_CASE("total: random byte strings of any length decode to valid schedules") {
  mqsim::Prng prng(20260101);
  for (int i = 0; i < 1000; ++i) {
    const std::size_t size = prng.next() % (kHeaderBytes + kOpBytes * (kMaxOps + 20));
    check_valid(decode(random_bytes(prng, size)), size);
  }
  // Every length around the header and step boundaries, including partial records.
  for (std::size_t size = 1; size < kHeaderBytes + 3 * kOpBytes; ++size) check_valid(decode(Bytes(size, 0xFF)), size);
}

TEST_CASE("deterministic: the same bytes give the same schedule") {
  mqsim::Prng prng(7);
  for (int i = 0; i < 200; ++i) {
    const Bytes b = random_bytes(prng, prng.next() % 600);
    CHECK(mqsim::to_json(decode(b)) == mqsim::to_json(decode(b)));
  }
}

TEST_CASE("long inputs are cut at kMaxOps steps") {
  const Schedule s = decode(Bytes(kHeaderBytes + kOpBytes * (kMaxOps + 50), 0x13));
  CHECK(s.ops.size() == kMaxOps);
}

TEST_CASE("every op kind is reachable from a step's first byte") {
  std::set<OpKind> kinds;
  for (int head = 0; head < 256; ++head) {
    const Schedule s = decode(header_then_ops({static_cast<std::uint8_t>(head), 0xFF, 0xFF, 0xFF}));
    REQUIRE(s.ops.size() == 1);
    kinds.insert(s.ops[0].kind);
  }
  // Every kind the schedule vocabulary names (op_kind_name knows each enumerator).
  std::size_t named = 0;
  while (std::string(mqsim::op_kind_name(static_cast<OpKind>(named))) != "?") ++named;
  CHECK(named >= 15);
  CHECK(kinds.size() == named);
}

TEST_CASE("the rare choices are reachable: v3.1.1, wills, shared ids, persistence, id reuse") {
  mqsim::Prng prng(99);
  bool v311 = false, will = false, shared = false, persist = false, reuse = false, two_subs = false;
  for (int i = 0; i < 2000; ++i) {
    const Schedule s = decode(random_bytes(prng, kHeaderBytes + 16 * kOpBytes));
    persist |= s.mosquitto_conf.find("persistence true") != std::string::npos;
    for (const auto& c : s.clients) {
      v311 |= c.version == mqsim::mqtt::Version::v311;
      will |= c.will.has_value();
      shared |= c.client_id != c.name;
    }
    for (const auto& op : s.ops) {
      reuse |= op.packet_id.has_value();
      two_subs |= op.subscriptions.size() == 2;
    }
  }
  CHECK(v311);
  CHECK(will);
  CHECK(shared);
  CHECK(persist);
  CHECK(reuse);
  CHECK(two_subs);
}

TEST_CASE("local: a mutated step byte changes that step only, the client count moves no step") {
  mqsim::Prng prng(3);
  Bytes b = random_bytes(prng, kHeaderBytes + 10 * kOpBytes);
  b[3] = 5;  // six clients: every step's client index stays in range under the mutation below
  const Schedule before = decode(b);
  b[kHeaderBytes + 4 * kOpBytes + 1] ^= 0x5A;  // an argument byte of step 4
  const Schedule after = decode(b);
  REQUIRE(before.ops.size() == after.ops.size());
  for (std::size_t i = 0; i < before.ops.size(); ++i) {
    if (i == 4) continue;
    // Payloads are numbered in op order, so compare what the bytes chose, not the numbering.
    CHECK(before.ops[i].kind == after.ops[i].kind);
    CHECK(before.ops[i].client == after.ops[i].client);
    CHECK(before.ops[i].topic == after.ops[i].topic);
  }
  b[3] = 0;  // one client: the steps keep their kinds and arguments, only their client changes
  const Schedule one = decode(b);
  REQUIRE(one.ops.size() == after.ops.size());
  for (std::size_t i = 0; i < one.ops.size(); ++i) CHECK(one.ops[i].kind == after.ops[i].kind);
}

}  // TEST_SUITE
