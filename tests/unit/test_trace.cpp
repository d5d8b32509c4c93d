// Unit tests of the trace (trace/trace.h): what a run records must come back from the wire
// buffer exactly (every event kind, binary data included), a buffer cut short by a crash must
// still parse up to its last whole record, the text form and hash must identify a run (equal for
// equal traces, different otherwise), and packets must be decoded with the protocol version
// their connection's CONNECT announced.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "trace/mqtt/packet.h"
#include "trace/trace.h"

using namespace mqsim;
using mqtt::PacketType;
using mqtt::Version;

namespace {

std::string wire_of(const mqtt::Packet& packet, Version version) {
  const mqtt::Bytes bytes = mqtt::encode(packet, version);
  return {bytes.begin(), bytes.end()};
}

mqtt::Packet connect_packet(const std::string& client_id, Version version) {
  mqtt::Packet p;
  p.type = PacketType::CONNECT;
  p.protocol_level = static_cast<std::uint8_t>(version);
  p.client_id = client_id;
  p.keepalive_s = 60;
  return p;
}

mqtt::Packet publish_packet(const std::string& topic, const std::string& payload) {
  mqtt::Packet p;
  p.type = PacketType::PUBLISH;
  p.topic = topic;
  p.payload = payload;
  return p;
}

// One event of every kind, with distinct times, clients, connections and data; binary data
// (NUL, high bytes) where the kind carries free text, whole packets for Send and Recv.
struct Recorded {
  std::uint64_t time_ms;
  std::uint32_t client;
  std::uint32_t conn;
  EventKind kind;
  std::string data;
};

std::vector<Recorded> one_of_each_kind() {
  const std::string binary("a\0b\xff\x80z", 6);
  return {
      {0, 1, 0, EventKind::Client, "pub"},
      {0, 2, 0, EventKind::Client, "sub"},
      {1, 0, 0, EventKind::Step, "step one"},
      {2, 1, 1, EventKind::Dial, ""},
      {3, 1, 1, EventKind::Send, wire_of(connect_packet("pub", Version::v5), Version::v5)},
      {4, 1, 1, EventKind::Recv, wire_of(publish_packet("a/b", "xy"), Version::v5)},
      {5, 1, 1, EventKind::Close, "disconnect"},
      {6, 2, 2, EventKind::PeerClosed, ""},
      {7, 2, 2, EventKind::PeerReset, ""},
      {8, 2, 2, EventKind::Malformed, binary},
      {9, 2, 2, EventKind::Fault, "hold"},
      {10, 0, 0, EventKind::Log, "1767225600: mosquitto version 2.0.21 running"},
      {11, 0, 0, EventKind::BrokerExit, "0"},
      {4294967296123ULL, 4000000000u, 4000000001u, EventKind::Note, binary},  // wide fields survive
  };
}

// A fault is written as the typed value its text names (the writer refuses faults as text).
void write_one(TraceWriter& w, const Recorded& e) {
  if (e.kind == EventKind::Fault) w.fault(e.time_ms, e.client, e.conn, fault_from_text(e.data).value());
  else w.add(e.time_ms, e.client, e.conn, e.kind, e.data);
}

TraceWriter write_all(const std::vector<Recorded>& events) {
  TraceWriter w;
  for (const auto& e : events) write_one(w, e);
  return w;
}

}  // namespace

TEST_SUITE("trace") {

TEST_CASE("every event kind has its own name") {
  std::vector<std::string> names;
  for (int k = static_cast<int>(EventKind::Client); k <= static_cast<int>(EventKind::Note); ++k) {
    const std::string name = event_kind_name(static_cast<EventKind>(k));
    CHECK(name != "?");
    for (const auto& other : names) CHECK(name != other);
    names.push_back(name);
  }
  CHECK(names.size() == 13);
}

TEST_CASE("round trip: every event kind comes back with its time / client / connection / data") {
  const auto recorded = one_of_each_kind();
  const TraceWriter w = write_all(recorded);
  CHECK(w.event_count() == recorded.size());
  const Trace t = Trace::parse(w.bytes());
  REQUIRE(t.events().size() == recorded.size());
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    CAPTURE(i);
    const Event& e = t.events()[i];
    CHECK(e.time_ms == recorded[i].time_ms);
    CHECK(e.client == recorded[i].client);
    CHECK(e.conn == recorded[i].conn);
    CHECK(e.kind == recorded[i].kind);
    if (e.kind == EventKind::Fault) {
      REQUIRE(e.fault);
      CHECK(fault_text(*e.fault) == recorded[i].data);
      CHECK(e.data.empty());
    } else {
      CHECK(e.data == recorded[i].data);
      CHECK_FALSE(e.fault);
    }
  }
  CHECK(t.client_names() == std::vector<std::string>{"pub", "sub"});
}

