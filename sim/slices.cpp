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
    B_.ring.assign(slots, {});
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
        B_.slow_bits.assign(n / 64 + 1, 0);
        for (std::uint32_t p = 0; p < np; ++p)
            for (Index i = core_.node_offset(p); i < core_.node_offset(p + 1); ++i)
                B_.sums[i].pop = static_cast<std::uint16_t>(p);
    }
    B_.hooked.assign(nq, 0);
    for (std::uint32_t q = 0; q < nq; ++q)
        for (const NodeCore::Attachment& a : core_.delivered_hooks(q))
            B_.hooked[q] |= a.rule->writes_weights() ? BatchState::kSlow : BatchState::kHooked;
}

std::vector<SliceInput> Slices::take_pending() {
    std::vector<SliceInput> pending;
    for (auto& slot : B_.ring) pending.insert(pending.end(), slot.begin(), slot.end());
    pending.insert(pending.end(), B_.far.begin(), B_.far.end());
    if (B_.begun)  // the rest of a slice the last run stopped in
        for (const auto& r : B_.runs)
            pending.insert(pending.end(), B_.grouped.begin() + r.cursor, B_.grouped.begin() + r.end);
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
    ++check_epoch_;  // check runs filed here come after those before
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
}

void Slices::file_check(std::uint32_t g, Time t) {
    BatchState& B = B_;
    BatchState::Node& N = B.nodes[g];
    N.check_time = t < horizon_ ? t : kNever;
    if (!(t < horizon_)) return;
    // A thread of a parallel phase: blocks are shared, lower_blocks does it after the phase.
    // (Its nodes all have runs in this slice: nothing to add either.)
    if (worker()) return;
    const std::size_t b = g >> BatchState::kBlockBits;
    B.block_min[b] = std::min(B.block_min[b], t);
    B.group_min[b >> BatchState::kGroupBits] = std::min(B.group_min[b >> BatchState::kGroupBits], t);
    // Inside the slice being processed (after a sample point, or at a new run).
    if (B.begun && t < slice_start(B.cur + 1) && N.touched != B.cur) add_check_run(g);
}

// Node g's check falls in the slice being processed and it has no input there: a
// run of its own (no inputs: the exact path, which fires what the check finds).
void Slices::add_check_run(std::uint32_t g) {
    BatchState& B = B_;
    B.nodes[g].touched = B.cur;
    if (B.superpose) {
        SliceSum& S = B.sums[g];
        S.slice = B.cur;
        S.flags = BatchState::kSlow;
        S.t_first = kNever;  // no input
    }
    const auto o = static_cast<std::uint32_t>(B.grouped.size());
    B.runs.push_back({g, o, o, o, (check_epoch_ << 32) | g});
}

// The nodes whose check falls in slice k (before t1) and that have no input in
// it; each scanned block's time is made exact again, without them (they file anew).
void Slices::due_checks(std::int64_t k) {
    BatchState& B = B_;
    const Time t1 = slice_start(k + 1);
    const std::size_t n = B.nodes.size(), nb = B.block_min.size();
    ++check_epoch_;  // its check runs come after the slice's input runs
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
                const bool has_run = B.superpose ? B.sums[g].slice == k : B.nodes[g].touched == k;
                if (!has_run) add_check_run(static_cast<std::uint32_t>(g));
            }
            B.block_min[b] = m;
            gm = std::min(gm, m);
        }
        B.group_min[grp] = gm;
    }
}

