// Loading and matching the known-deviations list: see known_deviations.h.
#include "known_deviations.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

// The list the fixed broker was built from (CMake's MQSIM_KNOWN_DEVIATIONS_DIR).
#ifndef MQSIM_KNOWN_DEVIATIONS_DIR
#define MQSIM_KNOWN_DEVIATIONS_DIR "./props/known-deviations"
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
  return MQSIM_KNOWN_DEVIATIONS_DIR;
}

std::string fix_for_version(const std::string& cause_dir, const std::string& version) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path specific = fs::path(cause_dir) / ("fix-" + version + ".fix");
  if (!version.empty() && fs::is_regular_file(specific, ec)) return specific.string();
  const fs::path general = fs::path(cause_dir) / "fix.fix";
  return fs::is_regular_file(general, ec) ? general.string() : std::string();
}

namespace {

std::optional<nlohmann::json> read_json_object(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::vector<std::string> strings_of(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& v : j[key]) if (v.is_string()) out.push_back(v);
  }
  return out;
}

bool names_running_version(const std::vector<std::string>& versions) {
  const std::string running = mosquitto_version();
  return versions.empty() || running.empty() ||
         std::any_of(versions.begin(), versions.end(), [&](const std::string& v) { return version_entry_names(v, running); });
}

// The sorted entries of `dir` that pass `keep`: load order must not depend on the file system.
template <typename Keep>
std::vector<std::filesystem::path> sorted_entries(const std::filesystem::path& dir, Keep keep) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) if (keep(e)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool KnownDeviations::load_dir(const std::string& dir, std::string* error) {
  namespace fs = std::filesystem;
  list_.clear();
  causes_.clear();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return true;  // no list yet: nothing is tolerated
  const auto cause_dirs = sorted_entries(dir, [](const fs::directory_entry& e) { return e.is_directory() && fs::exists(e.path() / "cause.json"); });
  for (const auto& c : cause_dirs) {
    if (!load_cause(c.string(), error)) return false;
  }
  // The flat layout: each file is a face and a cause of its own, without a fix.
  const auto flat = sorted_entries(dir, [](const fs::directory_entry& e) { return e.is_regular_file() && e.path().extension() == ".json"; });
  for (const auto& f : flat) {
    if (!load_face(f.string(), f.stem().string(), error)) return false;
    const KnownDeviation& d = list_.back();
    Cause c;
    c.id = d.id;
    c.summary = d.summary;
    c.why = d.why;
    c.statements = {d.statement};
    c.versions = d.versions;
    c.for_this_version = d.for_this_version;
    c.faces = {d.id};
    causes_.push_back(std::move(c));
  }
  std::sort(causes_.begin(), causes_.end(), [](const Cause& a, const Cause& b) { return a.id < b.id; });
  return true;
}

bool KnownDeviations::load_cause(const std::string& cause_dir, std::string* error) {
  namespace fs = std::filesystem;
  const std::string file = (fs::path(cause_dir) / "cause.json").string();
  auto fail = [&](const std::string& what) {
    if (error) *error = file + ": " + what;
    return false;
  };
  const auto j = read_json_object(file);
  if (!j) return fail("not a JSON object");
  Cause c;
  c.id = fs::path(cause_dir).filename().string();
  c.dir = cause_dir;
  for (const char* key : {"summary", "why"}) {
    if (!j->contains(key) || !(*j)[key].is_string()) return fail(std::string(key) + ": missing or not a string");
  }
  c.summary = (*j)["summary"];
  c.why = (*j)["why"];
  c.statements = strings_of(*j, "statements");
  c.versions = strings_of(*j, "versions");
  if (c.versions.empty()) return fail("versions: missing or empty (a fix is built for the versions it names)");
  if (j->contains("root_cause") && (*j)["root_cause"].is_object()) {
    for (const auto& [version, where] : (*j)["root_cause"].items()) if (where.is_string()) c.root_cause[version] = where;
  }
  if (j->contains("fixed_in") && (*j)["fixed_in"].is_string()) c.fixed_in = (*j)["fixed_in"];
  if (j->contains("reported") && (*j)["reported"].is_string()) c.reported = (*j)["reported"];
  c.for_this_version = names_running_version(c.versions);
  if (c.for_this_version) c.fix_path = fix_for_version(cause_dir, mosquitto_version());
  const auto faces = sorted_entries(fs::path(cause_dir) / "faces", [](const fs::directory_entry& e) { return e.path().extension() == ".json"; });
  for (const auto& f : faces) {
    if (!load_face(f.string(), c.id, error)) return false;
    c.faces.push_back(list_.back().id);
  }
  causes_.push_back(std::move(c));
  return true;
}

bool KnownDeviations::load_face(const std::string& file, const std::string& cause, std::string* error) {
  namespace fs = std::filesystem;
  auto fail = [&](const std::string& what) {
    if (error) *error = file + ": " + what;
    return false;
  };
  const auto parsed = read_json_object(file);
  if (!parsed) return fail("not a JSON object");
  const nlohmann::json& j = *parsed;
  KnownDeviation d;
  d.id = fs::path(file).stem().string();
  d.cause = cause;
  d.path = file;
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
  d.when_config = strings_of(j, "when_config");
  d.versions = strings_of(j, "versions");
  d.for_this_version = names_running_version(d.versions);
  if (j.contains("schedule")) {
    std::string err;
    d.schedule = schedule_from_json(j["schedule"].dump(), &err);
    if (!d.schedule) return fail("schedule." + err);
  }
  if (face(d.id) != nullptr) return fail("a face named " + d.id + " is listed twice");
  list_.push_back(std::move(d));
  return true;
}

const Cause* KnownDeviations::cause(const std::string& id) const {
  for (const auto& c : causes_) if (c.id == id) return &c;
  return nullptr;
}

const KnownDeviation* KnownDeviations::face(const std::string& id) const {
  for (const auto& d : list_) if (d.id == id) return &d;
  return nullptr;
}

std::size_t KnownDeviations::causes_for_this_version() const {
  return static_cast<std::size_t>(std::count_if(causes_.begin(), causes_.end(), [](const Cause& c) { return c.for_this_version; }));
}

std::size_t KnownDeviations::fixes_for_this_version() const {
  return static_cast<std::size_t>(std::count_if(causes_.begin(), causes_.end(), [](const Cause& c) { return c.for_this_version && c.has_fix(); }));
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
