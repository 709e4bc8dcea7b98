// lif_exp — leaky integrate-and-fire neuron with exponentially decaying synaptic
// currents, integrated exactly (Rotter & Diesmann 1999, Biol. Cybern. 81:381-402) with
// precise spike times (no grid; cf. Morrison et al. 2007 and NEST's iaf_psc_exp_ps).
// Units: mV, pA, pF, ms.
//
//   dV/dt    = -(V - E_L)/tau_m + (I_ex + I_in + I_e)/C_m
//   dI_ex/dt = -I_ex/tau_syn_ex        port ex: I_ex += w   (w in pA)
//   dI_in/dt = -I_in/tau_syn_in        port in: I_in += w   (w in pA, negative inhibits)
//   spike when V >= V_th; then V = V_reset, clamped for t_ref ms (currents keep decaying
//   and accumulating input). Initial: V = E_L, I_ex = I_in = 0.
// Per node (params lists or distributions): E_L_mV, V_th_mV, V_reset_mV, t_ref_ms,
// I_e_pA. C_m_pF, tau_m_ms and tau_syn_*_ms stay one per population (one set of
// rates: slice superposition sums every node's inputs with the same kernel).
//
// With V_inf = E_L + I_e*tau_m/C_m and K_x = (I_x/C_m)/(1/tau_m - 1/tau_syn_x),
//   V(t0+s) = V_inf + (V0 - V_inf - K_ex - K_in) e^{-s/tau_m} + K_ex e^{-s/tau_syn_ex} + K_in
//   e^{-s/tau_syn_in},
// so V - V_th is a sum of exponentials (one with rate 0) whose first zero is found
// exactly (models/exp_sum.hpp). Requires tau_syn_* != tau_m.
//
// The model is these equations and nothing else: LifExp::spec states them as a
// LinearModelSpec (n = 3: x = (V, I_ex, I_in), A = [[-1/tau_m, 1/C_m, 1/C_m],
// [0, -1/tau_syn_ex, 0], [0, 0, -1/tau_syn_in]], b = (E_L/tau_m + I_e/C_m, 0, 0),
// jumps +1 on I_ex / I_in, threshold V - V_th, reset V = V_reset, V clamped while
// refractory; per-node values as the spec's per-node fields) and the generic exact core
// (models/small_linear.hpp, SmallLinear<3>) integrates it, searches the crossing,
// and proves the bounds and the slice fast paths (batching and superposition: each
// port excites its current's mode and V's).
#pragma once
#include "models/linear_population.hpp"
#include "models/registry.hpp"
#include "sim/param.hpp"

namespace delaysim::models {

struct LifExp {
    enum Port : std::size_t { kPortEx, kPortIn };
    enum Var : std::size_t { kV, kIex, kIin };
    static ModelInfo info();
    // The equations above for parameters p and a population of `size` nodes (throws
    // sim::UserError for V_reset >= V_th or tau_syn = tau_m).
    static LinearModelSpec spec(const sim::Params& p, sim::Index size);
};

}  // namespace delaysim::models
