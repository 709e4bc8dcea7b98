// Run or validate a model file exactly as `delaysim run` / `delaysim validate`
// do: load (with --set overrides), build the simulation, record to HDF5, honour
// a stop flag, map the outcome to an exit status. The CLI, the tests, the
// benchmark and the Python module all go through these two functions.
#pragma once
#include <csignal>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/error.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {
struct CheckpointMeta;
struct CheckpointData;
}  // namespace delaysim::sim

namespace delaysim::config {

inline constexpr int kExitOk = 0, kExitInternal = 1, kExitBadInput = 2, kExitInterrupted = 130;

struct RunOptions {
    std::string config;                                // path of the model file
    std::vector<std::string> sets;                     // --set key.path=value
    std::optional<std::string> output;                 // -o; else simulation.output, else out/<stem>.h5
    bool quiet = false;                                // no progress, no summary
    bool terminal = false;                             // the message stream is a terminal (progress bar)
    const volatile std::sig_atomic_t* stop = nullptr;  // polled during the run (signals)
    std::vector<std::string> plugins;                  // --plugin PATH, loaded before the config
    bool strict = false;                               // --strict: warnings are errors
    // Checkpoints (README "Checkpoints"): --checkpoint-at T1,T2,... (ms, as
    // written; each 0 < T < t_stop) into --checkpoint-dir D as D/<config stem>_<T>.ckpt.
    std::vector<std::string> checkpoint_at;
    std::string checkpoint_dir;
};

struct RunResult {
    int exit_code = kExitOk;  // kExitOk or kExitInterrupted
    bool completed = false;
    std::string output;       // path of the HDF5 file written
    sim::Time t_reached = 0;  // ms
    std::uint64_t spikes = 0, events = 0;
};

// Bad input throws sim::UserError (located); the file written so far is then
// closed with completed = false. A failed write (disk full, file size limit)
// throws sim::OutputError (exit 1). Warnings, progress and the summary go to `err`.
RunResult run_config(const RunOptions& options, std::ostream& err);

// `delaysim resume CKPT`: the run the checkpoint was taken from, continued from
// its time to t_stop (options.config, sets and plugins are ignored: the
// checkpoint names them; output, quiet, stop and the checkpoint options apply).
// A checkpoint of another version or whose config or plug-ins changed since is
// a sim::UserError located at the checkpoint, naming what differs.
RunResult resume_config(const std::string& checkpoint, const RunOptions& options, std::ostream& err);
// What checkpoints record of their sources (shared with the Python package's
// checkpoints): a file's whole text ("" if unreadable), and an absolute,
// normalised path (the path itself if that fails).
std::string file_text(const std::string& path);
std::string absolute(const std::string& path);

// The checks resume makes before loading (shared with the Python package's
// resume): the config file still exists with the same text, and every plug-in
// the run loaded is unchanged. sim::UserError located at `here`.
void check_checkpoint_sources(const sim::CheckpointMeta& meta, const sim::SourceLocation& here);
// Reads a checkpoint for resume (shared likewise): its errors as sim::UserError
// located at the checkpoint, then check_checkpoint_sources.
sim::CheckpointData read_checkpoint_for_resume(const std::string& checkpoint);

// Every check run_config makes, without running (the Simulation is built, the
// output path checked); returns the one-line summary. Warnings go to `err`
// ("FILE:LINE:COL: warning: ..."); the first overload prints them to std::cerr.
std::string validate_config(const RunOptions& options);
std::string validate_config(const RunOptions& options, std::ostream& err);

// Output path: -o, else simulation.output, else out/<config stem>.h5.
std::string output_path(const std::string& config, const std::string* from_config,
                        const std::string* from_cli);

}  // namespace delaysim::config
