// explicit_source — spikes at listed times (ms). With `node_ids` (same length as
// `times_ms`) node node_ids[k] spikes at times_ms[k]; without it every node spikes
// at every listed time. Duplicate times give several spikes at the same instant.
#pragma once
#include <vector>

#include "models/registry.hpp"
#include "models/spike_source.hpp"

namespace delaysim::models {

class ExplicitSource : public SpikeSource {
public:
    ExplicitSource(const std::string& name, sim::Index size, const sim::Params& p);
    static ModelInfo info();
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    std::vector<std::vector<double>> times_;  // per node, ascending
    std::vector<std::size_t> cursor_;
};

}  // namespace delaysim::models