TEST_CASE("faults are typed: kind and amount cross the wire, the text form is trace.txt's") {
  const std::vector<std::pair<Fault, std::string>> faults = {
      {{FaultKind::Hold, 0}, "hold"},
      {{FaultKind::Release, 0}, "release"},
      {{FaultKind::Latency, 0}, "latency 0ms"},
      {{FaultKind::Latency, 4294967295u}, "latency 4294967295ms"},
      {{FaultKind::ShortIo, 37}, "short-io 37%"},
  };
  TraceWriter w;
  for (const auto& [fault, text] : faults) w.fault(5, 1, 1, fault);
  const Trace t = Trace::parse(w.bytes());
  REQUIRE(t.events().size() == faults.size());
  for (std::size_t i = 0; i < faults.size(); ++i) {
    CAPTURE(faults[i].second);
    REQUIRE(t.events()[i].fault);
    CHECK(*t.events()[i].fault == faults[i].first);
    CHECK(fault_text(faults[i].first) == faults[i].second);
    CHECK(fault_from_text(faults[i].second) == faults[i].first);
    CHECK(t.line(t.events()[i]).ends_with("fault " + faults[i].second));
  }
  // Written by hand, the unit may be left out; nothing else is a fault.
  CHECK(fault_from_text("latency 500") == Fault{FaultKind::Latency, 500});
  CHECK(fault_from_text("short-io 5") == Fault{FaultKind::ShortIo, 5});
  for (const char* text : {"", "jitter 5ms", "hold 1", "release ", "latency", "latency ms", "latency 5s", "latency -1ms",
                           "latency 5ms ", "short-io 5ms", "latency 4294967296ms", "Hold"}) {
    CAPTURE(text);
    CHECK_FALSE(fault_from_text(text).has_value());
  }
}

TEST_CASE("a fault record of unknown kind is an error naming the event, never ignored") {
  TraceWriter w;
  w.add(0, 1, 0, EventKind::Client, "c1");
  w.fault(1, 1, 1, {FaultKind::Hold, 0});
  std::string wire = w.bytes();
  // The fault's kind byte is the first byte of its data: after the Client record and a header.
  const std::size_t kind_at = (21 + 2) + 21;
  REQUIRE(static_cast<std::uint8_t>(wire[kind_at]) == static_cast<std::uint8_t>(FaultKind::Hold));
  CHECK(Trace::parse(wire).events()[1].fault == Fault{FaultKind::Hold, 0});
  for (const std::uint8_t kind : {0, 5, 255}) {
    CAPTURE(int(kind));
    wire[kind_at] = static_cast<char>(kind);
    CHECK_THROWS_WITH_AS(Trace::parse(wire), doctest::Contains("event 1 is a fault of unknown kind"), std::runtime_error);
  }
}

TEST_CASE("round trip: Send and Recv are decoded / other kinds are not") {
  const Trace t = Trace::parse(write_all(one_of_each_kind()).bytes());
  for (const auto& e : t.events()) {
    CAPTURE(event_kind_name(e.kind));
    const bool is_packet = e.kind == EventKind::Send || e.kind == EventKind::Recv;
    CHECK(e.packet.has_value() == is_packet);
  }
  for (const auto& e : t.events()) CHECK(e.decode_error.empty());
  // Data that happens to be a packet's bytes is still only data outside Send and Recv.
  mqtt::Packet ping;
  ping.type = PacketType::PINGREQ;
  TraceWriter w;
  w.add(0, 0, 0, EventKind::Note, wire_of(ping, Version::v5));
  const Trace note = Trace::parse(w.bytes());
  REQUIRE(note.events().size() == 1);
  CHECK_FALSE(note.events()[0].packet.has_value());
  const Event& connect = t.events()[4];
  REQUIRE(connect.packet);
  CHECK(connect.packet->type == PacketType::CONNECT);
  CHECK(connect.packet->client_id == "pub");
  const Event& publish = t.events()[5];
  REQUIRE(publish.packet);
  CHECK(publish.packet->topic == "a/b");
  CHECK(publish.packet->payload == "xy");
}

