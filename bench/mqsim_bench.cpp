// mqsim_bench: how fast the simulator runs Mosquitto's own code, measured in one run and printed
// as one table (see bench/README.md for what each figure means and why it matters).
//
//   a) wall time of the seed's scenarios, per scenario and in total, in-process and forked;
//   b) the isolation + start-up overhead of one EMPTY run (forked vs in-process reset), with a
//      breakdown of where the in-process time goes;
//   c) virtual seconds simulated per wall second on an idle-heavy run (keepalive pings for 1 h).
//
// Every figure is a median (or p90) over repetitions: the machine is shared and noisy. Targets
// are printed with PASS/MISS, never asserted: a slow machine is not a failing build. The program
// exits non-zero only when a run itself fails (the benchmark would then time something broken).
//
// It must never change the simulator's behaviour: it only calls the public API (run, Sim, arena)
// and times it.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "seed_scripts.h"
#include "sim/arena.h"
#include "sim/broker_host.h"
#include "sim/runner.h"

// Bounds of the broker objects' globals (provided by the linker, see sim/broker_host.cpp): read
// here only for their size, to time a copy of the same size.
extern "C" char __start_mqsim_broker_data[], __stop_mqsim_broker_data[];
extern "C" char __start_mqsim_broker_bss[], __stop_mqsim_broker_bss[];

using namespace std::chrono_literals;
using namespace mqsim;

namespace {

// ---------------------------------------------------------------------------------------------
// Settings and statistics

struct Settings {
  bool quick = false;
  int scenario_reps = 31;       // repetitions per seed scenario and mode
  int empty_runs = 2000;        // empty runs per isolation mode
  int breakdown_reps = 1000;    // repetitions per breakdown piece
  int idle_reps = 5;            // repetitions of the 1 h idle run
};

Settings quick_settings() { return {true, 3, 100, 100, 1}; }

// The seed document's tests/mosquitto.conf, as tests/scenarios/scenario.h has it (that header
// pulls in doctest, so the text is repeated here): persistence on, as the seed ran it.
const char* kSeedConf =
    "listener 1883\n"
    "allow_anonymous true\n"
    "persistence true\n"
    "persistence_location /mosquitto/data/\n"
    "log_dest stdout\n";

// The seed's own way (paho clients + sleeps against a real broker) takes about this long.
constexpr double kSeedRealBrokerWallS = 32.0;
constexpr double kTargetSeedTotalMs = 10.0;
constexpr double kTargetEmptyRunUs = 150.0;
constexpr double kTargetVirtualPerWall = 1e5;

using Clock = std::chrono::steady_clock;

double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The q-quantile (0..1) by nearest rank; the samples are copied, not reordered in place.
double quantile(std::vector<double> samples, double q) {
  assert(!samples.empty());
  assert(q >= 0.0 && q <= 1.0);
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[rank];
}
double median(const std::vector<double>& samples) { return quantile(samples, 0.5); }

// Times `body` `reps` times and returns the samples in microseconds.
std::vector<double> sample_us(int reps, const std::function<void()>& body) {
  assert(reps > 0);
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    const auto start = Clock::now();
    body();
    samples.push_back(micros_since(start));
  }
  return samples;
}

std::string format_us(double us) {
  char buf[32];
  if (us < 1000.0) std::snprintf(buf, sizeof buf, "%.1f us", us);
  else if (us < 1e6) std::snprintf(buf, sizeof buf, "%.2f ms", us / 1e3);
  else std::snprintf(buf, sizeof buf, "%.2f s", us / 1e6);
  return buf;
}

