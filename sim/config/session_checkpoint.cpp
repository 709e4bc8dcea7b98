// Session::checkpoint / Session::resume: the CLI's checkpoint file
// (sim/checkpoint.hpp) from and into a session held open between calls (the
// Python package's sim.checkpoint / ds.resume). The file is the one `delaysim
// run --checkpoint-at` writes, so either side resumes the other's: the META
// section names the model file, its --set overrides and plug-ins.
#include "sim/checkpoint.hpp"
#include "sim/config/lower_util.hpp"
#include "sim/config/plugin.hpp"
#include "sim/config/run.hpp"
#include "sim/config/session.hpp"

namespace delaysim::config {
namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
}

}  // namespace

void Session::set_origin(const std::string& config_path, std::vector<std::string> sets) {
    origin_path_ = absolute(config_path);
    origin_sets_ = std::move(sets);
    // The file's own text (config_text_ has the overrides appended), read now,
    // just after loading: an edit made later makes the checkpoint unresumable.
    origin_hash_ = sim::fnv1a(file_text(origin_path_));
}

void Session::checkpoint(const std::string& path) {
    if (origin_path_.empty())
        throw sim::UserError(
            "checkpoint: this simulation was built from text (loads() or a Network), not from a model "
            "file, and a checkpoint resumes from its model file; write the TOML (config_toml or "
            "Network.to_toml()) to a file and load() that to take checkpoints");
    if (failed_)
        throw sim::UserError("checkpoint: this simulation was stopped by an error; it cannot run on");
    const std::vector<std::string> refused = sim_->not_checkpointable();
    if (!refused.empty())
        throw sim::UserError("cannot checkpoint this network: " + join(refused) +
                             " does not implement save_state/restore_state (README \"Checkpoints\")");
    if (!(t() < t_stop_))
        throw sim::UserError("checkpoint: the run has reached t_stop = " + sim::fmt_ms(t_stop_) +
                             "; a checkpoint is taken before the end");
    sim::CheckpointData d;
    sim::CheckpointMeta& m = d.meta;
    m.config_path = origin_path_;
    m.config_hash = origin_hash_;
    m.sets = origin_sets_;
    // Every plug-in loaded so far (load_plugin() and the config's `plugins`): the
    // CLI loads them before the config, as `--plugin` does; a second load of the
    // config's own is a no-op.
    for (const PluginInfo& p : loaded_plugins()) {
        m.plugins.push_back(p.path);
        m.loaded.push_back(p.path);
        m.loaded_hash.push_back(sim::fnv1a(file_text(p.path)));
    }
    m.t = t();
    m.t_text = fmt_num(t());
    m.t_stop = t_stop_;
    m.output = "<python session>";
    recorder_->flush();
    sim::Writer ws, wr;
    sim_->save(ws);
    recorder_->save(wr);
    d.simulation = std::move(ws.bytes());
    d.recorder = std::move(wr.bytes());
    sim::write_checkpoint(path, d);
}

std::unique_ptr<Session> Session::resume(const std::string& checkpoint) {
    const sim::SourceLocation here{checkpoint, 0, 0};
    sim::CheckpointData d = read_checkpoint_for_resume(checkpoint);
    const sim::CheckpointMeta& m = d.meta;
    for (const std::string& p : m.plugins) load_plugin(p, here);
    auto s = std::make_unique<Session>(load_config(m.config_path, m.sets));
    if (s->t_stop_ != m.t_stop)
        throw sim::UserError("the checkpoint's run ends at " + sim::fmt_ms(m.t_stop) + ", its config at " +
                                 sim::fmt_ms(s->t_stop_),
                             here);
    // (Unlike `delaysim resume`, no refusal of plug-ins the run did not load: a
    // Python process keeps every plug-in any earlier session loaded.)
    s->set_origin(m.config_path, m.sets);
    try {
        sim::Reader rr(d.recorder.data(), d.recorder.size());
        s->recorder_->restore(rr);
        if (!rr.done()) rr.fail("data after the recorded rows");
        sim::Reader rs(d.simulation.data(), d.simulation.size());
        s->sim_->restore(rs);
    } catch (const sim::CheckpointError& e) {
        throw sim::UserError(e.what(), here);
    }
    s->recorder_->mark_resumed(checkpoint, m.t);
    s->started_ = true;
    return s;
}

}  // namespace delaysim::config
