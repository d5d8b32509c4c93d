// Known deviations: true departures of Mosquitto from the MQTT specification that the model has
// found and people have confirmed from the specification text. One ROOT CAUSE per directory of
// props/known-deviations/ (props/known-deviations/README.md):
//   <cause>/cause.json        the cause: summary, statements, why, root_cause per version, versions
//   <cause>/fix.fix           the minimal fix (find/replace hunks), fix-<ver>.fix where a version differs
//   <cause>/faces/<face>.json one shrunk schedule that shows the cause, with the statement it breaks
//                             and a regex over the violation's text (a label hint, never a decision)
// The build makes a "fixed" broker with the fix of every cause listed for its version
// (vendor/fixed-broker.cmake); a failing run is tolerated iff it passes there (props/tolerance.h).
// The older flat layout (one <face>.json per file, no fix) still loads: each file is then a cause
// of its own without a fix, and only its regex can recognise it (reported as such).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace mqsim::props {

// One face: a statement a cause shows up under, with the shrunk schedule that shows it.
struct KnownDeviation {
  std::string id;                   // file stem, e.g. "will-delay-after-session-end"
  std::string cause;                // the root cause's id (its directory; the file stem in the flat layout)
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

// One root cause of Mosquitto's, with its fix.
struct Cause {
  std::string id;                           // directory name, e.g. "will-dropped-on-disconnect-with-error"
  std::string dir;                          // where it lives ("" in the flat layout)
  std::string summary;
  std::string why;
  std::vector<std::string> statements;
  std::map<std::string, std::string> root_cause;   // version ("2.0.21") -> "src/file.c:NN"
  std::vector<std::string> versions;        // as in cause.json ("2.0.21 (Debian 2.0.21-1)")
  std::string fixed_in;                     // the release that fixed it upstream, if any
  std::string reported;
  bool for_this_version = true;             // `versions` names this build's Mosquitto (or is empty)
  std::string fix_path;                     // the fix for this build's version ("" = none)
  std::vector<std::string> faces;           // face ids, sorted
  bool has_fix() const { return !fix_path.empty(); }
};

class KnownDeviations {
 public:
  // Loads `dir`: every <cause>/cause.json with its fixes and faces/*.json, and any flat *.json.
  // Returns false with `error` naming the file and field on bad input. A missing dir is an
  // empty list.
  bool load_dir(const std::string& dir, std::string* error);
  const std::vector<KnownDeviation>& all() const { return list_; }
  const std::vector<Cause>& causes() const { return causes_; }
  const Cause* cause(const std::string& id) const;
  const KnownDeviation* face(const std::string& id) const;
  // The listed face this violation looks like, if any (statement + regex + config): a HINT of the
  // cause. Only faces listed for the Mosquitto version this build runs count.
  const KnownDeviation* match(const std::string& statement, const std::string& violation_text,
                              const std::string& mosquitto_conf = "") const;
  // Whether this violation is an instance of `d`, whatever the versions `d` lists.
  static bool shows(const KnownDeviation& d, const std::string& statement, const std::string& violation_text,
                    const std::string& mosquitto_conf);
  // How many faces are listed for this build's Mosquitto version.
  std::size_t count_for_this_version() const;
  // How many causes are listed for this build's version, and how many of those carry a fix.
  std::size_t causes_for_this_version() const;
  std::size_t fixes_for_this_version() const;
 private:
  bool load_cause(const std::string& cause_dir, std::string* error);
  bool load_face(const std::string& file, const std::string& cause, std::string* error);
  std::vector<KnownDeviation> list_;
  std::vector<Cause> causes_;
};

// The Mosquitto version this build runs ("2.0.21"), and whether a `versions` entry names it: the
// entry's first word is compared ("2.0.11 (upstream tarball)" names 2.0.11, patched or not).
std::string mosquitto_version();
bool version_entry_names(const std::string& entry, const std::string& version);
// The fix of a cause directory for `version`: fix-<version>.fix when there is one, else fix.fix,
// else "" (the same choice vendor/fixed-broker.cmake makes).
std::string fix_for_version(const std::string& cause_dir, const std::string& version);

// Where the repository's list lives (compiled in; overridable with MQSIM_KNOWN_DEVIATIONS).
std::string default_known_deviations_dir();

}  // namespace mqsim::props
