// Self-describing parameters (Arbor arb_field_info): models, sources and rules
// publish a table of ParamInfo; the loader validates user values against it and
// `delaysim list` prints it.
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
};

// Values given by the user, already type-checked by the loader. Lists are kept
// separately because only sources use them.
struct ParamValues {
    std::map<std::string, double> real;
    std::map<std::string, std::vector<double>> lists;
    std::map<std::string, SourceLocation> where;  // for error messages
};

// Resolved values: every ParamInfo present (defaults filled in), checked against
// its range. Throws UserError naming the parameter otherwise.
class Params {
public:
    Params(const std::vector<ParamInfo>& infos, const ParamValues& given, const std::string& owner);
    double get(const std::string& name) const;
    const std::vector<double>& list(const std::string& name) const;
    SourceLocation where(const std::string& name) const;
    const std::string& owner() const { return owner_; }

private:
    std::map<std::string, double> real_;
    std::map<std::string, std::vector<double>> lists_;
    std::map<std::string, SourceLocation> where_;
    std::string owner_;
};

// Human-readable range, e.g. "(0, inf)" or "[-100, 100]".
std::string format_range(const ParamInfo& p);

}  // namespace delaysim::sim
