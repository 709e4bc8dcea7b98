#include "sim/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sim/error.hpp"

namespace delaysim::sim {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'C', 'K', 'P', 'T', '\r', '\n'};
constexpr std::uint32_t kMeta = 0x4154454d, kSim = 0x204d4953, kRec = 0x20434552;  // "META", "SIM ", "REC "

void section(Writer& w, std::uint32_t tag, const std::string& bytes) {
    w.put(tag);
    w.put(bytes);
}

std::string section(Reader& r, std::uint32_t tag, const char* what) {
    if (r.get<std::uint32_t>() != tag) r.fail(std::string("the ") + what + " section is missing");
    return r.get_string();
}

}  // namespace

std::uint64_t fnv1a(const char* data, std::size_t n, std::uint64_t h) {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(data[i]);
        h *= 0x100000001b3ULL;
    }
    return h;
}

void CheckpointMeta::save(Writer& w) const {
    w.put(config_path);
    w.put(config_hash);
    w.put_nested(sets);
    w.put_nested(plugins);
    w.put_nested(loaded);
    w.put(loaded_hash);
    w.put(t);
    w.put(t_text);
    w.put(t_stop);
    w.put(output);
}

void CheckpointMeta::restore(Reader& r) {
    r.get(config_path);
    r.get(config_hash);
    r.get_nested(sets);
    r.get_nested(plugins);
    r.get_nested(loaded);
    r.get(loaded_hash, loaded.size(), "the plug-in fingerprints");
    r.get(t);
    r.get(t_text);
    r.get(t_stop);
    r.get(output);
    if (!(t >= 0.0 && t < t_stop)) r.fail("a checkpoint time outside the run");
}

void write_checkpoint(const std::string& path, const CheckpointData& data) {
    Writer payload;
    Writer meta;
    data.meta.save(meta);
    section(payload, kMeta, meta.bytes());
    section(payload, kSim, data.simulation);
    section(payload, kRec, data.recorder);
    Writer head;
    head.raw(kMagic, sizeof kMagic);
    head.put(kCheckpointFormat);
    head.put(std::string(DELAYSIM_VERSION));
    head.put<std::uint64_t>(payload.bytes().size());
    const std::uint64_t sum = fnv1a(payload.bytes());

    const std::string tmp = path + ".partial";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(head.bytes().data(), static_cast<std::streamsize>(head.bytes().size()));
        out.write(payload.bytes().data(), static_cast<std::streamsize>(payload.bytes().size()));
        out.write(reinterpret_cast<const char*>(&sum), sizeof sum);
        out.flush();
        if (!out) {
            const std::string why = std::strerror(errno);
            std::remove(tmp.c_str());
            throw UserError("cannot write checkpoint '" + path + "': " + why);
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw UserError("cannot write checkpoint '" + path + "': " + why);
    }
}

CheckpointData parse_checkpoint(const std::string& bytes) {
    Reader r(bytes.data(), bytes.size());
    char magic[sizeof kMagic];
    if (bytes.size() < sizeof kMagic) throw CheckpointError("not a delaysim checkpoint (too short)");
    r.raw(magic, sizeof magic);
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) throw CheckpointError("not a delaysim checkpoint");
    const auto format = r.get<std::uint32_t>();
    if (format != kCheckpointFormat)
        throw CheckpointError("checkpoint format " + std::to_string(format) +
                              ", this delaysim reads format " + std::to_string(kCheckpointFormat));
    // Bounded: a corrupt length must not make a huge string.
    const std::size_t vlen = r.length(1);
    if (vlen > 256) r.fail("a version string of " + std::to_string(vlen) + " bytes");
    std::string version(vlen, '\0');
    r.raw(version.data(), vlen);
    if (version != DELAYSIM_VERSION)
        throw CheckpointError("checkpoint written by delaysim " + version + ", this is delaysim " +
                              DELAYSIM_VERSION + " (resume it with that version)");
    const auto n = r.get<std::uint64_t>();
    if (n > r.remaining() || r.remaining() - n != sizeof(std::uint64_t))
        throw CheckpointError(std::string(n + 8 > r.remaining() ? "checkpoint is truncated"
                                                                : "checkpoint has bytes after its end") +
                              ": its payload is " + std::to_string(n) + " bytes, the file holds " +
                              std::to_string(r.remaining() >= 8 ? r.remaining() - 8 : 0));
    const std::size_t at = bytes.size() - r.remaining();
    std::uint64_t sum;
    std::memcpy(&sum, bytes.data() + at + n, sizeof sum);
    if (fnv1a(bytes.data() + at, n) != sum)
        throw CheckpointError("checkpoint is corrupt: its checksum does not match its contents");
    Reader p(bytes.data() + at, n);
    CheckpointData d;
    const std::string meta = section(p, kMeta, "META");
    Reader m(meta.data(), meta.size());
    d.meta.restore(m);
    if (!m.done()) m.fail("data after the run's description");
    d.simulation = section(p, kSim, "SIM");
    d.recorder = section(p, kRec, "REC");
    if (!p.done()) p.fail("data after the last section");
    return d;
}

CheckpointData read_checkpoint(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError("cannot read checkpoint '" + path + "': " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) throw UserError("cannot read checkpoint '" + path + "': read error");
    return parse_checkpoint(s.str());
}

}  // namespace delaysim::sim
