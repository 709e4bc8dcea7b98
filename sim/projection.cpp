#include "sim/projection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace delaysim::sim {

Projection::Projection(std::string name, std::uint32_t source_pop, std::uint32_t target_pop, std::size_t port,
                       SynapseList synapses, DelayBounds bounds, InflightPolicy inflight, Index n_source,
                       Index n_target)
    : name_(std::move(name)),
      source_pop_(source_pop),
      target_pop_(target_pop),
      port_(port),
      bounds_(bounds),
      inflight_(inflight) {
    const std::size_t n = synapses.weight.size();
    if (n >= (std::size_t{1} << 32) || n_target >= (Index{1} << 32) || n_source >= (Index{1} << 32))
        throw UserError("projection '" + name_ + "': more than 2^32 - 1 synapses or nodes is not supported");
    DS_ASSERT(synapses.source.size() == n && synapses.target.size() == n && synapses.delay.size() == n);
    const std::string who = "projection '" + name_ + "'";
    if (!(bounds_.min >= 0.0) || !std::isfinite(bounds_.min))
        throw UserError(who + ": delay_min_ms must be a finite number >= 0, got " + fmt_ms(bounds_.min));
    if (!(bounds_.max >= bounds_.min))
        throw UserError(who + ": delay_max_ms (" + fmt_ms(bounds_.max) + ") must be >= delay_min_ms (" +
                        fmt_ms(bounds_.min) + ")");
    if (bounds_.policy == BoundPolicy::Wrap && !(std::isfinite(bounds_.max) && bounds_.max > bounds_.min))
        throw UserError(who + ": bounds = \"wrap\" needs a finite delay_max_ms > delay_min_ms");
    for (std::size_t s = 0; s < n; ++s) {
        if (synapses.source[s] >= n_source || synapses.target[s] >= n_target)
            throw UserError(who + ": synapse " + std::to_string(s) + " connects node " +
                            std::to_string(synapses.source[s]) + " -> " + std::to_string(synapses.target[s]) +
                            ", outside the populations (sizes " + std::to_string(n_source) + ", " +
                            std::to_string(n_target) + ")");
        if (!std::isfinite(synapses.weight[s]))
            throw UserError(who + ": weight of synapse " + std::to_string(s) + " is not a finite number");
        synapses.delay[s] = apply_delay_bounds(synapses.delay[s], true);
    }
    // Sort by (source, target, input order): a stable order that makes a node's
    // outgoing synapses contiguous.
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (synapses.source[a] != synapses.source[b]) return synapses.source[a] < synapses.source[b];
        return synapses.target[a] < synapses.target[b];
    });
    out_offset_.assign(n_source + 1, 0);
    for (auto src : synapses.source) ++out_offset_[src + 1];
    for (Index i = 0; i < n_source; ++i) out_offset_[i + 1] += out_offset_[i];
    std::vector<std::uint32_t>().swap(synapses.source);
    target_.resize(n);
    for (std::size_t k = 0; k < n; ++k) target_[k] = synapses.target[order[k]];
    std::vector<std::uint32_t>().swap(synapses.target);
    delay_.resize(n);
    for (std::size_t k = 0; k < n; ++k) delay_[k] = synapses.delay[order[k]];
    std::vector<double>().swap(synapses.delay);
    const bool uniform = std::all_of(synapses.weight.begin(), synapses.weight.end(),
                                     [&](double w) { return w == synapses.weight.front(); });
    if (n > 0) uniform_weight_ = synapses.weight.front();
    if (!uniform) {
        weight_.resize(n);
        for (std::size_t k = 0; k < n; ++k) weight_[k] = synapses.weight[order[k]];
    }
    n_target_ = n_target;
}

Index Projection::source(Index s) const {
    DS_ASSERT(s < size());
    // The last i with out_offset_[i] <= s (empty nodes share offsets: take the last).
    const auto it = std::upper_bound(out_offset_.begin(), out_offset_.end(), s);
    return static_cast<Index>(it - out_offset_.begin()) - 1;
}

double Projection::bytes_per_synapse() const {
    if (size() == 0) return 0.0;
    const std::size_t bytes = target_.size() * sizeof(std::uint32_t) + delay_.size() * sizeof(double) +
                              weight_.size() * sizeof(double) + out_offset_.size() * sizeof(Index) +
                              in_ids_.size() * sizeof(std::uint32_t) + in_offset_.size() * sizeof(Index);
    return static_cast<double>(bytes) / static_cast<double>(size());
}

