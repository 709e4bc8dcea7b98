#include "sim/config/estimate.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/config/lower_util.hpp"

namespace delaysim::config {
namespace {

constexpr double kGB = 1e9;
constexpr double kBytesPerSynapse = 48.0;  // while built (estimate.hpp)
constexpr double kBytesPerNode = 64.0, kBytesPerVariable = 8.0;
constexpr double kBytesPerSpike = 16.0;   // float64 time + uint64 node id
constexpr double kBytesPerChunk = 32768;  // every dataset allocates whole chunks (sim/h5_writer.cpp)
constexpr double kDefaultOutputGB = 10.0;
constexpr double kMemoryFraction = 0.8;

struct PopInfo {
    double size = 0;
    const models::ModelInfo* model = nullptr;
    const PopulationSpec* spec = nullptr;
};

double param(const PopInfo& p, const std::string& name) {
    auto it = p.spec->params.real.find(name);
    if (it != p.spec->params.real.end()) return it->second;
    for (const auto& info : p.model->params)
        if (info.name == name) return info.default_value;
    return 0.0;
}

const std::vector<double>* list_param(const PopInfo& p, const std::string& name) {
    auto it = p.spec->params.lists.find(name);
    return it == p.spec->params.lists.end() ? nullptr : &it->second;
}

// Spikes a source population emits before t_stop (Poisson: expected count).
double source_spikes(const PopInfo& p, double t_stop) {
    const std::string& m = p.model->name;
    if (m == "poisson_source") {
        const double start = param(p, "start_ms"), stop = std::min(param(p, "stop_ms"), t_stop);
        return p.size * std::max(0.0, param(p, "rate_hz")) * 1e-3 * std::max(0.0, stop - start);
    }
    if (m == "pattern_source") {
        const std::vector<double>* pattern = list_param(p, "pattern_ms");
        const double period = param(p, "period_ms"), start = param(p, "start_ms");
        if (!pattern || !(period > 0)) return 0.0;
        const double periods =
            std::min(std::max(1.0, param(p, "repeats")), std::max(0.0, std::ceil((t_stop - start) / period)));
        return p.size * static_cast<double>(pattern->size()) * periods;
    }
    if (m == "explicit_source") {
        const std::vector<double>* times = list_param(p, "times_ms");
        if (!times) return 0.0;
        const double n = static_cast<double>(
            std::count_if(times->begin(), times->end(), [&](double t) { return t < t_stop; }));
        return list_param(p, "node_ids") ? n : n * p.size;
    }
    return 0.0;  // a source of a plug-in: not bounded here
}

// Which synapse variables the spec's rules may change, per projection name:
// {delays, weights}. A rule that cannot be made (bad parameters) counts as
// writing both; lowering reports the problem.
std::map<std::string, std::pair<bool, bool>> rule_writes(const ConfigSpec& spec) {
    std::map<std::string, std::pair<bool, bool>> out;
    for (const PlasticitySpec& ps : spec.plasticity) {
        bool d = true, w = true;
        if (const plasticity::RuleInfo* info = plasticity::find_rule(ps.rule.value)) {
            try {
                const auto rule = info->make(sim::Params(info->params, ps.params, ps.rule.value));
                d = rule->writes_delays();
                w = rule->writes_weights();
            } catch (const sim::UserError&) {
            }
        }
        for (const auto& name : ps.projections) {
            auto& [od, ow] = out[name.value];
            od = od || d;
            ow = ow || w;
        }
    }
    return out;
}

double synapse_count(const ProjectionSpec& p, double ns, double nt, bool same, double& pairs) {
    const std::string& rule = p.connect.value;
    if (rule == "all_to_all") return same && !p.autapses.value ? ns * (nt - 1) : ns * nt;
    if (rule == "one_to_one") return std::min(ns, nt);
    if (rule == "pairs") return static_cast<double>(p.pairs.size());
    if (rule == "fixed_probability") {
        pairs += ns * nt;
        const double q = p.probability ? p.probability->value : 0.0;
        return q >= 0 && q <= 1 ? q * ns * nt : 0.0;
    }
    if (rule == "fixed_indegree") {
        pairs += ns * nt;
        return p.indegree ? std::min(static_cast<double>(p.indegree->value), ns) * nt : 0.0;
    }
    return 0.0;
}

double physical_memory_bytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 16 * kGB;
}

std::string fmt_count(double x) {
    if (!std::isfinite(x)) return "more than 1e+308";
    std::ostringstream os;
    os.precision(x < 1e6 ? 7 : 3);
    os << x;
    return os.str();
}

}  // namespace

