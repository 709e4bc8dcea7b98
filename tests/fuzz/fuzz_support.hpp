// Shared by the libFuzzer harnesses: load a model file as load_config_text
// does (TOML, --set overrides, parse, lowering), but refuse networks whose
// estimate exceeds a fuzzing budget before they are built, so that an input
// asking for 1e9 nodes is a cheap rejection rather than an out-of-memory
// report. Any exception other than sim::UserError escapes and is a finding.
#pragma once
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sim/config/estimate.hpp"
#include "sim/config/lower.hpp"
#include "sim/config/overrides.hpp"
#include "sim/config/parse.hpp"
#include "sim/error.hpp"

namespace delaysim::fuzz {

inline constexpr double kMaxMemoryBytes = 4e6;  // networks this small exercise every path, and fast
inline constexpr double kMaxPairs = 2e5;        // random connectivity draws per input

inline void load(const std::string& text, const std::vector<std::string>& sets) {
    try {
        toml::table root;
        try {
            root = toml::parse(text, std::string("fuzz.toml"));
        } catch (const toml::parse_error&) {
            return;  // load_config_text turns this into a located UserError
        }
        config::apply_overrides(root, sets);
        const config::ConfigSpec spec = config::parse_config(root, "fuzz.toml");
        const config::RunEstimate e = config::estimate_run(spec);
        if (e.memory_bytes > kMaxMemoryBytes || e.connect_pairs > kMaxPairs) return;
        config::Lowered lowered = config::lower(spec);
        (void)lowered;
    } catch (const sim::UserError& e) {
        (void)e.formatted();  // the message must be printable
    }
}

}  // namespace delaysim::fuzz
