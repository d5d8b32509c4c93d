// Mosquitto's packet-sequence corpus in the simulator: playing one case, running the corpus with
// crash isolation (loading: load.cpp; the helpers' packets: packets.cpp; reporting: report.cpp).
// See corpus.h for the semantics (those of Mosquitto's
// test/broker/msg_sequence_test.py, written here from reading it, not translated).
//
// This file must never copy the corpus or relax a comparison: every "recv" is an exact byte
// comparison, every wait is the Python's 2 s socket timeout (in virtual time).
#include "corpus.h"
#include "packets.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/broker_host.h"
#include "sim/sim.h"
#include "sim/worker.h"
#include "trace/trace.h"

namespace mqsim::corpus {
namespace {

using mqtt::Bytes;

// ---------------------------------------------------------------------------------------------
// What a connection received, as the byte stream a socket gives, read from the trace (the
// clients' only record of what the broker sent).

struct Stream {
  std::string unread;
  bool eof = false;
  bool reset = false;
  bool reset_reported = false;    // a recv or send has already failed with ECONNRESET
  bool sent_after_close = false;  // a send met the closed socket: its RST fails the next one
  std::string garbled;   // the client could not frame the broker's bytes
  bool readable() const { return !unread.empty() || eof || reset || !garbled.empty(); }
};

class TraceTap {
 public:
  explicit TraceTap(const TraceWriter& writer) : writer_(writer) {}

  Stream& stream(std::uint32_t conn) {
    assert(conn != 0);
    refresh();
    return streams_[conn];
  }

 private:
  void refresh() {
    const std::string& wire = writer_.bytes();
    assert(parsed_bytes_ <= wire.size());
    if (parsed_bytes_ == wire.size()) return;
    // Records are whole here (no run is mid-append while a script runs), so the suffix parses.
    const Trace fresh = Trace::parse(std::string_view(wire).substr(parsed_bytes_));
    parsed_bytes_ = wire.size();
    for (const Event& e : fresh.events()) {
      if (e.conn == 0) continue;
      Stream& s = streams_[e.conn];
      if (e.kind == EventKind::Recv) s.unread += e.data;
      if (e.kind == EventKind::PeerClosed) s.eof = true;
      if (e.kind == EventKind::PeerReset) s.reset = true;
      if (e.kind == EventKind::Malformed) s.garbled = e.data;
    }
  }

  const TraceWriter& writer_;
  std::size_t parsed_bytes_ = 0;
  std::map<std::uint32_t, Stream> streams_;
};

struct Mismatch {
  std::string reason;
};

// ---------------------------------------------------------------------------------------------
// Playing one case on a Sim: the raw socket of the test and, when asked, the helper publisher.

// A raw socket: nothing is answered or pinged on its own; what arrives is only read.
ClientOptions raw_options() {
  ClientOptions o;
  o.port = kPort;
  o.auto_ping = false;
  return o;
}

void make_raw(ScriptedClient& client) {
  client.acks() = AckPolicy{true, true, true, true};  // withheld forever: never sent
  assert(!client.options().auto_ping);
}

mqtt::Version decode_version(int ver) { return ver == 5 ? mqtt::Version::v5 : mqtt::Version::v311; }

class SequenceRun {
 public:
  SequenceRun(Sim& sim, ScriptedClient& client, ScriptedClient& helper)
      : sim_(sim), tap_(sim.trace()), client_(client), helper_(helper) {
    make_raw(client_);
    make_raw(helper_);
  }

  // Plays `c` on a new connection; returns the first mismatch, empty when the case passed.
  std::string play(const Case& c) {
    try {
      open(client_, decode_version(c.ver));
      if (c.connect) {
        send(client_, default_connect(c.full_name(), c.ver), "default connect");
        expect(client_, default_connack(c.ver, c.format), "default connack");
      }
      for (std::size_t i = 0; i < c.msgs.size(); ++i) play_msg(c.msgs[i], i);
      if (c.expect_disconnect) expect_closed();
      else expect_open();
    } catch (const Mismatch& m) {
      assert(!m.reason.empty());
      flush();  // the next case (shared broker) starts from a settled instant
      return m.reason;
    }
    assert(!unsettled_);
    return {};
  }

