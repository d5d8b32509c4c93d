// The packets the Python's helpers build (mosq_test.gen_*), byte for byte, and bytes as hex
// text for messages. See packets.h.
#include "packets.h"

#include <cassert>

namespace mqsim::corpus {
namespace {

using mqtt::Bytes;

void put_u16(Bytes& out, std::size_t value) {
  assert(value <= 0xFFFF);
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

void put_string(Bytes& out, std::string_view text) {
  put_u16(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

Bytes framed(std::uint8_t first_byte, const Bytes& body) {
  assert(body.size() < 268'435'456);  // the largest Remaining Length (2.1.4)
  Bytes out{first_byte};
  std::size_t rest = body.size();
  do {
    std::uint8_t digit = rest % 128;
    rest /= 128;
    if (rest > 0) digit |= 0x80;
    out.push_back(digit);
  } while (rest > 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

std::string hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const char ch : bytes) {
    const auto b = static_cast<std::uint8_t>(ch);
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string hex(const Bytes& bytes) { return corpus::hex({reinterpret_cast<const char*>(bytes.data()), bytes.size()}); }

// gen_connect(client_id, keepalive=60, proto_ver=ver): clean session, no will, no credentials;
// under 5.0 the one property gen_connect adds when given none, Receive Maximum 20.
Bytes default_connect(const std::string& client_id, int ver) {
  assert(ver == 3 || ver == 4 || ver == 5);
  constexpr std::uint16_t kKeepaliveS = 60;
  Bytes body;
  put_string(body, ver == 3 ? "MQIsdp" : "MQTT");
  body.push_back(static_cast<std::uint8_t>(ver));
  body.push_back(0x02);  // clean session
  put_u16(body, kKeepaliveS);
  if (ver == 5) body.insert(body.end(), {0x03, 0x21, 0x00, 0x14});
  put_string(body, client_id);
  return framed(0x10, body);
}

// gen_connack(rc=0, proto_ver=ver): under 5.0 with the properties the Python expects from a
// default Mosquitto, Topic Alias Maximum 10 and Receive Maximum 20, and, in 2.1's mosq_test,
// Maximum Packet Size 2000000 (0x1E8480) between them.
Bytes default_connack(int ver, Format format) {
  if (ver == 5 && format == Format::v2_0) return {0x20, 0x09, 0x00, 0x00, 0x06, 0x22, 0x00, 0x0A, 0x21, 0x00, 0x14};
  if (ver == 5) return {0x20, 0x0E, 0x00, 0x00, 0x0B, 0x22, 0x00, 0x0A, 0x27, 0x00, 0x1E, 0x84, 0x80, 0x21, 0x00, 0x14};
  return {0x20, 0x02, 0x00, 0x00};
}

// gen_publish(topic, qos, payload, mid=1 when qos > 0), 3.1.1.
Bytes helper_publish(const Msg& m) {
  assert(m.kind == MsgKind::Publish && m.qos <= 2);
  Bytes body;
  put_string(body, m.topic);
  if (m.qos > 0) put_u16(body, 1);
  body.insert(body.end(), m.payload.begin(), m.payload.end());
  return framed(static_cast<std::uint8_t>(0x30 | (m.qos << 1)), body);
}

}  // namespace mqsim::corpus
