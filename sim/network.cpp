#include "sim/network.hpp"

namespace delaysim::sim {

long Network::population_index(const std::string& name) const {
    for (std::size_t i = 0; i < populations.size(); ++i)
        if (populations[i]->name() == name) return static_cast<long>(i);
    return -1;
}

long Network::projection_index(const std::string& name) const {
    for (std::size_t i = 0; i < projections.size(); ++i)
        if (projections[i].name() == name) return static_cast<long>(i);
    return -1;
}

long Population::port_index(const std::string& port) const {
    const auto& p = ports();
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i].name == port) return static_cast<long>(i);
    return -1;
}

long Population::variable_index(const std::string& var) const {
    const auto& v = variables();
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i].name == var) return static_cast<long>(i);
    return -1;
}

}  // namespace delaysim::sim
