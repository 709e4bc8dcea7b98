// The per-node core: what happens to one node at a delivery, at a spike and at
// a check. Both run loops use it (the event loop, sim/simulation.cpp, and the
// slices, sim/slices.hpp), so a feature or a guard added here holds in both;
// the loops decide only *when* a node is visited (the order: Simulation::run).
//
// Guards: a node that spikes more than kMaxBurst times within kBurstMs (its
// threshold crossing comes back within rounding of its last spike after each
// reset: a Zeno node, e.g. one input weight far beyond the threshold, which
// would otherwise stall the run at one instant), whose next spike a model puts
// before its present time, or whose state becomes non-finite (the variables the
// model reports, checked at every 16th spike for the spiking node and for every
// node at the end of each run; and every time the model returns) stops the run with a UserError naming the
// population, node, time, its state and its strongest input weights.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "plasticity/rule.hpp"
#include "sim/network.hpp"
#include "sim/observer.hpp"
#include "sim/parallel.hpp"
#include "sim/synapse_access.hpp"

namespace delaysim::sim {

class Writer;
class Reader;

class NodeCore {
public:
    // A node may spike this often within kBurstMs (rounds of zero-delay inputs may
    // make it spike again at the same instant); beyond it the run stops. That is a
    // rate above 1e9 Hz, which no model with sane parameters reaches.
    static constexpr std::uint32_t kMaxBurst = 1000;
    static constexpr Time kBurstMs = 1e-3;
    static constexpr std::uint64_t kStateCheckStride = 16;  // a power of two

    struct Attachment {
        plasticity::Rule* rule;
        SynapseSite site;  // site.index: the projection
    };

    NodeCore(Network& net, const std::vector<Observer*>& observers, SynapseWriter& writer);

    void attach(plasticity::Rule* rule, std::uint32_t q, std::size_t slot) {
        attachments_.push_back({rule, {&writer_, &net_.projections[q], q, slot, &rule->name()}});
    }
    const std::vector<Attachment>& attachments() const { return attachments_; }
    // Hook dispatch lists (before the first run: rules are attached by then).
    void index_hooks();
    const std::vector<Attachment>& delivered_hooks(std::uint32_t q) const { return delivered_hooks_[q]; }
    bool any_delivered_hooks() const { return any_delivered_hooks_; }
    bool any_rules() const { return !attachments_.empty(); }
    const std::vector<Observer*>& observers() const { return observers_; }

    // Global node index (one numbering over all populations).
    Index global(std::uint32_t pop, Index node) const { return node_offset_[pop] + node; }
    Index node_offset(std::uint32_t pop) const { return node_offset_[pop]; }
    Index n_nodes() const { return node_offset_.back(); }
    const Index* node_offsets() const { return node_offset_.data(); }

    // The weight a delivery applies: the store's once a weight of the projection
    // has changed, else the one copied at emission (equal until the first change).
    // (Relaxed atomics: threads of a parallel node phase may mark a projection
    // while others read it; either answer gives the same weight, since the flag
    // only goes up when a weight changes and that synapse is the marking thread's.)
    double live_weight(std::uint32_t q, Index s, double at_emission) const {
        return weight_live(q) ? net_.projections[q].weight(s) : at_emission;
    }
    bool weight_live(std::uint32_t q) const {
        return __atomic_load_n(&weight_live_[q], __ATOMIC_RELAXED) != 0;
    }
    const std::uint8_t* weight_live_flags() const { return weight_live_.data(); }
    void mark_weight_live(std::uint32_t q) {
        __atomic_store_n(&weight_live_[q], std::uint8_t{1}, __ATOMIC_RELAXED);
    }

    // A delivery: node `node` of `pop` advances to t and takes weight w through
    // synapse s of projection q, then the delivered hooks run, and for an inhibit
    // port the inhibited hooks of the rules on projections onto the node.
    void deliver(std::uint32_t pop, Index node, std::uint32_t q, Index s, std::size_t port, double w,
                 Time t) {
        Population& P = *net_.populations[pop];
        P.advance(node, t);
        P.receive(node, port, w, t);
        if (Lane* l = Lane::current()) [[unlikely]]
            ++l->n_deliveries;
        else
            ++n_deliveries;
        if (attachments_.empty()) return;
        run_delivered_hooks(q, s, node, t);
        if (inhibit_[q]) run_inhibited_hooks(pop, node, t);
    }

    // A spike of node `node` of `pop` at t: the model resets it, the guards run,
    // `route()` passes the spike on (the event loop reports and expands it at
    // once; the slices keep it for their replay), then the post-spike hooks run.
    template <class Route>
    void fire(std::uint32_t pop, Index node, Time t, Route&& route) {
        Population& P = *net_.populations[pop];
        P.advance(node, t);
        P.fire(node, t);
        guard_spike(pop, node, t);
        route();
        if (!post_hooks_[pop].empty()) run_post_spike_hooks(pop, node, t);
    }

