// `delaysim list`: every neuron model, spike source and plasticity rule with
// its parameters (name, unit, default, range, doc), ports and variables.
#pragma once
#include <ostream>

namespace delaysim::config {

void print_list(std::ostream& out);

}  // namespace delaysim::config
