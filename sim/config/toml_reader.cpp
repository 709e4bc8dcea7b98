#include "sim/config/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace delaysim::config {
namespace {

SourceLocation from_region(const toml::source_region& r, const SourceLocation& fallback) {
    if (r.begin.line == 0) return fallback;
    SourceLocation at;
    at.file = r.path ? *r.path : fallback.file;
    at.line = r.begin.line;
    at.column = r.begin.column;
    return at;
}

// "'key'", built by appending: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(std::string_view key) {
    std::string out(1, '\'');
    out.append(key);
    out += '\'';
    return out;
}

std::string join(const std::vector<std::string_view>& names) {
    std::string out;
    for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out.empty() ? "none" : out;
}

}  // namespace

SourceLocation location_of(const toml::node& n, const SourceLocation& fallback) {
    return from_region(n.source(), fallback);
}

SourceLocation location_of(const toml::key& k, const SourceLocation& fallback) {
    return from_region(k.source(), fallback);
}

std::string type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date/time";
    }
}

std::string unit_hint(const std::string& key, const std::string& text) {
    const char* begin = text.c_str();
    char* end = nullptr;
    const double x = std::strtod(begin, &end);
    if (end == begin || !std::isfinite(x)) return "";
    const std::string number(begin, static_cast<std::size_t>(end - begin));
    std::string unit(end);
    unit.erase(0, unit.find_first_not_of(" \t"));
    if (unit.empty()) return "; write the number without quotes: " + key + " = " + number;
    // The key's last segment names its unit (t_stop_ms, rate_hz, I_e_pA).
    const std::string leaf = key.substr(key.find_last_of('.') + 1);
    const auto us = leaf.find_last_of('_');
    std::string suffix = us == std::string::npos ? "" : leaf.substr(us + 1);
    if (suffix == "hz") suffix = "Hz";
    if (suffix == "gb") suffix = "GB";
    return "; units belong in the key's suffix, not in the value" +
           (suffix.empty() ? std::string() : " ('" + leaf + "' is in " + suffix + ")") + ": write " + leaf +
           " = " + number;
}

double as_real(const toml::node& n, const std::string& context, const std::string& what,
               const SourceLocation& fallback) {
    if (auto i = n.as_integer()) return static_cast<double>(i->get());
    if (auto f = n.as_floating_point()) return f->get();
    const auto s = n.as_string();
    throw sim::UserError(context + ": " + quoted(what) + " must be a number, got " + type_name(n) +
                             (s ? unit_hint(what, s->get()) : std::string()),
                         location_of(n, fallback));
}

TableReader::TableReader(const toml::table& table, std::string context, SourceLocation where)
    : table_(table), context_(std::move(context)), where_(std::move(where)) {}

const toml::node* TableReader::get(std::string_view key) {
    return table_.get(key);
}

SourceLocation TableReader::key_location(std::string_view key) const {
    for (auto&& [k, v] : table_)
        if (k.str() == key) return location_of(k, location_of(v, where_));
    return where_;
}

void TableReader::missing(std::string_view key) const {
    throw sim::UserError(context_ + ": required key " + quoted(key) + " is missing", where_);
}

void TableReader::fail(const toml::node& at, const std::string& what) const {
    throw sim::UserError(context_ + ": " + what, location_of(at, where_));
}

std::optional<Located<double>> TableReader::real(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    return Located<double>{as_real(*n, context_, std::string(key), where_), location_of(*n, where_)};
}

std::optional<Located<std::uint64_t>> TableReader::count(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto i = n->as_integer();
    if (!i) fail(*n, quoted(key) + " must be an integer, got " + type_name(*n));
    if (i->get() < 0) fail(*n, quoted(key) + " must be >= 0, got " + std::to_string(i->get()));
    return Located<std::uint64_t>{static_cast<std::uint64_t>(i->get()), location_of(*n, where_)};
}

std::optional<Located<std::string>> TableReader::string(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto s = n->as_string();
    if (!s) fail(*n, quoted(key) + " must be a string, got " + type_name(*n));
    return Located<std::string>{s->get(), location_of(*n, where_)};
}

std::optional<Located<bool>> TableReader::boolean(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto b = n->as_boolean();
    if (!b) fail(*n, quoted(key) + " must be true or false, got " + type_name(*n));
    return Located<bool>{b->get(), location_of(*n, where_)};
}

std::optional<std::vector<Located<std::string>>> TableReader::string_list(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto a = n->as_array();
    if (!a) fail(*n, quoted(key) + " must be a list of strings, got " + type_name(*n));
    std::vector<Located<std::string>> out;
    for (const toml::node& e : *a) {
        auto s = e.as_string();
        if (!s) fail(e, quoted(key) + " must be a list of strings, found " + type_name(e));
        out.push_back({s->get(), location_of(e, location_of(*n, where_))});
    }
    return out;
}

std::optional<Located<std::vector<std::uint64_t>>> TableReader::count_list(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto a = n->as_array();
    if (!a) fail(*n, quoted(key) + " must be a list of integers, got " + type_name(*n));
    Located<std::vector<std::uint64_t>> out{{}, location_of(*n, where_)};
    for (const toml::node& e : *a) {
        auto i = e.as_integer();
        if (!i || i->get() < 0)
            fail(e, quoted(key) + " must be a list of integers >= 0, found " +
                        (i ? std::to_string(i->get()) : type_name(e)));
        out.value.push_back(static_cast<std::uint64_t>(i->get()));
    }
    return out;
}

const toml::table* TableReader::table(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    auto t = n->as_table();
    if (!t) fail(*n, quoted(key) + " must be a table, got " + type_name(*n));
    return t;
}

void TableReader::allow_only(const std::vector<std::string_view>& valid) const {
    for (auto&& [k, v] : table_) {
        if (std::find(valid.begin(), valid.end(), k.str()) != valid.end()) continue;
        throw sim::UserError(
            context_ + ": unknown key " + quoted(k.str()) + " (valid keys: " + join(valid) + ")",
            location_of(k, location_of(v, where_)));
    }
}

}  // namespace delaysim::config
