// Small helpers shared by the lowering files.
#pragma once
#include <sstream>
#include <string>
#include <utility>

#include "sim/error.hpp"
#include "sim/network.hpp"

namespace delaysim::config {

// Run f; a UserError it throws without a location gets `at` (the engine and
// the models do not know where in the config their input came from).
template <class F>
auto located(const sim::SourceLocation& at, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const sim::UserError& e) {
        if (e.where().line != 0 || at.line == 0) throw;
        throw sim::UserError(e.what(), at);
    }
}

inline std::string fmt_num(double x) {
    if (x >= 1e299) return "inf";
    std::ostringstream os;
    os << x;
    return os.str();
}

inline std::string population_names(const sim::Network& net) {
    std::string out;
    for (const auto& p : net.populations) out += (out.empty() ? "" : ", ") + p->name();
    return out.empty() ? "none" : out;
}

inline std::string projection_names(const sim::Network& net) {
    std::string out;
    for (const auto& p : net.projections) out += (out.empty() ? "" : ", ") + p.name();
    return out.empty() ? "none" : out;
}

// Index of population `name`, or a UserError at `at` listing the valid names.
inline std::uint32_t find_population(const sim::Network& net, const std::string& name, const std::string& who,
                                     const sim::SourceLocation& at) {
    const long i = net.population_index(name);
    if (i < 0)
        throw sim::UserError(
            who + ": unknown population '" + name + "' (valid: " + population_names(net) + ")", at);
    return static_cast<std::uint32_t>(i);
}

inline std::uint32_t find_projection(const sim::Network& net, const std::string& name, const std::string& who,
                                     const sim::SourceLocation& at) {
    const long i = net.projection_index(name);
    if (i < 0)
        throw sim::UserError(
            who + ": unknown projection '" + name + "' (valid: " + projection_names(net) + ")", at);
    return static_cast<std::uint32_t>(i);
}

}  // namespace delaysim::config
