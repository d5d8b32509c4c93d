// `mqsim fuzz`: long campaigns on every core, sharded across machines, resumable, and nothing
// found is ever lost.
//
// Seed space: shard K of M owns the seeds s with (s - base) mod M == K-1; within a shard, job j of
// J takes every J-th of those. Shards are disjoint whatever --jobs each machine uses.
// Durability: every failure is shrunk and saved at once, atomically (temporary name, fsync,
// rename), deduplicated by violated statement + shrunk schedule; each job's position is saved
// every second the same way, so a campaign killed with SIGKILL resumes (--resume) where it
// stopped, re-running at most a second of seeds.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>

#include <xxhash.h>

#include <cassert>
#include <chrono>
#include <cinttypes>
#include <functional>
#include <map>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/artifacts.h"
#include "cli/campaign_state.h"
#include "cli/commands.h"
#include "props/campaign.h"
#include "props/sharding.h"

namespace mqsim::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

bool write_atomically(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return false;
  }
  FILE* f = std::fopen(tmp.c_str(), "r");
  if (f) {
    fsync(fileno(f));
    std::fclose(f);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

std::string finding_key(const props::Finding& f) {
  std::string basis = f.evaluation.signature() + "\n";
  for (const auto& op : f.shrunk.ops) basis += op_text(f.shrunk, op) + "\n";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(basis.data(), basis.size())));
  std::string name = f.evaluation.violation ? f.evaluation.violation->statement : f.evaluation.failure_kind;
  for (char& c : name) if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  return name + "-" + std::string(hex, 12);
}

// Saves a finding unless the same one (statement + shrunk schedule) is already there.
void save_finding(const fs::path& out, const props::Finding& f) {
  const fs::path dir = out / "failures" / finding_key(f);
  if (fs::exists(dir)) return;
  FailureReport fr{f.shrunk, f.evaluation.result, f.evaluation.violation, f.headline(), "mqsim replay " + dir.string(), f.seed};
  std::string error;
  if (!write_failure_dir(dir.string(), fr, &error)) std::fprintf(stderr, "mqsim fuzz: cannot save %s: %s\n", dir.c_str(), error.c_str());
}

struct Plan {
  std::uint64_t base_seed = 1;
  std::uint32_t shard = 1, shards = 1, jobs = 1;
  int size = 100;
  std::string conf;   // empty: each schedule's own
};

fs::path state_path(const fs::path& out, const Plan& p, std::uint32_t job) {
  return out / "state" / ("shard-" + std::to_string(p.shard) + "-of-" + std::to_string(p.shards) + "-job-" + std::to_string(job) + ".json");
}

// What a job's earlier runs (before --resume) counted: carried into its state file so that
// `mqsim merge` reports the whole campaign. run_fuzz has refused a campaign whose state files
// cannot be read (read_job_position), so a file that is not there is the only way to get 0 here.
struct Tally {
  std::uint64_t done = 0, failures = 0, known = 0;
  std::map<std::string, std::uint64_t> known_by_cause;
};

Tally load_tally(const fs::path& path, const props::SeedPlan& plan, std::uint32_t job) {
  Tally t;
  std::string error;
  const auto pos = read_job_position(path.string(), props::seed_for(plan, job, 0), props::seed_stride(plan), &error);
  assert(pos && "run_fuzz validates every state file before the jobs start");
  if (!pos || pos->done == 0) return t;
  t.done = pos->done;
  const nlohmann::json& j = pos->saved;
  // Counts only (the position was checked above): a field of another type counts as none.
  const auto count = [&](const char* key) { return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0; };
  t.failures = count("failing_runs");
  t.known = count("known_runs");
  if (j.contains("known_by_cause") && j["known_by_cause"].is_object()) {
    for (const auto& [cause, runs] : j["known_by_cause"].items()) if (runs.is_number_unsigned()) t.known_by_cause[cause] = runs;
  }
  return t;
}

