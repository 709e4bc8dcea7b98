#include "tools/cli/commands.hpp"

#include "sim/config/list.hpp"
#include "sim/config/plugin.hpp"
#include "sim/config/run.hpp"
#include "sim/error.hpp"
#include "tools/cli/args.hpp"

namespace delaysim::cli {
namespace {

config::RunOptions options(const Args& a, const volatile std::sig_atomic_t* stop, bool terminal) {
    config::RunOptions o;
    o.config = a.config;
    o.sets = a.sets;
    o.output = a.output;
    o.quiet = a.quiet;
    o.terminal = terminal;
    o.stop = stop;
    o.plugins = a.plugins;
    o.strict = a.strict;
    o.checkpoint_at = a.checkpoint_at;
    o.checkpoint_dir = a.checkpoint_dir;
    return o;
}

}  // namespace

int run_cli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err,
            const volatile std::sig_atomic_t* stop, bool err_is_terminal) {
    try {
        const Args a = parse_args(argv);
        switch (a.command) {
            case Command::Help: out << usage(); return config::kExitOk;
            case Command::Version: out << "delaysim " << DELAYSIM_VERSION << '\n'; return config::kExitOk;
            case Command::List:
                for (const auto& p : a.plugins) config::load_plugin(p, sim::SourceLocation{"--plugin", 0, 0});
                if (a.json)
                    config::print_list_json(out);
                else
                    config::print_list(out);
                return config::kExitOk;
            case Command::Validate:
                out << config::validate_config(options(a, stop, err_is_terminal), err) << '\n';
                return config::kExitOk;
            case Command::Run: return config::run_config(options(a, stop, err_is_terminal), err).exit_code;
            case Command::Resume:
                return config::resume_config(a.config, options(a, stop, err_is_terminal), err).exit_code;
        }
        return config::kExitInternal;
    } catch (const sim::UserError& e) {
        err << e.formatted() << '\n';
        return config::kExitBadInput;
    } catch (const sim::OutputError& e) {
        err << "delaysim: error: " << e.what() << '\n';
        return config::kExitInternal;
    } catch (const sim::InternalError& e) {
        err << "delaysim: internal error: " << e.what() << '\n';
        return config::kExitInternal;
    } catch (const std::exception& e) {
        err << "delaysim: internal error: " << e.what() << '\n';
        return config::kExitInternal;
    } catch (...) {
        err << "delaysim: internal error: unknown exception\n";
        return config::kExitInternal;
    }
}

}  // namespace delaysim::cli
