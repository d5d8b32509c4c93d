// The broker's heap: every malloc/calloc/realloc/free/strdup of Mosquitto's objects lands here
// (the build renames those calls, see vendor/interpose.syms). The whole arena is dropped between
// runs, which is what makes an in-process reset of the broker possible, and its answers are the
// same every run (addresses and malloc_usable_size), which keeps $SYS/broker/heap deterministic.
//
// Not thread-safe, by design: the simulator has no threads. Pointers that did not come from the
// arena (plugins' memory, libc's) are passed through to libc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mqsim::arena {

// Reserves the address range once per process. Idempotent.
void init(std::size_t capacity_bytes = std::size_t{1} << 30);
// Forgets every allocation: the next run starts from an empty heap.
void reset();

namespace detail {
extern char* g_base;           // the reserved range (nullptr before init)
extern std::size_t g_capacity;
}  // namespace detail

// Whether `ptr` came from the arena. Inline: the shim asks on every free/realloc and Mosquitto's
// memory tracking on every allocation (thousands of calls a run).
inline bool owns(const void* ptr) {
  const char* p = static_cast<const char*>(ptr);
  return detail::g_base != nullptr && p >= detail::g_base && p < detail::g_base + detail::g_capacity;
}

void* allocate(std::size_t size_bytes);
void* allocate_zeroed(std::size_t count, std::size_t size_bytes);
void* reallocate(void* ptr, std::size_t size_bytes);
void release(void* ptr);
// The size the broker asked for (not the rounded block size), so heap figures are reproducible.
std::size_t usable_size(const void* ptr);

// Bytes handed out and not freed, and the peak of that since the last reset.
std::size_t live_bytes();
std::size_t peak_bytes();

}  // namespace mqsim::arena
