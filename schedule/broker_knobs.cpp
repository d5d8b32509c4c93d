// The broker settings of a generated schedule and their mosquitto.conf. See broker_knobs.h.
#include "broker_knobs.h"

#include <cassert>

namespace mqsim {

std::string mosquitto_conf(const BrokerKnobs& k) {
  assert(k.max_inflight > 0 && k.max_queued > 0);  // 0 would mean "no limit" to Mosquitto
  std::string c = "listener 1883\nallow_anonymous true\n";
  c += "max_inflight_messages " + std::to_string(k.max_inflight) + "\n";
  c += "max_queued_messages " + std::to_string(k.max_queued) + "\n";
  c += std::string("queue_qos0_messages ") + (k.queue_qos0 ? "true" : "false") + "\n";
  c += "sys_interval " + std::to_string(k.sys_interval_s) + "\n";
  if (k.max_keepalive_s > 0) c += "max_keepalive " + std::to_string(k.max_keepalive_s) + "\n";
  if (k.persistence) c += "persistence true\npersistence_location /var/lib/mosquitto/\n";
  return c;
}

std::string knobs_text(const BrokerKnobs& k) {
  return "inflight=" + std::to_string(k.max_inflight) + " queued=" + std::to_string(k.max_queued) +
         " qos0q=" + (k.queue_qos0 ? "1" : "0") + " sys=" + std::to_string(k.sys_interval_s) + "s" +
         " persist=" + (k.persistence ? "1" : "0") +
         (k.max_keepalive_s > 0 ? " max_keepalive=" + std::to_string(k.max_keepalive_s) + "s" : std::string());
}

}  // namespace mqsim
