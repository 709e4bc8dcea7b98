#include "models/small_linear.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/exp_sum.hpp"
#include "models/linear_bounds.hpp"
#include "sim/error.hpp"

namespace delaysim::models {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A modal coefficient this small relative to its vector's largest is rounding of an
// exact zero (a jump that does not excite that mode).
constexpr double kZeroCoef = 1e-12;

template <int Z>
std::array<std::array<double, Z>, Z> fixed(const Eigen::MatrixXd& m) {
    std::array<std::array<double, Z>, Z> out{};
    for (int r = 0; r < Z; ++r)
        for (int c = 0; c < Z; ++c) out[r][c] = m(r, c);
    return out;
}

template <int Z>
std::array<double, Z> times(const std::array<std::array<double, Z>, Z>& m, const std::array<double, Z>& x) {
    std::array<double, Z> y{};
    for (int r = 0; r < Z; ++r) {
        double s = 0.0;
        for (int c = 0; c < Z; ++c) s += m[r][c] * x[c];
        y[r] = s;
    }
    return y;
}

}  // namespace

template <int N>
SmallLinear<N>::SmallLinear(const std::string& name, sim::Index size, LinearModelSpec spec,
                            const LinearFlow& free, const LinearFlow& refractory)
    : Population(name, size), spec_(std::move(spec)), ports_(spec_.ports.size()) {
    DS_ASSERT(free.form() == LinearFlow::Form::Modal && refractory.form() == LinearFlow::Form::Modal);
    const std::vector<Eigen::VectorXd> offsets = node_offsets(spec_, size);  // (before theta_v)
    DS_ASSERT(static_cast<int>(spec_.variables.size()) == N);
    const Eigen::MatrixXd& v = free.modal_basis();
    const Eigen::MatrixXd& vi = free.modal_inverse();
    v_ = fixed<Z>(v);
    v_inv_ = fixed<Z>(vi);
    Eigen::RowVectorXd theta(Z);
    theta << spec_.theta, spec_.theta_c;
    const Eigen::RowVectorXd tv = theta * v;
    for (int k = 0; k < Z; ++k) {
        lambda_[k] = free.eigenvalues()(k);
        theta_v_[k] = tv(k);
        lambda_ref_[k] = refractory.eigenvalues()(k);
        same_rate_[k] = -1;
        for (int m = 0; m < k && same_rate_[k] < 0; ++m)
            if (lambda_[m] == lambda_[k]) same_rate_[k] = m;
        rate_class_[k] = lambda_[k] == 0.0    ? -1
                         : same_rate_[k] >= 0 ? rate_class_[same_rate_[k]]
                                              : rate_classes_++;
        if (rate_class_[k] >= 0) class_rate_[rate_class_[k]] = -lambda_[k];
        top_floor_[k] = lambda_[k] == 0.0 ? -kInf : 0.0;
        const_weight_[k] = lambda_[k] == 0.0 ? 1.0 : 0.0;
        ref_same_[k] = -1;
        for (int m = 0; m < k && ref_same_[k] < 0; ++m)
            if (lambda_ref_[m] == lambda_ref_[k]) ref_same_[k] = m;
    }
    const_last_ = lambda_[Z - 1] == 0.0;
    for (int k = 0; k < Z - 1; ++k) const_last_ = const_last_ && lambda_[k] != 0.0;
    // e^{M_ref s} in the free modal basis, F diag(e^{lambda_ref s}) T with F T = I, is
    // I + sum_c (e^{lambda_c s} - 1) Q_c over the distinct decaying refractory rates c,
    // Q_c = sum of F[:, k] T[k, :] over c's modes: kept as its nonzero entries (few: a
    // clamped V leaves the currents' modes and V's), entries at rounding level dropped.
    const Eigen::MatrixXd to_ref = refractory.modal_inverse() * v, from_ref = vi * refractory.modal_basis();
    for (int k = 0; k < Z; ++k) {
        if (lambda_ref_[k] == 0.0 || ref_same_[k] >= 0) continue;
        Eigen::MatrixXd q = Eigen::MatrixXd::Zero(Z, Z);
        for (int m = k; m < Z; ++m)
            if (lambda_ref_[m] == lambda_ref_[k]) q += from_ref.col(m) * to_ref.row(m);
        const double big = q.cwiseAbs().maxCoeff();
        RefClass c{lambda_ref_[k], {}};
        for (int r = 0; r < Z; ++r)
            for (int col = 0; col < Z; ++col)
                if (std::abs(q(r, col)) > 0x1p-50 * big) c.q.push_back({r, col, q(r, col)});
        ref_classes_.push_back(std::move(c));
    }
    Eigen::MatrixXd r = Eigen::MatrixXd::Identity(Z, Z);
    r.topLeftCorner(N, N) = spec_.reset_m;
    r.topRightCorner(N, 1) = spec_.reset_c;
    reset_ = fixed<Z>(vi * r * v);
    // Node i's reset [[R, r_i], [0, 1]] = that + [[0, r_i - r], [0, 0]] acts on z = V y + o_i
    // (o_i: node_offsets), so y' = reset_ y + V^-1 ((R_aug - I) o_i + (r_i - r, 0)).
    auto to_vec = [](const Eigen::VectorXd& x) {
        Vec out{};
        for (int k = 0; k < Z; ++k) out[k] = x(k);
        return out;
    };
    if (!spec_.reset_c_node.empty() || !offsets.empty()) {
        for (sim::Index i = 0; i < size; ++i) {
            Eigen::VectorXd dz = Eigen::VectorXd::Zero(Z);
            dz.head(N) = spec_.reset_c_of(i) - spec_.reset_c;
            if (!offsets.empty()) dz += (r - Eigen::MatrixXd::Identity(Z, Z)) * offsets[i];
            reset_node_.push_back(to_vec(vi * dz));
        }
    }
    for (const Eigen::VectorXd& o : offsets) offset_node_.push_back(to_vec(o));
    spec_.reset_c_node.clear();  // (kept as reset_node_)
    negative_harmless_ = true;
    for (const Eigen::VectorXd& j : spec_.jumps) {
        Eigen::VectorXd dz = Eigen::VectorXd::Zero(Z), dz_ref = Eigen::VectorXd::Zero(Z);
        dz.head(N) = j;
        for (int k = 0; k < N; ++k)
            if (!spec_.clamped[static_cast<std::size_t>(k)]) dz_ref(k) = j(k);
        const Eigen::VectorXd c = vi * dz, c_ref = vi * dz_ref;
        Vec cp{}, cr{};
        const double big = c.cwiseAbs().maxCoeff();
        for (int k = 0; k < Z; ++k) {
            cp[k] = std::abs(c(k)) <= kZeroCoef * big ? 0.0 : c(k);
            cr[k] = c_ref(k);
        }
        jump_.push_back(cp);
        jump_ref_.push_back(cr);
        rise_pos_.push_back(rise(cp, 1.0));
        rise_neg_.push_back(rise(cp, -1.0));
        // g_p(u) = sum_k a_k e^{lambda_k u} >= 0 for all u >= 0? Exactly for up to two
        // distinct rates: the slowest term's coefficient >= 0 and g_p(0) >= 0.
        std::array<double, Z> a{}, rate{};
        int terms = 0;
        double g0 = 0.0, scale = 0.0;
        for (int k = 0; k < Z; ++k) {
            const double ak = theta_v_[k] * cp[k];
            g0 += ak;
            scale += std::abs(ak);
            if (ak == 0.0) continue;
            int m = 0;
            while (m < terms && rate[m] != -lambda_[k]) ++m;
            if (m == terms) rate[terms++] = -lambda_[k], a[m] = 0.0;
            a[m] += ak;
        }
        bool ok = g0 >= -kZeroCoef * scale;
        if (terms > 2) {
            for (int m = 0; m < terms; ++m) ok = ok && a[m] >= 0.0;
        } else if (terms == 2) {
            ok = ok && (rate[0] < rate[1] ? a[0] : a[1]) >= 0.0;
        }
        negative_harmless_ = negative_harmless_ && ok;
    }
    state_.resize(size);
    for (sim::Index i = 0; i < size; ++i) {
        Vec z{};
        for (int k = 0; k < N; ++k) z[k] = spec_.initial_of(i)(k);
        z[N] = 1.0;
        state_[i].y = times<Z>(v_inv_, minus_offset(i, z));
    }
    // Batching as LinearPopulation: t_ref > 0 (with t_ref = 0 a spike between two inputs
    // of one instant would keep the second, while the event loop applies both first).
    // A slope bound only pays where the exact search is one (several rates); with one
    // decaying rate next_spike is a logarithm.
    int rates = 0;
    for (int k = 0; k < Z; ++k) {
        bool seen = lambda_[k] == 0.0;
        for (int m = 0; m < k; ++m) seen = seen || lambda_[m] == lambda_[k];
        rates += !seen;
    }
    sim::Capabilities caps{.bounds = rates > 1 ? this : nullptr};
    // With t_ref = 0 only where no input jumps f (lif_exp's currents): f is then continuous
    // at every input, so no spike can fall between two inputs of one instant.
    bool continuous = true;
    for (const Eigen::VectorXd& j : spec_.jumps) continuous = continuous && spec_.theta.dot(j) == 0.0;
    if (spec_.min_t_ref() > 0.0 || continuous) {
        caps.batching = this;
        plan_superposition();
        if (kernel_.r_m >= 0.0) caps.superposition = this;
    }
    declare(caps);
}

