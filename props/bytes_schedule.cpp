// Bytes to Schedule for coverage-guided fuzzing: see bytes_schedule.h for the layout.
//
// Every choice goes through a table whose size is a power of two, indexed by a bit field: each
// bit pattern is one value (uniform, no modulo bias), a value's weight is how often it appears in
// its table, and entry 0 is always the ordinary choice. The value sets are the rapidcheck
// generators' (props/generators.cpp: same topics, filters, expiries, durations), with a few
// in-between values to fill the tables, so the fuzzer and the property campaigns explore the
// same space and the model's allowances hold for both.
#include "bytes_schedule.h"

#include <array>
#include <bit>
#include <cassert>
#include <optional>
#include <string>

#include "props/generators.h"
#include "schedule/broker_knobs.h"

namespace mqsim::props {
namespace {

using OptU32 = std::optional<std::uint32_t>;
constexpr OptU32 kNone = std::nullopt;

// The topic and filter alphabets of generators.cpp, padded to powers of two with repeats of the
// ones that overlap most (so more steps collide).
const std::array<std::string, 8> kTopics = {"a", "a/b", "b", "b/a", "a/b/c", "a", "a/b", "b"};
const std::array<std::string, 16> kFilters = {"a",  "a/b", "a/+", "+/b", "#", "a/#", "+", "b/#",
                                              "$share/g/a/+", "$share/g/#", "$share/h/a",
                                              "$SYS/broker/clients/connected", "a/+", "#", "a", "b"};

// The 15 kinds, with connect (what makes everything else matter) twice. A new OpKind takes a
// slot here (tests/unit/test_bytes_schedule.cpp fails until it does); slot 15 was a second
// Publish before Retry existed.
constexpr std::array<OpKind, 16> kKinds = {
    OpKind::Connect, OpKind::Subscribe, OpKind::Unsubscribe, OpKind::Publish,
    OpKind::Disconnect, OpKind::Crash, OpKind::Reset, OpKind::Withhold,
    OpKind::ReleaseAcks, OpKind::Advance, OpKind::Hold, OpKind::Heal,
    OpKind::Latency, OpKind::ShortIo, OpKind::Connect, OpKind::Retry};

constexpr std::array<std::uint16_t, 4> kInflight = {20, 1, 2, 20};
constexpr std::array<std::uint32_t, 4> kQueued = {1000, 1, 3, 100};
constexpr std::array<std::uint32_t, 4> kSysInterval_s = {10, 1, 0, 30};  // 0: $SYS off
// 0: no max_keepalive line. 10 s is the smallest cap every supported version accepts.
constexpr std::array<std::uint16_t, 4> kMaxKeepalive_s = {0, 65535, 60, 10};
constexpr std::array<std::uint16_t, 8> kKeepalive_s = {60, 0, 2, 5, 60, 60, 10, 60};
constexpr std::array<OptU32, 8> kWillDelay_s = {kNone, kNone, 0u, 2u, 10u, kNone, 2u, 10u};
constexpr std::array<OptU32, 8> kSessionExpiry_s = {kNone, 0u, 2u, 10u, 300u, 0xFFFFFFFFu, kNone, 10u};
constexpr std::array<OptU32, 8> kMessageExpiry_s = {kNone, kNone, kNone, kNone, 1u, 3u, 10u, 2u};
constexpr std::array<OptU32, 8> kDisconnectExpiry_s = {kNone, kNone, kNone, kNone, 0u, 5u, kNone, 5u};
constexpr std::array<std::uint8_t, 4> kQos = {0, 1, 2, 1};
constexpr std::array<std::uint8_t, 4> kRetainHandling = {0, 1, 2, 0};
constexpr std::array<OptU32, 4> kSubscriptionId = {kNone, kNone, 1u, 7u};
constexpr std::array<std::uint8_t, 4> kDisconnectReason = {0x00, 0x00, 0x04, 0x80};
constexpr std::array<std::uint64_t, 16> kAdvance_ms = {1000, 100, 500, 1000, 2000, 3000, 5000, 10000,
                                                       30000, 70000, 250, 1500, 2000, 4000, 60000, 1000};
constexpr std::array<std::uint32_t, 4> kLatency_ms = {0, 10, 500, 3000};
constexpr std::array<std::uint32_t, 4> kShortIoPercent = {0, 30, 90, 60};

// Consumes the input front to back; past the end every byte reads as zero, which is what makes
// the decoder total without a single length check in the field decoders.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint8_t byte() {
    const std::uint8_t b = offset_ < bytes_.size() ? bytes_[offset_] : 0;
    ++offset_;
    return b;
  }
  // `count` bytes, little-endian, as one word of fields.
  std::uint32_t word(std::size_t count) {
    assert(count <= 4);
    std::uint32_t w = 0;
    for (std::size_t i = 0; i < count; ++i) w |= std::uint32_t{byte()} << (8 * i);
    return w;
  }
  std::size_t remaining() const { return offset_ < bytes_.size() ? bytes_.size() - offset_ : 0; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

// Bit fields of one record, taken low bits first. The asserts keep each decoder within its
// record: a field past the record's width would silently read zero and never vary.
class Bits {
 public:
  Bits(std::uint32_t word, unsigned width) : word_(word), width_(width) { assert(width <= 32); }
  std::uint32_t take(unsigned n) {
    assert(n >= 1 && n <= 16);
    assert(taken_ + n <= width_ && "field beyond the record");
    const std::uint32_t v = (word_ >> taken_) & ((1u << n) - 1);
    taken_ += n;
    return v;
  }
  bool flag() { return take(1) != 0; }
  // True only when all `n` bits are set: a 1-in-2^n choice for the rare and broken things.
  bool rare(unsigned n) { return take(n) == (1u << n) - 1; }
  template <typename T, std::size_t N>
  const T& pick(const std::array<T, N>& table) {
    static_assert(N >= 2 && (N & (N - 1)) == 0, "tables are powers of two: one value per bit pattern");
    return table[take(static_cast<unsigned>(std::countr_zero(N)))];
  }

 private:
  std::uint32_t word_;
  unsigned width_;
  unsigned taken_ = 0;
};

// `b` is header byte 0; `more` is byte 1, whose low two bits came into use after it (so the
// steps of older inputs stay where they were).
BrokerKnobs decode_knobs(std::uint8_t b, std::uint8_t more) {
  Bits bits(b, 8);
  BrokerKnobs k;
  k.max_inflight = bits.pick(kInflight);
  k.max_queued = bits.pick(kQueued);
  k.queue_qos0 = bits.flag();
  k.sys_interval_s = bits.pick(kSysInterval_s);
  k.persistence = bits.flag();
  Bits extra(more, 8);
  k.max_keepalive_s = extra.pick(kMaxKeepalive_s);
  return k;
}

ClientSpec decode_client(std::uint32_t word, std::uint32_t index, std::uint32_t count) {
  assert(index < count && count <= kMaxClients);
  Bits bits(word, 8 * kClientBytes);
  ClientSpec c;
  c.name = "c" + std::to_string(index + 1);
  c.version = bits.rare(2) ? mqtt::Version::v311 : mqtt::Version::v5;
  c.keepalive_s = bits.pick(kKeepalive_s);
  // Now and then two clients share an id: session takeover.
  const bool shares_id = bits.rare(3);
  const std::uint32_t other = bits.take(3) % count;
  c.client_id = shares_id ? "c" + std::to_string(other + 1) : c.name;
  const bool has_will = bits.take(2) >= 2;
  mqtt::Will will;
  will.payload = "will";
  will.qos = bits.pick(kQos);
  will.retain = bits.rare(2);
  will.topic = bits.pick(kTopics);
  if (has_will) c.will = will;
  c.will_delay_s = bits.pick(kWillDelay_s);
  return c;
}

mqtt::Subscription decode_subscription(Bits& bits) {
  mqtt::Subscription s;
  s.filter = bits.pick(kFilters);
  s.qos = bits.pick(kQos);
  s.no_local = bits.flag();
  s.retain_as_published = bits.flag();
  s.retain_handling = bits.pick(kRetainHandling);
  return s;
}

void decode_subscribe(Bits& bits, Op& op) {
  const std::size_t count = bits.flag() ? 2 : 1;
  op.subscription_id = bits.pick(kSubscriptionId);
  for (std::size_t i = 0; i < 2; ++i) {
    const mqtt::Subscription s = decode_subscription(bits);  // both decoded: fixed field positions
    if (i < count) op.subscriptions.push_back(s);
  }
  assert(!op.subscriptions.empty() && op.subscriptions.size() <= 2);
}

void decode_unsubscribe(Bits& bits, Op& op) {
  const std::size_t count = bits.flag() ? 2 : 1;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string& f = bits.pick(kFilters);
    if (i < count) op.filters.push_back(f);
  }
  assert(!op.filters.empty());
}

void decode_publish(Bits& bits, Op& op) {
  op.topic = bits.pick(kTopics);
  op.qos = bits.pick(kQos);
  op.retain = bits.flag();
  op.message_expiry_s = bits.pick(kMessageExpiry_s);
  // normalise() numbers non-empty payloads; an empty one is a retained-message delete.
  op.payload = bits.rare(3) ? "" : "x";
  if (bits.rare(3)) op.packet_id = std::uint16_t{1};  // a broken client reusing an id
}

void decode_withhold(Bits& bits, Op& op) {
  op.acks.withhold_puback = bits.flag();
  op.acks.withhold_pubrec = bits.flag();
  op.acks.withhold_pubrel = bits.flag();
  op.acks.withhold_pubcomp = bits.flag();
}

// The kind's arguments from the step's 24 argument bits.
void decode_arguments(Bits& bits, Op& op) {
  switch (op.kind) {
    case OpKind::Connect:
      op.clean_start = !bits.flag();
      op.session_expiry_s = bits.pick(kSessionExpiry_s);
      break;
    case OpKind::Subscribe: decode_subscribe(bits, op); break;
    case OpKind::Unsubscribe: decode_unsubscribe(bits, op); break;
    case OpKind::Publish: decode_publish(bits, op); break;
    case OpKind::Disconnect:
      op.reason_code = bits.pick(kDisconnectReason);
      op.session_expiry_s = bits.pick(kDisconnectExpiry_s);
      break;
    case OpKind::Withhold: decode_withhold(bits, op); break;
    case OpKind::Advance: op.duration_ms = bits.pick(kAdvance_ms); break;
    case OpKind::Latency: op.amount = bits.pick(kLatency_ms); break;
    case OpKind::ShortIo: op.amount = bits.pick(kShortIoPercent); break;
    case OpKind::Crash: case OpKind::Reset: case OpKind::ReleaseAcks: case OpKind::Hold: case OpKind::Heal:
    case OpKind::Retry: break;
  }
}

Op decode_op(ByteReader& in, std::uint32_t client_count) {
  assert(client_count >= 1 && client_count <= kMaxClients);
  const std::uint8_t head = in.byte();
  Bits bits(in.word(kOpBytes - 1), 8 * (kOpBytes - 1));
  Op op;
  op.kind = kKinds[head & 0x0F];
  // generators.cpp gives Advance client 0: the step is global, its client is never used.
  op.client = op.kind == OpKind::Advance ? 0 : (head >> 4) % client_count;
  decode_arguments(bits, op);
  return op;
}

}  // namespace

