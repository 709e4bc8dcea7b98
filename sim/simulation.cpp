#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace delaysim::sim {

Simulation::Simulation(Network network) : net_(std::move(network)) {
    const std::size_t np = net_.populations.size();
    out_projections_.resize(np);
    history_.resize(np);
    history_span_.assign(np, 0.0);
    weight_live_.assign(net_.projections.size(), 0);
    node_offset_.assign(np + 1, 0);
    for (std::size_t p = 0; p < np; ++p) node_offset_[p + 1] = node_offset_[p] + net_.populations[p]->size();
    handle_.resize(node_offset_[np]);
    scheduled_.assign(node_offset_[np], 0);
    exact_.assign(node_offset_[np], 0);
    // Size the queue's bucket ring to cover the largest delay (twice, for plastic
    // growth); later events simply wait in its heap.
    Time max_delay = 0.0;
    for (const Projection& proj : net_.projections) max_delay = std::max(max_delay, proj.max_delay());
    const double width = 0.02;
    std::size_t n_buckets = 16;
    while (n_buckets < 65536 && static_cast<double>(n_buckets) * width < 2.0 * max_delay + width) n_buckets *= 2;
    queue_ = EventQueue(width, n_buckets);
    for (std::uint32_t q = 0; q < net_.projections.size(); ++q) {
        const Projection& proj = net_.projections[q];
        DS_ASSERT(proj.source_population() < np && proj.target_population() < np);
        out_projections_[proj.source_population()].push_back(q);
        if (proj.inflight() == InflightPolicy::Retime) {
            const auto src = proj.source_population();
            if (!std::isfinite(proj.bounds().max))
                throw UserError("projection '" + proj.name() +
                                "': inflight = \"retime\" needs a finite delay_max_ms");
            history_[src].resize(net_.populations[src]->size());
            history_span_[src] = std::max(history_span_[src], proj.bounds().max);
        }
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
            const auto [it, fresh] =
                lag_init.emplace(std::make_tuple(proj.target_population(), proj.port(), proj.target(s)), proj.delay(s));
            if (fresh)
                P.set_lag(proj.target(s), proj.port(), proj.delay(s));
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
        attachments_.push_back({rule.get(), projections[slot], slot});
    }
    rules_.push_back(std::move(rule));
}

// Hook dispatch lists, built once before the first run (rules are attached by then):
// delivered hooks by projection, post-spike hooks by target population, each in
// attachment order. Both run loops (event by event, sliced) dispatch through them.
void Simulation::index_hooks() {
    delivered_hooks_.assign(net_.projections.size(), {});
    post_hooks_.assign(net_.populations.size(), {});
    any_delivered_hooks_ = false;
    for (const Attachment& a : attachments_) {
        if (a.rule->hooks() & plasticity::kDelivered) {
            delivered_hooks_[a.projection].push_back(a);
            any_delivered_hooks_ = true;
        }
        if (a.rule->hooks() & plasticity::kPostSpike)
            post_hooks_[net_.projections[a.projection].target_population()].push_back(a);
    }
}

void Simulation::run_delivered_hooks(std::uint32_t q, Index s, Time t) {
    for (const Attachment& a : delivered_hooks_[q]) {
        now_ = t;
        plasticity::SynapseHandle h(*this, a.projection, s, a.slot, *a.rule);
        a.rule->on_delivered(h, t);
    }
}

// Walks the ~K incoming synapses of the node per rule: their state and delays are
// scattered in large stores, so prefetch a few synapses ahead.
void Simulation::run_post_spike_hooks(std::uint32_t pop, Index node, Time t) {
    for (const Attachment& a : post_hooks_[pop]) {
        now_ = t;
        Projection& proj = net_.projections[a.projection];
        const auto in = proj.incoming(node);
        constexpr std::size_t kAhead = 8;
        for (std::size_t k = 0; k < in.size(); ++k) {
            if (k + kAhead < in.size()) {
                a.rule->prefetch(a.slot, in[k + kAhead]);
                proj.prefetch(in[k + kAhead]);
            }
            plasticity::SynapseHandle h(*this, a.projection, in[k], a.slot, *a.rule);
            a.rule->on_post_spike(h, t);
        }
    }
}

template <class F>
void Simulation::for_rules(unsigned hook, F&& f) {
    for (const Attachment& a : attachments_)
        if (a.rule->hooks() & hook) f(a);
}

