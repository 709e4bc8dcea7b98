#include "sim/config/list.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/config/lower_util.hpp"

namespace delaysim::config {
namespace {

using Row = std::vector<std::string>;

// Columns padded to their widest cell; the last column is not padded.
void print_table(std::ostream& out, const std::vector<Row>& rows, const std::string& indent) {
    std::vector<std::size_t> width;
    for (const Row& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], r[c].size());
        }
    for (const Row& r : rows) {
        std::string line = indent;
        for (std::size_t c = 0; c < r.size(); ++c)
            line += c + 1 < r.size() ? r[c] + std::string(width[c] - r[c].size() + 2, ' ') : r[c];
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

void print_params(std::ostream& out, const std::vector<sim::ParamInfo>& params) {
    if (params.empty()) {
        out << "    parameters: none\n";
        return;
    }
    out << "    parameters:\n";
    std::vector<Row> rows{{"name", "unit", "default", "range", "doc"}};
    for (const auto& p : params) {
        std::string def = p.required                           ? "required"
                          : p.kind == sim::ParamKind::RealList ? "[]"
                                                               : fmt_num(p.default_value);
        std::string range = sim::format_range(p);
        if (p.kind == sim::ParamKind::RealList) range = "list, each in " + range;
        if (p.kind == sim::ParamKind::Integer) range = "integer in " + range;
        rows.push_back({p.name, p.unit, def, range, p.doc});
    }
    print_table(out, rows, "      ");
}

std::string from(const std::string& origin) {
    return origin == "built-in" ? "" : " [plug-in " + origin + "]";
}

void print_model(std::ostream& out, const models::ModelInfo& m) {
    out << "  " << m.name << " - " << m.doc << from(m.origin) << '\n';
    print_params(out, m.params);
    if (!m.is_source) {
        out << "    ports:\n";
        std::vector<Row> rows;
        for (const auto& p : m.ports)
            rows.push_back({p.name, p.kind == sim::PortKind::Inhibit ? "inhibit" : "input", p.doc});
        print_table(out, rows, "      ");
        out << "    variables:\n";
        rows.clear();
        for (const auto& v : m.variables) rows.push_back({v.name, v.unit, v.doc});
        print_table(out, rows, "      ");
    }
}

}  // namespace

void print_list(std::ostream& out) {
    out << "Neuron models (model = \"...\" in [[population]]):\n";
    for (const auto& m : models::model_registry())
        if (!m.is_source) print_model(out, m);
    out << "\nSpike sources (model = \"...\" in [[population]]):\n";
    for (const auto& m : models::model_registry())
        if (m.is_source) print_model(out, m);
    out << "\nPlasticity rules (rule = \"...\" in [[plasticity]]):\n";
    if (plasticity::rule_registry().empty()) out << "  none yet\n";
    for (const auto& r : plasticity::rule_registry()) {
        out << "  " << r.name << " - " << r.doc << from(r.origin) << '\n';
        print_params(out, r.params);
    }
    out << "\nConnectivity (connect = \"...\" in [[projection]]): all_to_all, one_to_one, pairs,\n"
           "  fixed_probability, fixed_indegree. Weights and delays: a number, a list (one per\n"
           "  synapse) or { dist = \"uniform\", low, high } / { dist = \"normal\", mean, sd }.\n"
           "  Full schema: configs/README.md\n";
}

}  // namespace delaysim::config
