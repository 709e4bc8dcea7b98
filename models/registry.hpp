// The one explicit list of neuron models and spike sources (registry.cpp), plus
// those that run-time plug-ins register (sim/config/plugin.hpp). Each entry
// describes itself (parameters, ports, variables) so the loader can validate a
// config against it and `delaysim list` can print it.
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
    std::string doc;  // one line
    std::vector<sim::ParamInfo> params;
    std::vector<sim::PortInfo> ports;
    std::vector<sim::VariableInfo> variables;
    // Build a population. `seed` is the population's own random stream (sources).
    // Throws sim::UserError for parameter combinations the ranges cannot express.
    std::function<std::unique_ptr<sim::Population>(const std::string& name, sim::Index size,
                                                   const sim::Params& params, std::uint64_t seed)>
        make;
    // Where it comes from: "built-in", or the path of the plug-in that registered it.
    std::string origin = "built-in";
};

const std::vector<ModelInfo>& model_registry();
// nullptr if unknown.
const ModelInfo* find_model(const std::string& name);
// "coincidence, lif_exp, ..." for error messages.
std::string model_names();
// Adds a model (a plug-in's; origin set by the caller). A name that is already
// registered is a UserError naming who has it. Pointers from find_model stay
// valid until the next registration.
void register_model(ModelInfo info);

}  // namespace delaysim::models
