#include "models/coincidence_lag.hpp"

#include <cmath>

#include "models/exp_sum.hpp"
#include "models/lag_chain.hpp"
#include "models/linear_crossing.hpp"

namespace delaysim::models {

using sim::ParamInfo;
using sim::ParamKind;

ModelInfo CoincidenceLag::info() {
    ModelInfo m;
    m.name = "coincidence_lag";
    m.doc = "the seed's coincidence neuron with port b read through a lag chain (N stages, mean delay D)";
    const double inf = 1e300;
    m.params = {
        {"tau_ms", "ms", ParamKind::Real, 1000.0, 0.0, inf, true, false, "membrane time constant"},
        {"tau_s1_ms", "ms", ParamKind::Real, 0.5, 0.0, inf, true, false, "decay of trace s1 (port a)"},
        {"tau_s2_ms", "ms", ParamKind::Real, 0.5, 0.0, inf, true, false, "decay of the raw trace u (port b)"},
        {"tau_th_ms", "ms", ParamKind::Real, 50.0, 0.0, inf, true, false, "decay of the threshold vth"},
        {"gain", "1", ParamKind::Real, 2000.0, -inf, inf, false, false, "weight of the product s1*x_N"},
        {"th0", "1", ParamKind::Real, 8.0, 0.0, inf, true, false, "threshold after a spike or inhibition"},
        {"lag_stages", "1", ParamKind::Integer, 8.0, 1.0, double(kMaxLagStages), false, false,
         "number N of lag stages on port b"},
        {"lag_ms", "ms", ParamKind::Real, 2.0, 0.0, kMaxLagMs, true, false,
         "mean delay D of the chain (a lag projection's delay_ms overrides it)"},
    };
    m.ports = {{"a", sim::PortKind::Input, "s1 += w"},
               {"b", sim::PortKind::Input, "u += w; lag port: the synapse delay is the chain's mean delay D"},
               {"inhibit", sim::PortKind::Inhibit, "v = 0, vth = th0 (weight ignored)"}};
    m.variables = {{"v", "1", "membrane state"},
                   {"vth", "1", "threshold"},
                   {"s1", "1", "trace of port a"},
                   {"u", "1", "raw trace of port b (chain input)"},
                   {"lag_out", "1", "chain output x_N (replaces s2)"},
                   {"p", "1", "s1*x_N"},
                   {"lag_ms", "ms", "mean delay D of the chain"},
                   {"lag_charge", "ms", "charge in the chain, tau_c * sum_k x_k"}};
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return std::make_unique<CoincidenceLag>(name, size, p);
    };
    return m;
}

CoincidenceLag::CoincidenceLag(const std::string& name, sim::Index size, const sim::Params& p)
    : NeuronModel(name, size, described<CoincidenceLag>()),
      tau_(p.get("tau_ms")),
      tau_s1_(p.get("tau_s1_ms")),
      tau_s2_(p.get("tau_s2_ms")),
      tau_th_(p.get("tau_th_ms")),
      gain_(p.get("gain")),
      th0_(p.get("th0")),
      n_(static_cast<int>(p.get("lag_stages"))) {
    const double r0 = 1.0 / tau_s1_ + 1.0 / tau_s2_;
    if (std::abs(1.0 / tau_ - r0) <= 1e-3 * r0)
        throw sim::UserError(p.owner() + ": parameter 'tau_ms' must differ from the time constant of s1*u (" +
                                 std::to_string(1.0 / r0) +
                                 " ms) by more than 0.1%; the closed form needs it",
                             p.where("tau_ms"));
    State s;
    s.vth = th0_;
    s.d = p.get("lag_ms");
    s.y.assign(static_cast<std::size_t>(n_) + 1, 0.0);
    state_.assign(size, s);
    declare({.bounds = this, .lags = this});
}

// v's response to q0 = s1 * y: row N+1 of e^{Lx} (bidiagonal L, nodes
// -(r_u+b), -(a+b) x N, -c; subdiagonal a..a, G) — see the header.
double CoincidenceLag::drive(const State& s, double x) const {
    if (s.s1 == 0.0 || x == 0.0) return 0.0;
    const double a = n_ / s.d, b = 1.0 / tau_s1_, ru = 1.0 / tau_s2_, c = 1.0 / tau_, g = gain_ / tau_;
    double sum = 0.0;
    for (int j = 1; j <= n_; ++j)
        if (s.y[j] != 0.0) sum += s.y[j] * confluent_dd(n_ - j + 1, c, a + b, x, a) / a;
    if (s.y[0] != 0.0)
        sum += s.y[0] * (confluent_dd(n_, c, a + b, x, a) - confluent_dd(n_, ru + b, a + b, x, a)) /
               (ru + b - c);
    return g * s.s1 * sum;
}

CoincidenceLag::State CoincidenceLag::evolved(const State& s, sim::Time t) const {
    const double x = t - s.t;
    if (x == 0.0) return s;
    State out = s;
    out.v = s.v * std::exp(-x / tau_) + drive(s, x);
    out.s1 = s.s1 * std::exp(-x / tau_s1_);
    out.vth = s.vth * std::exp(-x / tau_th_);
    double work[kMaxLagStages + 1];
    chain_propagate(out.y.data(), n_, 1.0 / tau_s2_, n_ / s.d, x, work);
    out.t = t;
    return out;
}

