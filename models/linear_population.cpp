#include "models/linear_population.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <sstream>
#include <unsupported/Eigen/MatrixFunctions>

#include "models/exp_sum.hpp"
#include "models/linear_crossing.hpp"
#include "models/small_linear.hpp"
#include "sim/error.hpp"

namespace delaysim::models {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Above this condition number of the eigenvector basis the modal form would lose
// more than ~1e-11 relative: the Schur form takes over.
constexpr double kMaxModalCondition = 1e5;

std::string eigenvalue_list(const Eigen::MatrixXd& m) {
    // The eigenvalues of A (M without its augmented row and column).
    const Eigen::Index n = m.rows() - 1;
    const Eigen::VectorXcd ev =
        Eigen::EigenSolver<Eigen::MatrixXd>(m.topLeftCorner(n, n), false).eigenvalues();
    std::ostringstream os;
    os.precision(6);
    for (Eigen::Index k = 0; k < ev.size(); ++k) {
        if (k) os << ", ";
        os << ev(k).real();
        if (ev(k).imag() != 0.0) os << (ev(k).imag() > 0 ? " + " : " - ") << std::abs(ev(k).imag()) << "i";
    }
    return os.str();
}

// M = [[A, b], [0, 0]]; clamped rows zeroed for the refractory flow.
Eigen::MatrixXd augmented(const LinearModelSpec& s, bool refractory) {
    const Eigen::Index n = s.a.rows();
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n + 1, n + 1);
    m.topLeftCorner(n, n) = s.a;
    m.topRightCorner(n, 1) = s.b;
    if (refractory)
        for (Eigen::Index k = 0; k < n; ++k)
            if (s.clamped[static_cast<std::size_t>(k)]) m.row(k).setZero();
    return m;
}

Eigen::RowVectorXd augmented_theta(const LinearModelSpec& s) {
    Eigen::RowVectorXd w(s.theta.size() + 1);
    w << s.theta, s.theta_c;
    return w;
}

const LinearModelSpec& checked(const LinearModelSpec& s) {
    const auto n = static_cast<Eigen::Index>(s.variables.size());
    if (n < 1 || n > kMaxLinearVariables)
        throw sim::UserError("model '" + s.name + "': a linear model needs 1 to " +
                             std::to_string(kMaxLinearVariables) + " state variables, got " +
                             std::to_string(n));
    DS_ASSERT(s.a.rows() == n && s.a.cols() == n && s.b.size() == n && s.theta.size() == n);
    DS_ASSERT(s.reset_m.rows() == n && s.reset_m.cols() == n && s.reset_c.size() == n);
    DS_ASSERT(s.clamped.size() == s.variables.size() && s.initial.size() == n &&
              s.jumps.size() == s.ports.size());
    for (const auto& j : s.jumps) DS_ASSERT(j.size() == n);
    if (!s.a.allFinite() || !s.b.allFinite())
        throw sim::UserError("model '" + s.name + "': the linear system has a non-finite coefficient");
    return s;
}

}  // namespace

