// Plain spec structs: what a config file says, type-checked but not yet
// validated against the model/rule registries (STYLE 1: spec, then runtime).
// Every value carries the location it came from so that lowering can report
// `FILE:LINE:COL: error:` for problems only it can see (ranges, names, bounds).
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/error.hpp"
#include "sim/param.hpp"

namespace delaysim::config {

using sim::SourceLocation;

template <class T>
struct Located {
    T value{};
    SourceLocation where;
};

inline constexpr std::uint64_t kMaxThreads = 1024;  // [simulation] threads
inline constexpr std::uint64_t kMaxRank = 65535;    // [[population]] rank

struct SimulationSpec {
    Located<double> t_stop_ms;
    Located<std::uint64_t> seed;
    std::optional<Located<std::string>> output;
    Located<std::string> inflight{"keep", {}};
    bool batching = true;
    bool superposition = true;
    unsigned threads = 1;                          // README "Parallel runs"; 0: every core
    std::optional<Located<double>> max_memory_gb;  // default: 80 % of physical memory (estimate.hpp)
    SourceLocation where;
};

// A weight or delay: one number for all synapses, one per synapse, or a draw.
struct SynValueSpec {
    enum class Kind { Constant, List, Uniform, Normal };
    Kind kind = Kind::Constant;
    double value = 0.0;        // Constant
    std::vector<double> list;  // List
    double a = 0.0, b = 0.0;   // Uniform: low, high; Normal: mean, sd
    SourceLocation where;
};

// One value per node drawn from a distribution (a parameter or an initial
// value): `{ dist = "uniform", low, high }` or `{ dist = "normal", mean, sd }`,
// the normal optionally truncated to [low, high] (values outside are redrawn).
struct NodeDrawSpec {
    std::string name;  // the parameter or variable
    bool normal = false;
    double a = 0.0, b = 0.0;                                // uniform: low, high; normal: mean, sd
    double low = -std::numeric_limits<double>::infinity();  // normal only: truncation
    double high = std::numeric_limits<double>::infinity();
    SourceLocation where;
};

struct InitialSpec {
    std::string variable;
    std::vector<double> values;  // one value (all nodes) or one per node
    bool per_node = false;
    std::optional<NodeDrawSpec> draw;  // instead of values
    SourceLocation where;
};

struct PopulationSpec {
    Located<std::string> name;
    Located<std::string> model;
    Located<std::uint64_t> size{1, {}};
    sim::ParamValues params;
    std::vector<NodeDrawSpec> param_draws;  // per-node parameters drawn from a distribution
    SourceLocation params_where;
    std::vector<InitialSpec> initial;
    std::optional<Located<std::uint64_t>>
        rank;  // MPI rank it runs on (README "Parallel runs"); none: the partitioner decides
    SourceLocation where;
};

struct ProjectionSpec {
    Located<std::string> name, source, target, port;
    Located<std::string> connect{"all_to_all", {}};
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
    SourceLocation pairs_where;
    std::optional<Located<double>> probability;
    std::optional<Located<std::uint64_t>> indegree;
    std::optional<Located<std::uint64_t>> connect_seed;
    Located<bool> autapses{true, {}};
    SynValueSpec weight{SynValueSpec::Kind::Constant, 1.0, {}, 0, 0, {}};
    SynValueSpec delay;
    Located<double> delay_min_ms{0.0, {}};
    Located<double> delay_max_ms{std::numeric_limits<double>::infinity(), {}};
    Located<std::string> bounds{"clamp", {}};
    std::optional<Located<std::string>> inflight;
    SourceLocation where;
};

struct PlasticitySpec {
    Located<std::string> rule;
    std::vector<Located<std::string>> projections;
    sim::ParamValues params;
    SourceLocation where;
};

struct TraceSpec {
    Located<std::string> population;
    std::optional<std::vector<Located<std::string>>> variables;  // default: all
    std::optional<Located<std::vector<std::uint64_t>>> nodes;    // default: all
    SourceLocation where;
};

struct SynapseRecordSpec {
    Located<std::string> projection;
    std::optional<std::vector<Located<std::string>>> variables;  // "delay", "weight"
    std::optional<Located<std::vector<std::uint64_t>>> synapses;
    std::optional<Located<std::string>> mode;  // "grid" (default) or "on_change"
    SourceLocation where;
};

// `[record] spikes` entry `{ population = "E", nodes = [..] }` or `{ population, first = N }`:
// only those nodes' spikes are written.
struct SpikeSubsetSpec {
    Located<std::string> population;
    std::optional<Located<std::vector<std::uint64_t>>> nodes;
    std::optional<Located<std::uint64_t>> first;
    SourceLocation where;
};

struct RecordSpecs {
    Located<double> interval_ms{0.1, {}};
    std::optional<Located<double>> max_output_gb;             // default 10 (estimate.hpp)
    Located<double> flush_interval_s{10.0, {}};               // wall-clock seconds between flushes
    std::optional<std::vector<Located<std::string>>> spikes;  // default: all populations
    std::vector<SpikeSubsetSpec> spike_subsets;               // (their populations are in spikes too)
    std::vector<TraceSpec> traces;
    std::vector<SynapseRecordSpec> synapses;
};

// A [[model]] table: a linear model declared in the model file (configs/README.md,
// "[[model]]"). Expressions stay text here (a number is kept as its text);
// sim/config/lower_model.cpp evaluates them against the parameters and variables.
// An expression's location is that of its string, so errors can point into it.
struct ModelVariableSpec {
    Located<std::string> name;
    std::string unit, doc;
    Located<std::string> initial{"0", {}};
};

struct ModelAssignSpec {  // variable = expression (port jumps, reset)
    Located<std::string> variable;
    Located<std::string> expr;
};

struct ModelPortSpec {
    Located<std::string> name;
    std::vector<ModelAssignSpec> jumps;
};

struct ModelDeclSpec {
    Located<std::string> name;
    std::string doc;
    std::vector<ModelVariableSpec> variables;
    std::vector<std::pair<Located<std::string>, Located<double>>> params;  // name, default
    std::vector<Located<std::string>> equations;
    SourceLocation equations_where;
    std::vector<ModelPortSpec> ports;
    Located<std::string> threshold;
    std::vector<ModelAssignSpec> reset;
    Located<std::string> refractory_ms{"0", {}};
    std::vector<Located<std::string>> clamp;
    SourceLocation where;
};

struct ConfigSpec {
    std::string file;  // path as given; used in every error location
    SimulationSpec simulation;
    RecordSpecs record;
    std::vector<PopulationSpec> populations;
    std::vector<ProjectionSpec> projections;
    std::vector<PlasticitySpec> plasticity;
    std::vector<Located<std::string>> plugins;  // top-level plugins = [...], as written
    std::vector<ModelDeclSpec> models;          // [[model]]
};

}  // namespace delaysim::config