// The kernel's modes (header); r_m < 0 marks "no superposition".
template <int N>
void SmallLinear<N>::plan_superposition() {
    kernel_.r_m = -1.0;
    if (!negative_harmless_ || ports_ > sim::SliceKernel::kPorts) return;
    // Per port its modes; pairs must share one mode m.
    std::array<std::vector<int>, sim::SliceKernel::kPorts> support;
    std::vector<int> shared;
    bool any_pair = false;
    for (std::size_t p = 0; p < ports_; ++p) {
        for (int k = 0; k < Z; ++k)
            if (jump_[p][k] != 0.0) support[p].push_back(k);
        if (support[p].size() > 2) return;
        if (support[p].size() == 2) {
            if (!any_pair) {
                shared = support[p];
            } else {
                std::erase_if(shared, [&](int k) {
                    return std::find(support[p].begin(), support[p].end(), k) == support[p].end();
                });
            }
            any_pair = true;
        }
    }
    if (any_pair && shared.empty()) return;
    shared_mode_ = any_pair ? shared.front() : 0;
    const int m = shared_mode_;
    for (std::size_t p = 0; p < sim::SliceKernel::kPorts; ++p) {
        int own = m;
        double kf = 0.0;
        if (p < ports_)
            for (int k : support[p])
                if (support[p].size() == 1 || k != m) own = k;
        if (p < ports_ && support[p].size() == 2) kf = jump_[p][m];
        own_mode_[p] = own;
        own_coef_[p] = p < ports_ ? jump_[p][own] : 0.0;
        sup_rise_[p] = p < ports_ ? rise_pos_[p] : Rise{0.0, 0.0, 0.0};
        kernel_.r[p] = -lambda_[own];
        kernel_.kf[p] = kf;
    }
    kernel_.r_m = -lambda_[m];
}

