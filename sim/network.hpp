// The lowered runtime network: populations and projections, nothing else. The
// loader (or C++ code, or a test) builds it; Simulation owns it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/population.hpp"
#include "sim/projection.hpp"

namespace delaysim::sim {

struct Network {
    std::vector<std::unique_ptr<Population>> populations;
    std::vector<Projection> projections;
    // Per population: the MPI rank the user placed it on (sim/partition.hpp;
    // kUnplaced = -1: the partitioner decides). Empty: none placed.
    std::vector<int> rank;

    // Index by name, or -1.
    long population_index(const std::string& name) const;
    long projection_index(const std::string& name) const;
};

}  // namespace delaysim::sim
