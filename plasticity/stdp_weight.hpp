// stdp_weight — pair-based weight STDP with exponential traces (all-to-all pairing;
// Song, Miller & Abbott 2000; trace form after Morrison, Diesmann & Gerstner 2008).
// Shows that the rule interface serves weights as well as delays.
//
//   x: presynaptic trace (per synapse),  dx/dt = -x / tau_plus;   x += 1 at each arrival
//   y: postsynaptic trace (per synapse), dy/dt = -y / tau_minus;  y += 1 at each post spike
//   on an arrival at t (before x += 1):     w <- clip(w - a_minus * f_minus(w) * y(t))
//   on a post spike at t (before y += 1):   w <- clip(w + a_plus  * f_plus(w)  * x(t))
//   additive (multiplicative = 0):   f_plus = f_minus = 1          (a_* in weight units)
//   multiplicative (= 1):            f_plus = w_max - w, f_minus = w - w_min   (a_* dimensionless;
//                                    van Rossum, Bi & Turrigiano 2000 / Rubin et al. 2001)
//   clip: into [w_min, w_max].
//
// "Pre" is the spike's arrival at the target (after the synaptic delay): timing is
// judged where the synapse is, so delay plasticity and weight plasticity compose.
// Parameters: tau_plus_ms, tau_minus_ms (ms), a_plus, a_minus, w_min, w_max (unit of
// the projection's weight), multiplicative (0/1). Hooks: kDelivered, kPostSpike.
// State per synapse: x, y and the times they were last updated (allocated in attach()).
#pragma once
#include <vector>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"
#include "sim/huge_alloc.hpp"

namespace delaysim::plasticity {

class StdpWeight : public Rule {
public:
    explicit StdpWeight(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kDelivered | kPostSpike; }
    bool writes_delays() const override { return false; }
    std::optional<std::pair<double, double>> weight_range() const override {
        return std::pair{w_min_, w_max_};
    }
    void prefetch(std::size_t slot, Index s) const override { __builtin_prefetch(&state_[slot][s]); }
    void attach(std::size_t slot, const sim::Projection& p) override;
    void on_delivered(SynapseHandle& s, Time t) override;
    void on_post_spike(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct Trace {
        double value = 0.0;
        Time t = 0.0;
        double at(Time now, double tau) const;
    };
    struct Synapse {
        Trace x, y;
    };
    double clip(double w) const;
    double tau_plus_, tau_minus_, a_plus_, a_minus_, w_min_, w_max_;
    bool multiplicative_;
    std::vector<sim::HugeVector<Synapse>> state_;  // per slot, per synapse
};

}  // namespace delaysim::plasticity
