// `mqsim check`: a bounded property campaign with a live progress line, a summary a reviewer
// reads in ten seconds, failure artifacts, JUnit XML and an exit status CI can gate on.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/artifacts.h"
#include "cli/commands.h"
#include "props/campaign.h"

namespace mqsim::cli {
namespace {

std::string human_duration(double s) {
  char buf[64];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm %02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh %02dm", int(s) / 3600, int(s) % 3600 / 60);
  return buf;
}

struct ProgressPrinter {
  bool tty = isatty(STDERR_FILENO);
  double last_print_s = -1;

  void operator()(const props::CampaignStats& st, const props::Finding* fresh) {
    if (fresh) {
      if (tty) std::fprintf(stderr, "\r\033[K");
      std::fprintf(stderr, "  FOUND %s\n", fresh->headline().c_str());
    }
    const double every_s = tty ? 0.1 : 5.0;
    if (st.elapsed_s - last_print_s < every_s && !fresh) return;
    last_print_s = st.elapsed_s;
    const double rate = st.elapsed_s > 0 ? double(st.schedules) / st.elapsed_s : 0;
    std::fprintf(stderr, "%s  %8" PRIu64 " schedules  %7.0f/s  %" PRIu64 " failures  %" PRIu64 " known  %s%s",
                 tty ? "\r\033[K" : "", st.schedules, rate, st.failures, st.known, human_duration(st.elapsed_s).c_str(),
                 tty ? "" : "\n");
  }
};

// Tolerated runs grouped by the root cause ablation named, most frequent first.
void print_known_by_cause(const props::CampaignReport& rep, const props::KnownDeviations& known) {
  if (rep.stats.known_by_cause.empty()) return;
  std::vector<std::pair<std::uint64_t, std::string>> order;
  for (const auto& [label, runs] : rep.stats.known_by_cause) order.emplace_back(runs, label);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::printf("\n  known causes (runs the fixed broker passes, by the cause ablation names)\n");
  for (const auto& [runs, label] : order) {
    const props::Finding* first = nullptr;
    for (const auto& k : rep.known) if (k.known_deviation == label) first = &k;
    const props::Cause* c = known.cause(label);
    std::printf("    %7" PRIu64 "  %-48s first seed %" PRIu64 "%s\n", runs, label.c_str(), first ? first->seed : 0,
                c != nullptr && !c->dir.empty() ? ("  " + c->dir).c_str() : "");
    if (first != nullptr && !first->attribution.empty()) std::printf("             %s\n", first->attribution.c_str());
  }
}

void print_summary(const props::CampaignReport& rep, const std::vector<std::string>& dirs, const props::KnownDeviations& known, bool tolerant,
                   const std::string& replayer) {
  const auto& st = rep.stats;
  std::printf("\nmqsim check — Mosquitto %s%s\n", MQSIM_MOSQUITTO_VERSION_STR, tolerant ? "" : " (fixed broker, no tolerance)");
  std::printf("  %-22s %" PRIu64 "\n", "schedules", st.schedules);
  std::printf("  %-22s %" PRIu64 "\n", "steps", st.ops);
  std::printf("  %-22s %s\n", "virtual time covered", human_duration(double(st.virtual_ms) / 1000).c_str());
  std::printf("  %-22s %s (%.0f schedules/s)\n", "wall time", human_duration(st.elapsed_s).c_str(), st.elapsed_s > 0 ? double(st.schedules) / st.elapsed_s : 0.0);
  std::printf("  %-22s %" PRIu64 "%s\n", "new failures", st.failures, st.failures ? "  <-- FAIL" : "");
  if (tolerant) {
    std::printf("  %-22s %" PRIu64 " runs, %zu cause(s) of %zu listed for %s (%zu with a fix in the fixed broker)\n", "known (fixed broker passes)",
                st.known, st.known_by_cause.size(), known.causes_for_this_version(), MQSIM_MOSQUITTO_VERSION_STR, known.fixes_for_this_version());
    std::printf("  %-22s %.1f s in %" PRIu64 " reference runs (%.0f %% of the wall time)\n", "cost of tolerance", st.tolerance_s, st.reference_runs,
                st.elapsed_s > 0 ? 100.0 * st.tolerance_s / st.elapsed_s : 0.0);
    if (!rep.tolerance_note.empty()) std::printf("  WARNING: %s\n", rep.tolerance_note.c_str());
  } else {
    std::printf("  %-22s none: every failure counts\n", "tolerance");
  }
  if (!st.coverage.empty()) {
    std::printf("\n  reach (how often each behaviour was exercised)\n");
    for (const auto& [k, v] : st.coverage) std::printf("    %-28s %" PRIu64 "\n", k.c_str(), v);
  }
  for (std::size_t i = 0; i < rep.findings.size(); ++i) {
    std::printf("\n  FAIL %zu: %s\n", i + 1, rep.findings[i].headline().c_str());
    if (rep.findings[i].evaluation.violation) std::printf("        %s\n", rep.findings[i].evaluation.violation->text().c_str());
    std::printf("        artifacts: %s\n        replay:    %s replay %s\n", dirs[i].c_str(), replayer.c_str(), dirs[i].c_str());
    const auto& others = rep.findings[i].other_seeds;
    if (!others.empty()) {
      std::printf("        same signature, not shrunk: seed");
      for (std::uint64_t s : others) std::printf(" %" PRIu64, s);
      std::printf("%s\n", others.size() >= props::Finding::kMaxOtherSeeds ? " ..." : "");
    }
  }
  print_known_by_cause(rep, known);
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool write_junit(const std::string& path, const props::CampaignReport& rep, const std::vector<std::string>& dirs, std::string* error) {
  std::ofstream out(path);
  if (!out) {
    *error = path + ": cannot write";
    return false;
  }
  const auto& st = rep.stats;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuite name=\"mqsim check\" tests=\"" << 1 + rep.findings.size() + rep.known.size() << "\" failures=\"" << rep.findings.size()
      << "\" skipped=\"" << rep.known.size() << "\" time=\"" << st.elapsed_s << "\">\n";
  out << "  <testcase classname=\"mqsim.check\" name=\"" << st.schedules << " schedules against Mosquitto " << MQSIM_MOSQUITTO_VERSION_STR << "\" time=\"" << st.elapsed_s << "\"/>\n";
  for (std::size_t i = 0; i < rep.findings.size(); ++i) {
    const auto& f = rep.findings[i];
    out << "  <testcase classname=\"mqsim.check\" name=\"seed " << f.seed << "\">\n    <failure message=\"" << xml_escape(f.headline()) << "\">"
        << xml_escape((f.evaluation.violation ? f.evaluation.violation->text() : f.evaluation.result.detail) + "\nreplay: mqsim replay " + dirs[i])
        << "</failure>\n  </testcase>\n";
  }
  for (const auto& k : rep.known) {
    out << "  <testcase classname=\"mqsim.known\" name=\"" << xml_escape(*k.known_deviation) << "\"><skipped message=\"known cause: "
        << rep.stats.known_by_cause.at(*k.known_deviation) << " runs pass on the fixed broker\"/></testcase>\n";
  }
  out << "</testsuite>\n";
  return bool(out);
}

}  // namespace

int run_check(const CheckArgs& args) {
  props::CampaignOptions opt;
  opt.first_seed = args.seed;
  opt.schedules = args.time_s ? 0 : args.schedules;
  opt.time_limit_s = args.time_s.value_or(0);
  opt.size = args.size;
  opt.stop_at_first_failure = args.fail_fast;
  std::string error;
  if (!load_config_arg("check", args.config_path, &opt.conf_override)) return kExitUsage;
  std::error_code ec;
  std::filesystem::create_directories(args.out_dir, ec);
  if (ec || access(args.out_dir.c_str(), W_OK) != 0) {
    std::fprintf(stderr, "mqsim check: --out %s: not a writable directory\n", args.out_dir.c_str());
    return kExitUsage;
  }
  if (args.junit_path) {
    std::ofstream probe(*args.junit_path, std::ios::app);
    if (!probe) {
      std::fprintf(stderr, "mqsim check: --junit %s: cannot write there\n", args.junit_path->c_str());
      return kExitUsage;
    }
  }
  props::KnownDeviations known;
  const std::string known_dir = args.known_dir.value_or(props::default_known_deviations_dir());
  if (!known.load_dir(known_dir, &error)) {
    std::fprintf(stderr, "mqsim check: known deviations: %s\n", error.c_str());
    return kExitUsage;
  }
  if (args.broker == "fixed") {
    // The fixed broker must pass on its own: no tolerance at all.
    opt.broker_program = props::ReferencePrograms::built_in().fixed;
    opt.tolerate = false;
    if (access(opt.broker_program.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "mqsim check: --broker fixed: %s is not built (cmake --build <build> --target mqsim_fixed)\n", opt.broker_program.c_str());
      return kExitUsage;
    }
  } else if (is_reference_program()) {
    opt.tolerate = false;  // this program IS a reference broker (mqsim-fixed, an ablation variant)
  }
  std::fprintf(stderr, "mqsim check: Mosquitto %s%s, seeds from %" PRIu64 ", %s\n", MQSIM_MOSQUITTO_VERSION_STR,
               args.broker == "fixed" || !opt.tolerate ? " (fixed broker, no tolerance)" : "", args.seed,
               args.time_s ? ("for " + human_duration(*args.time_s)).c_str() : (std::to_string(args.schedules) + " schedules").c_str());
  ProgressPrinter progress;
  auto rep = props::run_campaign(opt, known, std::ref(progress));
  if (progress.tty) std::fprintf(stderr, "\n");

  std::vector<std::string> dirs;
  const std::string replayer = opt.broker_program.empty() ? "mqsim" : opt.broker_program;
  for (const auto& f : rep.findings) {
    const std::string dir = args.out_dir + "/seed-" + std::to_string(f.seed);
    FailureReport fr{f.shrunk, f.evaluation.result, f.evaluation.violation, f.headline(), replayer + " replay " + dir, f.seed};
    if (!write_failure_dir(dir, fr, &error)) std::fprintf(stderr, "mqsim check: could not save %s: %s\n", dir.c_str(), error.c_str());
    dirs.push_back(dir);
  }
  print_summary(rep, dirs, known, opt.tolerate, replayer);
  if (args.junit_path && !write_junit(*args.junit_path, rep, dirs, &error)) {
    std::fprintf(stderr, "mqsim check: --junit %s\n", error.c_str());
    return kExitUsage;
  }
  return rep.findings.empty() ? kExitOk : kExitFound;
}

}  // namespace mqsim::cli
