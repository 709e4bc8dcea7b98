// Common base of spike sources: nodes without inputs or state variables whose
// spike times are known in advance (or drawn as the run goes). A source only
// answers "when is my next spike" and "I fired, move on".
#pragma once
#include <string>
#include <vector>

#include "sim/error.hpp"
#include "sim/population.hpp"

namespace delaysim::models {

class SpikeSource : public sim::Population {
public:
    SpikeSource(const std::string& name, sim::Index size, std::string model)
        : Population(name, size), model_(std::move(model)) {}
    const std::string& model() const override { return model_; }
    bool is_source() const override { return true; }
    const std::vector<sim::PortInfo>& ports() const override {
        static const std::vector<sim::PortInfo> none;
        return none;
    }
    const std::vector<sim::VariableInfo>& variables() const override {
        static const std::vector<sim::VariableInfo> none;
        return none;
    }
    void advance(sim::Index, sim::Time) override {}
    void receive(sim::Index, std::size_t, double, sim::Time) override {
        DS_ASSERT(!"spike sources have no input ports");
    }
    double value(sim::Index, std::size_t, sim::Time) const override { return 0.0; }
    void set_value(sim::Index, std::size_t, double) override {
        throw sim::UserError("spike source '" + name() + "' has no state variables to set");
    }

private:
    std::string model_;
};

}  // namespace delaysim::models
