#include "sim/config/overrides.hpp"

#include <memory>

#include "sim/config/toml_reader.hpp"
#include "sim/error.hpp"

namespace delaysim::config {
namespace {

using sim::SourceLocation;
using sim::UserError;

struct Segment {
    std::string name;
    std::uint32_t column;  // 1-based, in the option text
};

class Override {
public:
    explicit Override(const std::string& text)
        : text_(text), file_("--set " + text), path_ptr_(std::make_shared<const std::string>(file_)) {}

    void apply(toml::table& root) {
        const auto eq = text_.find('=');
        if (eq == std::string::npos || eq == 0)
            fail(1, "expected key.path=value, e.g. --set simulation.t_stop_ms=100");
        split(eq);
        toml::node* value = parse_value(eq);
        place(root, *value);
    }

private:
    [[noreturn]] void fail(std::uint32_t column, const std::string& what) const {
        throw UserError("--set: " + what, SourceLocation{file_, 1, column});
    }

    void split(std::size_t eq) {
        std::size_t start = 0;
        while (start <= eq) {
            std::size_t end = text_.find('.', start);
            if (end == std::string::npos || end > eq) end = eq;
            const std::string seg = text_.substr(start, end - start);
            if (seg.empty()) fail(static_cast<std::uint32_t>(start + 1), "empty segment in key path");
            segments_.push_back({seg, static_cast<std::uint32_t>(start + 1)});
            start = end + 1;
        }
    }

    // Parse "<key>=value" with the key replaced by a same-length bare key, so
    // that node columns are columns in the option text.
    toml::node* parse_value(std::size_t eq) {
        const std::string key(eq, 'k');
        const std::string raw = text_.substr(eq + 1);
        try {
            doc_ = toml::parse(key + "=" + raw, file_);
        } catch (const toml::parse_error& e) {
            if (!bare_word(raw)) {
                const std::string hint = unit_hint(text_.substr(0, eq), raw);
                fail(e.source().begin.column,
                     "invalid value '" + raw +
                         "': " + (hint.empty() ? std::string(e.description()) : hint.substr(2)));
            }
            std::string quoted;
            for (char c : raw) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
            try {  // a bare word with characters a TOML string cannot hold (control characters)
                doc_ = toml::parse(key + "=\"" + quoted + "\"", file_);
            } catch (const toml::parse_error& e2) {
                fail(static_cast<std::uint32_t>(eq + 2), "invalid value: " + std::string(e2.description()));
            }
        }
        return doc_.get(key);
    }

    static bool bare_word(const std::string& s) {
        if (s.empty()) return false;
        for (char c : s)
            if (c == '"' || c == '\'' || c == '[' || c == '{' || c == '=' || c == '#' || c == '\n')
                return false;
        return !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '+' || s[0] == '-' || s[0] == '.');
    }

    toml::key located_key(const Segment& s) const {
        toml::source_region r;
        r.begin = {1, s.column};
        r.end = {1, static_cast<std::uint32_t>(s.column + s.name.size())};
        r.path = path_ptr_;
        return toml::key(s.name, std::move(r));
    }

    std::string prefix(std::size_t upto) const {
        std::string out;
        for (std::size_t i = 0; i <= upto; ++i) out += (i ? "." : "") + segments_[i].name;
        return out;
    }

    // Index of an entry of an array of tables, by name (or index).
    std::size_t find_entry(toml::array& a, std::size_t i) const {
        const Segment& s = segments_[i];
        std::string names;
        for (std::size_t n = 0; n < a.size(); ++n) {
            const toml::table* t = a.get(n)->as_table();
            if (!t) continue;
            for (const char* k : {"name", "population", "projection", "rule"}) {
                const auto* v = t->get_as<std::string>(k);
                if (!v) continue;
                if (v->get() == s.name) return n;
                names += (names.empty() ? "" : ", ") + v->get();
                break;
            }
        }
        bool digits = !s.name.empty();
        for (char c : s.name) digits = digits && std::isdigit(static_cast<unsigned char>(c));
        if (digits && s.name.size() < 10 && std::stoull(s.name) < a.size()) return std::stoull(s.name);
        fail(s.column, "'" + prefix(i - 1) + "' has no entry named '" + s.name +
                           "' (valid: " + (names.empty() ? "none" : names) + ", or an index from 0)");
    }

    void place(toml::table& root, toml::node& value) {
        toml::node* at = &root;
        for (std::size_t i = 0; i < segments_.size(); ++i) {
            const Segment& s = segments_[i];
            const bool last = i + 1 == segments_.size();
            if (toml::table* t = at->as_table()) {
                if (last) {
                    value.visit([&](auto&& v) { t->insert_or_assign(located_key(s), std::move(v)); });
                    return;
                }
                if (!t->contains(s.name)) t->insert(located_key(s), toml::table{});
                at = t->get(s.name);
            } else if (toml::array* a = at->as_array(); a && a->is_array_of_tables()) {
                const std::size_t entry = find_entry(*a, i);
                if (last) {
                    value.visit(
                        [&](auto&& v) { a->replace(a->cbegin() + static_cast<long>(entry), std::move(v)); });
                    return;
                }
                at = a->get(entry);
            } else {
                fail(s.column, "'" + prefix(i - 1) + "' is " + type_name(*at) +
                                   ", not a table: cannot set '" + s.name + "' in it");
            }
        }
    }

    std::string text_, file_;
    std::shared_ptr<const std::string> path_ptr_;
    std::vector<Segment> segments_;
    toml::table doc_;
};

}  // namespace

void apply_overrides(toml::table& root, const std::vector<std::string>& sets) {
    for (const std::string& s : sets) Override(s).apply(root);
}

}  // namespace delaysim::config