LinearFlow::LinearFlow(const Eigen::MatrixXd& m, const Eigen::RowVectorXd& theta, bool crossing,
                       const std::string& who)
    : form_(Form::Expm), m_(m) {
    const Eigen::Index n = m.rows();
    Eigen::RealSchur<Eigen::MatrixXd> schur(m);
    bool real = schur.info() == Eigen::Success;
    for (Eigen::Index k = 0; real && k + 1 < n; ++k)
        real = schur.matrixT()(k + 1, k) == 0.0;  // no 2x2 blocks
    if (!real) {
        if (crossing)
            throw sim::UserError(
                who + ": the linear system has complex eigenvalues (" + eigenvalue_list(m) +
                " 1/ms): its solutions oscillate, and the exact crossing search (sums of real "
                "exponentials, models/exp_sum.hpp) cannot handle them");
        return;  // refractory dynamics: only propagated, by the matrix exponential itself
    }
    Eigen::EigenSolver<Eigen::MatrixXd> es(m, true);
    if (es.info() == Eigen::Success && n <= static_cast<Eigen::Index>(kMaxExpTerms)) {
        const Eigen::MatrixXd v = es.eigenvectors().real();
        const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(v).singularValues();
        if (es.eigenvalues().imag().cwiseAbs().maxCoeff() == 0.0 && sv(sv.size() - 1) > 0.0 &&
            sv(0) / sv(sv.size() - 1) <= kMaxModalCondition) {
            form_ = Form::Modal;
            v_ = v;
            v_inv_ = v.inverse();
            lambda_ = es.eigenvalues().real();
            // The augmented constant's eigenvalue is 0 in exact arithmetic; a rounding
            // residue of either sign would otherwise make it look unstable or decaying.
            const double scale = lambda_.cwiseAbs().maxCoeff();
            for (Eigen::Index k = 0; k < n; ++k)
                if (std::abs(lambda_(k)) <= 1e-14 * scale) lambda_(k) = 0.0;
            theta_v_ = theta * v_;
            return;
        }
    }
    form_ = Form::Schur;
    q_ = schur.matrixU();
    t_ = schur.matrixT();
    t_.triangularView<Eigen::StrictlyLower>().setZero();
    lambda_ = t_.diagonal();
    theta_q_ = theta * q_;
}

void LinearFlow::propagate(const LinearState& z0, double s, LinearState& z1) const {
    const Eigen::Index n = m_.rows();
    if (s == 0.0) {
        z1 = z0;
        return;
    }
    const double constant = z0(n - 1);  // (1, or 1 - o_N with a node offset: node_offsets)
    switch (form_) {
        case Form::Modal: {
            LinearState y = v_inv_ * z0;
            for (Eigen::Index k = 0; k < n; ++k) y(k) *= std::exp(lambda_(k) * s);
            z1 = v_ * y;
            break;
        }
        case Form::Schur: {
            const LinearState u = q_.transpose() * z0;
            const Eigen::MatrixXd e = (t_ * s).exp();
            z1 = q_ * (e * u);
            break;
        }
        case Form::Expm: {
            const Eigen::MatrixXd e = (m_ * s).exp();
            z1 = e * z0;
            break;
        }
    }
    z1(n - 1) = constant;  // M's last row is zero: the augmented constant stays exact
}

double LinearFlow::first_crossing(const LinearState& z0, double s_max) const {
    const Eigen::Index n = m_.rows();
    if (form_ == Form::Modal) {
        const LinearState y = v_inv_ * z0;
        ExpTerm terms[kMaxExpTerms];
        double ceiling = 0.0;  // every term with rate >= 0 only shrinks: the positive ones bound f
        bool decaying = true;
        for (Eigen::Index k = 0; k < n; ++k) {
            terms[k] = {theta_v_(k) * y(k), -lambda_(k)};
            ceiling += std::max(terms[k].c, 0.0);
            decaying = decaying && terms[k].r >= 0.0;
        }
        if (decaying && ceiling < 0.0) return kInf;
        return models::first_crossing(terms, static_cast<std::size_t>(n), s_max);
    }
    DS_ASSERT(form_ == Form::Schur);
    const Eigen::VectorXd u0 = q_.transpose() * z0;
    LinearSignal signal;
    signal.m = t_;
    signal.rates.resize(static_cast<std::size_t>(n));
    for (Eigen::Index k = 0; k < n; ++k) signal.rates[static_cast<std::size_t>(k)] = -lambda_(k);
    signal.state = [&](double x, Eigen::VectorXd& z) { z = (t_ * x).exp() * u0; };
    return models::first_crossing(signal, theta_q_, s_max);
}

