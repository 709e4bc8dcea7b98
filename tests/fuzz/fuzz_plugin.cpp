// libFuzzer harness: what delaysim checks of a plug-in without loading it
// (sim/config/plugin.hpp; tests/fuzz/README.md). dlopen is never called: a
// fuzzed shared object would run its own code. Input: one mode byte, then
//   0  the first bytes of a file: the ELF header check (check_plugin_header)
//   1  the same bytes written to a file: the file checks (check_plugin_file)
//   2  one entry per line, "m NAME" / "r NAME" (a model / rule with a make
//      function), "M NAME" / "R NAME" (without): what a register function
//      filled in, checked as load_plugin checks it (check_plugin_entries)
//   3  a model file: its `plugins` list parsed and each entry resolved against
//      the model file's directory and checked as a file (nothing loaded)
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "sim/config/parse.hpp"
#include "sim/config/plugin.hpp"
#include "sim/error.hpp"

namespace {

using namespace delaysim;

void entries(const std::string& text) {
    config::PluginRegistrar r;
    std::istringstream in(text);
    std::string line;
    for (int k = 0; k < 64 && std::getline(in, line); ++k) {
        if (line.size() < 2) continue;
        const std::string name = line.substr(2);
        const char kind = line[0];
        if (kind == 'm' || kind == 'M') {
            models::ModelInfo m;
            m.name = name;
            if (kind == 'm')
                m.make = [](const std::string&, sim::Index, const sim::Params&, std::uint64_t) {
                    return std::unique_ptr<sim::Population>();
                };
            r.add_model(std::move(m));
        } else if (kind == 'r' || kind == 'R') {
            plasticity::RuleInfo info;
            info.name = name;
            if (kind == 'r')
                info.make = [](const sim::Params&) { return std::unique_ptr<plasticity::Rule>(); };
            r.add_rule(std::move(info));
        }
    }
    config::check_plugin_entries(r, "plug-in 'fuzz.so'", {"fuzz.toml", 1, 1});
}

void model_file(const std::string& text) {
    toml::table root;
    try {
        root = toml::parse(text, std::string("fuzz.toml"));
    } catch (const toml::parse_error&) {
        return;
    }
    const config::ConfigSpec spec = config::parse_config(root, "/nonexistent/fuzz.toml");
    for (const auto& p : spec.plugins) {
        const std::filesystem::path path(p.value);
        config::check_plugin_file(
            path.is_absolute() ? p.value : (std::filesystem::path("/nonexistent") / path).string(), p.where);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] & 3) {
            case 0: config::check_plugin_header("plug-in 'fuzz.so'", rest); break;
            case 1: {
                static const std::string path =
                    "/tmp/delaysim_fuzz_plugin_" + std::to_string(::getpid()) + ".so";
                {
                    std::ofstream out(path, std::ios::binary | std::ios::trunc);
                    out.write(rest.data(), static_cast<std::streamsize>(rest.size()));
                }
                (void)config::check_plugin_file(path);
                break;
            }
            case 2: entries(rest); break;
            default: model_file(rest); break;
        }
    } catch (const sim::UserError& e) {
        (void)e.formatted();
    }
    return 0;
}
