// A simulation held open between calls (the Python module's core, usable from
// C++ too): built from a loaded config, it owns the Simulation and a Recorder
// writing to a private temporary file, and runs in chunks.
//
//   Session s(load_config("configs/two_neuron_delay_learning.toml"));
//   s.run(520);                        // absolute time; [t, 520) is simulated
//   s.set_delay(s.projection_index("sg2_n1"), 0, 3.0);   // through the bounds, logged in /plasticity
//   s.run(1040);                       // the same spikes as one run to 1040 (without the write)
//   s.save("out/run.h5");              // the file of the run so far
//
// save() writes the DESIGN.md layout; its `completed` attribute says whether the
// run reached t_stop (the config's, or for an open-ended session the last time
// asked for) without being stopped or failing. Spikes are also kept in memory
// (spike_times/spike_nodes) for quick reads.
//
// Errors: bad names, indices and refused writes are sim::UserError. An
// exception that escapes run() (a rule's error, a refused delay) leaves the
// session failed: its state and file stay readable and savable (completed =
// false), but it cannot run on.
#pragma once
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/config/loader.hpp"
#include "sim/recorder.hpp"
#include "sim/simulation.hpp"

namespace delaysim::config {

class Session {
public:
    // `open_ended`: the config's t_stop_ms is a placeholder (a network built in
    // code); t_stop is then the last `until` asked for.
    explicit Session(LoadedConfig config, bool open_ended = false);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Attach a further rule (e.g. one written in Python); only before the first run.
    void add_rule(std::unique_ptr<plasticity::Rule> rule, std::vector<std::uint32_t> projections);
    // Observers see every later run (e.g. a progress callback).
    void add_observer(sim::Observer* o) { sim_->add_observer(o); }

    // Process every event with t < until (absolute ms, > t()). false: stopped by
    // request_stop() (or the stop flag), at an event boundary; the session can
    // run on from there.
    bool run(sim::Time until);
    // Safe from a signal handler or another thread; cleared at the next run().
    void request_stop() { stop_ = 1; }

    sim::Time t() const { return sim_->now(); }
    sim::Time t_stop() const { return open_ended_ ? asked_ : t_stop_; }
    bool started() const { return started_; }
    bool failed() const { return failed_; }
    bool completed() const { return !failed_ && !stopped_ && started_ && t() >= t_stop(); }
    const std::string& config_text() const { return config_text_; }

    std::uint32_t population_index(const std::string& name) const;
    std::uint32_t projection_index(const std::string& name) const;
    const sim::Simulation& simulation() const { return *sim_; }
    sim::Simulation& simulation() { return *sim_; }

    // Every spike so far of one population, in time order.
    const std::vector<double>& spike_times(std::uint32_t population) const { return log_.times[population]; }
    const std::vector<std::uint64_t>& spike_nodes(std::uint32_t population) const {
        return log_.nodes[population];
    }

    std::vector<double> delays(std::uint32_t projection) const;
    std::vector<double> weights(std::uint32_t projection) const;
    // Writes through Simulation::set_delay/set_weight: the projection's bounds
    // apply (clamp, wrap, or a UserError naming the bound for "error"), retime
    // moves spikes in flight, and each change is reported as a /plasticity event
    // with rule = kWriter at the current time.
    void set_delay(std::uint32_t projection, sim::Index synapse, double d);
    void set_weight(std::uint32_t projection, sim::Index synapse, double w);
    static constexpr const char* kWriter = "user";

    // Variable `var` of every node of a neuron population at t().
    std::vector<double> state(std::uint32_t population, const std::string& var) const;

    // A complete HDF5 file of the run so far (overwrites `path`).
    void save(const std::string& path);

    // Checkpoints (README "Checkpoints", sim/config/session_checkpoint.cpp). A
    // session loaded from a model file (set_origin: the path and --set
    // overrides it was loaded with) writes at t() a checkpoint that `delaysim
    // resume` accepts; resume() builds a session continuing one (the CLI's or
    // its own) with the same checks as `delaysim resume`. A session built from
    // text has no file to resume from and is refused; so are rules or models
    // without save_state/restore_state (e.g. Python rules), by name.
    void set_origin(const std::string& config_path, std::vector<std::string> sets);
    void checkpoint(const std::string& path);
    static std::unique_ptr<Session> resume(const std::string& checkpoint);

private:
    struct SpikeLog : sim::Observer {
        std::vector<std::vector<double>> times;
        std::vector<std::vector<std::uint64_t>> nodes;
        void on_spike(std::uint32_t p, sim::Index i, sim::Time t) override {
            times[p].push_back(t);
            nodes[p].push_back(i);
        }
        bool reads_state(std::uint32_t, sim::Index) const override { return false; }
    };
    void check_synapse(std::uint32_t projection, sim::Index synapse) const;

    std::string config_text_;
    std::string origin_path_;  // absolute; empty: built from text
    std::vector<std::string> origin_sets_;
    std::uint64_t origin_hash_ = 0;
    sim::Time t_stop_;
    bool open_ended_;
    sim::Time asked_ = 0.0;
    std::string temp_path_;
    std::unique_ptr<sim::Simulation> sim_;
    std::unique_ptr<sim::Recorder> recorder_;
    SpikeLog log_;
    volatile std::sig_atomic_t stop_ = 0;
    bool started_ = false, failed_ = false, stopped_ = false;
};

}  // namespace delaysim::config
