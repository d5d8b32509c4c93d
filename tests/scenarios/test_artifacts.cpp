// Failure artifacts from real runs: trace.pcap must decode in tshark as exactly the MQTT packets
// the trace holds (same count, same types, same order, clean checksums), and sequence.html must
// be a self-contained page that draws every packet, marks the violation and escapes all text.
// Tools that are not installed (tshark, chromium) make their checks skip with a message; they
// never make a test fail by their absence.
#include "scenario.h"
#include "seed_scripts.h"
#include "report/pcap.h"
#include "report/sequence_html.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using namespace mqsim;
using mqsim::test::play;
using mqsim::test::seed_config;

namespace {

namespace fs = std::filesystem;

// A scratch directory for one test case, removed when it ends.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name)
      : path(fs::temp_directory_path() / ("mqsim-artifacts-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() { fs::remove_all(path); }
};

bool have_tool(const char* name) { return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0; }

// Runs `command` through the shell and returns what it printed on stdout; a command that fails
// (a tshark that rejects a filter, say) fails the test rather than printing nothing.
std::string capture(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  INFO("command: ", command);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

std::size_t line_count(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// tshark prints one line per frame, with comma-separated values when a frame holds several.
std::vector<int> numbers_in(const std::string& text) {
  std::vector<int> out;
  std::string token;
  for (const char c : text + "\n") {
    if (c >= '0' && c <= '9') { token += c; continue; }
    if (!token.empty()) out.push_back(std::stoi(token));
    token.clear();
  }
  return out;
}

// The MQTT packet types on the wire, in trace order, read from the raw bytes (undecodable
// packets included: tshark must see whatever our clients saw).
std::vector<int> wire_types(const Trace& trace) {
  std::vector<int> out;
  for (const auto& e : trace.events()) {
    if (e.kind != EventKind::Send && e.kind != EventKind::Recv) continue;
    REQUIRE(!e.data.empty());
    out.push_back(static_cast<unsigned char>(e.data[0]) >> 4);
  }
  return out;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

// QoS 2 both ways, a 3.1.1 subscriber, a packet larger than one TCP segment, a reset, a
// half-close answered by the broker's FIN and a disconnect: every kind of segment the pcap
// writer produces.
void qos2_v311_large(Sim& sim) {
  auto& sub = sim.client("sub-311", {.version = mqtt::Version::v311});
  sub.connect();
  sub.subscribe({{"billing/#", 2}});
  auto& pub = sim.client("pub");
  pub.connect();
  pub.publish("billing/1", "42.00", 2);
  pub.publish("billing/big", std::string(5000, 'x'), 1);
  sim.advance(1s);
  sub.reset();
  auto& quitter = sim.client("quitter");
  quitter.connect();
  quitter.half_close();
  sim.advance(1s);
  pub.disconnect();
  sim.advance(1s);
}

// A story whose text tries to break out of the page: markup in payloads, topics and notes,
// control bytes and invalid UTF-8.
void hostile_text(Sim& sim) {
  auto& sub = sim.client("sub");
  sub.connect();
  sub.subscribe({{"x/#", 1}});
  auto& pub = sim.client("pub", {.version = mqtt::Version::v311});
  pub.connect();
  sim.step("publish markup");
  pub.publish("x/<b>&amp;", "<script>alert(1)</script>", 1);
  sim.note("raw bytes \x01\xff in a note");
  sim.hold("sub");
  pub.publish("x/2", "held", 1);
  sim.release("sub");
  sim.advance(1s);
  pub.crash();
  sim.advance(1s);
}

void check_with_tshark(const Trace& trace, const std::string& name) {
  ScratchDir dir(name);
  const std::string pcap = (dir.path / "trace.pcap").string();
  std::string error;
  REQUIRE_MESSAGE(write_pcap(trace, pcap, &error), error);
  const std::string tshark = "tshark -n -r '" + pcap + "' ";
  const auto seen = numbers_in(capture(tshark + "-Y mqtt -T fields -e mqtt.msgtype 2>/dev/null"));
  CHECK(seen == wire_types(trace));
  // Our checksums and sequence numbers must be right, not merely tolerated: every frame's
  // checksums verify, and TCP analysis finds nothing to say (no gaps, no unseen ACKs).
  const std::string verify = "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE ";
  const std::size_t frames = pcap_frames(trace).size();
  CHECK(line_count(capture(tshark + verify + "-Y 'ip.checksum.status == 1' 2>/dev/null")) == frames);
  CHECK(line_count(capture(tshark + verify + "-Y 'tcp.checksum.status == 1' 2>/dev/null")) == frames);
  CHECK(capture(tshark + "-Y 'tcp.analysis.flags' 2>/dev/null").empty());
}

}  // namespace

TEST_SUITE("artifacts") {

TEST_CASE("pcap frames: handshake, checksummed segments, FIN and RST") {
  auto r = play(seed_config(), qos2_v311_large);
  const auto frames = pcap_frames(r.trace);
  REQUIRE(frames.size() > 10);
  for (const auto& f : frames) {
    REQUIRE(f.bytes.size() >= 54);
    CHECK(f.bytes.size() - 54 <= kPcapMaxSegmentBytes);
    CHECK(f.bytes[12] == 0x08);
    CHECK(f.bytes[23] == 6);  // TCP
  }
  // The first connection opens with SYN, SYN-ACK, ACK from 10.0.0.3:40001 to 10.0.0.1:1883.
  CHECK(frames[0].bytes[47] == 0x02);
  CHECK(frames[1].bytes[47] == 0x12);
  CHECK(frames[2].bytes[47] == 0x10);
  CHECK(frames[0].bytes[29] == 3);
  CHECK((frames[0].bytes[34] << 8 | frames[0].bytes[35]) == 40001);
  CHECK((frames[0].bytes[36] << 8 | frames[0].bytes[37]) == 1883);
  std::size_t resets = 0, fins = 0;
  for (const auto& f : frames) {
    resets += (f.bytes[47] & 0x04) ? 1 : 0;
    fins += (f.bytes[47] & 0x01) ? 1 : 0;
  }
  CHECK(resets == 1);
  CHECK(fins == 3);  // pub's disconnect, quitter's half-close and the broker's answer to it
}

TEST_CASE("pcap: tshark decodes exactly the trace's MQTT packets, in order") {
  if (!have_tool("tshark")) {
    MESSAGE("tshark is not installed: skipping the pcap decode check");
    return;
  }
  struct Story {
    const char* name;
    Script script;
  };
  const Story stories[] = {
      {"qos2-v311-large", qos2_v311_large},
      {"qos1-redelivery", [](Sim& sim) { seed::qos1_redelivery(sim, 3600); }},
      {"retained", seed::retained_late_subscriber},
      {"lwt-crash", seed::lwt_on_crash},
      {"lwt-keepalive", seed::lwt_on_keepalive_expiry},
      {"shared", seed::shared_subscription_jobs},
      {"hostile", hostile_text},
  };
  for (const auto& story : stories) {
    CAPTURE(story.name);
    auto r = play(seed_config(), story.script);
    REQUIRE(!wire_types(r.trace).empty());
    check_with_tshark(r.trace, story.name);
  }
}

TEST_CASE("pcap: an unwritable path is reported, not thrown") {
  Trace empty;
  std::string error;
  CHECK_FALSE(write_pcap(empty, "/nonexistent-dir/trace.pcap", &error));
  CHECK(error.find("/nonexistent-dir/trace.pcap") != std::string::npos);
}

TEST_CASE("sequence.html: one arrow per packet, the violation marked, all text escaped") {
  auto r = play(seed_config(), hostile_text);
  const auto& events = r.trace.events();
  std::size_t packets = 0, violation = events.size();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind != EventKind::Send && events[i].kind != EventKind::Recv) continue;
    ++packets;
    if (events[i].packet && events[i].packet->payload == "held" && events[i].kind == EventKind::Recv) violation = i;
  }
  REQUIRE(violation < events.size());
  SequenceOptions options{.title = "hostile <title>", .verdict = "FAIL: \"held\" & <lost>", .details = "seed 1\nmqsim replay x",
                          .highlight_event = violation, .highlight_text = "delivered <twice> & late"};
  const std::string page = sequence_html(r.trace, options);

  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count_of(page, "<svg") == 2);  // the sticky lifeline heads and the diagram
  CHECK(count_of(page, "<line class=\"arrow\"") == packets);
  CHECK(count_of(page, "id=\"violation\"") == 1);
  CHECK(page.find("id=\"violation\" data-event=\"" + std::to_string(violation) + "\"") != std::string::npos);
  CHECK(page.find("delivered &lt;twice&gt; &amp; late") != std::string::npos);
  CHECK(page.find("FAIL: &quot;held&quot; &amp; &lt;lost&gt;") != std::string::npos);

  // Nothing from the trace becomes markup, and nothing is fetched at view time.
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.find("<b>") == std::string::npos);
  CHECK(page.find("raw bytes \\x01\\xFF in a note") != std::string::npos);
  CHECK(page.find("http://") == page.find("http://www.w3.org/2000/svg"));
  CHECK(page.find("https://") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);

  // Every event is in the listing; the broker's log only there, hidden until asked for.
  CHECK(count_of(page, "<span id=\"e") == events.size());
  CHECK(page.find("class=\"log broker-log\"") != std::string::npos);
  CHECK(page.find("id=\"show-log\"") != std::string::npos);
}

TEST_CASE("sequence.html: written to a file; failures are reported") {
  auto r = play(seed_config(), seed::lwt_on_crash);
  ScratchDir dir("html");
  const std::string path = (dir.path / "sequence.html").string();
  std::string error;
  REQUIRE_MESSAGE(write_sequence_html(r.trace, {.verdict = "ok", .passed = true}, path, &error), error);
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == sequence_html(r.trace, {.verdict = "ok", .passed = true}));
  CHECK(text.str().find("verdict pass") != std::string::npos);
  CHECK_FALSE(write_sequence_html(r.trace, {}, "/nonexistent-dir/sequence.html", &error));
  CHECK(error.find("/nonexistent-dir/sequence.html") != std::string::npos);
}

TEST_CASE("sequence.html renders in a headless browser") {
  const fs::path script = fs::path(__FILE__).parent_path().parent_path() / "artifacts" / "render-check.sh";
  REQUIRE(fs::exists(script));
  auto r = play(seed_config(), hostile_text);
  const auto violation = r.trace.events().size() / 2;
  ScratchDir dir("render");
  const std::string html = (dir.path / "sequence.html").string();
  std::string error;
  REQUIRE(write_sequence_html(r.trace, {.title = "render check", .verdict = "FAIL", .highlight_event = violation,
                                        .highlight_text = "the event under test"}, html, &error));
  const int status = std::system(("'" + script.string() + "' '" + html + "' '" + (dir.path / "shot.png").string() + "' >/dev/null 2>&1").c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) {
    MESSAGE("chromium is not installed: skipping the browser check");
    return;
  }
  CHECK(code == 0);
  CHECK(fs::file_size(dir.path / "shot.png") > 0);
}

}  // TEST_SUITE
