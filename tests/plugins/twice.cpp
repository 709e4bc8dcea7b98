// A test plug-in that registers one name twice: refused, nothing registered.
#include "sim/config/plugin.hpp"
#include "weight_step.hpp"

DELAYSIM_PLUGIN(registrar) {
    registrar.add_rule(delaysim_test::WeightStep::info("twice_test"));
    registrar.add_rule(delaysim_test::WeightStep::info("twice_test"));
}
