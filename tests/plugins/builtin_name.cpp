// A test plug-in that registers a rule under a built-in's name: refused.
#include "sim/config/plugin.hpp"
#include "weight_step.hpp"

DELAYSIM_PLUGIN(registrar) {
    registrar.add_rule(delaysim_test::WeightStep::info("stdp_weight"));
}
