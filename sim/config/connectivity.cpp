#include "sim/config/connectivity.hpp"

#include <cmath>
#include <numeric>
#include <sstream>

#include "sim/random.hpp"

namespace delaysim::config {
namespace {

using sim::Index;
using sim::UserError;

std::string num(double x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

// A key that only one connect rule uses must not appear with another.
void only_with(const ProjectionSpec& p, bool present, const char* key, const char* rule,
               const SourceLocation& at) {
    if (present && p.connect.value != rule)
        throw UserError("projection '" + p.name.value + "': '" + key + "' is only used with connect = \"" +
                            rule + "\" (connect is \"" + p.connect.value + "\")",
                        at);
}

void connect(const ProjectionSpec& p, Index ns, Index nt, bool same, sim::Rng& rng, sim::SynapseList& out) {
    const std::string who = "projection '" + p.name.value + "'";
    only_with(p, !p.pairs.empty() || p.pairs_where.line, "pairs", "pairs", p.pairs_where);
    only_with(p, p.probability.has_value(), "probability", "fixed_probability",
              p.probability ? p.probability->where : SourceLocation{});
    only_with(p, p.indegree.has_value(), "indegree", "fixed_indegree",
              p.indegree ? p.indegree->where : SourceLocation{});
    auto add = [&](Index i, Index j) {
        out.source.push_back(static_cast<std::uint32_t>(i));
        out.target.push_back(static_cast<std::uint32_t>(j));
    };
    auto allowed = [&](Index i, Index j) { return p.autapses.value || !same || i != j; };
    const std::string& rule = p.connect.value;
    if (rule == "all_to_all") {
        for (Index i = 0; i < ns; ++i)
            for (Index j = 0; j < nt; ++j)
                if (allowed(i, j)) add(i, j);
    } else if (rule == "one_to_one") {
        if (ns != nt)
            throw UserError(who + ": connect = \"one_to_one\" needs populations of equal size, got " +
                                std::to_string(ns) + " and " + std::to_string(nt),
                            p.connect.where);
        for (Index i = 0; i < ns; ++i)
            if (allowed(i, i)) add(i, i);
    } else if (rule == "pairs") {
        if (p.pairs_where.line == 0 && p.pairs.empty())
            throw UserError(who + ": connect = \"pairs\" needs 'pairs = [[source, target], ...]'",
                            p.connect.where);
        for (auto [i, j] : p.pairs) {
            if (i >= ns || j >= nt)
                throw UserError(who + ": pair [" + std::to_string(i) + ", " + std::to_string(j) +
                                    "] is outside the populations (sizes " + std::to_string(ns) + " and " +
                                    std::to_string(nt) + ")",
                                p.pairs_where);
            add(i, j);
        }
    } else if (rule == "fixed_probability") {
        if (!p.probability)
            throw UserError(who + ": connect = \"fixed_probability\" needs 'probability'", p.connect.where);
        const double q = p.probability->value;
        if (!(q >= 0.0 && q <= 1.0))
            throw UserError(who + ": probability must lie in [0, 1], got " + num(q), p.probability->where);
        for (Index i = 0; i < ns; ++i)
            for (Index j = 0; j < nt; ++j)
                if (rng.uniform() < q && allowed(i, j)) add(i, j);
    } else if (rule == "fixed_indegree") {
        if (!p.indegree)
            throw UserError(who + ": connect = \"fixed_indegree\" needs 'indegree'", p.connect.where);
        const Index k = p.indegree->value;
        const Index available = same && !p.autapses.value ? ns - 1 : ns;
        if (k > available)
            throw UserError(who + ": indegree " + std::to_string(k) + " exceeds the " +
                                std::to_string(available) + " available source nodes",
                            p.indegree->where);
        std::vector<Index> pool;
        for (Index j = 0; j < nt; ++j) {
            pool.clear();
            for (Index i = 0; i < ns; ++i)
                if (allowed(i, j)) pool.push_back(i);
            for (Index m = 0; m < k; ++m) {  // partial Fisher-Yates: draw without replacement
                const Index r = m + rng.below(pool.size() - m);
                std::swap(pool[m], pool[r]);
                add(pool[m], j);
            }
        }
    } else {
        throw UserError(who + ": unknown connect rule '" + rule +
                            "' (valid: all_to_all, one_to_one, pairs, fixed_probability, fixed_indegree)",
                        p.connect.where);
    }
}

std::vector<double> values(const ProjectionSpec& p, const SynValueSpec& v, const char* key, std::size_t n,
                           sim::Rng& rng) {
    const std::string who = "projection '" + p.name.value + "': " + key;
    using K = SynValueSpec::Kind;
    switch (v.kind) {
        case K::Constant: return std::vector<double>(n, v.value);
        case K::List:
            if (v.list.size() != n)
                throw UserError(who + " lists " + std::to_string(v.list.size()) +
                                    " values but the projection has " + std::to_string(n) + " synapses",
                                v.where);
            return v.list;
        case K::Uniform:
            if (!(std::isfinite(v.a) && std::isfinite(v.b) && v.a <= v.b))
                throw UserError(who + ": uniform needs finite low <= high, got low = " + num(v.a) +
                                    ", high = " + num(v.b),
                                v.where);
            break;
        case K::Normal:
            if (!(std::isfinite(v.a) && std::isfinite(v.b) && v.b >= 0))
                throw UserError(who + ": normal needs a finite mean and sd >= 0, got mean = " + num(v.a) +
                                    ", sd = " + num(v.b),
                                v.where);
            break;
    }
    std::vector<double> out(n);
    for (double& x : out) x = v.kind == K::Uniform ? rng.uniform(v.a, v.b) : rng.normal(v.a, v.b);
    return out;
}

}  // namespace

sim::SynapseList build_synapses(const ProjectionSpec& p, sim::Index n_source, sim::Index n_target,
                                bool same_population, std::uint64_t seed) {
    sim::Rng rng(seed);
    sim::SynapseList out;
    connect(p, n_source, n_target, same_population, rng, out);
    out.weight = values(p, p.weight, "weight", out.source.size(), rng);
    out.delay = values(p, p.delay, "delay_ms", out.source.size(), rng);
    return out;
}

}  // namespace delaysim::config
