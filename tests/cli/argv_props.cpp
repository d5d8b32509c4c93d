// The mqsim program under generated command lines (rapidcheck): for every subcommand (check,
// replay, explain, merge, corpus, fuzz), valid flags
// with random values, random flags and random words. Whatever the arguments, mqsim exits 0, 1, 2
// (or 4, replay's hash mismatch), never dies of a signal, and writes nothing in its working
// directory outside the output directory the command names (--out, or its default). Issue 17.
//   mqsim_argv_props <path to mqsim> [runs]
// MQSIM_ARGV_PROPS_ECHO=1 prints every generated command line (to see what the generator reaches).
#include <rapidcheck.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;
namespace fs = std::filesystem;

namespace {

// What one subcommand takes: its flags with a generator of plausible and implausible values.
struct Flag {
  std::string name;
  std::vector<std::string> values;  // empty: a flag without a value
};
struct Command {
  std::string name;
  std::vector<Flag> flags;
  std::vector<std::string> positionals;
  std::string default_out;          // where it writes when no --out is given
};

// Values people type, right and wrong: numbers at and beyond every range, durations, paths that
// exist or not, files of the wrong kind.
const std::vector<std::string> kNumbers = {"0", "1", "3", "-1", "99999999999999999999", "18446744073709551616", "1e3", "0x10", "", " 2", "abc"};
const std::vector<std::string> kDurations = {"1s", "0.2s", "0", "-1s", "5x", "1e9h", "nan", "inf", "", "ms"};
const std::vector<std::string> kPaths = {"no-such-file", "in/bad.json", "in/schedule.json", "in/garbage.bin", "in/empty", "in", "/proc/self/mem", "/dev/null", ""};

std::vector<Command> commands() {
  return {
      {"check", {{"-n", {"1", "2", "5", "0", "-3", "99999999999999999999", "x"}}, {"--time", kDurations}, {"--seed", kNumbers},
                 {"--size", kNumbers}, {"--config", kPaths}, {"--junit", {"out/r.xml", "/proc/no/r.xml", ""}}, {"--known", kPaths},
                 {"--fail-fast", {}}}, {}, "mqsim-out"},
      {"replay", {{"--size", kNumbers}, {"--config", kPaths}, {"--target", {"tcp://127.0.0.1:99999999999999999999", "tcp://127.0.0.1:0", "x", "daemon:/dev/null"}},
                  {"--max-advance", kNumbers}, {"--diff", {}}},
       // Seeds past 2^64 - 1 twice each: the number readers' edge (the planted std::stoull) needs its share.
       {"3", "99999999999999999999", "99999999999999999999", "18446744073709551615", "18446744073709551616", "18446744073709551616",
        "000000000000000000000001", "in/bad.json", "in/schedule.json", "in/garbage.bin", "in/empty", "in", "-5"}, "mqsim-replay"},
      {"corpus", {{"--corpus", kPaths}, {"--filter", {"x", "", "zzz-no-case"}}, {"--jobs", kNumbers}, {"--compare", {"in/bad.json"}},
                  {"--target", {"tcp://127.0.0.1:x", "127.0.0.1:1", "daemon:/nope"}}, {"--reasons", {}}}, {}, ""},
      {"explain", {{"--size", kNumbers}, {"--known", kPaths}},
       {"3", "99999999999999999999", "18446744073709551616", "18446744073709551616", "in/bad.json", "in/schedule.json", "in/garbage.bin", "in/empty", "in", "in/state"}, ""},
      {"merge", {{"--known", kPaths}}, {"in", "in/state", "no-such-dir", "in/bad.json", "in/empty"}, ""},
      {"fuzz", {{"--time", {"1s", "0.3s", "5x", "-1s", "", "1e9h"}}, {"--jobs", {"1", "2", "0", "5000", "x"}}, {"--shard", {"1/1", "2/3", "3/2", "0/1", "1/0", "a/b", "99999999999/1"}},
                {"--seed", kNumbers}, {"--size", kNumbers}, {"--config", kPaths}, {"--resume", {}}}, {}, "mqsim-fuzz"},
  };
}

// A fresh working directory with the input files the paths above name.
fs::path make_workdir(const fs::path& root, int run) {
  const fs::path dir = root / ("run-" + std::to_string(run));
  fs::create_directories(dir / "in");
  std::ofstream(dir / "in/bad.json") << "{\"seed\": 1, \"clients\": [], \"ops\": [{\"op\": \"publish\"}]";
  std::ofstream(dir / "in/schedule.json")
      << R"({"seed": 1, "mosquitto_conf": "listener 1883\nallow_anonymous true\n", "liveness": false, "clients": [{"name": "c1"}], "ops": [{"op": "connect", "client": "c1"}]})";
  std::ofstream(dir / "in/garbage.bin") << std::string("\x01\xff\x10\x00garbage", 11);
  std::ofstream(dir / "in/empty");
  // A campaign directory with a state file cut short and a failure without its schedule.
  fs::create_directories(dir / "in/state/state");
  fs::create_directories(dir / "in/state/failures/x");
  std::ofstream(dir / "in/state/campaign.json") << "{\"base_seed\": 1, \"shard\": 1";
  std::ofstream(dir / "in/state/state/shard-1-of-1-job-0.json") << "{\"done\": \"many\", \"failing_runs\": -1, \"known_by_cause\": {\"x\": \"y\"}}";
  return dir;
}

// Every file under `dir` that is not under one of `allowed` (relative names) or in/.
std::vector<std::string> stray_files(const fs::path& dir, const std::vector<std::string>& allowed) {
  std::vector<std::string> stray;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), dir, ec).string();
    const auto top = rel.substr(0, rel.find('/'));
    bool ok = top == "in" || top == "out.txt" || top == "err.txt";
    for (const auto& a : allowed) ok = ok || (!a.empty() && top == a);
    if (!ok) stray.push_back(rel);
  }
  return stray;
}

