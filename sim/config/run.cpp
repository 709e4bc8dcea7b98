#include "sim/config/run.hpp"

#include <unistd.h>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "sim/config/estimate.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/plugin.hpp"
#include "sim/config/progress.hpp"
#include "sim/recorder.hpp"

namespace delaysim::config {
namespace {

namespace fs = std::filesystem;

// Checked before anything is written, so bad input leaves no file behind.
// validate (create = false) checks that the missing directories could be made.
void check_output(const std::string& path, bool create) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw sim::UserError("output path '" + path + "' is a directory");
    const fs::path parent = fs::path(path).parent_path();
    if (parent.empty() || fs::is_directory(parent, ec)) {
        const std::string dir = parent.empty() ? "." : parent.string();
        if (::access(dir.c_str(), W_OK) != 0)
            throw sim::UserError("cannot write output '" + path + "': directory '" + dir +
                                 "' is not writable");
        return;
    }
    if (create) {
        fs::create_directories(parent, ec);
        if (ec)
            throw sim::UserError("cannot create output directory '" + parent.string() + "': " + ec.message());
        return;
    }
    fs::path up = parent;
    while (!up.empty() && !fs::exists(up, ec)) up = up.parent_path();
    const std::string dir = up.empty() ? "." : up.string();
    if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0)
        throw sim::UserError("cannot create output directory '" + parent.string() + "': '" + dir +
                             "' is not a writable directory");
}

std::string resolved_output(const RunOptions& o, const LoadedConfig& c) {
    const auto& so = c.spec.simulation.output;
    return output_path(o.config, so ? &so->value : nullptr, o.output ? &*o.output : nullptr);
}

void print_batching(const sim::Simulation& sim, std::ostream& err) {
    if (sim.slice_width() > 0) {
        err << "delaysim: populations processed in slices of " << std::setprecision(4) << std::defaultfloat
            << sim.slice_width() << " ms (the smallest delay onto them):";
        for (std::size_t p = 0; p < sim.network().populations.size(); ++p)
            if (sim.batched(p)) err << ' ' << sim.population(p).name();
        err << '\n';
        if (sim.threads() > 1)
            err << "delaysim: the slices' node phase ran on " << sim.threads() << " threads\n";
        if (sim.superposed_updates() > 0)
            err << "delaysim: " << sim.superposed_updates()
                << " node updates took a whole slice's inputs at once (superposition)\n";
    }
    for (const std::string& note : sim.batching_notes()) err << "delaysim: note: " << note << '\n';
}

// --plugin files first (a config may use their names), then the config; its
// warnings are printed, or under --strict the first one is the error.
LoadedConfig load(const RunOptions& o, std::ostream& err) {
    for (const std::string& p : o.plugins) load_plugin(p, sim::SourceLocation{"--plugin", 0, 0});
    LoadedConfig c = load_config(o.config, o.sets);
    const auto& warnings = c.lowered.warnings;
    for (std::size_t i = 0; i < warnings.size(); ++i) {
        if (o.strict && i + 1 == warnings.size())
            throw sim::UserError(warnings[i].what + " (a warning; an error under --strict)",
                                 warnings[i].where);
        std::string line = warnings[i].formatted();
        if (o.strict) line.replace(line.find(": warning: "), 11, ": error: ");
        err << line << (o.strict ? " (a warning; an error under --strict)" : "") << '\n';
    }
    return c;
}

// The engine's checks do not know the file: name at least that.
std::unique_ptr<sim::Simulation> build(LoadedConfig& c, const std::string& file) {
    try {
        return make_simulation(c.lowered);
    } catch (const sim::UserError& e) {
        if (!e.where().file.empty()) throw;
        throw sim::UserError(e.what(), sim::SourceLocation{file, 0, 0});
    }
}

}  // namespace

std::string output_path(const std::string& config, const std::string* from_config,
                        const std::string* from_cli) {
    if (from_cli) return *from_cli;
    if (from_config) return *from_config;
    return (fs::path("out") / fs::path(config).stem()).string() + ".h5";
}

std::string validate_config(const RunOptions& o) {
    return validate_config(o, std::cerr);
}

std::string validate_config(const RunOptions& o, std::ostream& err) {
    LoadedConfig c = load(o, err);
    check_output(resolved_output(o, c), false);
    std::uint64_t synapses = 0;
    for (const auto& p : c.lowered.network.projections) synapses += p.size();
    std::ostringstream s;
    s << o.config << ": ok (" << c.lowered.network.populations.size() << " populations, "
      << c.lowered.network.projections.size() << " projections, " << synapses << " synapses, "
      << c.lowered.rules.size() << " plasticity rules, t_stop " << c.lowered.t_stop << " ms; "
      << describe(estimate_run(c.spec)) << ")";
    // Building the Simulation makes the engine's own checks (and the rules' attach),
    // exactly as run does; lowering already made the ones it can locate.
    build(c, o.config);
    return s.str();
}

RunResult run_config(const RunOptions& o, std::ostream& err) {
    LoadedConfig c = load(o, err);
    RunResult r;
    r.output = resolved_output(o, c);
    auto sim = build(c, o.config);
    check_output(r.output, true);
    c.lowered.record.path = r.output;
    sim::Recorder recorder(*sim, c.lowered.record);
    Progress progress(err, c.lowered.t_stop, !o.quiet, o.terminal);
    sim->add_observer(&recorder);
    sim->add_observer(&progress);
    sim->set_stop_flag(o.stop);
    try {
        r.completed = sim->run(c.lowered.t_stop);
    } catch (const sim::UserError&) {
        progress.finish();
        recorder.close(false);  // keep what was recorded up to the refusal
        throw;
    } catch (const sim::OutputError&) {
        progress.finish();  // the recorder has closed what it could
        throw;
    }
    progress.finish();
    recorder.close(r.completed);
    r.t_reached = sim->now();
    r.spikes = progress.spikes();
    r.events = sim->events_processed();
    if (!r.completed) {
        err << "delaysim: interrupted at t = " << sim->now() << " ms; partial output in " << r.output
            << " (completed = false)\n";
        r.exit_code = kExitInterrupted;
        return r;
    }
    if (!o.quiet) {
        err << "delaysim: done: " << c.lowered.t_stop << " ms simulated, " << r.spikes << " spikes, "
            << r.events << " events in " << std::fixed << std::setprecision(2) << progress.wall_seconds()
            << " s -> " << r.output << '\n';
        print_batching(*sim, err);
    }
    return r;
}

}  // namespace delaysim::config
