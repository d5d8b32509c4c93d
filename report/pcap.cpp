// trace.pcap writer: see pcap.h. The TCP/IP headers are synthesized here byte by byte (with real
// checksums and consistent sequence numbers) so that Wireshark's TCP analysis stays quiet and its
// MQTT dissector sees exactly the recorded packets; libpcap only writes the file.
#include "pcap.h"

#include <pcap/pcap.h>

#include <cassert>
#include <charconv>
#include <map>
#include <memory>
#include <span>

namespace mqsim {
namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
constexpr std::uint32_t kBrokerIp = 0x0A000001;  // 10.0.0.1
constexpr std::uint16_t kDefaultBrokerPort = 1883;
constexpr std::size_t kEthernetBytes = 14, kIpv4Bytes = 20, kTcpBytes = 20;
constexpr std::size_t kHeaderBytes = kEthernetBytes + kIpv4Bytes + kTcpBytes;
constexpr int kSnapLenBytes = 65535;

// One virtual connection's TCP state: the next sequence number each side will use.
struct Flow {
  std::uint32_t client_ip = 0;
  std::uint16_t client_port = 0;
  std::uint16_t broker_port = kDefaultBrokerPort;
  std::uint32_t client_seq = 0;
  std::uint32_t broker_seq = 0;
  bool client_done = false;  // the client sent FIN or RST: nothing more from it
  bool broker_done = false;  // the broker sent FIN or RST
};

void put16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

void put32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  put16(out, at, static_cast<std::uint16_t>(v >> 16));
  put16(out, at + 2, static_cast<std::uint16_t>(v));
}

// RFC 1071 sum, not yet folded or complemented, so that the TCP pseudo-header can be added.
std::uint32_t ones_sum(std::span<const std::uint8_t> bytes, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += std::uint32_t{bytes[i]} << 8 | bytes[i + 1];
  if (bytes.size() % 2 == 1) sum += std::uint32_t{bytes.back()} << 8;
  return sum;
}

std::uint16_t fold_checksum(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// A locally administered MAC that spells the IPv4 address, so frames read naturally.
void put_mac(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t ip) {
  out[at] = 0x02;
  out[at + 1] = 0x00;
  put32(out, at + 2, ip);
}

std::uint32_t client_ip_of(std::uint32_t conn) {
  assert(conn >= 1 && conn <= kPcapMaxConn);
  return 0x0A000000u | (conn / 250) << 8 | (conn % 250 + 2);
}

std::uint16_t client_port_of(std::uint32_t conn) {
  return static_cast<std::uint16_t>(kPcapClientPortBase + conn % (65536 - kPcapClientPortBase));
}

// "port 1883" (the Dial event's data) -> 1883; anything else -> the MQTT default.
std::uint16_t broker_port_of(const std::string& dial_data) {
  constexpr std::string_view prefix = "port ";
  if (dial_data.rfind(prefix, 0) != 0) return kDefaultBrokerPort;
  unsigned port = 0;
  const char* first = dial_data.data() + prefix.size();
  const char* last = dial_data.data() + dial_data.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port == 0 || port > 65535) return kDefaultBrokerPort;
  return static_cast<std::uint16_t>(port);
}

// Ethernet + IPv4 + TCP around `payload`, with both checksums filled in.
std::vector<std::uint8_t> segment(const Flow& f, bool from_client, std::uint8_t flags, std::uint16_t ip_id,
                                  std::span<const std::uint8_t> payload) {
  assert(payload.size() <= kPcapMaxSegmentBytes);
  assert(f.client_ip != 0 && f.client_port != 0);
  const std::uint32_t src_ip = from_client ? f.client_ip : kBrokerIp;
  const std::uint32_t dst_ip = from_client ? kBrokerIp : f.client_ip;
  std::vector<std::uint8_t> out(kHeaderBytes + payload.size(), 0);
  put_mac(out, 0, dst_ip);
  put_mac(out, 6, src_ip);
  put16(out, 12, 0x0800);

  const std::size_t ip = kEthernetBytes;
  out[ip] = 0x45;  // version 4, 5 words of header
  put16(out, ip + 2, static_cast<std::uint16_t>(kIpv4Bytes + kTcpBytes + payload.size()));
  put16(out, ip + 4, ip_id);
  put16(out, ip + 6, 0x4000);  // don't fragment
  out[ip + 8] = 64;            // TTL
  out[ip + 9] = 6;             // TCP
  put32(out, ip + 12, src_ip);
  put32(out, ip + 16, dst_ip);
  put16(out, ip + 10, fold_checksum(ones_sum({out.data() + ip, kIpv4Bytes})));

  const std::size_t tcp = ip + kIpv4Bytes;
  put16(out, tcp, from_client ? f.client_port : f.broker_port);
  put16(out, tcp + 2, from_client ? f.broker_port : f.client_port);
  put32(out, tcp + 4, from_client ? f.client_seq : f.broker_seq);
  put32(out, tcp + 8, (flags & kAck) ? (from_client ? f.broker_seq : f.client_seq) : 0);
  out[tcp + 12] = 5 << 4;  // 5 words of header, no options
  out[tcp + 13] = flags;
  put16(out, tcp + 14, 65535);  // window
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<long>(kHeaderBytes));

  // The TCP checksum covers a pseudo-header (addresses, protocol, length) and the segment.
  const auto tcp_len = static_cast<std::uint32_t>(kTcpBytes + payload.size());
  std::uint32_t sum = ones_sum({out.data() + ip + 12, 8}) + 6 + tcp_len;
  put16(out, tcp + 16, fold_checksum(ones_sum({out.data() + tcp, tcp_len}, sum)));
  return out;
}