Schedule schedule_from_bytes(std::span<const std::uint8_t> bytes) {
  Schedule s;
  s.clients.clear();
  s.ops.clear();
  if (bytes.empty()) return s;
  ByteReader in(bytes);
  const std::uint8_t knob_byte = in.byte();
  const BrokerKnobs knobs = decode_knobs(knob_byte, in.byte());
  s.seed = 1 + std::uint64_t{in.byte()};
  const auto client_count = static_cast<std::uint32_t>(1 + in.byte() % kMaxClients);
  for (std::uint32_t i = 0; i < kMaxClients; ++i) {
    const std::uint32_t word = in.word(kClientBytes);  // read even when unused: fixed offsets
    if (i < client_count) s.clients.push_back(decode_client(word, i, client_count));
  }
  while (in.remaining() > 0 && s.ops.size() < kMaxOps) s.ops.push_back(decode_op(in, client_count));
  s.mosquitto_conf = mosquitto_conf(knobs);
  s.swarm = "bytes=" + std::to_string(bytes.size()) + " " + knobs_text(knobs);
  s.liveness = true;
  Schedule out = normalise(std::move(s));
  assert(out.clients.size() == client_count);
  assert(out.ops.size() <= kMaxOps);
  return out;
}

}  // namespace mqsim::props
