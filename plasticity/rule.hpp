// The plasticity plug-in point. A rule sees hooks and a narrow synapse handle;
// it never touches the scheduler or the config. Every write goes through the
// handle, which applies the projection's bounds (one place for delays), keeps
// the event queue consistent under both in-flight policies and reports the change
// to the recorder (/plasticity/<projection>/events).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "sim/synapse_access.hpp"

namespace delaysim::sim {
class Writer;
class Reader;
}  // namespace delaysim::sim

namespace delaysim::plasticity {

using sim::Index;
using sim::Time;

// One synapse as a hook sees it: reads go to the synapse store, writes to the
// engine (sim::SynapseWriter), which applies the bounds and the in-flight policy
// and reports the change. Made by the engine for one hook call.
class SynapseHandle {
public:
    SynapseHandle(const sim::SynapseSite& site, Index synapse, Time now)
        : site_(site), synapse_(synapse), now_(now) {}
    // With the target node known to the caller (a delivery): target() then reads
    // no store (a random line per call in a large projection).
    SynapseHandle(const sim::SynapseSite& site, Index synapse, Time now, Index target)
        : site_(site), synapse_(synapse), now_(now), target_(target) {}

    Index index() const { return synapse_; }         // within its projection
    std::size_t slot() const { return site_.slot; }  // which of the rule's projections
    Index source() const { return site_.projection->source(synapse_); }
    Index target() const { return target_ != kUnknown ? target_ : site_.projection->target(synapse_); }
    double weight() const { return site_.projection->weight(synapse_); }
    Time delay() const { return site_.projection->delay(synapse_); }
    const sim::DelayBounds& bounds() const { return site_.projection->bounds(); }
    Time now() const { return now_; }

    void set_weight(double w) { site_.writer->set_weight(site_.index, synapse_, w, *site_.by); }
    // Bounds applied per the projection's policy; under Retime the synapse's
    // spikes in flight move to emission + new delay.
    void set_delay(Time d) { site_.writer->set_delay(site_.index, synapse_, d, *site_.by); }

private:
    static constexpr Index kUnknown = ~Index{0};
    const sim::SynapseSite& site_;
    Index synapse_;
    Time now_;
    Index target_ = kUnknown;
};

// One target node of a projection at its spike, as a node-level hook sees it
// (kPostSpikeNode): the rule finds the synapses it wants from state of its own
// (e.g. a list of the node's recent arrivals) instead of the engine walking all
// incoming synapses. synapse(s) gives the usual handle, so writes keep the
// bounds, the in-flight semantics and the reports. Made by the engine per call.
class NodeHandle {
public:
    NodeHandle(const sim::SynapseSite& site, Index node, Time now) : site_(site), node_(node), now_(now) {}

