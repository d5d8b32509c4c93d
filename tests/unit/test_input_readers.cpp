// Every reader of what people hand to mqsim, fed generated bad input (rapidcheck): valid files
// mutated (fields dropped, duplicated, retyped; bytes flipped; truncated), random bytes, random
// numbers. Each reader either accepts the input as a valid value or refuses it with an error that
// names the file (or argument); none throws anything else, none crashes. Issue 17.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "cli/campaign_state.h"
#include "cli/input.h"
#include "props/bytes_schedule.h"
#include "props/generators.h"
#include "props/known_deviations.h"
#include "corpus/corpus.h"
#include "schedule/schedule.h"

using namespace mqsim;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// How many generated inputs each reader gets (issue 17: 10,000 per reader, all in under a minute).
constexpr int kInputsPerReader = 10'000;

bool property(const char* name, const auto& body) {
  rc::detail::TestParams params;
  params.maxSuccess = kInputsPerReader;
  params.maxSize = 100;
  params.seed = 17;  // the same inputs every run (CI verdicts are reproducible)
  rc::detail::TestMetadata metadata;
  metadata.id = name;
  metadata.description = name;
  const auto result = rc::detail::checkTestable(body, metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream why;
    rc::detail::printResultMessage(result, why);
    FAIL_CHECK(name << ": " << why.str());
    return false;
  }
  return true;
}

// A scratch directory of this test process, removed at exit.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("mqsim-readers-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { std::error_code ec; fs::remove_all(dir, ec); }
  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path p = dir / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p;
  }
};

// One mutation of a JSON value, as a file goes wrong: a field dropped, duplicated under another
// name, retyped (string <-> number <-> array <-> null), or a number pushed out of range.
json mutate_json(json j, std::uint64_t pick, std::uint64_t depth = 0) {
  if (depth > 4) return j;
  if (j.is_object() && !j.empty()) {
    auto it = j.begin();
    std::advance(it, static_cast<long>(pick % j.size()));
    const std::string key = it.key();
    switch ((pick / 7) % 6) {
      case 0: j.erase(key); break;
      case 1: j[key + "_"] = *it; break;
      case 2: j[key] = "text"; break;
      case 3: j[key] = json::array({1, "x", nullptr}); break;
      case 4: j[key] = -1; break;
      default: j[key] = mutate_json(*it, pick / 11, depth + 1); break;
    }
  } else if (j.is_array() && !j.empty()) {
    const std::size_t i = pick % j.size();
    if ((pick / 5) % 3 == 0) j.erase(j.begin() + static_cast<long>(i));
    else if ((pick / 5) % 3 == 1) j.push_back(j[i]);
    else j[i] = mutate_json(j[i], pick / 13, depth + 1);
  } else if (j.is_number()) {
    const json choices[] = {json(18446744073709551615ULL), json(-1), json(1e300), json(0.5), json("7"), json(nullptr)};
    j = choices[pick % 6];
  } else {
    const json choices[] = {json(0), json(""), json(true), json::object(), json(std::string(300, 'x'))};
    j = choices[pick % 5];
  }
  return j;
}

// One mutation of a file's bytes: truncated, a byte flipped, a byte inserted.
std::string mutate_bytes(std::string text, std::uint64_t pick) {
  if (text.empty()) return text;
  const std::size_t at = pick % text.size();
  switch ((pick / 3) % 3) {
    case 0: text.resize(at); break;
    case 1: text[at] = static_cast<char>(text[at] ^ static_cast<char>(1 + (pick >> 8) % 255)); break;
    default: text.insert(at, 1, static_cast<char>((pick >> 16) % 256)); break;
  }
  return text;
}

std::string mutated(const json& valid, std::uint64_t pick) {
  if (pick % 2 == 0) return mutate_json(valid, pick / 2).dump();
  return mutate_bytes(valid.dump(2), pick / 2);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("readers: numbers from arguments and environment variables are range-checked, never std::sto*") {
  CHECK(cli::parse_u64("99999999999999999999", 0, UINT64_MAX) == std::nullopt);  // the seed that aborted replay
  CHECK(cli::parse_u64("18446744073709551615", 0, UINT64_MAX) == UINT64_MAX);
  CHECK(cli::parse_u64("18446744073709551616", 0, UINT64_MAX) == std::nullopt);
  CHECK(cli::parse_u64("-1", 0, UINT64_MAX) == std::nullopt);
  CHECK(cli::parse_u64(" 1", 0, UINT64_MAX) == std::nullopt);
  CHECK(cli::parse_u64("0", 1, 10) == std::nullopt);
  CHECK_THROWS_WITH_AS(cli::require_u64("abc", 1, 5, "MQSIM_PR_SCHEDULES"),
                       "MQSIM_PR_SCHEDULES: expected a whole number from 1 to 5, got \"abc\"", cli::InputError);
  property("parse_u64 agrees with std::from_chars on every string", [](const std::string& text) {
    std::uint64_t reference = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), reference);
    const bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    const bool whole = ec == std::errc{} && end == text.data() + text.size() && digits_only;
    const auto got = cli::parse_u64(text, 0, UINT64_MAX);
    RC_ASSERT(got.has_value() == whole);
    if (got) RC_ASSERT(*got == reference);
  });
}

