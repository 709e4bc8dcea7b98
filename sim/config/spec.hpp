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

struct SimulationSpec {
    Located<double> t_stop_ms;
    Located<std::uint64_t> seed;
    std::optional<Located<std::string>> output;
    Located<std::string> inflight{"keep", {}};
    bool batching = true;
    bool superposition = true;
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

struct InitialSpec {
    std::string variable;
    std::vector<double> values;  // one value (all nodes) or one per node
    bool per_node = false;
    SourceLocation where;
};

struct PopulationSpec {
    Located<std::string> name;
    Located<std::string> model;
    Located<std::uint64_t> size{1, {}};
    sim::ParamValues params;
    SourceLocation params_where;
    std::vector<InitialSpec> initial;
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
    SourceLocation where;
};

struct RecordSpecs {
    Located<double> interval_ms{0.1, {}};
    std::optional<Located<double>> max_output_gb;             // default 10 (estimate.hpp)
    Located<double> flush_interval_s{10.0, {}};               // wall-clock seconds between flushes
    std::optional<std::vector<Located<std::string>>> spikes;  // default: all populations
    std::vector<TraceSpec> traces;
    std::vector<SynapseRecordSpec> synapses;
};

struct ConfigSpec {
    std::string file;  // path as given; used in every error location
    SimulationSpec simulation;
    RecordSpecs record;
    std::vector<PopulationSpec> populations;
    std::vector<ProjectionSpec> projections;
    std::vector<PlasticitySpec> plasticity;
};

}  // namespace delaysim::config
