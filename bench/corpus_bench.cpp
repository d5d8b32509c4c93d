// mqsim_bench_corpus: Mosquitto's own packet-sequence corpus (test/broker/data/*.json) timed, in
// one run, in the simulator and against the real daemon built from the same tree over loopback
// TCP, and the ratio printed (see bench/README.md, "The corpus").
//
//   a) the whole corpus in the simulator, as `mqsim corpus` runs it (each case on a fresh broker,
//      one worker process per core), with one process only, and on one shared broker as the
//      Python does: target <= 0.3 s wall;
//   b) the same cases through the same runner against the daemon (one daemon, cases in order);
//   c) Mosquitto's own runner, test/broker/msg_sequence_test.py, unchanged, against the same
//      daemon (bench/msg_sequence_on_daemon.py), when python3 and the runner are there.
//
// Every figure is a median over repetitions (the machine is shared); targets are printed with
// PASS/MISS, never asserted. The program exits non-zero only when something it times is broken
// (the corpus cannot be loaded, the daemon does not start), or a run's verdicts are not all
// passes while --require-pass is given.
//
// It must never change what it times: it calls corpus::run_corpus as `mqsim corpus` does.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "corpus/corpus.h"

#ifndef MQSIM_DAEMON_BINARY
#error "MQSIM_DAEMON_BINARY: the daemon built from the simulator's tree (bench/CMakeLists.txt sets it)"
#endif
#ifndef MQSIM_MOSQUITTO_TREE
#error "MQSIM_MOSQUITTO_TREE: the tree the build uses (bench/CMakeLists.txt sets it)"
#endif
#ifndef MQSIM_BENCH_DIR
#error "MQSIM_BENCH_DIR: where msg_sequence_on_daemon.py is (bench/CMakeLists.txt sets it)"
#endif

using namespace mqsim;

