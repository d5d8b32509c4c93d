// `mqsim merge`: one morning report from several `mqsim fuzz --out` directories (the shards of a
// nightly matrix, or several nights): new failures first (deduplicated: the same statement and
// shrunk schedule found by two shards is one finding), then the known causes with their run
// counts per cause and per Mosquitto version (a shard's state files say which version it ran).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "props/known_deviations.h"

namespace mqsim::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct NewFailure {
  std::string key;           // the failure directory's name (statement + schedule hash)
  std::string dir;           // the first directory holding it
  std::string headline;      // verdict.txt's first line
  std::string version;
  std::size_t shards = 0;    // how many campaign dirs found it
};

struct Morning {
  std::uint64_t schedules = 0, failing_runs = 0, known_runs = 0;
  std::set<std::string> versions;
  std::map<std::string, std::map<std::string, std::uint64_t>> known;   // cause -> version -> runs
  std::map<std::string, NewFailure> fresh;                             // key -> failure
};

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Adds one campaign directory. False with `error` when it is not one.
bool add_campaign(const fs::path& dir, Morning& m, std::string* error) {
  if (!fs::is_regular_file(dir / "campaign.json") || !fs::is_directory(dir / "state")) {
    *error = dir.string() + ": not a `mqsim fuzz --out` directory (no campaign.json and state/)";
    return false;
  }
  std::string version = "?";
  std::error_code ec;
  std::vector<fs::path> states;
  for (const auto& e : fs::directory_iterator(dir / "state", ec)) if (e.path().extension() == ".json") states.push_back(e.path());
  std::sort(states.begin(), states.end());
  for (const auto& f : states) {
    std::ifstream in(f);
    const auto j = json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("done")) {
      *error = f.string() + ": not a job state file (no \"done\")";
      return false;
    }
    // Every count a whole number, the version a string: anything else names the file and field.
    const auto count = [&](const char* key, std::uint64_t* out) {
      if (!j.contains(key)) return true;
      if (!j[key].is_number_unsigned()) {
        *error = f.string() + ": field \"" + key + "\": expected a whole number";
        return false;
      }
      *out += j[key].get<std::uint64_t>();
      return true;
    };
    if (j.contains("mosquitto")) {
      if (!j["mosquitto"].is_string()) {
        *error = f.string() + ": field \"mosquitto\": expected a string";
        return false;
      }
      version = j["mosquitto"].get<std::string>();
    }
    if (!count("done", &m.schedules) || !count("failing_runs", &m.failing_runs) || !count("known_runs", &m.known_runs)) return false;
    if (j.contains("known_by_cause") && j["known_by_cause"].is_object()) {
      for (const auto& [cause, runs] : j["known_by_cause"].items()) {
        if (!runs.is_number_unsigned()) {
          *error = f.string() + ": field \"known_by_cause\"." + cause + ": expected a whole number";
          return false;
        }
        m.known[cause][version] += runs.get<std::uint64_t>();
      }
    }
  }
  m.versions.insert(version);
  std::vector<fs::path> failures;
  for (const auto& e : fs::directory_iterator(dir / "failures", ec)) {
    if (e.is_directory() && e.path().filename().string()[0] != '.') failures.push_back(e.path());
  }
  std::sort(failures.begin(), failures.end());
  for (const auto& f : failures) {
    NewFailure& n = m.fresh[f.filename().string()];
    if (n.shards++ == 0) {
      n.key = f.filename().string();
      n.dir = f.string();
      n.headline = first_line(f / "verdict.txt");
      n.version = version;
    }
  }
  return true;
}

void print_morning(const Morning& m, std::size_t dirs, const props::KnownDeviations& known) {
  std::string versions;
  for (const auto& v : m.versions) versions += (versions.empty() ? "" : ", ") + v;
  std::printf("mqsim merge: %zu campaign director%s, Mosquitto %s: %" PRIu64 " schedules, %" PRIu64 " failing runs not explained, %" PRIu64
              " runs the fixed broker passes\n", dirs, dirs == 1 ? "y" : "ies", versions.c_str(), m.schedules, m.failing_runs, m.known_runs);
  std::printf("\nNEW FAILURES (fail on the fixed broker too): %zu\n", m.fresh.size());
  for (const auto& [key, n] : m.fresh) {
    std::printf("  %s  [%s, %zu shard%s]\n    %s\n    replay: mqsim replay %s   explain: mqsim explain %s\n", key.c_str(), n.version.c_str(), n.shards,
                n.shards == 1 ? "" : "s", n.headline.c_str(), n.dir.c_str(), n.dir.c_str());
  }
  std::printf("\nKNOWN CAUSES (runs per cause and version)\n");
  std::printf("  %-52s", "cause");
  for (const auto& v : m.versions) std::printf(" %10s", v.c_str());
  std::printf("\n");
  for (const auto& [cause, by_version] : m.known) {
    std::printf("  %-52s", cause.c_str());
    for (const auto& v : m.versions) {
      const auto it = by_version.find(v);
      std::printf(" %10" PRIu64, it == by_version.end() ? 0 : it->second);
    }
    const props::Cause* c = known.cause(cause);
    std::printf("%s\n", c == nullptr && cause != "unattributed" ? "  (not in the list here)" : "");
  }
}

}  // namespace

int run_merge(const MergeArgs& args) {
  Morning m;
  std::string error;
  for (const auto& d : args.dirs) {
    if (!add_campaign(d, m, &error)) {
      std::fprintf(stderr, "mqsim merge: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  props::KnownDeviations known;
  if (!known.load_dir(args.known_dir.value_or(props::default_known_deviations_dir()), &error)) {
    std::fprintf(stderr, "mqsim merge: known deviations: %s\n", error.c_str());
    return kExitUsage;
  }
  print_morning(m, args.dirs.size(), known);
  return m.fresh.empty() ? kExitOk : kExitFound;
}

}  // namespace mqsim::cli