double LinearFlow::crossing_bound(const LinearState& z0, double f0) const {
    const Eigen::Index n = m_.rows();
    if (form_ != Form::Modal || (lambda_.array() > 0.0).any())
        return std::numeric_limits<double>::quiet_NaN();
    const LinearState y = v_inv_ * z0;
    double ceiling = 0.0, slope = 0.0;
    for (Eigen::Index k = 0; k < n; ++k) {
        const double a = theta_v_(k) * y(k);
        ceiling += std::max(a, 0.0);
        slope += std::max(lambda_(k) * a, 0.0);
    }
    if (ceiling < 0.0 || !(slope > 0.0)) return kInf;
    return -f0 / slope;
}

LinearFlow::Ceiling LinearFlow::ceiling(const LinearState& z0) const {
    const Eigen::Index n = m_.rows();
    if (form_ != Form::Modal || (lambda_.array() > 0.0).any())
        return {std::numeric_limits<double>::quiet_NaN(), 0.0, 0.0};
    // Rates this small relative to the largest are the augmented state's constant
    // (eigenvalue 0, up to rounding): such a term is its own bound.
    const double tiny = 1e-12 * lambda_.cwiseAbs().maxCoeff();
    const LinearState y = v_inv_ * z0;
    Ceiling c{0.0, 0.0, 0.0};
    for (Eigen::Index k = 0; k < n; ++k) {
        const double a = theta_v_(k) * y(k);
        c.top += std::abs(lambda_(k)) <= tiny ? a : std::max(a, 0.0);
        c.slope += std::max(lambda_(k) * a, 0.0);
        c.scale += std::abs(a);
    }
    return c;
}

double LinearModelSpec::min_t_ref() const {
    double m = t_ref_ms;
    if (!t_ref_node.empty()) m = *std::min_element(t_ref_node.begin(), t_ref_node.end());
    return m;
}

void check_per_node(const LinearModelSpec& s, sim::Index size) {
    const std::string who = "model '" + s.name + "': ";
    if (!s.reset_c_node.empty() && s.reset_c_node.size() != size)
        throw sim::UserError(who + "per-node reset values for " + std::to_string(s.reset_c_node.size()) +
                             " nodes, the population has " + std::to_string(size));
    for (const Eigen::VectorXd& r : s.reset_c_node)
        if (r.size() != s.reset_c.size() || !r.allFinite())
            throw sim::UserError(who + "a per-node reset value is not a finite vector of the state's size");
    if (!s.t_ref_node.empty() && s.t_ref_node.size() != size)
        throw sim::UserError(who + "per-node refractory periods for " + std::to_string(s.t_ref_node.size()) +
                             " nodes, the population has " + std::to_string(size));
    for (const double t : s.t_ref_node)
        if (!(t >= 0.0 && std::isfinite(t)))
            throw sim::UserError(who + "a per-node refractory period is negative or not finite");
    auto vectors = [&](const std::vector<Eigen::VectorXd>& v, const char* what) {
        if (!v.empty() && v.size() != size)
            throw sim::UserError(who + "per-node " + what + " for " + std::to_string(v.size()) +
                                 " nodes, the population has " + std::to_string(size));
        for (const Eigen::VectorXd& x : v)
            if (x.size() != s.b.size() || !x.allFinite())
                throw sim::UserError(who + "a per-node " + what +
                                     " is not a finite vector of the state's size");
    };
    vectors(s.b_node, "drive");
    vectors(s.initial_node, "initial state");
    if (!s.theta_c_node.empty() && s.theta_c_node.size() != size)
        throw sim::UserError(who + "per-node thresholds for " + std::to_string(s.theta_c_node.size()) +
                             " nodes, the population has " + std::to_string(size));
    for (const double c : s.theta_c_node)
        if (!std::isfinite(c)) throw sim::UserError(who + "a per-node threshold is not finite");
}