// Whole numbers up to 1e5 (speed-ups, targets), three significant digits above (rates).
std::string format_number(double value, const char* suffix) {
  char buf[48];
  std::snprintf(buf, sizeof buf, value >= 1e5 ? "%.3g%s" : "%.0f%s", value, suffix);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Runs

SimConfig seed_config() {
  SimConfig c;
  c.mosquitto_conf = kSeedConf;
  c.seed = 1;
  return c;
}

// One run; a run that did not complete makes every figure meaningless, so the bench stops.
void run_or_die(const SimConfig& config, const Script& script, bool forked, const std::string& what) {
  RunResult r = run(config, script, RunOptions{.fork = forked});
  if (r.ok()) return;
  std::fprintf(stderr, "mqsim_bench: run '%s' (%s) did not complete: %s: %s\n%s", what.c_str(),
               forked ? "forked" : "in-process", outcome_name(r.outcome), r.detail.c_str(), r.trace.text().c_str());
  std::exit(1);
}

struct Scenario {
  std::string name;
  bool counts_as_seed;          // one of the seed's six scenarios (target a)
  int runs;                     // runs per item (the QoS matrix is 9)
  std::function<void(bool forked)> play;
};

Scenario single(std::string name, Script script) {
  auto play = [name, script](bool forked) { run_or_die(seed_config(), script, forked, name); };
  return {name, true, 1, play};
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  out.push_back(single("qos1_redelivery (no expiry, as seeded)", [](Sim& s) { seed::qos1_redelivery(s, std::nullopt); }));
  out.push_back(single("qos1_redelivery (session expiry 300 s)", [](Sim& s) { seed::qos1_redelivery(s, 300); }));
  out.push_back(single("retained_late_subscriber", seed::retained_late_subscriber));
  out.push_back(single("lwt_on_crash", seed::lwt_on_crash));
  out.push_back(single("lwt_on_keepalive_expiry", seed::lwt_on_keepalive_expiry));
  out.push_back(single("shared_subscription_jobs", seed::shared_subscription_jobs));
  out.push_back(single("sys_clients_connected", seed::sys_clients_connected));
  auto matrix = [](bool forked) {
    for (std::uint8_t sub_qos = 0; sub_qos <= 2; ++sub_qos) {
      for (std::uint8_t pub_qos = 0; pub_qos <= 2; ++pub_qos) {
        run_or_die(seed_config(), [=](Sim& s) { seed::qos_pair(s, sub_qos, pub_qos); }, forked, "qos matrix");
      }
    }
  };
  out.push_back({"qos matrix (9 pairs)", false, 9, matrix});
  return out;
}

// ---------------------------------------------------------------------------------------------
// The table

struct Row {
  std::string figure;
  std::string target;           // empty: informational
  std::string measured;
  const char* verdict;          // PASS, MISS or "-"
};

const char* verdict(bool pass) { return pass ? "PASS" : "MISS"; }

void print_rows(const std::vector<Row>& rows) {
  std::printf("  %-54s %-12s %-14s %s\n", "figure", "target", "measured", "verdict");
  for (const auto& r : rows) {
    std::printf("  %-54s %-12s %-14s %s\n", r.figure.c_str(), r.target.empty() ? "-" : r.target.c_str(),
                r.measured.c_str(), r.verdict);
  }
}

std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    return colon == std::string::npos ? line : line.substr(colon + 2);
  }
  return "unknown";
}

std::string read_loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

void print_machine(const Settings& s) {
  std::printf("mqsim_bench%s: %d reps per scenario and mode, %d empty runs per mode, %d x 1 h idle\n",
              s.quick ? " --quick" : "", s.scenario_reps, s.empty_runs, s.idle_reps);
  std::printf("machine: nproc %ld, CPU %s, load average %s\n\n", sysconf(_SC_NPROCESSORS_ONLN),
              read_cpu_model().c_str(), read_loadavg().c_str());
}

// ---------------------------------------------------------------------------------------------
// a) the seed's scenarios and b) the empty run, per isolation mode

void empty_script(Sim&) {}

// Everything measured in one isolation mode.
struct ModeTimes {
  std::vector<double> item_us;      // median per scenario item
  double seed_total_us = 0;         // median of the seven seed runs played back to back
  double all_items_us = 0;          // sum of the per-item medians, matrix included
  std::vector<double> empty_us;     // every empty run
};

