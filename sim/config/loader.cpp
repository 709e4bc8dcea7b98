#include "sim/config/loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "sim/config/overrides.hpp"
#include "sim/config/parse.hpp"
#include "sim/config/plugin.hpp"

namespace delaysim::config {

LoadedConfig load_config_text(const std::string& text, const std::string& file,
                              const std::vector<std::string>& sets) {
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw sim::UserError("TOML syntax error: " + std::string(e.description()),
                             sim::SourceLocation{file, b.line ? b.line : 1, b.column ? b.column : 1});
    }
    apply_overrides(root, sets);
    LoadedConfig out;
    out.text = text;
    if (!sets.empty()) {
        out.text += "\n# delaysim --set options applied on top of the file above:\n";
        for (const auto& s : sets) out.text += "#   --set " + s + "\n";
    }
    out.spec = parse_config(root, file);
    // Before lowering, so that the plug-ins' names resolve; paths are relative
    // to the model file.
    for (const auto& p : out.spec.plugins) {
        const std::filesystem::path path(p.value);
        load_plugin(
            path.is_absolute() ? p.value : (std::filesystem::path(file).parent_path() / path).string(),
            p.where);
    }
    out.lowered = lower(out.spec);
    out.lowered.record.config_toml = out.text;
    return out;
}

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& sets) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw sim::UserError(std::filesystem::exists(path, ec) ? "not a regular file" : "no such config file",
                             sim::SourceLocation{path, 0, 0});
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof())
        throw sim::UserError("cannot read the config file", sim::SourceLocation{path, 0, 0});
    return load_config_text(text.str(), path, sets);
}

}  // namespace delaysim::config
