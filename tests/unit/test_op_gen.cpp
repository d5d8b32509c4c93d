// Unit tests of the op generator (props/op_gen.h). Replay by seed needs generation to be a pure
// function of (seed, size); short failing schedules need every shrink to be strictly simpler (so
// shrinking terminates) and an op already at its simplest to offer none; and the mix must reach
// every kind and every value a field can take, or whole areas of the model go untested.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "props/generators.h"
#include "props/op_gen.h"

using mqsim::Op;
using mqsim::OpKind;
using mqsim::props::gen_op;
using mqsim::props::kOpKinds;
using mqsim::props::shrink_op;

namespace {

std::vector<int> all_weights(int w) { return std::vector<int>(static_cast<std::size_t>(kOpKinds), w); }

Op draw(std::uint64_t seed, const std::vector<int>& weights, std::uint32_t clients) {
  return gen_op(weights, clients)(rc::Random(seed), 50).value();
}

std::uint64_t index_in(const std::vector<std::string>& values, const std::string& v) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] == v) return i;
  return values.size();
}

std::uint64_t plus_one(const std::optional<std::uint32_t>& v) { return v ? std::uint64_t{*v} + 1 : 0; }

// A measure that every shrink must lower: a shrink that did not would let shrinking cycle.
// Listed values count by position (shrinks move to earlier ones), numbers by size.
std::uint64_t complexity(const Op& op) {
  using mqsim::props::kFilters;
  using mqsim::props::kTopics;
  std::uint64_t c = op.client + op.qos + op.retain + op.clean_start + op.reason_code + op.amount + op.duration_ms;
  c += plus_one(op.session_expiry_s) + plus_one(op.message_expiry_s) + plus_one(op.subscription_id) + op.packet_id.has_value();
  c += op.payload.empty() + op.acks.withhold_puback + op.acks.withhold_pubrec + op.acks.withhold_pubrel + op.acks.withhold_pubcomp;
  c += 100 * op.subscriptions.size();
  for (const auto& s : op.subscriptions) c += s.qos + s.no_local + s.retain_as_published + s.retain_handling + index_in(kFilters, s.filter);
  for (const auto& f : op.filters) c += index_in(kFilters, f);
  if (!op.topic.empty()) c += index_in(kTopics, op.topic);
  return c;
}

}  // namespace

TEST_CASE("op generation: the same seed gives the same op, different seeds vary it") {
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const Op a = draw(seed, all_weights(1), 4);
    CHECK(a == draw(seed, all_weights(1), 4));
    seen.insert(std::string(mqsim::op_kind_name(a.kind)) + "/" + std::to_string(a.client));
  }
  CHECK(seen.size() > 30);  // 15 kinds x 4 clients: 200 draws must not collapse onto a few
}

TEST_CASE("op generation: every kind is reachable, a zero weight never drawn, advance stays global") {
  auto weights = all_weights(1);
  weights[static_cast<std::size_t>(OpKind::Crash)] = 0;
  std::set<OpKind> kinds;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const Op op = draw(seed, weights, 3);
    kinds.insert(op.kind);
    CHECK(op.client < 3u);
    if (op.kind == OpKind::Advance) CHECK(op.client == 0u);
  }
  CHECK(kinds.count(OpKind::Crash) == 0);
  CHECK(kinds.size() == static_cast<std::size_t>(kOpKinds) - 1);
  CHECK(draw(7, all_weights(0), 2).kind == OpKind::Publish);
}

TEST_CASE("op generation: each field reaches all of its values") {
  std::set<int> qos, rh, sub_count;
  std::set<std::string> topics, filters;
  bool empty_payload = false, reused_id = false, expiry = false;
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    auto weights = all_weights(0);
    weights[static_cast<std::size_t>(seed % 2 ? OpKind::Publish : OpKind::Subscribe)] = 1;
    const Op op = draw(seed, weights, 1);
    if (op.kind == OpKind::Publish) {
      qos.insert(op.qos), topics.insert(op.topic);
      empty_payload |= op.payload.empty(), reused_id |= op.packet_id.has_value(), expiry |= op.message_expiry_s.has_value();
    }
    sub_count.insert(static_cast<int>(op.subscriptions.size()));
    for (const auto& s : op.subscriptions) rh.insert(s.retain_handling), filters.insert(s.filter);
  }
  CHECK(qos == std::set<int>{0, 1, 2});
  CHECK(rh == std::set<int>{0, 1, 2});
  CHECK(sub_count == std::set<int>{0, 1, 2});
  CHECK(topics.size() == mqsim::props::kTopics.size());
  CHECK(filters.size() == mqsim::props::kFilters.size());
  CHECK(empty_payload);
  CHECK(reused_id);
  CHECK(expiry);
}

TEST_CASE("op shrinking: every shrink is strictly simpler and keeps the kind; the simplest op has none") {
  for (std::uint64_t seed = 1; seed <= 500; ++seed) {
    const Op op = draw(seed, all_weights(1), 5);
    for (const Op& s : shrink_op(op)) {
      CHECK(s.kind == op.kind);
      CHECK(complexity(s) < complexity(op));
    }
  }
  Op simplest;
  simplest.kind = OpKind::Publish;
  simplest.topic = "a";
  simplest.payload = "x";
  CHECK(shrink_op(simplest).empty());
}

TEST_CASE("op shrinking: repeated shrinking of a rich publish reaches the simplest one") {
  Op op;
  op.kind = OpKind::Publish;
  op.client = 3;
  op.topic = "a/b/c";
  op.payload = "";
  op.qos = 2;
  op.retain = true;
  op.message_expiry_s = 10u;
  op.packet_id = std::uint16_t{1};
  for (int step = 0; step < 100; ++step) {
    const auto shrinks = shrink_op(op);
    if (shrinks.empty()) break;
    op = shrinks.front();
  }
  CHECK(op.client == 0u);
  CHECK(op.topic == "a");
  CHECK(op.qos == 0);
  CHECK(!op.retain);
  CHECK(!op.message_expiry_s);
  CHECK(!op.packet_id);
  CHECK(op.payload == "x");
}