double time_seed_sequence(const std::vector<Scenario>& items, bool forked, int reps) {
  auto all = [&] {
    for (const auto& sc : items) {
      if (sc.counts_as_seed) sc.play(forked);
    }
  };
  return median(sample_us(reps, all));
}

std::vector<double> time_empty_runs(bool forked, int runs) {
  const SimConfig config;  // the minimal config: one listener, anonymous
  for (int i = 0; i < 10; ++i) run_or_die(config, empty_script, forked, "empty (warm-up)");
  return sample_us(runs, [&] { run_or_die(config, empty_script, forked, "empty"); });
}

ModeTimes measure_mode(const std::vector<Scenario>& items, const Settings& s, bool forked) {
  ModeTimes t;
  for (const auto& sc : items) {
    sc.play(forked);  // warm-up: page faults, first-use initialisation
    t.item_us.push_back(median(sample_us(s.scenario_reps, [&] { sc.play(forked); })));
    t.all_items_us += t.item_us.back();
  }
  t.seed_total_us = time_seed_sequence(items, forked, s.scenario_reps);
  t.empty_us = time_empty_runs(forked, s.empty_runs);
  return t;
}

void print_scenarios(const std::vector<Scenario>& items, const ModeTimes& inproc, const ModeTimes& forked, int reps) {
  std::printf("a) seed scenarios: wall time per item (median of %d)\n", reps);
  std::printf("  %-54s %-14s %s\n", "scenario", "in-process", "forked");
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::printf("  %-54s %-14s %s\n", items[i].name.c_str(), format_us(inproc.item_us[i]).c_str(), format_us(forked.item_us[i]).c_str());
  }
  int runs = 0;
  for (const auto& sc : items) runs += sc.runs;
  const std::string label = "all items (sum of medians, " + std::to_string(runs) + " runs)";
  std::printf("  %-54s %-14s %s\n\n", label.c_str(), format_us(inproc.all_items_us).c_str(), format_us(forked.all_items_us).c_str());
}

void add_empty_rows(const std::vector<double>& samples, const std::string& mode, std::vector<Row>& rows) {
  const std::string target = "<= " + format_number(kTargetEmptyRunUs, " us");
  const double p50 = median(samples), p90 = quantile(samples, 0.9);
  rows.push_back({"b) empty run, " + mode + ", median", target, format_us(p50), verdict(p50 <= kTargetEmptyRunUs)});
  rows.push_back({"b) empty run, " + mode + ", p90", target, format_us(p90), verdict(p90 <= kTargetEmptyRunUs)});
}

void add_seed_rows(const ModeTimes& t, const std::string& mode, std::vector<Row>& rows) {
  const std::string target = "<= " + format_number(kTargetSeedTotalMs, " ms");
  rows.push_back({"a) six seed scenarios (7 runs), " + mode, target, format_us(t.seed_total_us),
                  verdict(t.seed_total_us <= kTargetSeedTotalMs * 1e3)});
  rows.push_back({"a) speed-up vs the seed's ~32 s, " + mode, "", format_number(kSeedRealBrokerWallS * 1e6 / t.seed_total_us, "x"), "-"});
}

// A scratch directory shaped like the broker's sandbox after an empty run (a directory holding
// mqsim/mosquitto.conf), to time the file-system half of BrokerHost::start from the outside.
struct ScratchSandbox {
  std::string dir = "/dev/shm/mqsim-bench-" + std::to_string(getpid());
  ScratchSandbox() {
    if (access("/dev/shm", W_OK) != 0) dir = "/tmp/mqsim-bench-" + std::to_string(getpid());
  }
  ~ScratchSandbox() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // What BrokerHost::clear_sandbox does.
  void clear() const {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir + "/mqsim", ec);
  }
  // What BrokerHost::write_sandbox_file does for the config.
  void write_conf(const std::string& text) const {
    const std::string path = dir + "/mqsim/mosquitto.conf";
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    FILE* f = std::fopen(path.c_str(), "w");
    assert(f != nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    chmod(path.c_str(), 0600);
  }
};