// Four running extremes: one per lane of an unrolled loop (a single one is a
// chain of dependent compares; the set-up scans every synapse, 10^7 at K = 1000).
// Exact in any order: delays are finite.
template <class Pick>
static Time scan_delays(const HugeVector<double>& delay, Time init, Pick pick) {
    Time m[4] = {init, init, init, init};
    const std::size_t n = delay.size(), n4 = n - n % 4;
    for (std::size_t i = 0; i < n4; i += 4)
        for (std::size_t l = 0; l < 4; ++l) m[l] = pick(m[l], delay[i + l]);
    for (std::size_t i = n4; i < n; ++i) m[0] = pick(m[0], delay[i]);
    return pick(pick(m[0], m[1]), pick(m[2], m[3]));
}

Time Projection::min_delay() const {
    return scan_delays(delay_, kNever, [](Time a, Time b) { return std::min(a, b); });
}

Time Projection::max_delay() const {
    return scan_delays(delay_, 0.0, [](Time a, Time b) { return std::max(a, b); });
}

std::span<const std::uint32_t> Projection::incoming(Index j) {
    if (in_offset_.empty()) {
        in_offset_.assign(n_target_ + 1, 0);
        for (const std::uint32_t t : target_) ++in_offset_[t + 1];
        for (Index i = 0; i < n_target_; ++i) in_offset_[i + 1] += in_offset_[i];
        in_ids_.resize(size());
        std::vector<Index> fill(in_offset_.begin(), in_offset_.end() - 1);
        for (Index s = 0; s < size(); ++s) in_ids_[fill[target_[s]]++] = static_cast<std::uint32_t>(s);
    }
    return {in_ids_.data() + in_offset_[j], in_ids_.data() + in_offset_[j + 1]};
}

Time Projection::apply_delay_bounds(Time d, bool initial) const {
    // Error text only on the error paths: this runs at every plastic change.
    auto who = [&] { return "projection '" + name_ + "'"; };
    if (!std::isfinite(d)) throw UserError(who() + ": delay must be a finite number of ms, got " + fmt_ms(d));
    if (d >= bounds_.min && d <= bounds_.max) {
        if (bounds_.policy == BoundPolicy::Wrap && d == bounds_.max && !initial) return bounds_.min;
        return d;
    }
    if (initial)
        throw UserError(who() + ": delay " + fmt_ms(d) + " is outside its bounds [" + fmt_ms(bounds_.min) +
                        ", " + fmt_ms(bounds_.max) + "]");
    switch (bounds_.policy) {
        case BoundPolicy::Clamp: return std::clamp(d, bounds_.min, bounds_.max);
        case BoundPolicy::Wrap: {
            const Time span = bounds_.max - bounds_.min;
            Time r = std::fmod(d - bounds_.min, span);
            if (r < 0) r += span;
            if (r >= span) r = 0;  // fmod rounding at the upper edge
            return bounds_.min + r;
        }
        case BoundPolicy::Error: break;
    }
    throw UserError(who() + ": a plasticity rule set delay " + fmt_ms(d) + ", outside the bounds [" +
                    fmt_ms(bounds_.min) + ", " + fmt_ms(bounds_.max) + "] (bounds = \"error\")");
}

Time Projection::bound_plastic_delay(Time d, Index s, Time t, const std::string& by) const {
    if (bounds_.policy != BoundPolicy::Error || (d >= bounds_.min && d <= bounds_.max) || !std::isfinite(d))
        return apply_delay_bounds(d, false);
    throw UserError("projection '" + name_ + "': at t = " + fmt_ms(t) + " rule '" + by +
                    "' set the delay of synapse " + std::to_string(s) + " (node " +
                    std::to_string(source(s)) + " -> " + std::to_string(target(s)) + ") to " + fmt_ms(d) +
                    ", outside the bounds [" + fmt_ms(bounds_.min) + ", " + fmt_ms(bounds_.max) +
                    "] (bounds = \"error\"; \"clamp\" or \"wrap\" keep it inside)");
}

}  // namespace delaysim::sim
