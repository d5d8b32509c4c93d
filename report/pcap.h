// trace.pcap: a run's virtual connections as ordinary TCP/IPv4 over Ethernet, so that Wireshark
// and tshark decode the MQTT conversation with their own dissectors (an independent second
// reading of the bytes our clients saw).
//
// Each virtual connection becomes one TCP connection from 10.0.<conn/250>.<conn%250+2>:<40000+conn>
// to the broker at 10.0.0.1:<port of the Dial, 1883 by default>. The handshake is synthesized at
// Dial, every Send/Recv becomes its own segment(s), Close/PeerClosed/PeerReset become FIN or RST.
// Timestamps are virtual time plus a fixed epoch, so the same trace always gives the same file.
//
// This file only reads a Trace: it must never touch the simulator, the broker or the network,
// and it never invents MQTT bytes (only the TCP/IP wrapping around the recorded ones).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace mqsim {

// 2026-01-01T00:00:00Z: virtual time 0 in every capture.
inline constexpr std::uint64_t kPcapEpochS = 1767225600;
// Largest TCP payload in one captured segment; longer MQTT packets are split.
inline constexpr std::size_t kPcapMaxSegmentBytes = 1400;
// Client addresses are 10.0.<conn/250>.<conn%250+2>: the third octet bounds the connection ids.
inline constexpr std::uint32_t kPcapMaxConn = 250 * 256 - 1;
// Client ports are 40000 + conn; past 65535 they wrap (the address still tells connections apart).
inline constexpr std::uint32_t kPcapClientPortBase = 40000;

// One captured frame: an Ethernet frame and its virtual timestamp.
struct PcapFrame {
  std::uint64_t time_us = 0;        // virtual time, microseconds since the run started
  std::size_t event_index = 0;      // the trace event that produced it
  std::vector<std::uint8_t> bytes;  // Ethernet + IPv4 + TCP + payload
};

// The frames for a trace, in trace order (pure: no I/O, handy for tests). Events of connections
// past kPcapMaxConn are left out (write_pcap refuses such traces).
std::vector<PcapFrame> pcap_frames(const Trace& trace);

// Writes trace.pcap at `path` (Ethernet link type, microsecond timestamps). On failure returns
// false and, when `error` is not null, says why.
bool write_pcap(const Trace& trace, const std::string& path, std::string* error);

}  // namespace mqsim
