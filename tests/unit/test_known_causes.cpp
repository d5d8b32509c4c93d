// The known-deviations loader on issue 20's layout (<cause>/cause.json, fix*.fix, faces/*.json)
// mixed with the older flat *.json files: tests/fixtures/known-deviations/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "props/known_deviations.h"

using mqsim::props::KnownDeviations;

namespace {
const std::string kFixtures = (std::filesystem::path(__FILE__).parent_path() / "../fixtures/known-deviations").lexically_normal().string();
}  // namespace

TEST_CASE("known causes: a cause directory with its fix and faces, and a flat file, load together") {
  KnownDeviations known;
  std::string error;
  REQUIRE_MESSAGE(known.load_dir(kFixtures, &error), error);
  REQUIRE(known.causes().size() == 3);
  const auto* will = known.cause("will-dropped-on-disconnect-with-error");
  REQUIRE(will != nullptr);
  CHECK(will->statements == std::vector<std::string>{"MQTT-3.1.2-8", "MQTT-3.14.4-3"});
  CHECK(will->root_cause.at("2.0.21") == "src/handle_disconnect.c:71");
  CHECK(will->faces == std::vector<std::string>{"will-dropped-on-disconnect-with-error"});
  const auto* face = known.face("will-dropped-on-disconnect-with-error");
  REQUIRE(face != nullptr);
  CHECK(face->cause == will->id);
  CHECK(face->schedule.has_value());
  // The flat file is a cause of its own, without a fix.
  const auto* flat = known.cause("keepalive-close-rounds-down");
  REQUIRE(flat != nullptr);
  CHECK_FALSE(flat->has_fix());
  CHECK(flat->dir.empty());
  CHECK(known.face("keepalive-close-rounds-down")->cause == "keepalive-close-rounds-down");
}

TEST_CASE("known causes: the fix of a version is fix-<version>.fix when there is one, else fix.fix") {
  const std::string dir = kFixtures + "/will-dropped-on-disconnect-with-error";
  CHECK(mqsim::props::fix_for_version(dir, "2.1.2") == dir + "/fix-2.1.2.fix");
  CHECK(mqsim::props::fix_for_version(dir, "2.0.21") == dir + "/fix.fix");
  CHECK(mqsim::props::fix_for_version(kFixtures + "/only-for-2.1.2", "2.1.2").empty());
}

TEST_CASE("known causes: a cause.json without versions is refused, naming the file") {
  const auto dir = std::filesystem::temp_directory_path() / "mqsim-known-causes-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "broken");
  { std::ofstream(dir / "broken" / "cause.json") << R"({"summary": "s", "why": "w"})"; }
  KnownDeviations known;
  std::string error;
  CHECK_FALSE(known.load_dir(dir.string(), &error));
  CHECK(error.find("broken/cause.json: versions") != std::string::npos);
  std::filesystem::remove_all(dir);
}
