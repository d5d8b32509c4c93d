// Unit tests of the MQTT wire codec (trace/mqtt/packet.h): round trips of every packet type in
// both versions, byte vectors written by hand from the specifications, one malformed input per
// decode rule, framing, short forms and the text form. The property table of MQTT 5.0 (table
// 2-4) is written out again here, independently of packet.cpp, to serve as the oracle.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "trace/mqtt/packet.h"

using namespace mqsim::mqtt;
using PT = PacketType;

constexpr Version v5 = Version::v5;
constexpr Version v311 = Version::v311;

namespace {

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (const int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

Bytes with_byte(Bytes b, std::size_t index, std::uint8_t value) {
  REQUIRE(index < b.size());
  b[index] = value;
  return b;
}

// ---------------------------------------------------------------------------------------------
// MQTT 5.0 table 2-4, as the oracle: identifier, wire form, packets, and whether it is a will
// property.
struct SpecProperty {
  std::uint8_t id;
  PropertyForm form;
  std::vector<PT> packets;
  bool will;
};

const std::vector<SpecProperty>& spec_table() {
  using F = PropertyForm;
  static const std::vector<SpecProperty> table = {
      {0x01, F::Byte, {PT::PUBLISH}, true},
      {0x02, F::FourByte, {PT::PUBLISH}, true},
      {0x03, F::Utf8, {PT::PUBLISH}, true},
      {0x08, F::Utf8, {PT::PUBLISH}, true},
      {0x09, F::Binary, {PT::PUBLISH}, true},
      {0x0B, F::VarInt, {PT::PUBLISH, PT::SUBSCRIBE}, false},
      {0x11, F::FourByte, {PT::CONNECT, PT::CONNACK, PT::DISCONNECT}, false},
      {0x12, F::Utf8, {PT::CONNACK}, false},
      {0x13, F::TwoByte, {PT::CONNACK}, false},
      {0x15, F::Utf8, {PT::CONNECT, PT::CONNACK, PT::AUTH}, false},
      {0x16, F::Binary, {PT::CONNECT, PT::CONNACK, PT::AUTH}, false},
      {0x17, F::Byte, {PT::CONNECT}, false},
      {0x18, F::FourByte, {}, true},
      {0x19, F::Byte, {PT::CONNECT}, false},
      {0x1A, F::Utf8, {PT::CONNACK}, false},
      {0x1C, F::Utf8, {PT::CONNACK, PT::DISCONNECT}, false},
      {0x1F, F::Utf8, {PT::CONNACK, PT::PUBACK, PT::PUBREC, PT::PUBREL, PT::PUBCOMP, PT::SUBACK,
                       PT::UNSUBACK, PT::DISCONNECT, PT::AUTH}, false},
      {0x21, F::TwoByte, {PT::CONNECT, PT::CONNACK}, false},
      {0x22, F::TwoByte, {PT::CONNECT, PT::CONNACK}, false},
      {0x23, F::TwoByte, {PT::PUBLISH}, false},
      {0x24, F::Byte, {PT::CONNACK}, false},
      {0x25, F::Byte, {PT::CONNACK}, false},
      {0x26, F::Utf8Pair, {PT::CONNECT, PT::CONNACK, PT::PUBLISH, PT::PUBACK, PT::PUBREC,
                           PT::PUBREL, PT::PUBCOMP, PT::SUBSCRIBE, PT::SUBACK, PT::UNSUBSCRIBE,
                           PT::UNSUBACK, PT::DISCONNECT, PT::AUTH}, true},
      {0x27, F::FourByte, {PT::CONNECT, PT::CONNACK}, false},
      {0x28, F::Byte, {PT::CONNACK}, false},
      {0x29, F::Byte, {PT::CONNACK}, false},
      {0x2A, F::Byte, {PT::CONNACK}, false},
  };
  return table;
}

bool allowed_in(const SpecProperty& sp, PT type) {
  for (const PT t : sp.packets) {
    if (t == type) return true;
  }
  return false;
}

// A value of the property's form; `variant` varies it so that repeated properties differ.
Property sample_property(std::uint8_t id, PropertyForm form, int variant = 0) {
  Property p;
  p.id = id;
  switch (form) {
    case PropertyForm::Byte: p.number = 1; break;
    case PropertyForm::TwoByte: p.number = 0x1234u + static_cast<unsigned>(variant); break;
    case PropertyForm::FourByte: p.number = 0x89ABCDEFu - static_cast<unsigned>(variant); break;
    case PropertyForm::VarInt: p.number = variant == 0 ? 268'435'455u : 200u; break;
    case PropertyForm::Utf8: p.text = "text \xC3\xA9\xF0\x9F\x98\x80 " + std::to_string(variant); break;
    case PropertyForm::Binary: p.text = std::string("\x00\xFF\xC0 bin", 7); break;
    case PropertyForm::Utf8Pair:
      p.text = "key" + std::to_string(variant);
      p.value = "value \xE2\x82\xAC";
      break;
    case PropertyForm::Unknown: break;
  }
  return p;
}

// Every property table 2-4 allows in `type` (or in the will), the repeatable ones twice.
Properties full_set(PT type, bool will = false) {
  Properties out;
  for (const SpecProperty& sp : spec_table()) {
    if (will ? !sp.will : !allowed_in(sp, type)) continue;
    out.push_back(sample_property(sp.id, sp.form));
  }
  out.push_back(sample_property(prop::UserProperty, PropertyForm::Utf8Pair, 1));
  if (!will && type == PT::PUBLISH) {
    out.push_back(sample_property(prop::SubscriptionIdentifier, PropertyForm::VarInt, 1));
  }
  return out;
}

// The smallest valid packet of each type: what the matrix tests add one property to.
Packet minimal(PT type, Version v) {
  Packet p;
  p.type = type;
  if (type == PT::CONNECT) p.protocol_level = static_cast<std::uint8_t>(v);
  if (type == PT::PUBLISH) p.topic = "t";
  if (type == PT::SUBSCRIBE) p.subscriptions = {Subscription{"a/b"}};
  if (type == PT::UNSUBSCRIBE) p.filters = {"a/b"};
  const bool has_id = type == PT::PUBACK || type == PT::PUBREC || type == PT::PUBREL ||
                      type == PT::PUBCOMP || type == PT::SUBSCRIBE || type == PT::SUBACK ||
                      type == PT::UNSUBSCRIBE || type == PT::UNSUBACK;
  if (has_id) p.packet_id = 1;
  return p;
}

std::vector<Subscription> sample_subscriptions(bool v5) {
  if (!v5) return {{"a/b", 0}, {"sport/+/player1", 1}, {"#", 2}};
  return {{"a/b", 0, true, false, 2}, {"sport/+/player1", 1, false, true, 1},
          {"$share/group/x/#", 2, false, false, 0}};
}

// A representative packet of each type, with every field that type carries set to something
// other than its default, and (5.0) every property it may carry.
Packet sample(PT type, Version v) {
  const bool v5 = v == Version::v5;
  Packet p = minimal(type, v);
  if (v5 && type != PT::PINGREQ && type != PT::PINGRESP) p.properties = full_set(type);
  switch (type) {
    case PT::CONNECT:
      p.clean_start = false;
      p.keepalive_s = 0xBEEF;
      p.client_id = "client-1";
      p.username = "user \xC3\xBC";
      p.password = std::string("p\0ss\xFF", 5);
      p.will = Will{"will/topic", std::string("\xFF\x00 gone", 7), 2, true, {}};
      if (v5) p.will->properties = full_set(type, true);
      break;
    case PT::CONNACK:
      p.session_present = true;
      p.reason_code = v5 ? 0x87 : 0x05;
      break;
    case PT::PUBLISH:
      p.qos = 2;
      p.retain = true;
      p.dup = true;
      p.packet_id = 0xFFFF;
      p.topic = "sensors/\xC3\xA9/temp";
      p.payload = std::string("\x00\x01\xFF 22.5", 8);
      break;
    case PT::PUBACK: case PT::PUBREC: case PT::PUBREL: case PT::PUBCOMP:
      p.packet_id = 0x1234;
      if (v5) p.reason_code = 0x10;
      break;
    case PT::SUBSCRIBE:
      p.packet_id = 7;
      p.subscriptions = sample_subscriptions(v5);
      break;
    case PT::SUBACK:
      p.packet_id = 7;
      p.reason_codes = v5 ? bytes({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E,
                                   0xA1, 0xA2})
                          : bytes({0x00, 0x01, 0x02, 0x80});
      break;
    case PT::UNSUBSCRIBE:
      p.packet_id = 8;
      p.filters = {"a/b", "c/#", "+/x", "$share/g/t"};
      break;
    case PT::UNSUBACK:
      p.packet_id = 8;
      if (v5) p.reason_codes = bytes({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
      break;
    case PT::PINGREQ: case PT::PINGRESP: break;
    case PT::DISCONNECT: if (v5) p.reason_code = 0x8E; break;
    case PT::AUTH: p.reason_code = 0x18; break;
  }
  return p;
}

std::vector<PT> all_types(Version v) {
  std::vector<PT> out;
  const int last = v == Version::v5 ? 15 : 14;  // AUTH does not exist in 3.1.1
  for (int t = 1; t <= last; ++t) out.push_back(static_cast<PT>(t));
  return out;
}

// Every strict prefix of a frame is NeedMore; the whole frame is Complete at its own size.
void check_framing(const Bytes& frame) {
  for (std::size_t n = 0; n < frame.size(); ++n) {
    const FrameProbe probe = probe_frame(std::span(frame.data(), n));
    CAPTURE(n);
    CHECK(probe.status == FrameProbe::Status::NeedMore);
  }
  const FrameProbe whole = probe_frame(frame);
  REQUIRE(whole.status == FrameProbe::Status::Complete);
  CHECK(whole.frame_size == frame.size());
  Bytes longer = frame;
  longer.push_back(0xC0);  // the start of the next packet does not change this one's size
  CHECK(probe_frame(longer).frame_size == frame.size());
}

void check_round_trip(const Packet& p, Version v) {
  CAPTURE(to_text(p));
  const Bytes frame = encode(p, v);
  check_framing(frame);
  const DecodeResult d = decode(frame, v);
  CAPTURE(d.error);
  REQUIRE(d.ok());
  CHECK(*d.packet == p);
  CHECK(to_text(*d.packet) == to_text(p));
  CHECK(encode(*d.packet, v) == frame);
}

// The bytes after the fixed header of a whole frame.
Bytes body_of(const Bytes& frame) {
  std::size_t i = 1;
  while (i < frame.size() && (frame[i] & 0x80) != 0) ++i;
  REQUIRE(i < frame.size());
  return Bytes(frame.begin() + static_cast<std::ptrdiff_t>(i + 1), frame.end());
}

// A frame with the given first byte around `body`, the Remaining Length written to match.
Bytes frame_of(std::uint8_t first, const Bytes& body) {
  Bytes out = {first};
  std::size_t n = body.size();
  do {
    const auto low = static_cast<std::uint8_t>(n & 0x7F);
    n >>= 7;
    out.push_back(n > 0 ? static_cast<std::uint8_t>(low | 0x80) : low);
  } while (n > 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::string decode_error(const Bytes& frame, Version v) {
  const DecodeResult d = decode(frame, v);
  CHECK_FALSE(d.ok());
  CHECK_FALSE(d.error.empty());
  return d.error;
}

std::string encode_decode_error(const Packet& p, Version v) { return decode_error(encode(p, v), v); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

// =============================================================================================

TEST_CASE("property forms and names follow table 2-4") {
  for (const SpecProperty& sp : spec_table()) {
    CAPTURE(int(sp.id));
    CHECK(property_form(sp.id) == sp.form);
    CHECK(std::string(property_name(sp.id)) != "Unknown");
  }
  CHECK(spec_table().size() == 27);
  int unknown = 0;
  for (int id = 0; id < 256; ++id) {
    if (property_form(static_cast<std::uint8_t>(id)) == PropertyForm::Unknown) ++unknown;
  }
  CHECK(unknown == 256 - 27);
  CHECK(std::string(property_name(prop::SessionExpiryInterval)) == "SessionExpiryInterval");
  CHECK(std::string(property_name(0x05)) == "Unknown");
  CHECK(std::string(packet_type_name(PT::UNSUBACK)) == "UNSUBACK");

  const Properties props = {{prop::UserProperty, 0, "a", "1"}, {prop::ReasonString, 0, "r", ""},
                            {prop::UserProperty, 0, "b", "2"}};
  REQUIRE(find_property(props, prop::UserProperty) != nullptr);
  CHECK(find_property(props, prop::UserProperty)->text == "a");
  CHECK(find_property(props, prop::ReasonString) == &props[1]);
  CHECK(find_property(props, prop::TopicAlias) == nullptr);
}

TEST_CASE("round trip: every packet type / MQTT 5.0 / full property sets") {
  for (const PT t : all_types(Version::v5)) {
    CAPTURE(packet_type_name(t));
    check_round_trip(sample(t, Version::v5), Version::v5);
    check_round_trip(minimal(t, Version::v5), Version::v5);
  }
}

TEST_CASE("round trip: every packet type / MQTT 3.1.1") {
  for (const PT t : all_types(Version::v311)) {
    CAPTURE(packet_type_name(t));
    check_round_trip(sample(t, Version::v311), Version::v311);
    check_round_trip(minimal(t, Version::v311), Version::v311);
  }
}

TEST_CASE("round trip: CONNECT flag combinations in both versions") {
  for (const Version v : {Version::v5, Version::v311}) {
    for (int bits = 0; bits < 64; ++bits) {
      Packet p = minimal(PT::CONNECT, v);
      p.clean_start = bits & 1;
      if (bits & 2) p.username = "u";
      if (bits & 4) p.password = "";
      if (bits & 8) p.will = Will{"w", "", static_cast<std::uint8_t>((bits >> 4) % 3), (bits & 32) != 0, {}};
      const bool v311_forbidden = v == Version::v311 && p.password && !p.username;
      CAPTURE(bits);
      CAPTURE(int(v));
      if (v311_forbidden) {
        CHECK(contains(encode_decode_error(p, v), "[MQTT-3.1.2-22]"));
      } else {
        check_round_trip(p, v);
      }
    }
  }
  Packet empty_id = minimal(PT::CONNECT, Version::v5);
  empty_id.client_id = "";
  check_round_trip(empty_id, Version::v5);
}

TEST_CASE("round trip: a CONNECT is decoded by its own protocol level") {
  const Packet old = sample(PT::CONNECT, Version::v311);
  const Packet level5 = sample(PT::CONNECT, Version::v5);
  // Whatever the connection claims to speak, the level byte decides the layout.
  const DecodeResult a = decode(encode(old, Version::v5), Version::v5);
  const DecodeResult b = decode(encode(level5, Version::v311), Version::v311);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a.packet == old);
  CHECK(*b.packet == level5);
}

TEST_CASE("round trip: subscriptions with every option combination") {
  Packet sub5 = minimal(PT::SUBSCRIBE, Version::v5);
  sub5.subscriptions.clear();
  for (int qos = 0; qos <= 2; ++qos) {
    for (int bits = 0; bits < 4; ++bits) {
      for (int rh = 0; rh <= 2; ++rh) {
        sub5.subscriptions.push_back(Subscription{"f/" + std::to_string(sub5.subscriptions.size()),
                                                static_cast<std::uint8_t>(qos), (bits & 1) != 0,
                                                (bits & 2) != 0, static_cast<std::uint8_t>(rh)});
      }
    }
  }
  REQUIRE(sub5.subscriptions.size() == 36);
  sub5.properties = full_set(PT::SUBSCRIBE);
  check_round_trip(sub5, Version::v5);

  Packet sub311 = minimal(PT::SUBSCRIBE, Version::v311);
  sub311.subscriptions = {{"x", 0}, {"y/+", 1}, {"z/#", 2}};
  check_round_trip(sub311, Version::v311);
  // 5.0-only options are not written under 3.1.1.
  Packet extra = sub311;
  extra.subscriptions[0].no_local = true;
  extra.subscriptions[0].retain_handling = 2;
  CHECK(encode(extra, Version::v311) == encode(sub311, Version::v311));
}

TEST_CASE("round trip: SUBACK and UNSUBACK reason code lists") {
  for (const Version v : {Version::v5, Version::v311}) {
    Packet suback = minimal(PT::SUBACK, v);
    for (int n = 0; n < 5; ++n) {
      suback.reason_codes.assign(static_cast<std::size_t>(n), 0x02);
      check_round_trip(suback, v);
    }
  }
  Packet unsuback = minimal(PT::UNSUBACK, Version::v5);
  unsuback.reason_codes = bytes({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
  check_round_trip(unsuback, Version::v5);
  // 3.1.1 UNSUBACK has no payload: the codes are not written.
  CHECK(encode(unsuback, Version::v311) == bytes({0xB0, 0x02, 0x00, 0x01}));
}

TEST_CASE("properties: each allowed one round-trips / each other one is rejected") {
  for (const PT t : all_types(Version::v5)) {
    if (t == PT::PINGREQ || t == PT::PINGRESP) continue;
    for (const SpecProperty& sp : spec_table()) {
      CAPTURE(packet_type_name(t));
      CAPTURE(property_name(sp.id));
      Packet p = minimal(t, Version::v5);
      p.properties = {sample_property(sp.id, sp.form)};
      if (allowed_in(sp, t)) {
        check_round_trip(p, Version::v5);
      } else {
        const std::string error = encode_decode_error(p, Version::v5);
        CHECK(contains(error, std::string(packet_type_name(t)) + ": properties: "));
        CHECK(contains(error, std::string(property_name(sp.id)) + " ("));
        CHECK(contains(error, "not allowed in"));
      }
    }
  }
}

TEST_CASE("properties: will properties are checked against the will set") {
  for (const SpecProperty& sp : spec_table()) {
    CAPTURE(property_name(sp.id));
    Packet p = minimal(PT::CONNECT, Version::v5);
    p.will = Will{"w", "x", 1, false, {sample_property(sp.id, sp.form)}};
    if (sp.will) {
      check_round_trip(p, Version::v5);
    } else {
      const std::string error = encode_decode_error(p, Version::v5);
      CHECK(contains(error, "CONNECT: will properties: "));
      CHECK(contains(error, "not allowed in will properties"));
    }
  }
}

TEST_CASE("properties: at most once / except User Property and PUBLISH Subscription Identifier") {
  for (const PT t : all_types(Version::v5)) {
    for (const SpecProperty& sp : spec_table()) {
      if (!allowed_in(sp, t)) continue;
      CAPTURE(packet_type_name(t));
      CAPTURE(property_name(sp.id));
      Packet p = minimal(t, Version::v5);
      p.properties = {sample_property(sp.id, sp.form, 0), sample_property(sp.id, sp.form, 1)};
      const bool repeatable = sp.id == prop::UserProperty ||
                              (sp.id == prop::SubscriptionIdentifier && t == PT::PUBLISH);
      if (repeatable) {
        check_round_trip(p, Version::v5);
      } else {
        const std::string error = encode_decode_error(p, Version::v5);
        CHECK(contains(error, "properties: "));
        CHECK(contains(error, "appears more than once"));
      }
    }
  }
  Packet will = minimal(PT::CONNECT, Version::v5);
  will.will = Will{"w", "", 0, false, {{prop::WillDelayInterval, 1, "", ""}, {prop::WillDelayInterval, 2, "", ""}}};
  CHECK(contains(encode_decode_error(will, Version::v5), "will properties: WillDelayInterval (0x18) appears more than once"));
}

TEST_CASE("properties are neither written nor read under 3.1.1") {
  Packet p = sample(PT::PUBLISH, Version::v5);
  const DecodeResult d = decode(encode(p, Version::v311), Version::v311);
  REQUIRE(d.ok());
  CHECK(d.packet->properties.empty());
  p.properties.clear();
  CHECK(*d.packet == p);
}

TEST_CASE("known bytes: PINGREQ and PINGRESP") {
  Packet ping;
  ping.type = PT::PINGREQ;
  CHECK(encode(ping, v5) == bytes({0xC0, 0x00}));
  ping.type = PT::PINGRESP;
  CHECK(encode(ping, v311) == bytes({0xD0, 0x00}));
}

TEST_CASE("known bytes: 3.1.1 CONNECT / client id c1 / clean session / keep alive 60") {
  Packet c = minimal(PT::CONNECT, v311);
  c.client_id = "c1";
  c.keepalive_s = 60;
  const Bytes wire = bytes({0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C,
                            0x00, 0x02, 'c', '1'});
  CHECK(encode(c, v311) == wire);
  const DecodeResult d = decode(wire, v311);
  REQUIRE(d.ok());
  CHECK(*d.packet == c);
}

TEST_CASE("known bytes: 3.1.1 CONNECT with will / user name and password") {
  Packet c = minimal(PT::CONNECT, v311);
  c.clean_start = false;
  c.keepalive_s = 300;
  c.client_id = "id";
  c.will = Will{"w", "bye", 1, true, {}};
  c.username = "u";
  c.password = "p";
  // Flags: user name 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04.
  const Bytes wire = bytes({0x10, 0x1C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xEC, 0x01, 0x2C,
                            0x00, 0x02, 'i', 'd', 0x00, 0x01, 'w', 0x00, 0x03, 'b', 'y', 'e',
                            0x00, 0x01, 'u', 0x00, 0x01, 'p'});
  CHECK(encode(c, v311) == wire);
  REQUIRE(decode(wire, v311).ok());
  CHECK(*decode(wire, v311).packet == c);
}

TEST_CASE("known bytes: 5.0 CONNECT with Session Expiry Interval 300") {
  Packet c = minimal(PT::CONNECT, v5);
  c.client_id = "c1";
  c.keepalive_s = 60;
  c.properties = {{prop::SessionExpiryInterval, 300, "", ""}};
  CHECK(encode(c, v5) == bytes({0x10, 0x14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00,
                                0x3C, 0x05, 0x11, 0x00, 0x00, 0x01, 0x2C, 0x00, 0x02, 'c', '1'}));
}

TEST_CASE("known bytes: CONNACK") {
  Packet a;
  a.type = PT::CONNACK;
  a.session_present = true;
  CHECK(encode(a, v311) == bytes({0x20, 0x02, 0x01, 0x00}));
  a.session_present = false;
  a.reason_code = 0x86;
  CHECK(encode(a, v5) == bytes({0x20, 0x03, 0x00, 0x86, 0x00}));
}

TEST_CASE("known bytes: PUBLISH") {
  Packet p = minimal(PT::PUBLISH, v311);
  p.qos = 1;
  p.topic = "a/b";
  p.packet_id = 10;
  p.payload = "hi";
  CHECK(encode(p, v311) == bytes({0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'}));
  p.packet_id = 3;
  p.payload = "22.5";
  p.properties = {{prop::MessageExpiryInterval, 10, "", ""}};
  CHECK(encode(p, v5) == bytes({0x32, 0x11, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x03, 0x05, 0x02,
                                0x00, 0x00, 0x00, 0x0A, '2', '2', '.', '5'}));
  Packet q0 = minimal(PT::PUBLISH, v311);
  q0.retain = true;
  CHECK(encode(q0, v311) == bytes({0x31, 0x03, 0x00, 0x01, 't'}));
}

TEST_CASE("known bytes: SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK") {
  Packet s = minimal(PT::SUBSCRIBE, v311);
  s.subscriptions = {{"a/+", 1}};
  CHECK(encode(s, v311) == bytes({0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 'a', '/', '+', 0x01}));
  s.subscriptions = {{"a/+", 1, true, true, 2}};
  s.properties = {{prop::SubscriptionIdentifier, 5, "", ""}};
  // Options: QoS 1 | No Local 0x04 | Retain As Published 0x08 | Retain Handling 2 << 4.
  CHECK(encode(s, v5) == bytes({0x82, 0x0B, 0x00, 0x01, 0x02, 0x0B, 0x05, 0x00, 0x03, 'a', '/',
                                '+', 0x2D}));
  Packet sa = minimal(PT::SUBACK, v311);
  sa.reason_codes = {0x01};
  CHECK(encode(sa, v311) == bytes({0x90, 0x03, 0x00, 0x01, 0x01}));
  sa.reason_codes = {0x01, 0x80};
  CHECK(encode(sa, v5) == bytes({0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x80}));
  Packet u = minimal(PT::UNSUBSCRIBE, v311);
  u.packet_id = 2;
  u.filters = {"a"};
  CHECK(encode(u, v311) == bytes({0xA2, 0x05, 0x00, 0x02, 0x00, 0x01, 'a'}));
  Packet ua = minimal(PT::UNSUBACK, v5);
  ua.packet_id = 7;
  ua.reason_codes = {0x00, 0x11};
  CHECK(encode(ua, v5) == bytes({0xB0, 0x05, 0x00, 0x07, 0x00, 0x00, 0x11}));
}

TEST_CASE("known bytes: publish acknowledgements and their short forms") {
  Packet a = minimal(PT::PUBREL, v5);
  a.packet_id = 5;
  CHECK(encode(a, v5) == bytes({0x62, 0x02, 0x00, 0x05}));
  a.type = PT::PUBREC;
  a.reason_code = 0x10;
  CHECK(encode(a, v5) == bytes({0x50, 0x03, 0x00, 0x05, 0x10}));
  CHECK(encode(a, v311) == bytes({0x50, 0x02, 0x00, 0x05}));
  a.type = PT::PUBCOMP;
  a.reason_code = 0x92;
  a.properties = {{prop::ReasonString, 0, "x", ""}};
  CHECK(encode(a, v5) == bytes({0x70, 0x08, 0x00, 0x05, 0x92, 0x04, 0x1F, 0x00, 0x01, 'x'}));
  a.type = PT::PUBACK;
  a.reason_code = 0;
  a.properties.clear();
  CHECK(encode(a, v5) == bytes({0x40, 0x02, 0x00, 0x05}));
}

TEST_CASE("known bytes: DISCONNECT and AUTH") {
  Packet d;
  d.type = PT::DISCONNECT;
  CHECK(encode(d, v5) == bytes({0xE0, 0x00}));
  CHECK(encode(d, v311) == bytes({0xE0, 0x00}));
  d.reason_code = 0x04;
  CHECK(encode(d, v5) == bytes({0xE0, 0x01, 0x04}));
  CHECK(encode(d, v311) == bytes({0xE0, 0x00}));
  d.reason_code = 0;
  d.properties = {{prop::SessionExpiryInterval, 0, "", ""}};
  CHECK(encode(d, v5) == bytes({0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00}));
  Packet a;
  a.type = PT::AUTH;
  CHECK(encode(a, v5) == bytes({0xF0, 0x00}));
  a.reason_code = 0x18;
  a.properties = {{prop::AuthenticationMethod, 0, "m", ""}};
  CHECK(encode(a, v5) == bytes({0xF0, 0x06, 0x18, 0x04, 0x15, 0x00, 0x01, 'm'}));
}

TEST_CASE("short and long forms decode to the same packet") {
  for (const int type : {4, 5, 6, 7}) {
    const auto first = static_cast<std::uint8_t>(type << 4 | (type == 6 ? 0x02 : 0x00));
    Packet expect = minimal(static_cast<PT>(type), v5);
    expect.packet_id = 9;
    for (const Bytes& wire : {bytes({first, 0x02, 0x00, 0x09}), bytes({first, 0x03, 0x00, 0x09, 0x00}),
                              bytes({first, 0x04, 0x00, 0x09, 0x00, 0x00})}) {
      const DecodeResult d = decode(wire, v5);
      CAPTURE(d.error);
      REQUIRE(d.ok());
      CHECK(*d.packet == expect);
    }
    const DecodeResult rc = decode(bytes({first, 0x03, 0x00, 0x09, 0x97}), v5);
    REQUIRE(rc.ok());
    CHECK(rc.packet->reason_code == 0x97);
  }
  for (const int first : {0xE0, 0xF0}) {
    Packet expect;
    expect.type = static_cast<PT>(first >> 4);
    for (const Bytes& wire : {bytes({first, 0x00}), bytes({first, 0x01, 0x00}), bytes({first, 0x02, 0x00, 0x00})}) {
      const DecodeResult d = decode(wire, v5);
      CAPTURE(d.error);
      REQUIRE(d.ok());
      CHECK(*d.packet == expect);
    }
  }
}

TEST_CASE("remaining length: variable byte integer boundaries (table 1-1)") {
  struct Case {
    std::size_t remaining;
    Bytes encoded;
  };
  const std::vector<Case> cases = {
      {0x03, bytes({0x03})},          {127, bytes({0x7F})},
      {128, bytes({0x80, 0x01})},     {16'383, bytes({0xFF, 0x7F})},
      {16'384, bytes({0x80, 0x80, 0x01})}, {2'097'151, bytes({0xFF, 0xFF, 0x7F})},
      {2'097'152, bytes({0x80, 0x80, 0x80, 0x01})},
  };
  for (const Case& c : cases) {
    CAPTURE(c.remaining);
    Packet p = minimal(PT::PUBLISH, Version::v311);  // topic "t": 3 bytes before the payload
    p.payload.assign(c.remaining - 3, 'x');
    const Bytes frame = encode(p, Version::v311);
    REQUIRE(frame.size() == 1 + c.encoded.size() + c.remaining);
    CHECK(Bytes(frame.begin() + 1, frame.begin() + 1 + static_cast<std::ptrdiff_t>(c.encoded.size())) == c.encoded);
    const FrameProbe probe = probe_frame(frame);
    REQUIRE(probe.status == FrameProbe::Status::Complete);
    CHECK(probe.frame_size == frame.size());
    const DecodeResult d = decode(frame, Version::v311);
    REQUIRE(d.ok());
    CHECK(d.packet->payload.size() == c.remaining - 3);
  }
  // The largest value (268,435,455) is FF FF FF 7F: the header alone asks for more.
  CHECK(probe_frame(bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F})).status == FrameProbe::Status::NeedMore);
}

TEST_CASE("probe_frame: a fifth remaining-length byte is malformed") {
  for (const Bytes& b : {bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF}), bytes({0x30, 0x80, 0x80, 0x80, 0x80, 0x01})}) {
    const FrameProbe probe = probe_frame(b);
    CHECK(probe.status == FrameProbe::Status::Malformed);
    CHECK(contains(probe.error, "remaining length"));
    CHECK(contains(decode(b, Version::v5).error, "remaining length"));
  }
  // Three continuation bytes are a prefix of a valid length, not yet malformed.
  CHECK(probe_frame(bytes({0x30, 0x80, 0x80, 0x80})).status == FrameProbe::Status::NeedMore);
  CHECK(probe_frame(Bytes{}).status == FrameProbe::Status::NeedMore);
}

TEST_CASE("decode accepts exactly one whole frame") {
  const Bytes frame = encode(sample(PT::PUBLISH, Version::v5), Version::v5);
  Bytes longer = frame;
  longer.push_back(0xC0);
  CHECK(contains(decode_error(longer, Version::v5), "1 byte after the end of the packet"));
  const Bytes shorter(frame.begin(), frame.end() - 1);
  CHECK(contains(decode_error(shorter, Version::v5), "incomplete packet"));
}

TEST_CASE("decode rejects: truncated fields") {
  CHECK(decode_error(bytes({0x30, 0x04, 0x00, 0x05, 'a', 'b'}), Version::v5) ==
        "PUBLISH: topic name: truncated UTF-8 string (need 5 bytes, have 2)");
  CHECK(decode_error(bytes({0x32, 0x03, 0x00, 0x01, 'a'}), Version::v311) ==
        "PUBLISH: packet identifier: truncated two-byte integer (need 2 bytes, have 0)");
  CHECK(decode_error(bytes({0x30, 0x01, 0x00}), Version::v5) ==
        "PUBLISH: topic name: truncated UTF-8 string length (need 2 bytes, have 1)");
  // Property Length says 3, the Message Expiry Interval inside needs 4.
  CHECK(decode_error(bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x02, 0x00, 0x00}), Version::v5) ==
        "PUBLISH: property MessageExpiryInterval: truncated four-byte integer (need 4 bytes, have 2)");
  CHECK(contains(decode_error(bytes({0x30, 0x05, 0x00, 0x01, 't', 0x09, 0x02}), Version::v5),
                 "PUBLISH: properties: property length 9 exceeds the 1 byte left"));
  CHECK(contains(decode_error(bytes({0x30, 0x04, 0x00, 0x01, 't', 0x80}), Version::v5),
                 "properties: property length: truncated variable byte integer"));
  CHECK(contains(decode_error(bytes({0x20, 0x01, 0x00}), Version::v311), "CONNACK: return code: truncated"));
  CHECK(contains(decode_error(bytes({0x20, 0x02, 0x00, 0x00}), Version::v5), "CONNACK: properties: property length"));
  CHECK(contains(decode_error(bytes({0x40, 0x01, 0x00}), Version::v5), "PUBACK: packet identifier: truncated"));
  CHECK(contains(decode_error(bytes({0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}), Version::v311),
                 "SUBSCRIBE: subscription options: truncated"));
  CHECK(contains(decode_error(bytes({0x90, 0x02, 0x00, 0x01}), Version::v5), "SUBACK: properties"));
  // A user property cut between its name and its value.
  CHECK(contains(decode_error(bytes({0xE0, 0x07, 0x00, 0x05, 0x26, 0x00, 0x01, 'k', 0x00}), Version::v5),
                 "DISCONNECT: property UserProperty value: truncated UTF-8 string length"));
  // A full CONNECT cut after every byte of its body (with the Remaining Length fixed to match):
  // every field is required by the flags, so every cut is reported.
  for (const Version v : {Version::v5, Version::v311}) {
    const Bytes body = body_of(encode(sample(PT::CONNECT, v), v));
    for (std::size_t keep = 0; keep < body.size(); ++keep) {
      const std::string error = decode_error(frame_of(0x10, Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(keep))), v);
      CAPTURE(keep);
      CHECK(contains(error, "CONNECT: "));
      CHECK((contains(error, "truncated") || contains(error, "exceeds")));
    }
  }
}

TEST_CASE("decode rejects: trailing bytes after the last field") {
  CHECK(decode_error(bytes({0xC0, 0x01, 0x00}), Version::v5) == "PINGREQ: 1 trailing byte after the last field");
  CHECK(contains(decode_error(bytes({0xD0, 0x02, 0x00, 0x00}), Version::v311), "PINGRESP: 2 trailing bytes"));
  CHECK(contains(decode_error(bytes({0x40, 0x03, 0x00, 0x01, 0x00}), Version::v311), "PUBACK: 1 trailing byte"));
  CHECK(contains(decode_error(bytes({0x20, 0x03, 0x00, 0x00, 0x00}), Version::v311), "CONNACK: 1 trailing byte"));
  CHECK(contains(decode_error(bytes({0xE0, 0x01, 0x00}), Version::v311), "DISCONNECT: 1 trailing byte"));
  CHECK(contains(decode_error(bytes({0xB0, 0x03, 0x00, 0x01, 0x00}), Version::v311), "UNSUBACK: 1 trailing byte"));
  CHECK(contains(decode_error(bytes({0x20, 0x04, 0x00, 0x00, 0x00, 0x00}), Version::v5), "CONNACK: 1 trailing byte"));
  CHECK(contains(decode_error(bytes({0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00}), Version::v5), "PUBACK: 1 trailing byte"));
  Bytes connect = encode(minimal(PT::CONNECT, Version::v5), Version::v5);
  connect.push_back(0x00);
  connect[1] = static_cast<std::uint8_t>(connect[1] + 1);
  CHECK(contains(decode_error(connect, Version::v5), "CONNECT: 1 trailing byte"));
}

TEST_CASE("decode rejects: reserved fixed-header flags") {
  CHECK(decode_error(bytes({0x60, 0x02, 0x00, 0x01}), Version::v5) ==
        "PUBREL: fixed header flags 0x00, must be 0x02 [MQTT-2.1.3-1]");
  CHECK(decode_error(bytes({0x60, 0x02, 0x00, 0x01}), Version::v311) ==
        "PUBREL: fixed header flags 0x00, must be 0x02 [MQTT-2.2.2-1]");
  CHECK(contains(decode_error(bytes({0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}), Version::v311), "SUBSCRIBE: fixed header flags"));
  CHECK(contains(decode_error(bytes({0xA3, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}), Version::v311), "UNSUBSCRIBE: fixed header flags"));
  for (const Version v : {Version::v5, Version::v311}) {
    for (const PT t : all_types(v)) {
      if (t == PT::PUBLISH) continue;
      const Bytes good = encode(sample(t, v), v);
      for (int flags = 0; flags < 16; ++flags) {
        const Bytes wire = with_byte(good, 0, static_cast<std::uint8_t>((good[0] & 0xF0) | flags));
        CAPTURE(packet_type_name(t));
        CAPTURE(flags);
        if (wire == good) {
          CHECK(decode(wire, v).ok());
        } else {
          CHECK(contains(decode_error(wire, v), std::string(packet_type_name(t)) + ": fixed header flags"));
        }
      }
    }
  }
}

TEST_CASE("decode rejects: reserved packet types") {
  CHECK(contains(decode_error(bytes({0x00, 0x00}), Version::v5), "packet type 0 is reserved"));
  CHECK(contains(decode_error(bytes({0xF0, 0x00}), Version::v311), "AUTH: packet type 15 is reserved in MQTT 3.1.1"));
  CHECK(decode(bytes({0xF0, 0x00}), Version::v5).ok());
}

TEST_CASE("decode rejects: PUBLISH QoS 3 / DUP with QoS 0 / packet identifier 0") {
  for (const Version v : {Version::v5, Version::v311}) {
    Packet p = minimal(PT::PUBLISH, v);
    p.qos = 3;
    p.packet_id = 1;
    CHECK(encode_decode_error(p, v) == "PUBLISH: QoS 3 in the fixed header [MQTT-3.3.1-4]");
    p.qos = 0;
    p.dup = true;
    CHECK(encode_decode_error(p, v) == "PUBLISH: DUP set with QoS 0 [MQTT-3.3.1-2]");
    p.dup = false;
    p.qos = 1;
    p.packet_id = 0;
    const std::string rule = v == Version::v5 ? "[MQTT-2.2.1-3]" : "[MQTT-2.3.1-1]";
    CHECK(encode_decode_error(p, v) == "PUBLISH: packet identifier: must not be 0 " + rule);
  }
  for (const Version v : {Version::v5, Version::v311}) {
    for (const PT t : {PT::PUBACK, PT::PUBREC, PT::PUBREL, PT::PUBCOMP, PT::SUBSCRIBE, PT::SUBACK,
                       PT::UNSUBSCRIBE, PT::UNSUBACK}) {
      Packet p = sample(t, v);
      p.packet_id = 0;
      CAPTURE(packet_type_name(t));
      CHECK(contains(encode_decode_error(p, v), std::string(packet_type_name(t)) + ": packet identifier: must not be 0"));
    }
  }
}

TEST_CASE("decode rejects: ill-formed UTF-8 in UTF-8 string fields") {
  struct Bad {
    std::string text;
    const char* problem;
  };
  const std::vector<Bad> bad = {
      {std::string("a\0b", 3), "U+0000"},
      {"\xC3\x28", "ill-formed"},          // continuation byte missing
      {"\x80", "ill-formed"},              // lone continuation byte
      {"\xC0\xAF", "ill-formed"},          // overlong '/'
      {"\xC0\x80", "ill-formed"},          // overlong U+0000
      {"\xE0\x80\xAF", "ill-formed"},      // overlong, three bytes
      {"\xED\xA0\x80", "surrogate"},       // U+D800
      {"\xED\xBF\xBF", "surrogate"},       // U+DFFF
      {"\xF4\x90\x80\x80", "ill-formed"},  // above U+10FFFF
      {"\xF8\x88\x80\x80\x80", "ill-formed"},
      {"ab\xE2\x82", "ill-formed"},        // cut in the middle of a sequence
  };
  for (const Bad& b : bad) {
    CAPTURE(b.text);
    Packet pub = minimal(PT::PUBLISH, Version::v5);
    pub.topic = b.text;
    std::string error = encode_decode_error(pub, Version::v5);
    CHECK(contains(error, "PUBLISH: topic name: "));
    CHECK(contains(error, b.problem));
    CHECK(contains(error, contains(b.problem, "U+0000") ? "[MQTT-1.5.4-2]" : "[MQTT-1.5.4-1]"));
    error = encode_decode_error(pub, Version::v311);
    CHECK(contains(error, contains(b.problem, "U+0000") ? "[MQTT-1.5.3-2]" : "[MQTT-1.5.3-1]"));

    Packet c = minimal(PT::CONNECT, Version::v5);
    c.client_id = b.text;
    CHECK(contains(encode_decode_error(c, Version::v5), "CONNECT: client identifier: "));
    c.client_id = "ok";
    c.username = b.text;
    CHECK(contains(encode_decode_error(c, Version::v5), "CONNECT: user name: "));
    c.username.reset();
    c.will = Will{b.text, "", 0, false, {}};
    CHECK(contains(encode_decode_error(c, Version::v5), "CONNECT: will topic: "));
    c.will = Will{"w", "", 0, false, {{prop::ContentType, 0, b.text, ""}}};
    CHECK(contains(encode_decode_error(c, Version::v5), "CONNECT: will property ContentType: "));
    Packet d;
    d.type = PT::DISCONNECT;
    d.properties = {{prop::UserProperty, 0, "k", b.text}};
    CHECK(contains(encode_decode_error(d, Version::v5), "DISCONNECT: property UserProperty value: "));
    d.properties = {{prop::UserProperty, 0, b.text, "v"}};
    CHECK(contains(encode_decode_error(d, Version::v5), "DISCONNECT: property UserProperty name: "));
    Packet s = minimal(PT::SUBSCRIBE, Version::v311);
    s.subscriptions[0].filter = b.text;
    CHECK(contains(encode_decode_error(s, Version::v311), "SUBSCRIBE: topic filter: "));
    Packet u = minimal(PT::UNSUBSCRIBE, Version::v5);
    u.filters = {"ok", b.text};
    CHECK(contains(encode_decode_error(u, Version::v5), "UNSUBSCRIBE: topic filter: "));
  }
}

TEST_CASE("binary fields carry any bytes") {
  const std::string junk("\x00\xC0\xED\xA0\x80\xFF", 6);
  Packet c = minimal(PT::CONNECT, Version::v5);
  c.password = junk;
  c.will = Will{"w", junk, 0, false, {{prop::CorrelationData, 0, junk, ""}}};
  c.properties = {{prop::AuthenticationData, 0, junk, ""}};
  check_round_trip(c, Version::v5);
  Packet p = minimal(PT::PUBLISH, Version::v311);
  p.payload = junk;
  check_round_trip(p, Version::v311);
  // Non-characters and control characters are well-formed UTF-8: accepted (1.5.4 says MAY reject).
  p.topic = "\x01\x7F\xEF\xBF\xBF\xEF\xBB\xBF";
  check_round_trip(p, Version::v311);
}

TEST_CASE("decode rejects: unknown property identifiers") {
  for (const int id : {0x00, 0x04, 0x05, 0x0A, 0x14, 0x1B, 0x2B, 0x7F, 0x80}) {
    CAPTURE(id);
    Packet p = minimal(PT::PUBLISH, Version::v5);
    p.properties = {{static_cast<std::uint8_t>(id), 0, "", ""}};
    const std::string error = encode_decode_error(p, Version::v5);
    CHECK(contains(error, "PUBLISH: properties: unknown property identifier 0x"));
  }
  Packet c = minimal(PT::CONNECT, Version::v5);
  c.will = Will{"w", "", 0, false, {{0x42, 7, "", ""}}};
  CHECK(encode_decode_error(c, Version::v5) == "CONNECT: will properties: unknown property identifier 0x42");
}

TEST_CASE("decode rejects: CONNECT protocol name / level and flags") {
  Packet c = minimal(PT::CONNECT, v311);
  c.protocol_name = "MQIsdp";
  c.protocol_level = 3;
  CHECK(encode_decode_error(c, v311) == "CONNECT: protocol name: \"MQIsdp\" is not \"MQTT\" [MQTT-3.1.2-1]");
  c.protocol_name = "mqtt";
  c.protocol_level = 4;
  CHECK(contains(encode_decode_error(c, v311), "CONNECT: protocol name: "));
  c.protocol_name = "MQTT";
  for (const int level : {0, 3, 6, 255}) {
    c.protocol_level = static_cast<std::uint8_t>(level);
    CHECK(contains(encode_decode_error(c, v5), "CONNECT: protocol level: unsupported level " + std::to_string(level)));
  }
  // Byte 9 is the Connect Flags of a CONNECT whose Remaining Length takes one byte.
  const Bytes good = encode(minimal(PT::CONNECT, v5), v5);
  REQUIRE(good[9] == 0x02);
  CHECK(decode_error(with_byte(good, 9, 0x03), v5) == "CONNECT: connect flags: reserved bit 0 is set [MQTT-3.1.2-3]");
  CHECK(decode_error(with_byte(good, 9, 0x0A), v5) == "CONNECT: connect flags: will QoS 1 with will flag 0 [MQTT-3.1.2-11]");
  CHECK(decode_error(with_byte(good, 9, 0x22), v5) == "CONNECT: connect flags: will retain set with will flag 0 [MQTT-3.1.2-13]");
  const Bytes good311 = encode(minimal(PT::CONNECT, v311), v311);
  CHECK(decode_error(with_byte(good311, 9, 0x12), v311) == "CONNECT: connect flags: will QoS 2 with will flag 0 [MQTT-3.1.2-13]");
  CHECK(decode_error(with_byte(good311, 9, 0x22), v311) == "CONNECT: connect flags: will retain set with will flag 0 [MQTT-3.1.2-15]");
  Packet w = minimal(PT::CONNECT, v5);
  w.will = Will{"w", "x", 3, false, {}};
  CHECK(encode_decode_error(w, v5) == "CONNECT: connect flags: will QoS 3 [MQTT-3.1.2-12]");
  w.protocol_level = 4;
  CHECK(encode_decode_error(w, v311) == "CONNECT: connect flags: will QoS 3 [MQTT-3.1.2-14]");
  Packet pw = minimal(PT::CONNECT, v311);
  pw.password = "secret";
  CHECK(encode_decode_error(pw, v311) == "CONNECT: connect flags: password flag set with user name flag 0 [MQTT-3.1.2-22]");
  pw.protocol_level = 5;
  check_round_trip(pw, v5);  // 5.0 allows a password without a user name
  // A flag promising a field the payload does not have.
  CHECK(contains(decode_error(with_byte(good, 9, 0x82), v5), "CONNECT: user name: truncated"));
  CHECK(contains(decode_error(with_byte(good, 9, 0x06), v5), "CONNECT: will properties: property length: truncated"));
}

TEST_CASE("decode rejects: CONNACK reserved acknowledge flags") {
  CHECK(decode_error(bytes({0x20, 0x03, 0x02, 0x00, 0x00}), Version::v5) ==
        "CONNACK: acknowledge flags: reserved bits 7-1 set in 0x02 [MQTT-3.2.2-1]");
  CHECK(contains(decode_error(bytes({0x20, 0x02, 0x81, 0x00}), Version::v311), "CONNACK: acknowledge flags: reserved bits"));
}

TEST_CASE("decode rejects: SUBSCRIBE options and empty SUBSCRIBE / UNSUBSCRIBE") {
  // SUBSCRIBE id 1, no properties (5.0), filter "a", options byte last.
  const auto v5_sub = [](int options) { return bytes({0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', options}); };
  const auto v311_sub = [](int options) { return bytes({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', options}); };
  CHECK(decode_error(v5_sub(0x40), v5) == "SUBSCRIBE: subscription options: reserved bits set in 0x40 [MQTT-3.8.3-5]");
  CHECK(contains(decode_error(v5_sub(0x80), v5), "subscription options: reserved bits"));
  CHECK(decode_error(v5_sub(0x30), v5) == "SUBSCRIBE: subscription options: retain handling 3");
  CHECK(decode_error(v5_sub(0x03), v5) == "SUBSCRIBE: subscription options: maximum QoS 3");
  CHECK(decode(v5_sub(0x2E), v5).ok());
  for (const int options : {0x04, 0x08, 0x10, 0x20, 0x80}) {
    CAPTURE(options);
    CHECK(contains(decode_error(v311_sub(options), v311), "subscription options: reserved bits set"));
  }
  CHECK(contains(decode_error(v311_sub(0x04), v311), "[MQTT-3-8.3-4]"));
  CHECK(decode_error(v311_sub(0x03), v311) == "SUBSCRIBE: subscription options: maximum QoS 3 [MQTT-3-8.3-4]");

  CHECK(decode_error(bytes({0x82, 0x03, 0x00, 0x01, 0x00}), v5) == "SUBSCRIBE: no topic filters [MQTT-3.8.3-2]");
  CHECK(decode_error(bytes({0x82, 0x02, 0x00, 0x01}), v311) == "SUBSCRIBE: no topic filters [MQTT-3.8.3-3]");
  CHECK(decode_error(bytes({0xA2, 0x03, 0x00, 0x01, 0x00}), v5) == "UNSUBSCRIBE: no topic filters [MQTT-3.10.3-2]");
  CHECK(decode_error(bytes({0xA2, 0x02, 0x00, 0x01}), v311) == "UNSUBSCRIBE: no topic filters [MQTT-3.10.3-2]");
}

TEST_CASE("encode writes invalid values as given") {
  Packet p = minimal(PT::PUBLISH, v5);
  p.qos = 3;
  p.packet_id = 0;
  CHECK(encode(p, v5) == bytes({0x36, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00}));
  p.qos = 0;
  p.dup = true;
  CHECK(encode(p, v5)[0] == 0x38);
  Packet s = minimal(PT::SUBSCRIBE, v5);
  s.packet_id = 0;
  s.subscriptions = {{"a", 3, false, false, 3}};
  CHECK(encode(s, v5) == bytes({0x82, 0x07, 0x00, 0x00, 0x00, 0x00, 0x01, 'a', 0x33}));
  Packet e = minimal(PT::SUBSCRIBE, v5);
  e.subscriptions.clear();
  CHECK(encode(e, v5) == bytes({0x82, 0x03, 0x00, 0x01, 0x00}));
  // A string over 65535 bytes: the length wraps, all the bytes follow.
  Packet big = minimal(PT::PUBLISH, Version::v311);
  big.topic.assign(65536 + 2, 'a');
  const Bytes wire = encode(big, Version::v311);
  CHECK(wire.size() == 1 + 3 + 2 + big.topic.size());
  CHECK(wire[4] == 0x00);
  CHECK(wire[5] == 0x02);
  // A receiver reads a 2-byte topic and takes the rest for the payload.
  const DecodeResult d = decode(wire, Version::v311);
  REQUIRE(d.ok());
  CHECK(d.packet->topic == "aa");
  CHECK(d.packet->payload.size() == 65536);
}

TEST_CASE("decode never crashes on mutated frames / and what it accepts re-encodes stably") {
  // Every single-byte change of every sample frame: decode either fails with a reason or gives a
  // packet whose encoding decodes to the same packet.
  int accepted = 0, rejected = 0;
  for (const Version v : {Version::v5, Version::v311}) {
    for (const PT t : all_types(v)) {
      const Bytes good = encode(sample(t, v), v);
      for (std::size_t i = 0; i < good.size(); ++i) {
        for (const int mask : {0x01, 0x02, 0x04, 0x40, 0x80, 0xFF}) {
          const Bytes wire = with_byte(good, i, static_cast<std::uint8_t>(good[i] ^ mask));
          if (probe_frame(wire).status != FrameProbe::Status::Complete ||
              probe_frame(wire).frame_size != wire.size()) {
            continue;
          }
          const DecodeResult d = decode(wire, v);
          if (!d.ok()) {
            CHECK_FALSE(d.error.empty());
            ++rejected;
            continue;
          }
          ++accepted;
          const DecodeResult again = decode(encode(*d.packet, v), v);
          REQUIRE(again.ok());
          CHECK(*again.packet == *d.packet);
        }
      }
    }
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}

TEST_CASE("to_text: CONNECT") {
  Packet c = minimal(PT::CONNECT, Version::v5);
  c.client_id = "c1";
  c.keepalive_s = 60;
  c.properties = {{prop::SessionExpiryInterval, 300, "", ""}};
  c.will = Will{"t", "x", 1, false, {}};
  CHECK(to_text(c) == "CONNECT v5 client_id=\"c1\" clean_start=1 keepalive=60 props={SessionExpiryInterval=300} "
                      "will={topic=\"t\" payload=\"x\" qos=1 retain=0}");
  c.protocol_level = 4;
  c.properties.clear();
  c.clean_start = false;
  c.username = "u";
  c.password = std::string("p\0", 2);
  c.will = Will{"t", "x", 2, true, {{prop::WillDelayInterval, 5, "", ""}}};
  CHECK(to_text(c) == "CONNECT v3.1.1 client_id=\"c1\" clean_start=0 keepalive=60 username=\"u\" password=\"p\\x00\" "
                      "will={topic=\"t\" payload=\"x\" qos=2 retain=1 props={WillDelayInterval=5}}");
  c.protocol_name = "MQIsdp";
  c.protocol_level = 3;
  c.will.reset();
  CHECK(to_text(c).starts_with("CONNECT level=3 protocol_name=\"MQIsdp\" client_id="));

}

TEST_CASE("to_text: CONNACK / PUBLISH and acknowledgements") {
  Packet a;
  a.type = PT::CONNACK;
  CHECK(to_text(a) == "CONNACK session_present=0 rc=0x00");
  a.session_present = true;
  a.reason_code = 0x8C;
  a.properties = {{prop::AssignedClientIdentifier, 0, "auto-1", ""}, {prop::UserProperty, 0, "k", "v"},
                  {prop::MaximumQoS, 1, "", ""}};
  CHECK(to_text(a) == "CONNACK session_present=1 rc=0x8C props={AssignedClientIdentifier=\"auto-1\",UserProperty=(\"k\",\"v\"),MaximumQoS=1}");

  Packet p = minimal(PT::PUBLISH, Version::v5);
  p.qos = 1;
  p.packet_id = 3;
  p.topic = "a/b";
  p.payload = "22.5";
  p.properties = {{prop::MessageExpiryInterval, 10, "", ""}};
  CHECK(to_text(p) == "PUBLISH qos=1 retain=0 dup=0 id=3 topic=\"a/b\" payload=\"22.5\" props={MessageExpiryInterval=10}");
  p.qos = 0;
  p.retain = true;
  p.payload = std::string("\x00\"\\\n\xFF", 5);
  p.properties = {{prop::CorrelationData, 0, "\x01", ""}};
  CHECK(to_text(p) == "PUBLISH qos=0 retain=1 dup=0 topic=\"a/b\" payload=\"\\x00\\\"\\\\\\x0A\\xFF\" props={CorrelationData=\"\\x01\"}");

  Packet ack = minimal(PT::PUBACK, Version::v5);
  ack.packet_id = 3;
  CHECK(to_text(ack) == "PUBACK id=3 rc=0x00");
  ack.type = PT::PUBREC;
  ack.reason_code = 0x10;
  ack.properties = {{prop::ReasonString, 0, "no subscribers", ""}};
  CHECK(to_text(ack) == "PUBREC id=3 rc=0x10 props={ReasonString=\"no subscribers\"}");

}

TEST_CASE("to_text: subscriptions / pings / DISCONNECT / AUTH") {
  Packet s = minimal(PT::SUBSCRIBE, Version::v5);
  s.subscriptions = {{"a/+", 1}};
  CHECK(to_text(s) == "SUBSCRIBE id=1 [(\"a/+\" qos=1 nl=0 rap=0 rh=0)]");
  s.subscriptions.push_back({"#", 2, true, true, 2});
  s.properties = {{prop::SubscriptionIdentifier, 42, "", ""}};
  CHECK(to_text(s) == "SUBSCRIBE id=1 [(\"a/+\" qos=1 nl=0 rap=0 rh=0),(\"#\" qos=2 nl=1 rap=1 rh=2)] props={SubscriptionIdentifier=42}");

  Packet sa = minimal(PT::SUBACK, Version::v5);
  sa.reason_codes = {0x01};
  CHECK(to_text(sa) == "SUBACK id=1 rcs=[0x01]");
  Packet u = minimal(PT::UNSUBSCRIBE, Version::v5);
  u.filters = {"a/b", "c/#"};
  CHECK(to_text(u) == "UNSUBSCRIBE id=1 [\"a/b\",\"c/#\"]");
  Packet ua = minimal(PT::UNSUBACK, Version::v5);
  ua.reason_codes = {0x00, 0x11};
  CHECK(to_text(ua) == "UNSUBACK id=1 rcs=[0x00,0x11]");

  Packet ping;
  CHECK(to_text(ping) == "PINGREQ");
  ping.type = PT::PINGRESP;
  CHECK(to_text(ping) == "PINGRESP");
  Packet d;
  d.type = PT::DISCONNECT;
  d.reason_code = 0x8E;
  CHECK(to_text(d) == "DISCONNECT rc=0x8E");
  Packet au;
  au.type = PT::AUTH;
  au.reason_code = 0x18;
  au.properties = {{prop::AuthenticationMethod, 0, "SCRAM", ""}, {prop::AuthenticationData, 0, std::string("\x00\x01", 2), ""}};
  CHECK(to_text(au) == "AUTH rc=0x18 props={AuthenticationMethod=\"SCRAM\",AuthenticationData=\"\\x00\\x01\"}");
  Packet unk;
  unk.type = PT::DISCONNECT;
  unk.properties = {{0x42, 7, "", ""}};
  CHECK(to_text(unk) == "DISCONNECT rc=0x00 props={Unknown(0x42)=7}");

  // One line, whatever the bytes.
  for (const Version v : {Version::v5, Version::v311}) {
    for (const PT t : all_types(v)) {
      CHECK(to_text(sample(t, v)).find('\n') == std::string::npos);
    }
  }
}
