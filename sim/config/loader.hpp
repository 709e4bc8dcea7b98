// Config file -> runtime objects, in three steps: TOML++ parse (+ --set
// overrides), parse_config (spec structs), lower (network, rules, record spec).
// Every failure is a sim::UserError with the location of the offending text.
#pragma once
#include <string>
#include <vector>

#include "sim/config/lower.hpp"
#include "sim/config/spec.hpp"

namespace delaysim::config {

struct LoadedConfig {
    std::string text;  // the file's text, with the --set options appended as comments
    ConfigSpec spec;
    Lowered lowered;
};

// `file` names the text in error locations.
LoadedConfig load_config_text(const std::string& text, const std::string& file,
                              const std::vector<std::string>& sets = {});
LoadedConfig load_config(const std::string& path, const std::vector<std::string>& sets = {});

}  // namespace delaysim::config