    Index node() const { return node_; }             // within the projection's target population
    std::size_t slot() const { return site_.slot; }  // which of the rule's projections
    Time now() const { return now_; }
    // Synapse s of the projection (an index as SynapseHandle::index() gives it);
    // s must be a synapse onto node() (the slice-batching contract).
    SynapseHandle synapse(Index s) const { return {site_, s, now_, node_}; }
    // The synapses onto node() (ids, ascending: the order of a per-synapse walk).
    std::span<const std::uint32_t> incoming() const { return site_.projection->incoming(node_); }
    // A hint: synapse s is read or written soon (its delay lies in a large store).
    void prefetch(Index s) const { site_.projection->prefetch(s); }

private:
    const sim::SynapseSite& site_;
    Index node_;
    Time now_;
};

// Which hooks a rule wants; the engine calls only those (no cost otherwise).
enum Hook : unsigned {
    kPreSpike = 1u << 0,   // the synapse's source node spiked (after its spike entered the queue)
    kDelivered = 1u << 1,  // a spike arrived through the synapse (after the target received it)
    kPostSpike = 1u << 2,  // the synapse's target node spiked
    kInhibited = 1u << 3,  // the target received a spike on an Inhibit port (any projection)
    // The target node spiked: one call per node and projection (on_post_spike_node),
    // not one per incoming synapse. With kPostSpike too, it runs before that walk.
    kPostSpikeNode = 1u << 4,
};

// A delivered hook as data (Rule::arrival_log): what the hook does at every arrival,
// the engine does itself, and it calls the hook only where the hook would do more.
// For a rule whose on_delivered(s, t) is exactly
//   last[s] = max(last[s], t);  then, with lag = post[target] - t, acts only if
//   lag == 0, or late and -window <= lag <= 0
// (delay_shift_stdp). A node that settles a superposed slice (no spike in it, so
// post[] does not change there) then needs no call for most of its inputs and no
// grouping of them (sim/slices_arrivals.cpp).
struct ArrivalLog {
    Time* last;        // per synapse of the projection: the latest arrival (ms)
    const Time* post;  // per target node: its last spike (ms)
    Time window;       // ms
    bool late;
};

class Rule {
public:
    explicit Rule(std::string name) : name_(std::move(name)) {}
    virtual ~Rule() = default;
    const std::string& name() const { return name_; }
    virtual unsigned hooks() const = 0;
    // Whether the rule may change delays. A weight-only rule says false, so the
    // engine can batch its target population on the projection's actual delays
    // instead of its delay_min_ms (README, "Slice batching").
    virtual bool writes_delays() const { return true; }
    // Whether the rule may change weights. A rule that says false lets the engine
    // superpose the inputs its delivered hook watches (README, "Slice batching"):
    // the node's dynamics over a slice then do not depend on the hook.
    virtual bool writes_weights() const { return true; }
    // The interval a weight rule keeps weights in, if it has one ({w_min, w_max}).
    // Initial weights outside it would be clamped at the rule's first update
    // without a word: the loader warns instead (validate --strict refuses them).
    virtual std::optional<std::pair<double, double>> weight_range() const { return std::nullopt; }
    // Whether the rule's hooks must run on one thread. With threads (README
    // "Parallel runs"), the hooks of different target nodes run at the same time
    // on different threads: a rule that touches only the synapses onto the hook's
    // target node and state kept per synapse or per target node (every built-in
    // rule but one) says false. A rule with state shared between target nodes (a
    // counter, a cache, an interpreter lock) says true: its populations' node
    // phase then runs on one thread (plasticity/README.md).
    virtual bool needs_serial() const { return false; }

    // Called once per projection the rule is attached to (slot 0, 1, ...), before
    // the run: allocate per-synapse or per-neuron state here.
    virtual void attach(std::size_t /*slot*/, const sim::Projection& /*p*/) {}

    virtual void on_pre_spike(SynapseHandle& /*s*/, Time /*t*/) {}
    virtual void on_delivered(SynapseHandle& /*s*/, Time /*t*/) {}
    virtual void on_post_spike(SynapseHandle& /*s*/, Time /*t*/) {}
    virtual void on_inhibited(SynapseHandle& /*s*/, Time /*t*/) {}
    virtual void on_post_spike_node(NodeHandle& /*n*/, Time /*t*/) {}
    // A hint: a hook for this synapse comes soon (the engine walks synapses of
    // 1e7-synapse stores in an order no cache predicts). Prefetch its state.
    virtual void prefetch(std::size_t /*slot*/, Index /*synapse*/) const {}
    // Optional (kDelivered): the hook as data for projection `slot` (ArrivalLog
    // above), or nullopt. Valid from attach until the run ends.
    virtual std::optional<ArrivalLog> arrival_log(std::size_t /*slot*/) { return std::nullopt; }

    // Checkpoints (sim/checkpoint.hpp): the rule's state (after attach), written
    // and read back in one order into a rule attached to the same projections.
    // A rule that does not implement them says false, and `run --checkpoint-at`
    // refuses it up front. (A rule without state says true and writes nothing.)
    virtual bool checkpointable() const { return false; }
    virtual void save_state(sim::Writer& /*w*/) const {}
    virtual void restore_state(sim::Reader& /*r*/) {}

private:
    std::string name_;
};

}  // namespace delaysim::plasticity
