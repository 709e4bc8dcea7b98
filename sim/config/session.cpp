#include "sim/config/session.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "sim/config/lower_util.hpp"
#include "sim/h5_writer.hpp"

namespace delaysim::config {
namespace {

namespace fs = std::filesystem;

// A fresh private file name under the temporary directory ($TMPDIR).
std::string make_temp_path() {
    std::string pattern = (fs::temp_directory_path() / "delaysim_session_XXXXXX.h5").string();
    const int fd = ::mkstemps(pattern.data(), 3);
    if (fd < 0)
        throw sim::UserError("cannot create a temporary file under " + fs::temp_directory_path().string());
    ::close(fd);
    return pattern;
}

std::string fmt(double x) {
    return fmt_num(x);
}

}  // namespace

Session::Session(LoadedConfig config, bool open_ended)
    : config_text_(std::move(config.text)), t_stop_(config.lowered.t_stop), open_ended_(open_ended) {
    sim_ = make_simulation(config.lowered);
    // Chunks look ahead to t_stop as one run does: the same results to the bit.
    sim_->set_horizon(t_stop_);
    temp_path_ = make_temp_path();
    sim::RecordSpec spec = std::move(config.lowered.record);
    spec.path = temp_path_;
    spec.config_toml = config_text_;
    recorder_ = std::make_unique<sim::Recorder>(*sim_, spec);
    const std::size_t np = sim_->network().populations.size();
    log_.times.resize(np);
    log_.nodes.resize(np);
    sim_->add_observer(recorder_.get());
    sim_->add_observer(&log_);
    sim_->set_stop_flag(&stop_);
}

Session::~Session() {
    recorder_.reset();  // closes the file before it is removed
    std::error_code ec;
    fs::remove(temp_path_, ec);
}

void Session::add_rule(std::unique_ptr<plasticity::Rule> rule, std::vector<std::uint32_t> projections) {
    if (started_) throw sim::UserError("rules can only be added before the first run");
    for (std::uint32_t q : projections)
        if (q >= sim_->network().projections.size())
            throw sim::UserError("no projection number " + std::to_string(q));
    sim_->add_rule(std::move(rule), std::move(projections));
}

bool Session::run(sim::Time until) {
    if (failed_)
        throw sim::UserError("this simulation was stopped by an error at t = " + sim::fmt_ms(t()) +
                             "; its state can be read and saved, but it cannot run on");
    if (!std::isfinite(until) || !(until > t()))
        throw sim::UserError("run(until): until = " + fmt(until) +
                             " ms must be finite and after the current time " + sim::fmt_ms(t()));
    stop_ = 0;
    started_ = true;
    stopped_ = false;
    asked_ = std::max(asked_, until);
    bool reached = false;
    try {
        reached = sim_->run(until);
    } catch (...) {
        failed_ = true;
        try {
            recorder_->flush();
        } catch (...) {  // the first error is the one to report
        }
        throw;
    }
    stopped_ = !reached;
    recorder_->flush();
    return reached;
}

std::uint32_t Session::population_index(const std::string& name) const {
    const auto& pops = sim_->network().populations;
    std::string names;
    for (std::uint32_t p = 0; p < pops.size(); ++p) {
        if (pops[p]->name() == name) return p;
        names += (names.empty() ? "" : ", ") + pops[p]->name();
    }
    throw sim::UserError("no population named '" + name + "' (populations: " + names + ")");
}

std::uint32_t Session::projection_index(const std::string& name) const {
    const auto& projs = sim_->network().projections;
    std::string names;
    for (std::uint32_t q = 0; q < projs.size(); ++q) {
        if (projs[q].name() == name) return q;
        names += (names.empty() ? "" : ", ") + projs[q].name();
    }
    throw sim::UserError("no projection named '" + name +
                         "' (projections: " + (names.empty() ? "none" : names) + ")");
}

std::vector<double> Session::delays(std::uint32_t q) const {
    const sim::Projection& p = sim_->projection(q);
    std::vector<double> out(p.size());
    for (sim::Index s = 0; s < p.size(); ++s) out[s] = p.delay(s);
    return out;
}

std::vector<double> Session::weights(std::uint32_t q) const {
    const sim::Projection& p = sim_->projection(q);
    std::vector<double> out(p.size());
    for (sim::Index s = 0; s < p.size(); ++s) out[s] = p.weight(s);
    return out;
}

void Session::check_synapse(std::uint32_t q, sim::Index s) const {
    if (failed_) throw sim::UserError("this simulation was stopped by an error; it can be read, not changed");
    const sim::Projection& p = sim_->projection(q);
    if (s >= p.size())
        throw sim::UserError("projection '" + p.name() + "' has " + std::to_string(p.size()) +
                             " synapses; there is no synapse " + std::to_string(s));
}

void Session::set_delay(std::uint32_t q, sim::Index s, double d) {
    check_synapse(q, s);
    const sim::Projection& p = sim_->projection(q);
    const sim::DelayBounds& b = p.bounds();
    // The engine's own message speaks of a rule; name the bound for a user's write.
    if (b.policy == sim::BoundPolicy::Error && std::isfinite(d) && (d < b.min || d > b.max))
        throw sim::UserError("projection '" + p.name() + "': delay " + sim::fmt_ms(d) + " of synapse " +
                             std::to_string(s) + " is " +
                             (d < b.min ? "below delay_min_ms = " + sim::fmt_ms(b.min)
                                        : "above delay_max_ms = " + sim::fmt_ms(b.max)) +
                             " (bounds = \"error\")");
    static const std::string writer = kWriter;
    sim_->set_delay(q, s, d, writer);
}

void Session::set_weight(std::uint32_t q, sim::Index s, double w) {
    check_synapse(q, s);
    static const std::string writer = kWriter;
    sim_->set_weight(q, s, w, writer);
}

std::vector<double> Session::state(std::uint32_t pop, const std::string& var) const {
    const sim::Population& P = sim_->population(pop);
    const long v = P.variable_index(var);
    if (v < 0) {
        std::string names;
        for (const auto& info : P.variables()) names += (names.empty() ? "" : ", ") + info.name;
        throw sim::UserError("population '" + P.name() + "' (model " + P.model() + ") has no variable '" +
                             var + "' (variables: " + (names.empty() ? "none" : names) + ")");
    }
    // Superposed slices move nodes to the slice end at once (README, "Slice batching").
    const double h = sim_->slice_width();
    if (sim_->batched(pop) && t() < t_stop_ && static_cast<double>(std::llround(t() / h)) * h != t())
        throw sim::UserError("population '" + P.name() + "' is simulated in slices of " + sim::fmt_ms(h) +
                             ": its state is defined at multiples of " + sim::fmt_ms(h) +
                             " and at t_stop; run to one of those (or set simulation.batching = false)");
    std::vector<double> out(P.size());
    for (sim::Index i = 0; i < P.size(); ++i) out[i] = P.value(i, static_cast<std::size_t>(v), t());
    return out;
}

void Session::save(const std::string& path) {
    recorder_->flush();  // the temporary file is now complete on disk
    std::error_code ec;
    if (fs::exists(path, ec) && fs::equivalent(path, temp_path_, ec))
        throw sim::UserError("cannot save onto the session's own file");
    fs::copy_file(temp_path_, path, fs::copy_options::overwrite_existing, ec);
    if (ec) throw sim::UserError("cannot write output file '" + path + "': " + ec.message());
    try {
        H5::H5File f(path, H5F_ACC_RDWR);
        sim::h5::write_bool_attr(f, "completed", completed());
        if (open_ended_) {
            f.removeAttr("t_stop_ms");
            sim::h5::write_attr(f, "t_stop_ms", double{t_stop()});
        }
        f.close();
    } catch (const H5::Exception& e) {
        throw sim::UserError("cannot write output file '" + path + "': " + e.getDetailMsg());
    }
}

}  // namespace delaysim::config
