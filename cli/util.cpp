// Small helpers shared by the subcommands: durations, files, config validation.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "model/broker_config.h"
#include "props/tolerance.h"
#include "sim/runner.h"

#include <filesystem>

namespace mqsim::cli {

std::optional<double> parse_duration_s(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "ms") scale = 0.001;
  else if (unit == "m" || unit == "min") scale = 60;
  else if (unit == "h") scale = 3600;
  else return std::nullopt;
  // Not a number, not positive, or longer than a year: a typo, not a campaign.
  constexpr double kYear_s = 365.0 * 24 * 3600;
  if (!(value > 0) || !(value * scale <= kYear_s)) return std::nullopt;
  return value * scale;
}

std::optional<std::string> read_file(const std::string& path, std::string* error) {
  if (path.empty()) {  // "" given as a file name (an unset shell variable, say): say so, not ": cannot open"
    if (error) *error = "\"\" (an empty file name): cannot open";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = path + ": cannot open (" + std::strerror(errno) + ")";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool validate_config(const std::string& path, const std::string& text, std::string* error) {
  std::string why;
  if (!model::parse_broker_config(text, &why)) {
    *error = path + ": " + why;
    return false;
  }
  SimConfig c;
  c.mosquitto_conf = text;
  auto r = run(c, [](Sim&) {});
  if (r.outcome == Outcome::StartFailed || r.outcome == Outcome::Crashed) {
    // Mosquitto names the offending line itself ("Error: ... line N"); pass its words on.
    // Its log says where the config lives in the sandbox and stamps virtual time; people want
    // their own file's name and just the words.
    std::string said;
    for (std::string l : r.trace.log_lines()) {
      if (l.find("rror") == std::string::npos) continue;
      if (auto colon = l.find(": "); colon != std::string::npos && l.find_first_not_of("0123456789") == colon) l.erase(0, colon + 2);
      for (std::size_t at; (at = l.find("/mqsim/mosquitto.conf")) != std::string::npos;) l.replace(at, 21, path);
      said += (said.empty() ? "" : " ") + l;
    }
    *error = path + ": Mosquitto rejects this config: " + (said.empty() ? r.detail : said);
    return false;
  }
  return true;
}

bool load_config_arg(const char* command, const std::optional<std::string>& path, std::optional<std::string>* text) {
  if (!path) return true;
  std::string error;
  auto content = read_file(*path, &error);
  if (!content || !validate_config(*path, *content, &error)) {
    std::fprintf(stderr, "mqsim %s: --config %s\n", command, error.c_str());
    return false;
  }
  *text = std::move(content);
  return true;
}

bool is_reference_program() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::canonical("/proc/self/exe", ec);
  if (ec) return false;
  const auto refs = props::ReferencePrograms::built_in();
  if (fs::equivalent(self, refs.fixed, ec)) return true;
  for (const auto& [cause, program] : refs.without) {
    if (fs::equivalent(self, program, ec)) return true;
  }
  return false;
}

}  // namespace mqsim::cli
