// Basic vocabulary of the engine. Time is continuous, in milliseconds, and a
// double everywhere: delays are never rounded to a step.
#pragma once
#include <cstdint>
#include <limits>

namespace delaysim::sim {

using Time = double;          // ms
using Index = std::uint64_t;  // node index within a population, synapse index within a projection

inline constexpr Time kNever = std::numeric_limits<Time>::infinity();

}  // namespace delaysim::sim
