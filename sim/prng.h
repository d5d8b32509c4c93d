// The run's one source of randomness. Every random draw in a run (network faults, client ids the
// broker generates, short reads) comes from here, seeded by the run's seed, so that the same seed
// gives the same run. Never seed it from anything but the run's seed.
#pragma once

#include <cassert>
#include <cstdint>

namespace mqsim {

// xoshiro256** (Blackman & Vigna), seeded through splitmix64: small, fast, good enough for
// scheduling choices; not for cryptography.
class Prng {
 public:
  explicit Prng(std::uint64_t seed = 0) { reseed(seed); }

  void reseed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : state_) word = splitmix64(x);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound). bound must be positive.
  std::uint64_t below(std::uint64_t bound) {
    assert(bound > 0);
    return next() % bound;  // the modulo bias is irrelevant at the bounds used here
  }

  // Uniform in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) {
    assert(lo <= hi);
    return lo + below(hi - lo + 1);
  }

  bool chance(std::uint32_t percent) { return below(100) < percent; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_[4] = {};
};

}  // namespace mqsim