namespace {

// The kernel vector u of M (M u = 0) on which the threshold function depends most,
// normalised; theta_u = (theta, c) . u.
struct FixedPoint {
    Eigen::VectorXd u;
    double theta_u = 0.0;
};
FixedPoint fixed_point(const LinearModelSpec& s) {
    const Eigen::MatrixXd kernel = augmented(s, false).fullPivLu().kernel();
    const Eigen::RowVectorXd theta = augmented_theta(s);
    FixedPoint best;
    for (Eigen::Index k = 0; k < kernel.cols(); ++k) {
        const Eigen::VectorXd u = kernel.col(k).normalized();
        const double tu = theta.dot(u);
        if (best.u.size() == 0 || std::abs(tu) > std::abs(best.theta_u)) best = {u, tu};
    }
    return best;
}

}  // namespace

std::vector<Eigen::VectorXd> node_offsets(LinearModelSpec& s, sim::Index size) {
    checked(s);
    check_per_node(s, size);
    if (s.b_node.empty() && s.theta_c_node.empty()) return {};
    const std::string who = "model '" + s.name + "': ";
    FixedPoint u0 = fixed_point(s);
    const auto degenerate = [&] { return !(std::abs(u0.theta_u) > 1e-6 * augmented_theta(s).norm()); };
    if (degenerate()) {  // the population's own equilibrium at its threshold: move the reference
        if (s.theta_c_node.empty()) s.theta_c_node.assign(size, s.theta_c);
        s.theta_c -= 1.0 + std::abs(s.theta_c);
        u0 = fixed_point(s);
        if (degenerate())
            throw sim::UserError(who +
                                 "per-node thresholds or drives need a threshold that depends on the "
                                 "model's equilibrium");
    }
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(s.a);
    const Eigen::Index n = s.a.rows();
    std::vector<Eigen::VectorXd> out;
    out.reserve(size);
    for (sim::Index i = 0; i < size; ++i) {
        Eigen::VectorXd d = Eigen::VectorXd::Zero(n);
        if (!s.b_node.empty()) {
            const Eigen::VectorXd rhs = s.b - s.b_node[i];
            d = lu.solve(rhs);
            if (!((s.a * d - rhs).norm() <= 1e-9 * (s.b.norm() + s.b_node[i].norm() + 1e-300)))
                throw sim::UserError(who + "the per-node drive of node " + std::to_string(i) +
                                     " moves a variable without leak (no equilibrium to shift)");
        }
        const double alpha = (s.theta_c - s.theta_c_of(i) - s.theta.dot(d)) / u0.theta_u;
        Eigen::VectorXd o = alpha * u0.u;
        o.head(n) += d;
        out.push_back(o);
    }
    return out;
}

LinearPopulation::LinearPopulation(const std::string& name, sim::Index size, LinearModelSpec spec)
    : Population(name, size),
      spec_(std::move(spec)),
      offset_(node_offsets(spec_, size)),
      n_(spec_.variables.size()),
      theta_aug_(augmented_theta(spec_)),
      free_(augmented(spec_, false), theta_aug_, true, "model '" + spec_.name + "'"),
      refractory_(augmented(spec_, true), theta_aug_, false, "model '" + spec_.name + "'"),
      x_(size * n_),
      t_(size, 0.0),
      ref_end_(size, -1e300) {
    for (sim::Index i = 0; i < size; ++i)
        for (std::size_t k = 0; k < n_; ++k)
            x_[i * n_ + k] = spec_.initial_of(i)(static_cast<Eigen::Index>(k));
    bool batching = spec_.min_t_ref() > 0.0;  // (t_ref = 0: as lif_delta, jump crossings within one instant)
    for (const Eigen::VectorXd& jump : spec_.jumps) {
        LinearState dz = LinearState::Zero(static_cast<Eigen::Index>(n_ + 1));
        dz.head(static_cast<Eigen::Index>(n_)) = jump;
        const LinearFlow::Ceiling pos = free_.ceiling(dz), neg = free_.ceiling(-dz);
        batching = batching && std::isfinite(pos.top) && std::isfinite(neg.top);
        const double f0 = theta_aug_.dot(dz);
        rise_pos_.push_back({f0, pos.slope, pos.top});
        rise_neg_.push_back({-f0, neg.slope, neg.top});
    }
    batching_ok_ = batching;
    declare({.bounds = this});
}

