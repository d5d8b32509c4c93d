// Mosquitto's own packet-sequence corpus (test/broker/data/*.json in its source tree), run in
// the simulator, or through the same runner against a real broker over loopback TCP
// (RunOptions::tcp), with the semantics of Mosquitto's test/broker/msg_sequence_test.py:
//
//   - the broker runs as `mosquitto -v -p 1888` (no config file: one listener, anonymous
//     clients allowed, every other setting at its default);
//   - each test opens one TCP connection (client_connect_only: ScriptedClient::dial, nothing
//     sent); unless "connect" is false it first sends the default
//     CONNECT (client id = "<group> <name>", clean session, keepalive 60, v5: Receive Maximum 20)
//     and expects the default CONNACK byte for byte;
//   - "send" writes the bytes; "recv" reads as many bytes as it expects (a socket recv(n): it
//     takes what is there, up to n) and compares them exactly; "publish" makes a helper client
//     ("helper", v3.1.1) connect, publish at the given QoS with the full handshake, and close;
//   - at the end, when "expect_disconnect" (default true) the broker must have closed the
//     connection (EOF or reset, nothing unread), otherwise a PINGREQ must get its PINGRESP;
//   - every wait is the Python's 2 s socket timeout, in virtual time (real time on TCP);
//   - the client's socket errors are Linux's: after the broker closed with input unread (RST)
//     the next send or recv fails with ECONNRESET (a recv still gets the bytes sent before);
//     after a clean close the first send goes out and the next fails with EPIPE. A failing send
//     raises in the Python, so it fails the case (ECONNRESET; the Python does not catch EPIPE's
//     BrokenPipeError, so its whole run would stop there: here only that case fails);
//   - timing is "the broker is fast": it answers each send before the client's next, except on
//     a new connection, where everything sent before the first wait arrives before the broker's
//     first read (it must accept first). Both were measured on the real daemon.
//
// Two formats, those of two versions of that Python (a corpus is read in one of them, see
// load_dir):
//   - 2.0 (Mosquitto 2.0.x): a "send"/"recv" payload is hex, its spaces removed
//     (bytes.fromhex(p.replace(" ", ""))); "ver", "connect", "expect_disconnect" are per test;
//     the default v5 CONNACK has Topic Alias Maximum 10 and Receive Maximum 20;
//   - 2.1 (Mosquitto 2.1.x): a payload is a list of space-separated tokens (parse_tokens); the
//     three keys may also be set per group (a test's own value wins); the default v5 CONNACK
//     adds Maximum Packet Size 2000000 between the two (2.1's mosq_test.gen_connack).
//
// The corpus files are read at run time from the tree the build uses; nothing of them (nor of
// the Python) is copied here. By default every case gets a fresh broker; `shared_broker` runs the
// whole selection against one broker, in order, as the Python does (later cases then see what
// earlier ones left: retained messages, the state the REGRESSION "part 1/part 2" pair needs).
//
// This file must never judge MQTT by itself: a verdict is only "the bytes the corpus expects
// were (not) the bytes the broker sent". Nor may it change the broker's configuration beyond
// what the Python's command line implies.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/mqtt/packet.h"
#include "sim/sim.h"

namespace mqsim::corpus {

constexpr std::uint16_t kPort = 1888;                 // msg_sequence_test.py's default port
constexpr std::uint64_t kSocketTimeoutMs = 2000;      // client_connect_only(timeout=2)
constexpr std::uint64_t kTcpPollMs = 10;              // TCP target: how often a wait looks again
constexpr std::uint32_t kTcpIdleQuietMs = 1;          // TCP target: quiet that ends a settle (daemon idle)
constexpr std::size_t kMaxJobs = 8;                   // simulator: processes playing cases at once

// Which msg_sequence_test.py the corpus was written for (see the top of this file).
enum class Format : std::uint8_t { v2_0, v2_1 };
const char* format_name(Format f);  // "2.0", "2.1"

enum class MsgKind : std::uint8_t { Send, Recv, Publish };

struct Msg {
  MsgKind kind = MsgKind::Send;
  mqtt::Bytes bytes;            // Send, Recv
  std::string topic;            // Publish
  std::string payload;          // Publish
  std::uint8_t qos = 0;         // Publish
  std::string comment;
};

struct Case {
  std::string file;             // "PUBLISH.json"
  std::string group;            // "v5.0 PUBLISH"
  std::string name;             // "30 topic 0"
  int ver = 4;                  // protocol level of the default CONNECT/CONNACK (3, 4 or 5)
  bool connect = true;          // send the default CONNECT and expect the default CONNACK first
  bool expect_disconnect = true;
  Format format = Format::v2_0;  // decides the default CONNACK (and how the payloads were read)
  std::vector<Msg> msgs;

