// The delaysim command line (DESIGN.md "Commands"):
//   delaysim run CONFIG.toml [-o OUT.h5] [--set key.path=value]... [--quiet]
//                [--plugin PATH]... [--strict] [--threads N]
//                [--checkpoint-at T1[,T2...] --checkpoint-dir D]
//   delaysim resume CKPT [-o OUT.h5] [--quiet] [--checkpoint-at ... --checkpoint-dir D]
//   delaysim validate CONFIG.toml [--set key.path=value]... [--plugin PATH]... [--strict]
//                [--threads N]
//   delaysim list [--json] [--plugin PATH]...
//   delaysim --help | --version
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace delaysim::cli {

enum class Command { Run, Validate, List, Help, Version, Resume };

struct Args {
    Command command = Command::Help;
    std::string config;
    std::optional<std::string> output;
    std::vector<std::string> sets;
    bool quiet = false;
    std::vector<std::string> plugins;        // --plugin PATH (run, validate, list)
    bool strict = false;                     // --strict (run, validate)
    bool json = false;                       // --json (list)
    std::vector<std::string> checkpoint_at;  // --checkpoint-at T1,T2 (run, resume; ms as written)
    std::string checkpoint_dir;              // --checkpoint-dir D
};

// Throws sim::UserError (no location: printed as "delaysim: error: ...").
Args parse_args(const std::vector<std::string>& argv);
std::string usage();

}  // namespace delaysim::cli
