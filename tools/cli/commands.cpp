#include "tools/cli/commands.hpp"

#include <filesystem>
#include <iomanip>

#include "sim/recorder.hpp"
#include "tools/cli/args.hpp"
#include "tools/cli/list.hpp"
#include "tools/cli/loader.hpp"
#include "tools/cli/progress.hpp"

namespace delaysim::cli {
namespace {

namespace fs = std::filesystem;

// Checked before anything is written, so bad input leaves no file behind.
void check_output(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw sim::UserError("output path '" + path + "' is a directory");
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec)
            throw sim::UserError("cannot create output directory '" + parent.string() + "': " + ec.message());
    }
}

int validate(const Args& a, std::ostream& out) {
    LoadedConfig c = load_config(a.config, a.sets);
    std::uint64_t synapses = 0;
    for (const auto& p : c.lowered.network.projections) synapses += p.size();
    out << a.config << ": ok (" << c.lowered.network.populations.size() << " populations, "
        << c.lowered.network.projections.size() << " projections, " << synapses << " synapses, "
        << c.spec.plasticity.size() << " plasticity rules, t_stop " << c.lowered.t_stop << " ms)\n";
    return kExitOk;
}

int run(const Args& a, std::ostream& err, const volatile std::sig_atomic_t* stop, bool terminal) {
    LoadedConfig c = load_config(a.config, a.sets);
    const auto& so = c.spec.simulation.output;
    const std::string path = output_path(a.config, so ? &so->value : nullptr, a.output ? &*a.output : nullptr);
    auto sim = make_simulation(c.lowered);
    check_output(path);
    c.lowered.record.path = path;
    sim::Recorder recorder(*sim, c.lowered.record);
    Progress progress(err, c.lowered.t_stop, !a.quiet, terminal);
    sim->add_observer(&recorder);
    sim->add_observer(&progress);
    sim->set_stop_flag(stop);
    bool completed = false;
    try {
        completed = sim->run(c.lowered.t_stop);
    } catch (const sim::UserError&) {
        progress.finish();
        recorder.close(false);  // keep what was recorded up to the refusal
        throw;
    }
    progress.finish();
    recorder.close(completed);
    if (!completed) {
        err << "delaysim: interrupted at t = " << sim->now() << " ms; partial output in " << path
            << " (completed = false)\n";
        return kExitInterrupted;
    }
    if (!a.quiet)
        err << "delaysim: done: " << c.lowered.t_stop << " ms simulated, " << progress.spikes() << " spikes, "
            << sim->events_processed() << " events in " << std::fixed << std::setprecision(2)
            << progress.wall_seconds() << " s -> " << path << '\n';
    if (!a.quiet && sim->slice_width() > 0) {
        err << "delaysim: populations processed in slices of " << std::setprecision(4) << std::defaultfloat
            << sim->slice_width() << " ms (the smallest delay onto them):";
        for (std::size_t p = 0; p < sim->network().populations.size(); ++p)
            if (sim->batched(p)) err << ' ' << sim->population(p).name();
        err << '\n';
        if (sim->superposed_updates() > 0)
            err << "delaysim: " << sim->superposed_updates()
                << " node updates took a whole slice's inputs at once (superposition)\n";
    }
    if (!a.quiet)
        for (const std::string& note : sim->batching_notes()) err << "delaysim: note: " << note << '\n';
    return kExitOk;
}

}  // namespace

std::string output_path(const std::string& config, const std::string* from_config, const std::string* from_cli) {
    if (from_cli) return *from_cli;
    if (from_config) return *from_config;
    return (fs::path("out") / fs::path(config).stem()).string() + ".h5";
}

int run_cli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err,
            const volatile std::sig_atomic_t* stop, bool err_is_terminal) {
    try {
        const Args a = parse_args(argv);
        switch (a.command) {
        case Command::Help: out << usage(); return kExitOk;
        case Command::Version: out << "delaysim " << DELAYSIM_VERSION << '\n'; return kExitOk;
        case Command::List: print_list(out); return kExitOk;
        case Command::Validate: return validate(a, out);
        case Command::Run: return run(a, err, stop, err_is_terminal);
        }
        return kExitInternal;
    } catch (const sim::UserError& e) {
        err << e.formatted() << '\n';
        return kExitBadInput;
    } catch (const sim::InternalError& e) {
        err << "delaysim: internal error: " << e.what() << '\n';
        return kExitInternal;
    } catch (const std::exception& e) {
        err << "delaysim: internal error: " << e.what() << '\n';
        return kExitInternal;
    } catch (...) {
        err << "delaysim: internal error: unknown exception\n";
        return kExitInternal;
    }
}

}  // namespace delaysim::cli
