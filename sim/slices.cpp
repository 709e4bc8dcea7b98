// Slice batching: the machinery of sim/slices.hpp.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "sim/radix_sort.hpp"
#include "sim/slices.hpp"

#include "sim/mpi.hpp"

#include "sim/error.hpp"

namespace delaysim::sim {

namespace {
// Slices narrower than this are not worth their bookkeeping: such populations
// stay in the event-by-event loop.
constexpr Time kMinSlice = 0.01;  // ms
constexpr Time kMaxSlice = 0.5;   // ms: wider slices loosen the no-spike bound
constexpr std::size_t kMaxSlots = std::size_t{1} << 16;
constexpr double kMinSumDensity = 0.05;  // inputs per node in a slice, to superpose it

}  // namespace

// Decide which populations are batched (first run(): rules are attached by then).
// A population is batched if its model allows it, it has no Inhibit port, and
// every projection onto it keeps delays at emission (no retime), is not a lag
// port, and guarantees delays >= h: its bound delay_min_ms if a rule may move
// them, else its smallest delay. Rules with pre-spike hooks on projections from
// or onto it would write synapses of other nodes inside a slice: not batched.
void Slices::setup(bool allow_batching, bool allow_superposition, const std::vector<std::uint8_t>& lag,
                   std::vector<std::string>& notes) {
    const std::size_t np = net_.populations.size(), nq = net_.projections.size();
    std::vector<unsigned> hooks_on(nq, 0);
    std::vector<std::uint8_t> delay_rule(nq, 0);
    for (const NodeCore::Attachment& a : core_.attachments()) {
        hooks_on[a.site.index] |= a.rule->hooks();
        delay_rule[a.site.index] |= a.rule->writes_delays();
    }

    // Why a population that could be batched is not: the first reason, for the user.
    std::vector<std::string> why(np);
    std::vector<std::uint8_t> ok(np, 0);
    auto exclude = [&](std::size_t p, const std::string& reason) {
        if (ok[p] && why[p].empty()) why[p] = reason;
        ok[p] = 0;
    };
    for (std::size_t p = 0; p < np; ++p) {
        const Population& P = *net_.populations[p];
        ok[p] = allow_batching && P.capabilities().batching;
        for (const PortInfo& port : P.ports())
            if (port.kind == PortKind::Inhibit) exclude(p, "it has an inhibit port");
    }
    std::vector<Time> guaranteed(np, kNever);
    std::vector<std::uint32_t> shortest(np, 0);  // the projection that sets it
    for (std::uint32_t q = 0; q < nq; ++q) {
        const Projection& proj = net_.projections[q];
        const auto tp = proj.target_population(), sp = proj.source_population();
        const std::string who = "projection '" + proj.name() + "'";
        if (hooks_on[q] & plasticity::kPreSpike) {
            exclude(tp, "a rule on " + who + " has a pre-spike hook");
            exclude(sp, "a rule on " + who + " has a pre-spike hook");
        }
        if (proj.inflight() == InflightPolicy::Retime) exclude(tp, who + " uses inflight = \"retime\"");
        if (lag[q]) exclude(tp, who + " is a lag port");
        if (proj.size() >= std::numeric_limits<std::uint32_t>::max())
            exclude(tp, who + " has 2^32 synapses or more");
        if (proj.size() == 0) continue;
        const Time g = delay_rule[q] ? proj.bounds().min : proj.min_delay();
        if (g < guaranteed[tp]) guaranteed[tp] = g, shortest[tp] = q;
    }
    Time h = kMaxSlice;
    for (std::size_t p = 0; p < np; ++p) {
        if (ok[p] && !(guaranteed[p] >= kMinSlice)) {
            const Projection& proj = net_.projections[shortest[p]];
            exclude(p, "projection '" + proj.name() + "' onto it " +
                           (delay_rule[shortest[p]]
                                ? "has a delay rule and delay_min_ms = " + fmt_ms(proj.bounds().min)
                                : "has a delay of " + fmt_ms(guaranteed[p])) +
                           ", below the smallest slice width (" + fmt_ms(kMinSlice) + ")");
        }
        if (ok[p]) h = std::min(h, guaranteed[p]);
    }
    notes.clear();
    for (std::size_t p = 0; p < np; ++p)
        if (!why[p].empty())
            notes.push_back("population '" + net_.populations[p]->name() +
                            "' runs event by event: " + why[p]);
    B_.pop = ok;
    B_.on = std::any_of(ok.begin(), ok.end(), [](std::uint8_t b) { return b != 0; });
    if (core_.n_nodes() >= std::numeric_limits<std::uint32_t>::max()) B_.on = false;  // node ids are 32-bit
    if (!B_.on) return;
    B_.h = h;
    B_.inv_h = 1.0 / h;
    B_.proj.assign(nq, 0);
    Time span = 0.0;  // largest delay onto a batched population, for the ring
    for (std::uint32_t q = 0; q < nq; ++q) {
        const Projection& proj = net_.projections[q];
        if (!ok[proj.target_population()]) continue;
        B_.proj[q] = 1;
        const Time m =
            delay_rule[q] && std::isfinite(proj.bounds().max) ? proj.bounds().max : proj.max_delay();
        span = std::max(span, m);
    }
    std::size_t slots = 16;
    while (slots < kMaxSlots && static_cast<double>(slots) * h < span + 2.0 * h) slots *= 2;
    B_.mask = slots - 1;
    const std::size_t n = core_.n_nodes();
    B_.nodes.assign(n, BatchState::Node{BatchState::kNoSlice, kNever, core_.now, 0, 0});
    B_.block_min.assign((n >> BatchState::kBlockBits) + 1, kNever);
    B_.group_min.assign((B_.block_min.size() >> BatchState::kGroupBits) + 1, kNever);
    for (std::uint32_t p = 0; p < np; ++p)
        for (Index i = core_.node_offset(p); i < core_.node_offset(p + 1); ++i) B_.nodes[i].pop = p;
    std::size_t ports = 0;
    for (const auto& P : net_.populations) ports = std::max(ports, P->ports().size());
    B_.w_plus.assign(ports, 0.0);
    B_.cur = slice_of(core_.now) - 1;
    // Superposition: per population its kernel, with exponential tables for h.
    B_.kernel.assign(np, {});
    B_.batching.assign(np, nullptr);
    B_.superposition.assign(np, nullptr);
    bool any_kernel = false;
    for (std::size_t p = 0; p < np; ++p) {
        const Population& P = *net_.populations[p];
        if (ok[p]) B_.batching[p] = P.capabilities().batching;
        Superposition* sup = P.capabilities().superposition;
        if (!ok[p] || !allow_superposition || P.ports().size() > SliceKernel::kPorts || !sup) continue;
        const SliceKernel k = sup->slice_kernel();
        B_.superposition[p] = sup;
        BatchState::Kernel& K = B_.kernel[p];
        K.ok = any_kernel = true;
        for (std::size_t j = 0; j < SliceKernel::kPorts; ++j) {
            K.kf[j] = k.kf[j];
            K.e[j] = SliceExp2(k.r[j], k.r_m, h);
        }
    }
    if (any_kernel && np <= UINT16_MAX) {
        SliceSum none;
        none.slice = BatchState::kNoSlice;
        B_.sums.assign(n, none);
        for (std::uint32_t p = 0; p < np; ++p)
            for (Index i = core_.node_offset(p); i < core_.node_offset(p + 1); ++i)
                B_.sums[i].pop = static_cast<std::uint16_t>(p);
    }
    B_.hooked.assign(nq, 0);
    for (std::uint32_t q = 0; q < nq; ++q)
        for (const NodeCore::Attachment& a : core_.delivered_hooks(q))
            B_.hooked[q] |= a.rule->writes_weights() ? BatchState::kSlow : BatchState::kHooked;
    // Weights a rule writes are read from the store at delivery from the start,
    // not only after the first write: that flag, set by whichever node writes
    // first, would otherwise be read by other lanes' nodes in the same phase,
    // and the results then depended on which lane ran first (the lane-boundary
    // test in tests/sim/test_parallel.cpp; main at d7cbe0f too).
    for (const NodeCore::Attachment& a : core_.attachments())
        if (B_.proj[a.site.index] && a.rule->writes_weights()) core_.mark_weight_live(a.site.index);
    out_batched_.assign(np, {});
    for (std::uint32_t q = 0; q < nq; ++q)  // (in projection order, as Simulation::emit)
        if (B_.proj[q]) out_batched_[net_.projections[q].source_population()].push_back(q);
    split_parts(BatchState::Part{}, 1);
}

// n parts over the nodes (contiguous, equal counts of batched nodes: only they
// have inputs and runs), with the inputs of `all` (ring, far, a begun slice's)
// moved to the part of their node, in their order, and a begun slice's runs (in
// node order) with their grouped inputs.
void Slices::split_parts(BatchState::Part all, std::size_t n) {
    const std::size_t nodes = B_.nodes.size(), slots = B_.mask + 1;
    std::vector<std::uint32_t> bound(n + 1, static_cast<std::uint32_t>(nodes));
    std::uint64_t m = 0, c = 0;
    for (const BatchState::Node& N : B_.nodes) m += B_.pop[N.pop];
    std::size_t next = 0;  // the next part to start
    for (std::size_t g = 0; g < nodes; ++g) {
        while (next < n && c >= m * next / n) bound[next++] = static_cast<std::uint32_t>(g);
        c += B_.pop[B_.nodes[g].pop];
    }
    bound[0] = 0;
    B_.parts.assign(n, {});
    for (std::size_t l = 0; l < n; ++l) {
        BatchState::Part& P = B_.parts[l];
        P.lo = bound[l];
        P.hi = bound[l + 1];
        P.ring.assign(slots, {});
        P.marks.assign((P.hi - P.lo) / 64 + 1, 0);
        if (!B_.sums.empty()) P.slow_bits.assign((P.hi - P.lo) / 64 + 1, 0);
    }
    all.ring.resize(slots);
    for (std::size_t k = 0; k < slots; ++k)
        for (const SliceInput& in : all.ring[k]) part_of(in.node).ring[k].push_back(in);
    for (const SliceInput& in : all.far) part_of(in.node).far.push_back(in);
    for (const SliceInput& in : all.active) part_of(in.node).active.push_back(in);
    for (BatchState::Run r : all.runs) {
        BatchState::Part& P = part_of(r.node);
        const auto o = static_cast<std::uint32_t>(P.grouped.size());
        P.grouped.insert(P.grouped.end(), all.grouped.begin() + r.begin, all.grouped.begin() + r.end);
        r.cursor = r.cursor - r.begin + o;
        r.end = r.end - r.begin + o;
        r.begin = o;
        r.key = r.node;
        P.runs.push_back(r);
    }
}

// The parts as one (checkpoints: their layout is that of one part, whatever the lanes).
BatchState::Part Slices::merged_parts() const {
    BatchState::Part all;
    all.hi = static_cast<std::uint32_t>(B_.nodes.size());
    all.ring.assign(B_.mask + 1, {});
    for (const BatchState::Part& P : B_.parts) {
        for (std::size_t k = 0; k < all.ring.size(); ++k)
            all.ring[k].insert(all.ring[k].end(), P.ring[k].begin(), P.ring[k].end());
        all.far.insert(all.far.end(), P.far.begin(), P.far.end());
        all.active.insert(all.active.end(), P.active.begin(), P.active.end());
        const auto o = static_cast<std::uint32_t>(all.grouped.size());
        all.grouped.insert(all.grouped.end(), P.grouped.begin(), P.grouped.end());
        for (BatchState::Run r : P.runs) {
            r.begin += o, r.cursor += o, r.end += o;
            all.runs.push_back(r);
        }
    }
    return all;
}

std::vector<SliceInput> Slices::take_pending() {
    std::vector<SliceInput> pending;
    for (const BatchState::Part& P : B_.parts) {
        for (auto& slot : P.ring) pending.insert(pending.end(), slot.begin(), slot.end());
        pending.insert(pending.end(), P.far.begin(), P.far.end());
        if (B_.begun && !B_.prepared) pending.insert(pending.end(), P.active.begin(), P.active.end());
        if (B_.begun && B_.prepared)  // the rest of a slice the last run stopped in
            for (const auto& r : P.runs)
                pending.insert(pending.end(), P.grouped.begin() + r.cursor, P.grouped.begin() + r.end);
    }
    B_ = BatchState{};
    return pending;
}

// Every batched node: advance to now and file its first check (again at each
// run: checks depend on the horizon). `resume`: the run goes on with the last
// run's horizon (Simulation::set_horizon), so its checks stand and no node is touched.
void Slices::start_run(bool sampled, bool resume) {
    horizon_ = core_.horizon;
    if (!B_.begun) B_.cur = std::max(B_.cur, slice_of(core_.now) - 1);
    if (resume) return;
    // Which nodes observers sample (observers may have been added since the last run).
    B_.sampled.assign(B_.nodes.size(), 0);
    if (sampled && !B_.sums.empty())  // (read only by superposition)
        for (std::uint32_t p = 0; p < net_.populations.size(); ++p) {
            if (!batched(p)) continue;
            for (Index i = 0; i < net_.populations[p]->size(); ++i)
                for (const Observer* o : core_.observers())
                    if (o->reads_state(p, i)) {
                        B_.sampled[core_.node_offset(p) + i] = 1;
                        break;
                    }
        }
    if (exchange_ && own_.empty()) assign_owners();
    for (std::uint32_t p = 0; p < net_.populations.size(); ++p) {
        if (!batched(p)) continue;
        Population& P = *net_.populations[p];
        for (Index i = 0; i < P.size(); ++i) {
            const auto g = static_cast<std::uint32_t>(core_.node_offset(p) + i);
            P.advance(i, core_.now);
            B_.nodes[g].time = core_.now;
            if (!own(g)) {  // another rank's: never due here
                B_.nodes[g].check_time = kNever;
                continue;
            }
            bool exact = true;
            file_check(g, core_.bound(p, i, core_.now, exact));
        }
    }
    // Check runs added to a begun slice (add_check_run): into node order.
    if (B_.begun)
        for (BatchState::Part& P : B_.parts)
            std::stable_sort(
                P.runs.begin(), P.runs.end(),
                [](const BatchState::Run& x, const BatchState::Run& y) { return x.node < y.node; });
}

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

// Open slice k: each part takes its slot of the ring. A whole slice of
// superposable nodes has its inputs summed per node, otherwise grouped per node
// (prepare_part, in the first sub-slice's parallel phase). Then the nodes whose
// check falls in it. Cost O(inputs + nodes/64 + due blocks).
void Slices::begin_slice(std::int64_t k, bool superposable, bool cut) {
    BatchState& B = B_;
    B.cur = k;
    B.begun = true;
    B.prepared = false;
    const std::size_t slot = static_cast<std::size_t>(k) & B.mask;
    std::size_t n_in = 0;
    for (BatchState::Part& P : B.parts) {
        P.active.clear();
        P.runs.clear();
        P.due.clear();
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
        n_in += P.active.size();
    }
    // Superposition pays a sum per node in a second array: in slices where few
    // nodes get any input (sparse activity in large populations, where each node
    // visit is a cache miss) the input-by-input path is cheaper.
    B.superpose = superposable && !B.sums.empty() &&
                  static_cast<double>(n_in) >= kMinSumDensity * static_cast<double>(B.nodes.size());
    B.cut = cut;
    B.settled = false;
    due_checks(k);
}

// A part's inputs of the begun slice summed (superposed) or counted per node,
// its due checks without input given runs, and its runs made in node order
// (a bit per node marks those with a run), the inputs grouped (not superposed).
void Slices::prepare_part(BatchState::Part& P) {
    BatchState& B = B_;
    const std::int64_t k = B.cur;
    auto mark = [&](std::uint32_t g) { P.marks[(g - P.lo) >> 6] |= std::uint64_t{1} << ((g - P.lo) & 63); };
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
    if (!B.superpose) place_inputs(P, [](std::uint32_t) { return true; });
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
    const std::uint8_t* owned = own_.empty() ? nullptr : own_.data();  // own(), hoisted
    for (std::size_t idx = 0; idx < n_in; ++idx) {
        if (idx + 16 < n_in) __builtin_prefetch(&B.sums[active[idx + 16].node]);
        const SliceInput& in = active[idx];
        // The effect first, from the input alone (its kernel is its projection's
        // target's): it does not wait for the sum's line, so consecutive inputs overlap.
        // Not for inputs that will be slow whatever their node.
        const Projection& proj = projs[in.q];
        const BatchState::Kernel& K = B.kernel[proj.target_population()];
        const std::uint8_t hooked = B.hooked[in.q];
        double w = 0.0, d_syn = 0.0, d_v = 0.0;
        if (K.ok && !(hooked & BatchState::kSlow) &&
            (!owned || owned[in.node])) {  // (another rank's: never settled here)
            w = live[in.q] ? proj.weight(in.s) : in.w;
            double e_p, e_m;
            K.e[in.port](t1 - in.t, e_p, e_m);
            d_syn = w * e_p;
            d_v = w * K.kf[in.port] * (e_p - e_m);
        }
        SliceSum& S = B.sums[in.node];
        if (S.slice != k) {
            S.slice = k;
            S.flags = K.ok && !(B.cut && B.sampled[in.node]) ? 0 : BatchState::kSlow;
            S.v = S.syn[0] = S.syn[1] = S.w_plus[0] = S.w_plus[1] = 0.0;
            S.t_first = in.t;
            S.count = 0;
            new_run(in.node);
        }
        S.flags |= hooked;  // (kSlow if K is not ok: set when the sum began)
        if (S.flags & BatchState::kSlow) continue;
        S.syn[in.port] += d_syn;
        S.v += d_v;
        S.w_plus[in.port] += std::max(w, 0.0);
        S.t_first = std::min(S.t_first, in.t);
        ++S.count;
    }
}

// Superposition: each of the part's summed nodes settles at the slice end if its
// model proves it cannot fire in the slice; the others are left to the
// input-by-input path. (Population::prepare_settle ran before the phase.)
void Slices::settle_range(BatchState::Part& P) {
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
        if ((S.flags & BatchState::kSlow) || !own(g)) continue;
        span.quiet_until = N.check_time;
        const std::optional<Time> settled = superposition[S.pop]->settle(g - offset[S.pop], S, span);
        if (!settled) {
            S.flags |= BatchState::kSlow;
            continue;
        }
        const Time next = *settled;
        if (!(S.flags & BatchState::kHooked)) N.time = span.t1;  // else after its hooks
        inputs += S.count;
        ++nodes;
        file_check(g, next);
    }
    count(inputs, inputs, nodes);
}

