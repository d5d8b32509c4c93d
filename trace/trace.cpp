// Trace recording, parsing, text form and hash: see trace.h.
#include "trace/trace.h"

#include <xxhash.h>

#include <cassert>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

namespace mqsim {
namespace {

// Wire record: u64 time_ms | u32 client | u32 conn | u8 kind | u32 size | size bytes (host order:
// the buffer never leaves the machine that wrote it).
constexpr std::size_t kRecordHeaderBytes = 8 + 4 + 4 + 1 + 4;
// A Fault record's data: u8 kind | u32 amount.
constexpr std::size_t kFaultBytes = 1 + 4;

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T get(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

const char* direction(EventKind kind) {
  switch (kind) {
    case EventKind::Send: return "->";
    case EventKind::Recv: return "<-";
    default: return "  ";
  }
}

// The number of whole records at the front of `wire` (a tail truncated by a crash is not one).
std::size_t whole_records(std::string_view wire) {
  std::size_t n = 0;
  for (std::size_t at = 0; wire.size() - at >= kRecordHeaderBytes; ++n) {
    const auto size = get<std::uint32_t>(wire.data() + at + 17);
    if (wire.size() - at - kRecordHeaderBytes < size) break;
    at += kRecordHeaderBytes + size;
  }
  return n;
}

constexpr std::pair<FaultKind, std::string_view> kFaultNames[] = {
    {FaultKind::Hold, "hold"}, {FaultKind::Release, "release"}, {FaultKind::Latency, "latency"}, {FaultKind::ShortIo, "short-io"}};

bool has_amount(FaultKind kind) { return kind == FaultKind::Latency || kind == FaultKind::ShortIo; }
std::string_view amount_unit(FaultKind kind) { return kind == FaultKind::Latency ? "ms" : "%"; }

std::optional<Fault> decode_fault(std::string_view data) {
  if (data.size() != kFaultBytes) return std::nullopt;
  const Fault fault{static_cast<FaultKind>(get<std::uint8_t>(data.data())), get<std::uint32_t>(data.data() + 1)};
  for (const auto& [kind, name] : kFaultNames) {
    if (kind == fault.kind) return fault;
  }
  return std::nullopt;
}

}  // namespace

std::string fault_text(const Fault& fault) {
  for (const auto& [kind, name] : kFaultNames) {
    if (kind != fault.kind) continue;
    if (!has_amount(kind)) return std::string(name);
    return std::string(name) + " " + std::to_string(fault.amount) + std::string(amount_unit(kind));
  }
  assert(false && "a FaultKind without a name");
  return "?";
}

std::optional<Fault> fault_from_text(std::string_view text) {
  const std::size_t space = text.find(' ');
  const std::string_view name = text.substr(0, space);
  for (const auto& [kind, known] : kFaultNames) {
    if (name != known) continue;
    if (!has_amount(kind)) return space == std::string_view::npos ? std::optional<Fault>(Fault{kind, 0}) : std::nullopt;
    if (space == std::string_view::npos) return std::nullopt;
    std::string_view amount = text.substr(space + 1);
    if (amount.ends_with(amount_unit(kind))) amount.remove_suffix(amount_unit(kind).size());
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(amount.data(), amount.data() + amount.size(), value);
    if (error != std::errc() || end != amount.data() + amount.size() || amount.empty()) return std::nullopt;
    return Fault{kind, value};
  }
  return std::nullopt;
}

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::Client: return "client";
    case EventKind::Step: return "step";
    case EventKind::Dial: return "dial";
    case EventKind::Send: return "send";
    case EventKind::Recv: return "recv";
    case EventKind::Close: return "close";
    case EventKind::PeerClosed: return "peer-closed";
    case EventKind::PeerReset: return "peer-reset";
    case EventKind::Malformed: return "malformed";
    case EventKind::Fault: return "fault";
    case EventKind::Log: return "log";
    case EventKind::BrokerExit: return "broker-exit";
    case EventKind::Note: return "note";
  }
  return "?";
}

void TraceWriter::add(std::uint64_t time_ms, std::uint32_t client, std::uint32_t conn, EventKind kind,
                      std::string_view data) {
  assert(kind != EventKind::Fault && "faults are typed: TraceWriter::fault");
  assert(data.size() < (std::size_t{1} << 31));
  wire_.reserve(wire_.size() + kRecordHeaderBytes + data.size());
  put<std::uint64_t>(wire_, time_ms);
  put<std::uint32_t>(wire_, client);
  put<std::uint32_t>(wire_, conn);
  put<std::uint8_t>(wire_, static_cast<std::uint8_t>(kind));
  put<std::uint32_t>(wire_, static_cast<std::uint32_t>(data.size()));
  wire_.append(data);
  ++count_;
}

void TraceWriter::fault(std::uint64_t time_ms, std::uint32_t client, std::uint32_t conn, const Fault& fault) {
  assert(fault.amount == 0 || has_amount(fault.kind));
  std::string data;
  put<std::uint8_t>(data, static_cast<std::uint8_t>(fault.kind));
  put<std::uint32_t>(data, fault.amount);
  assert(data.size() == kFaultBytes);
  wire_.reserve(wire_.size() + kRecordHeaderBytes + data.size());
  put<std::uint64_t>(wire_, time_ms);
  put<std::uint32_t>(wire_, client);
  put<std::uint32_t>(wire_, conn);
  put<std::uint8_t>(wire_, static_cast<std::uint8_t>(EventKind::Fault));
  put<std::uint32_t>(wire_, static_cast<std::uint32_t>(data.size()));
  wire_.append(data);
  ++count_;
}

