// `delaysim list`: every neuron model, spike source and plasticity rule with
// its parameters (name, unit, default, range, doc), ports, variables and origin
// ("built-in" or the plug-in file).
#pragma once
#include <ostream>

namespace delaysim::config {

void print_list(std::ostream& out);

// `delaysim list --json`: the same as one JSON document (configs/README.md,
// "delaysim list --json"): {"delaysim_version", "models", "sources", "rules",
// "plugins"}; each model/source/rule has name, doc, origin, parameters (name,
// unit, kind, default, required, min, max, min_exclusive, max_exclusive, range,
// doc; an infinite bound is null), and models also ports (name, kind, doc) and
// variables (name, unit, doc).
void print_list_json(std::ostream& out);

}  // namespace delaysim::config
