// Cheap op generation with field-wise shrinking: see op_gen.h.
#include "op_gen.h"

#include <algorithm>
#include <cassert>
#include <optional>

#include "sim/prng.h"

namespace mqsim::props {

const std::vector<std::string> kTopics = {"a", "a/b", "b", "b/a", "a/b/c"};
const std::vector<std::string> kFilters = {"a", "a/b", "a/+", "+/b", "#", "a/#", "+", "b/#",
                                           "$share/g/a/+", "$share/g/#", "$share/h/a", "$SYS/broker/clients/connected"};

namespace {

using OptU32 = std::optional<std::uint32_t>;
constexpr OptU32 kNone = std::nullopt;

// Each field's values; a value listed twice is drawn twice as often. The first is the simplest:
// shrinking moves towards it.
const std::vector<OptU32> kSessionExpiry_s = {kNone, 0u, 2u, 10u, 300u, 0xFFFFFFFFu};
const std::vector<OptU32> kSubscriptionId = {kNone, kNone, 1u, 7u};
const std::vector<std::string> kPayloads = {"x", "x", "x", "x", "x", "x", "x", "x", "x", ""};  // "": delete retained
const std::vector<bool> kRetain = {false, false, true};
const std::vector<bool> kNoLocal = {false, false, false, false, true};
const std::vector<OptU32> kMessageExpiry_s = {kNone, kNone, kNone, 1u, 3u, 10u};
const std::vector<std::uint8_t> kDisconnectReason = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x04, 0x80};
const std::vector<OptU32> kDisconnectExpiry_s = {kNone, kNone, kNone, 0u, 5u};
const std::vector<std::uint64_t> kAdvance_ms = {100, 500, 1000, 1000, 2000, 3000, 5000, 10000, 30000, 70000};
const std::vector<std::uint32_t> kLatency_ms = {0u, 10u, 500u, 3000u};
const std::vector<std::uint32_t> kShortIoPercent = {0u, 30u, 90u};
constexpr std::uint32_t kPacketIdReuseIn = 31;  // one publish in 31 reuses packet id 1 (a broken client)

template <typename T>
T pick(Prng& prng, const std::vector<T>& values) {
  assert(!values.empty());
  return values[prng.below(values.size())];
}

mqtt::Subscription draw_subscription(Prng& prng) {
  mqtt::Subscription s;
  s.filter = pick(prng, kFilters);
  s.qos = static_cast<std::uint8_t>(prng.below(3));
  s.no_local = pick(prng, kNoLocal);
  s.retain_as_published = prng.below(2) == 1;
  s.retain_handling = static_cast<std::uint8_t>(prng.below(3));
  return s;
}

void draw_publish(Prng& prng, Op& op) {
  op.topic = pick(prng, kTopics);
  op.payload = pick(prng, kPayloads);
  op.qos = static_cast<std::uint8_t>(prng.below(3));
  op.retain = pick(prng, kRetain);
  op.message_expiry_s = pick(prng, kMessageExpiry_s);
  if (prng.below(kPacketIdReuseIn) == 0) op.packet_id = std::uint16_t{1};
}

void draw_arguments(Prng& prng, Op& op) {
  switch (op.kind) {
    case OpKind::Connect:
      op.clean_start = prng.below(2) == 1;
      op.session_expiry_s = pick(prng, kSessionExpiry_s);
      break;
    case OpKind::Subscribe: {
      const std::uint64_t count = 1 + prng.below(2);
      for (std::uint64_t i = 0; i < count; ++i) op.subscriptions.push_back(draw_subscription(prng));
      op.subscription_id = pick(prng, kSubscriptionId);
      break;
    }
    case OpKind::Unsubscribe: op.filters.push_back(pick(prng, kFilters)); break;
    case OpKind::Publish: draw_publish(prng, op); break;
    case OpKind::Disconnect:
      op.reason_code = pick(prng, kDisconnectReason);
      op.session_expiry_s = pick(prng, kDisconnectExpiry_s);
      break;
    case OpKind::Withhold:
      op.acks.withhold_puback = prng.below(2) == 1;
      op.acks.withhold_pubrec = prng.below(2) == 1;
      op.acks.withhold_pubrel = prng.below(2) == 1;
      op.acks.withhold_pubcomp = prng.below(2) == 1;
      break;
    case OpKind::Advance: op.duration_ms = pick(prng, kAdvance_ms); break;
    case OpKind::Latency: op.amount = pick(prng, kLatency_ms); break;
    case OpKind::ShortIo: op.amount = pick(prng, kShortIoPercent); break;
    case OpKind::Crash: case OpKind::Reset: case OpKind::ReleaseAcks: case OpKind::Hold: case OpKind::Heal:
    case OpKind::Retry: break;
  }
}

OpKind draw_kind(Prng& prng, const std::vector<int>& weights) {
  assert(weights.size() == static_cast<std::size_t>(kOpKinds));
  std::uint64_t total = 0;
  for (const int w : weights) total += static_cast<std::uint64_t>(std::max(w, 0));
  if (total == 0) return OpKind::Publish;  // a mix with everything weighted out still does something
  std::uint64_t x = prng.below(total);
  for (int k = 0; k < kOpKinds; ++k) {
    const auto w = static_cast<std::uint64_t>(std::max(weights[static_cast<std::size_t>(k)], 0));
    if (x < w) return static_cast<OpKind>(k);
    x -= w;
  }
  assert(false && "x < total");
  return OpKind::Publish;
}

// `field` set to each value listed before its current one (each distinct value once).
template <typename Whole, typename T>
void add_earlier(const Whole& whole, T Whole::*field, const std::vector<T>& values, std::vector<Whole>& out) {
  for (std::size_t i = 0; i < values.size() && !(values[i] == whole.*field); ++i) {
    if (std::find(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(i), values[i]) != values.begin() + static_cast<std::ptrdiff_t>(i)) continue;
    Whole simpler = whole;
    simpler.*field = values[i];
    out.push_back(std::move(simpler));
  }
}

template <typename Whole, typename T>
void add_below(const Whole& whole, T Whole::*field, std::vector<Whole>& out) {
  for (T v = 0; v < whole.*field; ++v) {
    Whole simpler = whole;
    simpler.*field = v;
    out.push_back(std::move(simpler));
  }
}

template <typename Whole>
void add_false(const Whole& whole, bool Whole::*field, std::vector<Whole>& out) {
  if (!(whole.*field)) return;
  Whole simpler = whole;
  simpler.*field = false;
  out.push_back(std::move(simpler));
}

std::vector<mqtt::Subscription> shrink_subscription(const mqtt::Subscription& s) {
  std::vector<mqtt::Subscription> out;
  add_earlier(s, &mqtt::Subscription::filter, kFilters, out);
  add_below(s, &mqtt::Subscription::qos, out);
  add_false(s, &mqtt::Subscription::no_local, out);
  add_false(s, &mqtt::Subscription::retain_as_published, out);
  add_below(s, &mqtt::Subscription::retain_handling, out);
  return out;
}

void shrink_subscriptions(const Op& op, std::vector<Op>& out) {
  for (std::size_t i = 0; op.subscriptions.size() > 1 && i < op.subscriptions.size(); ++i) {
    Op fewer = op;
    fewer.subscriptions.erase(fewer.subscriptions.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(fewer));
  }
  for (std::size_t i = 0; i < op.subscriptions.size(); ++i) {
    for (auto& s : shrink_subscription(op.subscriptions[i])) {
      Op simpler = op;
      simpler.subscriptions[i] = std::move(s);
      out.push_back(std::move(simpler));
    }
  }
  add_earlier(op, &Op::subscription_id, kSubscriptionId, out);
}

void shrink_arguments(const Op& op, std::vector<Op>& out) {
  switch (op.kind) {
    case OpKind::Connect:
      add_false(op, &Op::clean_start, out);
      add_earlier(op, &Op::session_expiry_s, kSessionExpiry_s, out);
      break;
    case OpKind::Subscribe: shrink_subscriptions(op, out); break;
    case OpKind::Unsubscribe:
      if (!op.filters.empty() && op.filters[0] != kFilters[0]) {
        Op simpler = op;
        simpler.filters[0] = kFilters[0];
        out.push_back(std::move(simpler));
      }
      break;
    case OpKind::Publish:
      add_earlier(op, &Op::topic, kTopics, out);
      add_below(op, &Op::qos, out);
      add_false(op, &Op::retain, out);
      add_earlier(op, &Op::message_expiry_s, kMessageExpiry_s, out);
      add_earlier(op, &Op::payload, kPayloads, out);
      if (op.packet_id) {
        Op simpler = op;
        simpler.packet_id.reset();
        out.push_back(std::move(simpler));
      }
      break;
    case OpKind::Disconnect:
      add_earlier(op, &Op::reason_code, kDisconnectReason, out);
      add_earlier(op, &Op::session_expiry_s, kDisconnectExpiry_s, out);
      break;
    case OpKind::Withhold:
      for (bool AckPolicy::*flag : {&AckPolicy::withhold_puback, &AckPolicy::withhold_pubrec, &AckPolicy::withhold_pubrel,
                                    &AckPolicy::withhold_pubcomp}) {
        if (!(op.acks.*flag)) continue;
        Op simpler = op;
        simpler.acks.*flag = false;
        out.push_back(std::move(simpler));
      }
      break;
    case OpKind::Advance: add_earlier(op, &Op::duration_ms, kAdvance_ms, out); break;
    case OpKind::Latency: add_earlier(op, &Op::amount, kLatency_ms, out); break;
    case OpKind::ShortIo: add_earlier(op, &Op::amount, kShortIoPercent, out); break;
    case OpKind::Crash: case OpKind::Reset: case OpKind::ReleaseAcks: case OpKind::Hold: case OpKind::Heal:
    case OpKind::Retry: break;
  }
}

rc::Shrinkable<Op> shrinkable_op(Op op) {
  return rc::shrinkable::shrinkRecur(std::move(op), [](const Op& o) { return rc::seq::fromContainer(shrink_op(o)); });
}

}  // namespace

