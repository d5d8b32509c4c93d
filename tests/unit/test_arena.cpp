// Unit tests of the broker's arena allocator (sim/arena.h). The in-process reset depends on it: a
// reset must forget every allocation and give the same addresses run after run, usable_size must
// report what was asked for (it feeds $SYS/broker/heap), and pointers from libc must never be
// claimed. The arena is process-wide, so every test starts with a reset (no broker runs in the
// unit-test binary).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sim/arena.h"

namespace arena = mqsim::arena;

namespace {

void fresh_arena() {
  arena::init();
  arena::reset();
  REQUIRE(arena::live_bytes() == 0);
  REQUIRE(arena::peak_bytes() == 0);
}

void fill(void* ptr, std::size_t size_bytes, std::uint8_t value) { std::memset(ptr, value, size_bytes); }

bool all_bytes_are(const void* ptr, std::size_t size_bytes, std::uint8_t value) {
  const auto* p = static_cast<const std::uint8_t*>(ptr);
  for (std::size_t i = 0; i < size_bytes; ++i) {
    if (p[i] != value) return false;
  }
  return true;
}

}  // namespace

TEST_SUITE("arena") {

TEST_CASE("allocate: distinct live blocks / 16-byte aligned / owned by the arena") {
  fresh_arena();
  void* a = arena::allocate(100);
  void* b = arena::allocate(100);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(a != b);
  CHECK(reinterpret_cast<std::uintptr_t>(a) % 16 == 0);  // what malloc promises (max_align_t)
  CHECK(reinterpret_cast<std::uintptr_t>(b) % 16 == 0);
  CHECK(arena::owns(a));
  CHECK(arena::owns(b));
  // Writing a whole block must not disturb its neighbour.
  fill(a, 100, 0xAA);
  fill(b, 100, 0xBB);
  CHECK(all_bytes_are(a, 100, 0xAA));
  CHECK(all_bytes_are(b, 100, 0xBB));
}

TEST_CASE("release: a freed block is reused by the next allocation of its size") {
  fresh_arena();
  void* a = arena::allocate(100);
  void* keep = arena::allocate(100);
  arena::release(a);
  CHECK(arena::allocate(90) == a);       // same size class: taken from the free list
  void* next = arena::allocate(100);     // the free list is empty again: fresh memory
  CHECK(next != a);
  CHECK(next != keep);
}

TEST_CASE("release: a freed block is not handed out for a much larger request") {
  fresh_arena();
  void* small = arena::allocate(32);
  arena::release(small);
  void* big = arena::allocate(4096);
  CHECK(big != small);
  fill(big, 4096, 0x11);  // the whole block is usable
  CHECK(all_bytes_are(big, 4096, 0x11));
}

TEST_CASE("release(nullptr) is a no-op") {
  fresh_arena();
  arena::release(nullptr);
  CHECK(arena::live_bytes() == 0);
}

TEST_CASE("allocate_zeroed: zero even when the block is reused dirty") {
  fresh_arena();
  void* dirty = arena::allocate(64);
  fill(dirty, 64, 0xFF);
  arena::release(dirty);
  void* zeroed = arena::allocate_zeroed(8, 8);
  CHECK(zeroed == dirty);  // the reuse this test is about did happen
  CHECK(all_bytes_are(zeroed, 64, 0));
  CHECK(arena::usable_size(zeroed) == 64);
}

TEST_CASE("allocate_zeroed: a large block reused dirty after a reset is zero, head and tail too") {
  // Large blocks give their pages back instead of a memset (the keepalive ring, every run).
  for (const std::size_t bytes : {std::size_t{786'424}, std::size_t{300'000}, std::size_t{262'144}}) {
    fresh_arena();
    void* first = arena::allocate(bytes);
    fill(first, bytes, 0xA5);
    arena::reset();
    void* again = arena::allocate_zeroed(bytes / 8, 8);
    CHECK(again == first);  // same address: the dirty bytes really were reused
    CHECK(all_bytes_are(again, bytes, 0));
  }
}

TEST_CASE("allocate_zeroed: count x size overflowing size_t fails instead of wrapping") {
  fresh_arena();
  CHECK(arena::allocate_zeroed(SIZE_MAX / 2, 4) == nullptr);
  CHECK(arena::live_bytes() == 0);
}

TEST_CASE("reallocate: growth preserves the bytes") {
  fresh_arena();
  auto* p = static_cast<std::uint8_t*>(arena::allocate(10));
  for (std::uint8_t i = 0; i < 10; ++i) p[i] = static_cast<std::uint8_t>(i + 1);
  auto* grown = static_cast<std::uint8_t*>(arena::reallocate(p, 5000));
  REQUIRE(grown != nullptr);
  CHECK(grown != p);  // 5000 bytes do not fit the 10-byte block: moved
  for (std::uint8_t i = 0; i < 10; ++i) CHECK(grown[i] == i + 1);
  CHECK(arena::usable_size(grown) == 5000);
  fill(grown, 5000, 0x5A);  // and the new block is whole
  CHECK(arena::live_bytes() == 5000);
}

TEST_CASE("reallocate: shrinking or growing within the block stays in place") {
  fresh_arena();
  void* p = arena::allocate(1000);
  fill(p, 1000, 0x42);
  CHECK(arena::reallocate(p, 3) == p);
  CHECK(arena::usable_size(p) == 3);
  CHECK(all_bytes_are(p, 3, 0x42));
  // 20 bytes + the header fit a 64-byte block; growing to 24 needs no move.
  void* q = arena::allocate(20);
  CHECK(arena::reallocate(q, 24) == q);
  CHECK(arena::usable_size(q) == 24);
}

TEST_CASE("reallocate of nullptr allocates") {
  fresh_arena();
  void* p = arena::reallocate(nullptr, 48);
  REQUIRE(p != nullptr);
  CHECK(arena::owns(p));
  CHECK(arena::usable_size(p) == 48);
}

TEST_CASE("usable_size: the size asked for and not the block size") {
  fresh_arena();
  for (std::size_t size : {1u, 13u, 16u, 17u, 100u, 4095u, 786440u}) {
    CAPTURE(size);
    void* p = arena::allocate(size);
    REQUIRE(p != nullptr);
    CHECK(arena::usable_size(p) == size);
  }
  CHECK(arena::usable_size(nullptr) == 0);
}

TEST_CASE("reset: forgets every block / a run gets the same addresses as the one before") {
  fresh_arena();
  void* first = arena::allocate(100);
  void* second = arena::allocate(100);
  arena::release(second);  // on the free list at reset time
  arena::reset();
  CHECK(arena::live_bytes() == 0);
  CHECK(arena::peak_bytes() == 0);
  // The bump pointer starts over and the free lists are empty: not `second` from the old list.
  CHECK(arena::allocate(100) == first);
  CHECK(arena::allocate(100) == second);
}

TEST_CASE("owns: false for pointers that did not come from the arena") {
  fresh_arena();
  int on_stack = 0;
  void* from_libc = std::malloc(32);
  CHECK_FALSE(arena::owns(&on_stack));
  CHECK_FALSE(arena::owns(from_libc));
  CHECK_FALSE(arena::owns(nullptr));
  std::free(from_libc);
  auto* p = static_cast<char*>(arena::allocate(64));
  CHECK(arena::owns(p));
  CHECK(arena::owns(p + 63));
}

TEST_CASE("live and peak bytes follow allocate / release / reallocate") {
  fresh_arena();
  void* a = arena::allocate(100);
  void* b = arena::allocate(200);
  CHECK(arena::live_bytes() == 300);
  CHECK(arena::peak_bytes() == 300);
  arena::release(a);
  CHECK(arena::live_bytes() == 200);
  CHECK(arena::peak_bytes() == 300);   // the peak remembers
  b = arena::reallocate(b, 50);        // shrink in place
  CHECK(arena::live_bytes() == 50);
  b = arena::reallocate(b, 1000);      // grow by moving: the old block is released after the copy
  CHECK(arena::live_bytes() == 1000);
  CHECK(arena::peak_bytes() == 1050);  // during the copy both blocks were live
  void* c = arena::allocate_zeroed(10, 10);
  CHECK(arena::live_bytes() == 1100);
  arena::release(b);
  arena::release(c);
  CHECK(arena::live_bytes() == 0);
  CHECK(arena::peak_bytes() == 1100);
}

}  // TEST_SUITE("arena")
