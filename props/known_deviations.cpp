// Loading and matching the known-deviations list: see known_deviations.h.
#include "known_deviations.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#ifndef MQSIM_SOURCE_DIR
#define MQSIM_SOURCE_DIR "."
#endif

#ifndef MQSIM_MOSQUITTO_VERSION_STR
#define MQSIM_MOSQUITTO_VERSION_STR ""
#endif

namespace mqsim::props {

std::string mosquitto_version() { return MQSIM_MOSQUITTO_VERSION_STR; }

bool version_entry_names(const std::string& entry, const std::string& version) {
  return !version.empty() && entry.substr(0, entry.find(' ')) == version;
}

std::string default_known_deviations_dir() {
  if (const char* env = std::getenv("MQSIM_KNOWN_DEVIATIONS")) return env;
  return std::string(MQSIM_SOURCE_DIR) + "/props/known-deviations";
}

bool KnownDeviations::load_dir(const std::string& dir, std::string* error) {
  namespace fs = std::filesystem;
  list_.clear();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return true;  // no list yet: nothing is tolerated
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // deterministic order
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    auto fail = [&](const std::string& what) {
      if (error) *error = f.string() + ": " + what;
      return false;
    };
    if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
    KnownDeviation d;
    d.id = f.stem().string();
    d.path = f.string();
    for (const char* key : {"statement", "summary", "why"}) {
      if (!j.contains(key) || !j[key].is_string()) return fail(std::string(key) + ": missing or not a string");
    }
    d.statement = j["statement"];
    d.summary = j["summary"];
    d.why = j["why"];
    if (j.contains("match") && j["match"].is_string()) {
      d.match = j["match"];
      try {
        std::regex check(d.match);
      } catch (const std::regex_error& e) {
        return fail(std::string("match: not a regular expression: ") + e.what());
      }
    }
    if (j.contains("when_config") && j["when_config"].is_array()) {
      for (const auto& line : j["when_config"]) if (line.is_string()) d.when_config.push_back(line);
    }
    if (j.contains("versions") && j["versions"].is_array()) {
      for (const auto& v : j["versions"]) if (v.is_string()) d.versions.push_back(v);
    }
    const std::string running = mosquitto_version();
    d.for_this_version = d.versions.empty() || running.empty() ||
        std::any_of(d.versions.begin(), d.versions.end(), [&](const std::string& v) { return version_entry_names(v, running); });
    if (j.contains("schedule")) {
      std::string err;
      d.schedule = schedule_from_json(j["schedule"].dump(), &err);
      if (!d.schedule) return fail("schedule." + err);
    }
    list_.push_back(std::move(d));
  }
  return true;
}

namespace {
// A when_config entry with `$1`..`$9` replaced by what the match's groups caught (as literal
// text), so a deviation can tie a number in the violation to the configuration's value.
std::string with_groups(const std::string& line, const std::smatch& groups) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const bool ref = line[i] == '$' && i + 1 < line.size() && line[i + 1] >= '1' && line[i + 1] <= '9';
    const auto n = ref ? static_cast<std::size_t>(line[i + 1] - '0') : 0;
    if (!ref || n >= groups.size()) {
      out += line[i];
      continue;
    }
    out += std::regex_replace(groups[n].str(), special, R"(\$&)");
    ++i;
  }
  return out;
}
}  // namespace

bool KnownDeviations::shows(const KnownDeviation& d, const std::string& statement, const std::string& violation_text,
                            const std::string& mosquitto_conf) {
  if (d.statement != statement) return false;
  std::smatch groups;
  if (!d.match.empty() && !std::regex_search(violation_text, groups, std::regex(d.match))) return false;
  // Each when_config entry is a regular expression one whole line of the config must match.
  return std::all_of(d.when_config.begin(), d.when_config.end(), [&](const std::string& line) {
    return std::regex_search(mosquitto_conf, std::regex("(^|\n)" + with_groups(line, groups) + "(\n|$)"));
  });
}

const KnownDeviation* KnownDeviations::match(const std::string& statement, const std::string& violation_text,
                                             const std::string& mosquitto_conf) const {
  for (const auto& d : list_) {
    if (d.for_this_version && shows(d, statement, violation_text, mosquitto_conf)) return &d;
  }
  return nullptr;
}

std::size_t KnownDeviations::count_for_this_version() const {
  return static_cast<std::size_t>(std::count_if(list_.begin(), list_.end(), [](const KnownDeviation& d) { return d.for_this_version; }));
}

}  // namespace mqsim::props
