// `mqsim replay --target ...`: a schedule (a seed, a failure directory or a schedule.json)
// played by the same scripted clients against a REAL Mosquitto over loopback TCP, in real time,
// judged by the same model; with --diff also in the simulator, and the two traces compared
// event by event (docs/real-daemon.md).
//
// Targets:
//   tcp://127.0.0.1:PORT    a broker you started; every client dials PORT (its config is yours:
//                           the model reads the schedule's, or --config's)
//   daemon                  the mosquitto built from the simulator's own tree (vendor/daemon.cmake),
//                           started on free loopback ports with the schedule's config
//   daemon:/path/mosquitto  that binary instead (e.g. /usr/sbin/mosquitto, asked for explicitly)
//
// A TCP run is not deterministic: its artifacts carry no trace.hash (nothing to verify it by).
#pragma once

#include <optional>
#include <string>

#include "sim/sim.h"

namespace mqsim::cli {

// Reads a --target (see above). Bad input: nullopt with `error` set, one line naming it.
std::optional<TcpTargetConfig> parse_target(const std::string& text, std::string* error);

struct TargetReplayArgs {
  std::string what;                          // a seed, a failure directory or a schedule.json
  std::string target;                        // see above
  std::string out_dir = "mqsim-replay-tcp";
  int size = 100;                            // schedule size when `what` is a seed
  std::optional<std::string> config_path;    // replaces the schedule's mosquitto.conf
  bool diff = false;                         // also run the simulator and compare
  std::optional<double> max_advance_s;       // cap every advance (both runs, with --diff)
};

// Exit status as the other subcommands: 0 pass, 1 a violation or a divergence, 2 bad input.
int run_replay_on_target(const TargetReplayArgs& args);

}  // namespace mqsim::cli