// g(u) = sum_k a_k e^{lambda_k u} (a_k = sign theta_v_k c_k): g <= min(g(0) + u S, top)
// with S >= sup g' and top >= sup g. With at most two distinct decaying rates both
// sups are exact (two_rate_peak on g and on g' = sum -r a e^{-r u}, each with one
// critical point at most): for lif_exp's PSP, S = 1/C_m and top = its peak, where the
// sums of positive parts give up to twice as much (and refuse batches lif_exp takes).
template <int N>
typename SmallLinear<N>::Rise SmallLinear<N>::rise(const Vec& c, double sign) const {
    Rise r{0.0, 0.0, 0.0};
    double c0 = 0.0, sum[Z] = {};
    for (int k = 0; k < Z; ++k) {
        const double a = sign * theta_v_[k] * c[k];
        r.f0 += a;
        r.slope += std::max(lambda_[k] * a, 0.0);
        r.top += lambda_[k] == 0.0 ? a : std::max(a, 0.0);
        if (rate_class_[k] < 0)
            c0 += a;
        else
            sum[rate_class_[k]] += a;
    }
    double a[2] = {0.0, 0.0}, rate[2] = {1.0, 2.0};
    int terms = 0;
    for (int m = 0; m < rate_classes_; ++m) {
        if (sum[m] == 0.0) continue;
        if (terms == 2) return r;  // three rates: the sums of positive parts
        a[terms] = sum[m];
        rate[terms++] = class_rate_[m];
    }
    r.top = std::min(r.top, two_rate_peak(c0, a[0], rate[0], a[1], rate[1]));
    r.slope = std::min(r.slope, two_rate_peak(0.0, -rate[0] * a[0], rate[0], -rate[1] * a[1], rate[1]));
    return r;
}

template <int N>
double SmallLinear<N>::f(const Vec& y) const {
    double s = 0.0;
    for (int k = 0; k < Z; ++k) s += theta_v_[k] * y[k];
    return s;
}

