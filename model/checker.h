// The reference model: decides whether a trace (what each client did and saw, with virtual
// times) is something an MQTT 5.0 / 3.1.1 server may produce under a given configuration.
//
// Written from the OASIS MQTT v5.0 and v3.1.1 specifications, never from Mosquitto's behaviour.
// A violation names the normative statement it breaks ([MQTT-x.x.x-y]), the event and what was
// expected vs seen. Where the specification allows choices (which $share member gets a message,
// extra copies for overlapping subscriptions, QoS 0 loss under pressure) any allowed outcome is
// accepted; where Mosquitto's configuration narrows the specification, BrokerConfig says how.
//
// This folder includes nothing from sim/, props/ or Mosquitto: the trace is its only input.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/broker_config.h"
#include "trace/trace.h"

namespace mqsim::model {

struct Violation {
  std::size_t event_index = 0;     // index into Trace::events() of the offending event
  std::uint32_t client = 0;        // the client that saw it (0 for none)
  std::string statement;           // e.g. "MQTT-3.3.4-2" (no brackets)
  std::string expected;
  std::string seen;
  std::string client_name;         // the client's name in the trace ("" for none)
  std::uint64_t time_ms = 0;       // the offending event's virtual time
  std::string text() const;        // one line: "[MQTT-3.3.4-2] at event 41 (sub, t=3.000s): expected ..., seen ..."
};

// Counts of what a trace exercised, for the campaign's "reach" table.
struct Coverage {
  std::map<std::string, std::uint64_t> counts;   // e.g. "will.published", "share.delivery", "session.resumed"
};

struct CheckOptions {
  // The trace ends with a liveness phase (network healed, persistent sessions reconnected, acks
  // released, time let run): everything still owed to a connected client must have arrived.
  bool liveness = false;
  // Slack for the broker's whole-second timers (keepalive, will delay, expiry), in ms.
  std::uint32_t timer_slack_ms = 2000;
  // Hold the broker to QoS 0 deliveries to a connected, idle subscriber on a quiet link (the
  // specification lets QoS 0 be lost; under no pressure at all a lost one is still a finding).
  bool qos0_when_idle = true;
};

struct Verdict {
  std::optional<Violation> violation;   // the first one, if any
  Coverage coverage;
  bool ok() const { return !violation.has_value(); }
};

Verdict check(const Trace& trace, const BrokerConfig& config, const CheckOptions& options = {});

}  // namespace mqsim::model