// After settle_range: the part's nodes marked slow, and the settled ones whose
// hooks are still to run, become its runs, with their inputs grouped. Which
// inputs are theirs: a bit per node (a few kB, stays in cache) rather than a
// look at each input's node record.
void Slices::group_slow_inputs(BatchState::Part& P) {
    BatchState& B = B_;
    P.slow.clear();
    bool inputs = false;
    for (const auto& r : P.runs) {
        if (!B.sums[r.node].flags) continue;
        B.nodes[r.node].count = 0;
        P.slow.push_back({r.node, 0, 0, 0, r.key});
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
    auto slow = [&](std::uint32_t g) {
        return ((P.slow_bits[(g - P.lo) >> 6] >> ((g - P.lo) & 63)) & 1) != 0;
    };
    for (const SliceInput& in : P.active)
        if (slow(in.node)) ++B.nodes[in.node].count;
    place_inputs(P, slow);
    for (const auto& r : P.runs) P.slow_bits[(r.node - P.lo) >> 6] = 0;
}

// Runs have their input counts in nodes[].count: set their ranges, copy the kept
// inputs there, and put each run's few inputs into time order (insertion sort:
// stable, so ties keep push order).
template <class Keep>
void Slices::place_inputs(BatchState::Part& P, Keep keep) {
    BatchState& B = B_;
    std::uint32_t pos = 0;
    for (auto& r : P.runs) {
        r.begin = r.cursor = pos;
        pos += B.nodes[r.node].count;
        r.end = pos;
        B.nodes[r.node].count = r.begin;
    }
    P.grouped.resize(pos);
    for (const SliceInput& in : P.active)
        if (keep(in.node)) P.grouped[B.nodes[in.node].count++] = in;
    for (const auto& r : P.runs)
        for (std::uint32_t a = r.begin + 1; a < r.end; ++a) {
            if (!(P.grouped[a].t < P.grouped[a - 1].t)) continue;
            const SliceInput x = P.grouped[a];
            std::uint32_t b = a;
            for (; b > r.begin && P.grouped[b - 1].t > x.t; --b) P.grouped[b] = P.grouped[b - 1];
            P.grouped[b] = x;
        }
}

// Open the next slice. Superposable: the look-ahead (the horizon, not the end
// of this run: a run in pieces then takes the same slices whole) does not end
// inside it; cut: a sample time falls inside it.
void Slices::begin_next(Time t_sample) {
    const Time t1 = slice_start(B_.cur + 2);
    begin_slice(B_.cur + 1, horizon_ >= t1, t_sample < t1);
}

// A sub-slice up to b: first the batched nodes, each through its inputs < b (all
// of them in the slice's last sub-slice), then their spikes and the rules'
// changes in time order.
void Slices::interval(Time b, bool last) {
    if (exchange_) return interval_ranks(b, last);
    BatchState& B = B_;
    B.logging = true;
    if (B.superpose && !B.settled) {  // tables the models build lazily, on one thread
        const Superposition::Span span{slice_start(B.cur), slice_start(B.cur + 1), 0.0, horizon_};
        for (std::size_t p = 0; p < net_.populations.size(); ++p)
            if (B.kernel[p].ok) B.superposition[p]->prepare_settle(span);
    }
    // The work: the slice's inputs and due checks at its first sub-slice, else its runs.
    std::size_t work = 0;
    for (const BatchState::Part& P : B.parts)
        work += B.prepared ? P.runs.size() : P.active.size() + P.due.size();
    for_parts(work, [&](BatchState::Part& P) { part_phase(P, b, last); });
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
        settle_range(P);
        group_slow_inputs(P);
    }
    node_range(P, b, last);
}