template <int N>
template <bool Scale>
[[gnu::always_inline]] inline typename SmallLinear<N>::Ceiling SmallLinear<N>::ceiling(const Vec& y) const {
    Ceiling c{0.0, 0.0, 0.0, 0.0, 0.0};
    if (const_last_) {
        // The common shape: decaying modes, then the constant one. The same sums in the
        // same order without the constant mode's zero slope and the decaying modes'
        // zero constant terms: the same bits, no per-mode floor and weight loads.
        for (int k = 0; k < Z - 1; ++k) {
            const double a = theta_v_[k] * y[k];
            c.f0 += a;
            c.top += positive(a);
            c.slope += positive(lambda_[k] * a);
            if constexpr (Scale) c.scale += std::abs(a);
        }
        const double a = theta_v_[Z - 1] * y[Z - 1];
        c.f0 += a;
        c.top += a;
        c.c0 = a;
        if constexpr (Scale) c.scale += std::abs(a);
        return c;
    }
    for (int k = 0; k < Z; ++k) {
        const double a = theta_v_[k] * y[k];
        c.f0 += a;
        c.top += max_sd(a, top_floor_[k]);  // a for a constant mode, else max(a, 0)
        c.c0 += a * const_weight_[k];       // summed as peak() sums it: the same bits
        c.slope += positive(lambda_[k] * a);
        if constexpr (Scale) c.scale += std::abs(a);
    }
    return c;
}

template <int N>
[[gnu::always_inline]] inline typename SmallLinear<N>::Vec SmallLinear<N>::free_step(const Vec& y,
                                                                                     double s) const {
    Vec out = y;
    if (s == 0.0) return out;
    double e[Z];  // one exponential per distinct rate, not per mode
    for (int c = 0; c < rate_classes_; ++c) e[c] = std::exp(-class_rate_[c] * s);
    for (int k = 0; k < Z; ++k)
        if (rate_class_[k] >= 0) out[k] *= e[rate_class_[k]];
    return out;
}

template <int N>
[[gnu::always_inline]] inline typename SmallLinear<N>::Vec SmallLinear<N>::grid_step(const Vec& y, double x,
                                                                                     sim::Time t1) const {
    const double f = x * grid_inv_h_;
    if (f > 0.5 && f < kGridSlices + 0.5) {
        const int m = static_cast<int>(f + 0.5);
        if (std::abs(x - m * grid_span_) <= kGridTol * t1) {
            const Vec& g = grid_[static_cast<std::size_t>(m)];
            Vec out;
            for (int k = 0; k < Z; ++k) out[k] = y[k] * g[k];
            return out;
        }
    }
    return table_step(y, x);
}

template <int N>
[[gnu::always_inline]] inline typename SmallLinear<N>::Vec SmallLinear<N>::table_step(const Vec& y,
                                                                                      double s) const {
    const sim::SliceExp& e0 = step_exp_[0];
    const double f = s * e0.inv_step();
    if (rate_classes_ == 0 || !(f > -1.0 && f < e0.steps() + 1.0)) [[unlikely]]
        return free_step(y, s);
    const int j = static_cast<int>(f);
    const double rho = s - j * e0.step();
    double e[Z];
    for (int c = 0; c < rate_classes_; ++c) e[c] = step_exp_[static_cast<std::size_t>(c)].at(j, rho);
    Vec out = y;
    for (int k = 0; k < Z; ++k)
        if (rate_class_[k] >= 0) out[k] *= e[rate_class_[k]];
    return out;
}

template <int N>
void SmallLinear<N>::build_grid(double h) {
    grid_span_ = h;
    grid_inv_h_ = 1.0 / h;
    double fastest = 0.0;
    for (int c = 0; c < rate_classes_; ++c) fastest = std::max(fastest, class_rate_[c]);
    for (int c = 0; c < rate_classes_; ++c)
        step_exp_[static_cast<std::size_t>(c)] = sim::SliceExp(class_rate_[c], kStepSlices * h, fastest);
    for (int m = 1; m <= kGridSlices; ++m) {
        Vec& g = grid_[static_cast<std::size_t>(m)];
        for (int k = 0; k < Z; ++k) g[k] = lambda_[k] == 0.0 ? 1.0 : std::exp(lambda_[k] * (m * h));
    }
}

// The table for slices of width t1 - t0 (again when the width drifts by more than
// rounding); on one thread before a settle phase, whose calls then only read it.
template <int N>
void SmallLinear<N>::prepare_settle(const Span& span) {
    if (const double h = span.t1 - span.t0; !(std::abs(h - grid_span_) <= 1e-9 * h)) build_grid(h);
}

template <int N>
typename SmallLinear<N>::Vec SmallLinear<N>::evolved(const State& s, sim::Time t) const {
    Vec y = s.y;
    sim::Time t0 = s.t;
    if (t0 < s.ref_end) {  // refractory part, in the refractory flow's basis
        const sim::Time t1 = std::min(t, s.ref_end);
        Vec u = y;  // (every variable clamped: no class, y holds)
        for (const RefClass& c : ref_classes_) {
            const double g = std::exp(c.lambda * (t1 - t0)) - 1.0;
            for (const RefEntry& q : c.q) u[q.row] += g * q.value * y[q.col];
        }
        y = u;
        t0 = t1;
    }
    // (One call of free_step: GCC then inlines it.)
    return t > t0 ? free_step(y, t - t0) : y;
}

