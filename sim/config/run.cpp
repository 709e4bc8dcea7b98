#include "sim/config/run.hpp"

#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "sim/checkpoint.hpp"
#include "sim/config/estimate.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/plugin.hpp"
#include "sim/config/progress.hpp"
#include "sim/mpi.hpp"
#include "sim/recorder.hpp"
#include "sim/serialize.hpp"

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
        if (sim.ranks() > 1) {
            const sim::Partition& part = sim.partition();
            err << "delaysim: the slices' node phase was split among " << sim.ranks() << " MPI ranks (nodes:";
            for (std::uint64_t n : part.load) err << ' ' << n;
            err << "); lookahead window ";
            if (part.window_projection >= 0)
                err << part.window << " ms (projection '"
                    << sim.network().projections[static_cast<std::size_t>(part.window_projection)].name()
                    << "')\n";
            else
                err << "unbounded (no projection crosses ranks)\n";
            err << "delaysim: the ranks met " << sim.exchanges() << " times (once per "
                << sim.exchange_window() << " ms)\n";
            for (const std::string& note : part.notes) err << "delaysim: note: " << note << '\n';
        }
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

// --- Checkpoints ---------------------------------------------------------------
// The times, the directory and what every checkpoint of this run records about
// it, checked before anything is written.
struct CheckpointPlan {
    std::vector<sim::Time> t;
    std::vector<std::string> text;  // each T as written: the file name's part
    std::string dir, stem;
    sim::CheckpointMeta meta;
};

CheckpointPlan plan_checkpoints(const RunOptions& o, const std::string& config, const LoadedConfig& c,
                                const sim::Simulation& sim, sim::Time now) {
    CheckpointPlan plan;
    if (o.checkpoint_at.empty()) {
        if (!o.checkpoint_dir.empty())
            throw sim::UserError("--checkpoint-dir without --checkpoint-at",
                                 sim::SourceLocation{"--checkpoint-dir"});
        return plan;
    }
    const sim::SourceLocation at{"--checkpoint-at", 0, 0};
    const std::vector<std::string> refused = sim.not_checkpointable();
    if (!refused.empty()) {
        std::string list;
        for (const auto& x : refused) list += (list.empty() ? "" : ", ") + x;
        throw sim::UserError("cannot checkpoint this network: " + list +
                                 " does not implement save_state/restore_state (README \"Checkpoints\")",
                             at);
    }
    const sim::Time t_stop = c.lowered.t_stop;
    for (const std::string& s : o.checkpoint_at) {
        char* end = nullptr;
        errno = 0;
        const double t = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(t))
            throw sim::UserError("'" + s + "' is not a time in ms (write e.g. 250 or 12.5, without a unit)",
                                 at);
        if (!(t > now && t < t_stop))
            throw sim::UserError("checkpoint time " + s + " ms is not inside the run (" + sim::fmt_ms(now) +
                                     ", " + sim::fmt_ms(t_stop) + ")",
                                 at);
        if (!plan.t.empty() && !(t > plan.t.back()))
            throw sim::UserError(
                "checkpoint times must increase: " + s + " ms after " + plan.text.back() + " ms", at);
        plan.t.push_back(t);
        plan.text.push_back(s);
    }
    plan.dir = o.checkpoint_dir.empty() ? std::string(".") : o.checkpoint_dir;
    std::error_code ec;
    fs::create_directories(plan.dir, ec);
    if (!fs::is_directory(plan.dir, ec) || ::access(plan.dir.c_str(), W_OK) != 0)
        throw sim::UserError("checkpoint directory '" + plan.dir + "' cannot be created or written",
                             sim::SourceLocation{"--checkpoint-dir", 0, 0});
    plan.stem = fs::path(config).stem().string();
    sim::CheckpointMeta& m = plan.meta;
    m.config_path = absolute(config);
    m.config_hash = sim::fnv1a(file_text(config));
    m.sets = o.sets;
    for (const auto& p : o.plugins) m.plugins.push_back(absolute(p));
    for (const PluginInfo& p : loaded_plugins()) {
        m.loaded.push_back(p.path);
        m.loaded_hash.push_back(sim::fnv1a(file_text(p.path)));
    }
    m.t_stop = t_stop;
    return plan;
}