// Turns trace events into frames, keeping each connection's TCP state.
class FrameBuilder {
 public:
  std::vector<PcapFrame> frames;

  void event(std::size_t index, const Event& e) {
    if (e.conn == 0 || e.conn > kPcapMaxConn) return;
    now_us_ = e.time_ms * 1000;
    index_ = index;
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(e.data.data()), e.data.size());
    switch (e.kind) {
      case EventKind::Dial: flow(e.conn, &e.data); break;
      case EventKind::Send: data(flow(e.conn), true, bytes); break;
      case EventKind::Recv: data(flow(e.conn), false, bytes); break;
      case EventKind::Close: close(flow(e.conn), true, e.data == "reset"); break;
      case EventKind::PeerReset: close(flow(e.conn), false, true); break;
      case EventKind::PeerClosed: peer_closed(flow(e.conn)); break;
      default: break;  // faults, notes and logs are not on the wire
    }
  }

 private:
  // The flow of `conn`, opened with a handshake the first time it is seen (normally at its Dial;
  // a trace cut short at the front still gives a decodable capture).
  Flow& flow(std::uint32_t conn, const std::string* dial_data = nullptr) {
    auto [it, fresh] = flows_.try_emplace(conn);
    Flow& f = it->second;
    if (!fresh) return f;
    f.client_ip = client_ip_of(conn);
    f.client_port = client_port_of(conn);
    if (dial_data) f.broker_port = broker_port_of(*dial_data);
    // Fixed initial sequence numbers keep the capture deterministic; Wireshark shows relative ones.
    f.client_seq = 0x10000000u + conn * 0x10000u;
    f.broker_seq = 0x80000000u + conn * 0x10000u;
    emit(f, true, kSyn, {});
    f.client_seq += 1;
    emit(f, false, kSyn | kAck, {});
    f.broker_seq += 1;
    emit(f, true, kAck, {});
    return f;
  }

  // One MQTT packet: its own segment, or several when it is longer than a segment may be.
  void data(Flow& f, bool from_client, std::span<const std::uint8_t> bytes) {
    for (std::size_t at = 0; at < bytes.size(); at += kPcapMaxSegmentBytes) {
      const auto chunk = bytes.subspan(at, std::min(kPcapMaxSegmentBytes, bytes.size() - at));
      emit(f, from_client, kPsh | kAck, chunk);
      (from_client ? f.client_seq : f.broker_seq) += static_cast<std::uint32_t>(chunk.size());
    }
  }

  void close(Flow& f, bool from_client, bool reset) {
    bool& done = from_client ? f.client_done : f.broker_done;
    if (done) return;
    done = true;
    emit(f, from_client, reset ? (kRst | kAck) : (kFin | kAck), {});
    if (!reset) (from_client ? f.client_seq : f.broker_seq) += 1;  // FIN takes one sequence number
  }

  // The broker's FIN; the simulated client answers EOF by closing its side too (client.cpp), and
  // no Close event is recorded for that, so its FIN is added here.
  void peer_closed(Flow& f) {
    close(f, false, false);
    close(f, true, false);
  }

  void emit(const Flow& f, bool from_client, std::uint8_t flags, std::span<const std::uint8_t> payload) {
    frames.push_back({now_us_, index_, segment(f, from_client, flags, ++ip_id_, payload)});
  }

  std::map<std::uint32_t, Flow> flows_;
  std::uint64_t now_us_ = 0;
  std::size_t index_ = 0;
  std::uint16_t ip_id_ = 0;
};

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

}  // namespace

std::vector<PcapFrame> pcap_frames(const Trace& trace) {
  FrameBuilder builder;
  const auto& events = trace.events();
  for (std::size_t i = 0; i < events.size(); ++i) builder.event(i, events[i]);
  return std::move(builder.frames);
}

bool write_pcap(const Trace& trace, const std::string& path, std::string* error) {
  for (const auto& e : trace.events()) {
    if (e.conn > kPcapMaxConn) return fail(error, "connection " + std::to_string(e.conn) + " has no pcap address");
  }
  std::unique_ptr<pcap_t, PcapCloser> dead(pcap_open_dead_with_tstamp_precision(DLT_EN10MB, kSnapLenBytes, PCAP_TSTAMP_PRECISION_MICRO));
  if (!dead) return fail(error, "pcap_open_dead failed");
  std::unique_ptr<pcap_dumper_t, DumperCloser> dumper(pcap_dump_open(dead.get(), path.c_str()));
  if (!dumper) return fail(error, path + ": " + pcap_geterr(dead.get()));
  for (const auto& frame : pcap_frames(trace)) {
    assert(frame.bytes.size() <= static_cast<std::size_t>(kSnapLenBytes));
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(kPcapEpochS + frame.time_us / 1'000'000);
    header.ts.tv_usec = static_cast<suseconds_t>(frame.time_us % 1'000'000);
    header.caplen = header.len = static_cast<bpf_u_int32>(frame.bytes.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper.get()), &header, frame.bytes.data());
  }
  // Flush before closing so that a write error (a full disk) is reported, not lost.
  if (pcap_dump_flush(dumper.get()) != 0) return fail(error, path + ": write failed");
  return true;
}

}  // namespace mqsim
