// MQTT control packet codec for 5.0 and 3.1.1: encoding, frame probing, strict decoding and the
// stable text form. Written from the OASIS specifications only. Section and statement numbers
// refer to MQTT 5.0 unless marked 3.1.1; decode errors cite the numbering of the version being
// decoded because the two documents number the same rule differently.
#include "packet.h"

#include <array>
#include <cassert>
#include <string_view>

namespace mqsim::mqtt {
namespace {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;

// ---------------------------------------------------------------------------------------------
// Property table (5.0 table 2-4): identifier, name, wire form and the packets it may appear in.

constexpr u32 in(PacketType t) { return 1u << static_cast<unsigned>(t); }
// Bit 0 stands for the Will Properties of CONNECT: packet type 0 is reserved, so the bit is free.
constexpr u32 kWillSet = 1u;
constexpr u32 kPubAcks = in(PacketType::PUBACK) | in(PacketType::PUBREC) |
                         in(PacketType::PUBREL) | in(PacketType::PUBCOMP);
constexpr u32 kPropertyPackets = in(PacketType::CONNECT) | in(PacketType::CONNACK) |
    in(PacketType::PUBLISH) | kPubAcks | in(PacketType::SUBSCRIBE) | in(PacketType::SUBACK) |
    in(PacketType::UNSUBSCRIBE) | in(PacketType::UNSUBACK) | in(PacketType::DISCONNECT) |
    in(PacketType::AUTH);

struct PropertyInfo {
  u8 id;
  const char* name;
  PropertyForm form;
  u32 allowed;  // bits of in(PacketType), plus kWillSet
};

constexpr u32 kPublishOrWill = in(PacketType::PUBLISH) | kWillSet;
constexpr u32 kConnect = in(PacketType::CONNECT), kConnack = in(PacketType::CONNACK);
constexpr u32 kAuthPackets = kConnect | kConnack | in(PacketType::AUTH);

constexpr PropertyInfo kProperties[] = {
  {prop::PayloadFormatIndicator, "PayloadFormatIndicator", PropertyForm::Byte, kPublishOrWill},
  {prop::MessageExpiryInterval, "MessageExpiryInterval", PropertyForm::FourByte, kPublishOrWill},
  {prop::ContentType, "ContentType", PropertyForm::Utf8, kPublishOrWill},
  {prop::ResponseTopic, "ResponseTopic", PropertyForm::Utf8, kPublishOrWill},
  {prop::CorrelationData, "CorrelationData", PropertyForm::Binary, kPublishOrWill},
  {prop::SubscriptionIdentifier, "SubscriptionIdentifier", PropertyForm::VarInt,
   in(PacketType::PUBLISH) | in(PacketType::SUBSCRIBE)},
  {prop::SessionExpiryInterval, "SessionExpiryInterval", PropertyForm::FourByte,
   kConnect | kConnack | in(PacketType::DISCONNECT)},
  {prop::AssignedClientIdentifier, "AssignedClientIdentifier", PropertyForm::Utf8, kConnack},
  {prop::ServerKeepAlive, "ServerKeepAlive", PropertyForm::TwoByte, kConnack},
  {prop::AuthenticationMethod, "AuthenticationMethod", PropertyForm::Utf8, kAuthPackets},
  {prop::AuthenticationData, "AuthenticationData", PropertyForm::Binary, kAuthPackets},
  {prop::RequestProblemInformation, "RequestProblemInformation", PropertyForm::Byte, kConnect},
  {prop::WillDelayInterval, "WillDelayInterval", PropertyForm::FourByte, kWillSet},
  {prop::RequestResponseInformation, "RequestResponseInformation", PropertyForm::Byte, kConnect},
  {prop::ResponseInformation, "ResponseInformation", PropertyForm::Utf8, kConnack},
  {prop::ServerReference, "ServerReference", PropertyForm::Utf8,
   kConnack | in(PacketType::DISCONNECT)},
  {prop::ReasonString, "ReasonString", PropertyForm::Utf8,
   kConnack | kPubAcks | in(PacketType::SUBACK) | in(PacketType::UNSUBACK) |
   in(PacketType::DISCONNECT) | in(PacketType::AUTH)},
  {prop::ReceiveMaximum, "ReceiveMaximum", PropertyForm::TwoByte, kConnect | kConnack},
  {prop::TopicAliasMaximum, "TopicAliasMaximum", PropertyForm::TwoByte, kConnect | kConnack},
  {prop::TopicAlias, "TopicAlias", PropertyForm::TwoByte, in(PacketType::PUBLISH)},
  {prop::MaximumQoS, "MaximumQoS", PropertyForm::Byte, kConnack},
  {prop::RetainAvailable, "RetainAvailable", PropertyForm::Byte, kConnack},
  {prop::UserProperty, "UserProperty", PropertyForm::Utf8Pair, kPropertyPackets | kWillSet},
  {prop::MaximumPacketSize, "MaximumPacketSize", PropertyForm::FourByte, kConnect | kConnack},
  {prop::WildcardSubscriptionAvailable, "WildcardSubscriptionAvailable", PropertyForm::Byte,
   kConnack},
  {prop::SubscriptionIdentifierAvailable, "SubscriptionIdentifierAvailable", PropertyForm::Byte,
   kConnack},
  {prop::SharedSubscriptionAvailable, "SharedSubscriptionAvailable", PropertyForm::Byte,
   kConnack},
};
static_assert(std::size(kProperties) == 27, "table 2-4 lists 27 properties");

const PropertyInfo* property_info(u8 id) {
  for (const PropertyInfo& info : kProperties) {
    if (info.id == id) return &info;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Text helpers shared by decode errors and to_text.

constexpr char kHexDigits[] = "0123456789ABCDEF";

std::string hex_byte(u8 b) {
  std::string out = "0x";
  out += kHexDigits[b >> 4];
  out += kHexDigits[b & 0x0F];
  return out;
}

// Quoted, with \" \\ and \xNN for every byte outside printable ASCII, so that the text form of a
// packet is one line and says exactly which bytes it carried.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const u8 b = static_cast<u8>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b >= 0x20 && b <= 0x7E) {
      out += c;
    } else {
      out += "\\x";
      out += kHexDigits[b >> 4];
      out += kHexDigits[b & 0x0F];
    }
  }
  out += '"';
  return out;
}

std::string count_of(std::size_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

// ---------------------------------------------------------------------------------------------
// UTF-8 well-formedness (1.5.4, RFC 3629): no overlong forms, nothing above U+10FFFF, no
// surrogates, and (MQTT's own rule) no U+0000.

enum class Utf8Fault : u8 { None, IllFormed, Null, Surrogate };
struct Utf8Check {
  Utf8Fault fault = Utf8Fault::None;
  std::size_t offset = 0;
};

Utf8Check check_utf8(std::string_view s) {
  constexpr u32 kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // by sequence length: no overlongs
  std::size_t i = 0;
  while (i < s.size()) {
    const u8 lead = static_cast<u8>(s[i]);
    if (lead == 0) return {Utf8Fault::Null, i};
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    u32 cp = 0;
    if ((lead & 0xE0) == 0xC0) { len = 2; cp = lead & 0x1F; }
    else if ((lead & 0xF0) == 0xE0) { len = 3; cp = lead & 0x0F; }
    else if ((lead & 0xF8) == 0xF0) { len = 4; cp = lead & 0x07; }
    else return {Utf8Fault::IllFormed, i};
    if (s.size() - i < len) return {Utf8Fault::IllFormed, i};
    for (std::size_t k = 1; k < len; ++k) {
      const u8 next = static_cast<u8>(s[i + k]);
      if ((next & 0xC0) != 0x80) return {Utf8Fault::IllFormed, i};
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < kSmallest[len] || cp > 0x10FFFF) return {Utf8Fault::IllFormed, i};
    if (cp >= 0xD800 && cp <= 0xDFFF) return {Utf8Fault::Surrogate, i};
    i += len;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Variable Byte Integer (1.5.5): at most four bytes, seven bits each, least significant first.

constexpr u32 kVarIntMax = 268'435'455;
enum class VarIntRead : u8 { Ok, NeedMore, TooLong };

VarIntRead read_varint(std::span<const u8> bytes, std::size_t& used, u32& value) {
  value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= bytes.size()) return VarIntRead::NeedMore;
    value |= static_cast<u32>(bytes[i] & 0x7F) << (7 * i);
    if ((bytes[i] & 0x80) == 0) {
      used = i + 1;
      return VarIntRead::Ok;
    }
  }
  return VarIntRead::TooLong;  // the fourth byte still had its continuation bit set
}

// ---------------------------------------------------------------------------------------------
// Writer: appends wire forms. It never refuses a value (encode writes what it is given).

class Writer {
 public:
  void byte(u8 b) { out_.push_back(b); }
  void two(u16 v) {
    byte(static_cast<u8>(v >> 8));
    byte(static_cast<u8>(v & 0xFF));
  }
  void four(u32 v) {
    two(static_cast<u16>(v >> 16));
    two(static_cast<u16>(v & 0xFFFF));
  }
  // Values above the four-byte maximum cannot be carried; their low 28 bits are written.
  void varint(u32 v) {
    v &= kVarIntMax;
    for (int i = 0; i < 4; ++i) {
      const u8 low = static_cast<u8>(v & 0x7F);
      v >>= 7;
      byte(v > 0 ? static_cast<u8>(low | 0x80) : low);
      if (v == 0) return;
    }
  }
  // Two-byte length then the bytes: UTF-8 strings and binary data alike. A string over 65535
  // bytes gets a wrapped length followed by all its bytes, as a broken client would send it.
  void prefixed(std::string_view s) {
    two(static_cast<u16>(s.size() & 0xFFFF));
    raw(s);
  }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void append(const Bytes& b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::size_t size() const { return out_.size(); }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

void write_property(Writer& w, const Property& p) {
  w.byte(p.id);
  switch (property_form(p.id)) {
    case PropertyForm::Byte: w.byte(static_cast<u8>(p.number)); break;
    case PropertyForm::TwoByte: w.two(static_cast<u16>(p.number)); break;
    case PropertyForm::FourByte: w.four(p.number); break;
    case PropertyForm::VarInt: w.varint(p.number); break;
    case PropertyForm::Utf8:
    case PropertyForm::Binary: w.prefixed(p.text); break;
    case PropertyForm::Utf8Pair:
      w.prefixed(p.text);
      w.prefixed(p.value);
      break;
    // An unknown identifier has no defined value; one byte is written so that tests can put an
    // unknown property on the wire.
    case PropertyForm::Unknown: w.byte(static_cast<u8>(p.number)); break;
  }
}

// Property Length then the properties, in the order given (2.2.2).
void write_properties(Writer& w, const Properties& props) {
  Writer block;
  for (const Property& p : props) write_property(block, p);
  w.varint(static_cast<u32>(block.size()));
  w.append(block.take());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names and property lookups.

const char* packet_type_name(PacketType type) {
  switch (type) {
    case PacketType::CONNECT: return "CONNECT";
    case PacketType::CONNACK: return "CONNACK";
    case PacketType::PUBLISH: return "PUBLISH";
    case PacketType::PUBACK: return "PUBACK";
    case PacketType::PUBREC: return "PUBREC";
    case PacketType::PUBREL: return "PUBREL";
    case PacketType::PUBCOMP: return "PUBCOMP";
    case PacketType::SUBSCRIBE: return "SUBSCRIBE";
    case PacketType::SUBACK: return "SUBACK";
    case PacketType::UNSUBSCRIBE: return "UNSUBSCRIBE";
    case PacketType::UNSUBACK: return "UNSUBACK";
    case PacketType::PINGREQ: return "PINGREQ";
    case PacketType::PINGRESP: return "PINGRESP";
    case PacketType::DISCONNECT: return "DISCONNECT";
    case PacketType::AUTH: return "AUTH";
  }
  return "RESERVED";  // type 0, or a value cast from a nibble that is not a packet type
}

PropertyForm property_form(std::uint8_t id) {
  const PropertyInfo* info = property_info(id);
  return info ? info->form : PropertyForm::Unknown;
}

const char* property_name(std::uint8_t id) {
  const PropertyInfo* info = property_info(id);
  return info ? info->name : "Unknown";
}

const Property* find_property(const Properties& props, std::uint8_t id) {
  for (const Property& p : props) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Encoding, one function per packet layout (chapter 3).

namespace {

// The fixed-header flags of every type but PUBLISH are reserved with these values (table 2-2).
u8 reserved_flags(PacketType type) {
  const bool is_0010 = type == PacketType::PUBREL || type == PacketType::SUBSCRIBE ||
                       type == PacketType::UNSUBSCRIBE;
  return is_0010 ? 0x02 : 0x00;
}

u8 fixed_flags(const Packet& p) {
  if (p.type != PacketType::PUBLISH) return reserved_flags(p.type);
  return static_cast<u8>((p.dup ? 0x08 : 0) | ((p.qos & 0x03) << 1) | (p.retain ? 0x01 : 0));
}

void encode_connect(Writer& w, const Packet& p) {
  const bool v5 = p.protocol_level == static_cast<u8>(Version::v5);
  u8 flags = p.clean_start ? 0x02 : 0x00;
  if (p.will) {
    flags |= static_cast<u8>(0x04 | ((p.will->qos & 0x03) << 3) | (p.will->retain ? 0x20 : 0));
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  w.prefixed(p.protocol_name);
  w.byte(p.protocol_level);
  w.byte(flags);
  w.two(p.keepalive_s);
  if (v5) write_properties(w, p.properties);
  w.prefixed(p.client_id);
  if (p.will) {
    if (v5) write_properties(w, p.will->properties);
    w.prefixed(p.will->topic);
    w.prefixed(p.will->payload);
  }
  if (p.username) w.prefixed(*p.username);
  if (p.password) w.prefixed(*p.password);
}

// PUBACK, PUBREC, PUBREL, PUBCOMP (3.4-3.7): the reason code and properties may be left off
// when the reason is 0 and there are no properties; the property length may be left off when
// there are no properties.
void encode_pub_ack(Writer& w, const Packet& p, bool v5) {
  w.two(p.packet_id);
  if (!v5 || (p.reason_code == 0 && p.properties.empty())) return;
  w.byte(p.reason_code);
  if (!p.properties.empty()) write_properties(w, p.properties);
}

// DISCONNECT and AUTH (3.14, 3.15): same shortening, down to a Remaining Length of 0.
void encode_reason_only(Writer& w, const Packet& p, bool v5) {
  if (!v5 || (p.reason_code == 0 && p.properties.empty())) return;
  w.byte(p.reason_code);
  if (!p.properties.empty()) write_properties(w, p.properties);
}

void encode_subscribe(Writer& w, const Packet& p, bool v5) {
  w.two(p.packet_id);
  if (v5) write_properties(w, p.properties);
  for (const Subscription& s : p.subscriptions) {
    w.prefixed(s.filter);
    u8 options = static_cast<u8>(s.qos & 0x03);
    // No Local, Retain As Published and Retain Handling are reserved bits under 3.1.1.
    if (v5) {
      options |= static_cast<u8>((s.no_local ? 0x04 : 0) | (s.retain_as_published ? 0x08 : 0) |
                                 ((s.retain_handling & 0x03) << 4));
    }
    w.byte(options);
  }
}

void encode_body(Writer& w, const Packet& p, bool v5) {
  switch (p.type) {
    case PacketType::CONNECT: encode_connect(w, p); break;
    case PacketType::CONNACK:
      w.byte(p.session_present ? 0x01 : 0x00);
      w.byte(p.reason_code);
      if (v5) write_properties(w, p.properties);
      break;
    case PacketType::PUBLISH:
      w.prefixed(p.topic);
      if (p.qos != 0) w.two(p.packet_id);  // qos 3 too: it is written as given
      if (v5) write_properties(w, p.properties);
      w.raw(p.payload);
      break;
    case PacketType::PUBACK:
    case PacketType::PUBREC:
    case PacketType::PUBREL:
    case PacketType::PUBCOMP: encode_pub_ack(w, p, v5); break;
    case PacketType::SUBSCRIBE: encode_subscribe(w, p, v5); break;
    case PacketType::SUBACK:
    case PacketType::UNSUBACK:
      w.two(p.packet_id);
      if (v5) write_properties(w, p.properties);
      // 3.1.1 SUBACK carries return codes; 3.1.1 UNSUBACK has no payload.
      if (v5 || p.type == PacketType::SUBACK) {
        for (const u8 rc : p.reason_codes) w.byte(rc);
      }
      break;
    case PacketType::UNSUBSCRIBE:
      w.two(p.packet_id);
      if (v5) write_properties(w, p.properties);
      for (const std::string& f : p.filters) w.prefixed(f);
      break;
    case PacketType::PINGREQ:
    case PacketType::PINGRESP: break;
    case PacketType::DISCONNECT:
    case PacketType::AUTH: encode_reason_only(w, p, v5); break;
  }
}

}  // namespace

Bytes encode(const Packet& packet, Version version) {
  Writer body;
  encode_body(body, packet, version == Version::v5);
  Writer frame;
  frame.byte(static_cast<u8>((static_cast<u8>(packet.type) << 4) | fixed_flags(packet)));
  frame.varint(static_cast<u32>(body.size()));
  frame.append(body.take());
  return frame.take();
}

// ---------------------------------------------------------------------------------------------
// Framing.

namespace {

struct FixedHeader {
  FrameProbe probe;
  std::size_t header_bytes = 0;
  u32 remaining = 0;
};

FixedHeader parse_fixed_header(std::span<const u8> stream) {
  FixedHeader h;
  if (stream.empty()) return h;
  std::size_t used = 0;
  switch (read_varint(stream.subspan(1), used, h.remaining)) {
    case VarIntRead::NeedMore: return h;
    case VarIntRead::TooLong:
      h.probe.status = FrameProbe::Status::Malformed;
      h.probe.error = "remaining length: variable byte integer longer than 4 bytes";
      return h;
    case VarIntRead::Ok: break;
  }
  h.header_bytes = 1 + used;
  const std::size_t total = h.header_bytes + h.remaining;
  if (stream.size() < total) return h;
  h.probe.status = FrameProbe::Status::Complete;
  h.probe.frame_size = total;
  return h;
}

}  // namespace

FrameProbe probe_frame(std::span<const std::uint8_t> stream) {
  return parse_fixed_header(stream).probe;
}

// ---------------------------------------------------------------------------------------------
// Decoding.

namespace {

// The name of a field in an error text, in up to three pieces that are joined only when a text is
// made: decoding a well-formed packet (the common case) builds no error strings.
struct Field {
  Field(const char* a) : a(a) {}                      // NOLINT: implicit, as a plain name
  Field(const std::string& a) : a(a) {}               // NOLINT
  Field(std::string_view a) : a(a) {}                 // NOLINT
  Field(std::string_view a, std::string_view b, std::string_view c = {}) : a(a), b(b), c(c) {}
  std::string text() const { return std::string(a).append(b).append(c); }
  std::string_view a, b, c;
};

// A cursor over the bytes of one packet (or of one property block) that records the first
// failure as "<PACKET>: <field>: <what>".
class Reader {
 public:
  Reader(std::span<const u8> data, const char* packet, bool v5)
      : data_(data), packet_(packet), v5_(v5) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t left() const { return data_.size() - pos_; }
  const char* packet() const { return packet_; }
  bool v5() const { return v5_; }
  void set_v5(bool v5) { v5_ = v5; }
  // The statement reference in the numbering of the version being decoded.
  const char* cite(const char* v5_ref, const char* v311_ref) const { return v5_ ? v5_ref : v311_ref; }

  // Only the first failure is kept: anything after it is a consequence.
  bool fail(const Field& field, std::string_view what) {
    if (ok()) error_ = std::string(packet_) + ": " + field.text() + ": " + std::string(what);
    return false;
  }
  bool fail_packet(std::string_view what) {
    if (ok()) error_ = std::string(packet_) + ": " + std::string(what);
    return false;
  }

  bool byte(const Field& field, u8& out) {
    if (!need(field, 1, "byte")) return false;
    out = data_[pos_++];
    return true;
  }
  bool two(const Field& field, u16& out) {
    if (!need(field, 2, "two-byte integer")) return false;
    out = static_cast<u16>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool four(const Field& field, u32& out) {
    if (!need(field, 4, "four-byte integer")) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) out = (out << 8) | data_[pos_++];
    return true;
  }
  bool varint(const Field& field, u32& out) {
    std::size_t used = 0;
    switch (read_varint(data_.subspan(pos_), used, out)) {
      case VarIntRead::Ok: pos_ += used; return true;
      case VarIntRead::NeedMore: return fail(field, "truncated variable byte integer");
      case VarIntRead::TooLong: return fail(field, "variable byte integer longer than 4 bytes");
    }
    return false;
  }
  bool binary(const Field& field, std::string& out) { return prefixed(field, "binary data", out); }
  bool utf8(const Field& field, std::string& out);
  void rest(std::string& out) {
    out.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_), data_.end());
    pos_ = data_.size();
  }

  // Splits off the next n bytes as a reader of their own (a property block).
  Reader take(std::size_t n) {
    assert(n <= left());
    Reader sub(data_.subspan(pos_, n), packet_, v5_);
    pos_ += n;
    return sub;
  }
  bool absorb(const Reader& sub) {
    if (!sub.ok() && ok()) error_ = sub.error_;
    return ok();
  }

 private:
  bool need(const Field& field, std::size_t n, std::string_view kind, std::string_view kind_suffix = {}) {
    if (left() >= n) return true;
    return fail(field, "truncated " + std::string(kind) + std::string(kind_suffix) + " (need " + count_of(n, "byte") +
                           ", have " + std::to_string(left()) + ")");
  }
  bool prefixed(const Field& field, std::string_view kind, std::string& out) {
    u16 n = 0;
    if (!need(field, 2, kind, " length")) return false;
    n = static_cast<u16>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    if (!need(field, n, kind)) return false;
    out.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
               data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return true;
  }

  std::span<const u8> data_;
  std::size_t pos_ = 0;
  const char* packet_;
  bool v5_;
  std::string error_;
};

bool Reader::utf8(const Field& field, std::string& out) {
  if (!prefixed(field, "UTF-8 string", out)) return false;
  const Utf8Check check = check_utf8(out);
  if (check.fault == Utf8Fault::None) return true;
  const std::string at = " at offset " + std::to_string(check.offset) + " ";
  switch (check.fault) {
    case Utf8Fault::None: return true;
    case Utf8Fault::IllFormed:
      return fail(field, "ill-formed UTF-8" + at + cite("[MQTT-1.5.4-1]", "[MQTT-1.5.3-1]"));
    case Utf8Fault::Surrogate:
      return fail(field, "UTF-8 encoded surrogate" + at + cite("[MQTT-1.5.4-1]", "[MQTT-1.5.3-1]"));
    case Utf8Fault::Null:
      return fail(field, "U+0000 in UTF-8 string" + at + cite("[MQTT-1.5.4-2]", "[MQTT-1.5.3-2]"));
  }
  return false;
}

// A property may appear once, except User Property anywhere and Subscription Identifier in
// PUBLISH (one per matching subscription, 3.3.2.3.8).
bool may_repeat(u8 id, u32 where) {
  return id == prop::UserProperty ||
         (id == prop::SubscriptionIdentifier && where == in(PacketType::PUBLISH));
}

bool read_property_value(Reader& r, const PropertyInfo& info, u32 where, Property& p) {
  const Field field(where == kWillSet ? "will property " : "property ", info.name);
  switch (info.form) {
    case PropertyForm::Byte: {
      u8 b = 0;
      if (!r.byte(field, b)) return false;
      p.number = b;
      return true;
    }
    case PropertyForm::TwoByte: {
      u16 v = 0;
      if (!r.two(field, v)) return false;
      p.number = v;
      return true;
    }
    case PropertyForm::FourByte: return r.four(field, p.number);
    case PropertyForm::VarInt: return r.varint(field, p.number);
    case PropertyForm::Utf8: return r.utf8(field, p.text);
    case PropertyForm::Binary: return r.binary(field, p.text);
    case PropertyForm::Utf8Pair:
      return r.utf8(Field(field.a, field.b, " name"), p.text) && r.utf8(Field(field.a, field.b, " value"), p.value);
    case PropertyForm::Unknown: break;
  }
  assert(false && "the property table has no Unknown forms");
  return false;
}

// Reads one property from a property block; `seen` tracks identifiers for the at-most-once rule.
bool read_property(Reader& r, std::string_view field, u32 where, std::array<bool, 256>& seen,
                   Properties& out) {
  // The identifier is a Variable Byte Integer, but every defined one fits in one byte: a first
  // byte with its top bit set can only begin an unknown identifier.
  u8 id = 0;
  if (!r.byte(Field(field, ": property identifier"), id)) return false;
  const PropertyInfo* info = property_info(id);
  if (!info) return r.fail(field, "unknown property identifier " + hex_byte(id));
  const auto name = [&]() { return std::string(info->name) + " (" + hex_byte(id) + ")"; };
  if ((info->allowed & where) == 0) {
    const std::string place = where == kWillSet ? std::string("will properties") : r.packet();
    return r.fail(field, name() + " is not allowed in " + place);
  }
  if (seen[id] && !may_repeat(id, where)) return r.fail(field, name() + " appears more than once");
  seen[id] = true;
  Property p;
  p.id = id;
  if (!read_property_value(r, *info, where, p)) return false;
  out.push_back(std::move(p));
  return true;
}

// Property Length, then properties up to exactly that length (2.2.2). `where` is in(type) or
// kWillSet, checked against table 2-4.
bool read_properties(Reader& r, std::string_view field, u32 where, Properties& out) {
  u32 length = 0;
  if (!r.varint(Field(field, ": property length"), length)) return false;
  if (length > r.left()) {
    return r.fail(field, "property length " + std::to_string(length) + " exceeds the " +
                             count_of(r.left(), "byte") + " left");
  }
  Reader block = r.take(length);
  std::array<bool, 256> seen{};
  while (block.left() > 0) {
    const std::size_t before = block.left();
    if (!read_property(block, field, where, seen, out)) return r.absorb(block);
    assert(block.left() < before && "every property consumes at least its identifier");
  }
  return true;
}

bool read_packet_id(Reader& r, Packet& p, const char* zero_rule) {
  if (!r.two("packet identifier", p.packet_id)) return false;
  if (p.packet_id == 0) return r.fail("packet identifier", std::string("must not be 0") + zero_rule);
  return true;
}

// The zero-identifier rule is stated for SUBSCRIBE, UNSUBSCRIBE and PUBLISH, whose decoders cite
// it. The acknowledgements repeat the identifier of what they acknowledge, so 0 is never valid
// there either; they reject it without a citation of their own.
const char* zero_id_rule(const Reader& r) { return r.cite(" [MQTT-2.2.1-3]", " [MQTT-2.3.1-1]"); }

struct ConnectFlags {
  bool username = false, password = false, will_retain = false, will = false, clean = false;
  u8 will_qos = 0;
};

bool decode_connect_flags(Reader& r, u8 bits, ConnectFlags& f) {
  const char* field = "connect flags";
  if (bits & 0x01) return r.fail(field, "reserved bit 0 is set [MQTT-3.1.2-3]");
  f.clean = bits & 0x02;
  f.will = bits & 0x04;
  f.will_qos = static_cast<u8>((bits >> 3) & 0x03);
  f.will_retain = bits & 0x20;
  f.password = bits & 0x40;
  f.username = bits & 0x80;
  if (!f.will && f.will_qos != 0) {
    return r.fail(field, "will QoS " + std::to_string(f.will_qos) + " with will flag 0 " +
                             r.cite("[MQTT-3.1.2-11]", "[MQTT-3.1.2-13]"));
  }
  if (!f.will && f.will_retain) {
    return r.fail(field, std::string("will retain set with will flag 0 ") +
                             r.cite("[MQTT-3.1.2-13]", "[MQTT-3.1.2-15]"));
  }
  if (f.will_qos == 3) {
    return r.fail(field, std::string("will QoS 3 ") + r.cite("[MQTT-3.1.2-12]", "[MQTT-3.1.2-14]"));
  }
  // 5.0 allows a password without a user name; 3.1.1 does not.
  if (!r.v5() && f.password && !f.username) {
    return r.fail(field, "password flag set with user name flag 0 [MQTT-3.1.2-22]");
  }
  return true;
}

bool decode_connect_payload(Reader& r, const ConnectFlags& f, Packet& p) {
  if (!r.utf8("client identifier", p.client_id)) return false;
  if (f.will) {
    Will will;
    will.qos = f.will_qos;
    will.retain = f.will_retain;
    if (r.v5() && !read_properties(r, "will properties", kWillSet, will.properties)) return false;
    if (!r.utf8("will topic", will.topic) || !r.binary("will payload", will.payload)) return false;
    p.will = std::move(will);
  }
  if (f.username) {
    std::string name;
    if (!r.utf8("user name", name)) return false;
    p.username = std::move(name);
  }
  if (f.password) {
    std::string password;
    if (!r.binary("password", password)) return false;
    p.password = std::move(password);
  }
  return true;
}

// CONNECT (3.1) is decoded by its own protocol level, whatever the connection speaks.
bool decode_connect(Reader& r, Packet& p) {
  if (!r.utf8("protocol name", p.protocol_name)) return false;
  if (p.protocol_name != "MQTT") {
    return r.fail("protocol name", quote(p.protocol_name) + " is not \"MQTT\" [MQTT-3.1.2-1]");
  }
  if (!r.byte("protocol level", p.protocol_level)) return false;
  if (p.protocol_level != 4 && p.protocol_level != 5) {
    return r.fail("protocol level", "unsupported level " + std::to_string(p.protocol_level) +
                                        " (4 is 3.1.1, 5 is 5.0) [MQTT-3.1.2-2]");
  }
  r.set_v5(p.protocol_level == 5);
  u8 bits = 0;
  ConnectFlags flags;
  if (!r.byte("connect flags", bits) || !decode_connect_flags(r, bits, flags)) return false;
  p.clean_start = flags.clean;
  if (!r.two("keep alive", p.keepalive_s)) return false;
  if (r.v5() && !read_properties(r, "properties", kConnect, p.properties)) return false;
  return decode_connect_payload(r, flags, p);
}

bool decode_connack(Reader& r, Packet& p) {
  u8 ack_flags = 0;
  if (!r.byte("acknowledge flags", ack_flags)) return false;
  if (ack_flags & 0xFE) {
    return r.fail("acknowledge flags", "reserved bits 7-1 set in " + hex_byte(ack_flags) +
                                           r.cite(" [MQTT-3.2.2-1]", ""));
  }
  p.session_present = ack_flags & 0x01;
  if (!r.byte(r.v5() ? "reason code" : "return code", p.reason_code)) return false;
  return !r.v5() || read_properties(r, "properties", kConnack, p.properties);
}

bool decode_publish(Reader& r, Packet& p, u8 flags) {
  p.dup = flags & 0x08;
  p.qos = static_cast<u8>((flags >> 1) & 0x03);
  p.retain = flags & 0x01;
  if (p.qos == 3) return r.fail_packet("QoS 3 in the fixed header [MQTT-3.3.1-4]");
  if (p.dup && p.qos == 0) return r.fail_packet("DUP set with QoS 0 [MQTT-3.3.1-2]");
  if (!r.utf8("topic name", p.topic)) return false;
  if (p.qos > 0 && !read_packet_id(r, p, zero_id_rule(r))) return false;
  if (r.v5() && !read_properties(r, "properties", in(PacketType::PUBLISH), p.properties)) {
    return false;
  }
  r.rest(p.payload);  // the payload is everything left, possibly nothing (3.3.3)
  return true;
}

// PUBACK, PUBREC, PUBREL, PUBCOMP. Under 5.0 the Remaining Length may be 2 (success, no
// properties), 3 (reason code, no properties) or more (reason code and properties).
bool decode_pub_ack(Reader& r, Packet& p) {
  if (!read_packet_id(r, p, "")) return false;
  if (!r.v5() || r.left() == 0) return true;
  if (!r.byte("reason code", p.reason_code)) return false;
  if (r.left() == 0) return true;
  return read_properties(r, "properties", in(p.type), p.properties);
}

// DISCONNECT and AUTH: under 5.0 the Remaining Length may be 0, 1 or more, as above.
bool decode_reason_only(Reader& r, Packet& p) {
  if (!r.v5() || r.left() == 0) return true;
  if (!r.byte("reason code", p.reason_code)) return false;
  if (r.left() == 0) return true;
  return read_properties(r, "properties", in(p.type), p.properties);
}

bool check_subscription_options(Reader& r, u8 options) {
  const char* field = "subscription options";
  const u8 reserved = r.v5() ? 0xC0 : 0xFC;  // bits 7-6 under 5.0, bits 7-2 under 3.1.1
  if (options & reserved) {
    return r.fail(field, "reserved bits set in " + hex_byte(options) +
                             r.cite(" [MQTT-3.8.3-5]", " [MQTT-3-8.3-4]"));
  }
  // 3.1.1 names QoS 3 in the same statement as the reserved bits; 5.0 calls it a Protocol Error.
  if ((options & 0x03) == 3) {
    return r.fail(field, std::string("maximum QoS 3") + r.cite("", " [MQTT-3-8.3-4]"));
  }
  if (((options >> 4) & 0x03) == 3) return r.fail(field, "retain handling 3");
  return true;
}

bool decode_subscribe(Reader& r, Packet& p) {
  if (!read_packet_id(r, p, zero_id_rule(r))) return false;
  if (r.v5() && !read_properties(r, "properties", in(PacketType::SUBSCRIBE), p.properties)) {
    return false;
  }
  while (r.left() > 0) {
    const std::size_t before = r.left();
    Subscription s;
    u8 options = 0;
    if (!r.utf8("topic filter", s.filter) || !r.byte("subscription options", options)) return false;
    if (!check_subscription_options(r, options)) return false;
    s.qos = options & 0x03;
    if (r.v5()) {
      s.no_local = options & 0x04;
      s.retain_as_published = options & 0x08;
      s.retain_handling = static_cast<u8>((options >> 4) & 0x03);
    }
    p.subscriptions.push_back(std::move(s));
    assert(r.left() < before && "each subscription consumes at least three bytes");
  }
  if (p.subscriptions.empty()) {
    return r.fail_packet(std::string("no topic filters ") + r.cite("[MQTT-3.8.3-2]", "[MQTT-3.8.3-3]"));
  }
  return true;
}

bool decode_unsubscribe(Reader& r, Packet& p) {
  if (!read_packet_id(r, p, zero_id_rule(r))) return false;
  if (r.v5() && !read_properties(r, "properties", in(PacketType::UNSUBSCRIBE), p.properties)) {
    return false;
  }
  while (r.left() > 0) {
    const std::size_t before = r.left();
    std::string filter;
    if (!r.utf8("topic filter", filter)) return false;
    p.filters.push_back(std::move(filter));
    assert(r.left() < before && "each filter consumes at least its length");
  }
  if (p.filters.empty()) return r.fail_packet("no topic filters [MQTT-3.10.3-2]");
  return true;
}

// SUBACK (both versions) and UNSUBACK (5.0 only) end with one code per requested filter. An
// empty list is accepted here: matching the count to the request is the checker's business.
bool decode_ack_list(Reader& r, Packet& p) {
  if (!read_packet_id(r, p, "")) return false;
  if (r.v5() && !read_properties(r, "properties", in(p.type), p.properties)) return false;
  if (!r.v5() && p.type == PacketType::UNSUBACK) return true;  // 3.1.1: no payload
  std::string codes;
  r.rest(codes);
  p.reason_codes.assign(codes.begin(), codes.end());
  return true;
}

bool decode_body(Reader& r, Packet& p, u8 flags) {
  switch (p.type) {
    case PacketType::CONNECT: return decode_connect(r, p);
    case PacketType::CONNACK: return decode_connack(r, p);
    case PacketType::PUBLISH: return decode_publish(r, p, flags);
    case PacketType::PUBACK:
    case PacketType::PUBREC:
    case PacketType::PUBREL:
    case PacketType::PUBCOMP: return decode_pub_ack(r, p);
    case PacketType::SUBSCRIBE: return decode_subscribe(r, p);
    case PacketType::SUBACK:
    case PacketType::UNSUBACK: return decode_ack_list(r, p);
    case PacketType::UNSUBSCRIBE: return decode_unsubscribe(r, p);
    case PacketType::PINGREQ:
    case PacketType::PINGRESP: return true;
    case PacketType::DISCONNECT:
    case PacketType::AUTH: return decode_reason_only(r, p);
  }
  assert(false && "decode checks the type before the body");
  return false;
}

// Type and fixed-header flags (2.1.2, 2.1.3). Empty when they are acceptable.
std::string check_type_and_flags(u8 type, u8 flags, bool v5) {
  if (type == 0) return "RESERVED: packet type 0 is reserved";
  if (type == 15 && !v5) return "AUTH: packet type 15 is reserved in MQTT 3.1.1";
  const auto t = static_cast<PacketType>(type);
  if (t == PacketType::PUBLISH) return {};  // its flags are DUP, QoS and RETAIN
  const u8 expected = reserved_flags(t);
  if (flags == expected) return {};
  return std::string(packet_type_name(t)) + ": fixed header flags " + hex_byte(flags) +
         ", must be " + hex_byte(expected) + (v5 ? " [MQTT-2.1.3-1]" : " [MQTT-2.2.2-1]");
}

}  // namespace

std::string decode_into(std::span<const std::uint8_t> frame, Version version, std::optional<Packet>& packet) {
  packet.reset();
  const FixedHeader header = parse_fixed_header(frame);
  switch (header.probe.status) {
    case FrameProbe::Status::Malformed: return header.probe.error;
    case FrameProbe::Status::NeedMore:
      return "frame: incomplete packet (have " + count_of(frame.size(), "byte") + ")";
    case FrameProbe::Status::Complete: break;
  }
  if (header.probe.frame_size != frame.size()) {
    return "frame: " + count_of(frame.size() - header.probe.frame_size, "byte") + " after the end of the packet";
  }
  const bool v5 = version == Version::v5;
  const u8 type = frame[0] >> 4, flags = frame[0] & 0x0F;
  if (std::string bad = check_type_and_flags(type, flags, v5); !bad.empty()) return bad;

  Packet& p = packet.emplace();
  p.type = static_cast<PacketType>(type);
  Reader r(frame.subspan(header.header_bytes), packet_type_name(p.type), v5);
  if (decode_body(r, p, flags) && r.left() > 0) {
    r.fail_packet(count_of(r.left(), "trailing byte") + " after the last field");
  }
  if (r.ok()) return {};
  packet.reset();
  return r.error();
}

DecodeResult decode(std::span<const std::uint8_t> frame, Version version) {
  DecodeResult result;
  result.error = decode_into(frame, version, result.packet);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Text form. One line; each type has a fixed field order with its properties last; fields
// other types use are never shown:
//   CONNECT <v5|v3.1.1|level=N> [protocol_name="X"] client_id="…" clean_start=B keepalive=N
//           [username="…"] [password="…"] [props={…}] [will={topic="…" payload="…" qos=N
//           retain=B [props={…}]}]
//   CONNACK session_present=B rc=0xNN [props={…}]
//   PUBLISH qos=N retain=B dup=B [id=N (qos>0)] topic="…" payload="…" [props={…}]
//   PUBACK|PUBREC|PUBREL|PUBCOMP id=N rc=0xNN [props={…}]
//   SUBSCRIBE id=N [("filter" qos=N nl=B rap=B rh=N),…] [props={…}]
//   SUBACK|UNSUBACK id=N rcs=[0xNN,…] [props={…}]
//   UNSUBSCRIBE id=N ["filter",…] [props={…}]
//   PINGREQ | PINGRESP
//   DISCONNECT|AUTH rc=0xNN [props={…}]
// B is 0 or 1. Strings are quoted with \" \\ and \xNN (upper-case hex) for bytes outside
// printable ASCII. props={Name=value,…} in wire order: integers in decimal, strings quoted, a
// User Property as UserProperty=("name","value"), an unknown identifier as Unknown(0xNN)=N;
// props= is left out when there are none. rc= and rcs= are shown whatever the version: a packet
// decoded from 3.1.1 shows the 0 (or empty list) that stands for "absent on the wire".

namespace {

std::string flag(bool b) { return b ? "1" : "0"; }

std::string property_text(const Property& p) {
  switch (property_form(p.id)) {
    case PropertyForm::Byte:
    case PropertyForm::TwoByte:
    case PropertyForm::FourByte:
    case PropertyForm::VarInt: return std::string(property_name(p.id)) + "=" + std::to_string(p.number);
    case PropertyForm::Utf8:
    case PropertyForm::Binary: return std::string(property_name(p.id)) + "=" + quote(p.text);
    case PropertyForm::Utf8Pair: return "UserProperty=(" + quote(p.text) + "," + quote(p.value) + ")";
    case PropertyForm::Unknown: break;
  }
  return "Unknown(" + hex_byte(p.id) + ")=" + std::to_string(p.number);
}

std::string props_text(const Properties& props) {
  if (props.empty()) return {};
  std::string out = " props={";
  for (std::size_t i = 0; i < props.size(); ++i) {
    if (i > 0) out += ',';
    out += property_text(props[i]);
  }
  return out + "}";
}

std::string connect_text(const Packet& p) {
  std::string out = "CONNECT ";
  if (p.protocol_level == 5) out += "v5";
  else if (p.protocol_level == 4) out += "v3.1.1";
  else out += "level=" + std::to_string(p.protocol_level);
  if (p.protocol_name != "MQTT") out += " protocol_name=" + quote(p.protocol_name);
  out += " client_id=" + quote(p.client_id) + " clean_start=" + flag(p.clean_start) +
         " keepalive=" + std::to_string(p.keepalive_s);
  if (p.username) out += " username=" + quote(*p.username);
  if (p.password) out += " password=" + quote(*p.password);
  out += props_text(p.properties);
  if (p.will) {
    out += " will={topic=" + quote(p.will->topic) + " payload=" + quote(p.will->payload) +
           " qos=" + std::to_string(p.will->qos) + " retain=" + flag(p.will->retain) +
           props_text(p.will->properties) + "}";
  }
  return out;
}

std::string codes_text(const std::vector<u8>& codes) {
  std::string out = "rcs=[";
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (i > 0) out += ',';
    out += hex_byte(codes[i]);
  }
  return out + "]";
}

std::string subscribe_text(const Packet& p) {
  std::string out = "SUBSCRIBE id=" + std::to_string(p.packet_id) + " [";
  for (std::size_t i = 0; i < p.subscriptions.size(); ++i) {
    const Subscription& s = p.subscriptions[i];
    if (i > 0) out += ',';
    out += "(" + quote(s.filter) + " qos=" + std::to_string(s.qos) + " nl=" + flag(s.no_local) +
           " rap=" + flag(s.retain_as_published) + " rh=" + std::to_string(s.retain_handling) + ")";
  }
  return out + "]" + props_text(p.properties);
}

std::string unsubscribe_text(const Packet& p) {
  std::string out = "UNSUBSCRIBE id=" + std::to_string(p.packet_id) + " [";
  for (std::size_t i = 0; i < p.filters.size(); ++i) {
    if (i > 0) out += ',';
    out += quote(p.filters[i]);
  }
  return out + "]" + props_text(p.properties);
}

std::string publish_text(const Packet& p) {
  std::string out = "PUBLISH qos=" + std::to_string(p.qos) + " retain=" + flag(p.retain) +
                    " dup=" + flag(p.dup);
  if (p.qos != 0) out += " id=" + std::to_string(p.packet_id);
  return out + " topic=" + quote(p.topic) + " payload=" + quote(p.payload) + props_text(p.properties);
}

}  // namespace

std::string to_text(const Packet& packet) {
  const Packet& p = packet;
  const std::string name = packet_type_name(p.type);
  const std::string id = " id=" + std::to_string(p.packet_id);
  switch (p.type) {
    case PacketType::CONNECT: return connect_text(p);
    case PacketType::CONNACK:
      return name + " session_present=" + flag(p.session_present) + " rc=" + hex_byte(p.reason_code) +
             props_text(p.properties);
    case PacketType::PUBLISH: return publish_text(p);
    case PacketType::PUBACK:
    case PacketType::PUBREC:
    case PacketType::PUBREL:
    case PacketType::PUBCOMP:
      return name + id + " rc=" + hex_byte(p.reason_code) + props_text(p.properties);
    case PacketType::SUBSCRIBE: return subscribe_text(p);
    case PacketType::SUBACK:
    case PacketType::UNSUBACK:
      return name + id + " " + codes_text(p.reason_codes) + props_text(p.properties);
    case PacketType::UNSUBSCRIBE: return unsubscribe_text(p);
    case PacketType::PINGREQ:
    case PacketType::PINGRESP: return name;
    case PacketType::DISCONNECT:
    case PacketType::AUTH: return name + " rc=" + hex_byte(p.reason_code) + props_text(p.properties);
  }
  return name;
}

}  // namespace mqsim::mqtt
