// The mqsim program's subcommands. Each returns the process exit status:
//   0 all good, 1 a failure was found (or reproduced), 2 bad input (one clear message on stderr).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace mqsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitFound = 1;
constexpr int kExitUsage = 2;
constexpr int kExitHashMismatch = 4;

struct CheckArgs {
  std::uint64_t schedules = 1000;
  std::optional<double> time_s;
  std::uint64_t seed = 1;
  int size = 100;
  std::optional<std::string> config_path;
  std::optional<std::string> junit_path;
  std::string out_dir = "mqsim-out";
  std::optional<std::string> known_dir;
  bool fail_fast = false;
  std::string broker = "as-built";  // or "fixed": the fixed broker, no tolerance
};
int run_check(const CheckArgs& args);

struct ExplainArgs {
  std::string what;                 // a failure directory, a seed, a schedule.json or a face
  int size = 100;
  std::optional<std::string> known_dir;
};
int run_explain(const ExplainArgs& args);

struct MergeArgs {
  std::vector<std::string> dirs;    // `mqsim fuzz --out` directories
  std::optional<std::string> known_dir;
};
int run_merge(const MergeArgs& args);

struct ReplayArgs {
  std::string what;                 // a seed, a failure directory, a schedule.json or a fuzzer input
  std::string out_dir = "mqsim-replay";
  int size = 100;
  std::optional<std::string> config_path;
};
int run_replay(const ReplayArgs& args);

// What replay-like commands accept: a seed, a failure directory (with its trace.hash), a
// schedule.json, a known-deviation file, or a fuzzer input (any other file: libFuzzer's
// crash-<sha1>, decoded by props::schedule_from_bytes). nullopt with `error` naming the file and
// field.
struct ReplayInput {
  Schedule schedule;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> expected_hash;
  std::optional<std::size_t> fuzzer_input_bytes;  // set when decoded from a fuzzer input
};
std::optional<ReplayInput> load_replay_input(const std::string& what, int size, std::string* error);

struct FuzzArgs {
  double time_s = 3600;
  std::uint32_t jobs = 1;
  std::string shard = "1/1";
  std::string out_dir = "mqsim-fuzz";
  bool resume = false;
  std::uint64_t seed = 1;
  int size = 100;
  std::optional<std::string> config_path;
};
int run_fuzz(const FuzzArgs& args);

// Whether this program is one of the build's reference brokers (mqsim-fixed or an ablation
// variant): its campaigns then tolerate nothing (it would only compare itself with itself).
bool is_reference_program();
// Parses "30s", "5m", "8h", "90" (seconds). nullopt when malformed.
std::optional<double> parse_duration_s(const std::string& text);
// Reads a whole file; nullopt with `error` when it cannot.
std::optional<std::string> read_file(const std::string& path, std::string* error);
// Checks a mosquitto.conf with the model's reader and with Mosquitto itself (an empty run). On
// rejection returns false with one line naming the file and line.
bool validate_config(const std::string& path, const std::string& text, std::string* error);
// --config for any subcommand: reads and validates the file when one is named. On bad input
// prints "mqsim <command>: <what is wrong, where>" and returns false.
bool load_config_arg(const char* command, const std::optional<std::string>& path, std::optional<std::string>* text);

}  // namespace mqsim::cli