// A part's runs in the sub-slice ending at b (they may grow in a serial phase).
void Slices::node_range(BatchState::Part& P, Time b, bool last) {
    BatchState& B = B_;
    constexpr std::size_t kAhead = 8;                  // prefetch distance, in nodes
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
        if (!own(g)) continue;  // another rank's (MPI)
        if (exchange_) cur_key_ = P.runs[r].key;
        if (B.superpose && !(B.sums[g].flags & BatchState::kSlow))
            settled_hooks(P, P.runs[r], b, last);
        else
            batch_node(P, r, b, last);
    }
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
        std::optional<Time> absorbed;
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

// End of a sub-slice: the batched nodes' spikes and the rules' changes, in time
// order. Delay changes were stored at once (rules read their own writes); they
// are undone and replayed here so that each spike is expanded with the delays in
// force at its emission, and reported in time order. A change and a spike at the
// same time: the spike first (hooks run after the spike, as in the event loop).
void Slices::finish_interval() {
    BatchState& B = B_;
    if (B.spikes.empty() && B.log.empty()) return;
    for (std::size_t j = B.log.size(); j-- > 0;)
        if (B.log[j].delay) net_.projections[B.log[j].q].store_delay(B.log[j].s, B.log[j].old_value);
    auto by_time = [](const auto& x, const auto& y) { return x.t < y.t || (x.t == y.t && x.seq < y.seq); };
    std::sort(B.spikes.begin(), B.spikes.end(), by_time);
    // The log can hold thousands of changes per slice: radix-sort (time, position);
    // positions follow seq, so ties keep their order.
    B.log_order.resize(B.log.size());
    for (std::size_t k = 0; k < B.log.size(); ++k)
        B.log_order[k] = {time_key(B.log[k].t), static_cast<std::uint32_t>(k)};
    radix_sort(B.log_order, B.log_scratch);
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
            B.replay.push_back(BatchState::kChange | B.log_order[j].second);
            const BatchState::Change& c = B.log[B.log_order[j++].second];
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
    for_parts(work, [this](BatchState::Part& P) { expand_part(P); });
    B.spikes.clear();
    B.log.clear();
}

