// The broker settings the reference model must know, read from the same mosquitto.conf text the
// broker gets. Where Mosquitto's configuration narrows what the MQTT specification allows
// (queue limits, inflight windows, $SYS interval, keepalive caps), the model applies the same
// narrowing; every such use is listed in docs/mosquitto-allowances.md.
//
// Written from Mosquitto's documented configuration (mosquitto.conf(5)), not from its code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mqsim::model {

struct BrokerConfig {
  std::uint16_t max_inflight_messages = 20;     // per client, outgoing QoS 1/2; 0 = unlimited
  std::uint32_t max_queued_messages = 1000;     // per client; 0 = unlimited
  std::uint64_t max_queued_bytes = 0;           // 0 = unlimited
  bool queue_qos0_messages = false;
  std::uint32_t sys_interval_s = 10;            // 0 = $SYS disabled
  std::uint16_t max_keepalive_s = 65535;
  bool persistence = false;
  bool retain_available = true;
  bool allow_zero_length_clientid = true;
  bool allow_anonymous = false;
  std::uint8_t max_qos = 2;
  std::uint32_t message_size_limit = 0;         // 0 = unlimited
  std::uint32_t max_packet_size = 0;            // 0 = unlimited
  bool upgrade_outgoing_qos = false;
  std::optional<std::uint64_t> persistent_client_expiration_s;  // v3.1.1 / expiry-never sessions
  std::uint16_t max_topic_alias = 10;
  std::uint16_t first_listener_port = 1883;
};

// Parses `conf_text`. Unknown options are ignored (the model only needs the ones above). On a
// malformed value of a known option, returns nullopt and sets `error` to "line N: ...".
std::optional<BrokerConfig> parse_broker_config(std::string_view conf_text, std::string* error = nullptr);

}  // namespace mqsim::model
