// A population is a homogeneous group of nodes (neurons or spike sources) of one
// model. The engine talks to models only through this interface; every model
// integrates in closed form between events, so the engine can ask for the state
// at any time and for the exact time of the next spike.
// Two parts: the required core (class Population: ten methods that define the
// model's meaning) and optional capabilities (SpikeBounds, Batching,
// Superposition, LagPorts: speed-ups and lag ports), each an interface the model
// implements and declares once in its constructor; the engine reads them once at
// set-up. Results are returned as values (Bound, std::optional), not through
// out-parameters.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "sim/slice_input.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

// The result of absorb() and settle(): a check time, or none. Used like a
// std::optional<Time> (and converts to one), but not one: GCC 12 returns
// std::optional<double> by a byte store and an 8-byte load of the same stack
// slot, a store-forwarding stall on every call (settle: ~6 % of the n1e4k100
// run, tools/bench/PROFILE.md session 9); a double and a bool come back in
// registers.
struct MaybeTime {
    Time t = 0.0;
    bool ok = false;
    constexpr MaybeTime() = default;
    constexpr MaybeTime(std::nullopt_t) {}
    constexpr MaybeTime(Time v) : t(v), ok(true) {}
    constexpr MaybeTime(const std::optional<Time>& o) : t(o ? *o : 0.0), ok(o.has_value()) {}
    constexpr explicit operator bool() const { return ok; }
    constexpr bool has_value() const { return ok; }
    constexpr Time operator*() const { return t; }
    constexpr operator std::optional<Time>() const { return ok ? std::optional<Time>(t) : std::nullopt; }
};

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

// What a check needs: a time <= the node's next spike without new input.
// exact: t is the spike time itself. t = kNever: no spike before the horizon.
struct Bound {
    Time t;
    bool exact;
};

// Optional capabilities: a model implements the ones it can prove and declares
// them once, in its constructor (Population::declare); the engine reads them once
// at set-up. None changes a result: each only lets the engine skip work.
//
// Cheap spike bounds, for models whose exact search is costly: the engine checks
// at the bound and asks next_spike() only if no input came first. Without it the
// check is at next_spike() itself.
class SpikeBounds {
public:
    // Node i at t: never later than next_spike(i, t, horizon).
    virtual Bound spike_bound(Index i, Time t, Time horizon) = 0;
    // For a node that gets no input before b: the model may chain bounds (no
    // crossing before a bound, so bound again from there) until one passes b.
    virtual Bound spike_bound_until(Index i, Time t, Time b, Time horizon) {
        (void)b;
        return spike_bound(i, t, horizon);
    }

protected:
    ~SpikeBounds() = default;
};

// Slice batching (sim/slices.hpp): the engine processes the population per slice
// of the minimum delay, without a per-node prediction.
class Batching {
public:
    // Node i, at its last update t0: can it reach threshold before t1 if it also
    // receives inputs at times in [t0, t1] whose positive weights sum to
    // w_plus[port]? false must be a proof; true may be conservative.
    virtual bool may_spike_before(Index i, Time t1, const double* w_plus) const = 0;
    // The fast path in one call: apply inputs in[0..n) (in time order, in[0].t >=
    // the node's time) if the model proves no spike before the last of them, and
    // return the check (as a bound from in[n-1].t). Otherwise change nothing and
    // return nothing.
    virtual MaybeTime absorb(Index /*i*/, const SliceInput* /*in*/, std::size_t /*n*/, Time /*horizon*/) {
        return std::nullopt;
    }
    // A hint that node i is needed soon (batched slices walk nodes in input order).
    virtual void prefetch(Index /*i*/) const {}

protected:
    ~Batching() = default;
};

// Slice superposition (sim/slices.hpp), for a batched model whose inputs
// superpose linearly between spikes (SliceKernel): the engine sums a node's inputs
// of a whole slice [span.t0, span.t1) at t1 and settle() applies the sum, if it
// proves that node i, from its last update, with inputs arriving in
// [sum.t_first, t1) whose positive weights are sum.w_plus, cannot reach threshold
// before t1; it then moves the node to t1 and returns the check (a bound from t1).
// Otherwise it changes nothing and returns nothing (the engine takes the exact
// path). span.quiet_until: the node's own evolution, without these inputs, does
// not reach threshold before it (proven by an earlier bound).
class Superposition {
public:
    struct Span {
        Time t0, t1, quiet_until, horizon;
    };
    virtual SliceKernel slice_kernel() const = 0;
    virtual MaybeTime settle(Index i, const SliceSum& sum, const Span& span) = 0;
    // Called on one thread before each slice's settle() calls, which may then run
    // on several threads at once (README "Parallel runs"): what settle() would
    // build lazily for the span (tables for its width) must be built here, so that
    // settle() only reads shared members and writes node i's state.
    virtual void prepare_settle(const Span& /*span*/) {}

protected:
    ~Superposition() = default;
};

// Lag ports: distributed delays realised inside the model (Wilson's chain,
// models/lag_chain.hpp). A projection onto a lag port has no axonal delay; its
// synapse delay is the port's mean delay D, which Simulation passes here at
// construction and on every plastic change (bounds already applied; node i is
// at the current time). D > 0, ms. Shared by all synapses onto (i, port).
class LagPorts {
public:
    virtual bool has_lag(std::size_t port) const = 0;
    virtual void set_lag(Index i, std::size_t port, Time d) = 0;
    virtual Time lag(Index i, std::size_t port) const = 0;
    // The largest mean delay D the model accepts on a lag port (ms). The loader
    // refuses initial delays past it and warns when plastic bounds reach past it.
    virtual Time lag_limit(std::size_t port) const = 0;

protected:
    ~LagPorts() = default;
};

struct Capabilities {
    SpikeBounds* bounds = nullptr;
    Batching* batching = nullptr;
    Superposition* superposition = nullptr;  // only with batching
    LagPorts* lags = nullptr;
};

// The required core: what defines a model's meaning.
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
    // Node i spikes at t (node already at t): reset, refractoriness, next emission.
    virtual void fire(Index i, Time t) = 0;
    // Value of variable `var` of node i at time t >= last update, assuming no
    // event in between; does not change the state (used for exact sampling).
    virtual double value(Index i, std::size_t var, Time t) const = 0;
    // Set a state variable before the run (initial state, per node).
    virtual void set_value(Index i, std::size_t var, double x) = 0;

    // Called at set-up of every run plan: only = true if the event-by-event loop alone
    // calls this population's methods (one thread, in time order), false if it is
    // batched (sim/slices.hpp: calls may come from several threads at once). A model may
    // share a cache across nodes in the first case only (none by default).
    virtual void on_event_loop(bool /*only*/) {}

    // The optional capabilities this population declared (none by default).
    const Capabilities& capabilities() const { return caps_; }
    bool has_lag(std::size_t port) const { return caps_.lags && caps_.lags->has_lag(port); }

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

protected:
    // Called once by the model's constructor (pointers to the model itself).
    void declare(const Capabilities& caps) { caps_ = caps; }

private:
    std::string name_;
    Index size_;
    Capabilities caps_;
};

}  // namespace delaysim::sim
