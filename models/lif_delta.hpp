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
// The model is these equations and nothing else: LifDelta::spec states them as a
// LinearModelSpec (n = 1: A = -1/tau_m, b = E_L/tau_m + I_e/C_m, both jumps +1 on V,
// threshold V - V_th, reset V = V_reset, V clamped while refractory) and the generic
// exact core (models/small_linear.hpp, SmallLinear<1>) integrates it, finds s* (one
// decaying rate: the logarithm above), and proves the slice fast paths: the free V
// moves monotonically towards V_inf, so V <= max(V0, V_inf) + the positive jumps
// (batching, t_ref > 0), and the jumps superpose (slice superposition).
// IntFire1 is the special case E_L = V_reset = 0, V_th = 1, I_e = 0 (m in units of threshold).
//
// Parameters: tau_m_ms, C_m_pF (only scales I_e), E_L_mV, V_th_mV, V_reset_mV (< V_th),
// t_ref_ms, I_e_pA; names and defaults as lif_exp's. models/README.md walks through
// this file as the example of how to add a neuron model.
#pragma once
#include "models/linear_population.hpp"
#include "models/registry.hpp"
#include "sim/param.hpp"

namespace delaysim::models {

struct LifDelta {
    enum Port : std::size_t { kPortEx, kPortIn };
    enum Var : std::size_t { kV };
    static ModelInfo info();
    // The equations above for parameters p (throws sim::UserError for V_reset >= V_th).
    static LinearModelSpec spec(const sim::Params& p);
};

}  // namespace delaysim::models
