// Reading the fuzz campaign's saved files back: see campaign_state.h.
#include "cli/campaign_state.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mqsim::cli {
namespace {

using nlohmann::json;

std::optional<json> read_json_object(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = path + ": not a JSON object (" + std::to_string(text.str().size()) +
             " bytes; truncated or edited?). Fix or remove it, or start a new campaign in another --out";
    return std::nullopt;
  }
  return j;
}

bool unsigned_field(const json& j, const char* key, const std::string& path, std::uint64_t* value, std::string* error) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) {
    *error = path + ": field \"" + key + "\": expected a whole number";
    return false;
  }
  *value = it->get<std::uint64_t>();
  return true;
}

}  // namespace

std::optional<JobPosition> read_job_position(const std::string& path, std::uint64_t expected_first_seed,
                                             std::uint64_t expected_stride, std::string* error) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return JobPosition{0, nlohmann::json::object()};
  auto j = read_json_object(path, error);
  if (!j) return std::nullopt;
  std::uint64_t done = 0, first = 0, stride = 0, next = 0;
  for (auto [key, out] : {std::pair{"done", &done}, {"first_seed", &first}, {"stride", &stride}, {"next_seed", &next}}) {
    if (!unsigned_field(*j, key, path, out, error)) return std::nullopt;
  }
  if (first != expected_first_seed || stride != expected_stride) {
    *error = path + ": saved by another plan (first_seed " + std::to_string(first) + ", stride " + std::to_string(stride) +
             "; this campaign's job starts at " + std::to_string(expected_first_seed) + " with stride " +
             std::to_string(expected_stride) + ")";
    return std::nullopt;
  }
  // next_seed is written from the same numbers (first + done * stride, wrapping as seeds do): a
  // file whose fields disagree was not written by mqsim.
  if (next != first + done * stride) {
    *error = path + ": field \"next_seed\" " + std::to_string(next) + " disagrees with done " + std::to_string(done);
    return std::nullopt;
  }
  return JobPosition{done, std::move(*j)};
}

std::optional<nlohmann::json> read_campaign_plan(const std::string& path, std::string* error) {
  auto j = read_json_object(path, error);
  if (!j) return std::nullopt;
  for (const char* key : {"base_seed", "shard", "shards", "jobs", "size"}) {
    std::uint64_t ignored = 0;
    if (!unsigned_field(*j, key, path, &ignored, error)) return std::nullopt;
  }
  if (!j->contains("conf") || !(*j)["conf"].is_string()) {
    *error = path + ": field \"conf\": expected a string";
    return std::nullopt;
  }
  return j;
}

}  // namespace mqsim::cli
