#include "models/registry.hpp"

#include "models/coincidence_lag.hpp"
#include "models/coincidence_neuron.hpp"
#include "models/explicit_source.hpp"
#include "models/lif_delta.hpp"
#include "models/lif_exp.hpp"
#include "models/pattern_source.hpp"
#include "models/poisson_source.hpp"

namespace delaysim::models {

namespace {

std::vector<ModelInfo>& registry() {
    // The one explicit list: neuron models, then spike sources.
    // clang-format off
    static std::vector<ModelInfo> models = {
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

}  // namespace

const std::vector<ModelInfo>& model_registry() {
    return registry();
}

void register_model(ModelInfo info) {
    if (const ModelInfo* m = find_model(info.name))
        throw sim::UserError(
            "model '" + info.name + "' is already registered (" +
            (m->origin == "built-in" ? std::string("a built-in model") : "by plug-in " + m->origin) + ")");
    registry().push_back(std::move(info));
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