bool LinearPopulation::enable_batching() {
    if (batching_ok_) declare({.bounds = this, .batching = this});
    return batching_ok_;
}

bool inputs_stay_below(const std::vector<InputRise>& pos, const std::vector<InputRise>& neg,
                       const sim::SliceInput* in, std::size_t n, double top, double scale) {
    const sim::Time t_last = in[n - 1].t;
    for (std::size_t k = 0; k < n; ++k) {
        const double u = t_last - in[k].t, w = in[k].w;
        const double rise = std::max(w > 0.0 ? w * pos[in[k].port].at(u) : -w * neg[in[k].port].at(u), 0.0);
        top += rise;
        scale += std::abs(rise);
    }
    return top < -1e-9 * (scale + 1.0);
}

sim::MaybeTime LinearPopulation::absorb(sim::Index i, const sim::SliceInput* in, std::size_t n,
                                        sim::Time horizon) {
    if (ref_end_[i] > t_[i]) return std::nullopt;  // refractory dynamics: the exact path
    const LinearState z = load(i);
    const LinearFlow::Ceiling c = free_.ceiling(z);
    const sim::Time t_last = in[n - 1].t;
    const double top = std::min(theta_aug_.dot(z) + (t_last - t_[i]) * c.slope, c.top);
    if (!inputs_stay_below(rise_pos_, rise_neg_, in, n, top, c.scale)) return std::nullopt;
    for (std::size_t k = 0; k < n; ++k) {
        advance(i, in[k].t);
        receive(i, in[k].port, in[k].w, in[k].t);
    }
    return spike_bound(i, t_last, horizon).t;
}

LinearState LinearPopulation::load(sim::Index i) const {
    LinearState z(static_cast<Eigen::Index>(n_ + 1));
    for (std::size_t k = 0; k < n_; ++k) z(static_cast<Eigen::Index>(k)) = x_[i * n_ + k];
    z(static_cast<Eigen::Index>(n_)) = 1.0;
    if (!offset_.empty()) z -= offset_[i];
    return z;
}

void LinearPopulation::store(sim::Index i, const LinearState& z, sim::Time t) {
    for (std::size_t k = 0; k < n_; ++k) x_[i * n_ + k] = z(static_cast<Eigen::Index>(k)) + offset(i, k);
    t_[i] = t;
}

LinearState LinearPopulation::evolved(sim::Index i, sim::Time t) const {
    LinearState z = load(i);
    sim::Time t0 = t_[i];
    if (t0 < ref_end_[i]) {  // refractory part: clamped variables held exactly
        const sim::Time t1 = std::min(t, ref_end_[i]);
        refractory_.propagate(z, t1 - t0, z);
        for (std::size_t k = 0; k < n_; ++k)
            if (spec_.clamped[k]) z(static_cast<Eigen::Index>(k)) = x_[i * n_ + k] - offset(i, k);
        t0 = t1;
    }
    if (t > t0) free_.propagate(z, t - t0, z);
    return z;
}

void LinearPopulation::advance(sim::Index i, sim::Time t) {
    store(i, evolved(i, t), t);
}

void LinearPopulation::receive(sim::Index i, std::size_t port, double w, sim::Time t) {
    const bool refractory = t < ref_end_[i];
    const Eigen::VectorXd& jump = spec_.jumps[port];
    for (std::size_t k = 0; k < n_; ++k)
        if (!(refractory && spec_.clamped[k])) x_[i * n_ + k] += w * jump(static_cast<Eigen::Index>(k));
}