// A job's position: how many of its seeds are finished, and which seeds those are (the job's
// seeds are first_seed, first_seed + stride, ...), so people and tests can see what a campaign
// covered and where --resume goes on without recomputing the seed plan.
// With it, what the job's runs showed so far: failing runs, runs the fixed broker passes and
// their causes (cumulative over --resume), and the Mosquitto version they ran (for `mqsim merge`).
void save_position(const fs::path& path, const props::SeedPlan& plan, std::uint32_t job, const Tally& before, const props::CampaignStats& st) {
  const std::uint64_t done = before.done + st.schedules;
  json by_cause = json::object();
  for (const auto& [cause, runs] : before.known_by_cause) by_cause[cause] = runs;
  for (const auto& [cause, runs] : st.known_by_cause) by_cause[cause] = by_cause.value(cause, std::uint64_t{0}) + runs;
  const json state = {{"done", done}, {"first_seed", props::seed_for(plan, job, 0)}, {"stride", props::seed_stride(plan)},
                      {"next_seed", props::seed_for(plan, job, done)}, {"mosquitto", MQSIM_MOSQUITTO_VERSION_STR},
                      {"failing_runs", before.failures + st.failures}, {"known_runs", before.known + st.known},
                      {"known_by_cause", by_cause}, {"tolerance_s", st.tolerance_s}, {"elapsed_s", st.elapsed_s}};
  write_atomically(path, state.dump() + "\n");
}

// One job: its own worker, its own slice of seeds, reporting "schedules failures known ops
// virtual_ms" lines to the parent.
[[noreturn]] void job_main(const fs::path& out, const Plan& p, std::uint32_t job, double time_s, int report_fd) {
  signal(SIGINT, SIG_IGN);  // the parent decides when to stop (it sends SIGTERM)
  signal(SIGTERM, [](int) { _exit(0); });
  const props::SeedPlan plan{p.base_seed, p.shard, p.shards, p.jobs};
  const Tally before = load_tally(state_path(out, p, job), plan, job);
  const std::uint64_t done_before = before.done;
  props::CampaignOptions opt;
  opt.size = p.size;
  opt.schedules = 0;
  opt.time_limit_s = time_s;
  opt.seed_stride = props::seed_stride(plan);
  opt.first_seed = props::seed_for(plan, job, done_before);
  if (!p.conf.empty()) opt.conf_override = p.conf;
  if (done_before > 0) {
    std::fprintf(stderr, "mqsim fuzz: job %u resumes at seed %" PRIu64 " (%" PRIu64 " of its seeds done)\n", job, opt.first_seed, done_before);
  }
  props::KnownDeviations known;
  std::string error;
  known.load_dir(props::default_known_deviations_dir(), &error);
  opt.tolerate = !is_reference_program();  // a reference broker compares with nothing
  double last_save_s = 0;
  auto progress = [&](const props::CampaignStats& st, const props::Finding* fresh) {
    if (fresh) save_finding(out, *fresh);
    if (st.elapsed_s - last_save_s >= 1.0 || fresh) {
      last_save_s = st.elapsed_s;
      save_position(state_path(out, p, job), plan, job, before, st);
      char line[160];
      const int n = std::snprintf(line, sizeof line, "%u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", job, st.schedules,
                                  st.failures, st.known, st.ops, st.virtual_ms);
      if (write(report_fd, line, static_cast<std::size_t>(n)) < 0) _exit(0);
    }
  };
  auto rep = props::run_campaign(opt, known, progress);
  save_position(state_path(out, p, job), plan, job, before, rep.stats);
  char line[160];
  const int n = std::snprintf(line, sizeof line, "%u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", job, rep.stats.schedules,
                              rep.stats.failures, rep.stats.known, rep.stats.ops, rep.stats.virtual_ms);
  (void)!write(report_fd, line, static_cast<std::size_t>(n));
  _exit(0);
}


