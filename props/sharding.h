// How a fuzz campaign splits the seed space: shard K of M owns the seeds s with
// (s - base) mod M == K - 1, whatever --jobs each machine runs; within a shard, job j of J takes
// every J-th of them. So M machines (a CI matrix, a Kubernetes indexed job, a Slurm array) run
// the same command with different K and never test the same seed twice.
#pragma once

#include <cassert>
#include <cstdint>

namespace mqsim::props {

struct SeedPlan {
  std::uint64_t base_seed = 1;
  std::uint32_t shard = 1;     // K, 1-based
  std::uint32_t shards = 1;    // M
  std::uint32_t jobs = 1;      // J on this machine
};

// The index-th seed of job `job` (0-based) on this shard.
inline std::uint64_t seed_for(const SeedPlan& p, std::uint32_t job, std::uint64_t index) {
  assert(p.shard >= 1 && p.shard <= p.shards);
  assert(job < p.jobs);
  const std::uint64_t within_shard = std::uint64_t{job} + std::uint64_t{p.jobs} * index;
  return p.base_seed + (p.shard - 1) + std::uint64_t{p.shards} * within_shard;
}

// Distance between one job's consecutive seeds.
inline std::uint64_t seed_stride(const SeedPlan& p) { return std::uint64_t{p.shards} * p.jobs; }

}  // namespace mqsim::props
