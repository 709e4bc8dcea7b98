// Helpers for plasticity tests: rules made through the registry (so the tests also
// prove registration), a recording Observer for synapse changes, and a test-only
// rule that logs arrival times (deliveries are not reported to observers).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "plasticity/registry.hpp"
#include "sim/observer.hpp"
#include "tests/support/seed_network.hpp"

namespace delaysim::testing {

inline std::unique_ptr<plasticity::Rule> make_rule(const std::string& name, const sim::ParamValues& v = {}) {
    const plasticity::RuleInfo* r = plasticity::find_rule(name);
    DS_ASSERT(r != nullptr);
    return r->make(sim::Params(r->params, v, name));
}

inline sim::ParamValues reals(std::initializer_list<std::pair<const std::string, double>> kv) {
    sim::ParamValues v;
    v.real = kv;
    return v;
}

// An explicit_source population of one node spiking at `times` (ms).
inline std::unique_ptr<sim::Population> source_at(const std::string& name, std::vector<double> times) {
    sim::ParamValues v;
    v.lists["times_ms"] = std::move(times);
    return make_population("explicit_source", name, 1, v);
}

struct Change {
    std::uint32_t projection;
    sim::Index synapse;
    sim::SynapseVariable variable;
    double old_value, new_value;
    std::string by;
    sim::Time t;
};

struct ChangeLog : sim::Observer {
    std::vector<Change> changes;
    bool reads_state(std::uint32_t, sim::Index) const override { return false; }
    void on_synapse_change(std::uint32_t q, sim::Index s, sim::SynapseVariable v, double o, double n,
                           const std::string& by, sim::Time t) override {
        changes.push_back({q, s, v, o, n, by, t});
    }
    std::vector<Change> of(std::uint32_t q) const {
        std::vector<Change> out;
        for (const auto& c : changes)
            if (c.projection == q) out.push_back(c);
        return out;
    }
};

// Test-only rule: logs (synapse, arrival time) of every delivery on its projections.
struct ArrivalProbe : plasticity::Rule {
    struct Arrival {
        std::size_t slot;
        sim::Index synapse;
        sim::Time t;
        sim::Time delay;  // the synapse's delay when the spike arrived
    };
    std::vector<Arrival>* out;
    explicit ArrivalProbe(std::vector<Arrival>* o) : Rule("arrival_probe"), out(o) {}
    unsigned hooks() const override { return plasticity::kDelivered; }
    void on_delivered(plasticity::SynapseHandle& s, sim::Time t) override {
        out->push_back({s.slot(), s.index(), t, s.delay()});
    }
};

}  // namespace delaysim::testing