// Open slice k. A whole slice of superposable nodes: their inputs summed per
// node (sum_inputs); otherwise grouped per node (group_inputs). Then the nodes
// whose check falls in it. Cost O(inputs + nodes/64 + due blocks).
void Slices::begin_slice(std::int64_t k, bool superposable, bool cut) {
    BatchState& B = B_;
    B.cur = k;
    B.begun = true;
    const std::size_t slot = static_cast<std::size_t>(k) & B.mask;
    B.active.clear();
    std::swap(B.active, B.ring[slot]);
    if (slot == 0) {  // a turn of the ring: bring far inputs closer
        const std::int64_t reach = k + static_cast<std::int64_t>(B.mask);
        std::vector<SliceInput> far;
        far.swap(B.far);
        for (const SliceInput& in : far) {
            const std::int64_t s = slice_of(in.t);
            if (s == k)
                B.active.push_back(in);
            else if (s <= reach)
                B.ring[static_cast<std::size_t>(s) & B.mask].push_back(in);
            else
                B.far.push_back(in);
        }
    }
    // Superposition pays a sum per node in a second array: in slices where few
    // nodes get any input (sparse activity in large populations, where each node
    // visit is a cache miss) the input-by-input path is cheaper.
    B.superpose =
        superposable && !B.sums.empty() &&
        static_cast<double>(B.active.size()) >= kMinSumDensity * static_cast<double>(B.nodes.size());
    B.cut = cut;
    B.settled = false;
    if (B.superpose)
        sum_inputs(k);
    else
        group_inputs();
    due_checks(k);
}

// Superposition: one pass over the slice's inputs, each one's effect at the
// slice end added to its node's sum. Nodes that cannot be superposed, or whose
// inputs a rule that writes weights watches, are marked slow and get no sum.
void Slices::sum_inputs(std::int64_t k) {
    BatchState& B = B_;
    B.runs.clear();
    const std::size_t lanes = workers_.size(), n_in = B.active.size();
    if (!pool_ || B.nodes.size() < grain_ * lanes || n_in < 16 * grain_ * lanes)
        return sum_range(k, 0, UINT32_MAX, [&](std::size_t idx, std::uint32_t g) {
            B.runs.push_back({g, 0, 0, 0, idx});
        });
    // Threads: each lane sums the inputs onto its own range of nodes (scanning
    // all of them: the exponentials and the sums' cache misses are what is split),
    // noting where each of its nodes got its first input; merged by that position,
    // the runs come out in the one-thread order.
    const std::size_t n = B.nodes.size();
    pool_->run([&](unsigned lane) {
        Worker& w = workers_[lane];
        w.first.clear();
        const auto lo = static_cast<std::uint32_t>(n * lane / lanes),
                   hi = static_cast<std::uint32_t>(n * (lane + 1) / lanes);
        sum_range(k, lo, hi, [&](std::size_t idx, std::uint32_t g) { w.first.push_back({idx, g}); });
    });
    std::vector<std::size_t> head(lanes, 0);
    for (;;) {
        std::size_t best = lanes;
        for (std::size_t l = 0; l < lanes; ++l)
            if (head[l] < workers_[l].first.size() &&
                (best == lanes || workers_[l].first[head[l]].first < workers_[best].first[head[best]].first))
                best = l;
        if (best == lanes) break;
        const auto& first = workers_[best].first[head[best]++];
        B.runs.push_back({first.second, 0, 0, 0, first.first});
    }
}