RunEstimate estimate_run(const ConfigSpec& spec) {
    RunEstimate e;
    const double t_stop = spec.simulation.t_stop_ms.value;
    std::map<std::string, PopInfo> pops;
    auto note = [&](double bytes, const std::string& what, const SourceLocation& where) {
        e.memory_bytes += bytes;
        if (bytes > e.largest_bytes) {
            e.largest_bytes = bytes;
            e.largest = what;
            e.largest_where = where;
        }
    };
    for (const PopulationSpec& p : spec.populations) {
        PopInfo info{static_cast<double>(p.size.value), models::find_model(p.model.value), &p};
        pops.emplace(p.name.value, info);
        e.nodes += info.size;
        const double vars = info.model ? static_cast<double>(info.model->variables.size()) : 0.0;
        note(info.size * (kBytesPerNode + kBytesPerVariable * vars),
             "population '" + p.name.value + "' (" + fmt_count(info.size) + " nodes)", p.size.where);
    }
    std::map<std::string, double> synapses;  // per projection name
    for (const ProjectionSpec& p : spec.projections) {
        auto s = pops.find(p.source.value), t = pops.find(p.target.value);
        if (s == pops.end() || t == pops.end()) continue;
        const double n = synapse_count(p, s->second.size, t->second.size, p.source.value == p.target.value,
                                       e.connect_pairs);
        synapses[p.name.value] = n;
        e.synapses += n;
        note(n * kBytesPerSynapse, "projection '" + p.name.value + "' (" + fmt_count(n) + " synapses)",
             p.where);
    }

    const RecordSpecs& rec = spec.record;
    const double dt = rec.interval_ms.value;
    e.samples = dt > 0 && t_stop > 0 ? std::ceil(t_stop / dt) : 0.0;
    double datasets = 0, once = 0;
    for (const TraceSpec& t : rec.traces) {
        auto p = pops.find(t.population.value);
        if (p == pops.end() || !p->second.model) continue;
        const double vars = t.variables ? static_cast<double>(t.variables->size())
                                        : static_cast<double>(p->second.model->variables.size());
        const double nodes = t.nodes ? static_cast<double>(t.nodes->value.size()) : p->second.size;
        datasets += vars;
        e.sampled_values += vars * nodes;
        e.datasets += 2 * vars;  // time, data (node_ids: chunks of their own length)
        once += vars * nodes;
    }
    const auto writes = rule_writes(spec);
    for (const SynapseRecordSpec& s : rec.synapses) {
        auto n = synapses.find(s.projection.value);
        if (n == synapses.end()) continue;
        const double count = s.synapses ? static_cast<double>(s.synapses->value.size()) : n->second;
        once += 3 * count;  // synapse, source and target ids (chunks of their own length)
        auto w = writes.find(s.projection.value);
        const bool d_changes = w != writes.end() && w->second.first;
        const bool w_changes = w != writes.end() && w->second.second;
        // As lower_record: listed variables are sampled; without a list, what a
        // rule may change is sampled and the rest written once.
        const auto listed = [&](const char* var) {
            if (!s.variables) return true;
            for (const auto& v : *s.variables)
                if (v.value == var) return true;
            return false;
        };
        for (auto [var, changes] : {std::pair{"delay", d_changes}, std::pair{"weight", w_changes}}) {
            if (!listed(var)) continue;
            e.datasets += 2;  // time, data
            if (s.variables || changes) {
                datasets += 1;
                e.sampled_values += count;
            } else {
                once += count;
            }
        }
    }
    e.output_bytes = 8.0 * once;
    if (datasets + e.sampled_values > 0) e.output_bytes += e.samples * 8.0 * (datasets + e.sampled_values);

    std::vector<std::string> recorded;
    if (rec.spikes)
        for (const auto& n : *rec.spikes) recorded.push_back(n.value);
    else
        for (const auto& p : spec.populations) recorded.push_back(p.name.value);
    for (const std::string& name : recorded) {
        auto p = pops.find(name);
        if (p == pops.end() || !p->second.model) continue;
        if (p->second.model->is_source)
            e.source_spikes += source_spikes(p->second, t_stop);
        else
            e.neuron_spikes = e.neuron_spikes || p->second.size > 0;
    }
    e.datasets += 2 * static_cast<double>(recorded.size());
    for (const PlasticitySpec& ps : spec.plasticity)
        e.datasets += 6 * static_cast<double>(ps.projections.size());
    e.output_bytes += kBytesPerSpike * e.source_spikes + kBytesPerChunk * e.datasets;
    e.plastic = !spec.plasticity.empty();
    return e;
}

