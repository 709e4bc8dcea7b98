// lif_delta — leaky integrate-and-fire neuron with instantaneous voltage jumps
// (delta synapses), integrated exactly with precise spike times: NEURON's IntFire1
// and NEST's iaf_psc_delta (Gewaltig & Diesmann 2007; Carnevale & Hines 2006,
// ch. 10). Units: mV, pA, pF, ms.
//
//   dV/dt = -(V - E_L)/tau_m + I_e/C_m
//   port ex: V += w      port in: V += w      (w in mV; negative inhibits)
//   spike when V >= V_th (at once if an input jumps V to or past it); then
//   V = V_reset for t_ref ms, during which inputs are ignored (absolute
//   refractoriness, as IntFire1 and NEST's default refractory_input = false; NEST
//   can also hold them and add them at the end of the period, this model does not).
//   Initial: V = E_L.
//
// With V_inf = E_L + I_e tau_m/C_m, between events
//   V(t0+s) = V_inf + (V0 - V_inf) e^{-s/tau_m},
// so V only approaches V_inf: it crosses V_th from below only if V_inf > V_th, at
//   s* = tau_m ln((V_inf - V0)/(V_inf - V_th))        (closed form, no search).
// With constant current the interspike interval is t_ref + tau_m ln((V_inf - V_reset)/(V_inf - V_th)).
// may_spike_before and absorb (slice batching): the free V moves monotonically towards
// V_inf and a refractory V sits at V_reset, so over any interval V <= max(V0, V_inf) +
// the sum of the positive jumps; below V_th that is a proof of no spike, and absorb
// then applies a node's inputs of a slice without any search.
// IntFire1 is the special case E_L = V_reset = 0, V_th = 1, I_e = 0 (m in units of threshold).
//
// Parameters: tau_m_ms, C_m_pF (only scales I_e), E_L_mV, V_th_mV, V_reset_mV (< V_th),
// t_ref_ms, I_e_pA; names and defaults as lif_exp's. models/README.md walks through
// this file as the example of how to add a neuron model.
#pragma once
#include <vector>

#include "models/neuron_model.hpp"
#include "models/registry.hpp"
#include "sim/population.hpp"

namespace delaysim::models {

class LifDelta : public NeuronModel, public sim::Batching {
public:
    enum Port : std::size_t { kPortEx, kPortIn };
    enum Var : std::size_t { kV };

    LifDelta(const std::string& name, sim::Index size, const sim::Params& p);
    static ModelInfo info();

    void advance(sim::Index i, sim::Time t) override;
    void receive(sim::Index i, std::size_t port, double w, sim::Time t) override;
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;
    double value(sim::Index i, std::size_t var, sim::Time t) const override;
    void set_value(sim::Index i, std::size_t var, double x) override;

    // Capability: slice batching, which needs only the no-spike proof below (the
    // exact search is one logarithm, so there is no SpikeBounds). Declared only for
    // t_ref > 0: with t_ref = 0 a spike between two inputs of one instant would keep
    // the second (the event loop applies both, then resets), so such populations
    // stay in the event loop.
    bool may_spike_before(sim::Index i, sim::Time t1, const double* w_plus) const override;
    std::optional<sim::Time> absorb(sim::Index i, const sim::SliceInput* in, std::size_t n,
                                    sim::Time horizon) override;

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct State {
        double v = 0;
        sim::Time t = 0;             // time of v
        sim::Time ref_end = -1e300;  // end of the refractory period
    };
    State evolved(const State& s, sim::Time t) const;

    double tau_m_, e_l_, v_th_, v_reset_, t_ref_, v_inf_;
    std::vector<State> state_;
};

}  // namespace delaysim::models
