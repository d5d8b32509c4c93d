// Arena allocator for the broker's heap: see arena.h.
//
// Size classes of powers of two with free lists, carved from one bump region reserved with
// mmap(MAP_NORESERVE). Each block has a 16-byte header with the requested size and the class,
// so realloc and malloc_usable_size need no lookup. Freed blocks are reused within a run, so
// long runs (hours of virtual keepalives) stay bounded; reset() drops everything at once.
#include "arena.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <bit>
#include <cstring>

namespace mqsim::arena {

namespace detail {
char* g_base = nullptr;
std::size_t g_capacity = 0;
}  // namespace detail

namespace {

using detail::g_base;
using detail::g_capacity;

constexpr std::size_t kHeaderBytes = 16;
constexpr unsigned kMinClass = 4;    // 16-byte blocks
constexpr unsigned kMaxClass = 40;   // far above any single allocation of one run

struct Header {
  std::uint64_t size_bytes;          // what the caller asked for
  std::uint32_t size_class;          // block = 2^size_class bytes, header included
  std::uint32_t magic;               // catches frees of pointers into the middle of a block
};
static_assert(sizeof(Header) == kHeaderBytes);
constexpr std::uint32_t kMagic = 0xA7E9A5ED;

struct FreeBlock { FreeBlock* next; };

std::size_t g_used = 0;              // bump offset
std::size_t g_touched = 0;           // high-water mark since the pages were last fresh (zero)
std::size_t g_live = 0;
std::size_t g_peak = 0;
FreeBlock* g_free[kMaxClass + 1] = {};

// The smallest class whose block holds total_bytes: ceil(log2), at least kMinClass. Every broker
// malloc asks, so it is one instruction rather than a loop.
unsigned class_for(std::size_t total_bytes) {
  assert(total_bytes > 0);
  const unsigned c = std::max<unsigned>(kMinClass, static_cast<unsigned>(std::bit_width(total_bytes - 1)));
  assert(c <= kMaxClass && (std::size_t{1} << c) >= total_bytes);
  return c;
}

Header* header_of(const void* ptr) {
  auto* h = reinterpret_cast<Header*>(const_cast<char*>(static_cast<const char*>(ptr)) - kHeaderBytes);
  if (h->magic != kMagic) {
    std::fprintf(stderr, "mqsim arena: free of a pointer that is not a block start (%p)\n", ptr);
    std::abort();
  }
  return h;
}

// Zeroes [p, p + bytes). A large range gives its whole pages back to the kernel instead, which
// maps zero pages on the next touch: Mosquitto's 786 KB keepalive ring is calloc'd every run
// and only a few of its pages are ever written, so a memset per run was ~3% of a campaign.
void zero(char* p, std::size_t bytes) {
  constexpr std::size_t kPageBytes = 4096;
  constexpr std::size_t kGiveBackFromBytes = std::size_t{256} << 10;
  if (bytes < kGiveBackFromBytes) {
    std::memset(p, 0, bytes);
    return;
  }
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  char* lo = reinterpret_cast<char*>((addr + kPageBytes - 1) & ~(kPageBytes - 1));
  char* hi = reinterpret_cast<char*>((addr + bytes) & ~(kPageBytes - 1));
  assert(lo >= p && hi <= p + bytes && lo < hi);
  std::memset(p, 0, static_cast<std::size_t>(lo - p));
  std::memset(hi, 0, static_cast<std::size_t>(p + bytes - hi));
  if (madvise(lo, static_cast<std::size_t>(hi - lo), MADV_DONTNEED) != 0) std::memset(lo, 0, static_cast<std::size_t>(hi - lo));
}

}  // namespace

void init(std::size_t capacity_bytes) {
  if (g_base != nullptr) return;
  void* p = mmap(nullptr, capacity_bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mqsim arena: mmap");
    std::abort();
  }
  g_base = static_cast<char*>(p);
  g_capacity = capacity_bytes;
}

void reset() {
  assert(g_base != nullptr);
  // Give the touched pages back so a worker's resident memory stays bounded across runs.
  if (g_touched > (std::size_t{64} << 20)) {
    madvise(g_base, g_touched, MADV_DONTNEED);
    g_touched = 0;  // the kernel hands those pages back zeroed
  }
  g_used = 0;
  g_live = 0;
  g_peak = 0;
  std::memset(g_free, 0, sizeof g_free);
}


void* allocate(std::size_t size_bytes) {
  if (g_base == nullptr) init();
  const unsigned c = class_for(size_bytes + kHeaderBytes);
  const std::size_t block_bytes = std::size_t{1} << c;
  char* block = nullptr;
  if (g_free[c] != nullptr) {
    block = reinterpret_cast<char*>(g_free[c]);
    g_free[c] = g_free[c]->next;
  } else {
    if (g_used + block_bytes > g_capacity) return nullptr;  // the broker handles ENOMEM itself
    block = g_base + g_used;
    g_used += block_bytes;
    if (g_used > g_touched) g_touched = g_used;
  }
  auto* h = reinterpret_cast<Header*>(block);
  h->size_bytes = size_bytes;
  h->size_class = c;
  h->magic = kMagic;
  g_live += size_bytes;
  if (g_live > g_peak) g_peak = g_live;
  return block + kHeaderBytes;
}

void* allocate_zeroed(std::size_t count, std::size_t size_bytes) {
  if (size_bytes != 0 && count > SIZE_MAX / size_bytes) return nullptr;
  const std::size_t touched_before = g_touched;
  void* p = allocate(count * size_bytes);
  if (p == nullptr) return p;
  // Pages never handed out since they were mapped (or given back) are zero already: skipping
  // the memset spares a forked child hundreds of page faults for Mosquitto's keepalive ring.
  char* start = static_cast<char*>(p);
  const char* fresh_from = g_base + touched_before;
  const std::size_t dirty = start >= fresh_from ? 0 : std::min<std::size_t>(count * size_bytes, static_cast<std::size_t>(fresh_from - start));
  zero(start, dirty);
  return p;
}

void release(void* ptr) {
  if (ptr == nullptr) return;
  assert(owns(ptr));
  Header* h = header_of(ptr);
  assert(g_live >= h->size_bytes);
  g_live -= h->size_bytes;
  h->magic = 0;
  auto* f = reinterpret_cast<FreeBlock*>(h);
  f->next = g_free[h->size_class];
  g_free[h->size_class] = f;
}

void* reallocate(void* ptr, std::size_t size_bytes) {
  if (ptr == nullptr) return allocate(size_bytes);
  Header* h = header_of(ptr);
  if (size_bytes + kHeaderBytes <= (std::size_t{1} << h->size_class)) {
    g_live = g_live - h->size_bytes + size_bytes;
    if (g_live > g_peak) g_peak = g_live;
    h->size_bytes = size_bytes;
    return ptr;
  }
  void* fresh = allocate(size_bytes);
  if (fresh == nullptr) return nullptr;
  std::memcpy(fresh, ptr, h->size_bytes);
  release(ptr);
  return fresh;
}

std::size_t usable_size(const void* ptr) { return ptr == nullptr ? 0 : header_of(ptr)->size_bytes; }
std::size_t live_bytes() { return g_live; }
std::size_t peak_bytes() { return g_peak; }

}  // namespace mqsim::arena
