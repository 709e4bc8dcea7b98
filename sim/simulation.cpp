#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "sim/mpi.hpp"

namespace delaysim::sim {

Simulation::Simulation(Network network)
    : net_(std::move(network)),
      core_(net_, observers_, *this),
      inflight_(net_),
      slices_(net_, core_, [this](std::uint32_t pop, Index node, Time t) { emit(pop, node, t, 0, false); }) {
    const std::size_t np = net_.populations.size();
    out_projections_.resize(np);
    predictions_.reset(core_.n_nodes());
    exact_.assign(core_.n_nodes(), kCheck);
    anchor_.assign(core_.n_nodes(), 0.0);
    // Size the queue's bucket ring to cover the largest delay (twice, for plastic
    // growth); later events simply wait in its heap.
    Time max_delay = 0.0;
    for (const Projection& proj : net_.projections) max_delay = std::max(max_delay, proj.max_delay());
    const double width = 0.02;
    std::size_t n_buckets = 16;
    while (n_buckets < 65536 && static_cast<double>(n_buckets) * width < 2.0 * max_delay + width)
        n_buckets *= 2;
    queue_ = EventQueue(width, n_buckets);
    queue_.use_synapses(net_.projections);
    for (std::uint32_t q = 0; q < net_.projections.size(); ++q) {
        const Projection& proj = net_.projections[q];
        DS_ASSERT(proj.source_population() < np && proj.target_population() < np);
        out_projections_[proj.source_population()].push_back(q);
    }
    // Lag projections: their delay is the target port's mean delay D, shared by all
    // synapses onto one (node, port); hand the initial D to the model.
    lag_.assign(net_.projections.size(), 0);
    std::map<std::tuple<std::uint32_t, std::size_t, Index>, Time> lag_init;
    for (std::uint32_t q = 0; q < net_.projections.size(); ++q) {
        const Projection& proj = net_.projections[q];
        Population& P = *net_.populations[proj.target_population()];
        if (!P.has_lag(proj.port())) continue;
        lag_[q] = 1;
        const std::string who = "projection '" + proj.name() + "' (onto lag port '" +
                                P.ports()[proj.port()].name + "' of '" + P.name() + "')";
        if (!(proj.bounds().min > 0.0))
            throw UserError(who + ": its delay is the chain's mean delay D > 0, so delay_min_ms must be > 0");
        for (Index s = 0; s < proj.size(); ++s) {
            const auto [it, fresh] = lag_init.emplace(
                std::make_tuple(proj.target_population(), proj.port(), proj.target(s)), proj.delay(s));
            if (fresh)
                P.capabilities().lags->set_lag(proj.target(s), proj.port(), proj.delay(s));
            else if (it->second != proj.delay(s))
                throw UserError(who + ": synapses onto node " + std::to_string(proj.target(s)) +
                                " share one chain and need the same delay_ms");
        }
    }
#ifdef __GLIBC__
    // Building a large network frees big temporaries (synapse lists, sort orders)
    // that glibc would otherwise keep in the process: give them back.
    malloc_trim(0);
#endif
}

void Simulation::add_rule(std::unique_ptr<plasticity::Rule> rule, std::vector<std::uint32_t> projections) {
    for (std::size_t slot = 0; slot < projections.size(); ++slot) {
        DS_ASSERT(projections[slot] < net_.projections.size());
        rule->attach(slot, net_.projections[projections[slot]]);
        core_.attach(rule.get(), projections[slot], slot);
    }
    rules_.push_back(std::move(rule));
}

// A node's state changed at t: its pending prediction is stale. Ask the model
// for the next spike, or for a cheap time before it; "now" means a later round
// of this instant.
void Simulation::predict(std::uint32_t pop, Index node, Time t, std::uint32_t level_if_now) {
    bool exact = true;
    const Time ts = core_.bound(pop, node, t, exact);
    // A pending check no later than a new lower bound is still a valid check:
    // keep it and save the heap update (the common case: input far from threshold).
    const auto g = static_cast<std::uint32_t>(core_.global(pop, node));
    if (!exact && exact_[g] == kCheck && predictions_.contains(g) && predictions_.at(g).t <= ts) return;
    schedule(pop, node, ts, ts == t ? level_if_now : 0, exact ? kExact : kCheck);
}

void Simulation::schedule(std::uint32_t pop, Index node, Time t, std::uint32_t level, Kind kind,
                          std::uint64_t seq) {
    const auto g = static_cast<std::uint32_t>(core_.global(pop, node));
    if (!(t < core_.horizon)) return predictions_.erase(g);
    exact_[g] = kind;
    predictions_.set(g, Prediction{t, level, seq, pop, node});
}

// Run-loop order (the one place it is written down):
//  1. Events are processed in (t, level, seq) order. Within one instant t, round r
//     first fires every node whose threshold crossing is at t (level 2r), then
//     applies every delivery due at t (level 2r+1). A delivery that pushes a node
//     over threshold makes it fire at t in round r+1; zero-delay deliveries of a
//     round-r spike belong to round r (level 2r+1). So rivals that cross at the
//     same instant both fire and both are inhibited, as in Brian2.
//  2. Before the first event at time t, observers sample the state at every
//     sample time <= t (exact closed-form values; samples see the state before
//     the events at their own time).
//  3. A fire: the model resets the node, the spike is reported, one delivery per
//     outgoing synapse is queued at t + delay (delay in force at emission), then
//     pre/post-spike hooks run, then the node's next spike is predicted.
//  4. A delivery: the target advances to t and receives the weight, delivered
//     hooks run, inhibit ports trigger inhibited hooks, the target is re-predicted.
//     What a node does at a fire, a delivery and a check is the per-node core
//     (sim/node_core.hpp), shared with step 7; so are its guards: a runaway node
//     or a non-finite state stops the run (UserError).
//  5. Each node has at most one pending prediction, updated in place whenever
//     its state changes; a prediction may be a cheap check time before the spike
//     (Population::spike_bound), where the exact time is then computed. Stale
//     deliveries of retimed synapses are dropped (sim/inflight.hpp).
//  6. The stop flag is polled once per event; the run ends at the first event
//     with t >= t_stop (the run covers [start, t_stop)).
//  7. Batched populations (sim/slices.hpp) follow the same rules per node, in
//     slices of their minimum delay h: within each slice (cut at sample times),
//     first the batched nodes take their inputs in time order, then their spikes
//     and rule changes are replayed in time order (spikes expanded), then steps
//     1-6 run for the other populations up to the slice end. Nothing reaches a
//     batched node within h, so this order gives the event loop's results.
//  8. Threads (set_threads, sim/parallel.hpp; README "Parallel runs"): each
//     thread owns a fixed contiguous range of the nodes (a part, sim/slices.hpp)
//     and does step 7's node-sized work for it: the expansion of the slice's
//     spikes onto its own targets, the summing or grouping of its inputs, and
//     its nodes exactly as above (runs in node order); their spikes and rule
//     changes are merged in range order (= the one-thread order) before the
//     replay, so every output and every tie order is bit-identical for any
//     number of threads. The replay's reports and steps 1-6 (the event loop)
//     stay on one thread.
bool Simulation::run(Time t_stop) {
    if (!(t_stop > core_.now)) throw UserError("t_stop must lie after the current time");
    if (!prepared_) {
        core_.index_hooks();
        setup_batching();
        prepared_ = true;
    }
    const Time horizon = std::max(t_stop, final_horizon_);
    // The same look-ahead as the last run (set_horizon): its predictions stand.
    const bool resume = predicted_ && horizon == core_.horizon && !replan_;
    if (replan_) replan_batching();
    core_.horizon = horizon;
    running_ = true;
    struct Running {  // cleared however run() ends
        bool& flag;
        ~Running() { flag = false; }
    } running{running_};
    // Predictions depend on the horizon: make every node predict afresh.
    for (std::uint32_t p = 0; p < net_.populations.size() && !resume; ++p) {
        if (batched(p)) continue;
        for (Index i = 0; i < net_.populations[p]->size(); ++i) {
            net_.populations[p]->advance(i, core_.now);
            predict(p, i, core_.now, 0);
        }
    }
    predicted_ = true;
    if (slices_.on()) {
        const bool done = run_batched(t_stop, resume);
        slices_.flush_pending();  // (threads: the last sub-slice's expansion)
        if (!done) return false;
    } else if (!main_until(t_stop, t_stop)) {
        return false;
    }
    if (stop_flag_ && *stop_flag_) return false;
    if (!sample_until(std::nextafter(t_stop, -kNever), t_stop)) return false;
    if (mpi::size() > 1) {  // a node's state is current on its owner rank only: agree on the verdict
        std::exception_ptr error;
        try {
            core_.check_all_finite(t_stop);
        } catch (...) {
            error = std::current_exception();
        }
        mpi::agree(error);
    } else {
        core_.check_all_finite(t_stop);
    }
    core_.now = t_stop;
    for (Observer* o : observers_) o->on_progress(core_.now);
    return true;
}

// Samples can be many between two events (long quiet stretches): they poll the
// stop flag and report progress like events do. false: stop requested.
bool Simulation::sample_until(Time t, Time t_stop) {
    if (sample_interval_ <= 0) return true;
    for (;;) {
        const Time ts = static_cast<double>(next_sample_) * sample_interval_;
        if (ts > t || ts >= t_stop) return true;
        for (Observer* o : observers_) o->on_sample(ts);
        if ((++next_sample_ & 4095) == 0) {
            if (stop_flag_ && *stop_flag_) return false;
            for (Observer* o : observers_) o->on_progress(ts);
        }
    }
}

// The event-by-event loop over the queue and the predictions: every event with
// t < until. false: stop requested.
bool Simulation::main_until(Time until, Time t_stop) {
    for (;;) {
        if (stop_flag_ && *stop_flag_) return false;
        // Predictions have even levels and deliveries odd ones: never a tie.
        const Event* ev = queue_.peek();
        const Prediction* pr = predictions_.empty() ? nullptr : &predictions_.top();
        if (!ev && !pr) return true;
        const bool take_prediction =
            pr && (!ev || pr->t < ev->t || (pr->t == ev->t && pr->level < ev->level));
        const Time t = take_prediction ? pr->t : ev->t;
        if (t >= until) return true;
        // (Tested here: without samples the call per event is all the cost.)
        if (sample_interval_ > 0 && !sample_until(t, t_stop)) return false;
        core_.now = t;
        if (take_prediction) {
            const Prediction p = predictions_.top();
            predictions_.pop();
            level_ = p.level;
            handle_prediction(p);
        } else {
            const Event e = queue_.pop();
            level_ = e.level;
            handle_delivery(e);
        }
        if ((++core_.n_events & 4095) == 0) {
            for (Observer* o : observers_) o->on_progress(core_.now);
            // MPI ranks without slices (no exchange): every rank runs these same
            // events, so they agree on the stop flag here (sim/mpi.hpp).
            if (!slices_.on() && mpi::size() > 1) mpi::sync_stop();
        }
    }
}

// The driver of slice batching (step 7 of the run-loop order): slice after
// slice; within a slice, sub-slices end at sample times. Each sub-slice [a, b):
// first the batched nodes (each through its inputs < b), then their spikes and
// the rules' changes in time order (expanding the spikes), then the
// event-by-event loop for the other populations up to b (which sees the batched
// spikes: deliveries to them are at >= the spike time).
bool Simulation::run_batched(Time t_stop, bool resume) {
    slices_.start_run(sample_interval_ > 0, resume);
    std::uint64_t slices = 0;
    for (;;) {
        if (stop_flag_ && *stop_flag_) return false;
        if (!sample_until(core_.now, t_stop)) return false;
        if (!slices_.begun()) slices_.begin_next(next_sample_time());
        const Time end = slices_.slice_end();
        const Time b = std::min({end, t_stop, next_sample_time()});
        const bool last = b == end;
        slices_.interval(b, last, b >= t_stop || b == next_sample_time());
        if (!main_until(b, t_stop)) return false;
        core_.now = b;
        if (last) {
            slices_.end_slice();
            if ((++slices & 63) == 0)
                for (Observer* o : observers_) o->on_progress(core_.now);
        }
        if (b >= t_stop) return true;
    }
}

int Simulation::ranks() const {
    return slices_.split_among_ranks() ? mpi::size() : 1;
}

void Simulation::setup_batching() {
    slices_.setup(allow_batching_, allow_superposition_, lag_, batching_notes_);
    slices_.setup_threads(batching_notes_);
    slices_.setup_ranks(batching_notes_);
    for (std::uint32_t p = 0; p < net_.populations.size(); ++p)
        net_.populations[p]->on_event_loop(!batched(p));
}

// A delay below the slice width was set between runs: plan again (h may shrink,
// or a population may leave batching), carrying the pending inputs over.
void Simulation::replan_batching() {
    replan_ = false;
    const std::vector<SliceInput> pending = slices_.take_pending();
    setup_batching();
    for (const SliceInput& in : pending) {
        if (slices_.batched_projection(in.q)) {
            slices_.push_input(in);
            continue;
        }
        // Its population left batching: into the event queue, as emit() would. (The
        // stored weight equals the one copied at emission unless weights are live,
        // and then deliveries read the store anyway.)
        queue_.push(delivery(in.q, in.s, in.t, 1, in.t - net_.projections[in.q].delay(in.s)));
    }
}

// A check (kCheck) at p.t: the node advances to p.t, as it always did, but the
// exact search (~20 exponentials, mostly wasted: in a recurrent network an input
// usually comes first and makes it stale) is deferred, in two steps: first to
// the model's plain bound from p.t (no exponential: the node stands at p.t), and
// if no input came by then, from there to its chained bound from p.t
// (spike_bound_until: no crossing before it; kChained), where the search is
// made. Most deferrals are overtaken by an input before their first step, so
// the chain (a few exponentials per link) is paid only by the few that are not.
// The search is made from p.t all the same, on the state of p.t: nothing changed
// the node in between, or a delivery would have replaced the deferred check. So
// the model sees the same calls with the same arguments as with the search made
// at once, and the spike keeps the seq it would have got at p.t: results are
// identical to the bit. Only the deferral itself costs heap updates and bounds.
void Simulation::handle_prediction(const Prediction& p) {
    Population& P = *net_.populations[p.pop];
    const Index g = core_.global(p.pop, p.node);
    const Kind kind = static_cast<Kind>(exact_[g]);
    const bool deferred = kind == kDeferred || kind == kChained;
    if (!deferred) P.advance(p.node, p.t);
    if ((kind == kCheck && defer_checks_) || kind == kDeferred) {
        const Time from = deferred ? anchor_[g] : p.t;
        bool exact = true;
        // b = from: one link only; the horizon: as many as the model chains.
        const Time b = core_.bound_until(p.pop, p.node, from, deferred ? core_.horizon : from, exact);
        // A margin far above rounding keeps the deferred check before the crossing
        // even if the chained states round differently from the search's.
        const Time later = from + (b - from) * kDeferShare;
        if (!exact && later > p.t && later < core_.horizon) {
            anchor_[g] = from;
            if (deferred)
                schedule(p.pop, p.node, later, 0, kChained, p.seq);  // the seq got at the check
            else
                schedule(p.pop, p.node, later, 0, kDeferred);
            return;
        }
    }
    if (kind != kExact) {  // find the exact time now
        const Time ts = core_.exact_spike(p.pop, p.node, deferred ? anchor_[g] : p.t);
        if (ts > p.t) {
            if (deferred)
                schedule(p.pop, p.node, ts, 0, kExact, p.seq);  // the seq the spike got at the check
            else
                schedule(p.pop, p.node, ts, 0, kExact);
            return;
        }
        if (!(ts <= p.t)) return;  // no spike before the horizon
        // A deferred check can only meet its spike exactly (ts == p.t); a model
        // whose chained bound passed the crossing fires now, the earliest it can.
        if (deferred) P.advance(p.node, p.t);
    }
    handle_fire(p.pop, p.node, p.t, p.level);
}

// The queue entry for a spike emitted at `emitted` through synapse s of projection
// q, arriving at t (weight as stored now; version stamp 0).
Event Simulation::delivery(std::uint32_t q, Index s, Time t, std::uint32_t level, Time emitted) const {
    const Projection& proj = net_.projections[q];
    Event d;
    d.t = t;
    d.level = level;
    d.group = q;
    d.item = static_cast<std::uint32_t>(s);
    d.target = static_cast<std::uint32_t>(proj.target(s));
    d.weight = proj.weight(s);
    d.emitted = emitted;
    return d;
}

// Every synapse of [begin, end) has delay 0 (checked per spike, not kept per
// projection: a count kept at every delay write cost the plastic run ~0.7 %).
static bool zero_delays(const Projection& proj, Index begin, Index end) {
    const Time* d = proj.delays();
    for (Index s = begin; s < end; ++s)
        if (d[s] != 0.0) return false;
    return true;
}

// Expand a spike: one delivery per outgoing synapse, at emission + the delay in force.
void Simulation::emit(std::uint32_t pop, Index node, Time t, std::uint32_t level, bool ring) {
    inflight_.emitted(pop, node, t);
    for (std::uint32_t q : out_projections_[pop]) {
        const Projection& proj = net_.projections[q];
        if (slices_.batched_projection(q)) {  // into the slice ring of a batched population
            if (!ring) continue;
            const auto g0 = static_cast<std::uint32_t>(core_.node_offset(proj.target_population()));
            const auto port = static_cast<std::uint32_t>(proj.port());
            for (Index s = proj.out_begin(node), end = proj.out_end(node); s < end; ++s)
                slices_.push_input({t + proj.delay(s), proj.weight(s),
                                    g0 + static_cast<std::uint32_t>(proj.target(s)), q,
                                    static_cast<std::uint32_t>(s), port});
            continue;
        }
        const bool retime = inflight_.retime(q);
        const Index begin = proj.out_begin(node), end = proj.out_end(node);
        if (zero_delay_ranges_ && !retime && !lag_[q] && end > begin && zero_delays(proj, begin, end)) {
            // All due now, in synapse order: one FIFO entry (each read from the
            // store at its turn: the copy made here unless weights are live, and
            // live weights are read at delivery anyway).
            queue_.push_now_range(delivery(q, begin, t, level + 1, t),
                                  static_cast<std::uint32_t>(end - begin - 1));
            continue;
        }
        for (Index s = begin; s < end; ++s) {
            const Time arrival = t + (lag_[q] ? 0.0 : proj.delay(s));
            const bool now = arrival == t;
            Event d = delivery(q, s, arrival, now ? level + 1 : 1, t);
            if (retime) d.stamp = inflight_.stamp(q, s);
            if (now)  // zero delay: due in this round, into the queue's FIFO tier
                queue_.push_now(d);
            else
                queue_.push(d);
        }
    }
}

void Simulation::handle_fire(std::uint32_t pop, Index node, Time t, std::uint32_t level) {
    core_.fire(pop, node, t, [&] {
        for (Observer* o : observers_) o->on_spike(pop, node, t);
        emit(pop, node, t, level);
        if (core_.any_rules()) core_.run_pre_spike_hooks(pop, node, t);
    });
    predict(pop, node, t, level + 2);
}

void Simulation::handle_delivery(const Event& e) {
    if (!inflight_.admit(e)) return;
    const Projection& proj = net_.projections[e.group];
    const std::uint32_t pop = proj.target_population();
    core_.deliver(pop, e.target, e.group, e.item, proj.port(), core_.live_weight(e.group, e.item, e.weight),
                  e.t);
    predict(pop, e.target, e.t, e.level + 1);
}

void Simulation::set_delay(std::uint32_t q, Index s, Time d, const std::string& by) {
    Projection& proj = net_.projections[q];
    const Time old = proj.delay(s);
    const Time now = core_.hook_time();  // (a thread's own in a parallel node phase)
    const Time applied = proj.apply_delay_bounds(d, s, now, by);
    if (applied == old) return;
    if (lag_[q]) return set_lag_delay(q, s, applied, by);
    if (slices_.batched_projection(q) && applied < slices_.h()) {
        // Between runs: the next run re-plans its slices around this delay. Inside a
        // run it cannot happen through rules (their delays stay >= delay_min_ms >= h).
        if (running_)
            throw UserError("projection '" + proj.name() + "': delay " + fmt_ms(applied) +
                            " is below the slice width " + fmt_ms(slices_.h()) +
                            " its target population is simulated with during this run");
        replan_ = true;
    }
    proj.store_delay(s, applied);
    if (slices_.logging()) {  // inside a slice: reported, and replayed against its spikes, at its end
        slices_.log_change({now, q, s, old, applied, &by, true});
        return;
    }
    for (Observer* o : observers_) o->on_synapse_change(q, s, SynapseVariable::Delay, old, applied, by, now);
    inflight_.delay_changed(proj, q, s, applied, now, [&](Time emitted, Time arrival, std::uint32_t stamp) {
        Event ev = delivery(q, s, arrival, arrival == now ? (level_ | 1u) : 1,
                            emitted);  // now: this round (odd level)
        ev.stamp = stamp;
        queue_.push(ev);
    });
}

// A lag projection's delay is the mean delay D of its target port, shared by every
// synapse onto that (node, port): the model moves D (keeping the chain's charge,
// models/lag_chain.hpp), D is mirrored into every sharing synapse (each change
// reported), and the node is re-predicted. Nothing is in flight to retime.
void Simulation::set_lag_delay(std::uint32_t q, Index s, Time d, const std::string& by) {
    const std::uint32_t pop = net_.projections[q].target_population();
    const std::size_t port = net_.projections[q].port();
    const Index node = net_.projections[q].target(s);
    const Time now = core_.now;
    Population& P = *net_.populations[pop];
    P.advance(node, now);
    P.capabilities().lags->set_lag(node, port, d);
    for (std::uint32_t r = 0; r < net_.projections.size(); ++r) {
        Projection& other = net_.projections[r];
        if (!lag_[r] || other.target_population() != pop || other.port() != port) continue;
        for (Index k : other.incoming(node)) {
            const Time old = other.delay(k);
            if (old == d) continue;
            other.store_delay(k, d);
            for (Observer* o : observers_)
                o->on_synapse_change(r, k, SynapseVariable::Delay, old, d, by, now);
        }
    }
    predict(pop, node, now, level_ % 2 == 0 ? level_ + 2 : level_ + 1);
}

void Simulation::set_weight(std::uint32_t q, Index s, double w, const std::string& by) {
    Projection& proj = net_.projections[q];
    if (!std::isfinite(w))
        throw UserError("projection '" + proj.name() + "': " + by +
                        " set a weight that is not a finite number");
    const double old = proj.weight(s);
    if (w == old) return;
    proj.store_weight(s, w);
    core_.mark_weight_live(q);
    const Time now = core_.hook_time();  // (a thread's own in a parallel node phase)
    if (slices_.logging()) {
        slices_.log_change({now, q, s, old, w, &by, false});
        return;
    }
    for (Observer* o : observers_) o->on_synapse_change(q, s, SynapseVariable::Weight, old, w, by, now);
}

}  // namespace delaysim::sim