 private:
  void play_msg(const Msg& m, std::size_t index) {
    const std::string what = "msgs[" + std::to_string(index) + "] " +
                             (m.kind == MsgKind::Send ? "send" : m.kind == MsgKind::Recv ? "recv" : "publish") +
                             (m.comment.empty() ? "" : " (" + m.comment + ")");
    sim_.step("corpus: " + what);
    switch (m.kind) {
      case MsgKind::Send: send(client_, m.bytes, what); break;
      case MsgKind::Recv: expect(client_, m.bytes, what); break;
      case MsgKind::Publish: publish_via_helper(m, what); break;
    }
  }

  // A new connection's first bytes all reach the broker before it reads any of them: the Python
  // connects and sends back to back, while the broker needs two wake-ups (accept, then read).
  // Once it watches the socket it answers each send before the client's next one (measured on
  // the real daemon: a send right after a packet that makes Mosquitto close already fails).
  // So sends after open() queue without settling until the test first waits (flush()).
  // The connection is client_connect_only(): a bare TCP connect (ScriptedClient::dial), which
  // the broker accepts before anything is sent.
  void open(ScriptedClient& who, mqtt::Version version) {
    flush();
    if (!sim_.broker().running()) throw Mismatch{"cannot connect: the broker is not running"};
    who.options().version = version;
    sim_.set_auto_settle(false);  // the broker accepts in the first settle, before it reads
    who.dial();
    assert(who.conn() != 0);
    unsettled_ = true;
  }

  void flush() {
    if (!unsettled_) return;
    unsettled_ = false;
    sim_.set_auto_settle(true);
    sim_.settle();
  }

  // send() as Linux reports it once the broker has closed: after a reset (a close with input
  // left unread) the first call on the socket fails with ECONNRESET; after a clean close the
  // first send goes out (the peer answers it with RST) and the next fails with EPIPE. Either
  // error raises in the Python, which fails the case.
  void send(ScriptedClient& who, const Bytes& bytes, const std::string& what) {
    Stream& s = tap_.stream(who.conn());
    if (s.reset && !s.reset_reported) {
      s.reset_reported = true;
      throw Mismatch{what + ": send failed: connection reset by the broker (ECONNRESET)"};
    }
    if (s.eof || s.reset) {
      if (s.sent_after_close || s.reset_reported) throw Mismatch{what + ": send failed: broken pipe (EPIPE), the broker had closed the connection"};
      s.sent_after_close = true;
    }
    who.send_raw(bytes);
  }

  // Waits as a blocking recv with the 2 s timeout does: until bytes, EOF or a reset, stepping
  // virtual time to every whole second in between (when the broker's timers can fire). Returns
  // false on timeout. A broker that exited fails the case at once: the Python's run would be
  // over (its later connects are refused), and here the exit must not pass for a disconnect.
  //
  // Against a real broker (TCP target) the stops are kTcpPollMs apart instead: real time passes
  // between them anyway, and an answer that comes late is seen at the next stop.
  bool wait_readable(std::uint32_t conn) {
    flush();
    const std::uint64_t stride_ms = sim_.is_tcp() ? kTcpPollMs : 1000;
    const std::uint64_t deadline_ms = sim_.now_ms() + kSocketTimeoutMs;
    for (std::uint64_t stop = 0; stop <= kSocketTimeoutMs / stride_ms + 1; ++stop) {
      if (tap_.stream(conn).readable()) return true;
      if (sim_.broker().finished()) throw Mismatch{"the broker exited (status " + std::to_string(sim_.broker().exit_code()) + ")"};
      if (sim_.now_ms() >= deadline_ms) return false;
      const std::uint64_t next_stop_ms = (sim_.now_ms() / stride_ms + 1) * stride_ms;
      sim_.advance(std::min(deadline_ms, next_stop_ms) - sim_.now_ms());
    }
    assert(false && "a wait takes at most one stop per stride");
    return false;
  }

