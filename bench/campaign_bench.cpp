// Campaign throughput, measured in one run and printed as a table:
//   - schedules per second on one core for the standard generated mix, through the persistent
//     worker exactly as `mqsim check` runs them (generation + run + model + transport);
//   - where the time goes, in process: generating, Mosquitto's own code, the simulator around it,
//     the model;
//   - scaling of independent jobs (what `mqsim fuzz --jobs N` does): 1 vs 2 processes.
// Targets are printed beside the figures, never asserted (the machines are shared and noisy).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "model/broker_config.h"
#include "props/campaign.h"
#include "props/generators.h"
#include "sim/broker_host.h"

namespace {

using namespace mqsim;
using Clock = std::chrono::steady_clock;

double since_s(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Evaluates `count` seeds from `first` in a persistent worker; returns schedules/s.
double worker_rate(std::uint64_t first, std::uint64_t count) {
  props::Evaluator ev(20'000);
  const auto t0 = Clock::now();
  for (std::uint64_t s = first; s < first + count; ++s) ev.evaluate_seed(s, 100, 100, std::nullopt);
  return double(count) / since_s(t0);
}

struct Split {
  double generate_s = 0, run_s = 0, broker_s = 0, model_s = 0;
  std::uint64_t schedules = 0, ops = 0, virtual_ms = 0;
};

Split split_in_process(std::uint64_t first, std::uint64_t count) {
  Split sp;
  BrokerHost::set_profiling(true);
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    auto t0 = Clock::now();
    Schedule s = props::schedule_for_seed(seed).value();
    sp.generate_s += since_s(t0);
    const std::uint64_t broker_before = BrokerHost::broker_ns();
    t0 = Clock::now();
    SimConfig c;
    c.mosquitto_conf = s.mosquitto_conf;
    c.seed = s.seed;
    auto r = run(c, [&](Sim& sim) { execute(s, sim); }, RunOptions{.fork = false});
    sp.run_s += since_s(t0);
    sp.broker_s += double(BrokerHost::broker_ns() - broker_before) / 1e9;
    t0 = Clock::now();
    auto cfg = model::parse_broker_config(s.mosquitto_conf);
    model::check(r.trace, *cfg, model::CheckOptions{.liveness = s.liveness});
    sp.model_s += since_s(t0);
    ++sp.schedules;
    sp.ops += s.ops.size();
    if (!r.trace.events().empty()) sp.virtual_ms += r.trace.events().back().time_ms;
  }
  BrokerHost::set_profiling(false);
  return sp;
}

// `jobs` processes each evaluating `per_job` schedules, as `mqsim fuzz --jobs` runs them.
double jobs_rate(int jobs, std::uint64_t per_job) {
  const auto t0 = Clock::now();
  for (int j = 0; j < jobs; ++j) {
    if (fork() == 0) {
      worker_rate(1'000'000 + std::uint64_t(j) * per_job, per_job);
      _exit(0);
    }
  }
  for (int j = 0; j < jobs; ++j) wait(nullptr);
  return double(jobs) * double(per_job) / since_s(t0);
}

void row(const char* what, const char* target, const std::string& measured, const char* verdict) {
  std::printf("  %-52s %-10s %-14s %s\n", what, target, measured.c_str(), verdict);
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::uint64_t n = quick ? 100 : 2000;
  BrokerHost::prepare_process();
  std::printf("mqsim campaign benchmark (%llu schedules per figure, nproc %ld)\n\n", static_cast<unsigned long long>(n), sysconf(_SC_NPROCESSORS_ONLN));

  const double rate1 = worker_rate(1, n);
  const Split sp = split_in_process(1, n);
  const double total = sp.generate_s + sp.run_s + sp.model_s;
  std::printf("where the time goes, in process (%llu schedules, %llu steps, %.0f virtual s):\n",
              static_cast<unsigned long long>(sp.schedules), static_cast<unsigned long long>(sp.ops), double(sp.virtual_ms) / 1000);
  std::printf("  %-28s %6.1f%%  (%.1f us per schedule)\n", "Mosquitto's code", 100 * sp.broker_s / total, 1e6 * sp.broker_s / double(n));
  std::printf("  %-28s %6.1f%%  (%.1f us)\n", "simulator (clients, net, reset)", 100 * (sp.run_s - sp.broker_s) / total, 1e6 * (sp.run_s - sp.broker_s) / double(n));
  std::printf("  %-28s %6.1f%%  (%.1f us)\n", "model check", 100 * sp.model_s / total, 1e6 * sp.model_s / double(n));
  std::printf("  %-28s %6.1f%%  (%.1f us)\n\n", "schedule generation", 100 * sp.generate_s / total, 1e6 * sp.generate_s / double(n));

  const double j1 = jobs_rate(1, n / 2);
  const double j2 = jobs_rate(2, n / 2);
  std::printf("summary\n");
  row("figure", "target", "measured", "verdict");
  row("schedules/s, one core, worker (as mqsim check)", ">= 2000", fmt("%.0f", rate1), rate1 >= 2000 ? "PASS" : "MISS");
  row("schedules/s, in process, no transport", "-", fmt("%.0f", double(n) / total), "-");
  row("--jobs 1: schedules/s", "-", fmt("%.0f", j1), "-");
  row("--jobs 2: schedules/s", "-", fmt("%.0f", j2), "-");
  row("--jobs 2 / --jobs 1", ">= 1.8x", fmt("%.2fx", j2 / j1), j2 / j1 >= 1.8 ? "PASS" : "MISS");
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) std::printf("\nload average at the end: %.2f %.2f %.2f (a busy machine gives upper bounds)\n", load[0], load[1], load[2]);
  return 0;
}
