// Shards of a fuzz campaign cover disjoint seeds, and together all of them, whatever --jobs each
// machine uses; a job's seeds follow from its index (what --resume relies on).
#include <doctest/doctest.h>

#include <set>

#include "props/sharding.h"

using mqsim::props::SeedPlan;
using mqsim::props::seed_for;
using mqsim::props::seed_stride;

namespace {

std::set<std::uint64_t> seeds_of(const SeedPlan& p, std::uint64_t per_job) {
  std::set<std::uint64_t> out;
  for (std::uint32_t j = 0; j < p.jobs; ++j) {
    for (std::uint64_t i = 0; i < per_job; ++i) CHECK(out.insert(seed_for(p, j, i)).second);  // no seed twice
  }
  return out;
}

}  // namespace

TEST_CASE("two shards with different job counts never share a seed") {
  const auto a = seeds_of({100, 1, 2, 1}, 600);
  const auto b = seeds_of({100, 2, 2, 3}, 200);
  for (auto s : a) CHECK(b.count(s) == 0);
  for (auto s : a) CHECK((s - 100) % 2 == 0);
  for (auto s : b) CHECK((s - 100) % 2 == 1);
}

TEST_CASE("all shards together cover a contiguous range of seeds") {
  std::set<std::uint64_t> all;
  for (std::uint32_t k = 1; k <= 4; ++k) {
    for (auto s : seeds_of({1, k, 4, 2}, 50)) CHECK(all.insert(s).second);
  }
  CHECK(all.size() == 400);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == 400);
}

TEST_CASE("a job's next seed after n runs is seed_for(n): resuming continues the same sequence") {
  const SeedPlan p{7, 3, 5, 4};
  for (std::uint32_t j = 0; j < p.jobs; ++j) {
    for (std::uint64_t i = 0; i < 20; ++i) CHECK(seed_for(p, j, i + 1) == seed_for(p, j, i) + seed_stride(p));
  }
}