  // recv(len(expected)) and an exact comparison.
  void expect(ScriptedClient& who, const Bytes& expected, const std::string& what) {
    if (expected.empty()) return;  // recv(0) returns b"" at once
    if (!wait_readable(who.conn())) {
      throw Mismatch{what + ": timed out after " + std::to_string(kSocketTimeoutMs / 1000) + " s waiting for " + hex(expected)};
    }
    Stream& s = tap_.stream(who.conn());
    if (!s.garbled.empty()) throw Mismatch{what + ": the client could not frame the broker's bytes: " + s.garbled};
    if (s.unread.empty()) {
      const bool reset_now = s.reset && !s.reset_reported;  // ECONNRESET once, then EOF
      s.reset_reported = s.reset_reported || s.reset;
      throw Mismatch{what + ": expected " + hex(expected) + ", but the broker " +
                     (reset_now ? "reset the connection (ECONNRESET)" : "closed the connection")};
    }
    const std::size_t n = std::min(expected.size(), s.unread.size());
    const std::string got = s.unread.substr(0, n);
    s.unread.erase(0, n);
    if (got.size() != expected.size() || std::memcmp(got.data(), expected.data(), n) != 0) {
      throw Mismatch{what + ": expected " + hex(expected) + ", received " + corpus::hex(got)};
    }
  }

  // The Python's _publish_message: a separate client "helper" (3.1.1) connects, publishes with
  // the whole handshake of its QoS, and closes its socket without DISCONNECT.
  void publish_via_helper(const Msg& m, const std::string& what) {
    const std::string who = what + " helper";
    open(helper_, mqtt::Version::v311);
    send(helper_, default_connect("helper", 4), who + " connect");
    expect(helper_, default_connack(4, Format::v2_0), who + " connack");  // 3.1.1: the same in both
    send(helper_, helper_publish(m), who + " publish");
    if (m.qos == 1) expect(helper_, {0x40, 0x02, 0x00, 0x01}, who + " puback");
    if (m.qos == 2) {
      expect(helper_, {0x50, 0x02, 0x00, 0x01}, who + " pubrec");
      send(helper_, {0x62, 0x02, 0x00, 0x01}, who + " pubrel");
      expect(helper_, {0x70, 0x02, 0x00, 0x01}, who + " pubcomp");
    }
    helper_.crash();
  }

  // expect_disconnect: the broker must have closed the connection, with nothing left unread.
  void expect_closed() {
    sim_.step("corpus: expect the broker to have disconnected");
    if (!wait_readable(client_.conn())) {
      throw Mismatch{"expected disconnect, connection stayed open (no EOF within " + std::to_string(kSocketTimeoutMs / 1000) + " s)"};
    }
    const Stream& s = tap_.stream(client_.conn());
    if (!s.unread.empty()) throw Mismatch{"expected disconnect, connection stayed open: received " + corpus::hex(s.unread)};
    if (!s.garbled.empty()) throw Mismatch{"expected disconnect, received bytes the client could not frame: " + s.garbled};
  }

  // Not expect_disconnect: the connection must still answer a PINGREQ (do_ping).
  void expect_open() {
    sim_.step("corpus: expect the connection to be open (PINGREQ)");
    send(client_, {0xC0, 0x00}, "expected the connection to stay open; PINGREQ");
    expect(client_, {0xD0, 0x00}, "expected the connection to stay open; PINGRESP");
  }

