// The independent reference for the linear cores (models/linear_population.hpp,
// models/small_linear.hpp): the exact solution of dx/dt = A x + b from x0 after t ms,
// z(t) = expm(M t) (x0, 1) with the augmented M = [[A, b], [0, 0]], by Eigen's matrix
// exponential (Pade with scaling and squaring: no eigenvectors, no modal form).
#pragma once
#include <Eigen/Dense>
#include <unsupported/Eigen/MatrixFunctions>

#include "models/linear_population.hpp"

namespace delaysim::testing {

inline Eigen::VectorXd expm_reference(const models::LinearModelSpec& s, const Eigen::VectorXd& x0, double t) {
    const Eigen::Index n = s.a.rows();
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n + 1, n + 1);
    m.topLeftCorner(n, n) = s.a;
    m.topRightCorner(n, 1) = s.b;
    Eigen::VectorXd z(n + 1);
    z << x0, 1.0;
    return ((m * t).exp() * z).head(n);
}

}  // namespace delaysim::testing
