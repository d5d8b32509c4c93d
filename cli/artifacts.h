// What a person gets for a failing run: a directory with schedule.json (replayable, editable),
// trace.txt, trace.pcap (Wireshark/tshark), sequence.html (a diagram that opens offline),
// verdict.txt (the statement, expected vs seen, the one-line reproduce command) and trace.hash.
// Written atomically: to a temporary name, fsynced, then renamed, so a killed campaign never
// leaves a half-written failure behind.
#pragma once

#include <optional>
#include <string>

#include "model/checker.h"
#include "sim/runner.h"
#include "schedule/schedule.h"

namespace mqsim::cli {

struct FailureReport {
  Schedule schedule;
  RunResult result;
  std::optional<model::Violation> violation;
  std::string headline;           // one line
  std::string reproduce;          // the command that replays it
  std::optional<std::uint64_t> seed;
};

// Writes the artifacts into `dir` (created; replaced if present). Returns false with `error`.
bool write_failure_dir(const std::string& dir, const FailureReport& report, std::string* error);

// The verdict text (also printed by replay).
std::string verdict_text(const FailureReport& report);

}  // namespace mqsim::cli
