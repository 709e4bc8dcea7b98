// Synapse store of one projection (source population -> target population, one
// target port). Structure of arrays, sorted by source node so that the synapses
// of a spiking node are one contiguous range (CSR): sources are not stored (the
// CSR offsets give them), and a projection whose weights are all equal stores one
// weight until a weight changes: 12 bytes per synapse (target, delay) in the
// common static case, 20 with weights. Delays and weights can change
// during a run; every delay write goes through apply_delay_bounds() (the one
// place for delays, after NEST's DelayChecker).
#pragma once
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/error.hpp"
#include "sim/huge_alloc.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

class Writer;
class Reader;

enum class BoundPolicy { Clamp, Wrap, Error };
// Which delay applies to a spike: the one in force at emission (Keep), or the
// current one even for spikes already in flight (Retime).
enum class InflightPolicy { Keep, Retime };

struct DelayBounds {
    Time min = 0.0;     // ms, >= 0
    Time max = kNever;  // ms, finite and > min for Wrap and Retime
    BoundPolicy policy = BoundPolicy::Clamp;
};

struct SynapseList {
    std::vector<std::uint32_t> source;  // node index in the source population
    std::vector<std::uint32_t> target;  // node index in the target population
    std::vector<double> weight;
    std::vector<double> delay;  // ms
};

class Projection {
public:
    // Synapses may come in any order; they are sorted by (source, target, input
    // order). Initial delays outside the bounds are a UserError naming the projection.
    Projection(std::string name, std::uint32_t source_pop, std::uint32_t target_pop, std::size_t port,
               SynapseList synapses, DelayBounds bounds, InflightPolicy inflight, Index n_source,
               Index n_target);

    const std::string& name() const { return name_; }
    std::uint32_t source_population() const { return source_pop_; }
    std::uint32_t target_population() const { return target_pop_; }
    std::size_t port() const { return port_; }
    Index size() const { return delay_.size(); }
    Index n_target() const { return n_target_; }  // nodes of the target population
    const DelayBounds& bounds() const { return bounds_; }
    InflightPolicy inflight() const { return inflight_; }

    Index source(Index s) const;  // a binary search of the CSR offsets
    Index target(Index s) const { return target_[s]; }
    double weight(Index s) const { return weight_.empty() ? uniform_weight_ : weight_[s]; }
    Time delay(Index s) const { return delay_[s]; }
    void prefetch(Index s) const { __builtin_prefetch(&delay_[s]); }
    // The arrays behind target(), delay() and weight() (weights: nullptr while all
    // equal uniform_weight()), for loops that keep them in registers.
    const std::uint32_t* targets() const { return target_.data(); }
    const Time* delays() const { return delay_.data(); }
    const double* weights() const { return weight_.empty() ? nullptr : weight_.data(); }
    double uniform_weight() const { return uniform_weight_; }
    // Bytes per synapse of the store (for the benchmark's memory figure).
    double bytes_per_synapse() const;
    Time min_delay() const;  // smallest delay currently in the store (lookahead)
    Time max_delay() const;  // largest delay currently in the store

    // Outgoing synapses of source node i: [out_begin(i), out_end(i)).
    Index out_begin(Index i) const { return out_offset_[i]; }
    Index out_end(Index i) const { return out_offset_[i + 1]; }
    // Incoming synapses of target node j (ids, ascending), built on first use
    // (rules need it): a CSR of 4 bytes per synapse.
    std::span<const std::uint32_t> incoming(Index j);

    // The one function every delay write passes: returns the delay the bounds
    // allow for the requested value d. `initial` values must lie inside the
    // bounds; plastic changes follow the policy (Error throws UserError).
    Time apply_delay_bounds(Time d, bool initial) const;
    // The same for a plastic change of synapse s at time t by rule `by`: a
    // refusal (bounds = "error") names all three. (Inline: a delay rule's every
    // change passes here, nearly always inside the bounds.)
    Time apply_delay_bounds(Time d, Index s, Time t, const std::string& by) const {
        if (std::isfinite(d) && d >= bounds_.min && d <= bounds_.max &&
            (bounds_.policy != BoundPolicy::Wrap || d != bounds_.max))
            return d;
        return bound_plastic_delay(d, s, t, by);
    }
    // Raw setters used by Simulation (which keeps the queue consistent; the
    // in-flight semantics of a change are in sim/inflight.hpp).
    void store_delay(Index s, Time d) { delay_[s] = d; }
    void store_weight(Index s, double w) {
        if (weight_.empty()) weight_.assign(size(), uniform_weight_);  // the first change
        weight_[s] = w;
    }

    // Checkpoints: delays and weights (the synapse list itself comes from the config).
    void save(Writer& w) const;
    void restore(Reader& r);

private:
    Time bound_plastic_delay(Time d, Index s, Time t, const std::string& by) const;

    std::string name_;
    std::uint32_t source_pop_, target_pop_;
    std::size_t port_;
    HugeVector<std::uint32_t> target_;
    HugeVector<double> delay_;   // ms
    HugeVector<double> weight_;  // empty: every weight is uniform_weight_
    double uniform_weight_ = 0.0;
    DelayBounds bounds_;
    InflightPolicy inflight_;
    std::vector<Index> out_offset_;
    std::vector<Index> in_offset_;      // incoming CSR: offsets per target node ...
    HugeVector<std::uint32_t> in_ids_;  // ... and synapse ids; empty until first use
    Index n_target_ = 0;
};

}  // namespace delaysim::sim
