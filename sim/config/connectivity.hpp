// Connectivity rules and per-synapse values of one projection. Pure functions of
// the spec, the population sizes and a seed, so they can be tested without models.
//
// Generation order (which is also the order of per-synapse lists):
//   all_to_all, fixed_probability: source-major, (0,0), (0,1), ..., (1,0), ...
//   one_to_one: (0,0), (1,1), ...;  pairs: as written;
//   fixed_indegree: target-major, sources in draw order.
// One sim::Rng per projection draws first the connectivity, then the weights,
// then the delays, each in generation order; the same seed gives the same network.
#pragma once
#include <cstdint>

#include "sim/config/spec.hpp"
#include "sim/projection.hpp"

namespace delaysim::config {

// `same_population`: source and target are one population (autapses apply).
// Throws sim::UserError (located) for sizes, probabilities, list lengths and
// distribution parameters that do not fit.
sim::SynapseList build_synapses(const ProjectionSpec& p, sim::Index n_source, sim::Index n_target,
                                bool same_population, std::uint64_t seed);

}  // namespace delaysim::config
