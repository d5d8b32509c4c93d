// Decoding arbitrary bytes into a Schedule, for coverage-guided fuzzing (fuzz/fuzz_target.cpp,
// libFuzzer; any byte-mutating fuzzer would do). The fuzzer mutates bytes; this decoder makes
// every byte string a valid schedule, so no mutation is wasted on a parse error, and it lays the
// bytes out in fixed-size records, so one mutated byte changes one broker knob, one client or
// one step rather than everything after it.
//
// It must never fail, throw, allocate without bound, or depend on anything but the bytes (no
// clock, no randomness, no environment): the same bytes are the same schedule on every build
// that keeps this layout, which is what replaying a fuzzer's crash file relies on. Changing the
// layout below invalidates saved corpora and crash files: do it knowingly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "schedule/schedule.h"

namespace mqsim::props {

// The byte layout. Missing bytes read as zero, and zero always means the most ordinary choice
// (v5 client, keepalive 60 s, no will, default broker limits...), so a short input is a plain
// schedule and the fuzzer adds the unusual.
//
//   [0]      broker knobs: inflight(2 bits) queued(2) queue_qos0(1) sys_interval(2) persistence(1)
//   [1]      more knobs: max_keepalive(2 bits); the other 6 bits are reserved (a knob added
//            later does not move the steps)
//   [2]      the simulator's seed (network randomness): seed = 1 + byte
//   [3]      number of clients: 1 + byte % kMaxClients
//   [4..21]  kMaxClients client records of kClientBytes (those beyond the count are ignored,
//            so changing the count never shifts the steps)
//   [22..]   steps of kOpBytes each, at most kMaxOps; a trailing partial step is zero-padded
//
// A step record: byte 0 = kind (low 4 bits, through a 16-entry table) and client (high 4 bits,
// modulo the client count); bytes 1..3 = 24 bits of the kind's arguments (see the .cpp).
inline constexpr std::size_t kMaxClients = 6;
inline constexpr std::size_t kClientBytes = 3;
inline constexpr std::size_t kHeaderBytes = 4 + kMaxClients * kClientBytes;
inline constexpr std::size_t kOpBytes = 4;
// Bounds one run's length (and so the fuzzer's exec/s); longer inputs are cut, not rejected.
inline constexpr std::size_t kMaxOps = 256;

// Total and deterministic: every byte string gives a valid schedule (normalised, see
// generators.h); the empty string gives a schedule with no clients and no steps.
Schedule schedule_from_bytes(std::span<const std::uint8_t> bytes);

}  // namespace mqsim::props
