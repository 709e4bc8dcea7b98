#include "sim/param.hpp"

#include <cmath>
#include <sstream>

namespace delaysim::sim {
namespace {

std::string num(double x) {
    if (x >= 1e299) return "inf";
    if (x <= -1e299) return "-inf";
    std::ostringstream os;
    os << x;
    return os.str();
}

// " (ms)" after a value; nothing for a dimensionless one (unit "1").
std::string unit_note(const std::string& unit) {
    return unit.empty() || unit == "1" ? std::string() : " (" + unit + ")";
}

// `node` >= 0: the value of that node (named in the message).
void check_value(const ParamInfo& info, double x, const std::string& owner, const SourceLocation& at,
                 long node = -1) {
    const std::string who = owner + ": parameter '" + info.name + "'" +
                            (node >= 0 ? " of node " + std::to_string(node) : std::string());
    if (!std::isfinite(x)) throw UserError(who + " must be a finite number, got " + num(x), at);
    const bool below = info.min_exclusive ? x <= info.min : x < info.min;
    if (below || x > info.max)
        throw UserError(who + " = " + num(x) + unit_note(info.unit) + " is outside its allowed range " +
                            format_range(info),
                        at);
    if (info.kind == ParamKind::Integer && x != std::floor(x))
        throw UserError(who + " must be an integer, got " + num(x), at);
}

}  // namespace

std::string format_range(const ParamInfo& p) {
    return std::string(p.min_exclusive || p.min <= -1e299 ? "(" : "[") + num(p.min) + ", " + num(p.max) +
           (p.max >= 1e299 ? ")" : "]");
}

Params::Params(const std::vector<ParamInfo>& infos, const ParamValues& given, const std::string& owner,
               std::size_t nodes)
    : where_(given.where), owner_(owner) {
    auto known = [&](const std::string& name) -> const ParamInfo* {
        for (const auto& i : infos)
            if (i.name == name) return &i;
        return nullptr;
    };
    auto unknown = [&](const std::string& name) {
        std::string valid;
        for (const auto& i : infos) valid += (valid.empty() ? "" : ", ") + i.name;
        auto it = given.where.find(name);
        throw UserError(
            owner + ": unknown parameter '" + name + "' (valid: " + (valid.empty() ? "none" : valid) + ")",
            it == given.where.end() ? SourceLocation{} : it->second);
    };
    for (const auto& [name, value] : given.real) {
        const ParamInfo* info = known(name);
        if (!info) unknown(name);
        if (info->kind == ParamKind::RealList)
            throw UserError(owner + ": parameter '" + name + "' must be a list of numbers", where(name));
        check_value(*info, value, owner, where(name));
        real_[name] = value;
    }
    // One value per node: only for a population, and only where the model allows it.
    auto per_node = [&](const ParamInfo& info, const std::vector<double>& values) {
        const std::string who = owner + ": parameter '" + info.name + "'";
        if (!info.per_node) {
            std::string valid;
            for (const auto& i : infos)
                if (i.per_node) valid += (valid.empty() ? "" : ", ") + i.name;
            throw UserError(
                who + " cannot vary per node (per-node parameters: " + (valid.empty() ? "none" : valid) + ")",
                where(info.name));
        }
        if (values.size() != nodes)
            throw UserError(who + " lists " + std::to_string(values.size()) + " values for " +
                                std::to_string(nodes) + " nodes",
                            where(info.name));
        for (std::size_t i = 0; i < values.size(); ++i)
            check_value(info, values[i], owner, where(info.name), static_cast<long>(i));
        per_node_[info.name] = values;
    };
    for (const auto& [name, values] : given.lists) {
        const ParamInfo* info = known(name);
        if (!info) unknown(name);
        if (info->kind != ParamKind::RealList && nodes > 0) {
            per_node(*info, values);
            continue;
        }
        if (info->kind != ParamKind::RealList)
            throw UserError(owner + ": parameter '" + name + "' must be a single number, not a list",
                            where(name));
        for (double x : values) check_value(*info, x, owner, where(name));
        lists_[name] = values;
    }
    for (const auto& [name, values] : given.per_node) {
        const ParamInfo* info = known(name);
        if (!info) unknown(name);
        if (info->kind == ParamKind::RealList)
            throw UserError(
                owner + ": parameter '" + name + "' is a list; it cannot be drawn from a distribution",
                where(name));
        per_node(*info, values);
    }
    for (const auto& info : infos) {
        const bool present = real_.count(info.name) || lists_.count(info.name) || per_node_.count(info.name);
        if (present) continue;
        if (info.required)
            throw UserError(owner + ": required parameter '" + info.name + "'" + unit_note(info.unit) +
                            " is missing");
        if (info.kind == ParamKind::RealList)
            lists_[info.name] = {};
        else
            real_[info.name] = info.default_value;
    }
}

double Params::get(const std::string& name) const {
    auto it = real_.find(name);
    DS_ASSERT(it != real_.end());
    return it->second;
}

double Params::node(const std::string& name, std::size_t i) const {
    auto it = per_node_.find(name);
    if (it == per_node_.end()) return get(name);
    DS_ASSERT(i < it->second.size());
    return it->second[i];
}

std::vector<double> Params::per_node(const std::string& name, std::size_t n) const {
    auto it = per_node_.find(name);
    if (it == per_node_.end()) return std::vector<double>(n, get(name));
    DS_ASSERT(it->second.size() == n);
    return it->second;
}

const std::vector<double>& Params::list(const std::string& name) const {
    auto it = lists_.find(name);
    DS_ASSERT(it != lists_.end());
    return it->second;
}

SourceLocation Params::where(const std::string& name) const {
    auto it = where_.find(name);
    return it == where_.end() ? SourceLocation{} : it->second;
}

}  // namespace delaysim::sim
