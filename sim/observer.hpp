// What the run loop reports to the outside (recording, progress). Observers see
// the Simulation read-only; they never change the run.
#pragma once
#include <cstdint>
#include <string>

#include "sim/types.hpp"

namespace delaysim::sim {

enum class SynapseVariable { Delay, Weight };
inline const char* to_string(SynapseVariable v) {
    return v == SynapseVariable::Delay ? "delay" : "weight";
}

class Observer {
public:
    virtual ~Observer() = default;
    virtual void on_spike(std::uint32_t /*population*/, Index /*node*/, Time /*t*/) {}
    // A rule (or the API) changed a synapse; called once per effective change.
    virtual void on_synapse_change(std::uint32_t /*projection*/, Index /*synapse*/, SynapseVariable,
                                   double /*old_value*/, double /*new_value*/, const std::string& /*by*/,
                                   Time /*t*/) {}
    // Every sample_interval ms (t = k * interval < t_stop): the state at t before events at t.
    virtual void on_sample(Time /*t*/) {}
    // Whether on_sample reads the state of this node (asked once, before the
    // first run). Nodes nobody samples may be moved past a sample time in one
    // step (slice superposition, sim/slices.hpp). The default says yes: correct
    // for any observer, it just keeps every node at the sample times.
    virtual bool reads_state(std::uint32_t /*population*/, Index /*node*/) const { return true; }
    // Every few thousand events: lets a progress display or a flush run.
    virtual void on_progress(Time /*t*/) {}
};

}  // namespace delaysim::sim
