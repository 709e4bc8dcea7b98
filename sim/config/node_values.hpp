// Per-node values from a model file: the distributions a population's `params`
// and `initial` tables may give instead of a number or a list (parse side), and
// their draws (lowering side).
//
//   { dist = "uniform", low = a, high = b }      a <= b, finite; values in [a, b)
//   { dist = "normal", mean = m, sd = s }        s >= 0, finite
//   { dist = "normal", mean = m, sd = s, low = a, high = b }
//       truncated normal: a value outside [a, b] is drawn again (at most 1000
//       times per node, then an error: the window holds too little mass).
//
// Streams (documented in configs/README.md): with the population's stream seed P
// (lower.hpp), parameter k (its index in the model's parameter table) draws from
// Rng::derive(P, 2^40 + k) and initial variable v from Rng::derive(P, 2^41 + v),
// nodes in order 0, 1, ... Sources use Rng::derive(P, node) for their own draws,
// so the streams never meet (populations are far smaller than 2^40).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sim/config/spec.hpp"
#include "sim/network.hpp"
#include "sim/record_spec.hpp"

namespace delaysim::config {

class TableReader;

// The distribution table `t` under key `name` (context: e.g. "population 'E': params").
NodeDrawSpec parse_node_draw(const toml::table& t, const std::string& name, const std::string& context,
                             const SourceLocation& where);

// n values of `d` from the stream `seed`; UserError at d.where for a bad
// distribution. `who` prefixes messages.
std::vector<double> draw_node_values(const NodeDrawSpec& d, std::size_t n, std::uint64_t seed,
                                     const std::string& who);

// out.spike_nodes from rec.spike_subsets (out.spike_populations already set):
// nodes in range, no repeats; `first = N` is nodes 0..N-1 (N <= size).
void lower_spike_subsets(const RecordSpecs& rec, const sim::Network& net, sim::RecordSpec& out);

// [[record.synapses]] mode: true for "on_change", false for "grid" (the default).
bool synapse_record_mode(const SynapseRecordSpec& s, const std::string& who);

inline constexpr std::uint64_t kParamDrawStream = 1ULL << 40;
inline constexpr std::uint64_t kInitialDrawStream = 1ULL << 41;

}  // namespace delaysim::config
