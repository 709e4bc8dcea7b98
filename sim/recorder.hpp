// Writes a run to HDF5 in the fixed layout of DESIGN.md:
//   /                      attrs delaysim_version, config_toml, seed (uint64),
//                          t_stop_ms (float64), completed (bool: false until close(true))
//   /spikes/<pop>/         timestamps (float64, units="ms"), node_ids (uint64);
//                          group attr sorting="by_time"
//   /traces/<pop>/<var>/   time [n] (ms), node_ids, data [n, n_nodes] (attr units)
//   /synapses/<proj>/      synapse_ids, source_node_id, target_node_id (uint64)
//   /synapses/<proj>/<delay|weight>/   time [n] (ms), data [n, n_synapses] (attr units)
//       mode = "on_change" (SynapseMonitor::on_change): attr mode, n = 0, and
//       initial [n_synapses], the values at the start (changes: /plasticity)
//   /plasticity/<proj>/events/         time, synapse_id, variable, old, new, rule
// The four top-level groups always exist. Every dataset is chunked with an
// unlimited first dimension and filled from bounded in-memory blocks. Types and
// string/bool conventions: sim/h5_writer.hpp.
//
// Synapse monitors: `variables` are sampled at every sample time, `once` are
// written as one row (time = sim.now() when the recorder opens) — the loader
// puts there what no attached rule can change.
//
// Crash consistency: the file is created with its whole layout and
// completed = false and flushed (H5Fflush) before the run; it is flushed again
// when spec.flush_interval_s of wall time have passed (checked at the engine's
// progress calls, every 4096 events or samples) and at close, which sets
// completed. After SIGKILL the file opens in h5py and holds everything up to
// the last flush. Before every block it writes, the recorder checks that the
// disk and RLIMIT_FSIZE leave room for it plus what closing needs
// (h5::SpaceGuard); when not, it closes the file cleanly (readable, completed
// = false) and throws OutputError ("disk is full" / "file size limit"). A write
// that fails anyway (another process filled the disk) also throws OutputError,
// with the OS reason; the file is then abandoned as HDF5 left it (it may be
// unreadable; tests reach this path with DELAYSIM_TEST_NO_SPACE_GUARD set).
// A file that cannot be created is a UserError that says why (a directory, a
// missing or unwritable directory, another process holding the HDF5 file lock).
//
// Usage: Recorder rec(sim, spec); sim.add_observer(&rec);
//        sim.set_sample_interval(spec.interval); sim.run(t); rec.close(done);
// A Recorder not closed explicitly closes with completed=false on destruction.
#pragma once
#include <memory>
#include <set>
#include <utility>

#include "sim/observer.hpp"
#include "sim/record_spec.hpp"

namespace delaysim::sim {

class Simulation;
class Writer;
class Reader;

class Recorder : public Observer {
public:
    // Creates (truncates) spec.path; UserError "cannot create output file ..."
    // if that fails. The spec's indices must be valid for sim (DS_ASSERT).
    Recorder(const Simulation& sim, const RecordSpec& spec);
    ~Recorder() override;  // close(false) if still open; never throws
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Flush every buffer, set `completed`, close the file. Later calls and
    // later observer callbacks do nothing. Write errors become UserError.
    void close(bool completed);
    // Write the buffered rows and flush the file to disk.
    void flush();
    bool is_open() const { return impl_ != nullptr; }

    // Checkpoints (sim/checkpoint.hpp). save: every row recorded so far (spikes,
    // samples, plasticity events; read back from the file and the buffers). restore:
    // appends them to a recorder just opened on a Simulation built from the same
    // config, whose constructor wrote the layout and the one-off rows (ids,
    // `once` rows, on_change initial values) from the state at the start, as the
    // uninterrupted run did. CheckpointError if the layouts differ.
    void save(Writer& w);
    void restore(Reader& r);
    // Root attributes resumed_from (the checkpoint's path) and resumed_at_ms.
    void mark_resumed(const std::string& checkpoint, Time t);

    void on_spike(std::uint32_t population, Index node, Time t) override;
    void on_synapse_change(std::uint32_t projection, Index synapse, SynapseVariable var, double old_value,
                           double new_value, const std::string& by, Time t) override;
    void on_sample(Time t) override;
    bool reads_state(std::uint32_t population, Index node) const override;
    void on_progress(Time t) override;

private:
    [[noreturn]] void fail_write();
    [[noreturn]] void stop_no_space(const std::exception& e);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// What a Recorder tells the run, without its file: the nodes its traces
// sample (reads_state, which places the sampled nodes on rank 0 and keeps them
// out of superposition). MPI ranks other than 0 observe with it instead of a
// Recorder (sim/config/run.cpp): every rank takes the same decisions, and only
// rank 0 does the HDF5 work.
class TraceReads : public Observer {
public:
    explicit TraceReads(const RecordSpec& spec);
    bool reads_state(std::uint32_t population, Index node) const override;

private:
    std::set<std::pair<std::uint32_t, Index>> traced_;
};

}  // namespace delaysim::sim