    // Checks: a time <= node's next spike (`exact`: the spike time itself) without
    // new input, from t; kNever if none before the horizon. bound_until may chain
    // bounds up to b (SpikeBounds::spike_bound_until). exact_spike is the search.
    // A model without the SpikeBounds capability is checked at its exact spike.
    Time bound(std::uint32_t pop, Index node, Time t, bool& exact) {
        SpikeBounds* sb = bounds_[pop];
        if (!sb) return exact = true, exact_spike(pop, node, t);
        const Bound b = sb->spike_bound(node, t, horizon);
        exact = b.exact;
        return checked(pop, node, t, b.t);
    }
    Time bound_until(std::uint32_t pop, Index node, Time t, Time b, bool& exact) {
        SpikeBounds* sb = bounds_[pop];
        if (!sb) return exact = true, exact_spike(pop, node, t);
        const Bound r = sb->spike_bound_until(node, t, b, horizon);
        exact = r.exact;
        return checked(pop, node, t, r.t);
    }
    Time exact_spike(std::uint32_t pop, Index node, Time t) {
        return checked(pop, node, t, net_.populations[pop]->next_spike(node, t, horizon));
    }

    // Every node's reported variables at t (the end of a run): a state that went
    // non-finite without a spike since is caught here at the latest.
    void check_all_finite(Time t);

    // node: the synapse's target (within its population), known to every caller.
    void run_delivered_hooks(std::uint32_t q, Index s, Index node, Time t);
    void run_pre_spike_hooks(std::uint32_t pop, Index node, Time t);
    void run_post_spike_hooks(std::uint32_t pop, Index node, Time t);
    void run_inhibited_hooks(std::uint32_t pop, Index node, Time t);

    // Checkpoints (sim/checkpoint.hpp): the dynamic state, restored into one
    // built from the same config (CheckpointError if the sizes differ).
    void save(Writer& w) const;
    void restore(Reader& r);

    // The time of the hook being run, which stamps the rules' writes: `now`, or in
    // a parallel node phase the thread's own (sim/parallel.hpp).
    Time& hook_time() {
        Lane* l = Lane::current();
        return l ? l->now : now;
    }

    // Shared by the loops. In a parallel node phase the threads count in their
    // Lane instead; the slices add those counts here after the phase.
    Time now = 0.0;
    Time horizon = 0.0;
    std::uint64_t n_events = 0, n_deliveries = 0, n_superposed = 0;

private:
    struct Burst {
        Time t0 = -kNever;        // first spike of the node's current burst
        std::uint32_t count = 0;  // its spikes since t0
    };
    static plasticity::SynapseHandle handle(const Attachment& a, Index s, Time t) { return {a.site, s, t}; }
    void guard_spike(std::uint32_t pop, Index node, Time t) {
        Burst& b = burst_[node_offset_[pop] + node];
        if (t - b.t0 <= kBurstMs) {
            if (++b.count > kMaxBurst) [[unlikely]]
                burst_error(pop, node, t, b.t0, b.count);
        } else {
            b.t0 = t;
            b.count = 1;
        }
        // The state check costs a few closed-form evaluations: one spike in
        // kStateCheckStride pays it (a non-finite state persists in these models).
        Lane* l = Lane::current();
        if ((++(l ? l->n_spikes : n_spikes_) & (kStateCheckStride - 1)) == 0) check_finite(pop, node, t);
    }
    // Every time a model returns: not before the node's time, and a number.
    Time checked(std::uint32_t pop, Index node, Time t, Time ts) {
        if (!(ts >= t)) [[unlikely]]
            time_error(pop, node, t, ts);
        return ts;
    }
    // The error paths, out of line.
    [[noreturn, gnu::noinline, gnu::cold]] void burst_error(std::uint32_t pop, Index node, Time t, Time t0,
                                                            std::uint32_t count);
    [[noreturn, gnu::noinline, gnu::cold]] void time_error(std::uint32_t pop, Index node, Time t, Time ts);
    void check_finite(std::uint32_t pop, Index node, Time t);
    [[noreturn]] void runaway(std::uint32_t pop, Index node, Time t, const std::string& what);

    Network& net_;
    const std::vector<Observer*>& observers_;
    SynapseWriter& writer_;
    std::vector<Index> node_offset_;  // global node index = node_offset_[pop] + node
    std::vector<Attachment> attachments_;
    // Attachments by projection (delivered hooks) and by target population
    // (post-spike hooks), built at the first run, in attachment order.
    std::vector<std::vector<Attachment>> delivered_hooks_, post_hooks_;
    bool any_delivered_hooks_ = false;
    // Per projection: a weight has changed (set_weight), so deliveries read the
    // store instead of the weight copied at emission (delay-only rules so never
    // pay a random read of the weight per delivery).
    std::vector<std::uint8_t> weight_live_;
    std::vector<std::uint8_t> inhibit_;  // per projection: onto an inhibit port
    std::vector<Burst> burst_;           // per global node
    std::vector<SpikeBounds*> bounds_;   // per population: its capability, or nullptr
    std::uint64_t n_spikes_ = 0;
};

}  // namespace delaysim::sim