// A part's replay of the sub-slice (finish_interval stored every change already):
// its synapses' delay changes undone, then in time order redone and the spikes
// expanded with the delays in force at their emission, onto its own targets.
void Slices::expand_part(BatchState::Part& P) {
    const BatchState& B = B_;
    auto mine = [&](const BatchState::Change& c) {
        const Projection& proj = net_.projections[c.q];
        return c.delay && P.owns(static_cast<std::uint32_t>(core_.node_offset(proj.target_population()) +
                                                            proj.target(c.s)));
    };
    bool changes = false;
    for (std::size_t j = B.log.size(); j-- > 0;)
        if (mine(B.log[j])) {
            net_.projections[B.log[j].q].store_delay(B.log[j].s, B.log[j].old_value);
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
    const auto port = static_cast<std::uint32_t>(proj.port());
    for (; s < end; ++s)
        push_input(P, {t + proj.delay(s), proj.weight(s), g0 + static_cast<std::uint32_t>(proj.target(s)), q,
                       static_cast<std::uint32_t>(s), port});
}

// Threads (sim/parallel.hpp): decided at setup, after the rules are attached.
void Slices::setup_threads(std::vector<std::string>& notes) {
    pool_.reset();
    workers_.clear();
    const unsigned n = threads_ == 0 ? hardware_threads() : threads_;
    if (n <= 1 || !B_.on) {
        if (n > 1) notes.push_back("nothing is batched: the run is event by event, on one thread");
        return;
    }
    // A rule that needs serial execution (Rule::needs_serial: state shared between
    // nodes, or Python's interpreter lock) keeps the node phase on one thread.
    for (const NodeCore::Attachment& a : core_.attachments())
        if (B_.proj[a.site.index] && a.rule->needs_serial()) {
            notes.push_back("rule '" + a.rule->name() + "' on projection '" + a.site.projection->name() +
                            "' needs serial execution: the run uses one thread");
            return;
        }
    // Lazily built stores would be built by two threads at once: build them now.
    for (const NodeCore::Attachment& a : core_.attachments()) {
        Projection& proj = *a.site.projection;
        if (!B_.proj[a.site.index] || proj.size() == 0) continue;
        proj.incoming(0);  // the incoming index (post-spike hooks)
        if (a.rule->writes_weights()) proj.store_weight(0, proj.weight(0));  // the weight store
    }
    grain_ = kMinParallelWork;
    if (const char* g = std::getenv("DELAYSIM_PARALLEL_GRAIN"))
        grain_ = std::max<std::size_t>(1, std::strtoull(g, nullptr, 10));
    workers_.resize(n);
    split_parts(merged_parts(), n);
    // A lane writes the check minima of the groups of blocks (1024 nodes) that lie
    // wholly in its part; those it shares are lowered after each phase.
    constexpr std::uint32_t kGroup = 1u << (BatchState::kBlockBits + BatchState::kGroupBits);
    const auto nodes = static_cast<std::uint32_t>(B_.nodes.size());
    for (unsigned l = 0; l < n; ++l) {
        Worker& w = workers_[l];
        const BatchState::Part& P = B_.parts[l];
        w.w_plus.assign(B_.w_plus.size(), 0.0);
        w.safe_lo = P.lo == 0 ? 0 : (P.lo + kGroup - 1) / kGroup * kGroup;
        w.safe_hi = P.hi == nodes ? nodes : P.hi / kGroup * kGroup;
        if (w.safe_lo >= w.safe_hi) w.safe_lo = w.safe_hi = 0;
    }
    pool_ = std::make_unique<ThreadPool>(n);
}

// f(part) for every part, each on its lane, its spikes and rule changes into the
// lane's buffers; these are merged in lane order, which is node order, which is
// the one-thread order. Little work: the lanes one after another on this thread
// (the same buffers, so the same results).
template <class F>
void Slices::for_parts(std::size_t work, F f) {
    if (!pool_) return f(B_.parts[0]);
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

void Slices::count(std::uint64_t events, std::uint64_t deliveries, std::uint64_t superposed) {
    if (Lane* l = Lane::current()) {
        l->n_events += events;
        l->n_deliveries += deliveries;
        l->n_superposed += superposed;
    } else {
        core_.n_events += events;
        core_.n_deliveries += deliveries;
        core_.n_superposed += superposed;
    }
}

}  // namespace delaysim::sim