sim::Time LinearPopulation::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const sim::Time from = std::max(t, ref_end_[i]);  // no spike while refractory
    if (!(from < horizon)) return sim::kNever;
    const LinearState z = evolved(i, from);
    if (theta_aug_.dot(z) >= 0.0) return from;
    const double s = free_.first_crossing(z, horizon - from);
    return from + s < horizon ? from + s : sim::kNever;
}

sim::Bound LinearPopulation::spike_bound(sim::Index i, sim::Time t, sim::Time horizon) {
    const sim::Time from = std::max(t, ref_end_[i]);
    if (!(from < horizon)) return {sim::kNever, true};
    const LinearState z = evolved(i, from);
    const double f0 = theta_aug_.dot(z);
    if (f0 >= 0.0) return {from, true};
    const double s = free_.crossing_bound(z, f0);
    if (std::isnan(s)) return {next_spike(i, t, horizon), true};
    if (!(from + s < horizon)) return {sim::kNever, true};  // also s = inf: never
    return {from + s, false};
}

void LinearPopulation::fire(sim::Index i, sim::Time t) {
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(&x_[i * n_], static_cast<Eigen::Index>(n_));
    const Eigen::VectorXd reset = spec_.reset_m * x + spec_.reset_c_of(i);
    for (std::size_t k = 0; k < n_; ++k) x_[i * n_ + k] = reset(static_cast<Eigen::Index>(k));
    t_[i] = t;
    const double t_ref = spec_.t_ref_of(i);
    ref_end_[i] = t + t_ref;
    // Still at threshold with no refractory period: it would fire forever at t.
    if (t_ref == 0.0 && spec_.theta.dot(reset) + spec_.theta_c_of(i) >= 0.0)
        throw sim::UserError("model '" + spec_.name + "': node " + std::to_string(i) + " of population '" +
                             name() +
                             "' is still at threshold right after its reset at t = " + sim::fmt_ms(t) +
                             " (with no refractory period it would fire forever at one instant)");
}

double LinearPopulation::value(sim::Index i, std::size_t var, sim::Time t) const {
    return evolved(i, t)(static_cast<Eigen::Index>(var)) + offset(i, var);
}

void LinearPopulation::set_value(sim::Index i, std::size_t var, double x) {
    x_[i * n_ + var] = x;
}

namespace {

template <int N>
std::unique_ptr<sim::Population> small(const std::string& name, sim::Index size, LinearModelSpec& spec,
                                       const LinearFlow& free, const LinearFlow& refractory) {
    return std::make_unique<SmallLinear<N>>(name, size, std::move(spec), free, refractory);
}

}  // namespace

std::unique_ptr<sim::Population> make_linear_population(const std::string& name, sim::Index size,
                                                        LinearModelSpec spec) {
    node_offsets(spec, size);  // (may move the reference threshold: before the flows take it)
    const int n = static_cast<int>(spec.variables.size());
    if (n <= kMaxSmallLinear) {
        const std::string who = "model '" + spec.name + "'";
        const Eigen::RowVectorXd theta = augmented_theta(spec);
        const LinearFlow free(augmented(spec, false), theta, true, who);
        const LinearFlow refractory(augmented(spec, true), theta, false, who);
        // The fast core needs both flows modal and stable (its bounds assume decaying terms).
        const bool fits = free.form() == LinearFlow::Form::Modal &&
                          refractory.form() == LinearFlow::Form::Modal &&
                          (free.eigenvalues().array() <= 0.0).all();
        if (fits) {
            switch (n) {
                case 1: return small<1>(name, size, spec, free, refractory);
                case 2: return small<2>(name, size, spec, free, refractory);
                case 3: return small<3>(name, size, spec, free, refractory);
                case 4: return small<4>(name, size, spec, free, refractory);
            }
        }
    }
    return std::make_unique<LinearPopulation>(name, size, std::move(spec));
}

}  // namespace delaysim::models
