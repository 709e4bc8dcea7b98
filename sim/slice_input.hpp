// One synaptic spike on its way to a node of a batched population (sim/slices.hpp),
// 32 bytes; also what Population::absorb() reads. And the two records of slice
// superposition: what a model declares about its inputs (SliceKernel) and what
// the engine sums for one node over one slice (SliceSum).
#pragma once
#include <cstdint>

#include "sim/types.hpp"

namespace delaysim::sim {

struct SliceInput {
    Time t;              // arrival, ms
    double w;            // weight (at emission; the live weight once grouped)
    std::uint32_t node;  // global node index of the target
    std::uint32_t q;     // projection
    std::uint32_t s;     // synapse within the projection (uint32: checked at setup)
    std::uint32_t port;  // target port
};

// A model whose state between spikes is V_inf + a e^{-r_m t} + sum_p k_p e^{-r_p t},
// with an input of weight w on port p adding w to a current I_p = k_p/kf_p, so
// that the input's effect u ms later is
//   I_p += w e^{-r_p u},   V += w kf_p (e^{-r_p u} - e^{-r_m u}).
// Inputs then superpose: the engine sums these effects at the slice end.
struct SliceKernel {
    static constexpr std::size_t kPorts = 2;
    double r_m = 0.0;        // 1/ms
    double r[kPorts] = {};   // 1/ms, per port
    double kf[kPorts] = {};  // mV per pA, per port
};

// The inputs of one node in one slice [t0, t1), summed at t1. One cache line:
// the engine adds every input to it in arrival order, so the last three fields
// (its own bookkeeping) live here too rather than in a second line per input.
struct alignas(64) SliceSum {
    double v = 0.0;                           // mV: the inputs' part of V(t1)
    double syn[SliceKernel::kPorts] = {};     // pA: their part of I_p(t1)
    double w_plus[SliceKernel::kPorts] = {};  // pA: sum of the positive weights, per port
    Time t_first = 0.0;                       // earliest arrival
    std::int64_t slice = 0;                   // engine: the slice these sums are for
    std::uint32_t count = 0;                  // inputs
    std::uint16_t pop = 0;                    // engine: the node's population
    std::uint8_t flags = 0;                   // engine: BatchState::kSlow, kHooked
};
static_assert(sizeof(SliceSum) == 64);

}  // namespace delaysim::sim
