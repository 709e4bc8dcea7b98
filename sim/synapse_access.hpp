// What plasticity/ sees of the engine: the synapse store (read) and one small
// interface for writes. plasticity/rule.hpp includes sim/ through this header
// only, and nothing of plasticity/ is defined in sim/: the engine knows rules
// (sim/simulation.hpp includes plasticity/rule.hpp), rules never know the engine.
#pragma once
#include <cstdint>
#include <string>

#include "sim/projection.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

// Synapse writes, implemented by Simulation: the projection's bounds, the
// in-flight semantics and the report to the observers all happen behind it.
// `by` names the writer (the rule) in /plasticity events.
class SynapseWriter {
public:
    virtual void set_delay(std::uint32_t projection, Index synapse, Time d, const std::string& by) = 0;
    virtual void set_weight(std::uint32_t projection, Index synapse, double w, const std::string& by) = 0;

protected:
    ~SynapseWriter() = default;
};

// One projection of a rule, as its synapse handles see it: made once when the
// rule is attached, so that a handle (made per hook call) is three words.
struct SynapseSite {
    SynapseWriter* writer;
    Projection* projection;
    std::uint32_t index;    // of the projection
    std::size_t slot;       // which of the rule's projections
    const std::string* by;  // the rule's name, for /plasticity events
};

}  // namespace delaysim::sim
