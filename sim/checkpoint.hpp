// The checkpoint file (README "Checkpoints"): one run's whole state at a time
// T between events, from which `delaysim resume` continues to t_stop with the
// results of the uninterrupted run, bit for bit.
//
// Layout (all integers in the machine's byte order; see sim/serialize.hpp):
//   magic        8 bytes "DSCKPT\r\n"
//   format       u32, kCheckpointFormat
//   version      string (u64 length + bytes): the delaysim version that wrote it
//   payload      u64 length, then sections: u32 tag, u64 length, bytes
//                  'META' CheckpointMeta (what was run, and where it stopped)
//                  'SIM ' Simulation::save
//                  'REC ' Recorder::save (every row recorded up to T)
//   checksum     u64, FNV-1a over the payload
// read_checkpoint checks them in this order: a file of another version is
// refused as such (naming both) before its checksum is looked at; a truncated
// or changed file fails the length or checksum check. Every failure is a
// CheckpointError with a message for the user.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/serialize.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

inline constexpr std::uint32_t kCheckpointFormat = 1;

// 64-bit FNV-1a: the checksum, and the fingerprint of config text and plug-ins.
std::uint64_t fnv1a(const char* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL);
inline std::uint64_t fnv1a(const std::string& s) {
    return fnv1a(s.data(), s.size());
}

struct CheckpointMeta {
    std::string config_path;           // the model file, absolute
    std::uint64_t config_hash = 0;     // fnv1a of its text
    std::vector<std::string> sets;     // --set overrides, in order
    std::vector<std::string> plugins;  // --plugin paths (absolute), loaded before the config
    // Every plug-in loaded for the run (--plugin and the config's `plugins`), absolute, with fnv1a of its
    // file.
    std::vector<std::string> loaded;
    std::vector<std::uint64_t> loaded_hash;
    Time t = 0.0;        // ms: where the run stopped
    std::string t_text;  // T as given on the command line
    Time t_stop = 0.0;   // ms
    std::string output;  // the output file of the run that wrote it (for messages)

    void save(Writer& w) const;
    void restore(Reader& r);
};

struct CheckpointData {
    CheckpointMeta meta;
    std::string simulation;  // Simulation::save
    std::string recorder;    // Recorder::save
};

// Write atomically (a temporary file renamed into place): a crash while
// writing leaves no half checkpoint under the final name. UserError if the
// file cannot be written (the reason in words).
void write_checkpoint(const std::string& path, const CheckpointData& data);
// Parse bytes (the fuzz harness) or a file. CheckpointError: another format or
// version, truncated, corrupt; UserError: the file cannot be read.
CheckpointData parse_checkpoint(const std::string& bytes);
CheckpointData read_checkpoint(const std::string& path);

}  // namespace delaysim::sim
