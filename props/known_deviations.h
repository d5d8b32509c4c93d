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

#include "schedule/schedule.h"

namespace mqsim::props {

struct KnownDeviation {
  std::string id;                   // file stem, e.g. "will-delay-after-session-end"
  std::string statement;            // "MQTT-3.1.3-9"
  std::string summary;              // one line
  std::string why;                  // the specification's words and why Mosquitto breaks them
  std::vector<std::string> versions;   // Mosquitto versions it reproduces on ("2.0.21 (Debian 2.0.21-1)")
  bool for_this_version = true;        // lists the Mosquitto this build runs (or lists none)
  std::string match;                // regular expression (ECMAScript) the violation's text must match ("" = any)
  std::vector<std::string> when_config;  // regexes, each matching a whole line of the schedule's mosquitto.conf;
                                         // `$1`..`$9`: the text `match`'s groups caught
  std::optional<Schedule> schedule; // the shrunk schedule
  std::string path;
};

class KnownDeviations {
 public:
  // Loads every *.json in `dir`. Returns false with `error` naming the file and field on bad input.
  bool load_dir(const std::string& dir, std::string* error);
  const std::vector<KnownDeviation>& all() const { return list_; }
  // The listed deviation this violation is an instance of, if any. Only deviations listed for
  // the Mosquitto version this build runs are tolerated: a bug of an old release must not hide
  // the same symptom in a newer one.
  const KnownDeviation* match(const std::string& statement, const std::string& violation_text,
                              const std::string& mosquitto_conf = "") const;
  // Whether this violation is an instance of `d`, whatever the versions `d` lists.
  static bool shows(const KnownDeviation& d, const std::string& statement, const std::string& violation_text,
                    const std::string& mosquitto_conf);
  // How many deviations are listed for this build's Mosquitto version.
  std::size_t count_for_this_version() const;
 private:
  std::vector<KnownDeviation> list_;
};

// The Mosquitto version this build runs ("2.0.21"), and whether a `versions` entry names it: the
// entry's first word is compared ("2.0.11 (upstream tarball)" names 2.0.11, patched or not).
std::string mosquitto_version();
bool version_entry_names(const std::string& entry, const std::string& version);

// Where the repository's list lives (compiled in; overridable with MQSIM_KNOWN_DEVIATIONS).
std::string default_known_deviations_dir();

}  // namespace mqsim::props
