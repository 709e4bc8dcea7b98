// Slice batching (sim/slices.hpp): the delivered hooks that are ArrivalLogs
// (plasticity/rule.hpp) on the nodes that settled a superposed slice. The engine
// stores each arrival itself, in one pass over the part's inputs, and calls a hook
// only where the log says it would do more than store (a pair with the target's
// last spike): a few inputs instead of all, and no grouping of the settled nodes'
// inputs. The calls run as settled_hooks would run them: in node order, each
// node's in time order (ties: push order), at the same times (clamped to the
// node's time), run by node_range between its runs (node order). Not in slices
// of several sub-slices (settle_range gives those nodes kHooked): their hooks run
// sub-slice by sub-slice.
#include <algorithm>

#include "sim/slices.hpp"

namespace delaysim::sim {

void Slices::log_arrivals(BatchState::Part& P) {
    BatchState& B = B_;
    P.calls.clear();
    P.calls_done = 0;
    if (!core_.any_delivered_hooks()) return;
    const SliceSum* sums = B.sums.data();
    const Index* offset = core_.node_offsets();
    auto logged = [&](std::uint32_t g) {
        const std::uint8_t f = sums[g].flags;
        return (f & (BatchState::kSlow | BatchState::kHooked | BatchState::kLogged)) == BatchState::kLogged &&
               own(g);
    };
    const SliceInput* active = P.active.data();
    const std::size_t n = P.active.size();
    constexpr std::size_t kAhead = 16;
    for (std::size_t idx = 0; idx < n; ++idx) {
        if (idx + kAhead < n) {
            const SliceInput& a = active[idx + kAhead];
            for (const plasticity::ArrivalLog& L : B.logs[a.q]) __builtin_prefetch(&L.last[a.s], 1);
        }
        const SliceInput& in = active[idx];
        if (B.logs[in.q].empty() || !logged(in.node)) continue;
        const Index node = in.node - offset[sums[in.node].pop];
        const Time t = std::max(in.t, B.nodes[in.node].time);
        bool call = false;
        for (const plasticity::ArrivalLog& L : B.logs[in.q]) {
            Time& last = L.last[in.s];
            last = std::max(last, t);
            const Time lag = L.post[node] - t;
            call = call || lag == 0.0 || (L.late && lag <= 0.0 && -lag <= L.window);
        }
        if (call) P.calls.push_back({in.node, static_cast<std::uint32_t>(idx), t});
    }
    std::sort(P.calls.begin(), P.calls.end(), [](const auto& a, const auto& b) {
        return a.node != b.node ? a.node < b.node : a.t != b.t ? a.t < b.t : a.idx < b.idx;
    });
    const Time t1 = slice_start(B.cur + 1);
    for (const BatchState::Run& r : P.runs)
        if (logged(r.node)) B.nodes[r.node].time = t1;
}

// The logged calls of nodes before `before`: node_range runs them between its
// runs, so that the rules' changes are made in node order, as settled_hooks
// makes them (changes at one time keep that order in the log).
void Slices::run_logged_calls(BatchState::Part& P, std::uint32_t before) {
    for (; P.calls_done < P.calls.size() && P.calls[P.calls_done].node < before; ++P.calls_done) {
        const BatchState::Part::Call& c = P.calls[P.calls_done];
        const SliceInput& in = P.active[c.idx];
        if (exchange_) cur_key_ = c.node;  // (MPI ranks: the node's run key, as settled_hooks had it)
        core_.run_delivered_hooks(in.q, in.s, c.node - core_.node_offset(B_.sums[c.node].pop), c.t);
    }
}

}  // namespace delaysim::sim
