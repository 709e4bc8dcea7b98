#include "sim/config/lower.hpp"

#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/config/connectivity.hpp"
#include "sim/config/estimate.hpp"
#include "sim/config/lint.hpp"
#include "sim/config/lower_model.hpp"
#include "sim/config/lower_placement.hpp"
#include "sim/config/lower_record.hpp"
#include "sim/config/lower_util.hpp"
#include "sim/config/node_values.hpp"
#include "sim/random.hpp"

namespace delaysim::config {
namespace {

using sim::UserError;

// Names become HDF5 group names and --set path segments: keep them plain.
void check_name(const Located<std::string>& name, const char* what, std::set<std::string>& seen) {
    const std::string& s = name.value;
    bool ok = !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0]));
    for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok)
        throw UserError(std::string(what) + " name '" + s +
                            "' must consist of letters, digits and '_' and not start with a digit",
                        name.where);
    if (!seen.insert(s).second)
        throw UserError(std::string("duplicate ") + what + " name '" + s + "'", name.where);
}

sim::InflightPolicy inflight_policy(const Located<std::string>& v, const std::string& who) {
    if (v.value == "keep") return sim::InflightPolicy::Keep;
    if (v.value == "retime") return sim::InflightPolicy::Retime;
    throw UserError(who + ": unknown inflight policy '" + v.value + "' (valid: keep, retime)", v.where);
}

// The population's parameter values with its distributions drawn (node_values.hpp).
sim::ParamValues drawn_params(const PopulationSpec& p, const models::ModelInfo& info, std::uint64_t seed,
                              const std::string& who) {
    sim::ParamValues values = p.params;
    for (const NodeDrawSpec& d : p.param_draws) {
        std::uint64_t k = 0;
        while (k < info.params.size() && info.params[k].name != d.name) ++k;
        // An unknown name draws nothing: sim::Params reports it with the valid ones.
        values.per_node[d.name] =
            k < info.params.size()
                ? draw_node_values(d, p.size.value, sim::Rng::derive(seed, kParamDrawStream + k), who)
                : std::vector<double>{};
    }
    return values;
}

// The initial values of one variable, one per node.
std::vector<double> initial_values(const InitialSpec& init, std::size_t var, std::size_t n,
                                   std::uint64_t seed, const std::string& who) {
    if (init.draw)
        return draw_node_values(*init.draw, n, sim::Rng::derive(seed, kInitialDrawStream + var), who);
    if (init.per_node && init.values.size() != n)
        throw UserError(who + ": initial." + init.variable + " lists " + std::to_string(init.values.size()) +
                            " values for " + std::to_string(n) + " nodes",
                        init.where);
    return init.per_node ? init.values : std::vector<double>(n, init.values.at(0));
}

void lower_population(const PopulationSpec& p, std::uint64_t seed, const std::vector<ModelDeclSpec>& declared,
                      sim::Network& net) {
    // A model declared in the file ([[model]], lower_model.hpp) is looked up first.
    const ModelDeclSpec* decl = find_declared(declared, p.model.value);
    const models::ModelInfo* info = decl ? nullptr : models::find_model(p.model.value);
    const std::string who = "population '" + p.name.value + "'";
    if (!info && !decl) {
        std::string valid = models::model_names();
        for (const ModelDeclSpec& d : declared) valid += ", " + d.name.value;
        throw UserError(who + ": unknown model '" + p.model.value + "' (valid: " + valid + ")",
                        p.model.where);
    }
    if (p.size.value < 1) throw UserError(who + ": 'size' must be an integer >= 1, got 0", p.size.where);
    std::unique_ptr<sim::Population> pop;
    if (decl) {
        pop = lower_declared_population(*decl, p);
    } else {
        const SourceLocation params_at = p.params_where.line ? p.params_where : p.where;
        const std::string owner = who + " (" + info->name + ")";
        const sim::ParamValues values = drawn_params(p, *info, seed, owner);
        const sim::Params params =
            located(params_at, [&] { return sim::Params(info->params, values, owner, p.size.value); });
        pop = located(p.where, [&] { return info->make(p.name.value, p.size.value, params, seed); });
    }
    DS_ASSERT(pop != nullptr);
    for (const InitialSpec& init : p.initial) {
        const long var = pop->variable_index(init.variable);
        if (var < 0) {
            std::string valid;
            for (const auto& v : pop->variables()) valid += (valid.empty() ? "" : ", ") + v.name;
            throw UserError(who + ": unknown variable '" + init.variable + "' in 'initial' (valid: " +
                                (valid.empty() ? "none, a spike source has no state" : valid) + ")",
                            init.where);
        }
        const std::vector<double> xs =
            initial_values(init, static_cast<std::size_t>(var), pop->size(), seed, who);
        for (sim::Index i = 0; i < pop->size(); ++i) {
            const double x = xs[i];
            if (!std::isfinite(x))
                throw UserError(who + ": initial." + init.variable + " must be finite, got " + fmt_num(x) +
                                    (init.per_node ? " (node " + std::to_string(i) + ")" : std::string()),
                                init.where);
            located(init.where, [&] { pop->set_value(i, static_cast<std::size_t>(var), x); });
        }
    }
    net.populations.push_back(std::move(pop));
}

