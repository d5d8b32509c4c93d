// mqsim: property checks, exact replay and fuzz campaigns of Mosquitto's real broker code in a
// deterministic simulator. This file only parses the command line and dispatches.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/corpus_cmd.h"
#include "cli/daemon_cmd.h"
#include "cli/input.h"
#include "props/campaign.h"
#include "sim/worker.h"

namespace {

int run_main(int argc, char** argv) {
  using namespace mqsim::cli;
  // Started by another mqsim as a reference worker (props/tolerance.h): serve jobs, nothing else.
  if (argc == 2 && std::string(argv[1]) == mqsim::kWorkerFlag) mqsim::props::serve_campaign_worker();
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
  c->add_option("--broker", check.broker, "as-built: this build's Mosquitto, a failing run tolerated iff the fixed broker passes it; "
                "fixed: the fixed broker (every listed fix applied), with NO tolerance")
      ->check(CLI::IsMember({"as-built", "fixed"}));

  ExplainArgs explain;
  auto* x = app.add_subcommand("explain", "Which known cause explains a failure: run it on the fixed broker and on each ablation variant (every fix but one)");
  x->add_option("what", explain.what, "A failure directory, a seed, a schedule.json or a known-deviation face")->required();
  x->add_option("--size", explain.size, "Schedule size used for a seed")->check(CLI::Range(1, 1000));
  x->add_option("--known", explain.known_dir, "Known-deviations directory (default: the one the fixed broker was built from)");

  MergeArgs merge;
  auto* m = app.add_subcommand("merge", "One morning report from several `mqsim fuzz --out` directories (e.g. the shards of a nightly matrix)");
  m->add_option("dirs", merge.dirs, "Campaign directories")->required()->expected(1, 1 << 20);
  m->add_option("--known", merge.known_dir, "Known-deviations directory (default: the repository's)");

  ReplayArgs replay;
  auto* r = app.add_subcommand("replay", "Re-run a seed, a failure directory, a schedule.json or a fuzzer input (crash-<sha1>) exactly, and write its artifacts");
  r->add_option("what", replay.what, "A seed number, a failure directory, a schedule.json, or a libFuzzer input file (any non-JSON file: decoded as fuzz/ does)")->required();
  r->add_option("--out", replay.out_dir, "Where the artifacts go");
  r->add_option("--size", replay.size, "Schedule size used when replaying a seed")->check(CLI::Range(1, 1000));
  r->add_option("--config", replay.config_path, "Replace the schedule's mosquitto.conf with this file");
  std::string replay_target;
  bool replay_diff = false;
  double replay_max_advance_s = 0;
  r->add_option("--target", replay_target, "Play it against a real broker over loopback TCP, in real time: daemon (the mosquitto built from the same tree), daemon:/path/to/mosquitto, or tcp://127.0.0.1:PORT (a broker you started)");
  r->add_flag("--diff", replay_diff, "With --target: also run it in the simulator and compare the two traces event by event (docs/real-daemon.md)");
  r->add_option("--max-advance", replay_max_advance_s, "With --target: cap every advance at this many seconds (both runs with --diff)")->check(CLI::PositiveNumber);

  CorpusArgs corpus;
  std::vector<std::string> corpus_compare;
  bool corpus_reasons = false;
  auto* k = app.add_subcommand("corpus", "Run Mosquitto's own packet-sequence corpus (test/broker/data/*.json) with msg_sequence_test.py's semantics, in the simulator (each case on a fresh broker) or against a real broker; or compare two result lists");
  k->add_option("--corpus", corpus.dir, "Corpus directory (default: $MQSIM_CORPUS_DIR, else the built tree's test/broker/data)");
  k->add_option("--filter", corpus.filter, "Only the cases whose \"FILE GROUP NAME\" contains this");
  k->add_option("--json,--results", corpus.json_out, "Write every case's verdict (pass/fail and reason) to this file as JSON");
  k->add_option("--target", corpus.target, "Play the cases against a real broker over loopback TCP, all on one broker in order: daemon (the mosquitto built from the same tree), daemon:/path/to/mosquitto, or tcp://127.0.0.1:PORT");
  k->add_option("--jobs,-j", corpus.jobs, "Simulator, fresh brokers: processes playing cases at once (default: one per idle core; the verdicts do not depend on it)")->check(CLI::Range(1, 8));
  k->add_flag("--shared", corpus.shared, "Simulator: all cases on one broker in order, as msg_sequence_test.py (and --target) run them");
  auto* compare_opt = k->add_option("--compare", corpus_compare, "Compare two --json result lists case by case instead of running (exit 1 if verdicts differ)")->expected(2);
  k->add_flag("--reasons", corpus_reasons, "With --compare: also list cases failing on both sides for different reasons");
  compare_opt->excludes(k->get_option("--target"));

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
  if (x->parsed()) return run_explain(explain);
  if (m->parsed()) return run_merge(merge);
  if (k->parsed()) {
    if (!corpus_compare.empty()) return run_corpus_compare(corpus_compare[0], corpus_compare[1], corpus_reasons);
    return run_corpus(corpus);
  }
  if (f->parsed()) {
    auto t = parse_duration_s(fuzz_time);
    if (!t) {
      std::fprintf(stderr, "mqsim fuzz: --time: cannot read \"%s\" as a duration (use e.g. 8h, 30m, 90s)\n", fuzz_time.c_str());
      return kExitUsage;
    }
    fuzz.time_s = *t;
    return run_fuzz(fuzz);
  }
  if (!replay_target.empty()) {
    TargetReplayArgs t;
    t.what = replay.what;
    t.target = replay_target;
    t.size = replay.size;
    t.config_path = replay.config_path;
    t.diff = replay_diff;
    if (replay.out_dir != "mqsim-replay") t.out_dir = replay.out_dir;
    if (replay_max_advance_s > 0) t.max_advance_s = replay_max_advance_s;
    return run_replay_on_target(t);
  }
  if (replay_diff) {
    std::fprintf(stderr, "mqsim replay: --diff needs --target\n");
    return kExitUsage;
  }
  return run_replay(replay);
}

}  // namespace

// The one error path: whatever a reader could not use (InputError names the argument, variable
// or file and what was expected) becomes one line on stderr and exit 2, never a signal.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const mqsim::cli::InputError& e) {
    std::fprintf(stderr, "mqsim: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mqsim: cannot use this input: %s\n", e.what());
  }
  return mqsim::cli::kExitUsage;
}
