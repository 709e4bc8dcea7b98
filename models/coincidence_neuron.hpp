// coincidence — the seed's coincidence-detecting neuron (DESIGN.md, seed notebook
// "biologically plausible concept"). Dimensionless state, time in ms:
//
//   dv/dt   = (-v + gain * s1 * s2) / tau
//   ds1/dt  = -s1 / tau_s1            port a:       s1 += w
//   ds2/dt  = -s2 / tau_s2            port b:       s2 += w
//   dvth/dt = -vth / tau_th           port inhibit: v = 0, vth = th0 (w ignored)
//   spike when v >= vth;  on own spike: v = 0, vth = th0.   Initial: v = s1 = s2 = 0, vth = th0.
//
// Between events p = s1*s2 decays with rate lp = 1/tau_s1 + 1/tau_s2, so
//   v(t0+x) = (v0 - K) e^{-x/tau} + K e^{-lp x},  K = gain/tau * p0 / (1/tau - lp),
// and v - vth is a sum of three exponentials whose first zero is found exactly
// (models/exp_sum.hpp). Crossings long after the last input (vth decays faster than
// v) are found as well as fast ones. Requires 1/tau != lp.
//
// Seed values: tau = 1000 ms, tau_s1 = tau_s2 = 0.5 ms, tau_th = 50 ms, gain = 2000, th0 = 8.
// Reference: the seed notebook (shared/seed), Brian2 model `DelayLearning`.
#pragma once
#include <vector>

#include "models/neuron_model.hpp"
#include "models/registry.hpp"
#include "sim/population.hpp"

namespace delaysim::models {

class CoincidenceNeuron : public NeuronModel {
public:
    enum Port : std::size_t { kPortA, kPortB, kPortInhibit };
    enum Var : std::size_t { kV, kVth, kS1, kS2, kP };

    CoincidenceNeuron(const std::string& name, sim::Index size, const sim::Params& p);
    static ModelInfo info();

    void advance(sim::Index i, sim::Time t) override;
    void receive(sim::Index i, std::size_t port, double w, sim::Time t) override;
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;
    double value(sim::Index i, std::size_t var, sim::Time t) const override;
    void set_value(sim::Index i, std::size_t var, double x) override;

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct State {
        double v = 0, s1 = 0, s2 = 0, vth = 0;
        sim::Time t = 0;
    };
    State evolved(const State& s, sim::Time t) const;

    double tau_, tau_s1_, tau_s2_, tau_th_, gain_, th0_, lp_;
    std::vector<State> state_;
};

}  // namespace delaysim::models