// set_horizon(t_stop), then run to each checkpoint time and save there, then
// on to t_stop: the pieces give the uninterrupted run's results to the bit.
bool run_checkpointed(sim::Simulation& sim, sim::Recorder& recorder, CheckpointPlan& plan,
                      const std::string& output, const RunOptions& o, std::ostream& err) {
    const sim::Time t_stop = plan.meta.t_stop;
    sim.set_horizon(t_stop);
    for (std::size_t k = 0; k < plan.t.size(); ++k) {
        if (!sim.run(plan.t[k])) return false;
        sim::CheckpointData d;
        d.meta = plan.meta;
        d.meta.t = plan.t[k];
        d.meta.t_text = plan.text[k];
        d.meta.output = output;
        sim::Writer ws, wr;
        sim.save(ws);
        recorder.save(wr);
        d.simulation = std::move(ws.bytes());
        d.recorder = std::move(wr.bytes());
        const std::string path = (fs::path(plan.dir) / (plan.stem + "_" + plan.text[k] + ".ckpt")).string();
        sim::write_checkpoint(path, d);
        if (!o.quiet)
            err << (o.terminal ? "\n" : "") << "delaysim: checkpoint at " << plan.text[k] << " ms -> " << path
                << '\n';
    }
    return sim.run(t_stop);
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

// The run itself, for run and resume: record, run (in pieces at checkpoints),
// close, summarise. `resume` (may be empty) puts a checkpoint's state into the
// just-built simulation and recorder before the run.
static RunResult run_recorded(LoadedConfig& c, sim::Simulation& sim, const RunOptions& o,
                              CheckpointPlan& plan, const std::string& output, std::ostream& err,
                              const std::function<void(sim::Recorder&)>& resume) {
    RunResult r;
    r.output = output;
    // MPI ranks: only rank 0 records and writes the file; the others observe
    // with TraceReads, what the recorder tells the run (which nodes it
    // samples), so every rank takes the same decisions without the HDF5 work.
    const bool writes = sim::mpi::rank() == 0;
    c.lowered.record.path = r.output;
    std::unique_ptr<sim::Recorder> recorder;
    sim::TraceReads reads(c.lowered.record);
    Progress progress(err, c.lowered.t_stop, !o.quiet, o.terminal);
    std::exception_ptr error;
    try {
        if (writes) {
            check_output(r.output, true);
            recorder = std::make_unique<sim::Recorder>(sim, c.lowered.record);
        }
        sim.add_observer(writes ? static_cast<sim::Observer*>(recorder.get()) : &reads);
        sim.add_observer(&progress);
        sim.set_stop_flag(o.stop);
        if (resume) resume(*recorder);  // (refused under ranks: rank 0 alone)
        if (plan.t.empty() && !resume)
            r.completed = sim.run(c.lowered.t_stop);
        else
            r.completed = run_checkpointed(sim, *recorder, plan, r.output, o, err);
    } catch (...) {
        error = std::current_exception();
    }
    // Under ranks, a rank that failed between meetings leaves now and the
    // others stop at their next meeting with its error (sim/mpi.hpp, leave).
    error = sim::mpi::leave(error);
    progress.finish();
    if (error) {
        // Keep what was recorded up to the error (after its own OutputError the
        // recorder has closed what it could, and close does nothing).
        try {
            if (recorder) recorder->close(false);
        } catch (...) {  // (the first error is the one to report)
        }
        std::rethrow_exception(error);
    }
    if (recorder) recorder->close(r.completed);
    r.t_reached = sim.now();
    r.spikes = progress.spikes();
    r.events = sim.events_processed();
    if (!r.completed) {
        err << "delaysim: interrupted at t = " << sim.now() << " ms; partial output in " << r.output
            << " (completed = false)\n";
        r.exit_code = kExitInterrupted;
        return r;
    }
    if (!o.quiet) {
        err << "delaysim: done: " << c.lowered.t_stop << " ms simulated, " << r.spikes << " spikes, "
            << r.events << " events in " << std::fixed << std::setprecision(2) << progress.wall_seconds()
            << " s -> " << r.output << '\n';
        print_batching(sim, err);
    }
    return r;
}

RunResult run_config(const RunOptions& o, std::ostream& err) {
    try {
        if (sim::mpi::size() > 1 && !o.checkpoint_at.empty())
            throw sim::UserError("--checkpoint-at is not supported with MPI ranks (mpirun -np " +
                                     std::to_string(sim::mpi::size()) +
                                     "): checkpoint a one-process run (README \"Parallel runs\")",
                                 sim::SourceLocation{o.config, 0, 0});
        LoadedConfig c = load(o, err);
        const std::string output = resolved_output(o, c);
        auto sim = build(c, o.config);
        CheckpointPlan plan = plan_checkpoints(o, o.config, c, *sim, 0.0);
        return run_recorded(c, *sim, o, plan, output, err, {});
    } catch (...) {  // (a rank that failed before its run: the others learn of it at their first meeting)
        std::rethrow_exception(sim::mpi::leave(std::current_exception()));
    }
}

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string absolute(const std::string& path) {
    std::error_code ec;
    const std::filesystem::path a = std::filesystem::absolute(path, ec);
    return ec ? path : a.lexically_normal().string();
}

void check_checkpoint_sources(const sim::CheckpointMeta& m, const sim::SourceLocation& here) {
    // The run it continues: the same config text, overrides and plug-ins.
    std::error_code ec;
    if (!fs::is_regular_file(m.config_path, ec))
        throw sim::UserError("the checkpoint's config '" + m.config_path + "' no longer exists", here);
    if (sim::fnv1a(file_text(m.config_path)) != m.config_hash)
        throw sim::UserError("config '" + m.config_path +
                                 "' has changed since the checkpoint was written (its text differs); "
                                 "a checkpoint resumes only the run it was taken from",
                             here);
    for (std::size_t k = 0; k < m.loaded.size(); ++k)
        if (!fs::is_regular_file(m.loaded[k], ec) || sim::fnv1a(file_text(m.loaded[k])) != m.loaded_hash[k])
            throw sim::UserError(
                "plug-in '" + m.loaded[k] + "' is missing or has changed since the checkpoint was written",
                here);
}

sim::CheckpointData read_checkpoint_for_resume(const std::string& checkpoint) {
    const sim::SourceLocation here{checkpoint, 0, 0};
    sim::CheckpointData d;
    try {
        d = sim::read_checkpoint(checkpoint);
    } catch (const sim::CheckpointError& e) {
        throw sim::UserError(e.what(), here);
    } catch (const sim::UserError& e) {
        throw sim::UserError(e.what(), here);
    }
    check_checkpoint_sources(d.meta, here);
    return d;
}

RunResult resume_config(const std::string& checkpoint, const RunOptions& options, std::ostream& err) {
    const sim::SourceLocation here{checkpoint, 0, 0};
    if (sim::mpi::size() > 1)
        throw sim::UserError(
            "resume is not supported with MPI ranks: resume in one process (README \"Parallel runs\")", here);
    sim::CheckpointData d = read_checkpoint_for_resume(checkpoint);
    const sim::CheckpointMeta& m = d.meta;
    RunOptions o = options;
    o.config = m.config_path;
    o.sets = m.sets;
    o.plugins = m.plugins;
    LoadedConfig c = load(o, err);
    if (c.lowered.t_stop != m.t_stop)
        throw sim::UserError("the checkpoint's run ends at " + sim::fmt_ms(m.t_stop) + ", its config at " +
                                 sim::fmt_ms(c.lowered.t_stop),
                             here);
    for (const PluginInfo& p : loaded_plugins())
        if (std::find(m.loaded.begin(), m.loaded.end(), p.path) == m.loaded.end())
            throw sim::UserError(
                "plug-in '" + p.path + "' was not loaded by the run the checkpoint was taken from", here);
    const std::string output = options.output ? *options.output : resolved_output(o, c);
    auto sim = build(c, o.config);
    CheckpointPlan plan = plan_checkpoints(o, o.config, c, *sim, m.t);
    plan.meta.t_stop = m.t_stop;
    if (plan.t.empty()) plan.meta = m;  // (run_checkpointed needs t_stop)
    if (!o.quiet)
        err << "delaysim: resuming " << m.config_path << " from " << checkpoint << " at " << m.t_text
            << " ms\n";
    return run_recorded(c, *sim, o, plan, output, err, [&](sim::Recorder& recorder) {
        try {
            sim::Reader rr(d.recorder.data(), d.recorder.size());
            recorder.restore(rr);
            if (!rr.done()) rr.fail("data after the recorded rows");
            sim::Reader rs(d.simulation.data(), d.simulation.size());
            sim->restore(rs);
        } catch (const sim::CheckpointError& e) {
            throw sim::UserError(e.what(), here);
        }
        recorder.mark_resumed(checkpoint, m.t);
    });
}

}  // namespace delaysim::config