struct Run {
  int status = -1;          // exit status, or -1
  int signal = 0;           // killed by this signal (0: exited)
  bool timed_out = false;
};

// Runs mqsim in `cwd`; a run past `limit` is killed and reported as timed out (the generator keeps
// campaigns to a second or two, so that is a hang, not a slow machine).
Run run_mqsim(const std::string& mqsim, const std::vector<std::string>& args, const fs::path& cwd, std::chrono::seconds limit) {
  std::vector<char*> argv;
  std::string exe = mqsim;
  argv.push_back(exe.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(125);
    (void)!freopen("out.txt", "w", stdout);
    (void)!freopen("err.txt", "w", stderr);
    execve(exe.c_str(), argv.data(), environ);
    _exit(127);
  }
  Run r;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.timed_out = true;
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  else r.status = WEXITSTATUS(status);
  return r;
}

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Whether a message names one of the arguments (a flag, a value, a path): "cannot use this input:
// stoull" does not; "replay: seed 99999999999999999999: expected ..." does.
bool names_an_argument(const std::string& message, const std::vector<std::string>& args) {
  if (message.find(" is required") != std::string::npos) return true;  // a missing argument has no value to name
  for (std::size_t i = 1; i < args.size(); ++i) {
    // Short flags are named by their long names.
    const std::string name = args[i] == "-n" ? "--schedules" : args[i] == "-j" ? "--jobs" : args[i];
    if (name.size() >= 2 && message.find(name) != std::string::npos) return true;
    if (name.size() == 1 && (message.ends_with(" " + name) || message.find(" " + name + ":") != std::string::npos ||
                             message.find("\"" + name + "\"") != std::string::npos)) return true;
    // An empty argument is named by its place: "not expected: " at the end, or "".
    if (name.empty() && (message.find("not expected") != std::string::npos || message.find("\"\"") != std::string::npos)) return true;
  }
  return false;
}