  Sim& sim_;
  TraceTap tap_;
  ScriptedClient& client_;
  ScriptedClient& helper_;
  bool unsettled_ = false;  // sends on a new connection wait for the broker's first read
};

// What `mosquitto -v -p 1888` amounts to. With no config file Mosquitto runs in local-only mode,
// where an unset allow_anonymous means true; here the config must name the listener, which
// leaves local-only mode, so allow_anonymous is stated. -v only enables log types; the Python
// sends the log to /dev/null, and logging costs time here, so it is off unless asked for.
SimConfig corpus_config(bool broker_log) {
  SimConfig config;
  config.mosquitto_conf = "listener " + std::to_string(kPort) + "\nallow_anonymous true\n";
  config.mosquitto_conf += broker_log ? "log_type all\nlog_dest stdout\n" : "log_type none\n";
  return config;
}

// ---------------------------------------------------------------------------------------------
// Running: one case per fresh broker, or the whole selection on one broker.

const char* const kCaseMark = "corpus-case ";
const char* const kVerdictMark = "corpus-verdict ";

ScriptedClient& add_raw_client(Sim& sim, const char* name) { return sim.client(name, raw_options()); }

CaseResult play_fresh(const Case& c, const RunOptions& options) {
  if (options.before_case) options.before_case(c);
  Sim sim(corpus_config(options.broker_log));
  CaseResult r;
  if (!sim.broker_started()) {
    r.reason = "the broker did not start (see its log in the trace)";
    r.trace_wire = sim.trace().bytes();
    return r;
  }
  sim.step(kCaseMark + c.file + ": " + c.full_name());
  ScriptedClient& client = add_raw_client(sim, "client");
  ScriptedClient& helper = add_raw_client(sim, "helper");
  SequenceRun run(sim, client, helper);
  r.reason = run.play(c);
  if (sim.livelocked()) r.reason = "livelock: the broker never went idle at one instant" + (r.reason.empty() ? "" : "; " + r.reason);
  r.passed = r.reason.empty();
  r.virtual_ms = sim.now_ms();
  if (!r.passed) r.trace_wire = sim.trace().bytes();
  return r;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A worker's answer for one case: [P|F][u64 virtual_ms][u32 reason bytes][reason][trace wire].
std::string encode(const CaseResult& r) {
  const auto reason_bytes = static_cast<std::uint32_t>(r.reason.size());
  std::string out(1, r.passed ? 'P' : 'F');
  out.append(reinterpret_cast<const char*>(&r.virtual_ms), sizeof r.virtual_ms);
  out.append(reinterpret_cast<const char*>(&reason_bytes), sizeof reason_bytes);
  out += r.reason;
  out += r.trace_wire;
  return out;
}

CaseResult decode(std::string_view answer) {
  constexpr std::size_t kHeadBytes = 1 + sizeof(std::uint64_t) + sizeof(std::uint32_t);
  CaseResult r;
  std::uint32_t reason_bytes = 0;
  if (answer.size() < kHeadBytes || (answer[0] != 'P' && answer[0] != 'F')) {
    r.reason = "runner: the worker's answer is not a case result";
    return r;
  }
  std::memcpy(&r.virtual_ms, answer.data() + 1, sizeof r.virtual_ms);
  std::memcpy(&reason_bytes, answer.data() + 1 + sizeof r.virtual_ms, sizeof reason_bytes);
  assert(kHeadBytes + reason_bytes <= answer.size());
  r.passed = answer[0] == 'P';
  r.reason = answer.substr(kHeadBytes, reason_bytes);
  r.trace_wire = answer.substr(kHeadBytes + reason_bytes);
  assert(r.passed == r.reason.empty());
  return r;
}

// A job the worker could not answer: the broker crashed the run, or it hung.
CaseResult from_death(const WorkerReply& reply) {
  assert(reply.status != WorkerReply::Status::Ok);
  CaseResult r;
  r.signal = reply.signal;
  r.reason = reply.status == WorkerReply::Status::Crashed ? "the run died: " + reply.detail
           : reply.status == WorkerReply::Status::Hung    ? "the run hung: " + reply.detail
                                                          : "runner: " + reply.detail;
  r.trace_wire = reply.bytes;
  return r;
}

// A worker job: the cases order[first, last), each on a fresh broker. The answer is their
// results in order, each as [u32 bytes][encode()].
struct Batch {
  std::size_t first = 0;
  std::size_t last = 0;
};

std::string play_batch(const std::vector<const Case*>& order, Batch batch, const RunOptions& options) {
  assert(batch.first < batch.last && batch.last <= order.size());
  std::string answer;
  for (std::size_t i = batch.first; i < batch.last; ++i) {
    const std::string one = encode(play_fresh(*order[i], options));
    const auto size = static_cast<std::uint32_t>(one.size());
    answer.append(reinterpret_cast<const char*>(&size), sizeof size);
    answer += one;
  }
  return answer;
}

void read_batch(std::string_view answer, std::vector<CaseResult>& results) {
  std::size_t at = 0;
  while (at < answer.size()) {
    std::uint32_t size = 0;
    assert(answer.size() - at >= sizeof size);
    std::memcpy(&size, answer.data() + at, sizeof size);
    at += sizeof size;
    assert(answer.size() - at >= size);
    results.push_back(decode(answer.substr(at, size)));
    at += size;
  }
}

std::vector<CaseResult> run_fresh(const std::vector<const Case*>& order, const RunOptions& options, std::uint64_t* restarts) {
  // Cases go to the worker in batches: one pipe round trip per case would cost more than the
  // case itself. A batch that dies is replayed one case per job, so that the death (a crash,
  // a hang) is pinned to its case; the cases are deterministic, so the others repeat exactly.
  constexpr std::size_t kBatchCases = 64;
  std::vector<CaseResult> results;
  results.reserve(order.size());
  if (!options.isolate) {
    for (const Case* c : order) results.push_back(play_fresh(*c, options));
    return results;
  }
  // The worker is forked from this process, so it already holds `order`: a job is two indices.
  Worker worker([&order, &options](std::string_view job) {
    Batch batch;
    assert(job.size() == sizeof batch);
    std::memcpy(&batch, job.data(), sizeof batch);
    return play_batch(order, batch, options);
  }, options.case_timeout_ms);
  const auto call = [&worker](Batch b) { return worker.call({reinterpret_cast<const char*>(&b), sizeof b}); };
  for (std::size_t first = 0; first < order.size(); first += kBatchCases) {
    const Batch batch{first, std::min(order.size(), first + kBatchCases)};
    WorkerReply reply = call(batch);
    if (reply.status == WorkerReply::Status::Ok) {
      read_batch(reply.bytes, results);
      continue;
    }
    for (std::size_t i = batch.first; i < batch.last; ++i) {
      reply = call({i, i + 1});
      if (reply.status == WorkerReply::Status::Ok) read_batch(reply.bytes, results);
      else results.push_back(from_death(reply));
    }
  }
  *restarts = worker.restarts();
  assert(results.size() == order.size());
  return results;
}

// Cases on fresh brokers are independent, so `jobs` processes can play them at once, each with
// its own worker: case i goes to process i % jobs (neighbouring cases cost alike, so the shares
// even out). Process 0 is this one; the others are forked before any worker exists and send
// their results back as [u64 restarts][u32 bytes][encode()]... The verdicts are those of one
// process: every case is deterministic and sees only its own broker.
// Cores nobody else is using (by the 1-minute load average), at least one. On a busy machine
// a second process only adds its fork and start to the wall time (2 cores at a load of 12,
// medians of six alternating runs of the 2.0.21 corpus: 0.29 s with two processes, 0.27 s
// with one).
std::size_t idle_cores() {
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  double load = 0;
  if (getloadavg(&load, 1) != 1) load = 0;
  return static_cast<std::size_t>(std::max(1.0, cores - load));
}

std::size_t jobs_for(const RunOptions& options, std::size_t cases) {
  constexpr std::size_t kMinCasesPerJob = 128;  // below this a fork costs more than it saves
  std::size_t jobs = options.jobs != 0 ? options.jobs : idle_cores();
  jobs = std::min({jobs, cases / kMinCasesPerJob, kMaxJobs});
  return options.isolate ? std::max<std::size_t>(jobs, 1) : 1;
}

std::string read_to_end(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::vector<CaseResult> run_fresh_jobs(const std::vector<const Case*>& order, const RunOptions& options, std::uint64_t* restarts) {
  const std::size_t jobs = jobs_for(options, order.size());
  if (jobs <= 1) return run_fresh(order, options, restarts);
  std::vector<std::vector<const Case*>> parts(jobs);
  for (std::size_t i = 0; i < order.size(); ++i) parts[i % jobs].push_back(order[i]);
  BrokerHost::prepare_process();  // once here, not in every process's worker
  std::fflush(nullptr);            // nothing buffered may be written twice
  struct Shard {
    pid_t pid = -1;
    int fd = -1;
  };
  std::vector<Shard> shards(jobs);
  for (std::size_t k = 1; k < jobs; ++k) {
    int fds[2];
    if (pipe(fds) != 0) continue;  // that share then fails below, as a runner error
    const pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(fds[0]);
      std::uint64_t own_restarts = 0;
      const std::vector<CaseResult> results = run_fresh(parts[k], options, &own_restarts);
      std::string answer(reinterpret_cast<const char*>(&own_restarts), sizeof own_restarts);
      for (const CaseResult& r : results) {
        const std::string one = encode(r);
        const auto size = static_cast<std::uint32_t>(one.size());
        answer.append(reinterpret_cast<const char*>(&size), sizeof size);
        answer += one;
      }
      const bool sent = write_all(fds[1], answer);
      _exit(sent ? 0 : 1);
    }
    ::close(fds[1]);
    if (pid < 0) ::close(fds[0]);
    else shards[k] = {pid, fds[0]};
  }
  std::vector<std::vector<CaseResult>> got(jobs);
  got[0] = run_fresh(parts[0], options, restarts);
  for (std::size_t k = 1; k < jobs; ++k) {
    std::string answer = shards[k].fd >= 0 ? read_to_end(shards[k].fd) : std::string();
    if (shards[k].fd >= 0) ::close(shards[k].fd);
    int status = 0;
    if (shards[k].pid > 0) waitpid(shards[k].pid, &status, 0);
    std::uint64_t shard_restarts = 0;
    if (answer.size() >= sizeof shard_restarts) {
      std::memcpy(&shard_restarts, answer.data(), sizeof shard_restarts);
      read_batch(std::string_view(answer).substr(sizeof shard_restarts), got[k]);
    }
    *restarts += shard_restarts;
    while (got[k].size() < parts[k].size()) got[k].push_back({false, "runner: a job process died (status " + std::to_string(status) + ")", 0, 0, ""});
    assert(got[k].size() == parts[k].size());
  }
  std::vector<CaseResult> results;
  results.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) results.push_back(std::move(got[i % jobs][i / jobs]));
  return results;
}

// Plays order[first..] on one broker, in order, as the Python does; every case starts with a
// Step and ends with a verdict Note, so that even a crash's partial trace tells which case died.
std::string play_shared(const std::vector<const Case*>& order, std::size_t first, const RunOptions& options) {
  assert(first < order.size());
  Sim sim(corpus_config(options.broker_log));
  if (!sim.broker_started()) return sim.trace().bytes();
  ScriptedClient& client = add_raw_client(sim, "client");
  ScriptedClient& helper = add_raw_client(sim, "helper");
  SequenceRun run(sim, client, helper);
  // After a livelock or an exit the broker is of no use: the runner goes on with a fresh one.
  for (std::size_t i = first; i < order.size() && !sim.livelocked() && sim.broker().running(); ++i) {
    const std::uint64_t start_ms = sim.now_ms();
    sim.step(kCaseMark + std::to_string(i) + " " + order[i]->file + ": " + order[i]->full_name());
    if (options.before_case) options.before_case(*order[i]);
    std::string reason = run.play(*order[i]);
    if (sim.livelocked()) reason = "livelock: the broker never went idle at one instant";
    sim.note(kVerdictMark + std::to_string(i) + " " + std::to_string(sim.now_ms() - start_ms) + " " + reason);
  }
  return sim.trace().bytes();
}

// Reads the verdicts of a shared run's trace into `results`; returns the case that was running
// when the trace ended without its verdict (a crash), if any.
std::optional<std::size_t> read_shared_verdicts(std::string_view wire, std::vector<std::optional<CaseResult>>& results) {
  std::optional<std::size_t> open_case;
  const Trace trace = Trace::parse(wire);
  for (const Event& e : trace.events()) {
    if (e.kind == EventKind::Step && e.data.starts_with(kCaseMark)) {
      open_case = std::stoul(e.data.substr(std::strlen(kCaseMark)));
    } else if (e.kind == EventKind::Note && e.data.starts_with(kVerdictMark)) {
      std::istringstream in(e.data.substr(std::strlen(kVerdictMark)));
      std::size_t index = 0;
      CaseResult r;
      in >> index >> r.virtual_ms;
      in.get();
      std::getline(in, r.reason, '\0');  // the rest, whatever it holds (comments may hold newlines)
      r.passed = r.reason.empty();
      assert(open_case == index && index < results.size());
      results[index] = std::move(r);
      open_case.reset();
    }
  }
  return open_case;
}

std::vector<CaseResult> run_shared(const std::vector<const Case*>& order, const RunOptions& options, std::uint64_t* restarts) {
  std::vector<std::optional<CaseResult>> results(order.size());
  Worker worker([&order, &options](std::string_view job) {
    std::size_t first = 0;
    std::memcpy(&first, job.data(), sizeof first);
    return play_shared(order, first, options);
  }, options.case_timeout_ms);
  // A crash ends the shared broker; unlike the Python (where every later case then fails), the
  // rest of the selection goes on against a fresh broker, so one crash is one failing case.
  for (std::size_t first = 0; first < order.size();) {
    WorkerReply reply;
    if (options.isolate) reply = worker.call({reinterpret_cast<const char*>(&first), sizeof first});
    else reply = {WorkerReply::Status::Ok, 0, play_shared(order, first, options), "ok"};
    const auto died_in = read_shared_verdicts(reply.bytes, results);
    if (reply.status != WorkerReply::Status::Ok && died_in) results[*died_in] = from_death(reply);
    std::size_t next = first;
    while (next < order.size() && results[next]) ++next;
    if (next == first) {  // nothing ran (the broker did not start): fail the case, go on
      results[first] = reply.status == WorkerReply::Status::Ok ? CaseResult{false, "the broker did not start", 0, 0, reply.bytes} : from_death(reply);
      ++next;
    }
    first = next;
  }
  *restarts = worker.restarts();
  std::vector<CaseResult> out;
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

// The whole selection against a real broker over loopback TCP, in this process (no Mosquitto
// code runs here, so there is nothing to isolate), on one broker in order as the Python runs it.
// A daemon that exits (a crash, say) fails the case it was running, and the next case gets a
// freshly started daemon, as in run_shared. Failing cases carry their slice of the run's trace.
std::vector<CaseResult> run_tcp(const std::vector<const Case*>& order, const RunOptions& options, std::uint64_t* restarts) {
  assert(options.tcp.has_value());
  std::vector<CaseResult> results;
  results.reserve(order.size());
  SimConfig config = corpus_config(options.broker_log);
  config.tcp = *options.tcp;
  // Virtual time 0 is a whole second, but after the first case a shared broker's phase is lost
  // on both targets anyway; aligning would only cost up to a second per start.
  config.tcp->align_to_second = false;
  // A settle ends once the daemon is asleep in epoll_wait and no byte came for this long. The
  // verdicts do not hang on it (every wait for an answer is the Python's 2 s timeout); it only
  // decides that the daemon answers one send before the next, as it does for the Python.
  config.tcp->idle_quiet_ms = std::min<std::uint32_t>(config.tcp->idle_quiet_ms, kTcpIdleQuietMs);
  for (std::size_t starts = 0; results.size() < order.size(); ++starts) {
    if (starts > 0) ++*restarts;
    Sim sim(config);
    if (!sim.broker_started()) {
      // A broker that cannot start now will not start for the next case either.
      const std::string wire = sim.trace().bytes();
      while (results.size() < order.size()) results.push_back({false, "the broker did not start (see its log in the trace)", 0, 0, wire});
      break;
    }
    ScriptedClient& client = add_raw_client(sim, "client");
    ScriptedClient& helper = add_raw_client(sim, "helper");
    SequenceRun run(sim, client, helper);
    do {
      const Case& c = *order[results.size()];
      const std::uint64_t start_ms = sim.now_ms();
      const std::size_t start_bytes = sim.trace().bytes().size();
      sim.step(kCaseMark + c.file + ": " + c.full_name());
      if (options.before_case) options.before_case(c);
      CaseResult r;
      r.reason = run.play(c);
      if (sim.livelocked()) r.reason = "livelock: the tcp target never went quiet" + (r.reason.empty() ? "" : "; " + r.reason);
      r.passed = r.reason.empty();
      r.virtual_ms = sim.now_ms() - start_ms;
      if (!r.passed) r.trace_wire = sim.trace().bytes().substr(start_bytes);
      results.push_back(std::move(r));
    } while (results.size() < order.size() && sim.broker().running() && !sim.livelocked());
  }
  assert(results.size() == order.size());
  return results;
}

// CPU seconds used so far by this process and by its children that have been waited for (the
// workers, once stopped).
double cpu_seconds() {
  double total_s = 0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    getrusage(who, &usage);
    for (const timeval& t : {usage.ru_utime, usage.ru_stime}) total_s += static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  }
  return total_s;
}

}  // namespace

CaseResult run_case(const Case& c, bool broker_log) {
  RunOptions options;
  options.broker_log = broker_log;
  return play_fresh(c, options);
}

bool selected(const Case& c, std::string_view filter) {
  if (filter.empty()) return true;
  return (c.file + " " + c.full_name()).find(filter) != std::string::npos;
}

CorpusResult run_corpus(const std::vector<Case>& cases, const RunOptions& options) {
  std::vector<const Case*> order;
  for (const Case& c : cases) {
    if (selected(c, options.filter)) order.push_back(&c);
  }
  CorpusResult result;
  if (order.empty()) return result;
  const auto start = std::chrono::steady_clock::now();
  const double start_cpu_s = cpu_seconds();
  std::vector<CaseResult> results = options.tcp           ? run_tcp(order, options, &result.worker_restarts)
                                  : options.shared_broker ? run_shared(order, options, &result.worker_restarts)
                                                          : run_fresh_jobs(order, options, &result.worker_restarts);
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_s = cpu_seconds() - start_cpu_s;  // the worker was stopped (and waited for) above
  assert(results.size() == order.size());
  std::map<std::string, std::size_t> file_index;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Case& c = *order[i];
    auto [it, added] = file_index.try_emplace(c.file, result.files.size());
    if (added) result.files.push_back({c.file, 0, 0});
    FileTally& tally = result.files[it->second];
    (results[i].passed ? tally.passed : tally.failed) += 1;
    (results[i].passed ? result.passed : result.failed) += 1;
    result.verdicts.push_back({c.file, c.group, c.name, std::move(results[i])});
  }
  assert(result.passed + result.failed == order.size());
  return result;
}

}  // namespace mqsim::corpus
