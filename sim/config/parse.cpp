#include "sim/config/parse.hpp"

#include <cstdio>

#include "sim/config/node_values.hpp"
#include "sim/config/toml_reader.hpp"

namespace delaysim::config {
namespace {

// The array-of-tables `key` ([[population]] ...), or empty.
std::vector<const toml::table*> table_array(TableReader& r, std::string_view key) {
    const toml::node* n = r.get(key);
    if (!n) return {};
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables())
        r.fail(*n, "'" + std::string(key) + "' must be an array of tables, written [[" + std::string(key) +
                       "]], got " + type_name(*n));
    std::vector<const toml::table*> out;
    for (const toml::node& e : *a) out.push_back(e.as_table());
    return out;
}

SimulationSpec parse_simulation(TableReader& r) {
    SimulationSpec s;
    r.allow_only(
        {"t_stop_ms", "seed", "output", "inflight", "batching", "superposition", "max_memory_gb", "threads"});
    s.where = r.where();
    s.t_stop_ms = r.required(r.real("t_stop_ms"), "t_stop_ms");
    if (auto v = r.count("seed")) s.seed = *v;
    s.output = r.string("output");
    if (auto v = r.string("inflight")) s.inflight = *v;
    if (auto v = r.boolean("batching")) s.batching = v->value;
    if (auto v = r.boolean("superposition")) s.superposition = v->value;
    s.max_memory_gb = r.real("max_memory_gb");
    if (auto v = r.count("threads")) {
        if (v->value > kMaxThreads)
            throw sim::UserError("[simulation]: threads must be at most " + std::to_string(kMaxThreads) +
                                     " (0: every core), got " + std::to_string(v->value),
                                 v->where);
        s.threads = static_cast<unsigned>(v->value);
    }
    return s;
}

// A parameter table: numbers and lists of numbers; names are checked by sim::Params.
// `skip_tables`: distribution tables are read elsewhere (parse_population_params).
sim::ParamValues parse_params(const toml::table& t, const TableReader& owner, const std::string& what,
                              bool skip_tables = false) {
    sim::ParamValues out;
    for (auto&& [k, v] : t) {
        if (skip_tables && v.is_table()) continue;
        const std::string name(k.str());
        const SourceLocation at = location_of(v, location_of(k, owner.where()));
        out.where[name] = at;
        if (const toml::array* a = v.as_array()) {
            std::vector<double> xs;
            for (const toml::node& e : *a) xs.push_back(as_real(e, owner.context(), what + "." + name, at));
            out.lists[name] = std::move(xs);
        } else if (v.is_number()) {
            out.real[name] = as_real(v, owner.context(), what + "." + name, at);
        } else {
            const auto str = v.as_string();
            owner.fail(v, "parameter '" + name + "' must be a number or a list of numbers, got " +
                              type_name(v) + (str ? unit_hint(name, str->get()) : std::string()));
        }
    }
    return out;
}

// A population's params: distribution tables become param_draws, the rest is
// read by parse_params.
void parse_population_params(const toml::table& t, TableReader& r, PopulationSpec& p) {
    sim::ParamValues values = parse_params(t, r, "params", true);
    for (auto&& [k, v] : t) {
        const toml::table* dist = v.as_table();
        if (!dist) continue;
        const std::string name(k.str());
        const SourceLocation at = location_of(v, location_of(k, r.where()));
        p.param_draws.push_back(parse_node_draw(*dist, name, r.context() + ": params", at));
        values.where[name] = at;
    }
    p.params = std::move(values);
}

PopulationSpec parse_population(TableReader& r) {
    r.allow_only({"name", "model", "size", "params", "initial", "rank"});
    PopulationSpec p;
    p.where = r.where();
    p.name = r.required(r.string("name"), "name");
    r.set_context("population '" + p.name.value + "'");
    p.model = r.required(r.string("model"), "model");
    if (const toml::node* n = r.get("size")) {  // -3 and 0 get the same message
        const auto i = n->as_integer();
        if (!i) r.fail(*n, "'size' must be an integer, got " + type_name(*n));
        if (i->get() < 1) r.fail(*n, "'size' must be an integer >= 1, got " + std::to_string(i->get()));
        p.size = {static_cast<std::uint64_t>(i->get()), location_of(*n, r.where())};
    }
    if (const toml::table* t = r.table("params")) {
        parse_population_params(*t, r, p);
        p.params_where = r.key_location("params");
    }
    if (auto v = r.count("rank")) {
        if (v->value > kMaxRank)
            throw sim::UserError(r.context() + ": rank must be at most " + std::to_string(kMaxRank) +
                                     ", got " + std::to_string(v->value),
                                 v->where);
        p.rank = *v;
    }
    if (const toml::table* t = r.table("initial")) {
        for (auto&& [k, v] : *t) {
            InitialSpec init;
            init.variable = std::string(k.str());
            init.where = location_of(v, location_of(k, r.where()));
            if (const toml::table* dist = v.as_table()) {
                init.per_node = true;
                init.draw = parse_node_draw(*dist, init.variable, r.context() + ": initial", init.where);
            } else if (const toml::array* a = v.as_array()) {
                init.per_node = true;
                for (const toml::node& e : *a)
                    init.values.push_back(as_real(e, r.context(), "initial." + init.variable, init.where));
            } else {
                init.values.push_back(as_real(v, r.context(), "initial." + init.variable, init.where));
            }
            p.initial.push_back(std::move(init));
        }
    }
    return p;
}

SynValueSpec parse_syn_value(const toml::node& n, TableReader& r, const std::string& key) {
    SynValueSpec v;
    v.where = location_of(n, r.where());
    if (n.is_number()) {
        v.value = as_real(n, r.context(), key, r.where());
    } else if (const toml::array* a = n.as_array()) {
        v.kind = SynValueSpec::Kind::List;
        for (const toml::node& e : *a) v.list.push_back(as_real(e, r.context(), key, v.where));
    } else if (const toml::table* t = n.as_table()) {
        TableReader d(*t, r.context() + ": " + key, v.where);
        const auto dist = d.required(d.string("dist"), "dist");
        const bool normal = dist.value == "normal";
        if (!normal && dist.value != "uniform")
            throw sim::UserError(
                d.context() + ": unknown distribution '" + dist.value + "' (valid: uniform, normal)",
                dist.where);
        d.allow_only(normal ? std::vector<std::string_view>{"dist", "mean", "sd"}
                            : std::vector<std::string_view>{"dist", "low", "high"});
        v.kind = normal ? SynValueSpec::Kind::Normal : SynValueSpec::Kind::Uniform;
        v.a = d.required(d.real(normal ? "mean" : "low"), normal ? "mean" : "low").value;
        v.b = d.required(d.real(normal ? "sd" : "high"), normal ? "sd" : "high").value;
    } else {
        r.fail(n, "'" + key + "' must be a number, a list of numbers or a distribution table, got " +
                      type_name(n));
    }
    return v;
}

ProjectionSpec parse_projection(TableReader& r) {
    r.allow_only({"name", "source", "target", "port", "connect", "pairs", "probability", "indegree",
                  "connect_seed", "autapses", "weight", "delay_ms", "delay_min_ms", "delay_max_ms", "bounds",
                  "inflight"});
    ProjectionSpec p;
    p.where = r.where();
    p.name = r.required(r.string("name"), "name");
    r.set_context("projection '" + p.name.value + "'");
    p.source = r.required(r.string("source"), "source");
    p.target = r.required(r.string("target"), "target");
    p.port = r.required(r.string("port"), "port");
    if (auto v = r.string("connect")) p.connect = *v;
    if (const toml::node* n = r.get("pairs")) {
        p.pairs_where = location_of(*n, r.where());
        const toml::array* a = n->as_array();
        if (!a) r.fail(*n, "'pairs' must be a list of [source, target] pairs, got " + type_name(*n));
        for (const toml::node& e : *a) {
            const toml::array* pair = e.as_array();
            const bool ok = pair && pair->size() == 2 && pair->get(0)->is_integer() &&
                            pair->get(1)->is_integer() && pair->get(0)->as_integer()->get() >= 0 &&
                            pair->get(1)->as_integer()->get() >= 0;
            if (!ok) r.fail(e, "each entry of 'pairs' must be [source_node, target_node] with integers >= 0");
            p.pairs.emplace_back(static_cast<std::uint64_t>(pair->get(0)->as_integer()->get()),
                                 static_cast<std::uint64_t>(pair->get(1)->as_integer()->get()));
        }
    }
    p.probability = r.real("probability");
    p.indegree = r.count("indegree");
    p.connect_seed = r.count("connect_seed");
    if (auto v = r.boolean("autapses")) p.autapses = *v;
    if (const toml::node* n = r.get("weight")) p.weight = parse_syn_value(*n, r, "weight");
    const toml::node* d = r.get("delay_ms");
    if (!d) r.missing("delay_ms");
    p.delay = parse_syn_value(*d, r, "delay_ms");
    if (auto v = r.real("delay_min_ms")) p.delay_min_ms = *v;
    if (auto v = r.real("delay_max_ms")) p.delay_max_ms = *v;
    if (auto v = r.string("bounds")) p.bounds = *v;
    p.inflight = r.string("inflight");
    return p;
}

PlasticitySpec parse_plasticity(TableReader& r) {
    r.allow_only({"rule", "projections", "params"});
    PlasticitySpec p;
    p.where = r.where();
    p.rule = r.required(r.string("rule"), "rule");
    p.projections = r.required(r.string_list("projections"), "projections");
    if (const toml::table* t = r.table("params")) p.params = parse_params(*t, r, "params");
    return p;
}

// [record] spikes: a list of population names and/or subset tables, or one table.
void parse_record_spikes(TableReader& r, RecordSpecs& rec) {
    const toml::node* n = r.get("spikes");
    if (!n) return;
    auto subset = [&](const toml::table& t, const SourceLocation& at) {
        TableReader sr(t, "[record] spikes", at);
        sr.allow_only({"population", "nodes", "first"});
        SpikeSubsetSpec s;
        s.where = at;
        s.population = sr.required(sr.string("population"), "population");
        s.nodes = sr.count_list("nodes");
        s.first = sr.count("first");
        if (s.nodes && s.first)
            throw sim::UserError("[record] spikes: give 'nodes' or 'first', not both", s.first->where);
        if (!s.nodes && !s.first) sr.missing("nodes' or 'first");
        rec.spikes->push_back(s.population);
        rec.spike_subsets.push_back(std::move(s));
    };
    rec.spikes.emplace();
    if (const toml::table* t = n->as_table()) {
        subset(*t, location_of(*n, r.where()));
        return;
    }
    const toml::array* a = n->as_array();
    if (!a)
        r.fail(*n, "'spikes' must be a list of population names or { population, nodes } tables, got " +
                       type_name(*n));
    for (const toml::node& e : *a) {
        const SourceLocation at = location_of(e, location_of(*n, r.where()));
        if (const toml::table* t = e.as_table())
            subset(*t, at);
        else if (const auto* name = e.as_string())
            rec.spikes->push_back({name->get(), at});
        else
            r.fail(e, "'spikes' entries must be population names or { population, nodes } tables, found " +
                          type_name(e));
    }
}

RecordSpecs parse_record(TableReader& r) {
    r.allow_only({"interval_ms", "spikes", "traces", "synapses", "max_output_gb", "flush_interval_s"});
    RecordSpecs rec;
    if (auto v = r.real("interval_ms")) rec.interval_ms = *v;
    rec.max_output_gb = r.real("max_output_gb");
    if (auto v = r.real("flush_interval_s")) rec.flush_interval_s = *v;
    parse_record_spikes(r, rec);
    for (const toml::table* t : table_array(r, "traces")) {
        const auto* pop = t->get_as<std::string>("population");
        TableReader tr(*t,
                       pop ? "[[record.traces]] of population '" + pop->get() + "'"
                           : "[[record.traces]] at index " + std::to_string(rec.traces.size()),
                       location_of(*t, r.where()));
        tr.allow_only({"population", "variables", "nodes"});
        TraceSpec s;
        s.where = tr.where();
        s.population = tr.required(tr.string("population"), "population");
        s.variables = tr.string_list("variables");
        s.nodes = tr.count_list("nodes");
        rec.traces.push_back(std::move(s));
    }
    for (const toml::table* t : table_array(r, "synapses")) {
        const auto* proj = t->get_as<std::string>("projection");
        TableReader sr(*t,
                       proj ? "[[record.synapses]] of projection '" + proj->get() + "'"
                            : "[[record.synapses]] at index " + std::to_string(rec.synapses.size()),
                       location_of(*t, r.where()));
        sr.allow_only({"projection", "variables", "synapses", "mode"});
        SynapseRecordSpec s;
        s.where = sr.where();
        s.projection = sr.required(sr.string("projection"), "projection");
        s.variables = sr.string_list("variables");
        s.synapses = sr.count_list("synapses");
        s.mode = sr.string("mode");
        rec.synapses.push_back(std::move(s));
    }
    return rec;
}

// An expression value: a string as written, or a number as its exact text.
Located<std::string> parse_expr(const toml::node& n, const TableReader& r, const std::string& key) {
    Located<std::string> out;
    out.where = location_of(n, r.where());
    if (const auto* s = n.as_string()) {
        out.value = s->get();
    } else if (n.is_number()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", as_real(n, r.context(), key, out.where));
        out.value = buf;
    } else {
        r.fail(n, "'" + key + "' must be a number or an expression string, got " + type_name(n));
    }
    return out;
}

// { variable = expression, ... } (port jumps, reset), in name order.
std::vector<ModelAssignSpec> parse_assignments(const toml::table& t, const TableReader& r,
                                               const std::string& key) {
    std::vector<ModelAssignSpec> out;
    for (auto&& [k, v] : t) {
        ModelAssignSpec a;
        a.variable = {std::string(k.str()), location_of(k, r.where())};
        a.expr = parse_expr(v, r, key + "." + a.variable.value);
        out.push_back(std::move(a));
    }
    return out;
}

ModelDeclSpec parse_model(TableReader& r) {
    r.allow_only({"name", "doc", "variables", "params", "equations", "ports", "threshold", "reset",
                  "refractory_ms", "clamp"});
    ModelDeclSpec m;
    m.where = r.where();
    m.name = r.required(r.string("name"), "name");
    r.set_context("model '" + m.name.value + "'");
    if (auto v = r.string("doc")) m.doc = v->value;
    const toml::node* vars = r.get("variables");
    if (!vars) r.missing("variables");
    const toml::array* va = vars->as_array();
    if (!va || !va->is_array_of_tables())
        r.fail(*vars, "'variables' must be a list of tables such as { name = \"V_m\", unit = \"mV\" }, got " +
                          type_name(*vars));
    for (const toml::node& e : *va) {
        TableReader vr(*e.as_table(), r.context() + ": variables", location_of(e, r.where()));
        vr.allow_only({"name", "unit", "initial", "doc"});
        ModelVariableSpec v;
        v.name = vr.required(vr.string("name"), "name");
        if (auto u = vr.string("unit")) v.unit = u->value;
        if (auto d = vr.string("doc")) v.doc = d->value;
        if (const toml::node* init = vr.get("initial")) v.initial = parse_expr(*init, vr, "initial");
        m.variables.push_back(std::move(v));
    }
    if (const toml::table* t = r.table("params")) {
        for (auto&& [k, v] : *t) {
            const SourceLocation at = location_of(v, location_of(k, r.where()));
            if (!v.is_number())
                r.fail(v, "parameter '" + std::string(k.str()) + "' must be a number (its default)");
            m.params.push_back({{std::string(k.str()), location_of(k, r.where())},
                                {as_real(v, r.context(), "params." + std::string(k.str()), at), at}});
        }
    }
    m.equations = r.required(r.string_list("equations"), "equations");
    m.equations_where = r.key_location("equations");
    if (const toml::table* t = r.table("ports")) {
        for (auto&& [k, v] : *t) {
            ModelPortSpec port;
            port.name = {std::string(k.str()), location_of(k, r.where())};
            const toml::table* jt = v.as_table();
            if (!jt)
                r.fail(v, "port '" + port.name.value +
                              "' must be a table { variable = jump per unit weight }, got " + type_name(v));
            port.jumps = parse_assignments(*jt, r, "ports." + port.name.value);
            m.ports.push_back(std::move(port));
        }
    }
    m.threshold = r.required(r.string("threshold"), "threshold");
    if (const toml::table* t = r.table("reset")) m.reset = parse_assignments(*t, r, "reset");
    if (const toml::node* n = r.get("refractory_ms")) m.refractory_ms = parse_expr(*n, r, "refractory_ms");
    if (auto v = r.string_list("clamp")) m.clamp = *v;
    return m;
}

}  // namespace