// rapidcheck scales inRange and elementOf with the test's size, which starts at 0: choices that
// must be uniform from the first run (which command, which value) are drawn at full size.
std::size_t pick(std::size_t n) { return *rc::gen::resize(100, rc::gen::inRange<std::size_t>(0, n)); }
template <typename T> const T& any_of(const std::vector<T>& v) { return v[pick(v.size())]; }

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "'" : " '") + a + "'";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <path to mqsim> [runs]\n", argv[0]);
    return 2;
  }
  const std::string mqsim = fs::absolute(argv[1]).string();
  const int runs = argc > 2 ? std::atoi(argv[2]) : 300;
  const fs::path root = fs::temp_directory_path() / ("mqsim-argv-" + std::to_string(getpid()));
  const auto cmds = commands();
  int run = 0;
  rc::detail::TestParams params;
  params.maxSuccess = runs;
  params.maxSize = 20;
  params.seed = 17;  // the same command lines every CI run; RC_PARAMS=seed=N explores others
  rc::detail::TestMetadata metadata;
  metadata.id = metadata.description = "mqsim under generated command lines";
  const auto result = rc::detail::checkTestable(
      [&] {
        const Command& cmd = any_of(cmds);
        std::vector<std::string> args{cmd.name};
        // Half the command lines carry no flags: an error in a flag stops the parse before the
        // positional argument is read, and the positional readers need their share of runs.
        const std::size_t nflags = pick(2) == 0 ? 0 : 1 + pick(4);
        std::vector<std::string> outs;  // every --out given (the last one counts; none may be written outside)
        for (std::size_t i = 0; i < nflags; ++i) {
          const std::size_t kind = pick(10);
          if (kind < 7) {  // a valid flag, plausible or implausible value
            const Flag& f = any_of(cmd.flags);
            args.push_back(f.name);
            if (!f.values.empty()) args.push_back(any_of(f.values));
          } else if (kind < 8) {  // --out somewhere of its own
            outs.push_back("out" + std::to_string(i));
            args.push_back("--out");
            args.push_back(outs.back());
          } else if (kind < 9) {  // an unknown flag
            args.push_back("--" + *rc::gen::container<std::string>(rc::gen::inRange('a', 'z')));
          } else {  // a random word
            args.push_back(*rc::gen::string<std::string>());
          }
        }
        if (!cmd.positionals.empty() && pick(4) > 0) args.push_back(any_of(cmd.positionals));
        // fuzz runs an hour unless told otherwise: a run with no --time would be a "hang" of the test's making.
        if (cmd.name == "fuzz" && std::find(args.begin(), args.end(), "--time") == args.end()) args.insert(args.end(), {"--time", "1s"});
        // check runs 1,000 schedules by default: 50 keep 200 command lines within a minute or two.
        const bool bounded = std::find(args.begin(), args.end(), "-n") != args.end() || std::find(args.begin(), args.end(), "--time") != args.end();
        if (cmd.name == "check" && !bounded) args.insert(args.end(), {"-n", "50"});
        if (outs.empty()) outs.push_back(cmd.default_out);
        const fs::path cwd = make_workdir(root, ++run);
        const Run r = run_mqsim(mqsim, args, cwd, std::chrono::seconds(60));
        RC_LOG() << "mqsim " << joined(args) << "\n";
        if (std::getenv("MQSIM_ARGV_PROPS_ECHO")) std::fprintf(stderr, "%s\n", joined(args).c_str());
        RC_ASSERT_FALSE(r.timed_out);
        RC_ASSERT(r.signal == 0);
        RC_ASSERT(r.status == 0 || r.status == 1 || r.status == 2 || r.status == 4);
        if (r.status == 2) {  // bad input: one message that names what was wrong (an argument or a file it names)
          const std::string said = first_line(cwd / "err.txt");
          RC_LOG() << "said: " << said << "\n";
          RC_ASSERT(names_an_argument(said, args));
        }
        const auto stray = stray_files(cwd, outs);
        for (const auto& s : stray) RC_LOG() << "wrote outside its output directory: " << s << "\n";
        RC_ASSERT(stray.empty());
        std::error_code ec;
        fs::remove_all(cwd, ec);
      },
      metadata, params);
  std::error_code ec;
  fs::remove_all(root, ec);
  rc::detail::printResultMessage(result, std::cout);
  std::cout << "\n" << run << " command lines run\n";
  return result.is<rc::detail::SuccessResult>() ? 0 : 1;
}
