// Run-time plug-ins: a shared library that registers plasticity rules and/or
// neuron models (spike sources too) into the same registries as the built-ins,
// so that its names are first-class in a model file: parameters validated the
// same way, listed by `delaysim list` with the file they came from, batched and
// recorded like a built-in. Anchors: NEST extension modules, Arbor's
// load_catalogue("x.so").
//
// Writing one (build it with delaysim_add_plugin from find_package(delaysim)):
//
//   #include "sim/config/plugin.hpp"
//   DELAYSIM_PLUGIN(registrar) {
//       registrar.add_rule(MyRule::info());    // plasticity::RuleInfo
//       registrar.add_model(MyModel::info());  // models::ModelInfo
//   }
//
// Loading one: `plugins = ["libX.so"]` in a model file (relative to the file),
// `--plugin PATH` on run/validate/list, or load_plugin below (C++, Python).
// The plug-in exports two C symbols: delaysim_plugin_version (the delaysim
// version it was compiled against, DELAYSIM_VERSION) and
// delaysim_plugin_register. A plug-in of another version is refused: the
// registries hold C++ objects whose layout may differ between versions.
#pragma once
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/error.hpp"

namespace delaysim::config {

// What a plug-in's register function fills in. Nothing reaches the registries
// unless every entry is accepted (names new and well-formed, a make function).
class PluginRegistrar {
public:
    void add_rule(plasticity::RuleInfo info) { rules_.push_back(std::move(info)); }
    void add_model(models::ModelInfo info) { models_.push_back(std::move(info)); }
    std::vector<plasticity::RuleInfo>& rules() { return rules_; }
    std::vector<models::ModelInfo>& models() { return models_; }

private:
    std::vector<plasticity::RuleInfo> rules_;
    std::vector<models::ModelInfo> models_;
};

struct PluginInfo {
    std::string path;     // as loaded (absolute, normalised)
    std::string version;  // the delaysim version it was built against
    std::vector<std::string> models, rules;
};

// Load the plug-in at `path` and register its models and rules. Loading the same
// file again (e.g. from two model files in one process) does nothing. Errors are
// sim::UserError at `where` (the `plugins` entry, or "--plugin"): missing file,
// not a shared library, no entry point, another delaysim version, a name that is
// already registered (built-in or by another plug-in) or given twice.
PluginInfo load_plugin(const std::string& path, const sim::SourceLocation& where = {});

// The checks load_plugin makes before dlopen and after the plug-in's register
// function ran, callable without loading anything (the fuzz harness
// tests/fuzz/fuzz_plugin.cpp). check_plugin_file: the file exists, is regular,
// and starts with the ELF header of a shared library for this machine; returns
// its absolute, normalised path. check_plugin_header: that header test on the
// file's first bytes. check_plugin_entries: every registered name is new,
// well-formed and has a make function. All throw sim::UserError at `where`.
std::string check_plugin_file(const std::string& path, const sim::SourceLocation& where = {});
void check_plugin_header(const std::string& who, const std::string& head,
                         const sim::SourceLocation& where = {});
void check_plugin_entries(PluginRegistrar& r, const std::string& who, const sim::SourceLocation& where = {});

// Every plug-in loaded so far, in load order.
const std::vector<PluginInfo>& loaded_plugins();

}  // namespace delaysim::config

// The version stamp a plug-in carries. A test overrides it to exercise the refusal.
#ifdef DELAYSIM_PLUGIN_VERSION_OVERRIDE
#define DELAYSIM_PLUGIN_STAMP DELAYSIM_PLUGIN_VERSION_OVERRIDE
#else
#define DELAYSIM_PLUGIN_STAMP DELAYSIM_VERSION
#endif

// Defines the plug-in's entry points; the body that follows fills `registrar`.
#define DELAYSIM_PLUGIN(registrar)                                                                     \
    static void delaysim_plugin_body(::delaysim::config::PluginRegistrar& registrar);                  \
    extern "C" __attribute__((visibility("default"))) const char* delaysim_plugin_version() {          \
        return DELAYSIM_PLUGIN_STAMP;                                                                  \
    }                                                                                                  \
    extern "C" __attribute__((visibility("default"))) void delaysim_plugin_register(void* registrar) { \
        delaysim_plugin_body(*static_cast<::delaysim::config::PluginRegistrar*>(registrar));           \
    }                                                                                                  \
    static void delaysim_plugin_body(::delaysim::config::PluginRegistrar& registrar)
