// The two corpus formats (corpus/corpus.h): 2.1's payload tokens, read as 2.1's
// msg_sequence_test.py parse_message reads them (its quirks included), the group-level defaults,
// the detection of the format, and the default CONNACK each format's Python expects.
//
// Every JSON and payload here is a small snippet written for these tests; the expected bytes
// were worked out by hand from the token rules (and agree with what the Python gives for them).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "corpus/corpus.h"

#ifndef MQSIM_MOSQUITTO_VERSION_STR
#define MQSIM_MOSQUITTO_VERSION_STR ""
#endif

using namespace mqsim;

namespace {

std::string tokens_hex(std::string_view payload) {
  const mqtt::Bytes b = corpus::parse_tokens(payload);
  return corpus::hex({reinterpret_cast<const char*>(b.data()), b.size()});
}

// The error parse_tokens gives, or "" when it reads the payload.
std::string token_error(std::string_view payload) {
  try {
    corpus::parse_tokens(payload);
  } catch (const corpus::CorpusError& e) {
    return e.what();
  }
  return "";
}

// A scratch corpus directory, removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("mqsim-corpus-format-" + std::to_string(getpid()));
  ScratchDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

std::string load_error(const std::string& file) {
  try {
    corpus::load_file(file);
  } catch (const corpus::CorpusError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("corpus") {

TEST_CASE("corpus format 2.1: fixed-size integers are big-endian, of 1 (i), 2 (H k m s) and 4 (L) bytes") {
  CHECK(tokens_hex("i7 H258 k60 m1 s3 L16909060") == "07 01 02 00 3c 00 01 00 03 01 02 03 04");
  CHECK(tokens_hex("i0 i255 H65535 L4294967295") == "00 ff ff ff ff ff ff ff");
  // As Python's int(): a sign, leading zeros, single underscores between digits.
  CHECK(tokens_hex("i+5 i1_0 i007 i-0") == "05 0a 07 00");
}

TEST_CASE("corpus format 2.1: v and r are variable byte integers, with no four-byte limit") {
  CHECK(tokens_hex("r0 r127 r128") == "00 7f 80 01");
  CHECK(tokens_hex("v16383 v2097152") == "ff 7f 80 80 80 01");
  CHECK(tokens_hex("r268435456") == "80 80 80 80 01");  // 2^28: not MQTT, but the corpus may send it
}

TEST_CASE("corpus format 2.1: quoted text is its UTF-8 bytes; other parts are hex") {
  CHECK(tokens_hex("'ab' '' 'é'") == "61 62 c3 a9");
  CHECK(tokens_hex("10 0c") == "10 0c");
  CHECK(tokens_hex("100c AB") == "10 0c ab");
  CHECK(tokens_hex("10  20") == "10 20");  // two spaces leave an empty part, which is skipped
  CHECK(tokens_hex("") == "");
  CHECK(tokens_hex("0a\t0b") == "0a 0b");  // fromhex skips white space between pairs
}

TEST_CASE("corpus format 2.1: a CONNECT in tokens is the same bytes as in hex") {
  // 3.1.1 CONNECT, clean session, keepalive 60, client id "ab".
  CHECK(tokens_hex("10 r14 s4 'MQTT' i4 02 k60 s2 'ab'") == "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 61 62");
}

TEST_CASE("corpus format 2.1: the parts a quoted text with spaces took are read again, as the Python does") {
  // "'a" "'b'": the text "a 'b", then "'b'" once more as a text of its own.
  CHECK(tokens_hex("'a 'b'") == "61 20 27 62 62");
  // "'x" "00" "'y'": the text "x 00 'y", then 00, then "y".
  CHECK(tokens_hex("'x 00 'y'") == "78 20 30 30 20 27 79 00 79");
  // "b'" read again is not hex: the Python raises on it.
  CHECK(token_error("'a b'") == "part 2 \"b'\": invalid hex bytes");
}

TEST_CASE("corpus format 2.1: what the Python cannot read is one clear error naming the part") {
  CHECK(token_error("10 i256") == "part 2 \"i256\": out of range (at most 255)");
  CHECK(token_error("H65536") == "part 1 \"H65536\": out of range (at most 65535)");
  CHECK(token_error("L4294967296") == "part 1 \"L4294967296\": out of range (at most 4294967295)");
  CHECK(token_error("i-1") == "part 1 \"i-1\": negative");
  CHECK(token_error("v-1") == "part 1 \"v-1\": negative");  // the Python would loop forever
  for (const char* not_a_number : {"ix", "i", "i1__0", "i_1", "i1_"}) {
    CHECK(token_error(not_a_number) == "part 1 \"" + std::string(not_a_number) + "\": not a decimal integer");
  }
  CHECK(token_error("'abc") == "part 1 \"'abc\": incomplete string (no closing quote)");
  CHECK(token_error("'").find("a lone quote") != std::string::npos);
  CHECK(token_error("0") == "part 1 \"0\": invalid hex bytes");
  CHECK(token_error("zz") == "part 1 \"zz\": invalid hex bytes");
  CHECK(token_error("0 a") == "part 1 \"0\": invalid hex bytes");  // 2.0 read this as 0a
}

TEST_CASE("corpus format: a file is 2.1 when a group sets a default or a payload is not plain hex") {
  ScratchDir dir;
  const std::string hex_only = dir.write("A.json", R"([{"group": "g", "tests": [
      {"name": "n", "ver": 5, "msgs": [{"type": "send", "payload": "c0 00"}, {"type": "recv", "payload": "d000"}]}]}])");
  const std::string tokens = dir.write("B.json", R"([{"group": "g", "tests": [
      {"name": "n", "msgs": [{"type": "send", "payload": "c0 r0"}]}]}])");
  const std::string group_key = dir.write("C.json", R"([{"group": "g", "ver": 4, "tests": [
      {"name": "n", "msgs": []}]}])");
  CHECK(corpus::load_file(hex_only).at(0).format == corpus::Format::v2_0);
  CHECK(corpus::load_file(tokens).at(0).format == corpus::Format::v2_1);
  CHECK(corpus::load_file(group_key).at(0).format == corpus::Format::v2_1);
  // A corpus is one version's: the plain-hex file is read as 2.1 beside the others.
  const auto cases = corpus::load_dir(dir.path.string());
  REQUIRE(cases.size() == 3);
  for (const auto& c : cases) CHECK(c.format == corpus::Format::v2_1);
  CHECK(cases[1].msgs.at(0).bytes == mqtt::Bytes{0xC0, 0x00});
  // Told the format, the loader does not guess: 2.0 cannot read tokens.
  CHECK(corpus::load_file(hex_only, corpus::Format::v2_1).at(0).format == corpus::Format::v2_1);
  CHECK(corpus::load_file(hex_only, corpus::Format::v2_1).at(0).msgs.at(1).bytes == mqtt::Bytes{0xD0, 0x00});
  try {
    corpus::load_file(tokens, corpus::Format::v2_0);
    FAIL("2.0 read a token");
  } catch (const corpus::CorpusError& e) {
    CHECK(std::string(e.what()) == "B.json: group \"g\" test \"n\": msgs[0]: payload: 'r' is not a hex digit");
  }
}