// A node's state changed at t: its pending prediction is stale. Ask the model
// for the next spike, or for a cheap time before it; "now" means a later round
// of this instant.
void Simulation::predict(std::uint32_t pop, Index node, Time t, std::uint32_t level_if_now) {
    bool exact = true;
    const Time ts = net_.populations[pop]->spike_bound(node, t, horizon_, exact);
    DS_ASSERT(!(ts < t));
    // A pending check no later than a new lower bound is still a valid check:
    // keep it and save the heap update (the common case: input far from threshold).
    const Index g = node_offset_[pop] + node;
    if (!exact && scheduled_[g] && !exact_[g] && (*handle_[g]).t <= ts) return;
    schedule(pop, node, ts, ts == t ? level_if_now : 0, exact);
}

void Simulation::schedule(std::uint32_t pop, Index node, Time t, std::uint32_t level, bool exact) {
    const Index g = node_offset_[pop] + node;
    if (!(t < horizon_)) {
        if (scheduled_[g]) predictions_.erase(handle_[g]);
        scheduled_[g] = 0;
        return;
    }
    exact_[g] = exact;
    const Prediction p{t, level, prediction_seq_++, pop, node};
    if (scheduled_[g]) {
        predictions_.update(handle_[g], p);
    } else {
        handle_[g] = predictions_.push(p);
        scheduled_[g] = 1;
    }
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
//  5. Each node has at most one pending prediction, updated in place whenever
//     its state changes; a prediction may be a cheap check time before the spike
//     (Population::spike_bound), where the exact time is then computed. Stale
//     deliveries of retimed synapses (older version stamps) are dropped.
//  6. The stop flag is polled once per event; the run ends at the first event
//     with t >= t_stop (the run covers [start, t_stop)).
//  7. Batched populations (sim/batch.hpp) follow the same rules per node, in
//     slices of their minimum delay h: within each slice (cut at sample times),
//     first the batched nodes take their inputs in time order, then their spikes
//     and rule changes are replayed in time order (spikes expanded), then steps
//     1-6 run for the other populations up to the slice end. Nothing reaches a
//     batched node within h, so this order gives the event loop's results.
bool Simulation::run(Time t_stop) {
    if (!(t_stop > now_)) throw UserError("t_stop must lie after the current time");
    if (!prepared_) {
        index_hooks();
        setup_batching();
        prepared_ = true;
    }
    const Time horizon = std::max(t_stop, final_horizon_);
    // The same look-ahead as the last run (set_horizon): its predictions stand.
    const bool resume = predicted_ && horizon == horizon_ && !replan_;
    if (replan_) replan_batching();
    horizon_ = horizon;
    running_ = true;
    struct Running {  // cleared however run() ends
        bool& flag;
        ~Running() { flag = false; }
    } running{running_};
    // Predictions depend on the horizon: make every node predict afresh.
    for (std::uint32_t p = 0; p < net_.populations.size() && !resume; ++p) {
        if (batched(p)) continue;
        for (Index i = 0; i < net_.populations[p]->size(); ++i) {
            net_.populations[p]->advance(i, now_);
            predict(p, i, now_, 0);
        }
    }
    predicted_ = true;
    if (batch_.on) {
        if (!run_batched(t_stop, resume)) return false;
    } else if (!main_until(t_stop, t_stop)) {
        return false;
    }
    if (stop_flag_ && *stop_flag_) return false;
    if (!sample_until(std::nextafter(t_stop, -kNever), t_stop)) return false;
    now_ = t_stop;
    for (Observer* o : observers_) o->on_progress(now_);
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
        const bool have_event = !queue_.empty(), have_prediction = !predictions_.empty();
        if (!have_event && !have_prediction) return true;
        bool take_prediction = have_prediction;
        if (have_event && have_prediction) {
            const Event& e = queue_.top();
            const Prediction& p = predictions_.top();
            take_prediction = p.t < e.t || (p.t == e.t && p.level < e.level);
        }
        const Time t = take_prediction ? predictions_.top().t : queue_.top().t;
        if (t >= until) return true;
        if (!sample_until(t, t_stop)) return false;
        now_ = t;
        if (take_prediction) {
            const Prediction p = predictions_.top();
            predictions_.pop();
            scheduled_[node_offset_[p.pop] + p.node] = 0;
            level_ = p.level;
            handle_prediction(p);
        } else {
            const Event e = queue_.pop();
            level_ = e.level;
            handle_delivery(e);
        }
        if ((++n_events_ & 4095) == 0)
            for (Observer* o : observers_) o->on_progress(now_);
    }
}

