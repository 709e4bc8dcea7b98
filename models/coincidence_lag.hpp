// coincidence_lag — the seed's coincidence neuron with port b read through a lag
// chain (Wilson's multistage lag variable, models/lag_chain.hpp): a distributed,
// runtime-plastic delay. Dimensionless state, time in ms:
//
//   dv/dt   = (-v + gain * s1 * x_N) / tau
//   ds1/dt  = -s1 / tau_s1                           port a:       s1 += w
//   du/dt   = -u / tau_s2                            port b:       u  += w   (raw trace)
//   dx_1/dt = (u - x_1) / tau_c,  dx_k/dt = (x_{k-1} - x_k) / tau_c,  tau_c = D / N
//   dvth/dt = -vth / tau_th                          port inhibit: v = 0, vth = th0
//   spike when v >= vth;  on own spike: v = 0, vth = th0.  Initial: all 0, vth = th0.
// With N stages of mean delay D the b input reaches v through an Erlang kernel of
// mean D and spread D/sqrt(N) instead of being delayed on the axon.
//
// Exact integration: with q_k = s1 * x_k (q_0 = s1 * u) carried implicitly, the state
// (q_0..q_N, v, vth) obeys a linear lower-triangular system
//   dq_0/dt = -(r_u + b) q_0,  dq_k/dt = a q_{k-1} - (a + b) q_k,  dv/dt = G q_N - c v
// (a = 1/tau_c, b = 1/tau_s1, r_u = 1/tau_s2, c = 1/tau, G = gain/tau), whose
// propagator is built in closed form from confluent divided differences of exp
// (lag_chain.hpp); s1, u, x_k and vth propagate exactly on their own. v - vth is an
// exponential polynomial; its first crossing is found by the state-space Rolle
// recursion of models/linear_crossing.hpp (every crossing bracketed; see there why
// not coefficients). Requires 1/tau != 1/tau_s1 + 1/tau_s2 (relative gap >= 1e-3).
//
// Lag port and plasticity: port b is a lag port (Population::has_lag). A projection
// onto it arrives without axonal delay; its synapse "delay" IS the chain's mean delay
// D (the engine sets D from it at start and forwards every plastic change, with the
// projection's bounds applied; sim/simulation.cpp). On a change of D the stage
// occupancies tau_c x_k — the chain's charge — are kept (lag_chain.hpp). The
// parameter lag_ms is D for nodes that no lag projection reaches.
//
// Parameters: tau_ms 1000, tau_s1_ms 0.5, tau_s2_ms 0.5, tau_th_ms 50, gain 2000,
// th0 8 (the seed's), lag_stages N in 1..64 (8), lag_ms D in (0, 1000] (2).
// Variables: v, vth, s1, u, lag_out (x_N), p (s1 x_N), lag_ms (D), lag_charge
// (tau_c sum_k x_k).
// References: the seed notebook (Brian2 model `DelayLearning`); H. R. Wilson,
// Spikes, Decisions and Actions (OUP 1999), multistage lag variables; the linear
// chain trick (MacDonald 1978).
#pragma once
#include <vector>

#include "models/neuron_model.hpp"
#include "models/registry.hpp"
#include "sim/population.hpp"

namespace delaysim::models {

class CoincidenceLag : public NeuronModel, public sim::SpikeBounds, public sim::LagPorts {
public:
    enum Port : std::size_t { kPortA, kPortB, kPortInhibit };
    enum Var : std::size_t { kV, kVth, kS1, kU, kLagOut, kP, kLagMs, kLagCharge };

    CoincidenceLag(const std::string& name, sim::Index size, const sim::Params& p);
    static ModelInfo info();

    void advance(sim::Index i, sim::Time t) override;
    void receive(sim::Index i, std::size_t port, double w, sim::Time t) override;
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    // Cheap lower bound (the exact search costs ~N^3): every stage stays below
    // M = max(u, x_k) (max principle), so v <= max(v, 0) + G s1 tau_s1 M while vth
    // decays from vth0: no crossing before tau_th ln(vth0 / that bound).
    sim::Bound spike_bound(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;
    double value(sim::Index i, std::size_t var, sim::Time t) const override;
    void set_value(sim::Index i, std::size_t var, double x) override;
    // Capability: lag ports (port b).
    bool has_lag(std::size_t port) const override { return port == kPortB; }
    void set_lag(sim::Index i, std::size_t port, sim::Time d) override;
    sim::Time lag(sim::Index i, std::size_t port) const override;
    sim::Time lag_limit(std::size_t) const override { return kMaxLagMs; }
    static constexpr double kMaxLagMs = 1000.0;  // as the parameter lag_ms

    int stages() const { return n_; }

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct State {
        double v = 0, s1 = 0, vth = 0, d = 0;
        sim::Time t = 0;
        std::vector<double> y;  // u, x_1..x_N
    };
    State evolved(const State& s, sim::Time t) const;
    // v(x) - v0 e^{-cx}: the drive term, from q0 = s1 * y at the start.
    double drive(const State& s, double x) const;

    double tau_, tau_s1_, tau_s2_, tau_th_, gain_, th0_;
    int n_;
    std::vector<State> state_;
};

}  // namespace delaysim::models