TEST_CASE("corpus format 2.1: a group sets ver, connect and expect_disconnect; a test's own value wins") {
  ScratchDir dir;
  const std::string file = dir.write("A.json", R"([
      {"group": "g", "ver": 5, "connect": false, "expect_disconnect": false, "tests": [
        {"name": "defaults", "msgs": []},
        {"name": "own", "ver": 3, "connect": true, "expect_disconnect": true, "msgs": []}]},
      {"group": "h", "tests": [{"name": "python defaults", "msgs": [{"type": "send", "payload": "c0 00"}]}]}])");
  const auto cases = corpus::load_file(file);
  REQUIRE(cases.size() == 3);
  CHECK(cases[0].ver == 5);
  CHECK_FALSE(cases[0].connect);
  CHECK_FALSE(cases[0].expect_disconnect);
  CHECK(cases[1].ver == 3);
  CHECK(cases[1].connect);
  CHECK(cases[1].expect_disconnect);
  CHECK(cases[2].ver == 4);
  CHECK(cases[2].connect);
  CHECK(cases[2].expect_disconnect);
  // 2.0's Python reads none of these keys from a group.
  const auto as_2_0 = corpus::load_file(file, corpus::Format::v2_0);
  CHECK(as_2_0[0].ver == 4);
  CHECK(as_2_0[0].connect);
  CHECK(as_2_0[0].expect_disconnect);
}

