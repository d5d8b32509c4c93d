// Mosquitto's own packet-sequence corpus (test/broker/data/*.json of the tree the build uses),
// played in the simulator with the semantics of its test/broker/msg_sequence_test.py: every case
// must pass. A case that does not is a fidelity bug of the simulator to fix, never an allowance.
//
// The corpus is read at run time: $MQSIM_CORPUS_DIR if set, else MQSIM_CORPUS_DEFAULT_DIR (the
// build's ${MQSIM_MOSQUITTO_TREE}/test/broker/data, a compile definition of this target). This
// file must never carry a copy of the corpus or a list of cases allowed to fail.
#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "trace/trace.h"
#include "corpus/corpus.h"
#include "sim/sim.h"

#ifndef MQSIM_CORPUS_DEFAULT_DIR
#define MQSIM_CORPUS_DEFAULT_DIR ""
#endif

using namespace mqsim;

namespace {

std::string corpus_dir() {
  if (const char* dir = std::getenv("MQSIM_CORPUS_DIR"); dir != nullptr && *dir != '\0') return dir;
  return MQSIM_CORPUS_DEFAULT_DIR;
}

std::vector<corpus::Case> load_corpus() {
  const std::string dir = corpus_dir();
  INFO("corpus directory: \"", dir, "\" (set MQSIM_CORPUS_DIR, or build with MQSIM_CORPUS_DEFAULT_DIR)");
  REQUIRE_FALSE(dir.empty());
  std::vector<corpus::Case> cases;
  try {
    cases = corpus::load_dir(dir);
  } catch (const corpus::CorpusError& e) {
    FAIL(e.what());
  }
  REQUIRE_FALSE(cases.empty());
  return cases;
}

// Every failing case as one CHECK, so that the report lists them all with their reasons.
void require_all_passed(const corpus::CorpusResult& result) {
  MESSAGE("\n", corpus::tally_text(result));
  for (const corpus::Verdict& v : result.verdicts) {
    if (!v.result.passed) CHECK_MESSAGE(v.result.passed, v.file, ": ", v.group, " ", v.name, ": ", v.result.reason);
  }
  CHECK(result.failed == 0);
  CHECK(result.passed == result.verdicts.size());
}

// A scratch corpus directory for bad-input tests, removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("mqsim-corpus-" + std::to_string(getpid()));
  ScratchDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

std::string load_error(const std::string& dir) {
  try {
    corpus::load_dir(dir);
  } catch (const corpus::CorpusError& e) {
    return e.what();
  }
  return "";
}

corpus::Case one_case(std::vector<corpus::Msg> msgs, bool expect_disconnect) {
  corpus::Case c;
  c.file = "inline.json";
  c.group = "inline";
  c.name = "case";
  c.ver = 4;
  c.expect_disconnect = expect_disconnect;
  c.msgs = std::move(msgs);
  return c;
}

corpus::Msg msg(corpus::MsgKind kind, mqtt::Bytes bytes) { return {kind, std::move(bytes), "", "", 0, ""}; }

}  // namespace

