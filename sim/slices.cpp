// Slice batching (sim/slices.hpp): set-up, the parts and the threads.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "sim/slices.hpp"

#include "sim/error.hpp"

namespace delaysim::sim {

namespace {
// Slices narrower than this are not worth their bookkeeping: such populations
// stay in the event-by-event loop.
constexpr Time kMinSlice = 0.01;  // ms
constexpr Time kMaxSlice = 0.5;   // ms: wider slices loosen the no-spike bound
constexpr std::size_t kMaxSlots = std::size_t{1} << 16;
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
    B_.logs.assign(nq, {});
    for (std::uint32_t q = 0; q < nq; ++q) {
        bool logged = true;
        for (const NodeCore::Attachment& a : core_.delivered_hooks(q)) {
            B_.hooked[q] |= a.rule->writes_weights() ? BatchState::kSlow : BatchState::kHooked;
            const std::optional<plasticity::ArrivalLog> log = a.rule->arrival_log(a.site.slot);
            if (log) B_.logs[q].push_back(*log);
            logged = logged && log;
        }
        if (B_.hooked[q] == BatchState::kHooked && logged) B_.hooked[q] = BatchState::kLogged;
    }
    B_.sum_kernel.assign(nq, {});
    for (std::uint32_t q = 0; q < nq; ++q) {
        const Projection& proj = net_.projections[q];
        const BatchState::Kernel& K = B_.kernel[proj.target_population()];
        BatchState::SumKernel& Q = B_.sum_kernel[q];
        Q.ok = K.ok;
        Q.hooked = B_.hooked[q];
        if (!K.ok || (Q.hooked & BatchState::kSlow)) continue;
        Q.e = K.e[proj.port()].flat();  // (a superposable population has at most kPorts ports)
        Q.kf = K.kf[proj.port()];
    }
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
    const std::size_t nodes = B_.nodes.size();
    std::vector<std::uint32_t> bound(n + 1, static_cast<std::uint32_t>(nodes));
    std::uint64_t m = 0, c = 0;
    for (const BatchState::Node& N : B_.nodes) m += B_.pop[N.pop];
    std::size_t next = 0;  // the next part to start
    for (std::size_t g = 0; g < nodes; ++g) {
        while (next < n && c >= m * next / n) bound[next++] = static_cast<std::uint32_t>(g);
        c += B_.pop[B_.nodes[g].pop];
    }
    bound[0] = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges(n);
    for (std::size_t l = 0; l < n; ++l) ranges[l] = {bound[l], bound[l + 1]};
    place_parts(std::move(all), ranges);
}

void Slices::place_parts(BatchState::Part all,
                         const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges) {
    const std::size_t n = ranges.size(), slots = B_.mask + 1;
    B_.parts.assign(n, {});
    for (std::size_t l = 0; l < n; ++l) {
        BatchState::Part& P = B_.parts[l];
        P.lo = ranges[l].first;
        P.hi = ranges[l].second;
        P.ring.assign(slots, {});
        P.marks.assign((P.hi - P.lo) / 64 + 1, 0);
        if (!B_.sums.empty()) P.slow_bits.assign((P.hi - P.lo) / 64 + 1, 0);
    }
    // (Under MPI ranks, the nodes outside this rank's parts are another rank's.)
    auto mine = [&](std::uint32_t g) { return own(g) && part_of(g).owns(g); };
    all.ring.resize(slots);
    for (std::size_t k = 0; k < slots; ++k)
        for (const SliceInput& in : all.ring[k])
            if (mine(in.node)) part_of(in.node).ring[k].push_back(in);
    for (const SliceInput& in : all.far)
        if (mine(in.node)) part_of(in.node).far.push_back(in);
    for (const SliceInput& in : all.active)
        if (mine(in.node)) part_of(in.node).active.push_back(in);
    for (BatchState::Run r : all.runs) {
        if (!mine(r.node)) continue;
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
    // Each rank holds only the inputs onto its own nodes, and the new plan may
    // move nodes between ranks (the CLI never sets delays between runs).
    if (exchange_) throw UserError("with MPI ranks, delays below the slice width cannot be set between runs");
    flush_pending();
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
    if (exchange_ && own_.empty()) assign_owners(sampled);
    // (Owners are static: nodes sampled from a later run on would be stale on rank 0.)
    if (exchange_ && sampled && !owners_sampling_)
        throw UserError("with MPI ranks, sampling cannot start after the first run");
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
