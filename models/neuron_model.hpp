// Common base of neuron models: the name, ports and variables a Population
// reports come from the model's own description (its ModelInfo), so each model
// states them once, in info().
#pragma once
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "sim/population.hpp"

namespace delaysim::models {

class NeuronModel : public sim::Population {
public:
    // `described` must outlive the population (models pass a function-local static).
    NeuronModel(const std::string& name, sim::Index size, const ModelInfo& described)
        : Population(name, size), described_(described) {}
    const std::string& model() const override { return described_.name; }
    bool is_source() const override { return false; }
    const std::vector<sim::PortInfo>& ports() const override { return described_.ports; }
    const std::vector<sim::VariableInfo>& variables() const override { return described_.variables; }

private:
    const ModelInfo& described_;
};

// The description of model M, built once.
template <class M>
const ModelInfo& described() {
    static const ModelInfo info = M::info();
    return info;
}

}  // namespace delaysim::models
