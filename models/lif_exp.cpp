#include "models/lif_exp.hpp"

#include <cmath>
#include <string>

namespace delaysim::models {

using sim::ParamKind;

ModelInfo LifExp::info() {
    ModelInfo m;
    m.name = "lif_exp";
    m.doc = "leaky integrate-and-fire, exponential current synapses, exact integration, precise spike times";
    const double inf = 1e300;
    m.params = {
        {"C_m_pF", "pF", ParamKind::Real, 250.0, 0.0, inf, true, false, "membrane capacitance"},
        {"tau_m_ms", "ms", ParamKind::Real, 10.0, 0.0, inf, true, false, "membrane time constant"},
        {"E_L_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "resting potential", true},
        {"V_th_mV", "mV", ParamKind::Real, -50.0, -inf, inf, false, false, "spike threshold", true},
        {"V_reset_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "reset potential (< V_th)",
         true},
        {"t_ref_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, false, false, "refractory period", true},
        {"I_e_pA", "pA", ParamKind::Real, 0.0, -inf, inf, false, false, "constant external current", true},
        {"tau_syn_ex_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, true, false, "decay of I_ex (port ex)"},
        {"tau_syn_in_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, true, false, "decay of I_in (port in)"},
    };
    m.ports = {{"ex", sim::PortKind::Input, "I_ex += w (pA)"},
               {"in", sim::PortKind::Input, "I_in += w (pA)"}};
    m.variables = {{"V_m", "mV", "membrane potential"},
                   {"I_ex", "pA", "excitatory synaptic current"},
                   {"I_in", "pA", "inhibitory synaptic current"}};
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return make_linear_population(name, size, spec(p, size));
    };
    return m;
}

namespace {
const ModelInfo& lif_exp_info() {
    static const ModelInfo info = LifExp::info();
    return info;
}
}  // namespace

LinearModelSpec LifExp::spec(const sim::Params& p, sim::Index size) {
    const double c_m = p.get("C_m_pF"), tau_m = p.get("tau_m_ms");
    const double tau_ex = p.get("tau_syn_ex_ms"), tau_in = p.get("tau_syn_in_ms");
    const std::vector<double> e_l = p.per_node("E_L_mV", size), v_th = p.per_node("V_th_mV", size),
                              v_reset = p.per_node("V_reset_mV", size), t_ref = p.per_node("t_ref_ms", size),
                              i_e = p.per_node("I_e_pA", size);
    // A reset at or above threshold would fire again at the end of every refractory period.
    const bool varies = p.varies("V_reset_mV") || p.varies("V_th_mV");
    for (sim::Index i = 0; i < size; ++i)
        if (!(v_reset[i] < v_th[i]))
            throw sim::UserError(p.owner() + ": parameter 'V_reset_mV' must be below 'V_th_mV'" +
                                     (varies ? " (node " + std::to_string(i) + ")" : std::string()),
                                 p.where(p.varies("V_th_mV") ? "V_th_mV" : "V_reset_mV"));
    for (const char* key : {"tau_syn_ex_ms", "tau_syn_in_ms"})
        if (std::abs(p.get(key) - tau_m) <= 1e-9 * tau_m)
            throw sim::UserError(
                p.owner() + ": parameter '" + key +
                    "' must differ from 'tau_m_ms' (the exact propagator needs distinct rates)",
                p.where(key));
    const ModelInfo& m = lif_exp_info();
    LinearModelSpec s;
    s.name = m.name;
    s.doc = m.doc;
    s.variables = m.variables;
    s.ports = m.ports;
    s.a = Eigen::Matrix3d{
        {-1.0 / tau_m, 1.0 / c_m, 1.0 / c_m}, {0.0, -1.0 / tau_ex, 0.0}, {0.0, 0.0, -1.0 / tau_in}};
    const auto drive = [&](sim::Index i) { return Eigen::Vector3d{e_l[i] / tau_m + i_e[i] / c_m, 0.0, 0.0}; };
    const sim::Index first = 0;  // the uniform values (node 0's when they vary)
    s.b = size > 0 ? drive(first) : Eigen::Vector3d::Zero();
    s.jumps = {Eigen::Vector3d{0.0, 1.0, 0.0}, Eigen::Vector3d{0.0, 0.0, 1.0}};
    s.theta = Eigen::RowVector3d{1.0, 0.0, 0.0};
    s.theta_c = size > 0 ? -v_th[first] : 0.0;
    s.reset_m = Eigen::Matrix3d{{0.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}};
    s.reset_c = Eigen::Vector3d{size > 0 ? v_reset[first] : 0.0, 0.0, 0.0};
    s.t_ref_ms = size > 0 ? t_ref[first] : 0.0;
    s.clamped = {true, false, false};
    s.initial = Eigen::Vector3d{size > 0 ? e_l[first] : 0.0, 0.0, 0.0};
    // Per node only what varies (the uniform case keeps the core's uniform paths).
    for (sim::Index i = 0; i < size; ++i) {
        if (p.varies("E_L_mV") || p.varies("I_e_pA")) s.b_node.push_back(drive(i));
        if (p.varies("E_L_mV")) s.initial_node.push_back(Eigen::Vector3d{e_l[i], 0.0, 0.0});
        if (p.varies("V_th_mV")) s.theta_c_node.push_back(-v_th[i]);
        if (p.varies("V_reset_mV")) s.reset_c_node.push_back(Eigen::Vector3d{v_reset[i], 0.0, 0.0});
        if (p.varies("t_ref_ms")) s.t_ref_node.push_back(t_ref[i]);
    }
    return s;
}

}  // namespace delaysim::models
