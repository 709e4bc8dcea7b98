// poisson_source — independent Poisson spike trains, rate `rate_hz` (1/s) within
// [start_ms, stop_ms). Inter-spike intervals are exponential with mean
// 1000/rate_hz ms, drawn from a per-node stream derived from the population seed
// (simulation.seed unless `seed` is given), so results do not depend on event order.
// rate_hz may be given per node (a list or a distribution in the config).
#pragma once
#include <vector>

#include "models/registry.hpp"
#include "models/spike_source.hpp"
#include "sim/random.hpp"

namespace delaysim::models {

class PoissonSource : public SpikeSource {
public:
    PoissonSource(const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t seed);
    static ModelInfo info();
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    sim::Time draw(sim::Index i, sim::Time after);
    std::vector<double> rate_per_ms_;  // per node
    double start_, stop_;
    std::vector<sim::Rng> rng_;
    std::vector<sim::Time> next_;
};

}  // namespace delaysim::models
