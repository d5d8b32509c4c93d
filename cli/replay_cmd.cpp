// `mqsim replay`: the exact failure again (trace hash verified against the saved one), judged by
// the model, with the artifacts people would rather look at than read.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <span>
#include <nlohmann/json.hpp>

#include "cli/artifacts.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "model/broker_config.h"
#include "props/bytes_schedule.h"
#include "props/generators.h"
#include "sim/schedule_exec.h"

namespace mqsim::cli {
namespace {

namespace fs = std::filesystem;

}  // namespace

bool is_number(const std::string& s) {
  return !s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos;
}

// A file is JSON (a schedule or a known deviation) when its name says so or it parses as a JSON
// object; anything else is a fuzzer input (libFuzzer's crash-<sha1>, a corpus entry): bytes that
// props::schedule_from_bytes turns into a schedule, as fuzz/fuzz_target.cpp did. A truncated
// schedule.json still gets its JSON error rather than being read as bytes.
bool looks_like_json(const fs::path& file, const std::string& text) {
  if (file.extension() == ".json") return true;
  return nlohmann::json::parse(text, nullptr, false).is_object();
}

std::optional<ReplayInput> load_replay_input(const std::string& what, int size, std::string* error) {
  ReplayInput l;
  if (is_number(what) && !fs::exists(what)) {
    const auto seed = parse_u64(what, 0, UINT64_MAX);
    if (!seed) {
      *error = "seed " + what + ": expected a whole number from 0 to " + std::to_string(UINT64_MAX);
      return std::nullopt;
    }
    l.seed = *seed;
    l.schedule = props::schedule_for_seed(*l.seed, size).value();
    return l;
  }
  fs::path file = what;
  if (fs::is_directory(file)) {
    if (auto h = read_file((file / "trace.hash").string(), nullptr)) l.expected_hash = h->substr(0, 16);
    file /= "schedule.json";
  }
  auto text = read_file(file.string(), error);
  if (!text) return std::nullopt;
  if (!looks_like_json(file, *text)) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text->data());
    l.schedule = props::schedule_from_bytes(std::span<const std::uint8_t>(bytes, text->size()));
    l.fuzzer_input_bytes = text->size();
    return l;
  }
  // A known-deviation file carries its schedule inside: replay that.
  auto outer = nlohmann::json::parse(*text, nullptr, false);
  if (outer.is_object() && outer.contains("schedule") && outer.contains("statement")) *text = outer["schedule"].dump();
  auto s = schedule_from_json(*text, error);
  if (!s) {
    *error = file.string() + ": " + *error;
    return std::nullopt;
  }
  l.schedule = *s;
  return l;
}

int run_replay(const ReplayArgs& args) {
  std::string error;
  auto loaded = load_replay_input(args.what, args.size, &error);
  if (!loaded) {
    std::fprintf(stderr, "mqsim replay: %s\n", error.c_str());
    return kExitUsage;
  }
  Schedule& s = loaded->schedule;
  if (loaded->fuzzer_input_bytes) {
    std::printf("%s: not JSON, decoded as a fuzzer input (%zu bytes, props/bytes_schedule.h): %zu clients, %zu steps\n", args.what.c_str(),
                *loaded->fuzzer_input_bytes, s.clients.size(), s.ops.size());
  }
  std::optional<std::string> conf;
  if (!load_config_arg("replay", args.config_path, &conf)) return kExitUsage;
  if (conf) {
    s.mosquitto_conf = *conf;
    loaded->expected_hash.reset();  // a different config is a different run
  }
  auto config = model::parse_broker_config(s.mosquitto_conf, &error);
  if (!config) {
    std::fprintf(stderr, "mqsim replay: the schedule's mosquitto_conf: %s\n", error.c_str());
    return kExitUsage;
  }
  SimConfig sc;
  sc.mosquitto_conf = s.mosquitto_conf;
  sc.seed = s.seed;
  RunResult result = run(sc, [&](Sim& sim) { execute(s, sim); });
  std::optional<model::Violation> violation;
  if (result.ok()) violation = model::check(result.trace, *config, model::CheckOptions{.liveness = s.liveness}).violation;
  const bool failed = !result.ok() || violation.has_value();

  FailureReport fr;
  fr.schedule = s;
  fr.result = result;
  fr.violation = violation;
  fr.seed = loaded->seed;
  fr.headline = failed ? (violation ? "FAIL [" + violation->statement + "] " + violation->expected : std::string("FAIL ") + outcome_name(result.outcome))
                       : "PASS: the trace satisfies the model";
  fr.reproduce = "mqsim replay " + args.out_dir;
  if (!write_failure_dir(args.out_dir, fr, &error)) {
    std::fprintf(stderr, "mqsim replay: --out %s: %s\n", args.out_dir.c_str(), error.c_str());
    return kExitUsage;
  }
  std::printf("%s\n", verdict_text(fr).c_str());
  std::printf("artifacts: %s/{trace.txt,trace.pcap,sequence.html,verdict.txt,schedule.json}\n", args.out_dir.c_str());
  const std::string hash = hex64(result.trace.hash());
  if (loaded->expected_hash) {
    if (*loaded->expected_hash != hash) {
      std::printf("trace hash MISMATCH: saved %s, replayed %s — the build or the broker changed\n", loaded->expected_hash->c_str(), hash.c_str());
      return kExitHashMismatch;
    }
    std::printf("trace hash verified: %s (byte-identical to the saved run)\n", hash.c_str());
  }
  return failed ? kExitFound : kExitOk;
}

}  // namespace mqsim::cli