// "population 'N'" when the entry has a name, else "[[population]] at index 2"
// (0-based, the index --set population.2.... takes).
std::string entry_context(const toml::table& t, const char* section, const char* what, std::size_t index) {
    if (const auto* name = t.get_as<std::string>("name")) return std::string(what) + " '" + name->get() + "'";
    return "[[" + std::string(section) + "]] at index " + std::to_string(index);
}

ConfigSpec parse_config(const toml::table& root, const std::string& file) {
    ConfigSpec spec;
    spec.file = file;
    const SourceLocation top{file, 1, 1};
    TableReader r(root, "config", top);
    r.allow_only({"simulation", "record", "population", "projection", "plasticity", "plugins", "model"});
    if (auto v = r.string_list("plugins")) spec.plugins = std::move(*v);
    const toml::table* sim = r.table("simulation");
    if (!sim) throw sim::UserError("missing required section [simulation] (with at least t_stop_ms)", top);
    TableReader sr(*sim, "[simulation]", location_of(*sim, r.key_location("simulation")));
    spec.simulation = parse_simulation(sr);
    if (const toml::table* rec = r.table("record")) {
        TableReader rr(*rec, "[record]", location_of(*rec, r.key_location("record")));
        spec.record = parse_record(rr);
    }
    const auto pops = table_array(r, "population");
    if (pops.empty()) throw sim::UserError("missing required section [[population]] (at least one)", top);
    for (std::size_t i = 0; i < pops.size(); ++i) {
        TableReader pr(*pops[i], entry_context(*pops[i], "population", "population", i),
                       location_of(*pops[i], top));
        spec.populations.push_back(parse_population(pr));
    }
    for (const toml::table* t : table_array(r, "projection")) {
        TableReader pr(*t, entry_context(*t, "projection", "projection", spec.projections.size()),
                       location_of(*t, top));
        spec.projections.push_back(parse_projection(pr));
    }
    for (const toml::table* t : table_array(r, "plasticity")) {
        const std::size_t i = spec.plasticity.size();
        const auto* rule = t->get_as<std::string>("rule");
        TableReader pr(
            *t,
            rule ? "plasticity rule '" + rule->get() + "' ([[plasticity]] at index " + std::to_string(i) + ")"
                 : "[[plasticity]] at index " + std::to_string(i),
            location_of(*t, top));
        spec.plasticity.push_back(parse_plasticity(pr));
    }
    for (const toml::table* t : table_array(r, "model")) {
        TableReader mr(*t, "[[model]] #" + std::to_string(spec.models.size() + 1), location_of(*t, top));
        spec.models.push_back(parse_model(mr));
    }
    return spec;
}

}  // namespace delaysim::config