TEST_CASE("bytes that are no packet keep their data and say why") {
  TraceWriter w;
  w.add(0, 1, 1, EventKind::Recv, std::string("\x00\x00", 2));  // packet type 0 is reserved
  const Trace t = Trace::parse(w.bytes());
  REQUIRE(t.events().size() == 1);
  CHECK_FALSE(t.events()[0].packet.has_value());
  CHECK_FALSE(t.events()[0].decode_error.empty());
  CHECK(t.line(t.events()[0]).find("UNDECODABLE") != std::string::npos);
}

TEST_CASE("a truncated buffer (every prefix) parses up to its last whole record") {
  const auto recorded = one_of_each_kind();
  // Where each record ends in the wire buffer.
  std::vector<std::size_t> record_ends;
  TraceWriter w;
  for (const auto& e : recorded) {
    write_one(w, e);
    record_ends.push_back(w.bytes().size());
  }
  const std::string& wire = w.bytes();
  const Trace whole = Trace::parse(wire);
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    CAPTURE(cut);
    const Trace t = Trace::parse(std::string_view(wire).substr(0, cut));
    std::size_t expected = 0;
    while (expected < record_ends.size() && record_ends[expected] <= cut) ++expected;
    REQUIRE(t.events().size() == expected);
    for (std::size_t i = 0; i < expected; ++i) {
      REQUIRE(t.events()[i].kind == whole.events()[i].kind);
      REQUIRE(t.events()[i].data == whole.events()[i].data);
    }
  }
}

TEST_CASE("text() and hash() are stable for equal traces") {
  const std::string wire = write_all(one_of_each_kind()).bytes();
  const Trace a = Trace::parse(wire);
  const Trace b = Trace::parse(wire);
  CHECK(a.text() == b.text());
  CHECK(a.hash() == b.hash());
  CHECK(a.hash() == Trace::parse(write_all(one_of_each_kind()).bytes()).hash());
  CHECK(hex64(a.hash()).size() == 16);
}

TEST_CASE("hash() differs when anything a reader sees differs") {
  const auto base_events = one_of_each_kind();
  const auto base_hash = Trace::parse(write_all(base_events).bytes()).hash();
  auto changed_data = base_events;
  changed_data[2].data = "step 1";
  auto changed_time = base_events;
  changed_time[9].time_ms += 1;
  auto changed_log = base_events;
  changed_log[11].data += ".";
  auto dropped = base_events;
  dropped.pop_back();
  for (const auto* variant : {&changed_data, &changed_time, &changed_log, &dropped}) {
    CHECK(Trace::parse(write_all(*variant).bytes()).hash() != base_hash);
  }
}

TEST_CASE("text(): one line per event / log lines only when asked for") {
  const Trace t = Trace::parse(write_all(one_of_each_kind()).bytes());
  const std::string with_log = t.text(true);
  const std::string without_log = t.text(false);
  const auto count_lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  CHECK(count_lines(with_log) == 14);
  CHECK(count_lines(without_log) == 13);
  CHECK(with_log.find("mosquitto version 2.0.21 running") != std::string::npos);
  CHECK(without_log.find("mosquitto version 2.0.21 running") == std::string::npos);
}

TEST_CASE("line(): seconds.milliseconds / client name / direction / decoded packet") {
  TraceWriter w;
  w.add(0, 1, 0, EventKind::Client, "pub");
  w.add(1234, 1, 1, EventKind::Send, wire_of(publish_packet("a/b", "xy"), Version::v5));
  w.add(61001, 0, 0, EventKind::Note, "hello");
  const Trace t = Trace::parse(w.bytes());
  REQUIRE(t.events().size() == 3);
  CHECK(t.line(t.events()[1]).rfind("     1.234 pub        -> PUBLISH", 0) == 0);
  CHECK(t.line(t.events()[2]) == "    61.001 -             note hello");
  CHECK(t.client_name(0) == "-");
  CHECK(t.client_name(2) == "-");
}

