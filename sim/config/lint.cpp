#include "sim/config/lint.hpp"

#include "sim/config/lower_util.hpp"

namespace delaysim::config {
namespace {

const SourceLocation& or_else(const SourceLocation& a, const SourceLocation& b) {
    return a.line ? a : b;
}

// Whether some projection delivers onto an inhibit port of population `pop`.
bool receives_inhibition(const sim::Network& net, std::uint32_t pop) {
    for (const sim::Projection& q : net.projections)
        if (q.target_population() == pop &&
            net.populations[pop]->ports()[q.port()].kind == sim::PortKind::Inhibit)
            return true;
    return false;
}

void check_weights(const plasticity::Rule& rule, const sim::Projection& proj, const ProjectionSpec& ps,
                   std::vector<Warning>& out) {
    const auto range = rule.weight_range();
    if (!range) return;
    const auto [lo, hi] = *range;
    sim::Index outside = 0, first = 0;
    for (sim::Index s = 0; s < proj.size(); ++s)
        if (proj.weight(s) < lo || proj.weight(s) > hi) {
            if (outside++ == 0) first = s;
        }
    if (outside == 0) return;
    out.push_back({"projection '" + proj.name() + "': " + std::to_string(outside) + " of " +
                       std::to_string(proj.size()) + " initial weights lie outside [" + fmt_num(lo) + ", " +
                       fmt_num(hi) + "] of plasticity rule '" + rule.name() + "' (synapse " +
                       std::to_string(first) + ": " + fmt_num(proj.weight(first)) +
                       "); the rule would clamp them at its first update",
                   or_else(ps.weight.where, ps.where)});
}

void check_hooks(const plasticity::Rule& rule, const sim::Network& net, const sim::Projection& proj,
                 const SourceLocation& at, std::vector<Warning>& out) {
    const unsigned hooks = rule.hooks();
    if (hooks & (plasticity::kPreSpike | plasticity::kDelivered | plasticity::kPostSpike |
                 plasticity::kPostSpikeNode))
        return;
    const sim::Population& target = *net.populations[proj.target_population()];
    if ((hooks & plasticity::kInhibited) && receives_inhibition(net, proj.target_population())) return;
    std::string why = "it has no hooks";
    if (hooks & plasticity::kInhibited) {
        bool has_port = false;
        for (const auto& port : target.ports()) has_port = has_port || port.kind == sim::PortKind::Inhibit;
        why = "it acts only when the target receives a spike on an inhibit port, and " +
              (has_port ? "no projection reaches an inhibit port of '" + target.name() + "'"
                        : "model " + target.model() + " of '" + target.name() + "' has no inhibit port");
    }
    out.push_back(
        {"plasticity rule '" + rule.name() + "' can never change projection '" + proj.name() + "': " + why,
         at});
}

void check_lag_bound(const plasticity::Rule& rule, const sim::Network& net, const sim::Projection& proj,
                     const ProjectionSpec& ps, std::vector<Warning>& out) {
    const sim::Population& target = *net.populations[proj.target_population()];
    if (!target.has_lag(proj.port()) || !rule.writes_delays()) return;
    const double limit = target.capabilities().lags->lag_limit(proj.port());
    if (!(proj.bounds().max > limit)) return;
    out.push_back({"projection '" + proj.name() + "' (onto lag port '" + target.ports()[proj.port()].name +
                       "' of '" + target.name() + "'): delay_max_ms = " + fmt_num(proj.bounds().max) +
                       " lies past model " + target.model() + "'s limit on the chain's mean delay D (" +
                       fmt_num(limit) + " ms), and plasticity rule '" + rule.name() +
                       "' may move D there; set delay_max_ms <= " + fmt_num(limit),
                   or_else(ps.delay_max_ms.where, ps.where)});
}

}  // namespace

std::vector<Warning> lint(const ConfigSpec& spec, const Lowered& lowered) {
    std::vector<Warning> out;
    const sim::Network& net = lowered.network;
    DS_ASSERT(lowered.rules.size() == spec.plasticity.size());
    for (std::size_t k = 0; k < lowered.rules.size(); ++k) {
        const plasticity::Rule& rule = *lowered.rules[k].rule;
        const auto& qs = lowered.rules[k].projections;
        for (std::size_t j = 0; j < qs.size(); ++j) {
            const sim::Projection& proj = net.projections[qs[j]];
            const ProjectionSpec& ps = spec.projections[qs[j]];
            check_weights(rule, proj, ps, out);
            check_hooks(rule, net, proj, spec.plasticity[k].projections[j].where, out);
            check_lag_bound(rule, net, proj, ps, out);
        }
    }
    return out;
}

std::string Warning::formatted() const {
    std::string s = where.file.empty() ? std::string("delaysim") : where.file;
    if (where.line > 0)
        s += ":" + std::to_string(where.line) + ":" + std::to_string(where.column ? where.column : 1);
    return s + ": warning: " + what;
}

}  // namespace delaysim::config
