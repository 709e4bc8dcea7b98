#include "models/linear_crossing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace delaysim::models {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class Search {
public:
    Search(const LinearSignal& s, const Eigen::RowVectorXd& w) : s_(s) {
        std::vector<double> r = s.rates;
        std::sort(r.begin(), r.end());  // slowest first, as in exp_sum
        const Eigen::Index n = s.m.rows();
        w_.push_back(w);
        for (std::size_t j = 0; j + 1 < r.size(); ++j) {
            Eigen::RowVectorXd next = w_.back() * (s.m + r[j] * Eigen::MatrixXd::Identity(n, n));
            const double scale = next.cwiseAbs().maxCoeff();
            if (!(scale > 0.0)) break;  // F_j is identically 0 from here on
            w_.push_back(next / scale);
        }
        z_.resize(n);
    }
    std::size_t levels() const { return w_.size(); }
    double f(std::size_t level, double x) {
        s_.state(x, z_);
        return w_[level].dot(z_);
    }
    // Sign changes of F_level in (lo, hi), ascending.
    std::vector<double> sign_changes(std::size_t level, double lo, double hi) {
        if (level + 1 >= w_.size()) return {};  // a single mode (or F == 0): no zero
        std::vector<double> pts{lo};
        for (double x : sign_changes(level + 1, lo, hi)) pts.push_back(x);
        pts.push_back(hi);
        std::vector<double> roots;
        double ga = f(level, pts[0]);
        for (std::size_t k = 0; k + 1 < pts.size(); ++k) {
            const double gb = f(level, pts[k + 1]);
            if ((ga < 0.0) != (gb < 0.0)) roots.push_back(refine(level, pts[k], pts[k + 1], ga, gb));
            ga = gb;
        }
        return roots;
    }
    // Bracket with a sign change; returns the end with the sign of g_hi.
    double refine(std::size_t level, double lo, double hi, double g_lo, double g_hi) {
        for (int it = 0; it < 300; ++it) {
            const double width = hi - lo;
            if (width <= 1e-15 * std::max(1.0, std::abs(hi)) + 1e-300) break;
            double mid = lo - g_lo * width / (g_hi - g_lo);
            if (!(mid > lo + 0.05 * width && mid < hi - 0.05 * width) || (it % 3) == 2)
                mid = lo + 0.5 * width;
            if (mid <= lo || mid >= hi) break;
            const double g = f(level, mid);
            if ((g >= 0.0) == (g_hi >= 0.0)) {
                hi = mid;
                g_hi = g;
            } else {
                lo = mid;
                g_lo = g;
            }
        }
        return hi;
    }

private:
    const LinearSignal& s_;
    std::vector<Eigen::RowVectorXd> w_;
    Eigen::VectorXd z_;
};

}  // namespace

double first_crossing(const LinearSignal& s, const Eigen::RowVectorXd& w, double x_max) {
    Search search(s, w);
    double g_prev = search.f(0, 0.0);
    if (g_prev >= 0.0) return 0.0;
    if (!(x_max > 0.0)) return kInf;
    // e^{r x} f is monotone between consecutive sign changes of F_1: the first piece
    // whose end is >= 0 holds the crossing.
    std::vector<double> pts{0.0};
    for (double x : search.sign_changes(1, 0.0, x_max)) pts.push_back(x);
    pts.push_back(x_max);
    for (std::size_t k = 1; k < pts.size(); ++k) {
        const double g = search.f(0, pts[k]);
        if (g >= 0.0) return search.refine(0, pts[k - 1], pts[k], g_prev, g);
        g_prev = g;
    }
    return kInf;
}

}  // namespace delaysim::models