template <int N>
void SmallLinear<N>::advance(sim::Index i, sim::Time t) {
    State& s = state_[i];
    if (event_loop_) return advance_event(s, i, t);
    s.y = evolved(s, t);
    s.t = t;
}

// Only the modes the port's jump excites (support_: the same sums, the zero terms left out).
template <int N>
void SmallLinear<N>::receive(sim::Index i, std::size_t port, double w, sim::Time t) {
    State& s = state_[i];
    const bool ref = t < s.ref_end;
    s.headroom = 0.0;
    if (support_.empty()) {
        const Vec& c = ref ? jump_ref_[port] : jump_[port];
        for (int k = 0; k < Z; ++k) s.y[k] += w * c[k];
        return;
    }
    const Support& sup = ref ? support_ref_[port] : support_[port];
    for (int j = 0; j < sup.n; ++j) s.y[sup.k[j]] += w * sup.c[j];
}

template <int N>
sim::Time SmallLinear<N>::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const State& s = state_[i];
    const sim::Time from = std::max(t, s.ref_end);
    if (!(from < horizon)) return sim::kNever;
    return exact_from(evolved(s, from), from, horizon);
}

// Inline in settle and absorb (their hot path: no call, y in registers); the
// rare proof below rheobase stays out of line (below_rheobase).
template <int N>
[[gnu::always_inline]] inline sim::Bound SmallLinear<N>::bound_at(const Vec& y, sim::Time from,
                                                                  sim::Time horizon, double* headroom) const {
    if (!(from < horizon)) return {sim::kNever, true};
    const Ceiling c = ceiling<false>(y);  // the scale only below rheobase
    if (c.f0 >= 0.0) return {from, true};
    if (c.top < 0.0) {
        // sum |a_k| from the sums at hand (2 x the positive decaying terms - their sum,
        // plus |c0|): equal to rounding, far below the margin's 1e-9.
        if (headroom) {
            const double scale = 2.0 * c.top - c.f0 - c.c0 + std::abs(c.c0);
            *headroom = std::max(-c.top - 1e-9 * (scale + 1.0), 0.0);
        }
        return {sim::kNever, true};
    }
    if (!(c.slope > 0.0)) return {sim::kNever, true};
    // Below rheobase, proven (peak() is +inf unless c0 < 0: not called then).
    if (c.c0 < 0.0 && below_rheobase(y, headroom)) return {sim::kNever, true};
    const sim::Time b = from - c.f0 / c.slope;
    if (!(b < horizon)) return {sim::kNever, true};
    return {b, false};
}

// The check absorb and settle return: a bound if the model has them, else the spike.
template <int N>
[[gnu::always_inline]] inline sim::Time SmallLinear<N>::check_from(const Vec& y, sim::Time from,
                                                                   sim::Time horizon,
                                                                   double* headroom) const {
    if (headroom) *headroom = 0.0;
    if (capabilities().bounds) return bound_at(y, from, horizon, headroom).t;
    return from < horizon ? exact_from(y, from, horizon) : sim::kNever;
}

template <int N>
sim::Time SmallLinear<N>::exact_from(const Vec& y, sim::Time from, sim::Time horizon) const {
    const Ceiling c = ceiling<false>(y);
    if (c.f0 >= 0.0) return from;
    if (c.top < 0.0) return sim::kNever;  // the positive terms alone stay below
    ExpTerm terms[Z];
    double c0 = 0.0, rate = 0.0;
    bool one_rate = true;  // f = c0 + c1 e^{-r s}: the crossing in closed form
    for (int k = 0; k < Z; ++k) {
        terms[k] = {theta_v_[k] * y[k], -lambda_[k]};
        if (lambda_[k] == 0.0) {
            c0 += terms[k].c;
        } else if (terms[k].c != 0.0) {
            one_rate = one_rate && (rate == 0.0 || rate == terms[k].r);
            rate = terms[k].r;
        }
    }
    if (one_rate) {
        if (!(c0 > 0.0) || rate == 0.0) return sim::kNever;  // f only approaches c0 <= 0
        const sim::Time t_cross = from + std::log((c0 - c.f0) / c0) / rate;
        return t_cross < horizon ? t_cross : sim::kNever;
    }
    const double x = first_crossing(terms, Z, horizon - from);
    return from + x < horizon ? from + x : sim::kNever;
}