TEST_CASE("corpus format 2.1: bad input names the file, the group, the test and the part") {
  ScratchDir dir;
  CHECK(load_error(dir.write("A.json", R"([{"group": "g", "tests": [{"name": "n", "msgs": [{"type": "send", "payload": "10 i300"}]}]}])")) ==
        "A.json: group \"g\" test \"n\": msgs[0]: payload: part 2 \"i300\": out of range (at most 255)");
  CHECK(load_error(dir.write("B.json", R"([{"group": "g", "connect": "yes", "tests": []}])")) ==
        "B.json: group \"g\": \"connect\" must be true or false, got \"yes\"");
  CHECK(load_error(dir.write("C.json", R"([{"group": "g", "ver": "5", "tests": []}])")) ==
        "C.json: group \"g\": \"ver\" must be an integer, got \"5\"");
  // A group's ver reaches the default CONNECT's check like a test's own.
  CHECK(load_error(dir.write("D.json", R"([{"group": "g", "ver": 6, "tests": [{"name": "n", "msgs": []}]}])")) ==
        "D.json: group \"g\" test \"n\": \"ver\" must be 3, 4 or 5, got 6");
}

TEST_CASE("corpus format 2.1: a case written in tokens plays in the simulator") {
  ScratchDir dir;
  // No default CONNECT: a 3.1.1 CONNECT in tokens, its CONNACK, then a subscription and the
  // connection must stay open (PINGREQ answered).
  const std::string file = dir.write("A.json", R"([{"group": "tokens", "connect": false, "expect_disconnect": false, "tests": [
      {"name": "connect and subscribe", "msgs": [
        {"type": "send", "payload": "10 r14 s4 'MQTT' i4 02 k60 s2 'ab'"},
        {"type": "recv", "payload": "20 r2 00 00"},
        {"type": "send", "payload": "82 r6 m1 s1 't' i0"},
        {"type": "recv", "payload": "90 r3 m1 i0"}]}]}])");
  const auto cases = corpus::load_file(file);
  REQUIRE(cases.size() == 1);
  const auto r = corpus::run_case(cases[0]);
  CHECK_MESSAGE(r.passed, r.reason);
  // One wrong byte in the expected SUBACK fails it.
  auto wrong = cases[0];
  wrong.msgs.back().bytes.back() = 0x01;
  CHECK(corpus::run_case(wrong).reason == "msgs[3] recv: expected 90 03 00 01 01, received 90 03 00 01 00");
}

TEST_CASE("corpus format: the default v5 CONNACK is the one its version's Python expects") {
  // Mosquitto 2.1 announces Maximum Packet Size 2000000 in a default CONNACK, and 2.1's
  // gen_connack expects it; 2.0 announces none. Each format passes on its own version only.
  const std::string version = MQSIM_MOSQUITTO_VERSION_STR;
  corpus::Case c;
  c.file = "inline.json";
  c.group = "inline";
  c.name = "v5 default connect";
  c.ver = 5;
  c.expect_disconnect = false;
  c.format = corpus::Format::v2_0;
  const auto as_2_0 = corpus::run_case(c);
  c.format = corpus::Format::v2_1;
  const auto as_2_1 = corpus::run_case(c);
  INFO("Mosquitto ", version, ": 2.0 format: ", as_2_0.reason, "; 2.1 format: ", as_2_1.reason);
  if (version.starts_with("2.0.")) {
    CHECK(as_2_0.passed);
    CHECK(as_2_1.reason.starts_with("default connack: expected 20 0e 00 00 0b 22 00 0a 27 00 1e 84 80 21 00 14, received"));
  } else if (version.starts_with("2.1.")) {
    CHECK(as_2_1.passed);
    CHECK(as_2_0.reason.starts_with("default connack: expected 20 09 00 00 06 22 00 0a 21 00 14, received"));
  } else {
    MESSAGE("Mosquitto ", version, " has no corpus format of its own here: nothing to compare");
  }
}

}  // TEST_SUITE
