// rapidcheck generators of schedules: swarm configuration (broker settings and an operation mix
// per seed, printed with it), clients, and operations drawn from a small topic alphabet so that
// filters and topics collide. Shrinking comes from rapidcheck: removing ops and simplifying each.
#pragma once

#include <rapidcheck.h>

#include <cstdint>

#include "schedule/schedule.h"

namespace mqsim::props {

// Schedules of 1-6 clients and up to ~max_ops steps.
rc::Gen<Schedule> gen_schedule(std::uint32_t max_ops = 100);

// The schedule a campaign seed stands for: the same (seed, size) gives the same shrinkable
// schedule on the same build, which is what exact replay by seed relies on.
rc::Shrinkable<Schedule> schedule_for_seed(std::uint64_t seed, int size = 100, std::uint32_t max_ops = 100);

// Makes a schedule valid for its clients' protocol versions (v3.1.1 clients get no v5-only
// options) and numbers non-empty payloads p1, p2... in op order so every message is unique.
Schedule normalise(Schedule s);

}  // namespace mqsim::props