TEST_CASE("v3.1.1: packets are decoded with the version of their connection's CONNECT") {
  const std::string publish_311 = wire_of(publish_packet("a/b", "xy"), Version::v311);
  // The test means something only if the two versions read these bytes differently.
  const auto as_v5 = mqtt::decode({reinterpret_cast<const std::uint8_t*>(publish_311.data()), publish_311.size()}, Version::v5);
  REQUIRE((!as_v5.ok() || as_v5.packet->payload != "xy"));
  TraceWriter w;
  w.add(0, 1, 0, EventKind::Client, "old");
  w.add(0, 2, 0, EventKind::Client, "new");
  w.add(1, 1, 1, EventKind::Send, wire_of(connect_packet("old", Version::v311), Version::v311));
  w.add(1, 2, 2, EventKind::Send, wire_of(connect_packet("new", Version::v5), Version::v5));
  w.add(2, 1, 1, EventKind::Recv, publish_311);
  w.add(2, 2, 2, EventKind::Recv, wire_of(publish_packet("a/b", "xy"), Version::v5));
  const Trace t = Trace::parse(w.bytes());
  REQUIRE(t.events().size() == 6);
  CHECK(t.events()[2].version == Version::v311);
  CHECK(t.events()[3].version == Version::v5);
  const Event& old_pub = t.events()[4];
  CHECK(old_pub.version == Version::v311);
  REQUIRE(old_pub.packet);
  CHECK(old_pub.packet->payload == "xy");
  const Event& new_pub = t.events()[5];
  CHECK(new_pub.version == Version::v5);
  REQUIRE(new_pub.packet);
  CHECK(new_pub.packet->payload == "xy");
  CHECK(t.payloads("old", "a/b") == std::vector<std::string>{"xy"});
}

TEST_CASE("a connection without a CONNECT yet is read as MQTT 5.0") {
  TraceWriter w;
  w.add(0, 1, 7, EventKind::Recv, wire_of(publish_packet("t", "p"), Version::v5));
  const Trace t = Trace::parse(w.bytes());
  REQUIRE(t.events().size() == 1);
  CHECK(t.events()[0].version == Version::v5);
  REQUIRE(t.events()[0].packet);
  CHECK(t.events()[0].packet->payload == "p");
}

TEST_CASE("views: received / payloads / closes by the broker / log lines") {
  TraceWriter w;
  w.add(0, 1, 0, EventKind::Client, "sub");
  w.add(0, 2, 0, EventKind::Client, "pub");
  w.add(1, 1, 1, EventKind::Recv, wire_of(publish_packet("a", "1"), Version::v5));
  w.add(2, 1, 1, EventKind::Recv, wire_of(publish_packet("b", "2"), Version::v5));
  w.add(3, 2, 2, EventKind::Recv, wire_of(publish_packet("a", "3"), Version::v5));
  w.add(4, 1, 1, EventKind::PeerClosed, "");
  w.add(5, 0, 0, EventKind::Log, "line");
  const Trace t = Trace::parse(w.bytes());
  CHECK(t.received("sub").size() == 2);
  CHECK(t.received("sub", PacketType::PUBLISH).size() == 2);
  CHECK(t.received("sub", PacketType::PUBACK).empty());
  CHECK(t.payloads("sub", "a") == std::vector<std::string>{"1"});
  CHECK(t.payloads("pub", "a") == std::vector<std::string>{"3"});
  CHECK(t.received("nobody").empty());
  CHECK(t.saw_close_by_broker("sub"));
  CHECK_FALSE(t.saw_close_by_broker("pub"));
  CHECK(t.log_lines() == std::vector<std::string>{"line"});
  CHECK(t.client_index("pub") == std::optional<std::uint32_t>(2));
  CHECK_FALSE(t.client_index("nobody").has_value());
}

}  // TEST_SUITE("trace")
