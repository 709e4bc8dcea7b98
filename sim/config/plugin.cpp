#include "sim/config/plugin.hpp"

#include <dlfcn.h>
#include <cctype>
#include <filesystem>
#include <set>

namespace delaysim::config {
namespace {

namespace fs = std::filesystem;

std::vector<PluginInfo>& loaded() {
    static std::vector<PluginInfo> plugins;
    return plugins;
}

bool plain_name(const std::string& s) {
    bool ok = !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0]));
    for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    return ok;
}

std::string taken_by(const std::string& origin) {
    return origin == "built-in" ? std::string("built-in") : "registered by plug-in " + origin;
}

// Every entry is checked before any is registered, so a refused plug-in leaves
// the registries as they were.
void check_entries(PluginRegistrar& r, const std::string& who, const sim::SourceLocation& where) {
    std::set<std::string> seen;
    auto check = [&](const std::string& kind, const std::string& name, bool has_make,
                     const std::string* origin) {
        if (!plain_name(name))
            throw sim::UserError(
                who + " registers a " + kind + " named '" + name +
                    "': names consist of letters, digits and '_' and do not start with a digit",
                where);
        if (!has_make)
            throw sim::UserError(who + ": " + kind + " '" + name + "' has no make function", where);
        if (origin)
            throw sim::UserError(
                who + " registers " + kind + " '" + name + "', which is already " + taken_by(*origin), where);
        if (!seen.insert(kind + ":" + name).second)
            throw sim::UserError(who + " registers " + kind + " '" + name + "' twice", where);
    };
    for (const auto& m : r.models()) {
        const models::ModelInfo* old = models::find_model(m.name);
        check("model", m.name, static_cast<bool>(m.make), old ? &old->origin : nullptr);
    }
    for (const auto& rule : r.rules()) {
        const plasticity::RuleInfo* old = plasticity::find_rule(rule.name);
        check("plasticity rule", rule.name, static_cast<bool>(rule.make), old ? &old->origin : nullptr);
    }
}

}  // namespace

const std::vector<PluginInfo>& loaded_plugins() {
    return loaded();
}

PluginInfo load_plugin(const std::string& path, const sim::SourceLocation& where) {
    const std::string who = "plug-in '" + path + "'";
    std::error_code ec;
    if (!fs::exists(path, ec)) throw sim::UserError(who + ": no such file", where);
    if (!fs::is_regular_file(path, ec)) throw sim::UserError(who + " is not a regular file", where);
    const std::string abs = fs::weakly_canonical(fs::absolute(path), ec).string();
    for (const PluginInfo& p : loaded())
        if (p.path == abs) return p;

    // RTLD_NOW: a symbol the plug-in needs but this delaysim lacks is an error
    // here, not a crash in the middle of a run.
    void* handle = ::dlopen(abs.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* e = ::dlerror();
        throw sim::UserError(who + " cannot be loaded as a shared library: " + (e ? e : "unknown reason"),
                             where);
    }
    struct Closer {  // unloads a refused plug-in (nothing of it was registered)
        void* h;
        bool keep = false;
        ~Closer() {
            if (!keep) ::dlclose(h);
        }
    } closer{handle};
    using VersionFn = const char* (*)();
    using RegisterFn = void (*)(void*);
    auto version = reinterpret_cast<VersionFn>(::dlsym(handle, "delaysim_plugin_version"));
    auto reg = reinterpret_cast<RegisterFn>(::dlsym(handle, "delaysim_plugin_register"));
    if (!version || !reg)
        throw sim::UserError(who + " is not a delaysim plug-in: it has no entry point " +
                                 (version ? "delaysim_plugin_register" : "delaysim_plugin_version") +
                                 " (write one with DELAYSIM_PLUGIN, sim/config/plugin.hpp; build it with "
                                 "delaysim_add_plugin)",
                             where);
    PluginInfo info;
    info.path = abs;
    info.version = version();
    if (info.version != DELAYSIM_VERSION)
        throw sim::UserError(who + " was built against delaysim " + info.version + ", but this is delaysim " +
                                 DELAYSIM_VERSION + ": rebuild it against delaysim " + DELAYSIM_VERSION,
                             where);
    {
        PluginRegistrar r;  // destroyed before a refused plug-in is unloaded (it holds its code)
        try {
            reg(&r);
        } catch (const std::exception& e) {
            throw sim::UserError(who + " failed while registering: " + e.what(), where);
        } catch (...) {
            throw sim::UserError(who + " failed while registering (unknown exception)", where);
        }
        check_entries(r, who, where);
        for (auto& m : r.models()) {
            m.origin = abs;
            info.models.push_back(m.name);
            models::register_model(std::move(m));
        }
        for (auto& rule : r.rules()) {
            rule.origin = abs;
            info.rules.push_back(rule.name);
            plasticity::register_rule(std::move(rule));
        }
    }
    closer.keep = true;  // its functions are in the registries now: never unloaded
    loaded().push_back(std::move(info));
    return loaded().back();
}

}  // namespace delaysim::config