std::vector<Op> shrink_op(const Op& op) {
  std::vector<Op> out;
  add_below(op, &Op::client, out);
  shrink_arguments(op, out);
  return out;
}

rc::Gen<Op> gen_op(const std::vector<int>& weights, std::uint32_t clients) {
  assert(clients >= 1);
  return rc::Gen<Op>([weights, clients](const rc::Random& random, int /*size*/) {
    rc::Random r = random;
    Prng prng(r.next());
    Op op;
    op.kind = draw_kind(prng, weights);
    // An advance is global: its client is never used and stays 0.
    if (op.kind != OpKind::Advance) op.client = static_cast<std::uint32_t>(prng.below(clients));
    draw_arguments(prng, op);
    return shrinkable_op(std::move(op));
  });
}

rc::Gen<Op> gen_connect(std::uint32_t client) {
  return rc::Gen<Op>([client](const rc::Random& random, int /*size*/) {
    rc::Random r = random;
    Prng prng(r.next());
    Op op;
    op.kind = OpKind::Connect;
    op.client = client;
    draw_arguments(prng, op);
    // The opening connect's client is fixed: shrinking it would connect another client twice.
    auto shrinks = [](const Op& o) {
      std::vector<Op> out;
      shrink_arguments(o, out);
      return rc::seq::fromContainer(std::move(out));
    };
    return rc::shrinkable::shrinkRecur(std::move(op), shrinks);
  });
}

}  // namespace mqsim::props
