// A test plug-in that registers the name test_good registers: refused once
// test_good is loaded, naming test_good's file.
#include "sim/config/plugin.hpp"
#include "weight_step.hpp"

DELAYSIM_PLUGIN(registrar) {
    registrar.add_rule(delaysim_test::WeightStep::info("weight_step_test"));
}
