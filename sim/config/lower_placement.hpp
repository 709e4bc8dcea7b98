// [[population]] rank -> Network::rank, refused (UserError at the projection or
// the rank key) if the partitioner cannot honour it (sim/partition.hpp).
#pragma once
#include "sim/config/lower.hpp"

namespace delaysim::config {

// After the network and the rules are lowered.
void lower_placement(const ConfigSpec& spec, Lowered& out);

}  // namespace delaysim::config