void CoincidenceLag::advance(sim::Index i, sim::Time t) {
    if (t != state_[i].t) state_[i] = evolved(state_[i], t);
}

void CoincidenceLag::receive(sim::Index i, std::size_t port, double w, sim::Time) {
    State& s = state_[i];
    switch (port) {
        case kPortA: s.s1 += w; break;
        case kPortB: s.y[0] += w; break;
        default: s.v = 0.0; s.vth = th0_;
    }
}

sim::Time CoincidenceLag::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const State& s = state_[i];
    DS_ASSERT(s.t == t);
    bool chain_empty = true;
    for (double y : s.y) chain_empty = chain_empty && y == 0.0;
    if (s.s1 == 0.0 || chain_empty)  // v just decays: two exponentials
        return t +
               first_crossing(std::vector<ExpTerm>{{s.v, 1.0 / tau_}, {-s.vth, 1.0 / tau_th_}}, horizon - t);
    // z = (q_0..q_N, v, vth), dz/dx = M z; f = v - vth.
    const int n = n_;
    const double a = n / s.d, b = 1.0 / tau_s1_, ru = 1.0 / tau_s2_, c = 1.0 / tau_, e = 1.0 / tau_th_;
    LinearSignal sig;
    sig.m = Eigen::MatrixXd::Zero(n + 3, n + 3);
    sig.m(0, 0) = -(ru + b);
    for (int k = 1; k <= n; ++k) {
        sig.m(k, k) = -(a + b);
        sig.m(k, k - 1) = a;
    }
    sig.m(n + 1, n + 1) = -c;
    sig.m(n + 1, n) = gain_ / tau_;
    sig.m(n + 2, n + 2) = -e;
    for (int k = 0; k < n + 3; ++k) sig.rates.push_back(-sig.m(k, k));
    sig.state = [this, &s, n](double x, Eigen::VectorXd& z) {
        const State st = evolved(s, s.t + x);
        for (int k = 0; k <= n; ++k) z(k) = st.s1 * st.y[k];
        z(n + 1) = st.v;
        z(n + 2) = st.vth;
    };
    Eigen::RowVectorXd w = Eigen::RowVectorXd::Zero(n + 3);
    w(n + 1) = 1.0;
    w(n + 2) = -1.0;
    return t + first_crossing(sig, w, horizon - t);
}

sim::Bound CoincidenceLag::spike_bound(sim::Index i, sim::Time t, sim::Time horizon) {
    const State& s = state_[i];
    double m = 0.0;
    for (double y : s.y) m = std::max(m, y);
    const double bound = std::max(s.v, 0.0) + gain_ / tau_ * s.s1 * tau_s1_ * m;
    if (s.s1 >= 0.0 && gain_ >= 0.0 && s.vth > 0.0 && bound < s.vth) {
        if (!(bound > 0.0)) return {sim::kNever, false};  // v <= 0 < vth for ever
        const sim::Time x = tau_th_ * std::log(s.vth / bound) * (1.0 - 1e-9);
        if (x > 0.0) return {t + x < horizon ? t + x : sim::kNever, false};
    }
    return {next_spike(i, t, horizon), true};
}

void CoincidenceLag::fire(sim::Index i, sim::Time) {
    state_[i].v = 0.0;
    state_[i].vth = th0_;
}

double CoincidenceLag::value(sim::Index i, std::size_t var, sim::Time t) const {
    const State s = evolved(state_[i], t);
    switch (var) {
        case kV: return s.v;
        case kVth: return s.vth;
        case kS1: return s.s1;
        case kU: return s.y[0];
        case kLagOut: return s.y[n_];
        case kP: return s.s1 * s.y[n_];
        case kLagMs: return s.d;
        default: return chain_charge(s.y.data(), n_, s.d / n_);
    }
}

void CoincidenceLag::set_value(sim::Index i, std::size_t var, double x) {
    State& s = state_[i];
    switch (var) {
        case kV: s.v = x; break;
        case kVth: s.vth = x; break;
        case kS1: s.s1 = x; break;
        case kU: s.y[0] = x; break;
        case kLagMs:
            if (!(x > 0.0)) throw sim::UserError("variable 'lag_ms' of model 'coincidence_lag' must be > 0");
            set_lag(i, kPortB, x);
            break;
        default:
            throw sim::UserError("variable '" + variables()[var].name +
                                 "' of model 'coincidence_lag' is derived from the chain and cannot be set");
    }
}

void CoincidenceLag::set_lag(sim::Index i, std::size_t port, sim::Time d) {
    DS_ASSERT(port == kPortB && d > 0.0 && std::isfinite(d));
    State& s = state_[i];
    rescale_for_new_tau(s.y.data(), n_, s.d / n_, d / n_);
    s.d = d;
}

sim::Time CoincidenceLag::lag(sim::Index i, std::size_t) const {
    return state_[i].d;
}

}  // namespace delaysim::models
