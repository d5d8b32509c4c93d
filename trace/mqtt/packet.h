// MQTT vocabulary: control packets of MQTT 5.0 and 3.1.1 as plain values, their wire codec and a
// stable one-line text form.
//
// This file is shared by sim/ (scripted clients encode and decode with it) and model/ (the
// checker reads decoded packets from the trace). It must never include anything from sim/,
// props/ or Mosquitto: it is written from the OASIS specifications only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mqsim::mqtt {

using Bytes = std::vector<std::uint8_t>;

// The protocol level byte of CONNECT (3.1.2.2 / 3.1.2-2).
enum class Version : std::uint8_t { v311 = 4, v5 = 5 };

enum class PacketType : std::uint8_t {
  CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7,
  SUBSCRIBE = 8, SUBACK = 9, UNSUBSCRIBE = 10, UNSUBACK = 11, PINGREQ = 12, PINGRESP = 13,
  DISCONNECT = 14, AUTH = 15,
};
const char* packet_type_name(PacketType type);

// Property identifiers (MQTT 5.0 section 2.2.2.2).
namespace prop {
constexpr std::uint8_t PayloadFormatIndicator = 0x01, MessageExpiryInterval = 0x02,
  ContentType = 0x03, ResponseTopic = 0x08, CorrelationData = 0x09,
  SubscriptionIdentifier = 0x0B, SessionExpiryInterval = 0x11, AssignedClientIdentifier = 0x12,
  ServerKeepAlive = 0x13, AuthenticationMethod = 0x15, AuthenticationData = 0x16,
  RequestProblemInformation = 0x17, WillDelayInterval = 0x18, RequestResponseInformation = 0x19,
  ResponseInformation = 0x1A, ServerReference = 0x1C, ReasonString = 0x1F, ReceiveMaximum = 0x21,
  TopicAliasMaximum = 0x22, TopicAlias = 0x23, MaximumQoS = 0x24, RetainAvailable = 0x25,
  UserProperty = 0x26, MaximumPacketSize = 0x27, WildcardSubscriptionAvailable = 0x28,
  SubscriptionIdentifierAvailable = 0x29, SharedSubscriptionAvailable = 0x2A;
}  // namespace prop

// How a property's value is carried on the wire (2.2.2.2).
enum class PropertyForm : std::uint8_t { Byte, TwoByte, FourByte, VarInt, Utf8, Binary, Utf8Pair, Unknown };
PropertyForm property_form(std::uint8_t id);
const char* property_name(std::uint8_t id);

// One property. Integer forms use `number`; Utf8 and Binary use `text` (bytes kept verbatim);
// a User Property (Utf8Pair) uses `text` as name and `value` as value.
struct Property {
  std::uint8_t id = 0;
  std::uint32_t number = 0;
  std::string text;
  std::string value;
  bool operator==(const Property&) const = default;
};
using Properties = std::vector<Property>;

// First property with `id`, if present.
const Property* find_property(const Properties& props, std::uint8_t id);

struct Subscription {
  std::string filter;
  std::uint8_t qos = 0;               // maximum QoS (0..2)
  bool no_local = false;              // v5 only
  bool retain_as_published = false;   // v5 only
  std::uint8_t retain_handling = 0;   // v5 only, 0..2
  bool operator==(const Subscription&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;                // bytes kept verbatim
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;              // v5 will properties
  bool operator==(const Will&) const = default;
};

// One control packet. A flat value: only the fields of `type` are meaningful; the rest stay at
// their defaults, so that == compares packets and the text form is stable.
struct Packet {
  PacketType type = PacketType::PINGREQ;

  // CONNECT
  std::string protocol_name = "MQTT";
  std::uint8_t protocol_level = 5;    // 4 = 3.1.1, 5 = 5.0
  bool clean_start = true;
  std::uint16_t keepalive_s = 0;
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<Will> will;

  // CONNACK
  bool session_present = false;

  // CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH: reason code (v5) or
  // return code (CONNACK 3.1.1). 0 when absent on the wire.
  std::uint8_t reason_code = 0;

  // PUBLISH
  std::string topic;
  std::string payload;                // bytes kept verbatim
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;

  // PUBLISH (qos>0), PUBACK..PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK
  std::uint16_t packet_id = 0;

  std::vector<Subscription> subscriptions;   // SUBSCRIBE
  std::vector<std::string> filters;          // UNSUBSCRIBE
  std::vector<std::uint8_t> reason_codes;    // SUBACK, UNSUBACK (v5; SUBACK return codes in 3.1.1)

  Properties properties;                     // v5 only

  bool operator==(const Packet&) const = default;
};

// Encodes `packet` for a connection that speaks `version`. CONNECT is encoded with its own
// protocol_level. Fields the version cannot carry (properties under 3.1.1) are not written.
// Values outside what the wire can carry (a packet id of 0 where one is required, qos 3, a
// string over 65535 bytes) are encoded as given: broken clients are part of the test surface.
Bytes encode(const Packet& packet, Version version);

// Result of looking at the front of a byte stream.
struct FrameProbe {
  enum class Status : std::uint8_t { NeedMore, Complete, Malformed } status = Status::NeedMore;
  std::size_t frame_size = 0;         // header + remaining length, when Complete
  std::string error;                  // why, when Malformed
};
// Is there one complete packet at the front of `stream`? (Remaining Length, 2.1.4.)
FrameProbe probe_frame(std::span<const std::uint8_t> stream);

struct DecodeResult {
  std::optional<Packet> packet;       // set on success
  std::string error;                  // on failure: what is malformed, naming the field
  bool ok() const { return packet.has_value(); }
};
// Decodes exactly one whole frame (as delimited by probe_frame) for a connection that speaks
// `version`. CONNECT is decoded by its own protocol level. Rejects malformed packets with a
// reason: reserved flag bits, bad remaining length, truncated fields, invalid UTF-8 where the
// spec requires it, unknown property ids, properties not allowed in the packet, duplicate
// properties that may appear once, trailing bytes, QoS 3, a zero packet id where one is required.
DecodeResult decode(std::span<const std::uint8_t> frame, Version version);
// The same, into `packet` (empty on failure); returns the error ("" on success). For a caller
// that keeps many packets (a trace): the decoded packet is built where it stays, never moved.
std::string decode_into(std::span<const std::uint8_t> frame, Version version, std::optional<Packet>& packet);

// Stable one-line text form, e.g.
//   PUBLISH qos=1 retain=0 dup=0 id=3 topic="a/b" payload="22.5" props={MessageExpiryInterval=10}
// Non-printable bytes are escaped as \xNN. Fields irrelevant to the type are omitted.
std::string to_text(const Packet& packet);

}  // namespace mqsim::mqtt
