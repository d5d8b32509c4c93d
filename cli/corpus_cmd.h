// `mqsim corpus`: Mosquitto's own packet-sequence corpus (test/broker/data/*.json) run in the
// simulator with msg_sequence_test.py's semantics (see sim/corpus.h).
#pragma once

#include <string>

namespace mqsim::cli {

// Runs every case of the corpus in `dir` whose "FILE GROUP NAME" contains `filter` (all when
// empty), each on a fresh broker in a worker process. Prints per-file counts and every failing
// case with its reason; writes the per-case verdicts as JSON to `json_out` unless it is empty.
// Returns kExitOk when every case passed, kExitFound when some failed, kExitUsage on bad input
// (a missing directory, malformed JSON, an unknown message type: one line naming file and case).
int run_corpus(const std::string& dir, const std::string& filter, const std::string& json_out);

}  // namespace mqsim::cli
