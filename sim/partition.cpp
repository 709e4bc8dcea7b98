// The partitioner of sim/partition.hpp.
#include "sim/partition.hpp"

#include <algorithm>
#include <numeric>

#include "sim/error.hpp"
#include "sim/network.hpp"

namespace delaysim::sim {

namespace {

using Pops = std::vector<PartitionInput::Population>;
using Proj = PartitionInput::Projection;

bool placed(const PartitionInput::Population& p) {
    return p.rank != kUnplaced;
}

std::string bound_text(const Proj& q) {
    if (q.lag) return "a lag port";
    return (q.delay_rule ? "delay_min_ms " : "delay ") + fmt_ms(q.lower_bound);
}

// Rule 1: the units (root per population) and each root's placed member (-1: none).
struct Units {
    std::vector<std::uint32_t> parent;
    std::vector<long> placed_member;  // per root
    std::uint32_t find(std::uint32_t p) {
        while (parent[p] != p) p = parent[p] = parent[parent[p]];
        return p;
    }
};

Units make_units(const PartitionInput& in, std::vector<Partition::Refusal>& refusals) {
    const Pops& P = in.populations;
    Units u;
    u.parent.resize(P.size());
    std::iota(u.parent.begin(), u.parent.end(), 0u);
    u.placed_member.assign(P.size(), -1);
    for (std::uint32_t p = 0; p < P.size(); ++p) {
        if (!placed(P[p])) continue;
        u.placed_member[p] = p;
        if (P[p].rank < 0 || (in.ranks > 1 && P[p].rank >= in.ranks))
            refusals.push_back({-1, p, p,
                                "population '" + P[p].name + "' has rank = " + std::to_string(P[p].rank) +
                                    ", but the run has " + std::to_string(in.ranks) + " MPI ranks (0 .. " +
                                    std::to_string(in.ranks - 1) + ")"});
    }
    for (std::size_t q = 0; q < in.projections.size(); ++q) {
        const Proj& pr = in.projections[q];
        if (!(pr.lower_bound <= 0.0)) continue;
        const std::uint32_t a = u.find(pr.source), b = u.find(pr.target);
        if (a == b) continue;
        const long ma = u.placed_member[a], mb = u.placed_member[b];
        if (ma >= 0 && mb >= 0 && P[ma].rank != P[mb].rank) {
            const bool ends = (ma == pr.source && mb == pr.target) || (ma == pr.target && mb == pr.source);
            refusals.push_back(
                {static_cast<long>(q), static_cast<std::uint32_t>(ma), static_cast<std::uint32_t>(mb),
                 "projection '" + pr.name + "' (" + bound_text(pr) + ") joins population '" + P[ma].name +
                     "' (rank " + std::to_string(P[ma].rank) + ") and '" + P[mb].name + "' (rank " +
                     std::to_string(P[mb].rank) + ")" + (ends ? "" : " through zero-delay projections") +
                     ": give it delays > 0 (at least 0.01 ms; the ranks' lookahead window is the smallest)" +
                     (pr.delay_rule ? " or delay_min_ms > 0 for its delay rule" : "") +
                     (pr.lag ? " on a port that is not a lag port" : "") + ", or place both on one rank"});
            continue;
        }
        u.parent[b] = a;
        if (ma < 0) u.placed_member[a] = mb;
    }
    return u;
}

// Rule 5: integer node counts per rank that bring the loads up to one level
// (as far as the fixed loads allow), adding up to m.
std::vector<std::uint64_t> fill_quotas(const std::vector<std::uint64_t>& load, std::uint64_t m) {
    const std::size_t R = load.size();
    std::vector<std::uint64_t> sorted = load;
    std::sort(sorted.begin(), sorted.end());
    // The level L: the k least loaded ranks take all m nodes, L <= the (k+1)-th load.
    double level = 0.0, sum = static_cast<double>(m);
    for (std::size_t k = 0; k < R; ++k) {
        sum += static_cast<double>(sorted[k]);
        level = sum / static_cast<double>(k + 1);
        if (k + 1 == R || level <= static_cast<double>(sorted[k + 1])) break;
    }
    std::vector<std::uint64_t> quota(R, 0);
    std::uint64_t given = 0;
    for (std::size_t r = 0; r < R; ++r) {
        const double want = level - static_cast<double>(load[r]);
        quota[r] = want > 0 ? static_cast<std::uint64_t>(want) : 0;
        quota[r] = std::min(quota[r], m - given);
        given += quota[r];
    }
    // The remainder of rounding down (fewer than R nodes): one each to the least loaded.
    while (given < m) {
        std::size_t best = 0;
        for (std::size_t r = 1; r < R; ++r)
            if (load[r] + quota[r] < load[best] + quota[best]) best = r;
        ++quota[best];
        ++given;
    }
    return quota;
}

std::string name_list(const Pops& P, const std::vector<std::uint32_t>& members) {
    std::string s;
    for (std::uint32_t p : members) s += (s.empty() ? "'" : ", '") + P[p].name + "'";
    return s;
}

}  // namespace

PartitionInput partition_input(const Network& net, const std::vector<std::uint8_t>& delay_rule,
                               const std::vector<std::uint8_t>& lag, const std::vector<std::uint8_t>& batched,
                               std::vector<std::uint8_t> sampled, int ranks) {
    PartitionInput in;
    for (std::size_t p = 0; p < net.populations.size(); ++p)
        in.populations.push_back({net.populations[p]->name(), net.populations[p]->size(),
                                  batched.empty() || batched[p] != 0,
                                  p < net.rank.size() ? net.rank[p] : kUnplaced});
    for (std::size_t q = 0; q < net.projections.size(); ++q) {
        const Projection& proj = net.projections[q];
        PartitionInput::Projection x;
        x.name = proj.name();
        x.source = proj.source_population();
        x.target = proj.target_population();
        x.delay_rule = q < delay_rule.size() && delay_rule[q];
        x.lag = q < lag.size() && lag[q];
        x.lower_bound = proj.size() == 0 ? kNever
                        : x.lag          ? 0.0
                        : x.delay_rule   ? proj.bounds().min
                                         : proj.min_delay();
        in.projections.push_back(std::move(x));
    }
    in.sampled = std::move(sampled);
    in.ranks = ranks;
    return in;
}

std::vector<Partition::Refusal> check_placement(const PartitionInput& in) {
    std::vector<Partition::Refusal> refusals;
    make_units(in, refusals);
    return refusals;
}

Partition partition(const PartitionInput& in) {
    const Pops& P = in.populations;
    const auto R = static_cast<std::size_t>(std::max(1, in.ranks));
    Partition out;
    Units u = make_units(in, out.refusals);
    if (!out.refusals.empty()) return out;
    std::vector<Index> offset(P.size() + 1, 0);
    for (std::size_t p = 0; p < P.size(); ++p) offset[p + 1] = offset[p] + P[p].size;
    out.owner.assign(offset.back(), 0);
    out.load.assign(R, 0);
    if (R == 1) {  // nothing crosses ranks; the event-by-event populations are still "every rank"
        for (std::size_t p = 0; p < P.size(); ++p)
            for (Index g = offset[p]; g < offset[p + 1]; ++g) out.owner[g] = P[p].batched ? 0 : kEveryRank;
        out.load[0] = static_cast<std::uint64_t>(std::count(out.owner.begin(), out.owner.end(), 0));
        return out;
    }
    auto sampled = [&](Index g) { return !in.sampled.empty() && in.sampled[g]; };

    std::vector<std::vector<std::uint32_t>> members(P.size());
    for (std::uint32_t p = 0; p < P.size(); ++p) members[u.find(p)].push_back(p);
    const auto unit_rank = [&](std::uint32_t p) {
        const long m = u.placed_member[u.find(p)];
        return m >= 0 ? P[m].rank : kUnplaced;
    };
    // Rules 2 and 3, and the placed units of rule 4.
    constexpr int kFree = -2;
    for (std::uint32_t p = 0; p < P.size(); ++p) {
        const int r = unit_rank(p);
        std::uint64_t on_zero = 0;
        for (Index g = offset[p]; g < offset[p + 1]; ++g) {
            int& o = out.owner[g];
            if (!P[p].batched)
                o = kEveryRank;
            else if (sampled(g))
                o = 0, ++on_zero;
            else if (r != kUnplaced)
                o = r;
            else
                o = kFree;
            if (o >= 0) ++out.load[static_cast<std::size_t>(o)];
        }
        if (placed(P[p]) && !P[p].batched)
            out.notes.push_back("population '" + P[p].name + "' has rank = " + std::to_string(P[p].rank) +
                                " but runs event by event: every rank computes it");
        if (r > 0 && on_zero > 0)
            out.notes.push_back(
                "population '" + P[p].name + "' is placed on rank " + std::to_string(r) + ", but its " +
                std::to_string(on_zero) +
                " sampled nodes (recorded traces) are computed by rank 0, which writes the file");
    }
    // Rule 4: unplaced units of several populations, the largest first, each to the least loaded
    // rank; one with sampled nodes to rank 0 (where those are), so that it stays whole.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> whole;  // (free nodes, root)
    for (std::uint32_t root = 0; root < P.size(); ++root) {
        if (members[root].size() < 2) continue;
        std::uint64_t n = 0;
        bool on_zero = false, any_batched = false;
        for (std::uint32_t p : members[root])
            for (Index g = offset[p]; g < offset[p + 1]; ++g) {
                any_batched = any_batched || P[p].batched;
                n += out.owner[g] == kFree ? 1 : 0;
                on_zero = on_zero || (P[p].batched && sampled(g));
            }
        if (n > 0 && on_zero) {
            for (std::uint32_t p : members[root])
                for (Index g = offset[p]; g < offset[p + 1]; ++g)
                    if (out.owner[g] == kFree) out.owner[g] = 0;
            out.load[0] += n;
        } else if (n > 0) {
            whole.push_back({n, root});
        }
        if (!any_batched) continue;  // all on every rank: nothing to keep together
        std::string zero;
        for (const Proj& pr : in.projections)
            if (pr.lower_bound <= 0.0 && u.find(pr.source) == root && zero.empty())
                zero = "projection '" + pr.name + "' has " + bound_text(pr);
        out.notes.push_back("populations " + name_list(P, members[root]) +
                            " are kept together (not split among ranks): " + zero +
                            "; give such projections delays > 0 to let the partitioner split them");
    }
    std::stable_sort(whole.begin(), whole.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [n, root] : whole) {
        const auto r =
            static_cast<int>(std::min_element(out.load.begin(), out.load.end()) - out.load.begin());
        for (std::uint32_t p : members[root])
            for (Index g = offset[p]; g < offset[p + 1]; ++g)
                if (out.owner[g] == kFree) out.owner[g] = r;
        out.load[static_cast<std::size_t>(r)] += n;
    }
    // Rule 5: the free nodes in contiguous blocks, in node order.
    std::uint64_t m = 0;
    for (int o : out.owner) m += o == kFree ? 1 : 0;
    const std::vector<std::uint64_t> quota = fill_quotas(out.load, m);
    std::size_t r = 0;
    std::uint64_t used = 0;
    for (int& o : out.owner) {
        if (o != kFree) continue;
        while (used == quota[r]) ++r, used = 0;
        o = static_cast<int>(r);
        ++used;
        ++out.load[r];
    }

    // The window: per population its one rank (or every rank), or several.
    std::vector<int> first(P.size(), kFree);
    std::vector<std::uint8_t> several(P.size(), 0);
    for (std::uint32_t p = 0; p < P.size(); ++p)
        for (Index g = offset[p]; g < offset[p + 1]; ++g) {
            if (first[p] == kFree) first[p] = out.owner[g];
            if (out.owner[g] != first[p]) several[p] = 1;
        }
    for (std::size_t q = 0; q < in.projections.size(); ++q) {
        const Proj& pr = in.projections[q];
        const std::uint32_t s = pr.source, t = pr.target;
        if (first[s] == kEveryRank && !several[s]) continue;  // computed everywhere: known everywhere
        const bool crosses = several[s] || several[t] || first[s] != first[t];
        if (crosses && pr.lower_bound < out.window) {
            out.window = pr.lower_bound;
            out.window_projection = static_cast<long>(q);
        }
    }
    if (out.window_projection >= 0 && !(out.window > 0.0)) {
        const Proj& pr = in.projections[static_cast<std::size_t>(out.window_projection)];
        out.notes.push_back("projection '" + pr.name + "' (" + bound_text(pr) + ") carries spikes of '" +
                            P[pr.source].name + "' onto '" + P[pr.target].name +
                            "', which every rank computes: the lookahead window is 0 and the ranks "
                            "exchange spikes every sub-slice; give it delays > 0 to widen it");
    }
    return out;
}

}  // namespace delaysim::sim
