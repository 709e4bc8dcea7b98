// [[model]] declarations -> models::LinearPopulation (models/linear_population.hpp).
// Expressions (equations, jumps, threshold, reset, refractory period, initial
// values) are evaluated as affine forms in the state variables, with the
// parameters as numbers: "dV/dt = (E_L - V)/tau + I/C" gives a row of A and an
// entry of b. Anything not linear in the state (a product or quotient of two
// state-dependent terms, a function) is a located error saying so, pointing into
// the string. Grammar: numbers, names, + - * /, parentheses.
#pragma once
#include <memory>
#include <vector>

#include "models/linear_population.hpp"
#include "sim/config/spec.hpp"
#include "sim/param.hpp"

namespace delaysim::config {

// The declaration named `name`, or nullptr.
const ModelDeclSpec* find_declared(const std::vector<ModelDeclSpec>& models, const std::string& name);

// Names unique and not built-in; each declaration evaluates and builds with its
// default parameters (so `validate` reports a broken declaration even if unused).
void check_declared_models(const std::vector<ModelDeclSpec>& models);

// The parameter table of a declared model (defaults as declared; unit from the
// name's suffix: tau_m_ms -> ms).
std::vector<sim::ParamInfo> declared_params(const ModelDeclSpec& d);

// The evaluated model with parameter values p.
models::LinearModelSpec linear_model_spec(const ModelDeclSpec& d, const sim::Params& p);

// A population of a declared model (population p's params against the declaration).
std::unique_ptr<sim::Population> lower_declared_population(const ModelDeclSpec& d, const PopulationSpec& p);

}  // namespace delaysim::config