struct Piece {
  std::string name;
  double median_us;
};

// The Sim's own life, timed from outside: constructor (reset + start + first settle), destructor.
void time_sim_lifecycle(const Settings& s, std::vector<Piece>& out) {
  const SimConfig config;
  std::vector<double> ctor_us, dtor_us, parse_us;
  for (int i = 0; i < s.breakdown_reps; ++i) {
    auto start = Clock::now();
    auto sim = std::make_unique<Sim>(config);
    ctor_us.push_back(micros_since(start));
    assert(sim->broker_started());
    const std::string wire = sim->trace().bytes();
    start = Clock::now();
    sim.reset();
    dtor_us.push_back(micros_since(start));
    start = Clock::now();
    const Trace parsed = Trace::parse(wire);
    parse_us.push_back(micros_since(start));
    assert(!parsed.events().empty());
  }
  out.push_back({"Sim constructor: BrokerHost::start + first settle", median(ctor_us)});
  out.push_back({"Sim destructor: munmap stack + sandbox clear + remove_all", median(dtor_us)});
  out.push_back({"Trace::parse of the empty run's trace (in run())", median(parse_us)});
}

// The pieces of BrokerHost::start that can be reproduced outside it.
void time_start_pieces(const Settings& s, std::vector<Piece>& out) {
  const std::size_t data_bytes = static_cast<std::size_t>(__stop_mqsim_broker_data - __start_mqsim_broker_data);
  const std::size_t bss_bytes = static_cast<std::size_t>(__stop_mqsim_broker_bss - __start_mqsim_broker_bss);
  std::vector<char> scratch(data_bytes + bss_bytes + 1);
  const std::vector<char> snapshot(__start_mqsim_broker_data, __stop_mqsim_broker_data);
  auto globals = [&] {
    std::memcpy(scratch.data(), snapshot.data(), data_bytes);
    std::memset(scratch.data() + data_bytes, 0, bss_bytes);
  };
  const ScratchSandbox box;
  box.clear();
  const SimConfig config;
  auto stack = [] {
    void* p = mmap(nullptr, std::size_t{1} << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    assert(p != MAP_FAILED);
    munmap(p, std::size_t{1} << 20);
  };
  out.push_back({"  globals restore (" + std::to_string(data_bytes) + " B data + " + std::to_string(bss_bytes) + " B bss)",
                 median(sample_us(s.breakdown_reps, globals))});
  out.push_back({"  arena::reset()", median(sample_us(s.breakdown_reps, arena::reset))});
  out.push_back({"  sandbox clear: remove_all + create_directories", median(sample_us(s.breakdown_reps, [&] { box.clear(); }))});
  out.push_back({"  config write: create_directories + fopen/fwrite/chmod", median(sample_us(s.breakdown_reps, [&] { box.write_conf(config.mosquitto_conf); }))});
  out.push_back({"  coroutine stack: mmap + munmap 1 MB (ctor/dtor)", median(sample_us(s.breakdown_reps, stack))});
}

void print_breakdown(const Settings& s) {
  std::vector<Piece> pieces;
  time_sim_lifecycle(s, pieces);
  time_start_pieces(s, pieces);
  double known_us = 0;
  for (std::size_t i = 3; i < pieces.size(); ++i) known_us += pieces[i].median_us;
  // The rest of the constructor is Mosquitto's main() up to its first poll plus the first
  // settle: configuration parsing, listener set-up, logging; only a profiler splits it further.
  pieces.insert(pieces.begin() + 1, {"  of which main() to first poll + settle (the rest)", std::max(0.0, pieces[0].median_us - known_us)});
  std::printf("b) where an in-process empty run goes (median of %d each; indented = inside the constructor)\n", s.breakdown_reps);
  for (const auto& p : pieces) std::printf("  %-60s %s\n", p.name.c_str(), format_us(p.median_us).c_str());
  std::printf("\n");
}

// ---------------------------------------------------------------------------------------------
// c) virtual time per wall second

constexpr std::uint64_t kIdleVirtualMs = 3600 * 1000;

// Three clients with keepalive 60 s stay connected for one virtual hour, pinging. Returns the
// wall time of the advance alone (start-up is figure b) and checks the pings really happened.
double idle_hour_wall_us() {
  double wall_us = 0;
  auto script = [&](Sim& sim) {
    for (int i = 0; i < 3; ++i) sim.client("idle-" + std::to_string(i), {.keepalive_s = 60}).connect();
    const auto start = Clock::now();
    sim.advance(kIdleVirtualMs);
    wall_us = micros_since(start);
  };
  RunResult r = run(SimConfig{}, script, RunOptions{.fork = false});
  const auto pongs = r.trace.received("idle-0", mqtt::PacketType::PINGRESP).size();
  // One ping a minute for an hour: anything far below means the clients were cut, not idle.
  if (!r.ok() || pongs < 55) {
    std::fprintf(stderr, "mqsim_bench: idle run broken (%s, %zu PINGRESP)\n%s", r.detail.c_str(), pongs, r.trace.text().c_str());
    std::exit(1);
  }
  return wall_us;
}

void add_idle_rows(const Settings& s, std::vector<Row>& rows) {
  std::vector<double> samples;
  for (int i = 0; i < s.idle_reps; ++i) samples.push_back(idle_hour_wall_us());
  const double wall_us = median(samples);
  const double ratio = (static_cast<double>(kIdleVirtualMs) * 1e3) / wall_us;
  rows.push_back({"c) 1 h idle (3 clients, keepalive 60 s): wall", "", format_us(wall_us), "-"});
  rows.push_back({"c) virtual s per wall s", ">= " + format_number(kTargetVirtualPerWall, ""), format_number(ratio, ""),
                  verdict(ratio >= kTargetVirtualPerWall)});
}

// For profilers (perf record, valgrind --tool=callgrind, strace -c): only `n` empty runs.
void profile_empty(int n, bool forked) {
  const SimConfig config;
  for (int i = 0; i < n; ++i) run_or_die(config, empty_script, forked, "empty");
}

int usage() {
  std::fprintf(stderr, "usage: mqsim_bench [--quick] [--profile-empty N | --profile-empty-forked N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") settings = quick_settings();
    else if ((arg == "--profile-empty" || arg == "--profile-empty-forked") && i + 1 < argc) {
      profile_empty(std::atoi(argv[++i]), arg == "--profile-empty-forked");
      return 0;
    } else return usage();
  }
  print_machine(settings);
  std::fflush(stdout);

  const auto items = scenarios();
  // Forked first: the parent has then never run a broker in-process, which is how a test runner
  // that forks every run uses it (a parent with more touched memory makes fork itself slower).
  const ModeTimes forked = measure_mode(items, settings, true);
  // run() does not prepare the parent, so each child above initialised OpenSSL and took the
  // globals snapshot itself. The same empty run once the parent has done it shows what that costs.
  BrokerHost::prepare_process();
  const auto forked_prepared_us = time_empty_runs(true, settings.empty_runs);
  const ModeTimes inproc = measure_mode(items, settings, false);
  std::vector<Row> rows;
  add_seed_rows(inproc, "in-process", rows);
  add_seed_rows(forked, "forked", rows);
  add_empty_rows(inproc.empty_us, "in-process reset", rows);
  add_empty_rows(forked.empty_us, "forked", rows);
  add_empty_rows(forked_prepared_us, "forked, parent prepared", rows);
  add_idle_rows(settings, rows);

  print_scenarios(items, inproc, forked, settings.scenario_reps);
  print_breakdown(settings);
  std::printf("summary\n");
  print_rows(rows);
  std::printf("\nload average at the end: %s (figures from a busy machine are upper bounds)\n", read_loadavg().c_str());
  return 0;
}
