#include "models/registry.hpp"

#include "models/coincidence_lag.hpp"
#include "models/coincidence_neuron.hpp"
#include "models/explicit_source.hpp"
#include "models/lif_delta.hpp"
#include "models/lif_exp.hpp"
#include "models/pattern_source.hpp"
#include "models/poisson_source.hpp"

namespace delaysim::models {

const std::vector<ModelInfo>& model_registry() {
    // The one explicit list: neuron models, then spike sources.
    static const std::vector<ModelInfo> models = {
        CoincidenceNeuron::info(),
        CoincidenceLag::info(),
        LifExp::info(),
        LifDelta::info(),
        ExplicitSource::info(),
        PatternSource::info(),
        PoissonSource::info(),
    };
    return models;
}

const ModelInfo* find_model(const std::string& name) {
    for (const auto& m : model_registry())
        if (m.name == name) return &m;
    return nullptr;
}

std::string model_names() {
    std::string out;
    for (const auto& m : model_registry()) out += (out.empty() ? "" : ", ") + m.name;
    return out;
}

}  // namespace delaysim::models