// The largest f over s >= 0, exact, when f has a constant term c0 < 0 and at most two
// distinct decaying rates (f - c0 = c1 e^{-r1 s} + c2 e^{-r2 s} has at most one critical
// point s* = ln(-c2 r2 / (c1 r1)) / (r2 - r1)); +inf where this does not apply.
template <int N>
double SmallLinear<N>::peak(const Vec& y) const {
    // Per distinct decaying rate (rate_class_, fixed at construction) its summed term.
    double c0 = 0.0, sum[Z] = {};
    bool used[Z] = {};
    for (int k = 0; k < Z; ++k) {
        const double a = theta_v_[k] * y[k];
        const int m = rate_class_[k];
        if (m < 0) {
            c0 += a;
        } else {
            sum[m] += a;
            used[m] = used[m] || a != 0.0;
        }
    }
    if (!(c0 < 0.0)) return kInf;
    double c[2] = {0.0, 0.0}, r[2] = {0.0, 0.0};
    int terms = 0;
    for (int m = 0; m < rate_classes_; ++m) {
        if (!used[m]) continue;
        if (terms == 2) return kInf;
        c[terms] = sum[m];
        r[terms++] = class_rate_[m];
    }
    return two_rate_peak(c0, c[0], r[0], c[1], r[1]);
}

// The exact peak below rheobase under the margin: a "never" for all time (H set).
template <int N>
[[gnu::noinline]] bool SmallLinear<N>::below_rheobase(const Vec& y, double* headroom) const {
    const double margin = 1e-9 * (ceiling(y).scale + 1.0), top = peak(y);
    if (!(top < -margin)) return false;
    if (headroom) *headroom = -top - margin;
    return true;
}

template <int N>
sim::Bound SmallLinear<N>::bound_from(const Vec& y, sim::Time from, sim::Time horizon,
                                      double* headroom) const {
    return bound_at(y, from, horizon, headroom);
}

template <int N>
sim::Bound SmallLinear<N>::spike_bound(sim::Index i, sim::Time t, sim::Time horizon) {
    const State& s = state_[i];
    const sim::Time from = std::max(t, s.ref_end);
    if (from == s.t) return bound_from(s.y, from, horizon);  // (the node stands there: no step)
    return bound_from(evolved(s, from), from, horizon);
}

// Chained bounds for a node without input before b: no crossing before a bound, so
// bound again from there (each link costs n exponentials, an exact search ~20).
template <int N>
sim::Bound SmallLinear<N>::spike_bound_until(sim::Index i, sim::Time t, sim::Time b, sim::Time horizon) {
    const State& s = state_[i];
    sim::Time from = std::max(t, s.ref_end);
    Vec y = evolved(s, from);
    for (int link = 0;; ++link) {
        const sim::Bound bound = bound_from(y, from, horizon);
        if (bound.exact || !(bound.t < b) || link == 3) return bound;
        y = free_step(y, bound.t - from);
        from = bound.t;
    }
}

template <int N>
void SmallLinear<N>::fire(sim::Index i, sim::Time t) {
    State& s = state_[i];
    s.y = times<Z>(reset_, s.y);
    if (!reset_node_.empty())
        for (int k = 0; k < Z; ++k) s.y[k] += reset_node_[i][k];
    s.t = t;
    const double t_ref = spec_.t_ref_of(i);
    s.ref_end = t + t_ref;
    s.headroom = 0.0;
    // Still at threshold with no refractory period: it would fire forever at t.
    if (t_ref == 0.0 && f(s.y) >= 0.0)
        throw sim::UserError("model '" + spec_.name + "': node " + std::to_string(i) + " of population '" +
                             name() +
                             "' is still at threshold right after its reset at t = " + sim::fmt_ms(t) +
                             " (with no refractory period it would fire forever at one instant)");
}

template <int N>
double SmallLinear<N>::value(sim::Index i, std::size_t var, sim::Time t) const {
    const Vec y = evolved(state_[i], t);
    double x = offset_node_.empty() ? 0.0 : offset_node_[i][var];
    for (int k = 0; k < Z; ++k) x += v_[var][k] * y[k];
    return x;
}

template <int N>
void SmallLinear<N>::set_value(sim::Index i, std::size_t var, double x) {
    State& s = state_[i];
    Vec z = times<Z>(v_, s.y);
    if (!offset_node_.empty())
        for (int k = 0; k < Z; ++k) z[k] += offset_node_[i][k];
    z[var] = x;
    z[N] = 1.0;
    s.y = times<Z>(v_inv_, minus_offset(i, z));
    s.headroom = 0.0;
}

