// triplet_stdp — the triplet rule of Pfister & Gerstner (2006), all-to-all
// interactions, in the form of NEST's stdp_triplet_synapse (weights relative to
// w_max). A plug-in: built out of tree against an installed delaysim
// (README.md here), not one of delaysim's built-in rules.
//
// Traces (dimensionless, per synapse; "pre" is the spike's arrival at the target,
// as for the built-in stdp_weight, so delay and weight plasticity compose):
//   dr1/dt = -r1 / tau_plus      dr2/dt = -r2 / tau_x      (pre:  r1 += 1, r2 += 1)
//   do1/dt = -o1 / tau_minus     do2/dt = -o2 / tau_y      (post: o1 += 1, o2 += 1)
// Updates, with u = w / w_max in [0, 1] (traces read just before their own jump):
//   pre arrival at t:   u <- max(0, u - o1(t) * (A2_minus + A3_minus * r2(t-)))
//   post spike at t:    u <- min(1, u + r1(t) * (A2_plus  + A3_plus  * o2(t-)))
// The triplet terms make potentiation grow with the post rate: pairing at a
// higher frequency potentiates more, which pair-based STDP cannot reproduce
// (Sjöström, Turrigiano & Nelson 2001).
//
// Parameters: tau_plus_ms 16.8, tau_minus_ms 33.7 (ms; the pair windows of Bi &
// Poo 1998 as fitted in Pfister & Gerstner 2006), tau_x_ms 101, tau_y_ms 125 (ms),
// a2_plus 5e-3, a3_plus 6.2e-3, a2_minus 7e-3, a3_minus 2.3e-4 (dimensionless;
// of the order of the visual-cortex fits in Pfister & Gerstner 2006, Table 4 -
// take a preparation's values from there), w_max (weight unit, > 0). Weights
// stay in [0, w_max]; initial weights outside it are a warning of delaysim's loader.
// Hooks: kDelivered (pre), kPostSpike. It never changes delays.
// References: J.-P. Pfister, W. Gerstner, J. Neurosci. 26:9673 (2006); NEST
// stdp_triplet_synapse; P. J. Sjöström et al., Neuron 32:1149 (2001).
#pragma once
#include <vector>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace triplet {

using delaysim::plasticity::SynapseHandle;
using delaysim::sim::Index;
using delaysim::sim::Time;

class TripletStdp : public delaysim::plasticity::Rule {
public:
    explicit TripletStdp(const delaysim::sim::Params& p);
    static delaysim::plasticity::RuleInfo info();
    unsigned hooks() const override {
        return delaysim::plasticity::kDelivered | delaysim::plasticity::kPostSpike;
    }
    bool writes_delays() const override { return false; }
    std::optional<std::pair<double, double>> weight_range() const override { return std::pair{0.0, w_max_}; }
    void attach(std::size_t slot, const delaysim::sim::Projection& p) override;
    void on_delivered(SynapseHandle& s, Time t) override;
    void on_post_spike(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp).
    bool checkpointable() const override { return true; }
    void save_state(delaysim::sim::Writer& w) const override;
    void restore_state(delaysim::sim::Reader& r) override;

private:
    struct Synapse {
        double r1 = 0, r2 = 0, o1 = 0, o2 = 0;
        Time t_pre = 0, t_post = 0;  // when r1, r2 (o1, o2) were last brought up to date
    };
    double tau_plus_, tau_minus_, tau_x_, tau_y_, a2p_, a3p_, a2m_, a3m_, w_max_;
    std::vector<std::vector<Synapse>> state_;  // per slot, per synapse
};

}  // namespace triplet
