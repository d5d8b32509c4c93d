// The trace: everything the clients did and saw, with virtual timestamps. It is the only thing
// sim/ hands to model/ and to people (trace.txt, pcap, diagrams), so it records observations
// (bytes on a client's socket, connection events, the broker's log), never the broker's insides.
// It lives in trace/, the contract room: sim/ writes it, model/ judges it, neither knows the other.
//
// Two halves: TraceWriter appends events to a flat byte buffer while a run executes (in a forked
// child it is what crosses the pipe, and what a crash handler can still flush); Trace is the
// parsed, decoded form the parent and the model read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/mqtt/packet.h"

namespace mqsim {

enum class EventKind : std::uint8_t {
  Client = 1,      // a scripted client exists: data = its name
  Step,            // the script or schedule starts a step: data = its text
  Dial,            // the client opened a TCP connection to the broker
  Send,            // client -> broker: data = one whole packet's bytes
  Recv,            // broker -> client: data = one whole packet's bytes
  Close,           // the client closed its socket (data: "disconnect", "crash", "reset")
  PeerClosed,      // the client saw EOF from the broker
  PeerReset,       // the client saw a connection reset
  Malformed,       // the client received bytes it could not decode: data = reason
  Fault,           // a network fault was applied: Event::fault (typed, never text)
  Log,             // one line of the broker's log
  BrokerExit,      // the broker's main() ended: data = exit status
  Note,            // anything else worth a line (data = text)
};
const char* event_kind_name(EventKind kind);

// A network fault applied to one client's connection. It crosses the trace as a value (kind and
// amount), so the model reads what the simulator did without parsing text, and a kind the
// model does not know is an error (Trace::parse throws), never silently ignored.
enum class FaultKind : std::uint8_t {
  Hold = 1,    // partition: bytes both ways wait
  Release,     // heal: held bytes flow again
  Latency,     // amount = the delay of every byte from now on, in ms (0: none)
  ShortIo,     // amount = the percent of reads and writes split short
};
struct Fault {
  FaultKind kind = FaultKind::Hold;
  std::uint32_t amount = 0;    // Latency: ms; ShortIo: percent; Hold, Release: 0
  bool operator==(const Fault&) const = default;
};
// The text form, as trace.txt shows it: "hold", "release", "latency 5ms", "short-io 20%".
std::string fault_text(const Fault& fault);
// The text form back, for people writing traces by hand (the unit may be left out: "latency
// 500"). nullopt for anything else: an unknown kind, a missing or extra amount.
std::optional<Fault> fault_from_text(std::string_view text);

struct Event {
  std::uint64_t time_ms = 0;
  std::uint32_t client = 0;        // 1-based client index, 0 for none
  std::uint32_t conn = 0;          // 1-based connection id, 0 for none
  EventKind kind = EventKind::Note;
  std::string data;
  // Send/Recv only: the decoded packet (nullopt when it does not decode: see decode_error).
  std::optional<mqtt::Packet> packet;
  std::string decode_error;
  std::optional<Fault> fault;      // Fault only (its data is empty)
  mqtt::Version version = mqtt::Version::v5;  // the connection's protocol version
};

class TraceWriter {
 public:
  // Any kind but Fault, which is typed: fault().
  void add(std::uint64_t time_ms, std::uint32_t client, std::uint32_t conn, EventKind kind, std::string_view data);
  void fault(std::uint64_t time_ms, std::uint32_t client, std::uint32_t conn, const Fault& fault);
  const std::string& bytes() const { return wire_; }
  std::size_t event_count() const { return count_; }

 private:
  std::string wire_;
  std::size_t count_ = 0;
};

class Trace {
 public:
  // Parses a writer's buffer. A truncated tail (a crash mid-append) is dropped, not an error; a
  // whole fault record of unknown kind or size throws std::runtime_error naming the event.
  static Trace parse(std::string_view wire);

  const std::vector<Event>& events() const { return events_; }
  const std::vector<std::string>& client_names() const { return client_names_; }
  std::string client_name(std::uint32_t client) const;
  std::optional<std::uint32_t> client_index(std::string_view name) const;

  // The stable text form: one line per event, e.g.
  //   "    1.000 sub        <- PUBLISH qos=1 ..." (time in seconds.milliseconds)
  std::string text(bool with_log = true) const;
  std::string line(const Event& e) const;
  // xxh3-64 of text(): identifies a run.
  std::uint64_t hash() const;

  // Views for scenario assertions.
  std::vector<mqtt::Packet> received(std::string_view client) const;
  std::vector<mqtt::Packet> received(std::string_view client, mqtt::PacketType type) const;
  std::vector<std::string> payloads(std::string_view client, std::string_view topic) const;
  bool saw_close_by_broker(std::string_view client) const;
  std::vector<std::string> log_lines() const;

 private:
  std::vector<Event> events_;
  std::vector<std::string> client_names_;
};

std::string hex64(std::uint64_t value);

}  // namespace mqsim