void Simulation::remember_emission(std::uint32_t pop, Index node, Time t) {
    auto& h = history_[pop][node];
    h.push_back(t);
    while (!h.empty() && h.front() < t - history_span_[pop]) h.pop_front();
}

void Simulation::handle_prediction(const Prediction& p) {
    Population& P = *net_.populations[p.pop];
    P.advance(p.node, p.t);
    if (!exact_[node_offset_[p.pop] + p.node]) {  // a check: find the exact time now
        const Time ts = P.next_spike(p.node, p.t, horizon_);
        if (ts > p.t) {
            schedule(p.pop, p.node, ts, 0, true);
            return;
        }
        if (!(ts == p.t)) return;  // no spike before the horizon
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

// Expand a spike: one delivery per outgoing synapse, at emission + the delay in force.
void Simulation::emit(std::uint32_t pop, Index node, Time t, std::uint32_t level) {
    if (!history_[pop].empty()) remember_emission(pop, node, t);
    for (std::uint32_t q : out_projections_[pop]) {
        const Projection& proj = net_.projections[q];
        if (batch_.on && batch_.proj[q]) {  // into the slice ring of a batched population
            const auto g0 = static_cast<std::uint32_t>(node_offset_[proj.target_population()]);
            const auto port = static_cast<std::uint32_t>(proj.port());
            for (Index s = proj.out_begin(node), end = proj.out_end(node); s < end; ++s)
                push_input({t + proj.delay(s), proj.weight(s), g0 + static_cast<std::uint32_t>(proj.target(s)), q,
                            static_cast<std::uint32_t>(s), port});
            continue;
        }
        const bool retime = proj.inflight() == InflightPolicy::Retime;
        for (Index s = proj.out_begin(node), end = proj.out_end(node); s < end; ++s) {
            const Time arrival = t + (lag_[q] ? 0.0 : proj.delay(s));
            Event d = delivery(q, s, arrival, arrival == t ? level + 1 : 1, t);
            if (retime) d.stamp = proj.version[s];
            queue_.push(d);
        }
    }
}

void Simulation::handle_fire(std::uint32_t pop, Index node, Time t, std::uint32_t level) {
    Population& P = *net_.populations[pop];
    P.advance(node, t);
    P.fire(node, t);
    for (Observer* o : observers_) o->on_spike(pop, node, t);
    emit(pop, node, t, level);
    if (!attachments_.empty()) {
        for_rules(plasticity::kPreSpike, [&](const Attachment& a) {
            Projection& proj = net_.projections[a.projection];
            if (proj.source_population() != pop) return;
            for (Index s = proj.out_begin(node), end = proj.out_end(node); s < end; ++s) {
                plasticity::SynapseHandle h(*this, a.projection, s, a.slot, *a.rule);
                a.rule->on_pre_spike(h, t);
            }
        });
        run_post_spike_hooks(pop, node, t);
    }
    predict(pop, node, t, level + 2);
}

void Simulation::handle_delivery(const Event& e) {
    Projection& proj = net_.projections[e.group];
    const Index s = e.item;
    if (proj.inflight() == InflightPolicy::Retime) {
        if (e.stamp != proj.version[s]) return;
        proj.last_delivered[s] = e.emitted;
    }
    ++n_deliveries_;
    const std::uint32_t pop = proj.target_population();
    const Index node = e.target;
    Population& P = *net_.populations[pop];
    P.advance(node, e.t);
    P.receive(node, proj.port(), weight_live_[e.group] ? proj.weight(s) : e.weight, e.t);
    if (!attachments_.empty()) {
        run_delivered_hooks(e.group, s, e.t);
        if (P.ports()[proj.port()].kind == PortKind::Inhibit)
            for_rules(plasticity::kInhibited, [&](const Attachment& a) {
                Projection& plastic = net_.projections[a.projection];
                if (plastic.target_population() != pop) return;
                for (Index k : plastic.incoming(node)) {
                    plasticity::SynapseHandle h(*this, a.projection, k, a.slot, *a.rule);
                    a.rule->on_inhibited(h, e.t);
                }
            });
    }
    predict(pop, node, e.t, e.level + 1);
}

void Simulation::set_delay(std::uint32_t q, Index s, Time d, const std::string& by) {
    Projection& proj = net_.projections[q];
    const Time old = proj.delay(s);
    const Time applied = proj.apply_delay_bounds(d, s, now_, by);
    if (applied == old) return;
    if (lag_[q]) return set_lag_delay(q, s, applied, by);
    if (batch_.on && batch_.proj[q] && applied < batch_.h) {
        // Between runs: the next run re-plans its slices around this delay. Inside a
        // run it cannot happen through rules (their delays stay >= delay_min_ms >= h).
        if (running_)
            throw UserError("projection '" + proj.name() + "': delay " + fmt_ms(applied) +
                            " is below the slice width " + fmt_ms(batch_.h) +
                            " its target population is simulated with during this run");
        replan_ = true;
    }
    proj.store_delay(s, applied);
    if (batch_.logging) {  // inside a slice: reported, and replayed against its spikes, at its end
        batch_.log.push_back({now_, q, s, old, applied, &by, true});
        return;
    }
    for (Observer* o : observers_) o->on_synapse_change(q, s, SynapseVariable::Delay, old, applied, by, now_);
    if (proj.inflight() != InflightPolicy::Retime) return;
    // Retime: every spike of this synapse still in flight (emitted after the last
    // one delivered) now arrives at emission + new delay, or at once if that is past.
    const std::uint32_t stamp = ++proj.version[s];
    for (Time te : history_[proj.source_population()][proj.source(s)]) {
        if (te <= proj.last_delivered[s] || te > now_) continue;
        const Time arrival = std::max(te + applied, now_);
        Event ev = delivery(q, s, arrival, arrival == now_ ? (level_ | 1u) : 1, te);  // now: this round (odd level)
        ev.stamp = stamp;
        queue_.push(ev);
    }
}

// A lag projection's delay is the mean delay D of its target port, shared by every
// synapse onto that (node, port): the model moves D (keeping the chain's charge,
// models/lag_chain.hpp), D is mirrored into every sharing synapse (each change
// reported), and the node is re-predicted. Nothing is in flight to retime.
void Simulation::set_lag_delay(std::uint32_t q, Index s, Time d, const std::string& by) {
    const std::uint32_t pop = net_.projections[q].target_population();
    const std::size_t port = net_.projections[q].port();
    const Index node = net_.projections[q].target(s);
    Population& P = *net_.populations[pop];
    P.advance(node, now_);
    P.set_lag(node, port, d);
    for (std::uint32_t r = 0; r < net_.projections.size(); ++r) {
        Projection& other = net_.projections[r];
        if (!lag_[r] || other.target_population() != pop || other.port() != port) continue;
        for (Index k : other.incoming(node)) {
            const Time old = other.delay(k);
            if (old == d) continue;
            other.store_delay(k, d);
            for (Observer* o : observers_) o->on_synapse_change(r, k, SynapseVariable::Delay, old, d, by, now_);
        }
    }
    predict(pop, node, now_, level_ % 2 == 0 ? level_ + 2 : level_ + 1);
}

void Simulation::set_weight(std::uint32_t q, Index s, double w, const std::string& by) {
    Projection& proj = net_.projections[q];
    if (!std::isfinite(w))
        throw UserError("projection '" + proj.name() + "': " + by + " set a weight that is not a finite number");
    const double old = proj.weight(s);
    if (w == old) return;
    proj.store_weight(s, w);
    weight_live_[q] = 1;
    if (batch_.logging) {
        batch_.log.push_back({now_, q, s, old, w, &by, false});
        return;
    }
    for (Observer* o : observers_) o->on_synapse_change(q, s, SynapseVariable::Weight, old, w, by, now_);
}

}  // namespace delaysim::sim

namespace delaysim::plasticity {

Index SynapseHandle::source() const { return sim_.projection(projection_).source(synapse_); }
Index SynapseHandle::target() const { return sim_.projection(projection_).target(synapse_); }
double SynapseHandle::weight() const { return sim_.projection(projection_).weight(synapse_); }
Time SynapseHandle::delay() const { return sim_.projection(projection_).delay(synapse_); }
const sim::DelayBounds& SynapseHandle::bounds() const { return sim_.projection(projection_).bounds(); }
Time SynapseHandle::now() const { return sim_.now(); }
void SynapseHandle::set_weight(double w) { sim_.set_weight(projection_, synapse_, w, rule_.name()); }
void SynapseHandle::set_delay(Time d) { sim_.set_delay(projection_, synapse_, d, rule_.name()); }

}  // namespace delaysim::plasticity
