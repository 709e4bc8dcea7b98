#include "models/lif_delta.hpp"

#include <algorithm>
#include <cmath>

namespace delaysim::models {

using sim::ParamKind;

ModelInfo LifDelta::info() {
    ModelInfo m;
    m.name = "lif_delta";
    m.doc =
        "leaky integrate-and-fire, instantaneous voltage jumps (IntFire1, iaf_psc_delta), exact, precise "
        "spike times";
    const double inf = 1e300;
    m.params = {
        {"C_m_pF", "pF", ParamKind::Real, 250.0, 0.0, inf, true, false,
         "membrane capacitance (scales I_e only)"},
        {"tau_m_ms", "ms", ParamKind::Real, 10.0, 0.0, inf, true, false, "membrane time constant"},
        {"E_L_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "resting potential"},
        {"V_th_mV", "mV", ParamKind::Real, -50.0, -inf, inf, false, false, "spike threshold"},
        {"V_reset_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "reset potential (< V_th)"},
        {"t_ref_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, false, false,
         "absolute refractory period (V clamped, inputs ignored)"},
        {"I_e_pA", "pA", ParamKind::Real, 0.0, -inf, inf, false, false, "constant external current"},
    };
    m.ports = {{"ex", sim::PortKind::Input, "V += w (mV)"}, {"in", sim::PortKind::Input, "V += w (mV)"}};
    m.variables = {{"V_m", "mV", "membrane potential"}};
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return make_linear_population(name, size, spec(p));
    };
    return m;
}

namespace {
const ModelInfo& lif_delta_info() {
    static const ModelInfo info = LifDelta::info();
    return info;
}
}  // namespace

LinearModelSpec LifDelta::spec(const sim::Params& p) {
    const double tau_m = p.get("tau_m_ms"), e_l = p.get("E_L_mV"), v_th = p.get("V_th_mV");
    const double v_reset = p.get("V_reset_mV");
    // A reset at or above threshold would fire again at the end of every
    // refractory period (or, with t_ref = 0, forever at one instant).
    if (!(v_reset < v_th))
        throw sim::UserError(p.owner() + ": parameter 'V_reset_mV' must be below 'V_th_mV'",
                             p.where("V_reset_mV"));
    const ModelInfo& m = lif_delta_info();
    LinearModelSpec s;
    s.name = m.name;
    s.doc = m.doc;
    s.variables = m.variables;
    s.ports = m.ports;
    s.a = Eigen::MatrixXd::Constant(1, 1, -1.0 / tau_m);
    s.b = Eigen::VectorXd::Constant(1, e_l / tau_m + p.get("I_e_pA") / p.get("C_m_pF"));
    s.jumps = {Eigen::VectorXd::Ones(1), Eigen::VectorXd::Ones(1)};
    s.theta = Eigen::RowVectorXd::Ones(1);
    s.theta_c = -v_th;
    s.reset_m = Eigen::MatrixXd::Zero(1, 1);
    s.reset_c = Eigen::VectorXd::Constant(1, v_reset);
    s.t_ref_ms = p.get("t_ref_ms");
    s.clamped = {true};
    s.initial = Eigen::VectorXd::Constant(1, e_l);
    return s;
}

}  // namespace delaysim::models
