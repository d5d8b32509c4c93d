// `mqsim replay --target ...` (cli/daemon_cmd.cpp), called in-process: a schedule.json against
// the same-tree daemon, against a broker someone else started (tcp://127.0.0.1:PORT), with
// --diff, and bad targets rejected with exit status 2.
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "cli/daemon_cmd.h"
#include "daemon_support.h"
#include "sim/tcp_daemon.h"

using namespace mqsim;
namespace fs = std::filesystem;

namespace {

// A small schedule: a subscriber, a QoS 1 publish, a crash with a will.
Schedule small_schedule() {
  Schedule s;
  s.mosquitto_conf = "listener 1883\nallow_anonymous true\n";
  s.clients = {{.name = "c1"}, {.name = "c2", .will = mqtt::Will{"w", "gone", 1, false, {}}}};
  s.clients[0].client_id = "c1";
  s.clients[1].client_id = "c2";
  Op connect1{.kind = OpKind::Connect, .client = 0};
  Op sub{.kind = OpKind::Subscribe, .client = 0};
  sub.subscriptions = {{"#", 1}};
  Op connect2{.kind = OpKind::Connect, .client = 1};
  Op pub{.kind = OpKind::Publish, .client = 1, .topic = "a", .payload = "p1", .qos = 1};
  Op crash{.kind = OpKind::Crash, .client = 1};
  Op wait{.kind = OpKind::Advance, .duration_ms = 500};
  s.ops = {connect1, sub, connect2, pub, crash, wait};
  s.liveness = false;
  return s;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("mqsim-cli-test-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string write_schedule(const TempDir& dir) {
  const std::string file = (dir.path / "schedule.json").string();
  std::ofstream(file) << to_json(small_schedule());
  return file;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_SUITE("daemon: cli") {

TEST_CASE("replay --target daemon: artifacts of a real-time run, without a trace hash") {
  TempDir dir;
  const cli::TargetReplayArgs args{.what = write_schedule(dir), .target = "daemon", .out_dir = (dir.path / "out").string()};
  CHECK(cli::run_replay_on_target(args) == cli::kExitOk);
  for (const char* f : {"trace.txt", "verdict.txt", "schedule.json", "target.txt", "trace.pcap"}) CHECK_MESSAGE(fs::exists(dir.path / "out" / f), f);
  CHECK_FALSE(fs::exists(dir.path / "out" / "trace.hash"));
  const std::string trace = slurp(dir.path / "out" / "trace.txt");
  CHECK(trace.find("tcp target: mosquitto daemon") != std::string::npos);
  CHECK(trace.find("payload=\"gone\"") != std::string::npos);
}

TEST_CASE("replay --target daemon --diff: both runs, both verdicts, the comparison") {
  TempDir dir;
  const cli::TargetReplayArgs args{.what = write_schedule(dir), .target = "daemon", .out_dir = (dir.path / "out").string(), .diff = true};
  CHECK(cli::run_replay_on_target(args) == cli::kExitOk);
  CHECK(fs::exists(dir.path / "out" / "sim" / "trace.hash"));
  CHECK_FALSE(fs::exists(dir.path / "out" / "daemon" / "trace.hash"));
  CHECK(slurp(dir.path / "out" / "diff.txt").find("traces agree") != std::string::npos);
}

TEST_CASE("replay --target tcp://127.0.0.1:PORT: a broker someone else started") {
  TempDir dir;
  Daemon d;
  std::string error;
  DaemonConfig dc;
  dc.binary = MQSIM_DAEMON_BINARY;
  dc.mosquitto_conf = small_schedule().mosquitto_conf;
  REQUIRE_MESSAGE(d.start(dc, &error), error);
  const std::string target = "tcp://127.0.0.1:" + std::to_string(d.ports().at(1883));
  const cli::TargetReplayArgs args{.what = write_schedule(dir), .target = target, .out_dir = (dir.path / "out").string()};
  CHECK(cli::run_replay_on_target(args) == cli::kExitOk);
  CHECK(slurp(dir.path / "out" / "target.txt").find(target) != std::string::npos);
  CHECK(d.running());
}

TEST_CASE("replay --target: a bad target is bad input (exit 2)") {
  TempDir dir;
  const std::string file = write_schedule(dir);
  for (const char* bad : {"tcp://10.0.0.1:1883", "tcp://127.0.0.1:0", "tcp://127.0.0.1:x", "udp://127.0.0.1:1883", "daemon:/nonexistent/mosquitto"}) {
    CAPTURE(bad);
    const cli::TargetReplayArgs args{.what = file, .target = bad, .out_dir = (dir.path / "out").string()};
    CHECK(cli::run_replay_on_target(args) == cli::kExitUsage);
  }
}

}  // TEST_SUITE("daemon: cli")