// The inputs onto nodes [lo, hi): each one's effect at the slice end added to its
// node's sum; new_run(position, node) at a node's first input.
template <class NewRun>
void Slices::sum_range(std::int64_t k, std::uint32_t lo, std::uint32_t hi, NewRun new_run) {
    BatchState& B = B_;
    const Time t1 = slice_start(k + 1);
    const std::size_t n_in = B.active.size();
    // Locals: the loop's byte stores may alias members, which would be reloaded.
    const std::uint8_t* live = core_.weight_live_flags();
    const Projection* projs = net_.projections.data();
    const std::uint32_t span = hi - lo;
    for (std::size_t idx = 0; idx < n_in; ++idx) {
        if (idx + 16 < n_in) __builtin_prefetch(&B.sums[B.active[idx + 16].node]);
        const SliceInput& in = B.active[idx];
        if (in.node - lo >= span) continue;  // another lane's
        // The effect first, from the input alone (its kernel is its projection's
        // target's): it does not wait for the sum's line, so consecutive inputs overlap.
        // Not for inputs that will be slow whatever their node.
        const Projection& proj = projs[in.q];
        const BatchState::Kernel& K = B.kernel[proj.target_population()];
        const std::uint8_t hooked = B.hooked[in.q];
        double w = 0.0, d_syn = 0.0, d_v = 0.0;
        if (K.ok && !(hooked & BatchState::kSlow) && own(in.node)) {  // (another rank's: never settled here)
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
            new_run(idx, in.node);
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

// Superposition: each summed node settles at the slice end if its model proves
// it cannot fire in the slice; the others are left to the input-by-input path.
void Slices::settle_nodes() {
    const Superposition::Span span{slice_start(B_.cur), slice_start(B_.cur + 1), 0.0, horizon_};
    for (std::size_t p = 0; p < net_.populations.size(); ++p)
        if (B_.kernel[p].ok) B_.superposition[p]->prepare_settle(span);
    in_parallel([this](std::size_t lo, std::size_t hi) { settle_range(lo, hi); });
}

void Slices::settle_range(std::size_t lo, std::size_t hi) {
    BatchState& B = B_;
    const std::size_t n = std::min(hi, B.runs.size());
    Superposition::Span span{slice_start(B.cur), slice_start(B.cur + 1), 0.0, horizon_};
    constexpr std::size_t kAhead = 8;
    // Locals: the loop's byte stores may alias members, which would be reloaded.
    const Index* offset = core_.node_offsets();
    Batching* const* batching = B.batching.data();
    Superposition* const* superposition = B.superposition.data();
    std::uint64_t inputs = 0, nodes = 0;
    for (std::size_t r = lo; r < n; ++r) {
        if (r + 2 * kAhead < n) {
            __builtin_prefetch(&B.sums[B.runs[r + 2 * kAhead].node]);
            __builtin_prefetch(&B.nodes[B.runs[r + 2 * kAhead].node]);
        }
        if (r + kAhead < n) {  // its sum is in cache by now: read its population
            const std::uint32_t ahead = B.runs[r + kAhead].node, p = B.sums[ahead].pop;
            batching[p]->prefetch(ahead - offset[p]);
        }
        const std::uint32_t g = B.runs[r].node;
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

// Group the slice's inputs per node: counting sort over the touched nodes.
void Slices::group_inputs() {
    BatchState& B = B_;
    const std::int64_t k = B.cur;
    const std::size_t n_in = B.active.size();
    B.runs.clear();
    for (std::size_t idx = 0; idx < n_in; ++idx) {
        if (idx + 16 < n_in) __builtin_prefetch(&B.nodes[B.active[idx + 16].node]);
        const std::uint32_t g = B.active[idx].node;
        if (B.nodes[g].touched != k) {
            B.nodes[g].touched = k;
            B.nodes[g].count = 0;
            B.runs.push_back({g, 0, 0, 0, idx});
        }
        ++B.nodes[g].count;
    }
    place_inputs([](std::uint32_t) { return true; });
}

// After settle_nodes: the nodes marked slow, and the settled ones whose hooks
// are still to run, become the runs, with their inputs grouped. Which inputs are
// theirs: a bit per node (a few kB, stays in cache) rather than a look at each
// input's node record.
void Slices::group_slow_inputs() {
    BatchState& B = B_;
    B.slow.clear();
    bool inputs = false;
    for (const auto& r : B.runs) {
        if (!B.sums[r.node].flags) continue;
        B.nodes[r.node].count = 0;
        B.slow.push_back({r.node, 0, 0, 0, r.key});
        if (B.sums[r.node].t_first != kNever) {  // it has inputs
            inputs = true;
            B.slow_bits[r.node >> 6] |= std::uint64_t{1} << (r.node & 63);
        }
    }
    std::swap(B.runs, B.slow);
    if (!inputs) {
        B.grouped.clear();
        return;
    }
    auto slow = [&](std::uint32_t g) { return ((B.slow_bits[g >> 6] >> (g & 63)) & 1) != 0; };
    for (const SliceInput& in : B.active)
        if (slow(in.node)) ++B.nodes[in.node].count;
    place_inputs(slow);
    for (const auto& r : B.runs) B.slow_bits[r.node >> 6] = 0;
}

// Runs have their input counts in nodes[].count: set their ranges, copy the kept
// inputs there, and put each run's few inputs into time order (insertion sort:
// stable, so ties keep push order).
template <class Keep>
void Slices::place_inputs(Keep keep) {
    BatchState& B = B_;
    std::uint32_t pos = 0;
    for (auto& r : B.runs) {
        r.begin = r.cursor = pos;
        pos += B.nodes[r.node].count;
        r.end = pos;
        B.nodes[r.node].count = r.begin;
    }
    B.grouped.resize(pos);
    for (const SliceInput& in : B.active)
        if (keep(in.node)) B.grouped[B.nodes[in.node].count++] = in;
    for (const auto& r : B.runs)
        for (std::uint32_t a = r.begin + 1; a < r.end; ++a) {
            if (!(B.grouped[a].t < B.grouped[a - 1].t)) continue;
            const SliceInput x = B.grouped[a];
            std::uint32_t b = a;
            for (; b > r.begin && B.grouped[b - 1].t > x.t; --b) B.grouped[b] = B.grouped[b - 1];
            B.grouped[b] = x;
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
    if (B.superpose && !B.settled) {  // at the slice's first sub-slice: settle, then the rest one by one
        settle_nodes();
        group_slow_inputs();
        B.settled = true;
    }
    in_parallel([&](std::size_t lo, std::size_t hi) { node_range(lo, hi, b, last); });
    B.logging = false;
    finish_interval();
    if (replicated_) mpi::sync_stop();  // every rank ran every node: only the stop flag to agree on
}

// Runs [lo, hi) of the sub-slice ending at b (hi = SIZE_MAX: to the end, which may
// grow in the serial phase).
void Slices::node_range(std::size_t lo, std::size_t hi, Time b, bool last) {
    BatchState& B = B_;
    constexpr std::size_t kAhead = 8;                                 // prefetch distance, in nodes
    for (std::size_t r = lo; r < std::min(hi, B.runs.size()); ++r) {  // runs may grow: index
        const std::size_t n = std::min(hi, B.runs.size());            // (prefetch only the lane's own runs)
        if (r + 2 * kAhead < n) __builtin_prefetch(&B.nodes[B.runs[r + 2 * kAhead].node]);
        if (r + kAhead < n) {
            const BatchState::Run& ahead = B.runs[r + kAhead];
            const std::uint32_t g = ahead.node, p = B.nodes[g].pop;
            B_.batching[p]->prefetch(g - core_.node_offset(p));
            if (core_.any_delivered_hooks())  // the rules' state of its inputs, and their delays
                for (std::uint32_t k = ahead.cursor; k < ahead.end; ++k) {
                    const SliceInput& in = B.grouped[k];
                    for (const NodeCore::Attachment& a : core_.delivered_hooks(in.q))
                        a.rule->prefetch(a.site.slot, in.s);
                    if (!core_.delivered_hooks(in.q).empty()) net_.projections[in.q].prefetch(in.s);
                }
        }
        const std::uint32_t g = B.runs[r].node;
        if (!own(g)) continue;  // another rank's (MPI)
        cur_key_ = B.runs[r].key;
        if (B.superpose && !(B.sums[g].flags & BatchState::kSlow))
            settled_hooks(B.runs[r], b, last);
        else
            batch_node(r, b, last);
    }
}

// The end of run r's inputs in the sub-slice ending at b (all of them in the last).
std::uint32_t Slices::sub_slice_end(const BatchState::Run& r, Time b, bool last) const {
    if (last) return r.end;
    std::uint32_t end = r.cursor;
    while (end < r.end && B_.grouped[end].t < b) ++end;
    return end;
}

// A node that settled a superposed slice: its inputs' delivered hooks, in time
// order (rules that write no weights: the node's dynamics did not depend on them).
// Sub-slice by sub-slice (inputs before b), so that the changes they make are in
// force exactly up to each sample time.
void Slices::settled_hooks(BatchState::Run& r, Time b, bool last) {
    BatchState& B = B_;
    const Time t0 = B.nodes[r.node].time;
    const Index node = r.node - core_.node_offset(B.nodes[r.node].pop);
    const std::uint32_t end = sub_slice_end(r, b, last);
    for (std::uint32_t k = r.cursor; k < end; ++k) {
        const SliceInput& in = B.grouped[k];
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
void Slices::batch_node(std::size_t ri, Time b, bool last) {
    BatchState& B = B_;
    BatchState::Run& r = B.runs[ri];
    const std::uint32_t g = r.node;
    const std::uint32_t end = sub_slice_end(r, b, last);
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
            SliceInput& in = B.grouped[k];
            in.t = std::max(in.t, B.nodes[g].time);
            if (core_.weight_live(in.q)) in.w = net_.projections[in.q].weight(in.s);
            hooked = hooked || !core_.delivered_hooks(in.q).empty();
        }
        const Time t_first = B.grouped[begin].t, t_last = B.grouped[end - 1].t;
        bool fast = B.nodes[g].check_time > t_first;
        std::optional<Time> absorbed;
        if (fast && !hooked) absorbed = batching.absorb(node, &B.grouped[begin], end - begin, core_.horizon);
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
                    if (B.grouped[k].w > 0) w_plus[B.grouped[k].port] += B.grouped[k].w;
                net_.populations[pop]->advance(node, t_first);
                B.nodes[g].time = t_first;
                fast = !batching.may_spike_before(node, t_last, w_plus.data());
            }
            for (std::uint32_t k = begin; k < end; ++k) {
                SliceInput& in = B.grouped[k];
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
    std::size_t i = 0, j = 0;
    while (i < B.spikes.size() || j < B.log.size()) {
        if (j == B.log.size() || (i < B.spikes.size() && B.spikes[i].t <= B.log[B.log_order[j].second].t)) {
            const BatchState::Spike& sp = B.spikes[i++];
            core_.now = sp.t;
            for (Observer* o : core_.observers()) o->on_spike(sp.pop, sp.node, sp.t);
            emit_(sp.pop, sp.node, sp.t);
        } else {
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
    B.spikes.clear();
    B.log.clear();
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
    grain_ = kMinParallelRuns;
    if (const char* g = std::getenv("DELAYSIM_PARALLEL_GRAIN"))
        grain_ = std::max<std::size_t>(1, std::strtoull(g, nullptr, 10));
    workers_.resize(n);
    for (Worker& w : workers_) w.w_plus.assign(B_.w_plus.size(), 0.0);
    pool_ = std::make_unique<ThreadPool>(n);
}

// f(lo, hi) over the slice's runs: on one thread (hi = SIZE_MAX), or split into
// contiguous ranges, one per lane, then merged in lane order = the serial order.
void Slices::in_parallel(const std::function<void(std::size_t, std::size_t)>& f) {
    const std::size_t n = B_.runs.size(), lanes = workers_.size();
    if (!pool_ || n < grain_ * lanes) return f(0, SIZE_MAX);
    for (Worker& w : workers_) {  // (left over if the last phase threw)
        w.spikes.clear();
        w.log.clear();
    }
    pool_->run([&](unsigned lane) {
        Lane::Scope scope(&workers_[lane]);
        f(n * lane / lanes, n * (lane + 1) / lanes);
    });
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
    }
    // The block minima the threads left alone (file_check): lowered by each
    // node's last check, which is all a scan needs (they are lower bounds).
    for (std::size_t r = 0; r < n; ++r) {
        const std::uint32_t g = B_.runs[r].node;
        const Time t = B_.nodes[g].check_time;
        if (!(t < horizon_)) continue;
        const std::size_t blk = g >> BatchState::kBlockBits;
        B_.block_min[blk] = std::min(B_.block_min[blk], t);
        B_.group_min[blk >> BatchState::kGroupBits] =
            std::min(B_.group_min[blk >> BatchState::kGroupBits], t);
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