TEST_CASE("readers: a mutated schedule.json is a schedule or an error, never an exception") {
  const std::string valid = to_json(props::schedule_for_seed(42).value());
  REQUIRE(schedule_from_json(valid, nullptr).has_value());
  property("schedule_from_json", [&](std::uint64_t pick) {
    const std::string text = mutated(json::parse(valid), pick);
    std::string error;
    const auto s = schedule_from_json(text, &error);
    RC_ASSERT(s.has_value() || !error.empty());
    if (s) RC_ASSERT(schedule_from_json(to_json(*s), nullptr).has_value());  // what was accepted is a value
  });
}

TEST_CASE("readers: random bytes are a fuzzer input: every byte string decodes to a runnable schedule") {
  property("schedule_from_bytes", [](const std::vector<std::uint8_t>& bytes) {
    const Schedule s = props::schedule_from_bytes(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
    for (const auto& op : s.ops) RC_ASSERT(op.kind == OpKind::Advance || op.client < s.clients.size());
    RC_ASSERT(schedule_from_json(to_json(s), nullptr).has_value());
  });
}

TEST_CASE("readers: a mutated known-deviation cause or face loads, or the error names the file") {
  // props/known-deviations/<cause>/cause.json and <cause>/faces/<face>.json: one of the two
  // mutated per input, the other left valid.
  const fs::path cause_dir = fs::path(props::default_known_deviations_dir()) / "will-dropped-on-disconnect-with-error";
  const std::string cause = read_text(cause_dir / "cause.json");
  const std::string face = read_text(cause_dir / "faces" / "will-dropped-on-disconnect-with-error.json");
  REQUIRE_FALSE(cause.empty());
  REQUIRE_FALSE(face.empty());
  Scratch scratch;
  fs::create_directories(scratch.dir / "c" / "faces");
  property("KnownDeviations::load_dir", [&](std::uint64_t pick) {
    const bool mutate_cause = pick % 2 == 0;
    const fs::path cause_file = scratch.write("c/cause.json", mutate_cause ? mutated(json::parse(cause), pick / 2) : cause);
    const fs::path face_file = scratch.write("c/faces/f.json", mutate_cause ? face : mutated(json::parse(face), pick / 2));
    props::KnownDeviations known;
    std::string error;
    if (!known.load_dir(scratch.dir.string(), &error)) {
      RC_ASSERT(error.find((mutate_cause ? cause_file : face_file).string()) != std::string::npos);
    }
  });
}

TEST_CASE("readers: a mutated corpus file loads, or a CorpusError names the file") {
  const json valid = json::parse(R"([{"group": "g", "tests": [{"name": "t", "ver": 5, "msgs": [
      {"type": "send", "payload": "10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00"},
      {"type": "recv", "payload": "20 03 00 00 00"}]}]}])");
  Scratch scratch;
  const fs::path path = scratch.write("corpus.json", valid.dump());
  REQUIRE_NOTHROW(corpus::load_file(path.string()));
  property("corpus::load_file", [&](std::uint64_t pick) {
    scratch.write("corpus.json", mutated(valid, pick));
    try {
      (void)corpus::load_file(path.string());
    } catch (const corpus::CorpusError& e) {
      RC_ASSERT(std::string(e.what()).find("corpus.json") != std::string::npos);
    }
  });
}

TEST_CASE("readers: a fuzz state file truncated at any byte is refused with its name, never read as 'nothing done'") {
  Scratch scratch;
  const json state = {{"done", 1234}, {"first_seed", 7}, {"stride", 4}, {"next_seed", 7 + 1234 * 4}};
  const std::string text = state.dump() + "\n";
  const fs::path path = scratch.write("job.json", text);
  std::string error;
  REQUIRE(cli::read_job_position(path.string(), 7, 4, &error)->done == 1234);
  for (std::size_t cut = 0; cut + 1 < text.size(); ++cut) {  // the last byte is the newline
    scratch.write("job.json", text.substr(0, cut));
    error.clear();
    const auto pos = cli::read_job_position(path.string(), 7, 4, &error);
    CHECK_MESSAGE(!pos, "truncated at byte " << cut << " read as " << pos->done);
    CHECK(error.find(path.string()) != std::string::npos);
  }
  CHECK_FALSE(cli::read_job_position(path.string(), 8, 4, &error));  // another plan's file
  property("read_job_position on mutated state files", [&](std::uint64_t pick) {
    scratch.write("job.json", mutated(state, pick));
    std::string why;
    const auto pos = cli::read_job_position(path.string(), 7, 4, &why);
    RC_ASSERT(pos.has_value() != !why.empty());
    if (pos) RC_ASSERT(pos->done == 1234);  // only an equivalent file is accepted
  });
}

TEST_CASE("readers: campaign.json truncated at any byte is refused with its name") {
  Scratch scratch;
  const json plan = {{"base_seed", 1}, {"shard", 1}, {"shards", 2}, {"jobs", 2}, {"size", 100}, {"conf", ""}};
  const std::string text = plan.dump(2) + "\n";
  const fs::path path = scratch.write("campaign.json", text);
  std::string error;
  REQUIRE(cli::read_campaign_plan(path.string(), &error) == plan);
  for (std::size_t cut = 0; cut + 1 < text.size(); ++cut) {
    scratch.write("campaign.json", text.substr(0, cut));
    error.clear();
    CHECK_FALSE(cli::read_campaign_plan(path.string(), &error));
    CHECK(error.find(path.string()) != std::string::npos);
  }
  property("read_campaign_plan on mutated plans", [&](std::uint64_t pick) {
    scratch.write("campaign.json", mutated(plan, pick));
    std::string why;
    const auto read = cli::read_campaign_plan(path.string(), &why);
    RC_ASSERT(read.has_value() != !why.empty());
  });
}
