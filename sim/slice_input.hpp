// One synaptic spike on its way to a node of a batched population (sim/batch.hpp),
// 32 bytes; also what Population::absorb() reads.
#pragma once
#include <cstdint>

#include "sim/types.hpp"

namespace delaysim::sim {

struct SliceInput {
    Time t;               // arrival, ms
    double w;             // weight (at emission; the live weight once grouped)
    std::uint32_t node;   // global node index of the target
    std::uint32_t q;      // projection
    std::uint32_t s;      // synapse within the projection (uint32: checked at setup)
    std::uint32_t port;   // target port
};

}  // namespace delaysim::sim
