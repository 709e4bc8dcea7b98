// Strict, located access to one TOML table: allow_only() rejects every key not
// in the schema (before anything else is read, so a typo is reported as such
// rather than as a missing key), and the getters check types.
// Integers are accepted where a float is expected; nothing else converts.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "sim/config/spec.hpp"

namespace delaysim::config {

// Location of a node; `fallback` when the node has none (built by code).
SourceLocation location_of(const toml::node& n, const SourceLocation& fallback);
SourceLocation location_of(const toml::key& k, const SourceLocation& fallback);
// "a string", "an integer", "a table", ...
std::string type_name(const toml::node& n);

class TableReader {
public:
    // `context` prefixes messages, e.g. "[simulation]" or "projection 'sg2_n1'".
    TableReader(const toml::table& table, std::string context, SourceLocation where);

    const std::string& context() const { return context_; }
    void set_context(std::string context) { context_ = std::move(context); }
    const SourceLocation& where() const { return where_; }

    // The node under `key`, or nullptr.
    const toml::node* get(std::string_view key);
    SourceLocation key_location(std::string_view key) const;

    std::optional<Located<double>> real(std::string_view key);
    std::optional<Located<std::uint64_t>> count(std::string_view key);  // integer >= 0
    std::optional<Located<std::string>> string(std::string_view key);
    std::optional<Located<bool>> boolean(std::string_view key);
    std::optional<std::vector<Located<std::string>>> string_list(std::string_view key);
    std::optional<Located<std::vector<std::uint64_t>>> count_list(std::string_view key);
    const toml::table* table(std::string_view key);
    // `key` must be present (checked after the optional getters above).
    template <class T>
    T required(std::optional<T> v, std::string_view key) const {
        if (!v) missing(key);
        return std::move(*v);
    }
    [[noreturn]] void missing(std::string_view key) const;
    [[noreturn]] void fail(const toml::node& at, const std::string& what) const;

    // Throw for the first key not in `valid`, listing the valid ones.
    void allow_only(const std::vector<std::string_view>& valid) const;

private:
    const toml::table& table_;
    std::string context_;
    SourceLocation where_;
};

// For a string given where a number is expected ("20 Hz", "500ms"): a hint that
// units belong in the key's name ("; the unit is part of the key's name ... ");
// empty when `text` does not start with a number.
std::string unit_hint(const std::string& key, const std::string& text);

// Number -> double (integers widen); else UserError with `what` as the key name.
double as_real(const toml::node& n, const std::string& context, const std::string& what,
               const SourceLocation& fallback);

}  // namespace delaysim::config
