// Reads the few mosquitto.conf(5) options the reference model needs (see broker_config.h).
// It must never try to be Mosquitto's parser: unknown options and options it does not need are
// skipped, and only a malformed value of an option it does read is an error.
#include "model/broker_config.h"

#include <cassert>
#include <charconv>
#include <limits>
#include <vector>

namespace mqsim::model {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  for (std::size_t guard = 0; guard < line.size() + 1 && at < line.size(); ++guard) {
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t' || line[at] == '\r')) ++at;
    const std::size_t start = at;
    while (at < line.size() && line[at] != ' ' && line[at] != '\t' && line[at] != '\r') ++at;
    if (at > start) words.push_back(line.substr(start, at - start));
  }
  return words;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max_value) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max_value) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

// "3600", "1h", "2d", "1w", "1m" (month), "1y": mosquitto.conf(5) persistent_client_expiration.
std::optional<std::uint64_t> parse_duration_s(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t unit_s = 1;
  switch (text.back()) {
    case 'h': unit_s = 3600; break;
    case 'd': unit_s = 86400; break;
    case 'w': unit_s = 7 * 86400; break;
    case 'm': unit_s = 30 * 86400; break;
    case 'y': unit_s = 365 * 86400; break;
    default: unit_s = 0; break;
  }
  const std::string_view digits = unit_s == 0 ? text : text.substr(0, text.size() - 1);
  const auto value = parse_unsigned(digits, std::numeric_limits<std::uint32_t>::max());
  if (!value) return std::nullopt;
  return *value * (unit_s == 0 ? 1 : unit_s);
}

// Applies one "name value..." line. Returns an error text for a malformed value, "" otherwise.
std::string apply(BrokerConfig& c, std::string_view name, const std::vector<std::string_view>& args) {
  assert(!name.empty());
  if (args.empty()) return "";  // a bare option name: nothing the model reads
  const std::string_view v = args[0];
  auto number = [&](auto& field, std::uint64_t max_value) -> std::string {
    const auto n = parse_unsigned(v, max_value);
    if (!n) return std::string(name) + ": not a number in range: '" + std::string(v) + "'";
    field = static_cast<std::remove_reference_t<decltype(field)>>(*n);
    return "";
  };
  auto flag = [&](bool& field) -> std::string {
    const auto b = parse_bool(v);
    if (!b) return std::string(name) + ": expected true or false, got '" + std::string(v) + "'";
    field = *b;
    return "";
  };
  if (name == "max_inflight_messages") return number(c.max_inflight_messages, 65535);
  if (name == "max_queued_messages") return number(c.max_queued_messages, std::numeric_limits<std::uint32_t>::max());
  if (name == "max_queued_bytes") return number(c.max_queued_bytes, std::numeric_limits<std::uint64_t>::max());
  if (name == "sys_interval") return number(c.sys_interval_s, std::numeric_limits<std::uint32_t>::max());
  if (name == "max_keepalive") return number(c.max_keepalive_s, 65535);
  if (name == "max_qos") return number(c.max_qos, 2);
  if (name == "message_size_limit") return number(c.message_size_limit, std::numeric_limits<std::uint32_t>::max());
  if (name == "max_packet_size") return number(c.max_packet_size, std::numeric_limits<std::uint32_t>::max());
  if (name == "max_topic_alias") return number(c.max_topic_alias, 65535);
  if (name == "queue_qos0_messages") return flag(c.queue_qos0_messages);
  if (name == "persistence") return flag(c.persistence);
  if (name == "retain_available") return flag(c.retain_available);
  if (name == "allow_zero_length_clientid") return flag(c.allow_zero_length_clientid);
  if (name == "allow_anonymous") return flag(c.allow_anonymous);
  if (name == "upgrade_outgoing_qos") return flag(c.upgrade_outgoing_qos);
  if (name == "persistent_client_expiration") {
    const auto s = parse_duration_s(v);
    if (!s) return "persistent_client_expiration: malformed duration '" + std::string(v) + "'";
    c.persistent_client_expiration_s = *s;
    return "";
  }
  return "";
}

}  // namespace

std::optional<BrokerConfig> parse_broker_config(std::string_view conf_text, std::string* error) {
  BrokerConfig config;
  bool listener_seen = false;
  std::size_t line_no = 0;
  std::size_t at = 0;
  for (std::size_t guard = 0; guard <= conf_text.size() && at <= conf_text.size(); ++guard) {
    const std::size_t nl = conf_text.find('\n', at);
    const std::string_view line = conf_text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    ++line_no;
    const auto words = split_words(line);
    if (!words.empty() && words[0][0] != '#') {
      const std::vector<std::string_view> args(words.begin() + 1, words.end());
      std::string bad;
      if (words[0] == "listener") {
        std::uint16_t port = 0;
        if (args.empty()) bad = "listener: missing port";
        else bad = [&] {
          const auto n = parse_unsigned(args[0], 65535);
          if (!n) return "listener: bad port '" + std::string(args[0]) + "'";
          port = static_cast<std::uint16_t>(*n);
          return std::string();
        }();
        if (bad.empty() && !listener_seen) config.first_listener_port = port;
        listener_seen = true;
      } else {
        bad = apply(config, words[0], args);
      }
      if (!bad.empty()) {
        if (error) *error = "line " + std::to_string(line_no) + ": " + bad;
        return std::nullopt;
      }
    }
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return config;
}

}  // namespace mqsim::model
