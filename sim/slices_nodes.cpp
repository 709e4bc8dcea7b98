// Slice batching (sim/slices.hpp): the node phase of a sub-slice (each node through
// its inputs, crossings and checks), the lanes, and the replay of spikes and changes.
#include <algorithm>
#include <cstdint>

#include "sim/radix_sort.hpp"
#include "sim/slices.hpp"

#include "sim/mpi.hpp"

namespace delaysim::sim {

// Out of line: file_check's common path then needs no stack frame.
[[gnu::noinline]] static void push_edge(std::vector<std::uint32_t>& edge, std::uint32_t g) {
    edge.push_back(g);
}

void Slices::file_check(std::uint32_t g, Time t) {
    BatchState& B = B_;
    BatchState::Node& N = B.nodes[g];
    N.check_time = t < horizon_ ? t : kNever;
    if (!(t < horizon_)) return;
    const std::size_t b = g >> BatchState::kBlockBits;
    // A thread of a parallel phase: groups of blocks it shares with another
    // lane are lowered after the phase. (Its nodes all have runs in this slice:
    // nothing to add either.) The rare calls are tail calls, so the common path
    // (~800k calls per 50 ms of n1e4k100) saves no registers.
    Worker* w = worker();
    if (w && g - w->safe_lo >= w->safe_hi - w->safe_lo) [[unlikely]]
        return push_edge(w->edge, g);
    B.block_min[b] = std::min(B.block_min[b], t);
    B.group_min[b >> BatchState::kGroupBits] = std::min(B.group_min[b >> BatchState::kGroupBits], t);
    // Inside the slice being processed (after a sample point, or at a new run).
    if (!w && B.begun && B.prepared && t < slice_start(B.cur + 1) && N.touched != B.cur) [[unlikely]]
        return add_check_run(g);
}

// Node g's check falls in the slice being processed and it has no input there: a
// run of its own (no inputs: the exact path, which fires what the check finds).
// (Appended: start_run puts the runs back into node order.)
void Slices::add_check_run(std::uint32_t g) {
    BatchState& B = B_;
    B.nodes[g].touched = B.cur;
    if (B.superpose) {
        SliceSum& S = B.sums[g];
        S.slice = B.cur;
        S.flags = BatchState::kSlow;
        S.t_first = kNever;  // no input
    }
    BatchState::Part& P = part_of(g);
    const auto o = static_cast<std::uint32_t>(P.grouped.size());
    P.runs.push_back({g, o, o, o, g});
}

// The nodes whose check falls in slice k (before t1), into their parts' due
// lists (prepare_part gives those without input a run); each scanned block's
// time is made exact again, without them (they file anew).
void Slices::due_checks(std::int64_t k) {
    BatchState& B = B_;
    const Time t1 = slice_start(k + 1);
    const std::size_t n = B.nodes.size(), nb = B.block_min.size();
    std::size_t l = 0;  // the part of the nodes scanned (in node order)
    for (std::size_t grp = 0; grp < B.group_min.size(); ++grp) {
        if (!(B.group_min[grp] < t1)) continue;
        Time gm = kNever;
        const std::size_t b1 = std::min(nb, (grp + 1) << BatchState::kGroupBits);
        for (std::size_t b = grp << BatchState::kGroupBits; b < b1; ++b) {
            if (!(B.block_min[b] < t1)) {
                gm = std::min(gm, B.block_min[b]);
                continue;
            }
            Time m = kNever;
            const std::size_t g1 = std::min(n, (b + 1) << BatchState::kBlockBits);
            for (std::size_t g = b << BatchState::kBlockBits; g < g1; ++g) {
                const Time c = B.nodes[g].check_time;
                if (!(c < t1)) {
                    m = std::min(m, c);
                    continue;
                }
                while (g >= B.parts[l].hi) ++l;
                B.parts[l].due.push_back(static_cast<std::uint32_t>(g));
            }
            B.block_min[b] = m;
            gm = std::min(gm, m);
        }
        B.group_min[grp] = gm;
    }
}

// A sub-slice up to b: first the batched nodes, each through its inputs < b (all
// of them in the slice's last sub-slice), then their spikes and the rules'
// changes in time order.
void Slices::interval(Time b, bool last, bool sync) {
    if (exchange_) return interval_ranks(b, last, sync);
    BatchState& B = B_;
    B.logging = true;
    if (B.superpose && !B.settled) {  // tables the models build lazily, on one thread
        const Superposition::Span span{slice_start(B.cur), slice_start(B.cur + 1), 0.0, horizon_};
        for (std::size_t p = 0; p < net_.populations.size(); ++p)
            if (B.kernel[p].ok) B.superposition[p]->prepare_settle(span);
    }
    // The work: the slice's inputs and due checks at its first sub-slice, else its
    // runs; with threads, the pending expansion of the last sub-slice's spikes too.
    // (One wake-up: each lane expands onto its part, adds the event loop's pushes
    // made since, takes its slot at a slice's first sub-slice, then its nodes.)
    const bool flush = pending_, take = pool_ && !B.prepared;
    std::size_t work = flush ? pending_work_ : 0;
    const std::size_t slot = static_cast<std::size_t>(B.cur) & B.mask;
    for (const BatchState::Part& P : B.parts)
        work += B.prepared ? P.runs.size() : (take ? P.ring[slot].size() : P.active.size()) + P.due.size();
    if (flush) expand_cur_ = pending_cur_;
    for (Worker& w : workers_) w.n_in = w.n_next = 0;
    for_parts(work, [&](BatchState::Part& P) {
        if (flush) flush_part(P);
        if (take) {
            Worker& w = *worker();
            take_slot(P, B_.cur, w.n_in, w.n_next);
        }
        part_phase(P, b, last);
    });
    if (take) {
        B.count_prev = B.count_next = 0;
        for (const Worker& w : workers_) B.count_prev += w.n_in, B.count_next += w.n_next;
        local_counts_[0] = B.count_prev;
        local_counts_[1] = B.count_next;
    }
    B.prepared = true;
    if (B.superpose) B.settled = true;
    B.logging = false;
    finish_interval();
    if (replicated_) mpi::sync_stop();  // every rank ran every node: only the stop flag to agree on
}

// One part's share of a sub-slice, on its lane: at the slice's first, its inputs
// summed or grouped and (superposed) its nodes settled, the rest grouped; then
// its runs through their inputs before b.
void Slices::part_phase(BatchState::Part& P, Time b, bool last) {
    if (!B_.prepared) prepare_part(P);
    if (B_.superpose && !B_.settled) {
        settle_range(P, last && !B_.cut);
        if (last && !B_.cut) log_arrivals(P);
        group_slow_inputs(P);
    }
    node_range(P, b, last);
}

// A part's runs in the sub-slice ending at b (they may grow in a serial phase).
void Slices::node_range(BatchState::Part& P, Time b, bool last) {
    BatchState& B = B_;
    constexpr std::size_t kAhead = 8;  // prefetch distance, in nodes
    const std::size_t n_initial = P.runs.size();
    for (std::size_t r = 0; r < P.runs.size(); ++r) {  // runs may grow: index
        const std::size_t n = P.runs.size();
        if (r + 2 * kAhead < n) __builtin_prefetch(&B.nodes[P.runs[r + 2 * kAhead].node]);
        if (r + kAhead < n) {
            const BatchState::Run& ahead = P.runs[r + kAhead];
            const std::uint32_t g = ahead.node, p = B.nodes[g].pop;
            B_.batching[p]->prefetch(g - core_.node_offset(p));
            if (core_.any_delivered_hooks())  // the rules' state of its inputs, and their delays
                for (std::uint32_t k = ahead.cursor; k < ahead.end; ++k) {
                    const SliceInput& in = P.grouped[k];
                    for (const NodeCore::Attachment& a : core_.delivered_hooks(in.q))
                        a.rule->prefetch(a.site.slot, in.s);
                    if (!core_.delivered_hooks(in.q).empty()) net_.projections[in.q].prefetch(in.s);
                }
        }
        const std::uint32_t g = P.runs[r].node;
        if (P.calls_done != P.calls.size())  // (settled_hooks' place: among the first runs)
            run_logged_calls(P, r < n_initial ? g : ~std::uint32_t{0});
        if (!own(g)) continue;  // another rank's (MPI)
        if (exchange_) cur_key_ = P.runs[r].key;
        if (B.superpose && !(B.sums[g].flags & BatchState::kSlow))
            settled_hooks(P, P.runs[r], b, last);
        else
            batch_node(P, r, b, last);
    }
    if (P.calls_done != P.calls.size()) run_logged_calls(P, ~std::uint32_t{0});
}

// The end of run r's inputs in the sub-slice ending at b (all of them in the last).
std::uint32_t Slices::sub_slice_end(const BatchState::Part& P, const BatchState::Run& r, Time b,
                                    bool last) const {
    if (last) return r.end;
    std::uint32_t end = r.cursor;
    while (end < r.end && P.grouped[end].t < b) ++end;
    return end;
}

// A node that settled a superposed slice: its inputs' delivered hooks, in time
// order (rules that write no weights: the node's dynamics did not depend on them).
// Sub-slice by sub-slice (inputs before b), so that the changes they make are in
// force exactly up to each sample time.
void Slices::settled_hooks(BatchState::Part& P, BatchState::Run& r, Time b, bool last) {
    BatchState& B = B_;
    const Time t0 = B.nodes[r.node].time;
    const Index node = r.node - core_.node_offset(B.nodes[r.node].pop);
    const std::uint32_t end = sub_slice_end(P, r, b, last);
    for (std::uint32_t k = r.cursor; k < end; ++k) {
        const SliceInput& in = P.grouped[k];
        core_.run_delivered_hooks(in.q, in.s, node, std::max(in.t, t0));
    }
    r.cursor = end;
    if (end == r.end) B.nodes[r.node].time = slice_start(B.cur + 1);
}

void Slices::apply_input(std::uint32_t pop, Index node, const SliceInput& in) {
    const std::uint32_t g = in.node;
    // Clamp: an arrival a rounding step before the node's time (slice edge).
    const Time t = std::max(in.t, B_.nodes[g].time);
    B_.nodes[g].time = t;
    core_.deliver(pop, node, in.q, in.s, in.port, in.w, t);  // weight resolved in batch_node
    count(1, 0, 0);
}

// One node through its inputs of this sub-slice. Fast path: if the model proves
// that even all positive inputs together cannot reach threshold before the last
// of them (and its check says no spike before the first), the inputs are applied
// without crossing searches, in one call when no rule watches them
// (Population::absorb). Otherwise each input is preceded by a crossing search.
void Slices::batch_node(BatchState::Part& P, std::size_t ri, Time b, bool last) {
    BatchState& B = B_;
    BatchState::Run& r = P.runs[ri];
    const std::uint32_t g = r.node;
    const std::uint32_t end = sub_slice_end(P, r, b, last);
    const bool check_due = B.nodes[g].check_time < (last ? slice_start(B.cur + 1) : b);
    if (end == r.cursor && !check_due) return;
    const std::uint32_t pop = B_.nodes[g].pop;
    const Index node = g - core_.node_offset(pop);
    Batching& batching = *B_.batching[pop];
    const std::uint32_t begin = r.cursor;
    r.cursor = end;
    if (end > begin) {
        // Resolve live weights; clamp an arrival a rounding step before the node's
        // time (slice edge); see whether a rule watches any of these deliveries.
        bool hooked = false;
        for (std::uint32_t k = begin; k < end; ++k) {
            SliceInput& in = P.grouped[k];
            in.t = std::max(in.t, B.nodes[g].time);
            if (core_.weight_live(in.q)) in.w = net_.projections[in.q].weight(in.s);
            hooked = hooked || !core_.delivered_hooks(in.q).empty();
        }
        const Time t_first = P.grouped[begin].t, t_last = P.grouped[end - 1].t;
        bool fast = B.nodes[g].check_time > t_first;
        MaybeTime absorbed;
        if (fast && !hooked) absorbed = batching.absorb(node, &P.grouped[begin], end - begin, core_.horizon);
        if (absorbed) {
            const Time next = *absorbed;
            B.nodes[g].time = t_last;
            count(end - begin, end - begin, 0);
            if (!(next < b)) return file_check(g, next);
        } else {
            if (fast && !hooked) fast = false;  // absorb found a possible crossing
            if (fast) {
                std::vector<double>& w_plus = scratch_w_plus();
                std::fill(w_plus.begin(), w_plus.end(), 0.0);
                for (std::uint32_t k = begin; k < end; ++k)
                    if (P.grouped[k].w > 0) w_plus[P.grouped[k].port] += P.grouped[k].w;
                net_.populations[pop]->advance(node, t_first);
                B.nodes[g].time = t_first;
                fast = !batching.may_spike_before(node, t_last, w_plus.data());
            }
            for (std::uint32_t k = begin; k < end; ++k) {
                SliceInput& in = P.grouped[k];
                // A weight is read when it is delivered: a rule may have changed it since
                // (a delivered hook; or the post-spike hook of a spike fired just below,
                // before this input). More than the no-spike bound assumed: search again.
                const bool live = core_.weight_live(in.q);
                if (fast && live && net_.projections[in.q].weight(in.s) > std::max(in.w, 0.0)) fast = false;
                if (!fast) fire_crossings(g, std::max(in.t, B.nodes[g].time), true);
                if (live) in.w = net_.projections[in.q].weight(in.s);
                apply_input(pop, node, in);
            }
        }
    }
    file_check(g, fire_crossings(g, b, false));
}

// Fire every crossing of node g before b (or at b, if inclusive: a crossing at an
// input's time comes before that input). Returns the next spike or check time.
Time Slices::fire_crossings(std::uint32_t g, Time b, bool inclusive) {
    const std::uint32_t pop = B_.nodes[g].pop;
    const Index node = g - core_.node_offset(pop);
    for (;;) {
        const Time t0 = B_.nodes[g].time;
        bool exact = true;
        Time ts = core_.bound_until(pop, node, t0, b, exact);
        auto before = [&](Time t) { return t < b || (inclusive && t == b); };
        if (!before(ts)) return ts;
        if (!exact) {
            ts = core_.exact_spike(pop, node, t0);
            if (!before(ts)) return ts;
        }
        core_.fire(pop, node, ts, [&] {  // kept for the replay at the end of the sub-slice
            B_.nodes[g].time = ts;
            if (Worker* w = worker())  // (its seq is given when the lanes are merged)
                w->spikes.push_back({ts, pop, node, 0});
            else
                B_.spikes.push_back({ts, pop, node, exchange_ ? cur_key_ : B_.seq++});
            count(1, 0, 0);
        });
    }
}

// The delay changes of synapses out of a node that spiked in the sub-slice
// (B.redo, B.in_redo): only its spikes are expanded here, so only these changes
// can differ from the stored value at an expansion. Usually a few per cent of the
// log: the others are neither undone nor redone around the expansion (which
// read each one's target, a random line per change in a large projection).
void Slices::find_redo() {
    BatchState& B = B_;
    B.redo.clear();
    B.in_redo.assign(B.log.size(), 0);
    if (B.spikes.empty() || B.log.empty()) return;
    if (out_any_.empty()) {
        out_any_.assign(net_.populations.size(), {});
        B.spiked_blocks.assign(net_.projections.size(), {});
        for (std::uint32_t q = 0; q < net_.projections.size(); ++q) {
            out_any_[net_.projections[q].source_population()].push_back(q);
            B.spiked_blocks[q].assign((net_.projections[q].size() >> 12) + 1, 0);
        }
    }
    auto& r = B.spiked;
    r.clear();
    auto blocks = [&](const BatchState::Range& x, bool set) {
        std::uint64_t* bits = B.spiked_blocks[x.q].data();
        for (Index k = x.begin >> 6; k <= (x.end - 1) >> 6; ++k) {
            const std::uint64_t bit = std::uint64_t{1} << (k & 63);
            bits[k >> 6] = set ? bits[k >> 6] | bit : bits[k >> 6] & ~bit;
        }
    };
    for (const BatchState::Spike& sp : B.spikes)
        for (const std::uint32_t q : out_any_[sp.pop]) {
            const Projection& proj = net_.projections[q];
            if (proj.out_begin(sp.node) < proj.out_end(sp.node)) {
                r.push_back({q, proj.out_begin(sp.node), proj.out_end(sp.node)});
                blocks(r.back(), true);
            }
        }
    auto before = [](const BatchState::Range& x, const BatchState::Range& y) {
        return x.q < y.q || (x.q == y.q && x.begin < y.begin);
    };
    std::sort(r.begin(), r.end(), before);  // (a node that spiked twice: equal ranges)
    for (std::size_t j = 0; j < B.log.size(); ++j) {
        const BatchState::Change& c = B.log[j];
        if (!c.delay || !((B.spiked_blocks[c.q][c.s >> 12] >> ((c.s >> 6) & 63)) & 1)) continue;
        // The last range starting at or before (q, s): the only one that can hold s.
        const auto it = std::upper_bound(r.begin(), r.end(), BatchState::Range{c.q, c.s, 0}, before);
        if (it == r.begin() || std::prev(it)->q != c.q || !(c.s < std::prev(it)->end)) continue;
        B.redo.push_back(static_cast<std::uint32_t>(j));
        B.in_redo[j] = 1;
    }
    for (const BatchState::Range& x : r) blocks(x, false);
}

// End of a sub-slice: the batched nodes' spikes and the rules' changes, in time
// order. Delay changes were stored at once (rules read their own writes); those a
// spike of the sub-slice is expanded across are undone and replayed here so that
// each spike is expanded with the delays in force at its emission; every change
// is stored again and reported in time order. A change and a spike at the same
// time: the spike first (hooks run after the spike, as in the event loop).
void Slices::finish_interval() {
    BatchState& B = B_;
    if (B.spikes.empty() && B.log.empty()) return;
    find_redo();
    for (std::size_t j = B.redo.size(); j-- > 0;) {
        const BatchState::Change& c = B.log[B.redo[j]];
        net_.projections[c.q].store_delay(c.s, c.old_value);
    }
    auto by_time = [](const auto& x, const auto& y) { return x.t < y.t || (x.t == y.t && x.seq < y.seq); };
    std::sort(B.spikes.begin(), B.spikes.end(), by_time);
    // The log can hold thousands of changes per slice: sort (time, position);
    // positions follow seq, so ties keep their order.
    B.log_order.resize(B.log.size());
    for (std::size_t k = 0; k < B.log.size(); ++k)
        B.log_order[k] = {time_key(B.log[k].t), static_cast<std::uint32_t>(k)};
    bucket_sort(B.log_order, B.log_scratch, B.log_count);
    B.replay.clear();
    std::size_t i = 0, j = 0, work = 0;
    while (i < B.spikes.size() || j < B.log.size()) {
        if (j == B.log.size() || (i < B.spikes.size() && B.spikes[i].t <= B.log[B.log_order[j].second].t)) {
            B.replay.push_back(static_cast<std::uint32_t>(i));
            const BatchState::Spike& sp = B.spikes[i++];
            core_.now = sp.t;
            for (Observer* o : core_.observers()) o->on_spike(sp.pop, sp.node, sp.t);
            emit_(sp.pop, sp.node, sp.t);  // (onto projections that are not batched)
            for (const std::uint32_t q : out_batched_[sp.pop])
                work += net_.projections[q].out_end(sp.node) - net_.projections[q].out_begin(sp.node);
        } else {
            const std::uint32_t k = B.log_order[j++].second;
            if (B.in_redo[k]) B.replay.push_back(BatchState::kChange | k);
            const BatchState::Change& c = B.log[k];
            Projection& proj = net_.projections[c.q];
            if (c.delay) proj.store_delay(c.s, c.new_value);
            if (!c.delay && exchange_) {  // made on its owner rank: in force on every rank now
                proj.store_weight(c.s, c.new_value);
                core_.mark_weight_live(c.q);
            }
            for (Observer* o : core_.observers())
                o->on_synapse_change(c.q, c.s, c.delay ? SynapseVariable::Delay : SynapseVariable::Weight,
                                     c.old_value, c.new_value, *c.by, c.t);
        }
    }
    // The spikes onto the batched projections: each part replays the list itself,
    // its own synapses' delay changes included, expanding onto its own targets.
    // With threads, at the start of the next node phase (or flush_pending): one
    // wake-up fewer; the event loop's pushes meanwhile wait (push_input).
    if (pool_) {
        pending_ = true;
        pending_work_ = work;
        pending_cur_ = B.cur;
        return;
    }
    for_parts(work, [this](BatchState::Part& P) { expand_part(P); });
    B.spikes.clear();
    B.log.clear();
    B.redo.clear();
}

void Slices::end_pending() {
    pending_ = false;
    expand_cur_ = BatchState::kNoSlice;
    B_.spikes.clear();
    B_.log.clear();
    B_.replay.clear();
    B_.redo.clear();
}

void Slices::flush_pending() {
    if (!pending_) return;
    expand_cur_ = pending_cur_;
    for_parts(pending_work_, [this](BatchState::Part& P) { flush_part(P); });
}

// f(part) for every part, each on its lane, its spikes and rule changes into the
// lane's buffers; these are merged in lane order, which is node order, which is
// the one-thread order. Little work: the lanes one after another on this thread
// (the same buffers, so the same results).
template <class F>
void Slices::for_parts(std::size_t work, F f) {
    if (!pool_) {  // one part, or (MPI ranks) this rank's parts, in node order
        for (BatchState::Part& P : B_.parts) f(P);
        return;
    }
    for (Worker& w : workers_) {  // (left over if the last phase threw)
        w.spikes.clear();
        w.log.clear();
        w.edge.clear();
    }
    const auto lanes = static_cast<unsigned>(workers_.size());
    auto lane = [&](unsigned l) {
        Lane::Scope scope(&workers_[l]);
        f(B_.parts[l]);
    };
    if (work < grain_ * lanes) {
        for (unsigned l = 0; l < lanes; ++l) lane(l);
    } else {
        ++wakeups_;
        pool_->run(lane);
    }
    if (pending_) end_pending();  // (the lanes have expanded it: before their spikes are merged)
    for (Worker& w : workers_) {
        for (BatchState::Spike& sp : w.spikes) {
            sp.seq = B_.seq++;
            B_.spikes.push_back(sp);
        }
        B_.log.insert(B_.log.end(), w.log.begin(), w.log.end());
        core_.n_events += w.n_events;
        core_.n_deliveries += w.n_deliveries;
        core_.n_superposed += w.n_superposed;
        w.n_events = w.n_deliveries = w.n_superposed = 0;
        // The block minima of the checks filed in shared groups (file_check):
        // lowered by each node's last check, which is all a scan needs (lower bounds).
        for (const std::uint32_t g : w.edge) {
            const Time t = B_.nodes[g].check_time;
            if (!(t < horizon_)) continue;
            const std::size_t blk = g >> BatchState::kBlockBits;
            B_.block_min[blk] = std::min(B_.block_min[blk], t);
            B_.group_min[blk >> BatchState::kGroupBits] =
                std::min(B_.group_min[blk >> BatchState::kGroupBits], t);
        }
    }
}

}  // namespace delaysim::sim