Trace Trace::parse(std::string_view wire) {
  Trace t;
  // Events are large (a decoded packet each): built in place, in a vector sized once.
  const std::size_t count = whole_records(wire);
  t.events_.reserve(count);
  std::map<std::uint32_t, mqtt::Version> conn_version;
  std::size_t at = 0;
  for (std::size_t n = 0; n < count; ++n) {
    const char* p = wire.data() + at;
    const auto size = get<std::uint32_t>(p + 17);
    Event& e = t.events_.emplace_back();
    e.time_ms = get<std::uint64_t>(p);
    e.client = get<std::uint32_t>(p + 8);
    e.conn = get<std::uint32_t>(p + 12);
    e.kind = static_cast<EventKind>(get<std::uint8_t>(p + 16));
    e.data.assign(p + kRecordHeaderBytes, size);
    at += kRecordHeaderBytes + size;
    if (e.kind == EventKind::Client) t.client_names_.push_back(e.data);
    if (e.kind == EventKind::Fault) {
      e.fault = decode_fault(e.data);
      if (!e.fault) {
        throw std::runtime_error("trace: event " + std::to_string(n) + " is a fault of unknown kind (" +
                                 std::to_string(size) + " bytes, kind byte " +
                                 std::to_string(size ? get<std::uint8_t>(p + kRecordHeaderBytes) : 0) + ")");
      }
      e.data.clear();
    }
    if (e.kind == EventKind::Send || e.kind == EventKind::Recv) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(e.data.data());
      // A connection speaks the version its CONNECT announced (byte 6 + name length, 3.1.2.2).
      bool read_as_v5 = false;
      if (e.kind == EventKind::Send && size >= 2 && (bytes[0] >> 4) == 1) {
        e.decode_error = mqtt::decode_into({bytes, size}, mqtt::Version::v5, e.packet);
        read_as_v5 = true;
        if (e.packet) conn_version[e.conn] = e.packet->protocol_level == 4 ? mqtt::Version::v311 : mqtt::Version::v5;
      }
      const auto version = conn_version.find(e.conn);
      e.version = version == conn_version.end() ? mqtt::Version::v5 : version->second;
      // A 5.0 CONNECT is decoded once: the look above already read it as the connection speaks.
      if (!read_as_v5 || e.version != mqtt::Version::v5) e.decode_error = mqtt::decode_into({bytes, size}, e.version, e.packet);
    }
  }
  return t;
}

std::string Trace::client_name(std::uint32_t client) const {
  if (client == 0 || client > client_names_.size()) return "-";
  return client_names_[client - 1];
}

std::optional<std::uint32_t> Trace::client_index(std::string_view name) const {
  for (std::size_t i = 0; i < client_names_.size(); ++i) {
    if (client_names_[i] == name) return static_cast<std::uint32_t>(i + 1);
  }
  return std::nullopt;
}

std::string Trace::line(const Event& e) const {
  char head[64];
  std::snprintf(head, sizeof head, "%6llu.%03llu %-10s %s ", static_cast<unsigned long long>(e.time_ms / 1000),
                static_cast<unsigned long long>(e.time_ms % 1000), client_name(e.client).c_str(), direction(e.kind));
  std::string out = head;
  if (e.kind == EventKind::Send || e.kind == EventKind::Recv) {
    out += e.packet ? mqtt::to_text(*e.packet) : "UNDECODABLE (" + e.decode_error + ")";
  } else if (e.kind == EventKind::Fault) {
    assert(e.fault);
    out += event_kind_name(e.kind);
    out += " " + fault_text(*e.fault);
  } else {
    out += event_kind_name(e.kind);
    if (!e.data.empty()) out += " " + e.data;
  }
  return out;
}

std::string Trace::text(bool with_log) const {
  std::string out;
  for (const auto& e : events_) {
    if (!with_log && e.kind == EventKind::Log) continue;
    out += line(e);
    out += '\n';
  }
  return out;
}

std::uint64_t Trace::hash() const {
  const std::string t = text(true);
  return XXH3_64bits(t.data(), t.size());
}

std::vector<mqtt::Packet> Trace::received(std::string_view client) const {
  std::vector<mqtt::Packet> out;
  const auto idx = client_index(client);
  for (const auto& e : events_) {
    if (idx && e.client == *idx && e.kind == EventKind::Recv && e.packet) out.push_back(*e.packet);
  }
  return out;
}

std::vector<mqtt::Packet> Trace::received(std::string_view client, mqtt::PacketType type) const {
  std::vector<mqtt::Packet> out;
  for (auto& p : received(client)) {
    if (p.type == type) out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> Trace::payloads(std::string_view client, std::string_view topic) const {
  std::vector<std::string> out;
  for (const auto& p : received(client, mqtt::PacketType::PUBLISH)) {
    if (p.topic == topic) out.push_back(p.payload);
  }
  return out;
}

bool Trace::saw_close_by_broker(std::string_view client) const {
  const auto idx = client_index(client);
  for (const auto& e : events_) {
    if (idx && e.client == *idx && (e.kind == EventKind::PeerClosed || e.kind == EventKind::PeerReset)) return true;
  }
  return false;
}

std::vector<std::string> Trace::log_lines() const {
  std::vector<std::string> out;
  for (const auto& e : events_) {
    if (e.kind == EventKind::Log) out.push_back(e.data);
  }
  return out;
}

std::string hex64(std::uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace mqsim
