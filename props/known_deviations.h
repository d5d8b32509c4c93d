// Known deviations: true departures of Mosquitto from the MQTT specification that the model has
// found and people have confirmed from the specification text. Each is one JSON file in
// props/known-deviations/ with the statement, the shrunk schedule that shows it, the Mosquitto
// versions it reproduces on and why it is a deviation. Campaigns tolerate them (reported
// separately, so CI stays green while new deviations still fail it) and re-run each listed
// schedule so a deviation that stops reproducing is reported as fixed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/schedule.h"

namespace mqsim::props {

struct KnownDeviation {
  std::string id;                   // file stem, e.g. "will-delay-after-session-end"
  std::string statement;            // "MQTT-3.1.3-9"
  std::string summary;              // one line
  std::string why;                  // the specification's words and why Mosquitto breaks them
  std::vector<std::string> versions;   // Mosquitto versions it reproduces on
  std::string match;                // regular expression (ECMAScript) the violation's text must match ("" = any)
  std::vector<std::string> when_config;  // regexes, each matching a whole line of the schedule's mosquitto.conf
  std::optional<Schedule> schedule; // the shrunk schedule
  std::string path;
};

class KnownDeviations {
 public:
  // Loads every *.json in `dir`. Returns false with `error` naming the file and field on bad input.
  bool load_dir(const std::string& dir, std::string* error);
  const std::vector<KnownDeviation>& all() const { return list_; }
  // The listed deviation this violation is an instance of, if any.
  const KnownDeviation* match(const std::string& statement, const std::string& violation_text,
                              const std::string& mosquitto_conf = "") const;
 private:
  std::vector<KnownDeviation> list_;
};

// Where the repository's list lives (compiled in; overridable with MQSIM_KNOWN_DEVIATIONS).
std::string default_known_deviations_dir();

}  // namespace mqsim::props
