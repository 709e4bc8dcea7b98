// `--set key.path=value`: edits the parsed TOML table before it is read, so an
// override is type-checked exactly like the file. Array-of-tables entries are
// addressed by their `name` (population.N1.params.tau_ms; record.traces by
// population, record.synapses by projection) or by a 0-based index.
//
// The value is TOML (100, 2.5, "text", [1, 2], { dist = "uniform", ... }); a
// bare word that is not TOML is taken as a string (--set simulation.inflight=retime).
// Nodes from an override carry the location `--set key.path=value:1:COL`, so
// later errors name the option and the column in it.
#pragma once
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace delaysim::config {

// Applies the overrides in order; a bad path or value is a sim::UserError.
void apply_overrides(toml::table& root, const std::vector<std::string>& sets);

}  // namespace delaysim::config
