// A well-formed test plug-in: one rule (weight_step_test) and one neuron model
// (plugin_lif: the built-in lif_exp under another name, to exercise the model
// route: parameters, ports, batching and recording come from its ModelInfo).
#include "models/lif_exp.hpp"
#include "sim/config/plugin.hpp"
#include "weight_step.hpp"

DELAYSIM_PLUGIN(registrar) {
    registrar.add_rule(delaysim_test::WeightStep::info("weight_step_test"));
    auto m = delaysim::models::LifExp::info();
    m.name = "plugin_lif";
    m.doc = "test plug-in: lif_exp under another name";
    registrar.add_model(std::move(m));
}
