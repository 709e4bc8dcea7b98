// pattern_source — every node emits the same pattern of spike times, repeated:
//   spike times = start + k*period + pattern[j],  k = 0..repeats-1  (ms).
// The seed's SG1/SG2: pattern [1,2,3,4,6,8,9] ms, period 13 ms, 80 repeats.
// Pattern times must lie in [0, period) so repeats never interleave.
#pragma once
#include <vector>

#include "models/registry.hpp"
#include "models/spike_source.hpp"

namespace delaysim::models {

class PatternSource : public SpikeSource {
public:
    PatternSource(const std::string& name, sim::Index size, const sim::Params& p);
    static ModelInfo info();
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    sim::Time time_of(std::uint64_t k) const;
    std::vector<double> pattern_;
    double period_, start_;
    std::uint64_t total_;
    std::vector<std::uint64_t> cursor_;
};

}  // namespace delaysim::models
