// TOML table -> ConfigSpec: structure, key names and value types only. Names,
// ranges and cross-references are checked later, in lower.cpp.
#pragma once
#include <string>

#include <toml++/toml.h>

#include "sim/config/spec.hpp"

namespace delaysim::config {

// Throws sim::UserError (with location) for unknown keys, wrong types, missing
// required keys or sections.
ConfigSpec parse_config(const toml::table& root, const std::string& file);

}  // namespace delaysim::config