// Whether every job's saved position can be read back (run before any job starts, so a campaign
// with an unreadable state file is refused instead of silently starting that job over).
bool resumable_positions(const fs::path& out, const Plan& p, std::string* error) {
  const props::SeedPlan plan{p.base_seed, p.shard, p.shards, p.jobs};
  for (std::uint32_t job = 0; job < p.jobs; ++job) {
    if (!read_job_position(state_path(out, p, job).string(), props::seed_for(plan, job, 0), props::seed_stride(plan), error)) return false;
  }
  return true;
}

struct JobStats {
  std::uint64_t schedules = 0, failures = 0, known = 0, ops = 0, virtual_ms = 0;
};

// Starts the jobs, shows live totals, stops them on SIGINT/SIGTERM or when they finish.
int supervise_fuzz_jobs(const FuzzArgs& args, const fs::path& out, std::uint32_t jobs,
                        const std::function<void(std::uint32_t, int)>& job_body) {
  std::vector<pid_t> pids(jobs, -1);
  std::vector<int> fds(jobs, -1);
  std::vector<std::string> partial(jobs);
  std::vector<JobStats> stats(jobs);
  signal(SIGINT, on_stop_signal);
  signal(SIGTERM, on_stop_signal);
  for (std::uint32_t j = 0; j < jobs; ++j) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return kExitUsage;
    const pid_t pid = fork();
    if (pid == 0) {
      close(pipefd[0]);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a campaign killed with SIGKILL takes its jobs along
      job_body(j, pipefd[1]);
    }
    close(pipefd[1]);
    pids[j] = pid;
    fds[j] = pipefd[0];
  }
  const bool tty = isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  double last_print_s = -10;
  std::uint32_t open = jobs;
  while (open > 0) {
    if (g_stop) {
      for (pid_t pid : pids) if (pid > 0) kill(pid, SIGTERM);
      break;
    }
    std::vector<pollfd> pfds;
    for (std::uint32_t j = 0; j < jobs; ++j) if (fds[j] >= 0) pfds.push_back({fds[j], POLLIN, 0});
    poll(pfds.data(), pfds.size(), 200);
    for (std::uint32_t j = 0; j < jobs; ++j) {
      if (fds[j] < 0) continue;
      pollfd q{fds[j], POLLIN, 0};
      if (poll(&q, 1, 0) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[j], buf, sizeof buf);
      if (n <= 0) {
        close(fds[j]);
        fds[j] = -1;
        --open;
        continue;
      }
      partial[j].append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = partial[j].find('\n')) != std::string::npos; partial[j].erase(0, nl + 1)) {
        unsigned job = 0;
        JobStats s;
        if (std::sscanf(partial[j].c_str(), "%u %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &job, &s.schedules, &s.failures,
                        &s.known, &s.ops, &s.virtual_ms) == 6 && job < jobs) stats[job] = s;
      }
    }
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed_s - last_print_s >= (tty ? 0.5 : 10.0)) {
      last_print_s = elapsed_s;
      JobStats t;
      for (const auto& s : stats) t.schedules += s.schedules, t.failures += s.failures, t.known += s.known;
      std::fprintf(stderr, "%s  %" PRIu64 " schedules  %.0f/s  %" PRIu64 " failures  %" PRIu64 " known  %.0f s  (%u jobs)%s", tty ? "\r\033[K" : "",
                   t.schedules, elapsed_s > 0 ? double(t.schedules) / elapsed_s : 0.0, t.failures, t.known, elapsed_s, jobs, tty ? "" : "\n");
    }
  }
  for (pid_t pid : pids) {
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
  }
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  JobStats t;
  for (const auto& s : stats) t.schedules += s.schedules, t.failures += s.failures, t.known += s.known, t.ops += s.ops, t.virtual_ms += s.virtual_ms;
  std::size_t saved = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out / "failures", ec)) {
    saved += e.is_directory() && e.path().filename().string()[0] != '.' ? 1 : 0;
  }
  if (tty) std::fprintf(stderr, "\n");
  std::printf("mqsim fuzz: %" PRIu64 " schedules in %.1f s (%.0f schedules/s, %u jobs), %" PRIu64 " failing runs, %" PRIu64
              " known-deviation runs, %zu distinct failures saved in %s/failures%s\n",
              t.schedules, elapsed_s, elapsed_s > 0 ? double(t.schedules) / elapsed_s : 0.0, jobs, t.failures, t.known, saved, out.c_str(),
              g_stop ? " (stopped; continue with --resume)" : "");
  (void)args;
  // The per-cause counts live in the jobs' state files: the same report `mqsim merge` prints.
  MergeArgs report;
  report.dirs = {out.string()};
  std::printf("\n");
  run_merge(report);
  return saved > 0 ? kExitFound : kExitOk;
}

}  // namespace

