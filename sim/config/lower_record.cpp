#include "sim/config/lower_record.hpp"

#include <algorithm>
#include <cmath>

#include "sim/config/lower_util.hpp"
#include "sim/config/node_values.hpp"

namespace delaysim::config {
namespace {

using sim::UserError;

// Sorted, unique indices < n; `what` names them in messages.
std::vector<sim::Index> indices(const Located<std::vector<std::uint64_t>>& given, sim::Index n,
                                const std::string& who, const char* what) {
    std::vector<sim::Index> out(given.value.begin(), given.value.end());
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        throw UserError(who + ": '" + what + "' lists an index twice", given.where);
    if (!out.empty() && out.back() >= n)
        throw UserError(who + ": " + what + " index " + std::to_string(out.back()) +
                            " is out of range (there are " + std::to_string(n) + ")",
                        given.where);
    return out;
}

sim::TraceMonitor lower_trace(const TraceSpec& t, const sim::Network& net) {
    sim::TraceMonitor m;
    m.population = find_population(net, t.population.value, "[[record.traces]]", t.population.where);
    const sim::Population& pop = *net.populations[m.population];
    const std::string who = "[[record.traces]] of population '" + pop.name() + "'";
    if (pop.variables().empty())
        throw UserError(who + ": a spike source (model " + pop.model() + ") has no variables to trace",
                        t.population.where);
    if (t.variables) {
        for (const auto& v : *t.variables) {
            const long i = pop.variable_index(v.value);
            if (i < 0) {
                std::string valid;
                for (const auto& vi : pop.variables()) valid += (valid.empty() ? "" : ", ") + vi.name;
                throw UserError(who + ": unknown variable '" + v.value + "' of model " + pop.model() +
                                    " (valid: " + valid + ")",
                                v.where);
            }
            if (std::find(m.variables.begin(), m.variables.end(), i) != m.variables.end())
                throw UserError(who + ": variable '" + v.value + "' is listed twice", v.where);
            m.variables.push_back(static_cast<std::size_t>(i));
        }
    } else {
        for (std::size_t i = 0; i < pop.variables().size(); ++i) m.variables.push_back(i);
    }
    if (t.nodes) {
        m.nodes = indices(*t.nodes, pop.size(), who, "nodes");
    } else {
        for (sim::Index i = 0; i < pop.size(); ++i) m.nodes.push_back(i);
    }
    return m;
}

sim::SynapseMonitor lower_synapses(const SynapseRecordSpec& s, const sim::Network& net,
                                   const std::vector<LoweredRule>& rules) {
    sim::SynapseMonitor m;
    m.projection = find_projection(net, s.projection.value, "[[record.synapses]]", s.projection.where);
    const sim::Projection& proj = net.projections[m.projection];
    const std::string who = "[[record.synapses]] of projection '" + proj.name() + "'";
    if (s.variables) {
        for (const auto& v : *s.variables) {
            sim::SynapseVariable var;
            if (v.value == "delay")
                var = sim::SynapseVariable::Delay;
            else if (v.value == "weight")
                var = sim::SynapseVariable::Weight;
            else
                throw UserError(who + ": unknown synapse variable '" + v.value + "' (valid: delay, weight)",
                                v.where);
            if (std::find(m.variables.begin(), m.variables.end(), var) != m.variables.end())
                throw UserError(who + ": variable '" + v.value + "' is listed twice", v.where);
            m.variables.push_back(var);
        }
    } else {
        // Sample what a rule may change; write the rest once (constant values
        // sampled every interval were most of lif_random_delays' 494 MB).
        bool delays = false, weights = false;
        for (const LoweredRule& r : rules)
            if (std::find(r.projections.begin(), r.projections.end(), m.projection) != r.projections.end()) {
                delays = delays || r.rule->writes_delays();
                weights = weights || r.rule->writes_weights();
            }
        (delays ? m.variables : m.once).push_back(sim::SynapseVariable::Delay);
        (weights ? m.variables : m.once).push_back(sim::SynapseVariable::Weight);
    }
    if (s.synapses) {
        m.synapses = indices(*s.synapses, proj.size(), who, "synapses");
    } else {
        for (sim::Index i = 0; i < proj.size(); ++i) m.synapses.push_back(i);
    }
    m.on_change = synapse_record_mode(s, who);
    return m;
}

}  // namespace

sim::RecordSpec lower_record(const RecordSpecs& rec, const sim::Network& net,
                             const std::vector<LoweredRule>& rules) {
    sim::RecordSpec out;
    const double flush = rec.flush_interval_s.value;
    if (!(flush >= 0 && flush <= 1e9))
        throw UserError(
            "[record]: flush_interval_s must be a number of seconds in [0, 1e9], got " + fmt_num(flush),
            rec.flush_interval_s.where);
    out.flush_interval_s = flush;
    const double dt = rec.interval_ms.value;
    if (!(std::isfinite(dt) && dt >= 0))
        throw UserError(
            "[record]: interval_ms must be a finite number >= 0 (0: no sampling), got " + fmt_num(dt),
            rec.interval_ms.where);
    out.interval = dt;
    if (rec.spikes) {
        for (const auto& name : *rec.spikes) {
            const std::uint32_t p = find_population(net, name.value, "[record] spikes", name.where);
            if (std::find(out.spike_populations.begin(), out.spike_populations.end(), p) !=
                out.spike_populations.end())
                throw UserError("[record] spikes: population '" + name.value + "' is listed twice",
                                name.where);
            out.spike_populations.push_back(p);
        }
    } else {
        for (std::uint32_t p = 0; p < net.populations.size(); ++p) out.spike_populations.push_back(p);
    }
    lower_spike_subsets(rec, net, out);
    for (const TraceSpec& t : rec.traces) {
        sim::TraceMonitor m = lower_trace(t, net);
        for (const auto& other : out.traces)
            if (other.population == m.population)
                throw UserError("[[record.traces]]: population '" + t.population.value +
                                    "' already has a traces entry (list all its variables in one)",
                                t.population.where);
        out.traces.push_back(std::move(m));
    }
    for (const SynapseRecordSpec& s : rec.synapses) {
        sim::SynapseMonitor m = lower_synapses(s, net, rules);
        for (const auto& other : out.synapses)
            if (other.projection == m.projection)
                throw UserError("[[record.synapses]]: projection '" + s.projection.value +
                                    "' already has a synapses entry",
                                s.projection.where);
        out.synapses.push_back(std::move(m));
    }
    return out;
}

}  // namespace delaysim::config