sim::DelayBounds delay_bounds(const ProjectionSpec& p, const std::string& who) {
    sim::DelayBounds b;
    b.min = p.delay_min_ms.value;
    b.max = p.delay_max_ms.value;
    if (!(std::isfinite(b.min) && b.min >= 0))
        throw UserError(who + ": delay_min_ms must be a finite number >= 0, got " + fmt_num(b.min),
                        p.delay_min_ms.where);
    if (!(b.max >= b.min))
        throw UserError(
            who + ": delay_max_ms (" + fmt_num(b.max) + ") must be >= delay_min_ms (" + fmt_num(b.min) + ")",
            p.delay_max_ms.where);
    const std::string& policy = p.bounds.value;
    if (policy == "clamp")
        b.policy = sim::BoundPolicy::Clamp;
    else if (policy == "wrap")
        b.policy = sim::BoundPolicy::Wrap;
    else if (policy == "error")
        b.policy = sim::BoundPolicy::Error;
    else
        throw UserError(who + ": unknown bounds policy '" + policy + "' (valid: clamp, wrap, error)",
                        p.bounds.where);
    if (b.policy == sim::BoundPolicy::Wrap && !(std::isfinite(b.max) && b.max > b.min))
        throw UserError(who + ": bounds = \"wrap\" needs a finite delay_max_ms > delay_min_ms",
                        p.bounds.where);
    return b;
}

// The engine's own conditions on lag projections (sim/simulation.cpp), checked here
// so that they carry a location. `shared` holds the chain delay D per
// (population, port, node), across projections.
using LagKey = std::tuple<std::uint32_t, std::size_t, sim::Index>;
void check_lag_projection(const ProjectionSpec& p, const sim::SynapseList& syn,
                          const sim::DelayBounds& bounds, std::uint32_t tgt, const sim::Population& target,
                          std::size_t port, std::map<LagKey, double>& shared) {
    const std::string who =
        "projection '" + p.name.value + "' (onto lag port '" + p.port.value + "' of '" + target.name() + "')";
    if (!(bounds.min > 0.0))
        throw UserError(who +
                            ": its delay is the chain's mean delay D > 0, so delay_min_ms must be > 0, got " +
                            fmt_num(bounds.min),
                        p.delay_min_ms.where.line ? p.delay_min_ms.where : p.where);
    const double limit = target.capabilities().lags->lag_limit(port);
    for (std::size_t s = 0; s < syn.delay.size(); ++s) {
        const double d = syn.delay[s];
        if (d > limit)
            throw UserError(who + ": delay " + fmt_num(d) + " ms of synapse " + std::to_string(s) +
                                " is past model " + target.model() +
                                "'s limit on the chain's mean delay D (" + fmt_num(limit) + " ms)",
                            p.delay.where.line ? p.delay.where : p.where);
        const auto [it, fresh] = shared.emplace(LagKey{tgt, port, syn.target[s]}, d);
        if (!fresh && it->second != d)
            throw UserError(who + ": synapses onto node " + std::to_string(syn.target[s]) +
                                " share one chain and need the same delay_ms (" + fmt_num(it->second) +
                                " and " + fmt_num(d) + " ms)",
                            p.delay.where.line ? p.delay.where : p.where);
    }
}