TEST_SUITE("corpus") {

TEST_CASE("corpus: every case of Mosquitto's packet-sequence corpus passes, each on a fresh broker") {
  const auto cases = load_corpus();
  const auto result = corpus::run_corpus(cases);
  CHECK(result.verdicts.size() == cases.size());
  require_all_passed(result);
}

TEST_CASE("corpus: every case passes on one shared broker, in order, as msg_sequence_test.py runs it") {
  const auto cases = load_corpus();
  corpus::RunOptions options;
  options.shared_broker = true;
  const auto result = corpus::run_corpus(cases, options);
  CHECK(result.worker_restarts == 0);
  require_all_passed(result);
}

TEST_CASE("corpus: a mismatch is reported with the expected and the received bytes") {
  // PINGREQ is answered with d0 00; expecting d0 01 must fail and say both.
  auto c = one_case({msg(corpus::MsgKind::Send, {0xC0, 0x00}), msg(corpus::MsgKind::Recv, {0xD0, 0x01})}, false);
  const auto r = corpus::run_case(c);
  CHECK_FALSE(r.passed);
  CHECK(r.reason == "msgs[1] recv: expected d0 01, received d0 00");
  CHECK_FALSE(r.trace_wire.empty());

  c = one_case({msg(corpus::MsgKind::Send, {0xC0, 0x00}), msg(corpus::MsgKind::Recv, {0xD0, 0x00})}, false);
  CHECK(corpus::run_case(c).passed);
}

TEST_CASE("corpus: expect_disconnect fails when the broker keeps the connection, passes when it closes it") {
  const auto open = corpus::run_case(one_case({}, true));
  CHECK_FALSE(open.passed);
  CHECK(open.reason.find("expected disconnect, connection stayed open") == 0);
  CHECK(open.virtual_ms >= corpus::kSocketTimeoutMs);  // it waited the socket timeout, in virtual time

  // A second CONNECT is a protocol violation: Mosquitto closes the connection.
  auto twice = one_case({}, true);
  twice.msgs.push_back(msg(corpus::MsgKind::Send, {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00}));
  CHECK(corpus::run_case(twice).passed);
}

TEST_CASE("corpus: a connection the broker closed fails a recv with what was expected") {
  auto c = one_case({msg(corpus::MsgKind::Send, {0xE0, 0x00}), msg(corpus::MsgKind::Recv, {0xD0, 0x00})}, true);
  const auto r = corpus::run_case(c);
  CHECK_FALSE(r.passed);
  CHECK(r.reason == "msgs[1] recv: expected d0 00, but the broker closed the connection");
}

TEST_CASE("corpus: sends after the broker closed fail as a socket's do: the first goes out, the next is EPIPE") {
  const mqtt::Bytes disconnect{0xE0, 0x00}, pingreq{0xC0, 0x00};
  auto once = one_case({msg(corpus::MsgKind::Send, disconnect), msg(corpus::MsgKind::Send, pingreq)}, true);
  CHECK(corpus::run_case(once).passed);
  auto twice = once;
  twice.msgs.push_back(msg(corpus::MsgKind::Send, pingreq));
  const auto r = corpus::run_case(twice);
  CHECK_FALSE(r.passed);
  CHECK(r.reason == "msgs[2] send: send failed: broken pipe (EPIPE), the broker had closed the connection");
}

TEST_CASE("corpus: a run that crashes fails that one case with its signal, and the run goes on") {
  std::vector<corpus::Case> cases;
  for (const char* name : {"before", "boom", "after"}) {
    cases.push_back(one_case({}, false));  // default CONNECT/CONNACK, then PINGREQ/PINGRESP
    cases.back().name = name;
  }
  corpus::RunOptions options;
  options.before_case = [](const corpus::Case& c) {
    if (c.name == "boom") std::raise(SIGSEGV);
  };
  for (const bool shared : {false, true}) {
    CAPTURE(shared);
    options.shared_broker = shared;
    const auto result = corpus::run_corpus(cases, options);
    REQUIRE(result.verdicts.size() == 3);
    CHECK(result.verdicts[0].result.passed);
    CHECK_FALSE(result.verdicts[1].result.passed);
    CHECK(result.verdicts[1].result.signal == SIGSEGV);
    CHECK(result.verdicts[1].result.reason.find("signal") != std::string::npos);
    CHECK(result.verdicts[2].result.passed);
    CHECK(result.worker_restarts >= 1);
  }
}

TEST_CASE("corpus: bad input is one clear error naming the file and the case") {
  ScratchDir dir;
  CHECK(load_error((dir.path / "missing").string()).find("no such corpus directory") != std::string::npos);
  CHECK(load_error(dir.path.string()).find("no *.json corpus files") != std::string::npos);

  dir.write("A.json", "[ {\"group\": \"g\", \"tests\": [ ");
  CHECK(load_error(dir.path.string()).rfind("A.json: malformed JSON", 0) == 0);

  dir.write("A.json", R"([{"group": "g", "tests": [{"name": "n1", "msgs": [{"type": "sned", "payload": "00"}]}]}])");
  CHECK(load_error(dir.path.string()) ==
        "A.json: group \"g\" test \"n1\": msgs[0]: unknown message type \"sned\" (expected send, recv or publish)");

  dir.write("A.json", R"([{"group": "g", "tests": [{"name": "n2", "msgs": [{"type": "send", "payload": "0"}]}]}])");
  CHECK(load_error(dir.path.string()).find("test \"n2\": msgs[0]: payload: odd number of hex digits") != std::string::npos);

  dir.write("A.json", R"([{"group": "g", "tests": [{"name": "n3", "ver": 7, "msgs": []}]}])");
  CHECK(load_error(dir.path.string()).find("test \"n3\": \"ver\" must be 3, 4 or 5") != std::string::npos);

  dir.write("A.json", R"([{"group": "g", "disable": true, "tests": [{"name": "off", "msgs": []}]},
                          {"group": "h", "tests": [{"name": "on", "msgs": [{"type": "publish", "topic": "t", "qos": 1, "payload": "p"}]}]}])");
  const auto cases = corpus::load_dir(dir.path.string());
  REQUIRE(cases.size() == 1);  // a disabled group is skipped, as the Python does
  CHECK(cases[0].full_name() == "h on");
  CHECK(cases[0].msgs[0].kind == corpus::MsgKind::Publish);
}

TEST_CASE("corpus: several processes give the same per-case verdicts, in corpus order, as one") {
  // 300 cases, every third failing (PINGRESP expected as d0 01): enough for two processes or more.
  std::vector<corpus::Case> cases;
  for (int i = 0; i < 300; ++i) {
    const std::uint8_t second = i % 3 == 0 ? 0x01 : 0x00;
    cases.push_back(one_case({msg(corpus::MsgKind::Send, {0xC0, 0x00}), msg(corpus::MsgKind::Recv, {0xD0, second})}, false));
    cases.back().name = "case " + std::to_string(i);
  }
  corpus::RunOptions options;
  options.jobs = 1;
  const auto one = corpus::run_corpus(cases, options);
  options.jobs = 3;
  const auto three = corpus::run_corpus(cases, options);
  REQUIRE(one.verdicts.size() == cases.size());
  REQUIRE(three.verdicts.size() == cases.size());
  CHECK(one.failed == 100);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    CHECK(three.verdicts[i].name == cases[i].name);
    CHECK(three.verdicts[i].result.passed == one.verdicts[i].result.passed);
    CHECK(three.verdicts[i].result.reason == one.verdicts[i].result.reason);
    CHECK(three.verdicts[i].result.trace_wire == one.verdicts[i].result.trace_wire);
  }
}

