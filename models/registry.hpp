// The one explicit list of neuron models and spike sources (registry.cpp).
// Each entry describes itself (parameters, ports, variables) so the loader can
// validate a config against it and `delaysim list` can print it.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/param.hpp"
#include "sim/population.hpp"

namespace delaysim::models {

struct ModelInfo {
    std::string name;  // as written in a config: model = "coincidence"
    bool is_source = false;
    std::string doc;   // one line
    std::vector<sim::ParamInfo> params;
    std::vector<sim::PortInfo> ports;
    std::vector<sim::VariableInfo> variables;
    // Build a population. `seed` is the population's own random stream (sources).
    // Throws sim::UserError for parameter combinations the ranges cannot express.
    std::function<std::unique_ptr<sim::Population>(const std::string& name, sim::Index size,
                                                   const sim::Params& params, std::uint64_t seed)>
        make;
};

const std::vector<ModelInfo>& model_registry();
// nullptr if unknown.
const ModelInfo* find_model(const std::string& name);
// "coincidence, lif_exp, ..." for error messages.
std::string model_names();

}  // namespace delaysim::models
