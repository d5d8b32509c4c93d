// The broker settings a generated schedule varies (swarm testing: each seed picks its own) and
// the mosquitto.conf text they make. One struct for both generators of schedules, rapidcheck's
// swarm (props/generators.cpp) and the fuzzer's bytes (props/bytes_schedule.cpp), so the same
// settings always make the same configuration, written in one place.
#pragma once

#include <cstdint>
#include <string>

namespace mqsim {

struct BrokerKnobs {
  std::uint16_t max_inflight = 20;        // max_inflight_messages
  std::uint32_t max_queued = 1000;        // max_queued_messages
  bool queue_qos0 = false;                // queue_qos0_messages
  std::uint32_t sys_interval_s = 10;      // sys_interval (0: no $SYS updates)
  bool persistence = false;               // persistence, in /var/lib/mosquitto/
  std::uint16_t max_keepalive_s = 0;      // max_keepalive; 0: not set (Mosquitto's default: no cap)
  bool operator==(const BrokerKnobs&) const = default;
};

// The mosquitto.conf of these settings: one listener on 1883, anonymous clients allowed.
std::string mosquitto_conf(const BrokerKnobs& knobs);
// For people (Schedule::swarm): "inflight=20 queued=1000 qos0q=0 sys=10s persist=0", and
// " max_keepalive=60s" when it is set.
std::string knobs_text(const BrokerKnobs& knobs);

}  // namespace mqsim
