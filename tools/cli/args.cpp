#include "tools/cli/args.hpp"

#include "sim/error.hpp"

namespace delaysim::cli {
namespace {

[[noreturn]] void bad(const std::string& what) {
    throw sim::UserError(what + " (see 'delaysim --help')");
}

}  // namespace

std::string usage() {
    return "usage:\n"
           "  delaysim run CONFIG.toml [-o OUT.h5] [--set key.path=value]... [--quiet]\n"
           "               [--plugin PATH]... [--strict] [--threads N]\n"
           "               [--checkpoint-at T1[,T2...] [--checkpoint-dir D]]\n"
           "  delaysim resume CKPT [-o OUT.h5] [--quiet] [--checkpoint-at T... [--checkpoint-dir D]]\n"
           "  delaysim validate CONFIG.toml [--set key.path=value]... [--plugin PATH]... [--strict]\n"
           "               [--threads N]\n"
           "  delaysim list [--json] [--plugin PATH]...\n"
           "  delaysim --help | --version\n"
           "\n"
           "commands:\n"
           "  run       simulate CONFIG and write the HDF5 output (default out/<config stem>.h5,\n"
           "            or simulation.output, or -o); progress and a summary go to stderr\n"
           "  validate  check CONFIG completely (names, ranges, connectivity) without running\n"
           "  resume    continue the run a checkpoint was taken from to its t_stop (the output\n"
           "            equals the uninterrupted run's; README \"Checkpoints\")\n"
           "  list      neuron models, spike sources and plasticity rules with their parameters\n"
           "\n"
           "options:\n"
           "  -o, --output OUT.h5     output file (its directory is created if missing)\n"
           "  --set key.path=value    override a config value, type-checked like the file;\n"
           "                          entries of [[population]] etc. are addressed by name:\n"
           "                          --set population.N1.params.tau_ms=500\n"
           "                          --set projection.sg2_n1.delay_ms=3\n"
           "  -q, --quiet             no progress display and no summary\n"
           "  --plugin PATH           load a plug-in (rules, models) first; repeatable\n"
           "  --strict                warnings (FILE:LINE:COL: warning: ...) are errors\n"
           "  --checkpoint-at T1,T2   save the whole state at these times (ms) while running on\n"
           "  --checkpoint-dir D      ... into D/<config stem>_<T>.ckpt (default: .)\n"
           "  --threads N             threads (0: every core); same as --set simulation.threads=N;\n"
           "                          the output is bit-identical for every N\n"
           "  --json                  list: one JSON document instead of tables\n"
           "  -h, --help              this text\n"
           "  --version               print the version\n"
           "\n"
           "exit codes: 0 success, 1 internal error, 2 bad input, 130 interrupted\n"
           "the config format is documented in configs/README.md\n";
}

Args parse_args(const std::vector<std::string>& argv) {
    Args a;
    for (const auto& s : argv) {
        if (s == "-h" || s == "--help") return a;  // Command::Help wins anywhere
        if (s == "--version") {
            a.command = Command::Version;
            return a;
        }
    }
    if (argv.empty()) bad("missing command: run, validate, list or resume");
    const std::string& cmd = argv[0];
    if (cmd == "run")
        a.command = Command::Run;
    else if (cmd == "validate")
        a.command = Command::Validate;
    else if (cmd == "list")
        a.command = Command::List;
    else if (cmd == "resume")
        a.command = Command::Resume;
    else if (!cmd.empty() && cmd[0] == '-')
        bad("expected a command before '" + cmd + "': run, validate or list");
    else
        bad("unknown command '" + cmd + "' (valid: run, validate, list, resume)");

    auto value = [&](std::size_t& i, const std::string& opt) -> std::string {
        if (i + 1 >= argv.size()) bad("option " + opt + " needs a value");
        return argv[++i];
    };
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& s = argv[i];
        const bool resume = a.command == Command::Resume;
        const bool runs = a.command == Command::Run || resume;
        const bool takes_config = a.command != Command::List;
        auto times = [&](const std::string& list) {
            std::size_t from = 0;
            for (;;) {
                const std::size_t comma = list.find(',', from);
                a.checkpoint_at.push_back(list.substr(from, comma - from));
                if (comma == std::string::npos) break;
                from = comma + 1;
            }
        };
        if (s == "--checkpoint-at" && runs)
            times(value(i, s));
        else if (s.rfind("--checkpoint-at=", 0) == 0 && runs)
            times(s.substr(16));
        else if (s == "--checkpoint-dir" && runs)
            a.checkpoint_dir = value(i, s);
        else if (s.rfind("--checkpoint-dir=", 0) == 0 && runs)
            a.checkpoint_dir = s.substr(17);
        else if (resume && (s == "--set" || s == "--plugin" || s == "--strict" || s.rfind("--set=", 0) == 0 ||
                            s.rfind("--plugin=", 0) == 0))
            bad("'resume' takes the config, overrides and plug-ins from the checkpoint; '" + s +
                "' does not apply");
        else if ((s == "-o" || s == "--output") && runs)
            a.output = value(i, s);
        else if (s.rfind("--output=", 0) == 0 && runs)
            a.output = s.substr(9);
        else if (s == "--set" && takes_config)
            a.sets.push_back(value(i, s));
        else if (s.rfind("--set=", 0) == 0 && takes_config)
            a.sets.push_back(s.substr(6));
        else if ((s == "-q" || s == "--quiet") && takes_config)
            a.quiet = true;
        else if (s == "--plugin")
            a.plugins.push_back(value(i, s));
        else if (s.rfind("--plugin=", 0) == 0)
            a.plugins.push_back(s.substr(9));
        else if (s == "--threads" && takes_config)  // a --set, checked like the file's key
            a.sets.push_back("simulation.threads=" + value(i, s));
        else if (s.rfind("--threads=", 0) == 0 && takes_config)
            a.sets.push_back("simulation.threads=" + s.substr(10));
        else if (s == "--strict" && takes_config)
            a.strict = true;
        else if (s == "--json" && a.command == Command::List)
            a.json = true;
        else if (!s.empty() && s[0] == '-' && s != "-")
            bad("unknown option '" + s + "' for '" + cmd + "'");
        else if (takes_config && a.config.empty())
            a.config = s;
        else
            bad("unexpected argument '" + s + "' for '" + cmd + "'");
    }
    if (a.command == Command::Resume && a.config.empty()) bad("'resume' needs a checkpoint file (CKPT)");
    if (a.command != Command::List && a.config.empty()) bad("'" + cmd + "' needs a CONFIG.toml");
    if (!a.checkpoint_dir.empty() && a.checkpoint_at.empty()) bad("--checkpoint-dir needs --checkpoint-at");
    if (a.output && a.output->empty()) bad("option -o needs a non-empty path");
    for (const auto& p : a.plugins)
        if (p.empty()) bad("option --plugin needs a non-empty path");
    return a;
}

}  // namespace delaysim::cli
