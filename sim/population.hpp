// A population is a homogeneous group of nodes (neurons or spike sources) of one
// model. The engine talks to models only through this interface; every model
// integrates in closed form between events, so the engine can ask for the state
// at any time and for the exact time of the next spike.
#pragma once
#include <string>
#include <vector>

#include "sim/slice_input.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

class Writer;
class Reader;

enum class PortKind {
    Input,    // adds the synaptic weight to a state variable
    Inhibit,  // resets the node (the seed's rival inhibition); triggers the on_inhibited hook
};

struct PortInfo {
    std::string name;
    PortKind kind = PortKind::Input;
    std::string doc;
};

struct VariableInfo {
    std::string name;
    std::string unit;
    std::string doc;
};

class Population {
public:
    Population(std::string name, Index size) : name_(std::move(name)), size_(size) {}
    virtual ~Population() = default;
    Population(const Population&) = delete;
    Population& operator=(const Population&) = delete;

    const std::string& name() const { return name_; }
    Index size() const { return size_; }
    virtual const std::string& model() const = 0;
    virtual bool is_source() const = 0;
    virtual const std::vector<PortInfo>& ports() const = 0;          // empty for sources
    virtual const std::vector<VariableInfo>& variables() const = 0;  // recordable state

    // Bring node i forward to time t (t >= its last update) in closed form.
    virtual void advance(Index i, Time t) = 0;
    // Apply a spike of weight w arriving on `port` at time t (node already at t).
    virtual void receive(Index i, std::size_t port, double w, Time t) = 0;
    // Earliest time >= t at which node i spikes if nothing else reaches it, or
    // kNever if it does not spike before `horizon`. Node i is at time t.
    virtual Time next_spike(Index i, Time t, Time horizon) = 0;
    // A cheap time <= the next spike, for models whose exact search is costly:
    // the engine schedules a check there and asks next_spike() only if no input
    // came first. `exact` says whether the answer is the spike time itself.
    // kNever means no spike before `horizon`. Default: the exact answer.
    virtual Time spike_bound(Index i, Time t, Time horizon, bool& exact) {
        exact = true;
        return next_spike(i, t, horizon);
    }
    // Slice batching (sim/slices.cpp). A batchable model lets the engine
    // process its nodes per slice of the minimum delay, without a per-node
    // prediction: the engine then relies on spike_bound() and may_spike_before().
    virtual bool batchable() const { return false; }
    // spike_bound() for a node that gets no input before b: a model may tighten the
    // bound by chaining (no crossing before the bound, so bound again from there)
    // until it passes b, saving exact searches. Default: spike_bound().
    virtual Time spike_bound_until(Index i, Time t, Time b, Time horizon, bool& exact) {
        (void)b;
        return spike_bound(i, t, horizon, exact);
    }
    // A hint that node i is needed soon (batched slices walk nodes in input order:
    // large populations otherwise wait for memory at every node).
    virtual void prefetch(Index /*i*/) const {}
    // Node i, at its last update t0: can it reach threshold before t1 if it also
    // receives inputs at times in [t0, t1] whose positive weights sum to
    // w_plus[port]? false must be a proof (the engine then applies the inputs
    // without crossing searches); true may be conservative.
    virtual bool may_spike_before(Index /*i*/, Time /*t1*/, const double* /*w_plus*/) const { return true; }
    // The batched fast path in one call: apply inputs in[0..n) (in time order,
    // in[0].t >= the node's time) if the model proves no spike before the last of
    // them; then set `next` as spike_bound(i, in[n-1].t, horizon) would and return
    // true. Otherwise change nothing and return false.
    virtual bool absorb(Index /*i*/, const SliceInput* /*in*/, std::size_t /*n*/, Time /*horizon*/,
                        Time& /*next*/) {
        return false;
    }
    // Slice superposition (sim/slices.hpp): a model whose inputs superpose
    // linearly between spikes describes them (SliceKernel); the engine then sums a
    // node's inputs of a whole slice [span.t0, span.t1) at t1 and asks settle() to
    // apply the sum. settle() must prove that node i, from its last update, with
    // inputs arriving in [sum.t_first, t1) whose positive weights are sum.w_plus,
    // cannot reach threshold before t1 (false: change nothing, the engine takes
    // the exact path); then move the node to t1 with the sum added and set `next`
    // as spike_bound(i, t1, span.horizon) would. It may use span.quiet_until: the
    // node's own evolution, without these inputs, does not reach threshold before
    // it (the engine's check, proven by an earlier spike_bound).
    struct SliceSpan {
        Time t0, t1, quiet_until, horizon;
    };
    virtual bool slice_kernel(SliceKernel& /*k*/) const { return false; }
    virtual bool settle(Index /*i*/, const SliceSum& /*sum*/, const SliceSpan& /*span*/, Time& /*next*/) {
        return false;
    }
    // Called on one thread before each slice's settle() calls, which may then run
    // on several threads at once (README "Parallel runs"): what settle() would
    // build lazily for the span (tables for its width) must be built here, so that
    // settle() only reads shared members and writes node i's state.
    virtual void prepare_settle(const SliceSpan& /*span*/) {}
    // Node i spikes at t (node already at t): reset, refractoriness, next emission.
    virtual void fire(Index i, Time t) = 0;
    // Value of variable `var` of node i at time t >= last update, assuming no
    // event in between; does not change the state (used for exact sampling).
    virtual double value(Index i, std::size_t var, Time t) const = 0;
    // Set a state variable before the run (initial state, per node).
    virtual void set_value(Index i, std::size_t var, double x) = 0;

    // Lag ports: distributed delays realised inside the model (Wilson's chain,
    // models/lag_chain.hpp). A projection onto a lag port has no axonal delay; its
    // synapse delay is the port's mean delay D, which Simulation passes here at
    // construction and on every plastic change (bounds already applied; node i is
    // at the current time). D > 0, ms. Shared by all synapses onto (i, port).
    virtual bool has_lag(std::size_t /*port*/) const { return false; }
    virtual void set_lag(Index /*i*/, std::size_t /*port*/, Time /*d*/) {}
    virtual Time lag(Index /*i*/, std::size_t /*port*/) const { return 0.0; }
    // The largest mean delay D the model accepts on a lag port (ms). The loader
    // refuses initial delays past it and warns when plastic bounds reach past it.
    virtual Time lag_limit(std::size_t /*port*/) const { return 1e300; }

    // Checkpoints (sim/checkpoint.hpp): the dynamic state of every node (and a
    // source's RNG streams), written and read back in one order into a
    // population built from the same config. A model that does not implement
    // them says false, and `run --checkpoint-at` refuses the network up front.
    virtual bool checkpointable() const { return false; }
    virtual void save_state(Writer& /*w*/) const {}
    virtual void restore_state(Reader& /*r*/) {}

    // Index of a port or variable by name, or -1.
    long port_index(const std::string& port) const;
    long variable_index(const std::string& var) const;

private:
    std::string name_;
    Index size_;
};

}  // namespace delaysim::sim
