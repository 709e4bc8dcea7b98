// Observers that several engine tests share: the spikes in the order the
// engine reports them, and every spike and synapse change as comparable tuples
// (runs that must agree to the bit compare these with ==).
#pragma once
#include <string>
#include <tuple>
#include <vector>

#include "sim/observer.hpp"

namespace delaysim::testing {

// Every spike in report order; of(p) keeps population p's.
struct Spikes : sim::Observer {
    struct S {
        std::uint32_t pop;
        sim::Index node;
        sim::Time t;
    };
    std::vector<S> all;
    void on_spike(std::uint32_t p, sim::Index n, sim::Time t) override { all.push_back({p, n, t}); }
    bool reads_state(std::uint32_t, sim::Index) const override { return false; }
    std::vector<S> of(std::uint32_t p) const {
        std::vector<S> out;
        for (const auto& s : all)
            if (s.pop == p) out.push_back(s);
        return out;
    }
};

// Every spike (t, population, node) and synapse change (t, projection, synapse,
// old, new) in report order.
struct RunLog : sim::Observer {
    std::vector<std::tuple<double, std::uint32_t, sim::Index>> spikes;
    std::vector<std::tuple<double, std::uint32_t, sim::Index, double, double>> changes;
    void on_spike(std::uint32_t p, sim::Index i, sim::Time t) override { spikes.emplace_back(t, p, i); }
    void on_synapse_change(std::uint32_t q, sim::Index s, sim::SynapseVariable, double o, double n,
                           const std::string&, sim::Time t) override {
        changes.emplace_back(t, q, s, o, n);
    }
    bool reads_state(std::uint32_t, sim::Index) const override { return false; }
};

}  // namespace delaysim::testing
