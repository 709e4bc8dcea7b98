// Mistakes that would pass silently: the config runs, but not as its author
// meant. Each becomes a Warning located in the config; `--strict` turns them
// into errors (sim/config/run.cpp).
//   - initial weights outside a weight rule's [w_min, w_max] (Rule::weight_range):
//     the rule would clamp them at its first update without a word;
//   - a rule none of whose hooks can fire on one of its projections (an
//     on_inhibited-only rule such as loser_delay_shift onto a population that
//     receives nothing on an inhibit port): zero changes;
//   - a delay-writing rule on a lag projection whose delay_max_ms lies past the
//     model's limit on the chain's mean delay D (LagPorts::lag_limit).
#pragma once
#include <vector>

#include "sim/config/lower.hpp"
#include "sim/config/spec.hpp"

namespace delaysim::config {

// `lowered` as lower() builds it: network and rules, rules not yet attached;
// lowered.rules[k] comes from spec.plasticity[k].
std::vector<Warning> lint(const ConfigSpec& spec, const Lowered& lowered);

}  // namespace delaysim::config
