#include "sim/config/plugin.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
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

}  // namespace

// Every entry is checked before any is registered, so a refused plug-in leaves
// the registries as they were.
void check_plugin_entries(PluginRegistrar& r, const std::string& who, const sim::SourceLocation& where) {
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

// What dlopen would refuse anyway, said in words before it is called (and
// without handing it a file that is no library at all).
void check_plugin_header(const std::string& who, const std::string& head, const sim::SourceLocation& where) {
    const std::string refused = who + " cannot be loaded as a shared library: ";
    if (head.size() < sizeof(Elf64_Ehdr) || std::memcmp(head.data(), ELFMAG, SELFMAG) != 0)
        throw sim::UserError(refused + "it is not an ELF file", where);
    Elf64_Ehdr h;
    std::memcpy(&h, head.data(), sizeof h);
    if (h.e_ident[EI_CLASS] != (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32))
        throw sim::UserError(refused + "it is an ELF file of another word size", where);
    const std::uint16_t one = 1;
    const bool little = *reinterpret_cast<const unsigned char*>(&one) == 1;
    if (h.e_ident[EI_DATA] != (little ? ELFDATA2LSB : ELFDATA2MSB))
        throw sim::UserError(refused + "it is an ELF file of another byte order", where);
    if (h.e_type != ET_DYN)
        throw sim::UserError(refused + "it is an ELF " +
                                 (h.e_type == ET_EXEC  ? "executable"
                                  : h.e_type == ET_REL ? "object file"
                                                       : "file") +
                                 ", not a shared library (build it with delaysim_add_plugin)",
                             where);
#if defined(__x86_64__)
    constexpr std::uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
    constexpr std::uint16_t kMachine = EM_AARCH64;
#else
    constexpr std::uint16_t kMachine = 0;
#endif
    if (kMachine != 0 && h.e_machine != kMachine)
        throw sim::UserError(
            refused + "it is built for another processor (ELF machine " + std::to_string(h.e_machine) + ")",
            where);
}

std::string check_plugin_file(const std::string& path, const sim::SourceLocation& where) {
    const std::string who = "plug-in '" + path + "'";
    std::error_code ec;
    if (!fs::exists(path, ec)) throw sim::UserError(who + ": no such file", where);
    if (!fs::is_regular_file(path, ec)) throw sim::UserError(who + " is not a regular file", where);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw sim::UserError(who + " cannot be read", where);
    std::string head(sizeof(Elf64_Ehdr), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    check_plugin_header(who, head, where);
    return fs::weakly_canonical(fs::absolute(path), ec).string();
}

const std::vector<PluginInfo>& loaded_plugins() {
    return loaded();
}

PluginInfo load_plugin(const std::string& path, const sim::SourceLocation& where) {
    const std::string who = "plug-in '" + path + "'";
    const std::string abs = check_plugin_file(path, where);
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
        check_plugin_entries(r, who, where);
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
