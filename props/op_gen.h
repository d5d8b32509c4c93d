// One schedule step (Op) as a rapidcheck generator, drawn cheaply and shrunk field by field.
//
// Why not gen::build with one gen::set per field: that made a Shrinkable, a Random split and a
// heap-allocated closure per field, about 3 us per op, a fifth of a whole schedule's CPU time.
// Here one op costs one 64-bit draw from rapidcheck's Random (so the op still depends only on the
// seed, the size and its position), the fields come from the project's Prng seeded by it, and
// shrinking is lazy: shrink_op lists simpler variants of one field at a time, in the directions
// rapidcheck's own element/inRange/bool shrinks took (towards the first listed value, QoS 0,
// false, no option, client 0).
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace mqsim::props {

// The topic and filter alphabets: few enough that topics and filters collide often.
extern const std::vector<std::string> kTopics;
extern const std::vector<std::string> kFilters;

constexpr int kOpKinds = static_cast<int>(OpKind::Retry) + 1;

// A step of one of the kinds with a non-zero weight (weights: one per OpKind, in enum order)
// for one of `clients` clients. All weights zero: a publish.
rc::Gen<Op> gen_op(const std::vector<int>& weights, std::uint32_t clients);

// The opening connect of client `client`.
rc::Gen<Op> gen_connect(std::uint32_t client);

// Simpler variants of `op`, one field changed each, simplest first; none for a fully simple op.
std::vector<Op> shrink_op(const Op& op);

}  // namespace mqsim::props