TEST_CASE("corpus: ScriptedClient::dial opens a connection and sends nothing; a CONNECT sent later is answered") {
  Sim sim(SimConfig{});
  REQUIRE(sim.broker_started());
  ClientOptions options;
  options.version = mqtt::Version::v311;
  options.auto_ping = false;
  ScriptedClient& c = sim.client("c", options);
  c.dial();
  CHECK(c.connected());
  CHECK(c.conn() == 1);
  CHECK_FALSE(c.connack_seen());
  std::size_t dials = 0, sends = 0, closes = 0;
  for (const Event& e : Trace::parse(sim.trace().bytes()).events()) {
    dials += e.kind == EventKind::Dial ? 1 : 0;
    sends += e.kind == EventKind::Send ? 1 : 0;
    closes += e.kind == EventKind::PeerClosed || e.kind == EventKind::PeerReset ? 1 : 0;
  }
  CHECK(dials == 1);
  CHECK(sends == 0);
  CHECK(closes == 0);  // the broker accepted it and waits for CONNECT
  // The default CONNECT of msg_sequence_test.py (3.1.1, clean session, keepalive 60, id "c").
  c.send_raw({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c'});
  CHECK(c.connack_seen());
  CHECK(c.conn() == 1);  // the same connection: dial() did not send a CONNECT of its own
}

TEST_CASE("corpus: two result lists are compared case by case: differing verdicts, other reasons, unmatched cases") {
  const auto verdict = [](std::string name, bool passed, std::string reason = "") {
    corpus::Verdict v{"F.json", "g", std::move(name), {}};
    v.result.passed = passed;
    v.result.reason = std::move(reason);
    return v;
  };
  // "dup" twice: a group may repeat a name (SUBSCRIBE.json does); occurrences are matched in order.
  const std::vector<corpus::Verdict> a{verdict("x", true), verdict("y", false, "r1"), verdict("dup", true), verdict("dup", false, "r")};
  const std::vector<corpus::Verdict> b{verdict("x", false, "q"), verdict("y", false, "r2"), verdict("dup", true), verdict("dup", false, "r"), verdict("z", true)};
  const corpus::Comparison c = corpus::compare_verdicts(a, b);
  CHECK(c.matched == 4);
  CHECK(c.agree == 3);
  REQUIRE(c.differ.size() == 1);
  CHECK(c.differ[0].first.name == "x");
  CHECK(c.differ[0].second.result.reason == "q");
  REQUIRE(c.reasons.size() == 1);
  CHECK(c.reasons[0].first.name == "y");
  CHECK(c.only_a.empty());
  REQUIRE(c.only_b.size() == 1);
  CHECK(c.only_b[0].name == "z");
  CHECK(c.a_failed == 2);
  CHECK(c.b_failed == 3);
  CHECK_FALSE(c.same_verdicts());
  CHECK(corpus::compare_verdicts(a, a).same_verdicts());
  const std::string text = corpus::comparison_text(c, "sim", "daemon", false);
  CHECK(text.find("verdicts agree on 3, differ on 1") != std::string::npos);
  CHECK(text.find("DIFFER F.json: g x\n       sim: pass\n       daemon: fail: q\n") != std::string::npos);
  CHECK(text.find("REASON") == std::string::npos);
  CHECK(corpus::comparison_text(c, "sim", "daemon", true).find("REASON F.json: g y") != std::string::npos);
}

TEST_CASE("corpus: a --json result list reads back as written; a bad one is one clear error") {
  ScratchDir dir;
  corpus::CorpusResult result;
  result.verdicts.push_back({"A.json", "g", "one", {}});
  result.verdicts.back().result.passed = true;
  result.verdicts.push_back({"A.json", "g", "two", {}});
  result.verdicts.back().result.reason = "msgs[1] recv: expected d0 00, received e0 00";
  dir.write("r.json", corpus::verdicts_json(result));
  const auto back = corpus::read_verdicts_json((dir.path / "r.json").string());
  REQUIRE(back.size() == 2);
  CHECK(back[0].name == "one");
  CHECK(back[0].result.passed);
  CHECK_FALSE(back[1].result.passed);
  CHECK(back[1].result.reason == result.verdicts[1].result.reason);

  dir.write("bad.json", R"([{"file": "A.json", "group": "g", "name": "n", "verdict": "maybe", "reason": ""}])");
  std::string error;
  try {
    corpus::read_verdicts_json((dir.path / "bad.json").string());
  } catch (const corpus::CorpusError& e) {
    error = e.what();
  }
  CHECK(error.find("bad.json: entry 0: \"verdict\" must be \"pass\" or \"fail\"") != std::string::npos);
}

}  // TEST_SUITE
