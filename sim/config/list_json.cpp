// `delaysim list --json` (list.hpp). Written by hand: the document is small and
// fixed, and every string goes through one escaping function.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/config/list.hpp"
#include "sim/config/plugin.hpp"

namespace delaysim::config {
namespace {

// RFC 8259 string: quote, backslash and control characters escaped; other
// bytes (UTF-8) pass through.
std::string str(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

// Shortest round-trip form; the registries write +-1e300 for "unbounded": null.
std::string num(double x) {
    if (!std::isfinite(x) || std::abs(x) >= 1e299) return "null";
    char buf[32];
    for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (std::strtod(buf, nullptr) == x) break;
    }
    return buf;
}

std::string boolean(bool b) {
    return b ? "true" : "false";
}

const char* kind_name(sim::ParamKind k) {
    switch (k) {
        case sim::ParamKind::Real: return "real";
        case sim::ParamKind::Integer: return "integer";
        case sim::ParamKind::RealList: return "real_list";
    }
    return "real";
}

// Joins items written by `f` as a JSON array.
template <class T, class F>
std::string array(const std::vector<T>& xs, F&& f) {
    std::string out = "[";
    for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + f(xs[i]);
    return out + "]";
}

std::string param(const sim::ParamInfo& p) {
    const bool has_default = !p.required && p.kind != sim::ParamKind::RealList;
    return "{\"name\": " + str(p.name) + ", \"unit\": " + str(p.unit) +
           ", \"kind\": " + str(kind_name(p.kind)) + ", \"default\": " +
           (has_default  ? num(p.default_value)
            : p.required ? "null"
                         : "[]") +
           ", \"required\": " + boolean(p.required) + ", \"min\": " + num(p.min) +
           ", \"max\": " + num(p.max) +
           ", \"min_exclusive\": " + boolean(p.min_exclusive || p.min <= -1e299) +
           ", \"max_exclusive\": " + boolean(p.max >= 1e299) + ", \"range\": " + str(sim::format_range(p)) +
           ", \"doc\": " + str(p.doc) + "}";
}

std::string model(const models::ModelInfo& m) {
    std::string out = "{\"name\": " + str(m.name) + ", \"doc\": " + str(m.doc) +
                      ", \"origin\": " + str(m.origin) + ", \"parameters\": " + array(m.params, param);
    out += ", \"ports\": " + array(m.ports, [](const sim::PortInfo& p) {
               return "{\"name\": " + str(p.name) +
                      ", \"kind\": " + str(p.kind == sim::PortKind::Inhibit ? "inhibit" : "input") +
                      ", \"doc\": " + str(p.doc) + "}";
           });
    out += ", \"variables\": " + array(m.variables, [](const sim::VariableInfo& v) {
               return "{\"name\": " + str(v.name) + ", \"unit\": " + str(v.unit) +
                      ", \"doc\": " + str(v.doc) + "}";
           });
    return out + "}";
}

std::string rule(const plasticity::RuleInfo& r) {
    return "{\"name\": " + str(r.name) + ", \"doc\": " + str(r.doc) + ", \"origin\": " + str(r.origin) +
           ", \"parameters\": " + array(r.params, param) + "}";
}

}  // namespace

void print_list_json(std::ostream& out) {
    std::vector<models::ModelInfo> neurons, sources;
    for (const auto& m : models::model_registry()) (m.is_source ? sources : neurons).push_back(m);
    out << "{\n  \"delaysim_version\": " << str(DELAYSIM_VERSION) << ",\n  \"models\": [\n";
    for (std::size_t i = 0; i < neurons.size(); ++i) out << (i ? ",\n" : "") << "    " << model(neurons[i]);
    out << "\n  ],\n  \"sources\": [\n";
    for (std::size_t i = 0; i < sources.size(); ++i) out << (i ? ",\n" : "") << "    " << model(sources[i]);
    out << "\n  ],\n  \"rules\": [\n";
    const auto& rules = plasticity::rule_registry();
    for (std::size_t i = 0; i < rules.size(); ++i) out << (i ? ",\n" : "") << "    " << rule(rules[i]);
    out << "\n  ],\n  \"plugins\": ";
    out << array(loaded_plugins(), [](const PluginInfo& p) {
        auto names = [](const std::vector<std::string>& v) {
            return array(v, [](const std::string& s) { return str(s); });
        };
        return "{\"path\": " + str(p.path) + ", \"version\": " + str(p.version) +
               ", \"models\": " + names(p.models) + ", \"rules\": " + names(p.rules) + "}";
    });
    out << "\n}\n";
}

}  // namespace delaysim::config