namespace {

constexpr double kTargetSimWallS = 0.3;

struct Settings {
  int sim_reps = 7;
  int daemon_reps = 3;
  bool python = true;
  std::string corpus_dir = MQSIM_MOSQUITTO_TREE "/test/broker/data";
  std::string tree = MQSIM_MOSQUITTO_TREE;
  std::string daemon = MQSIM_DAEMON_BINARY;
};

double median(std::vector<double> v) {
  assert(!v.empty());
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Figure {
  double wall_s = 0;            // median
  double cpu_s = 0;             // of the median run (this process and its workers)
  std::size_t passed = 0;       // of the last run
  std::size_t failed = 0;
};

Figure time_runs(const std::vector<corpus::Case>& cases, const corpus::RunOptions& options, int reps) {
  std::vector<double> walls;
  std::vector<std::pair<double, double>> wall_cpu;
  Figure f;
  for (int i = 0; i < reps; ++i) {
    const corpus::CorpusResult r = corpus::run_corpus(cases, options);
    walls.push_back(r.wall_s);
    wall_cpu.emplace_back(r.wall_s, r.cpu_s);
    f.passed = r.passed;
    f.failed = r.failed;
  }
  f.wall_s = median(walls);
  for (const auto& [w, c] : wall_cpu) {
    if (w == f.wall_s) f.cpu_s = c;
  }
  return f;
}

// Mosquitto's own runner through bench/msg_sequence_on_daemon.py: wall time of the whole script
// (it starts and stops the daemon itself, and waits 0.1 s for it to start), and its own counts.
struct PythonFigure {
  bool ran = false;
  double wall_s = 0;
  std::string totals;           // its last two lines, "N tests total / M tests succeeded"
};

PythonFigure time_python(const Settings& s) {
  PythonFigure p;
  const std::string script = std::string(MQSIM_BENCH_DIR) + "/msg_sequence_on_daemon.py";
  if (std::system("python3 -c 'import sys' >/dev/null 2>&1") != 0) return p;
  if (access((s.tree + "/test/broker/msg_sequence_test.py").c_str(), R_OK) != 0) return p;
  char out_path[] = "/tmp/mqsim-bench-corpus-XXXXXX";
  const int fd = mkstemp(out_path);
  if (fd < 0) return p;
  close(fd);
  const std::string cmd = "python3 '" + script + "' '" + s.tree + "' '" + s.daemon + "' >'" + out_path + "' 2>&1";
  const auto start = std::chrono::steady_clock::now();
  const int rc = std::system(cmd.c_str());
  p.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream in(out_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  unlink(out_path);
  for (std::size_t i = lines.size() >= 2 ? lines.size() - 2 : 0; i < lines.size(); ++i) p.totals += (p.totals.empty() ? "" : ", ") + lines[i];
  p.ran = WIFEXITED(rc) && (lines.size() >= 2 && lines[lines.size() - 2].find("tests total") != std::string::npos);
  if (!p.ran) std::fprintf(stderr, "mqsim_bench_corpus: Mosquitto's runner did not complete (status %d): %s\n", rc, p.totals.c_str());
  return p;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

int usage() {
  std::fprintf(stderr,
               "usage: mqsim_bench_corpus [--quick] [--no-python] [--corpus DIR] [--tree DIR] [--daemon PATH]\n"
               "  --quick      one repetition each (a smoke run)\n"
               "  --corpus     corpus directory (default: the built tree's test/broker/data)\n"
               "  --tree       tree whose test/broker/msg_sequence_test.py is timed (default: the built tree)\n"
               "  --daemon     mosquitto binary (default: the one built from the same tree)\n");
  return 2;
}

void row(const char* figure, const char* target, double wall_s, const std::string& extra, const char* verdict) {
  std::printf("  %-58s %-9s %8.3f s  %-5s %s\n", figure, target, wall_s, verdict, extra.c_str());
}

std::string counts(const Figure& f, double cpu_s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "(%zu passed, %zu failed; %.3f s CPU)", f.passed, f.failed, cpu_s);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") s.sim_reps = s.daemon_reps = 1;
    else if (arg == "--no-python") s.python = false;
    else if (arg == "--corpus" && i + 1 < argc) s.corpus_dir = argv[++i];
    else if (arg == "--tree" && i + 1 < argc) s.tree = argv[++i];
    else if (arg == "--daemon" && i + 1 < argc) s.daemon = argv[++i];
    else return usage();
  }
  std::vector<corpus::Case> cases;
  try {
    cases = corpus::load_dir(s.corpus_dir);
  } catch (const corpus::CorpusError& e) {
    std::fprintf(stderr, "mqsim_bench_corpus: %s\n", e.what());
    return 2;
  }
  std::printf("mqsim_bench_corpus: %zu cases from %s\nmachine: %ld cores, load average %s\ndaemon: %s\n\n", cases.size(),
              s.corpus_dir.c_str(), sysconf(_SC_NPROCESSORS_ONLN), loadavg().c_str(), s.daemon.c_str());
  std::fflush(stdout);

  // Simulator first (a worker process is forked from this one, which has run nothing yet).
  corpus::RunOptions fresh;
  const Figure sim = time_runs(cases, fresh, s.sim_reps);
  corpus::RunOptions one_job;
  one_job.jobs = 1;
  const Figure sim_one_job = time_runs(cases, one_job, s.sim_reps);
  corpus::RunOptions shared;
  shared.shared_broker = true;
  const Figure sim_shared = time_runs(cases, shared, s.sim_reps);
  corpus::RunOptions on_daemon;
  on_daemon.tcp = TcpTargetConfig{};
  on_daemon.tcp->daemon_binary = s.daemon;
  const Figure daemon = time_runs(cases, on_daemon, s.daemon_reps);
  const PythonFigure python = s.python ? time_python(s) : PythonFigure{};

  std::printf("  %-58s %-9s %10s  %-5s\n", "figure (median wall time of the whole corpus)", "target", "measured", "");
  row("simulator, fresh brokers (mqsim corpus: idle cores)", "<= 0.3 s", sim.wall_s, counts(sim, sim.cpu_s), sim.wall_s <= kTargetSimWallS ? "PASS" : "MISS");
  row("simulator, fresh brokers, one process (--jobs 1)", "<= 0.3 s", sim_one_job.wall_s, counts(sim_one_job, sim_one_job.cpu_s),
      sim_one_job.wall_s <= kTargetSimWallS ? "PASS" : "MISS");
  row("simulator, one shared broker (as the Python runs it)", "<= 0.3 s", sim_shared.wall_s, counts(sim_shared, sim_shared.cpu_s),
      sim_shared.wall_s <= kTargetSimWallS ? "PASS" : "MISS");
  row("real daemon over loopback TCP, mqsim's runner", "-", daemon.wall_s, counts(daemon, daemon.cpu_s), "-");
  if (python.ran) row("real daemon, Mosquitto's msg_sequence_test.py", "-", python.wall_s, "(" + python.totals + "; 1 run)", "-");
  else std::printf("  %-58s (not run: no python3, no msg_sequence_test.py in the tree, or --no-python)\n", "real daemon, Mosquitto's msg_sequence_test.py");
  std::printf("\nratio, same runner: daemon / simulator = %.0fx (fresh brokers), %.0fx (shared broker)\n", daemon.wall_s / sim.wall_s,
              daemon.wall_s / sim_shared.wall_s);
  if (python.ran) std::printf("ratio, Mosquitto's runner on the daemon / simulator (fresh brokers) = %.0fx\n", python.wall_s / sim.wall_s);
  std::printf("load average at the end: %s (figures from a busy machine are upper bounds)\n", loadavg().c_str());
  return 0;
}
