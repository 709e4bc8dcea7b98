// What to record, in engine terms (indices, not names). The loader fills it from
// the config's [record] tables; sim/recorder writes it to HDF5 in the layout of
// DESIGN.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/observer.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

struct TraceMonitor {
    std::uint32_t population = 0;
    std::vector<std::size_t> variables;  // indices into Population::variables()
    std::vector<Index> nodes;            // recorded nodes, ascending
};

struct SynapseMonitor {
    std::uint32_t projection = 0;
    std::vector<SynapseVariable> variables;  // sampled at every sample time: Delay and/or Weight
    std::vector<Index> synapses;             // recorded synapses (indices in the projection's store)
    // No samples on the grid: the file holds each variable's initial values
    // (/synapses/<proj>/<var>/initial) and the changes are in /plasticity.
    bool on_change = false;
    std::vector<SynapseVariable> once;  // written once, when the recorder opens (no rule changes them)
};

struct RecordSpec {
    std::string path;                              // output .h5
    Time interval = 0.1;                           // ms between samples; <= 0: no sampled data
    std::vector<std::uint32_t> spike_populations;  // spikes recorded for these
    // Per population in spike_populations (same order): the recorded nodes,
    // ascending; empty (or missing): all nodes.
    std::vector<std::vector<Index>> spike_nodes;
    std::vector<TraceMonitor> traces;
    std::vector<SynapseMonitor> synapses;
    // Wall-clock seconds between flushes of the file to disk (checked every few
    // thousand events); 0 flushes at every check. What was flushed survives a
    // SIGKILL or a power cut (sim/recorder.hpp).
    double flush_interval_s = 10.0;
    // File attributes (DESIGN.md): the full config text, seed and t_stop.
    std::string config_toml;
    std::uint64_t seed = 0;
    Time t_stop = 0.0;
};

}  // namespace delaysim::sim
