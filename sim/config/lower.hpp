// ConfigSpec -> runtime objects: the one validation/lowering step. Names are
// resolved against the model and rule registries, parameters through
// sim::Params, connectivity through connectivity.hpp. Every failure is a
// sim::UserError located in the config (or in the --set option it came from).
//
// Random streams (all derived from simulation.seed):
//   population i:  Rng::derive(seed, 2^32 + i)   (passed to the model's make)
//   projection q:  connect_seed if given, else Rng::derive(seed, q)
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "plasticity/rule.hpp"
#include "sim/config/spec.hpp"
#include "sim/network.hpp"
#include "sim/record_spec.hpp"
#include "sim/simulation.hpp"

namespace delaysim::config {

struct LoweredRule {
    std::unique_ptr<plasticity::Rule> rule;
    std::vector<std::uint32_t> projections;
};

// A mistake that does not stop a run but makes it do something the user likely
// did not mean (sim/config/lint.cpp). Printed as "FILE:LINE:COL: warning: WHAT";
// under --strict an error.
struct Warning {
    std::string what;
    sim::SourceLocation where;
    std::string formatted() const;
};

struct Lowered {
    sim::Network network;
    std::vector<LoweredRule> rules;
    sim::RecordSpec record;  // everything but path and config_toml
    sim::Time t_stop = 0.0;
    std::uint64_t seed = 0;
    bool batching = true;
    bool superposition = true;
    unsigned threads = 1;
    std::vector<Warning> warnings;
};

Lowered lower(const ConfigSpec& spec);

// Moves the network and rules into a new Simulation (sample interval set).
std::unique_ptr<sim::Simulation> make_simulation(Lowered& lowered);

}  // namespace delaysim::config