int run_fuzz(const FuzzArgs& args) {
  Plan p;
  p.base_seed = args.seed;
  p.jobs = args.jobs;
  p.size = args.size;
  if (std::sscanf(args.shard.c_str(), "%u/%u", &p.shard, &p.shards) != 2 || p.shards == 0 || p.shard == 0 || p.shard > p.shards) {
    std::fprintf(stderr, "mqsim fuzz: --shard %s: expected K/M with 1 <= K <= M (e.g. 3/8)\n", args.shard.c_str());
    return kExitUsage;
  }
  std::optional<std::string> conf;
  if (!load_config_arg("fuzz", args.config_path, &conf)) return kExitUsage;
  p.conf = conf.value_or("");
  const fs::path out = args.out_dir;
  std::error_code ec;
  fs::create_directories(out / "state", ec);
  fs::create_directories(out / "failures", ec);
  if (ec || access((out / "state").c_str(), W_OK) != 0) {
    std::fprintf(stderr, "mqsim fuzz: --out %s: not a writable directory\n", out.c_str());
    return kExitUsage;
  }
  // A campaign killed while saving leaves a hidden temporary directory; it was never a finding.
  for (const auto& e : fs::directory_iterator(out / "failures", ec)) {
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(e.path(), ec);
  }
  const json plan = {{"base_seed", p.base_seed}, {"shard", p.shard}, {"shards", p.shards}, {"jobs", p.jobs}, {"size", p.size}, {"conf", p.conf}};
  const fs::path plan_path = out / "campaign.json";
  if (fs::exists(plan_path)) {
    if (!args.resume) {
      std::fprintf(stderr, "mqsim fuzz: %s already holds a campaign; pass --resume to continue it, or choose another --out\n", out.c_str());
      return kExitUsage;
    }
    std::string error;
    const auto saved = read_campaign_plan(plan_path.string(), &error);
    if (!saved) {
      std::fprintf(stderr, "mqsim fuzz: --resume: %s\n", error.c_str());
      return kExitUsage;
    }
    if (*saved != plan) {
      std::fprintf(stderr, "mqsim fuzz: --resume: %s was started with %s; run with the same --seed/--shard/--jobs/--size/--config\n",
                   plan_path.c_str(), saved->dump().c_str());
      return kExitUsage;
    }
    if (!resumable_positions(out, p, &error)) {
      std::fprintf(stderr, "mqsim fuzz: --resume: %s\n", error.c_str());
      return kExitUsage;
    }
  } else if (!write_atomically(plan_path, plan.dump(2) + "\n")) {
    std::fprintf(stderr, "mqsim fuzz: cannot write %s\n", plan_path.c_str());
    return kExitUsage;
  }
  return supervise_fuzz_jobs(args, out, p.jobs, [&](std::uint32_t job, int fd) { job_main(out, p, job, args.time_s, fd); });
}

}  // namespace mqsim::cli
