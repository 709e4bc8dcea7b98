// [record] -> sim::RecordSpec (indices instead of names). Path, config text,
// seed and t_stop are filled in by the caller.
#pragma once
#include "sim/network.hpp"
#include "sim/record_spec.hpp"
#include "sim/config/spec.hpp"

namespace delaysim::config {

sim::RecordSpec lower_record(const RecordSpecs& rec, const sim::Network& net);

}  // namespace delaysim::config
