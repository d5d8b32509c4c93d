// `mqsim corpus`: Mosquitto's own packet-sequence corpus (test/broker/data/*.json) run with
// msg_sequence_test.py's semantics (see corpus/corpus.h), in the simulator or, through the same
// runner, against a real broker over loopback TCP; and the comparison of two per-case result
// lists (simulator vs daemon, or one corpus against two Mosquitto versions).
#pragma once

#include <cstddef>
#include <string>

namespace mqsim::cli {

struct CorpusArgs {
  std::string dir;           // the corpus directory (empty: $MQSIM_CORPUS_DIR, else the built tree's)
  std::string filter;        // only the cases whose "FILE GROUP NAME" contains this
  std::string json_out;      // write every case's verdict here as JSON (empty: don't)
  std::string target;        // empty: the simulator; else as `mqsim replay --target` (daemon_cmd.h)
  bool shared = false;       // simulator: one broker for the whole selection, as the Python runs it
  std::size_t jobs = 0;      // simulator, fresh brokers: processes at once (0: one per idle core)
};

// Runs the selected cases, each on a fresh simulated broker in a worker process (or, with
// `shared` or a target, all on one broker in order). Prints per-file counts and every failing
// case with its reason. Returns kExitOk when every case passed, kExitFound when some failed,
// kExitUsage on bad input (a missing directory, malformed JSON, an unknown message type, a bad
// target: one line naming it).
int run_corpus(const CorpusArgs& args);

// Compares two --json result lists case by case; prints the figures and every case whose
// verdicts differ. kExitOk when the verdicts agree on every case, kExitFound when they do not,
// kExitUsage when a file cannot be read.
int run_corpus_compare(const std::string& a_path, const std::string& b_path, bool show_reasons);

}  // namespace mqsim::cli
