// The smallest plastic network: one explicit source node -> one lif_exp neuron
// through one synapse (projection 0, weight 1 pA: far too weak to fire it), so
// delay rules can be watched in isolation.
#pragma once
#include <vector>

#include "tests/support/plasticity_support.hpp"

namespace delaysim::testing {

inline sim::Network one_synapse_network(std::vector<double> spike_times, double delay,
                                        sim::DelayBounds bounds,
                                        sim::InflightPolicy inflight = sim::InflightPolicy::Keep) {
    sim::Network net;
    net.populations.push_back(source_at("S", std::move(spike_times)));
    net.populations.push_back(make_population("lif_exp", "N", 1));
    net.projections.emplace_back("s_n", 0, 1, 0, one_synapse(1.0, delay), bounds, inflight, 1, 1);
    return net;
}

}  // namespace delaysim::testing
