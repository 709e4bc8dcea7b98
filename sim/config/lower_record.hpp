// [record] -> sim::RecordSpec (indices instead of names). Path, config text,
// seed and t_stop are filled in by the caller. `rules` decide which synapse
// variables a [[record.synapses]] entry without `variables` samples: those an
// attached rule may change (Rule::writes_delays/writes_weights); the others are
// written once.
#pragma once
#include <vector>

#include "sim/config/lower.hpp"
#include "sim/config/spec.hpp"
#include "sim/network.hpp"
#include "sim/record_spec.hpp"

namespace delaysim::config {

sim::RecordSpec lower_record(const RecordSpecs& rec, const sim::Network& net,
                             const std::vector<LoweredRule>& rules);

}  // namespace delaysim::config
