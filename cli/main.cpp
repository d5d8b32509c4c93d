// mqsim: property checks, exact replay and fuzz campaigns of Mosquitto's real broker code in a
// deterministic simulator. This file only parses the command line and dispatches.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace mqsim::cli;
  CLI::App app{"mqsim: Mosquitto's own broker code in a deterministic simulator, checked against a reference model of MQTT 5.0/3.1.1"};
  app.require_subcommand(1);

  CheckArgs check;
  std::string time_text;
  auto* c = app.add_subcommand("check", "Run a bounded property campaign (every PR): generated schedules against the broker, judged by the model");
  c->add_option("--schedules,-n", check.schedules, "How many schedules (seeds) to run")->check(CLI::Range(1ULL, 1ULL << 40));
  c->add_option("--time", time_text, "Run for this long instead (e.g. 30s, 5m, 1h)");
  c->add_option("--seed", check.seed, "First seed");
  c->add_option("--size", check.size, "Schedule size (rapidcheck size; ops grow with it)")->check(CLI::Range(1, 1000));
  c->add_option("--config", check.config_path, "Run every schedule with this mosquitto.conf");
  c->add_option("--junit", check.junit_path, "Write a JUnit XML report here");
  c->add_option("--out", check.out_dir, "Where failure artifacts go");
  c->add_option("--known", check.known_dir, "Known-deviations directory (default: the repository's)");
  c->add_flag("--fail-fast", check.fail_fast, "Stop at the first new failure");

  ReplayArgs replay;
  auto* r = app.add_subcommand("replay", "Re-run a seed, a failure directory or a schedule.json exactly, and write its artifacts");
  r->add_option("what", replay.what, "A seed number, a failure directory, or a schedule.json")->required();
  r->add_option("--out", replay.out_dir, "Where the artifacts go");
  r->add_option("--size", replay.size, "Schedule size used when replaying a seed")->check(CLI::Range(1, 1000));
  r->add_option("--config", replay.config_path, "Replace the schedule's mosquitto.conf with this file");

  FuzzArgs fuzz;
  std::string fuzz_time = "1h";
  auto* f = app.add_subcommand("fuzz", "Long campaign (nightly): every core, shardable across machines, resumable; failures saved atomically");
  f->add_option("--time", fuzz_time, "How long (e.g. 8h, 30m, 90s)");
  f->add_option("--jobs,-j", fuzz.jobs, "Worker processes (one per core)")->check(CLI::Range(1u, 1024u));
  f->add_option("--shard", fuzz.shard, "This machine's part of the seed space, K/M (e.g. 3/8)");
  f->add_option("--out", fuzz.out_dir, "Campaign directory (failures/, state/, campaign.json)");
  f->add_flag("--resume", fuzz.resume, "Continue the campaign in --out where it stopped");
  f->add_option("--seed", fuzz.seed, "Base seed of the seed space");
  f->add_option("--size", fuzz.size, "Schedule size")->check(CLI::Range(1, 1000));
  f->add_option("--config", fuzz.config_path, "Run every schedule with this mosquitto.conf");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (!time_text.empty()) {
    check.time_s = parse_duration_s(time_text);
    if (!check.time_s) {
      std::fprintf(stderr, "mqsim check: --time: cannot read \"%s\" as a duration (use e.g. 30s, 5m, 2h)\n", time_text.c_str());
      return kExitUsage;
    }
  }
  if (c->parsed()) return run_check(check);
  if (f->parsed()) {
    auto t = parse_duration_s(fuzz_time);
    if (!t) {
      std::fprintf(stderr, "mqsim fuzz: --time: cannot read \"%s\" as a duration (use e.g. 8h, 30m, 90s)\n", fuzz_time.c_str());
      return kExitUsage;
    }
    fuzz.time_s = *t;
    return run_fuzz(fuzz);
  }
  return run_replay(replay);
}