  // The Python's test name, which is also the default CONNECT's client id.
  std::string full_name() const { return group + " " + name; }
};

// Bad input: a missing directory, malformed JSON, a field of the wrong type, an unknown message
// type. what() names the file and, when it is about one, the case.
class CorpusError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A 2.1 payload as 2.1's parse_message reads it: split on single spaces, empty parts skipped,
// each part by its first character:
//   iN 1 byte, HN kN mN sN 2 bytes, LN 4 bytes (N decimal, as Python's int(), big-endian);
//   vN rN N as a variable byte integer (7 bits a byte, low first; N may exceed 2^28 - 1 there);
//   'text' the UTF-8 bytes of text;   anything else: hex (bytes.fromhex of the part).
// A quoted text may hold spaces ('a b'), but, as in the Python (whose `for i in range(..)` does
// not skip the parts the text took), every part after the first is then read again as a token
// of its own. Input the Python cannot read (it raises, or loops forever on a negative vN) is a
// CorpusError whose what() names the part; so is an N above 2^64 - 1, which Python would take.
mqtt::Bytes parse_tokens(std::string_view payload);

// One corpus file, its cases in file order (groups marked "disable" are skipped, as the Python
// does), in `format`, else in the format its content shows: 2.1 when a group sets "ver",
// "connect" or "expect_disconnect", or a "send"/"recv" payload holds a character that is neither
// a hex digit nor white space (2.0 cannot read it); else 2.0 (a 2.0 Python ignores group keys,
// and plain hex in even-length parts reads the same in both). Throws CorpusError.
std::vector<Case> load_file(const std::string& path, std::optional<Format> format = std::nullopt);
// Every *.json directly in `dir`, files in byte order of their names (the Python's sorted()).
// A corpus is one version's: when no format is given, every file is read in 2.1 if any file
// shows 2.1 (a 2.1 file of plain hex must still expect 2.1's default CONNACK). Throws CorpusError.
std::vector<Case> load_dir(const std::string& dir, std::optional<Format> format = std::nullopt);

struct CaseResult {
  bool passed = false;
  std::string reason;           // the first mismatch; empty when passed
  int signal = 0;               // the broker crashed the run with this signal
  std::uint64_t virtual_ms = 0; // virtual time the case took
  std::string trace_wire;       // failing cases only: the run's trace (TraceWriter bytes)
};

// Runs one case against a fresh broker, in this process (no crash isolation: see run_corpus).
CaseResult run_case(const Case& c, bool broker_log = false);

struct RunOptions {
  std::string filter;           // run the cases whose "FILE GROUP NAME" contains this (all if empty)
  bool isolate = true;          // run in a worker process: a broker crash fails one case only
  // Fresh brokers, isolated: how many processes play cases at once (0: one per idle core, at
  // most kMaxJobs; fewer when there are few cases). The verdicts do not depend on it.
  std::size_t jobs = 0;
  bool shared_broker = false;   // one broker for the whole selection, as the Python runs it
  bool broker_log = false;      // record the broker's log in failing cases' traces (slower)
  std::uint32_t case_timeout_ms = 20'000;  // wall-clock watchdog per job (isolate only)
  // Runs just before each case, where the case runs (in the worker when isolated). Tests plant
  // crashes with it, to check that a crash fails that one case and nothing else.
  std::function<void(const Case&)> before_case;
  // Set: the same runner plays the cases against a real broker over loopback TCP, in real time
  // (sim/tcp_driver.h): the daemon built from the same tree, started for the run, or a broker
  // already listening. The cases then share one broker, in order, as the Python runs them (a
  // daemon per case would cost more than the cases); a daemon that exits fails its case and is
  // started again for the next. `isolate` and `shared_broker` do not apply: no Mosquitto code
  // runs in this process. The Python's 2 s timeout is real time there.
  std::optional<TcpTargetConfig> tcp;
};

struct Verdict {
  std::string file;
  std::string group;
  std::string name;
  CaseResult result;
};

struct FileTally {
  std::string file;
  std::size_t passed = 0;
  std::size_t failed = 0;
};

struct CorpusResult {
  std::vector<Verdict> verdicts;   // in corpus order
  std::vector<FileTally> files;    // in corpus order
  std::size_t passed = 0;
  std::size_t failed = 0;
  double wall_s = 0;
  double cpu_s = 0;                // this process and its workers: the figure load does not inflate
  std::uint64_t worker_restarts = 0;  // workers restarted (simulator) or daemons started again (TCP)
};

bool selected(const Case& c, std::string_view filter);
CorpusResult run_corpus(const std::vector<Case>& cases, const RunOptions& options = {});

// Per-file counts, one line each, then the total.
std::string tally_text(const CorpusResult& result);
// [{"file":..,"group":..,"name":..,"verdict":"pass"|"fail","reason":..}, ...]: stable, so the
// verdicts of two brokers (or two Mosquitto versions) can be diffed.
std::string verdicts_json(const CorpusResult& result);

// Reads back a verdicts_json() file (the same list, in its order). Throws CorpusError naming the
// file and the entry on bad input.
std::vector<Verdict> read_verdicts_json(const std::string& path);

// Two per-case result lists of the same corpus (simulator vs daemon, or two Mosquitto versions),
// matched by file, group, name and, for the few names a group repeats, by occurrence.
struct Comparison {
  std::size_t matched = 0;                             // cases in both lists
  std::size_t agree = 0;                               // ... with the same verdict
  std::size_t a_failed = 0;                            // failing cases among the matched, per side
  std::size_t b_failed = 0;
  std::vector<std::pair<Verdict, Verdict>> differ;     // verdicts differ: a's, b's
  std::vector<std::pair<Verdict, Verdict>> reasons;    // both fail, for different reasons
  std::vector<Verdict> only_a;                         // in a only
  std::vector<Verdict> only_b;
  bool same_verdicts() const { return differ.empty() && only_a.empty() && only_b.empty(); }
};
Comparison compare_verdicts(const std::vector<Verdict>& a, const std::vector<Verdict>& b);
// The figures, then every case whose verdicts differ (with both reasons) and every unmatched one;
// failing cases whose reasons differ are listed only when `show_reasons`.
std::string comparison_text(const Comparison& c, const std::string& a_name, const std::string& b_name, bool show_reasons);

// Spaced lower-case hex ("20 02 00 00"), the form reasons use.
std::string hex(std::string_view bytes);

}  // namespace mqsim::corpus
