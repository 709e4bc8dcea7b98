// Slice batching (sim/slices.hpp): opening a slice, its inputs summed or grouped,
// the superposed settle, and the expansion of spikes onto each part's targets.
#include <algorithm>
#include <cstdint>

#include "sim/slices.hpp"

namespace delaysim::sim {

namespace {
constexpr double kMinSumDensity = 0.05;  // inputs per node in a slice, to superpose it
}  // namespace

// Open slice k: each part takes its slot of the ring. A whole slice of
// superposable nodes has its inputs summed per node, otherwise grouped per node
// (prepare_part, in the first sub-slice's parallel phase). Then the nodes whose
// check falls in it. Cost O(inputs + nodes/64 + due blocks).
void Slices::begin_slice(std::int64_t k, bool superposable, bool cut) {
    BatchState& B = B_;
    B.cur = k;
    B.begun = true;
    B.prepared = false;
    std::uint64_t n_in = 0, n_next = 0;  // this process's inputs of slices k and k + 1 so far
    for (BatchState::Part& P : B.parts) {
        P.runs.clear();
        P.due.clear();
        if (pool_) continue;  // the lanes take their slots, after the pending expansion (interval)
        std::uint64_t a = 0, b = 0;
        take_slot(P, k, a, b);
        n_in += a;
        n_next += b;
    }
    // Superposition pays a sum per node in a second array: in slices where few
    // nodes get any input (sparse activity in large populations, where each node
    // visit is a cache miss) the input-by-input path is cheaper. A cost
    // heuristic, decided from counts every lane and rank has without meeting
    // (superposed sums round differently, so all must decide as one process):
    // those taken when slice k - 1 began, i.e. slice k - 1's inputs and slice
    // k's from spikes of slices <= k - 2 (it misses slice k's inputs of delay
    // < 2h from the newest spikes, and far ones brought in at a turn of the
    // ring at k), the larger of the two. Under MPI ranks each rank's counts are
    // summed in slice k - 1's spike exchange (interval_ranks). The first slice
    // of a plan has no counts: not superposed.
    const bool may = superposable && !B.sums.empty() && B.counted == k;
    const std::uint64_t n_seen = std::max(B.count_prev, B.count_next);
    B.superpose = may && static_cast<double>(n_seen) >= kMinSumDensity * static_cast<double>(B.nodes.size());
    B.counted = k + 1;
    if (!pool_) {  // (with threads: set after the lanes took their slots)
        B.count_prev = local_counts_[0] = n_in;
        B.count_next = local_counts_[1] = n_next;
    }
    B.cut = cut;
    B.settled = false;
    due_checks(k);
}

void Slices::take_slot(BatchState::Part& P, std::int64_t k, std::uint64_t& n_in, std::uint64_t& n_next) {
    BatchState& B = B_;
    const std::size_t slot = static_cast<std::size_t>(k) & B.mask;
    P.active.clear();
    std::swap(P.active, P.ring[slot]);
    if (slot == 0) {  // a turn of the ring: bring far inputs closer
        const std::int64_t reach = k + static_cast<std::int64_t>(B.mask);
        std::vector<SliceInput> far;
        far.swap(P.far);
        for (const SliceInput& in : far) {
            const std::int64_t s = slice_of(in.t);
            if (s == k)
                P.active.push_back(in);
            else if (s <= reach)
                P.ring[static_cast<std::size_t>(s) & B.mask].push_back(in);
            else
                P.far.push_back(in);
        }
    }
    n_in = P.active.size();
    n_next = P.ring[static_cast<std::size_t>(k + 1) & B.mask].size();
}

// Open the next slice. Superposable: the look-ahead (the horizon, not the end
// of this run: a run in pieces then takes the same slices whole) does not end
// inside it; cut: a sample time falls inside it.
void Slices::begin_next(Time t_sample) {
    const Time t1 = slice_start(B_.cur + 2);
    begin_slice(B_.cur + 1, horizon_ >= t1, t_sample < t1);
}

// A part's inputs of the begun slice summed (superposed) or counted per node,
// its due checks without input given runs, and its runs made in node order
// (a bit per node marks those with a run), the inputs grouped (not superposed).
void Slices::prepare_part(BatchState::Part& P) {
    BatchState& B = B_;
    const std::int64_t k = B.cur;
    std::uint64_t* const marks = P.marks.data();
    const std::uint32_t lo = P.lo;
    auto mark = [marks, lo](std::uint32_t g) { marks[(g - lo) >> 6] |= std::uint64_t{1} << ((g - lo) & 63); };
    if (B.superpose) {
        sum_range(P, k, mark);
    } else {
        const std::size_t n_in = P.active.size();
        for (std::size_t idx = 0; idx < n_in; ++idx) {
            if (idx + 16 < n_in) __builtin_prefetch(&B.nodes[P.active[idx + 16].node]);
            const std::uint32_t g = P.active[idx].node;
            if (B.nodes[g].touched != k) {
                B.nodes[g].touched = k;
                B.nodes[g].count = 0;
                mark(g);
            }
            ++B.nodes[g].count;
        }
    }
    for (const std::uint32_t g : P.due) {  // a check in the slice and no input: a run of its own
        if (B.superpose ? B.sums[g].slice == k : B.nodes[g].touched == k) continue;
        B.nodes[g].touched = k;
        B.nodes[g].count = 0;
        if (B.superpose) {
            SliceSum& S = B.sums[g];
            S.slice = k;
            S.flags = BatchState::kSlow;
            S.t_first = kNever;  // no input
        }
        mark(g);
    }
    P.due.clear();
    P.runs.clear();
    for (std::size_t w = 0; w < P.marks.size(); ++w)
        for (std::uint64_t bits = P.marks[w]; bits != 0; bits &= bits - 1) {
            const auto g =
                static_cast<std::uint32_t>(P.lo + (w << 6) + static_cast<unsigned>(__builtin_ctzll(bits)));
            P.runs.push_back({g, 0, 0, 0, g});
        }
    std::fill(P.marks.begin(), P.marks.end(), 0);
    if (!B.superpose) place_inputs(P, P.active);
}

// Superposition: one pass over the part's inputs, each one's effect at the
// slice end added to its node's sum; new_run(node) at a node's first input.
// Nodes that cannot be superposed, or whose inputs a rule that writes weights
// watches, are marked slow and get no sum.
template <class NewRun>
void Slices::sum_range(BatchState::Part& P, std::int64_t k, NewRun new_run) {
    BatchState& B = B_;
    const Time t1 = slice_start(k + 1);
    const std::size_t n_in = P.active.size();
    // Locals: the loop's byte stores may alias members, which would be reloaded.
    const std::uint8_t* live = core_.weight_live_flags();
    const Projection* projs = net_.projections.data();
    const SliceInput* active = P.active.data();
    const BatchState::SumKernel* kernels = B.sum_kernel.data();
    SliceSum* sums = B.sums.data();
    const std::uint8_t* sampled = B.cut ? B.sampled.data() : nullptr;
    const std::uint8_t* owned = own_.empty() ? nullptr : own_.data();  // own(), hoisted
    for (std::size_t idx = 0; idx < n_in; ++idx) {
        if (idx + 16 < n_in) __builtin_prefetch(&sums[active[idx + 16].node]);
        const SliceInput& in = active[idx];
        // The effect first, from the input alone (its kernel is its projection's
        // target's, for its port): it does not wait for the sum's line, so
        // consecutive inputs overlap. Not for inputs that will be slow whatever their node.
        const BatchState::SumKernel& Q = kernels[in.q];
        double w = 0.0, d_syn = 0.0, d_v = 0.0;
        if (Q.e.self && (!owned || owned[in.node])) {  // (another rank's: never settled here)
            w = live[in.q] ? projs[in.q].weight(in.s) : in.w;
            double e_p, e_m;
            SliceExp2::eval(Q.e, t1 - in.t, e_p, e_m);
            d_syn = w * e_p;
            d_v = w * Q.kf * (e_p - e_m);
        }
        SliceSum& S = sums[in.node];
        const double w_pos = std::max(w, 0.0);
        if (S.slice != k) {  // its first input: the sums are this one's (0 + x: the bits of the sum from 0)
            S.slice = k;
            S.flags = (Q.ok && !(sampled && sampled[in.node]) ? 0 : BatchState::kSlow) | Q.hooked;
            S.t_first = in.t;
            new_run(in.node);
            if (S.flags & BatchState::kSlow) {
                S.v = S.syn[0] = S.syn[1] = S.w_plus[0] = S.w_plus[1] = 0.0;
                S.count = 0;
                continue;
            }
            static_assert(SliceKernel::kPorts == 2);
            const std::uint32_t other = in.port ^ 1u;
            S.v = 0.0 + d_v;
            S.syn[in.port] = 0.0 + d_syn;
            S.syn[other] = 0.0;
            S.w_plus[in.port] = 0.0 + w_pos;
            S.w_plus[other] = 0.0;
            S.count = 1;
            continue;
        }
        S.flags |= Q.hooked;  // (kSlow if the kernel is not ok: set when the sum began)
        if (S.flags & BatchState::kSlow) continue;
        S.syn[in.port] += d_syn;
        S.v += d_v;
        S.w_plus[in.port] += w_pos;
        S.t_first = std::min(S.t_first, in.t);
        ++S.count;
    }
}

// Superposition: each of the part's summed nodes settles at the slice end if its
// model proves it cannot fire in the slice; the others are left to the
// input-by-input path, and they and the settled ones whose hooks are still to
// run are listed in P.slow, in node order. (Population::prepare_settle ran
// before the phase.)
void Slices::settle_range(BatchState::Part& P, bool logs) {
    BatchState& B = B_;
    const std::size_t n = P.runs.size();
    Superposition::Span span{slice_start(B.cur), slice_start(B.cur + 1), 0.0, horizon_};
    constexpr std::size_t kAhead = 8;
    // Locals: the loop's byte stores may alias members, which would be reloaded.
    const Index* offset = core_.node_offsets();
    Batching* const* batching = B.batching.data();
    Superposition* const* superposition = B.superposition.data();
    const BatchState::Run* runs = P.runs.data();
    std::uint64_t inputs = 0, nodes = 0;
    P.slow.clear();
    for (std::size_t r = 0; r < n; ++r) {
        if (r + 2 * kAhead < n) {
            __builtin_prefetch(&B.sums[runs[r + 2 * kAhead].node]);
            __builtin_prefetch(&B.nodes[runs[r + 2 * kAhead].node]);
        }
        if (r + kAhead < n) {  // its sum is in cache by now: read its population
            const std::uint32_t ahead = runs[r + kAhead].node, p = B.sums[ahead].pop;
            batching[p]->prefetch(ahead - offset[p]);
        }
        const std::uint32_t g = runs[r].node;
        SliceSum& S = B.sums[g];
        BatchState::Node& N = B.nodes[g];
        N.touched = B.cur;
        if ((S.flags & BatchState::kSlow) || !own(g)) {
            if (S.flags) P.slow.push_back({g, 0, 0, 0, runs[r].key});
            continue;
        }
        span.quiet_until = N.check_time;
        const MaybeTime settled = superposition[S.pop]->settle(g - offset[S.pop], S, span);
        if (!settled) {
            S.flags |= BatchState::kSlow;
            P.slow.push_back({g, 0, 0, 0, runs[r].key});
            continue;
        }
        // Sub-slices (sample times or the run's end inside): the logged hooks too in time
        // order up to each (settled_hooks).
        if (!logs && (S.flags & BatchState::kLogged)) S.flags |= BatchState::kHooked;
        if (S.flags & BatchState::kHooked)
            P.slow.push_back({g, 0, 0, 0, runs[r].key});  // its hooks are still to run
        else if (!(S.flags & BatchState::kLogged))
            N.time = span.t1;  // (kLogged: log_arrivals reads the time before, then sets it)
        inputs += S.count;
        ++nodes;
        file_check(g, *settled);
    }
    count(inputs, inputs, nodes);
}

// After settle_range: its list of nodes (P.slow) become the part's runs, with
// their inputs grouped. Which inputs are theirs: a bit per node (a few kB, stays
// in cache) rather than a look at each input's node record; they are picked in
// one pass (a few per cent of the inputs) and grouped from there.
void Slices::group_slow_inputs(BatchState::Part& P) {
    BatchState& B = B_;
    bool inputs = false;
    for (const auto& r : P.slow) {
        B.nodes[r.node].count = 0;
        if (B.sums[r.node].t_first != kNever) {  // it has inputs
            inputs = true;
            P.slow_bits[(r.node - P.lo) >> 6] |= std::uint64_t{1} << ((r.node - P.lo) & 63);
        }
    }
    std::swap(P.runs, P.slow);
    if (!inputs) {
        P.grouped.clear();
        return;
    }
    const std::uint64_t* const bits = P.slow_bits.data();
    const std::uint32_t lo = P.lo;
    P.picked.clear();
    for (const SliceInput& in : P.active)
        if ((bits[(in.node - lo) >> 6] >> ((in.node - lo) & 63)) & 1) {
            ++B.nodes[in.node].count;
            P.picked.push_back(in);
        }
    place_inputs(P, P.picked);
    for (const auto& r : P.runs) P.slow_bits[(r.node - P.lo) >> 6] = 0;
}

// Runs have their input counts in nodes[].count: set their ranges, copy their
// inputs (those of `from`, which holds the runs' inputs and no others, in push
// order) there, and put each run's few inputs into time order (insertion sort:
// stable, so ties keep push order).
void Slices::place_inputs(BatchState::Part& P, const std::vector<SliceInput>& from) {
    BatchState& B = B_;
    std::uint32_t pos = 0;
    for (auto& r : P.runs) {
        r.begin = r.cursor = pos;
        pos += B.nodes[r.node].count;
        r.end = pos;
        B.nodes[r.node].count = r.begin;
    }
    P.grouped.resize(pos);
    for (const SliceInput& in : from) P.grouped[B.nodes[in.node].count++] = in;
    for (const auto& r : P.runs)
        for (std::uint32_t a = r.begin + 1; a < r.end; ++a) {
            if (!(P.grouped[a].t < P.grouped[a - 1].t)) continue;
            const SliceInput x = P.grouped[a];
            std::uint32_t b = a;
            for (; b > r.begin && P.grouped[b - 1].t > x.t; --b) P.grouped[b] = P.grouped[b - 1];
            P.grouped[b] = x;
        }
}

// A part's replay of the sub-slice (finish_interval stored every change already):
// its synapses' changes among B.redo undone, then in time order redone and the
// spikes expanded with the delays in force at their emission, onto its own targets.
void Slices::expand_part(BatchState::Part& P) {
    const BatchState& B = B_;
    auto mine = [&](const BatchState::Change& c) {
        const Projection& proj = net_.projections[c.q];
        return c.delay && P.owns(static_cast<std::uint32_t>(core_.node_offset(proj.target_population()) +
                                                            proj.target(c.s)));
    };
    bool changes = false;
    for (std::size_t j = B.redo.size(); j-- > 0;)
        if (const BatchState::Change& c = B.log[B.redo[j]]; mine(c)) {
            net_.projections[c.q].store_delay(c.s, c.old_value);
            changes = true;
        }
    for (const std::uint32_t item : B.replay) {
        if (item & BatchState::kChange) {
            const BatchState::Change& c = B.log[item & ~BatchState::kChange];
            if (changes && mine(c)) net_.projections[c.q].store_delay(c.s, c.new_value);
            continue;
        }
        const BatchState::Spike& sp = B.spikes[item];
        for (const std::uint32_t q : out_batched_[sp.pop]) expand_onto(P, q, sp.node, sp.t);
    }
}

void Slices::flush_part(BatchState::Part& P) {
    if (!B_.replay.empty() || !B_.log.empty()) expand_part(P);
    for (const SliceInput& in : P.late) push_at(P, in, pending_cur_);
    P.late.clear();
}

// One synaptic spike of source `node` through projection q, onto the part's own
// targets: the source's synapses are sorted by target, so they are one range.
void Slices::expand_onto(BatchState::Part& P, std::uint32_t q, Index node, Time t) {
    const Projection& proj = net_.projections[q];
    const auto tp = proj.target_population();
    const auto g0 = static_cast<std::uint32_t>(core_.node_offset(tp)),
               g1 = static_cast<std::uint32_t>(core_.node_offset(tp + 1));
    if (P.hi <= g0 || P.lo >= g1) return;
    Index s = proj.out_begin(node), end = proj.out_end(node);
    auto first_at = [&](Index lo, Index hi, Index target) {  // the first synapse in [lo, hi) onto >= target
        while (lo < hi) {
            const Index mid = lo + (hi - lo) / 2;
            if (proj.target(mid) < target)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    };
    if (P.lo > g0) s = first_at(s, end, P.lo - g0);
    if (P.hi < g1) end = first_at(s, end, P.hi - g0);
    if (split_mode_ != 0) [[unlikely]]  // MPI ranks, once per window: a part of the inputs
        return expand_split(P, proj, q, node, t, s, end, g0);
    const auto port = static_cast<std::uint32_t>(proj.port());
    const std::int64_t cur = expand_cur_ == BatchState::kNoSlice ? B_.cur : expand_cur_;
    // Locals: the pushes' stores may alias the projection's and the part's members.
    const RingWriter ring(B_, P, cur);
    const std::uint32_t* target = proj.targets();
    const Time* delay = proj.delays();
    const double* weight = proj.weights();
    const double w_uniform = proj.uniform_weight();
    const bool mixed = P.mixed;
    for (; s < end; ++s) {
        const auto g = g0 + target[s];
        if (mixed && !own(g)) continue;  // (another rank's node inside this rank's part)
        ring.push({t + delay[s], weight ? weight[s] : w_uniform, g, q, static_cast<std::uint32_t>(s), port});
    }
}

}  // namespace delaysim::sim