template <int N>
bool SmallLinear<N>::may_spike_before(sim::Index i, sim::Time t1, const double* w_plus) const {
    const State& s = state_[i];
    // Refractory past t1: no spike before it. (Not at t1 = ref_end: a model may be at
    // threshold again right then, before an input at t1.)
    if (t1 < s.ref_end) return false;
    if (!negative_harmless_ || s.ref_end > s.t) return true;
    const Ceiling c = ceiling(s.y);
    const double u = t1 - s.t;
    double top = std::min(c.f0 + u * c.slope, c.top), scale = c.scale;
    for (std::size_t p = 0; p < ports_; ++p) {
        const double rise = w_plus[p] * std::max(rise_pos_[p].at(u), 0.0);
        top += rise;
        scale += std::abs(rise);
    }
    return !(top < -1e-9 * (scale + 1.0));
}

template <int N>
[[gnu::always_inline]] inline void SmallLinear<N>::apply_free(Vec& y, sim::Time& t, const sim::SliceInput* in,
                                                              std::size_t k, std::size_t n) const {
    for (; k < n; ++k) {
        y = free_step(y, in[k].t - t);
        t = in[k].t;
        const Vec& j = jump_[in[k].port];
        for (int m = 0; m < Z; ++m) y[m] += in[k].w * j[m];
    }
}

template <int N>
sim::MaybeTime SmallLinear<N>::absorb(sim::Index i, const sim::SliceInput* in, std::size_t n,
                                      sim::Time horizon) {
    State& s = state_[i];
    Vec y = s.y;
    sim::Time t = s.t;
    // Within its headroom the node still never fires: no bound at all (header). (H > 0
    // only where the node is not refractory at s.t.)
    if (s.headroom > 0.0) {
        if (const double rise = input_tops(in, n); rise < s.headroom) {
            apply_free(y, t, in, 0, n);
            s.y = y;
            s.t = t;
            s.headroom -= rise;
            return sim::kNever;
        }
    }
    std::size_t k = 0;
    if (s.ref_end > s.t) {
        // Refractory at its last update: no spike before ref_end, so the inputs before
        // it are applied on the refractory flow without a proof (clamped entries
        // dropped, as receive does), and those at or after it need the free proof
        // from ref_end.
        State r = s;
        for (; k < n && in[k].t < s.ref_end; ++k) {
            r.y = evolved(r, in[k].t);
            r.t = in[k].t;
            const Vec& j = jump_ref_[in[k].port];
            for (int m = 0; m < Z; ++m) r.y[m] += in[k].w * j[m];
        }
        if (k == n) {  // all while refractory: the check from ref_end on
            s.y = r.y;
            s.t = r.t;
            const sim::Time from = std::max(r.t, s.ref_end);
            double headroom;  // (holds from ref_end on only: not kept)
            const sim::Time next = check_from(evolved(r, from), from, horizon, &headroom);
            s.headroom = 0.0;
            return next;
        }
        y = evolved(r, s.ref_end);
        t = s.ref_end;
    }
    const Ceiling c = ceiling(y);
    const sim::Time t_last = in[n - 1].t;
    const double top = std::min(c.f0 + (t_last - t) * c.slope, c.top);
    if (!inputs_stay_below(rise_pos_, rise_neg_, in + k, n - k, top, c.scale)) return std::nullopt;
    apply_free(y, t, in, k, n);
    s.y = y;
    s.t = t;
    return check_from(y, t_last, horizon, &s.headroom);
}

template <int N>
double SmallLinear<N>::input_tops(const sim::SliceInput* in, std::size_t n) const {
    double rise = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
        const double w = in[k].w;
        const InputRise& r = w > 0.0 ? rise_pos_[in[k].port] : rise_neg_[in[k].port];
        rise += std::abs(w) * positive(r.top);
    }
    return rise;
}