void lower_projection(const ProjectionSpec& p, std::uint32_t q, const ConfigSpec& spec, sim::Network& net,
                      std::map<LagKey, double>& lag_delays) {
    const std::string who = "projection '" + p.name.value + "'";
    const std::uint32_t src = find_population(net, p.source.value, who + ": source", p.source.where);
    const std::uint32_t tgt = find_population(net, p.target.value, who + ": target", p.target.where);
    const sim::Population& target = *net.populations[tgt];
    if (target.is_source())
        throw UserError(who + ": target '" + target.name() + "' is a spike source (model " + target.model() +
                            "), which has no inputs",
                        p.target.where);
    const long port = target.port_index(p.port.value);
    if (port < 0) {
        std::string valid;
        for (const auto& pi : target.ports()) valid += (valid.empty() ? "" : ", ") + pi.name;
        throw UserError(who + ": unknown port '" + p.port.value + "' of model " + target.model() +
                            " (valid: " + valid + ")",
                        p.port.where);
    }
    const sim::DelayBounds bounds = delay_bounds(p, who);
    const sim::InflightPolicy inflight =
        inflight_policy(p.inflight ? *p.inflight : spec.simulation.inflight, who);
    if (inflight == sim::InflightPolicy::Retime && !std::isfinite(bounds.max))
        throw UserError(who + ": inflight = \"retime\" needs a finite delay_max_ms",
                        p.inflight ? p.inflight->where : spec.simulation.inflight.where);
    const std::uint64_t seed =
        p.connect_seed ? p.connect_seed->value : sim::Rng::derive(spec.simulation.seed.value, q);
    const sim::Index ns = net.populations[src]->size(), nt = target.size();
    sim::SynapseList syn = build_synapses(p, ns, nt, src == tgt, seed);
    for (std::size_t s = 0; s < syn.delay.size(); ++s) {
        const double d = syn.delay[s];
        if (!(std::isfinite(d) && d >= bounds.min && d <= bounds.max))
            throw UserError(who + ": delay " + fmt_num(d) + " ms of synapse " + std::to_string(s) + " (" +
                                std::to_string(syn.source[s]) + " -> " + std::to_string(syn.target[s]) +
                                ") is outside the bounds [" + fmt_num(bounds.min) + ", " +
                                fmt_num(bounds.max) + "] ms",
                            p.delay.where);
        if (!std::isfinite(syn.weight[s]))
            throw UserError(who + ": weight of synapse " + std::to_string(s) + " must be finite",
                            p.weight.where);
    }
    if (target.has_lag(static_cast<std::size_t>(port)))
        check_lag_projection(p, syn, bounds, tgt, target, static_cast<std::size_t>(port), lag_delays);
    net.projections.push_back(located(p.where, [&] {
        return sim::Projection(p.name.value, src, tgt, static_cast<std::size_t>(port), std::move(syn), bounds,
                               inflight, ns, nt);
    }));
}

LoweredRule lower_plasticity(const PlasticitySpec& p, const sim::Network& net) {
    const plasticity::RuleInfo* info = plasticity::find_rule(p.rule.value);
    if (!info)
        throw UserError(
            "unknown plasticity rule '" + p.rule.value + "' (valid: " + plasticity::rule_names() + ")",
            p.rule.where);
    const std::string who = "plasticity rule '" + info->name + "'";
    LoweredRule out;
    if (p.projections.empty())
        throw UserError(who + ": 'projections' must name at least one projection", p.where);
    for (const auto& name : p.projections) {
        const std::uint32_t q = find_projection(net, name.value, who, name.where);
        for (auto seen : out.projections)
            if (seen == q)
                throw UserError(who + ": projection '" + name.value + "' is listed twice", name.where);
        out.projections.push_back(q);
    }
    const sim::Params params = located(p.where, [&] { return sim::Params(info->params, p.params, who); });
    out.rule = located(p.where, [&] { return info->make(params); });
    DS_ASSERT(out.rule != nullptr);
    return out;
}

}  // namespace

Lowered lower(const ConfigSpec& spec) {
    Lowered out;
    const SimulationSpec& s = spec.simulation;
    if (!(std::isfinite(s.t_stop_ms.value) && s.t_stop_ms.value > 0))
        throw UserError(
            "[simulation]: t_stop_ms must be a finite number > 0, got " + fmt_num(s.t_stop_ms.value),
            s.t_stop_ms.where);
    inflight_policy(s.inflight, "[simulation]");
    check_limits(spec, estimate_run(spec));  // before anything large is built
    out.t_stop = s.t_stop_ms.value;
    out.batching = s.batching;
    out.superposition = s.superposition;
    out.threads = s.threads;
    out.seed = s.seed.value;
    check_declared_models(spec.models);
    std::set<std::string> names;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) {
        check_name(spec.populations[i].name, "population", names);
        lower_population(spec.populations[i], sim::Rng::derive(out.seed, (1ULL << 32) + i), spec.models,
                         out.network);
    }
    names.clear();
    std::map<LagKey, double> lag_delays;
    for (std::size_t q = 0; q < spec.projections.size(); ++q) {
        check_name(spec.projections[q].name, "projection", names);
        lower_projection(spec.projections[q], static_cast<std::uint32_t>(q), spec, out.network, lag_delays);
    }
    for (const PlasticitySpec& p : spec.plasticity) out.rules.push_back(lower_plasticity(p, out.network));
    lower_placement(spec, out);
    out.record = lower_record(spec.record, out.network, out.rules);
    out.record.seed = out.seed;
    out.record.t_stop = out.t_stop;
    out.warnings = lint(spec, out);
    return out;
}

std::unique_ptr<sim::Simulation> make_simulation(Lowered& lowered) {
    auto sim = std::make_unique<sim::Simulation>(std::move(lowered.network));
    sim->set_batching(lowered.batching);
    sim->set_superposition(lowered.superposition);
    sim->set_threads(lowered.threads);
    for (LoweredRule& r : lowered.rules) sim->add_rule(std::move(r.rule), std::move(r.projections));
    lowered.rules.clear();
    sim->set_sample_interval(lowered.record.interval);
    return sim;
}

}  // namespace delaysim::config
