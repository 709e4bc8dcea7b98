// The seed's two-neuron mutual-inhibition network built directly in C++ (the
// engine issue's reference network; configs/two_neuron_fixed_delays.toml is the
// same network as a model file):
//   SG1 -> N1, N2 on port a, 1 ms;  SG2 -> N1 (d1) and SG2 -> N2 (d2) on port b;
//   N1 <-> N2 on port inhibit, 0 ms. Sources: pattern [1,2,3,4,6,8,9] ms, period 13 ms, 80 repeats.
#pragma once
#include <memory>

#include "models/registry.hpp"
#include "sim/network.hpp"

namespace delaysim::testing {

inline std::unique_ptr<sim::Population> make_population(const std::string& model, const std::string& name,
                                                        sim::Index size, const sim::ParamValues& v = {},
                                                        std::uint64_t seed = 1) {
    const models::ModelInfo* m = models::find_model(model);
    DS_ASSERT(m != nullptr);
    return m->make(name, size, sim::Params(m->params, v, name), seed);
}

inline sim::SynapseList one_synapse(double w, double d) {
    return {{0}, {0}, {w}, {d}};
}

struct SeedNetworkOptions {
    double d1 = 2.0, d2 = 4.0;  // ms, SG2 -> N1 and SG2 -> N2
    sim::DelayBounds plastic_bounds{0.0, sim::kNever, sim::BoundPolicy::Clamp};
    sim::InflightPolicy inflight = sim::InflightPolicy::Keep;
};

// Populations: 0 SG1, 1 SG2, 2 N1, 3 N2. Projections: 0 sg1_n1, 1 sg1_n2, 2 sg2_n1,
// 3 sg2_n2, 4 n1_inhibits_n2, 5 n2_inhibits_n1.
inline sim::Network seed_network(const SeedNetworkOptions& o = {}) {
    sim::ParamValues pattern;
    pattern.lists["pattern_ms"] = {1, 2, 3, 4, 6, 8, 9};
    pattern.real["period_ms"] = 13.0;
    pattern.real["repeats"] = 80;
    sim::Network net;
    net.populations.push_back(make_population("pattern_source", "SG1", 1, pattern));
    net.populations.push_back(make_population("pattern_source", "SG2", 1, pattern));
    net.populations.push_back(make_population("coincidence", "N1", 1));
    net.populations.push_back(make_population("coincidence", "N2", 1));
    const sim::DelayBounds fixed{};
    using sim::InflightPolicy;
    net.projections.emplace_back("sg1_n1", 0, 2, 0, one_synapse(1, 1), fixed, InflightPolicy::Keep, 1, 1);
    net.projections.emplace_back("sg1_n2", 0, 3, 0, one_synapse(1, 1), fixed, InflightPolicy::Keep, 1, 1);
    net.projections.emplace_back("sg2_n1", 1, 2, 1, one_synapse(1, o.d1), o.plastic_bounds, o.inflight, 1, 1);
    net.projections.emplace_back("sg2_n2", 1, 3, 1, one_synapse(1, o.d2), o.plastic_bounds, o.inflight, 1, 1);
    net.projections.emplace_back("n1_inhibits_n2", 2, 3, 2, one_synapse(1, 0), fixed, InflightPolicy::Keep, 1,
                                 1);
    net.projections.emplace_back("n2_inhibits_n1", 3, 2, 2, one_synapse(1, 0), fixed, InflightPolicy::Keep, 1,
                                 1);
    return net;
}

// Collects spikes per population.
struct SpikeLog : sim::Observer {
    std::vector<std::vector<double>> times;
    explicit SpikeLog(std::size_t n_pop) : times(n_pop) {}
    void on_spike(std::uint32_t pop, sim::Index, sim::Time t) override { times[pop].push_back(t); }
};

}  // namespace delaysim::testing