double output_limit_bytes(const ConfigSpec& spec) {
    return (spec.record.max_output_gb ? spec.record.max_output_gb->value : kDefaultOutputGB) * kGB;
}

double memory_limit_bytes(const ConfigSpec& spec) {
    if (spec.simulation.max_memory_gb) return spec.simulation.max_memory_gb->value * kGB;
    return kMemoryFraction * physical_memory_bytes();
}

void check_limits(const ConfigSpec& spec, const RunEstimate& e) {
    const auto& mo = spec.record.max_output_gb;
    const auto& mm = spec.simulation.max_memory_gb;
    for (const auto* key : {&mo, &mm})
        if (*key && !((*key)->value > 0))
            throw sim::UserError(
                std::string(key == &mo ? "[record]: max_output_gb" : "[simulation]: max_memory_gb") +
                    " must be a number > 0 (inf: no limit), got " + fmt_num((*key)->value),
                (*key)->where);
    const double mem_limit = memory_limit_bytes(spec);
    if (!(e.memory_bytes <= mem_limit)) {
        const std::string limit = mm ? "[simulation] max_memory_gb = " + fmt_num(mm->value)
                                     : "the default limit, 80 % of this machine's " +
                                           format_bytes(physical_memory_bytes()) +
                                           " (set [simulation] max_memory_gb)";
        throw sim::UserError("the network needs about " + format_bytes(e.memory_bytes) + " of memory (" +
                                 fmt_count(e.synapses) + " synapses x 48 bytes while built, " +
                                 fmt_count(e.nodes) + " nodes; the largest part: " + e.largest + ", " +
                                 format_bytes(e.largest_bytes) + "), more than " + limit,
                             e.largest_where);
    }
    const double out_limit = output_limit_bytes(spec);
    if (!(e.output_bytes <= out_limit)) {
        const std::string limit = mo ? "[record] max_output_gb = " + fmt_num(mo->value)
                                     : "the default limit of 10 GB (set [record] max_output_gb)";
        std::ostringstream what;
        const std::string bytes = format_bytes(e.output_bytes);
        what << "the run would write " << (std::isfinite(e.output_bytes) ? "about " : "") << bytes << " (";
        if (e.samples > 0 && e.sampled_values > 0)
            what << fmt_count(e.samples) << " samples every " << fmt_num(spec.record.interval_ms.value)
                 << " ms of " << fmt_count(e.sampled_values) << " values";
        if (e.source_spikes > 0)
            what << (e.samples > 0 && e.sampled_values > 0 ? ", " : "") << fmt_count(e.source_spikes)
                 << " spikes of spike sources";
        what << "; not counting spikes of neurons or plasticity events), more than " << limit
             << ": shorten t_stop_ms, raise [record] interval_ms or record fewer traces, synapses or spikes";
        const SourceLocation at = mo ? mo->where
                                     : (spec.simulation.t_stop_ms.where.line ? spec.simulation.t_stop_ms.where
                                                                             : spec.simulation.where);
        throw sim::UserError("[simulation]: " + what.str(), at);
    }
}

std::string format_bytes(double b) {
    if (!std::isfinite(b)) return "more than 1e+300 GB";
    static const char* units[] = {"bytes", "kB", "MB", "GB"};
    int u = 0;
    while (u < 3 && b >= 1000.0) {
        b /= 1000.0;
        ++u;
    }
    std::ostringstream os;
    if (b >= 100 && b < 1e6)
        os << std::fixed << std::setprecision(0);  // "1020 GB", not "1.02e+03 GB"
    else
        os << std::setprecision(3);
    os << b << ' ' << units[u];
    return os.str();
}

std::string describe(const RunEstimate& e) {
    const std::string bytes = format_bytes(e.output_bytes);
    std::string out = "output " + std::string(bytes.rfind("more", 0) == 0 ? "" : "about ") + bytes;
    if (e.neuron_spikes || e.plastic)
        out += std::string(" + ") + (e.neuron_spikes ? "neuron spikes" : "") +
               (e.neuron_spikes && e.plastic ? " and " : "") + (e.plastic ? "plasticity events" : "") +
               " (not bounded)";
    return out + ", memory about " + format_bytes(e.memory_bytes);
}

}  // namespace delaysim::config