template <int N>
sim::MaybeTime SmallLinear<N>::settle(sim::Index i, const sim::SliceSum& sum, const Span& span) {
    State& s = state_[i];
    // Refractory when an input arrives: clamped variables ignore it, no superposition.
    if (!(s.ref_end < sum.t_first)) return std::nullopt;
    Vec y0 = s.y;
    sim::Time t0 = s.t;
    if (t0 < s.ref_end) {
        y0 = evolved(s, s.ref_end);
        t0 = s.ref_end;
    }
    const sim::Time t1 = span.t1;
    SmallLinear::prepare_settle(span);  // (a no-op after the engine's call)
    const Ceiling c = ceiling(y0);
    const double u = t1 - sum.t_first;
    // (A fixed count of ports: an absent one adds zero. Each rise is >= 0.)
    double inputs = 0.0, scale = c.scale;
    for (std::size_t p = 0; p < sim::SliceKernel::kPorts; ++p) {
        const double rise = sum.w_plus[p] * std::max(sup_rise_[p].at(u), 0.0);
        inputs += rise;
        scale += rise;
    }
    const double margin = -1e-9 * (scale + 1.0);
    Vec y1 = grid_step(y0, t1 - t0, t1);
    if (!(std::min(c.f0 + (t1 - t0) * c.slope, c.top) + inputs < margin)) {
        // Backwards from f(t1) over [t_first, t1]; before t_first the engine's check
        // already excludes a free crossing.
        if (!(span.quiet_until >= sum.t_first)) return std::nullopt;
        // e^x - 1 <= x + (e - 2) x^2 for 0 <= x <= 1 (the series from x^2 on), so no
        // exponential in the common case; beyond, expm1 itself.
        double back = 0.0;
        for (int k = 0; k < Z; ++k) {
            const double a = theta_v_[k] * y1[k], x = -lambda_[k] * u;
            back += a + positive(a) * (x <= 1.0 ? x * (1.0 + 0.71829 * x) : std::expm1(x));
        }
        if (!(back + inputs < margin)) return std::nullopt;
    }
    double shared = -sum.v;
    for (std::size_t p = 0; p < ports_; ++p) {
        y1[own_mode_[p]] += own_coef_[p] * sum.syn[p];
        shared += kernel_.kf[p] * sum.syn[p];
    }
    y1[shared_mode_] += shared;
    s.y = y1;
    s.t = t1;
    return check_from(y1, t1, span.horizon, &s.headroom);
}

// The event loop's decay factors (header: Instant, NodeScale) and receive's supports.
template <int N>
void SmallLinear<N>::on_event_loop(bool only) {
    support_.assign(ports_, {});
    support_ref_.assign(ports_, {});
    for (std::size_t p = 0; p < ports_; ++p)
        for (int k = 0; k < Z; ++k) {
            const auto keep = [k](Support& sup, double c) {
                if (c != 0.0) sup.k[sup.n] = k, sup.c[sup.n++] = c;
            };
            keep(support_[p], jump_[p][k]);
            keep(support_ref_[p], jump_ref_[p][k]);
        }
    double fastest = 0.0;
    for (int c = 0; c < rate_classes_; ++c) fastest = std::max(fastest, class_rate_[c]);
    event_loop_ = only && fastest > 0.0 && std::isfinite(fastest);
    if (!event_loop_) {
        scale_ = {};
        return;
    }
    // E r <= 8: G >= e^-8, so H stays small and the argument's rounding below 2e-15.
    epoch_ = std::exp2(std::floor(std::log2(8.0 / fastest)));
    inv_epoch_ = 1.0 / epoch_;
    instant_ = {};
    scale_.assign(state_.size(), {});
}

// Per mode (1 for rate 0: no per-class gather at a delivery), e^{-r x} of its rate class.
template <int N>
std::array<double, SmallLinear<N>::Z> SmallLinear<N>::mode_decay(double x) const {
    double g[Z];
    for (int c = 0; c < rate_classes_; ++c) g[c] = std::exp(-class_rate_[c] * x);
    std::array<double, Z> m;
    for (int k = 0; k < Z; ++k) m[k] = rate_class_[k] >= 0 ? g[rate_class_[k]] : 1.0;
    return m;
}

// G(t) and H(t) for every mode; t - T is exact (T <= t < 2 T, or T = 0).
template <int N>
void SmallLinear<N>::fill_instant(sim::Time t) {
    instant_.t = t;
    instant_.t_epoch = std::floor(t * inv_epoch_) * epoch_;
    instant_.g = mode_decay(t - instant_.t_epoch);
    for (int k = 0; k < Z; ++k) instant_.h[k] = 1.0 / instant_.g[k];
}

template <int N>
void SmallLinear<N>::scale_at(NodeScale& h, sim::Time t0) const {
    const std::array<double, Z> g = mode_decay(t0 - instant_.t_epoch);
    for (int k = 0; k < Z; ++k) h.h[k] = 1.0 / g[k];
}

template <int N>
[[gnu::always_inline]] inline void SmallLinear<N>::advance_event(State& s, sim::Index i, sim::Time t) {
    if (t != instant_.t) fill_instant(t);
    NodeScale& h = scale_[i];
    if (s.t < t && s.t >= s.ref_end && s.t >= instant_.t_epoch) {  // free, within t's epoch
        if (h.t != s.t) [[unlikely]]  // H(s.t), as fill_instant computes it (the same epoch)
            scale_at(h, s.t);
        for (int k = 0; k < Z; ++k) s.y[k] *= instant_.g[k] * h.h[k];  // (1 x 1 for rate 0: exact)
    } else {
        s.y = evolved(s, t);
    }
    s.t = t;
    h.t = t;
    h.h = instant_.h;
}

template class SmallLinear<1>;
template class SmallLinear<2>;
template class SmallLinear<3>;
template class SmallLinear<4>;

}  // namespace delaysim::models
