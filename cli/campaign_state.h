// The files `mqsim fuzz --resume` reads back: campaign.json (the plan: seeds, shard, jobs, size,
// config) and state/shard-K-of-M-job-J.json (how many of a job's seeds are done). They are written
// atomically, so a crash leaves the old or the new file; anything else found there (a truncated,
// edited or foreign file) is refused with a message naming the file and field, never read as
// "nothing done" (which would silently start the campaign over).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mqsim::cli {

// A job's saved position. `expected_first_seed` and `expected_stride` are what the campaign's
// plan gives this job: a state file saved by another plan is refused.
struct JobPosition {
  std::uint64_t done = 0;   // seeds finished
  nlohmann::json saved;     // the whole file (its other counts), an empty object when absent
};

// nullopt with `error` when the file exists but cannot be used; {0} when it does not exist yet (the
// job was stopped before its first save).
std::optional<JobPosition> read_job_position(const std::string& path, std::uint64_t expected_first_seed,
                                             std::uint64_t expected_stride, std::string* error);

// campaign.json: the saved plan as JSON, or nullopt with `error` (unreadable, not a JSON object,
// a field missing or of the wrong type).
std::optional<nlohmann::json> read_campaign_plan(const std::string& path, std::string* error);

}  // namespace mqsim::cli
