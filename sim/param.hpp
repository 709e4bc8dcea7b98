// Self-describing parameters (Arbor arb_field_info): models, sources and rules
// publish a table of ParamInfo; the loader validates user values against it and
// `delaysim list` prints it.
//
// Per-node values: a model marks the parameters it can take per node
// (ParamInfo::per_node). A population's Params then holds, for such a
// parameter, either one value (varies() false) or one value per node (a list
// in the config, or values the loader drew from a distribution); the model
// reads them with node(name, i) or per_node(name). A list or draw for a
// parameter without the flag is a UserError naming it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sim/error.hpp"

namespace delaysim::sim {

enum class ParamKind { Real, Integer, RealList };

struct ParamInfo {
    std::string name;  // as written in a config, e.g. "tau_ms"
    std::string unit;  // "ms", "mV", "pA", "1" (dimensionless) ...
    ParamKind kind = ParamKind::Real;
    double default_value = 0.0;  // for RealList: ignored (default is empty unless required)
    double min = -1e300;
    double max = 1e300;
    bool min_exclusive = false;  // e.g. time constants: (0, inf)
    bool required = false;
    std::string doc;
    bool per_node = false;  // a population may give one value per node (models only)
};

// Values given by the user, already type-checked by the loader. Lists are kept
// separately because only sources use them.
struct ParamValues {
    std::map<std::string, double> real;
    std::map<std::string, std::vector<double>> lists;
    // One value per node, already drawn (the loader's distributions); checked
    // like a per-node list.
    std::map<std::string, std::vector<double>> per_node;
    std::map<std::string, SourceLocation> where;  // for error messages
};

// Resolved values: every ParamInfo present (defaults filled in), checked against
// its range. Throws UserError naming the parameter otherwise. `nodes` is the
// population size (0: not a population, e.g. a rule): a list given for a
// per-node Real parameter must then have exactly `nodes` values.
class Params {
public:
    Params(const std::vector<ParamInfo>& infos, const ParamValues& given, const std::string& owner,
           std::size_t nodes = 0);
    // The one value of a parameter; must not vary per node (see varies()).
    double get(const std::string& name) const;
    // Whether the parameter has one value per node.
    bool varies(const std::string& name) const { return per_node_.count(name) != 0; }
    // Value of node i (the one value when it does not vary).
    double node(const std::string& name, std::size_t i) const;
    // n values, one per node (the one value repeated when it does not vary).
    std::vector<double> per_node(const std::string& name, std::size_t n) const;
    const std::vector<double>& list(const std::string& name) const;
    SourceLocation where(const std::string& name) const;
    const std::string& owner() const { return owner_; }

private:
    std::map<std::string, double> real_;
    std::map<std::string, std::vector<double>> lists_;
    std::map<std::string, std::vector<double>> per_node_;
    std::map<std::string, SourceLocation> where_;
    std::string owner_;
};

// Human-readable range, e.g. "(0, inf)" or "[-100, 100]".
std::string format_range(const ParamInfo& p);

}  // namespace delaysim::sim
