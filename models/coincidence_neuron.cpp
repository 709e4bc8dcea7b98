#include "models/coincidence_neuron.hpp"

#include <cmath>

#include "models/exp_sum.hpp"

namespace delaysim::models {

using sim::ParamInfo;
using sim::ParamKind;

ModelInfo CoincidenceNeuron::info() {
    ModelInfo m;
    m.name = "coincidence";
    m.doc = "the seed's coincidence neuron: v integrates gain*s1*s2, threshold vth decays to 0";
    const double inf = 1e300;
    m.params = {
        {"tau_ms", "ms", ParamKind::Real, 1000.0, 0.0, inf, true, false, "membrane time constant"},
        {"tau_s1_ms", "ms", ParamKind::Real, 0.5, 0.0, inf, true, false, "decay of trace s1 (port a)"},
        {"tau_s2_ms", "ms", ParamKind::Real, 0.5, 0.0, inf, true, false, "decay of trace s2 (port b)"},
        {"tau_th_ms", "ms", ParamKind::Real, 50.0, 0.0, inf, true, false, "decay of the threshold vth"},
        {"gain", "1", ParamKind::Real, 2000.0, -inf, inf, false, false, "weight of the product s1*s2"},
        {"th0", "1", ParamKind::Real, 8.0, 0.0, inf, true, false, "threshold after a spike or inhibition"},
    };
    m.ports = {{"a", sim::PortKind::Input, "s1 += w"},
               {"b", sim::PortKind::Input, "s2 += w"},
               {"inhibit", sim::PortKind::Inhibit, "v = 0, vth = th0 (weight ignored)"}};
    m.variables = {{"v", "1", "membrane state"},
                   {"vth", "1", "threshold"},
                   {"s1", "1", "trace of port a"},
                   {"s2", "1", "trace of port b"},
                   {"p", "1", "s1*s2"}};
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return std::make_unique<CoincidenceNeuron>(name, size, p);
    };
    return m;
}

CoincidenceNeuron::CoincidenceNeuron(const std::string& name, sim::Index size, const sim::Params& p)
    : NeuronModel(name, size, described<CoincidenceNeuron>()),
      tau_(p.get("tau_ms")),
      tau_s1_(p.get("tau_s1_ms")),
      tau_s2_(p.get("tau_s2_ms")),
      tau_th_(p.get("tau_th_ms")),
      gain_(p.get("gain")),
      th0_(p.get("th0")),
      lp_(1.0 / tau_s1_ + 1.0 / tau_s2_) {
    if (std::abs(1.0 / tau_ - lp_) <= 1e-9 * lp_)
        throw sim::UserError(p.owner() +
                                 ": parameter 'tau_ms' must differ from the time constant of s1*s2 (" +
                                 std::to_string(1.0 / lp_) + " ms); the closed form needs distinct rates",
                             p.where("tau_ms"));
    State s;
    s.vth = th0_;
    state_.assign(size, s);
}

CoincidenceNeuron::State CoincidenceNeuron::evolved(const State& s, sim::Time t) const {
    const double x = t - s.t;
    if (x == 0.0) return s;
    const double p0 = s.s1 * s.s2;
    const double k = gain_ / tau_ * p0 / (1.0 / tau_ - lp_);
    State out;
    out.v = (s.v - k) * std::exp(-x / tau_) + k * std::exp(-lp_ * x);
    out.s1 = s.s1 * std::exp(-x / tau_s1_);
    out.s2 = s.s2 * std::exp(-x / tau_s2_);
    out.vth = s.vth * std::exp(-x / tau_th_);
    out.t = t;
    return out;
}

void CoincidenceNeuron::advance(sim::Index i, sim::Time t) {
    state_[i] = evolved(state_[i], t);
}

void CoincidenceNeuron::receive(sim::Index i, std::size_t port, double w, sim::Time) {
    State& s = state_[i];
    switch (port) {
        case kPortA: s.s1 += w; break;
        case kPortB: s.s2 += w; break;
        default: s.v = 0.0; s.vth = th0_;
    }
}

sim::Time CoincidenceNeuron::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const State& s = state_[i];
    const double k = gain_ / tau_ * (s.s1 * s.s2) / (1.0 / tau_ - lp_);
    const double x = first_crossing({{s.v - k, 1.0 / tau_}, {k, lp_}, {-s.vth, 1.0 / tau_th_}}, horizon - t);
    return t + x;
}

void CoincidenceNeuron::fire(sim::Index i, sim::Time) {
    state_[i].v = 0.0;
    state_[i].vth = th0_;
}

double CoincidenceNeuron::value(sim::Index i, std::size_t var, sim::Time t) const {
    const State s = evolved(state_[i], t);
    switch (var) {
        case kV: return s.v;
        case kVth: return s.vth;
        case kS1: return s.s1;
        case kS2: return s.s2;
        default: return s.s1 * s.s2;
    }
}

void CoincidenceNeuron::set_value(sim::Index i, std::size_t var, double x) {
    State& s = state_[i];
    switch (var) {
        case kV: s.v = x; break;
        case kVth: s.vth = x; break;
        case kS1: s.s1 = x; break;
        case kS2: s.s2 = x; break;
        default:
            throw sim::UserError("variable 'p' of model 'coincidence' is derived (s1*s2) and cannot be set");
    }
}

}  // namespace delaysim::models
