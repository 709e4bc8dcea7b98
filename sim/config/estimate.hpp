// What a run will cost, computed from the spec alone, before anything large is
// built: the bytes it writes (sampled traces and synapse values, the spikes of
// spike sources) and the memory its network needs. lower() refuses a config
// above [record] max_output_gb or [simulation] max_memory_gb with the estimate
// in the message, so `t_stop_ms = 1e308` or a 1e10-synapse network fails at
// once instead of filling the disk or the memory first.
//
// The figures are estimates, deliberately simple (README of configs/):
//   output  = samples x (8 B time + 8 B per sampled value)   per sampled dataset
//           + 8 B per value written once (synapse values no rule can change)
//           + 16 B per spike of a recorded spike source (Poisson: the expected
//             count; pattern/explicit: the exact count up to t_stop)
//           + 32 KiB per dataset (HDF5 allocates whole chunks)
//           Spikes of neurons and plasticity events cannot be bounded
//           beforehand; they are not included (the message says so).
//   memory  = 48 B per synapse (connection lists and the sorted store exist
//             together while a projection is built; 12-20 B at run time)
//           + 64 B + 8 B per state variable per node.
// Names the spec gets wrong are skipped here: lowering reports them.
#pragma once
#include <string>

#include "sim/config/spec.hpp"

namespace delaysim::config {

struct RunEstimate {
    double nodes = 0, synapses = 0;  // synapses: expected count (fixed_probability)
    double memory_bytes = 0;         // peak while the network is built
    double output_bytes = 0;         // the bounded part of the output
    double samples = 0;              // sample rows per sampled dataset
    double sampled_values = 0;       // values per sample time, over every sampled dataset
    double source_spikes = 0;        // recorded spikes of spike sources
    double connect_pairs = 0;        // (source, target) pairs visited to draw random connectivity
    double datasets = 0;             // HDF5 datasets, each at least one 32 KiB chunk
    bool neuron_spikes = false;      // spikes of neurons are recorded (not bounded)
    bool plastic = false;            // rules may write plasticity events (not bounded)
    // The largest single contribution to memory, for the message.
    std::string largest;
    double largest_bytes = 0;
    SourceLocation largest_where;
};

RunEstimate estimate_run(const ConfigSpec& spec);

// Effective limits in bytes: the config's keys, else the defaults (10 GB of
// output; 80 % of this machine's physical memory).
double output_limit_bytes(const ConfigSpec& spec);
double memory_limit_bytes(const ConfigSpec& spec);

// UserError (located at the key that drives the figure) above a limit.
void check_limits(const ConfigSpec& spec, const RunEstimate& e);

// "494 MB", "1.2 GB", "3.1e+300 GB".
std::string format_bytes(double bytes);
// "output about 12 MB (+ neuron spikes, plasticity events), memory about 3 MB"
std::string describe(const RunEstimate& e);

}  // namespace delaysim::config
