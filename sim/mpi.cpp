#include "sim/mpi.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "sim/error.hpp"

#ifdef DELAYSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace delaysim::sim::mpi {

namespace {
int g_rank = 0, g_size = 1;
bool g_active = false;
const volatile std::sig_atomic_t* g_local = nullptr;
volatile std::sig_atomic_t g_combined = 0;

// What each rank's block announces besides its size (leave()).
enum Status : std::uint64_t { kRunning = 0, kLeftOk = 1, kLeftUser = 2, kLeftOutput = 3, kLeftInternal = 4 };
std::uint64_t g_status = kRunning;  // this rank's, in its next block
bool g_left = false;                // no more collectives from this rank
std::vector<std::uint64_t> g_seen;  // every rank's status in the last collective

Status status_of(std::exception_ptr e) {
    if (!e) return kLeftOk;
    try {
        std::rethrow_exception(e);
    } catch (const UserError&) {
        return kLeftUser;
    } catch (const OutputError&) {
        return kLeftOutput;
    } catch (...) {
        return kLeftInternal;
    }
}

// The error of the lowest rank that left with one in the last collective (its
// block holds the message), or null.
std::exception_ptr error_of_left(const std::vector<char>& all, const std::vector<std::size_t>& offsets) {
    for (std::size_t r = 0; r < g_seen.size(); ++r) {
        if (g_seen[r] < kLeftUser) continue;
        const std::string m = "on MPI rank " + std::to_string(r) + ": " +
                              std::string(all.data() + offsets[r], all.data() + offsets[r + 1]);
        if (g_seen[r] == kLeftUser) return std::make_exception_ptr(UserError(m));
        if (g_seen[r] == kLeftOutput) return std::make_exception_ptr(OutputError(m));
        return std::make_exception_ptr(InternalError(m));
    }
    return nullptr;
}
}  // namespace

bool built_with_mpi() {
#ifdef DELAYSIM_HAVE_MPI
    return true;
#else
    return false;
#endif
}

unsigned long launched_size() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* v = std::getenv(name)) return std::strtoul(v, nullptr, 10);
    return 1;
}

bool init([[maybe_unused]] int* argc, [[maybe_unused]] char*** argv) {
#ifdef DELAYSIM_HAVE_MPI
    if (launched_size() <= 1) return false;
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_active = g_size > 1;
    return g_active;
#else
    return false;
#endif
}

void finalize() {
#ifdef DELAYSIM_HAVE_MPI
    if (g_active) MPI_Finalize();
    g_active = false;
#endif
}

int rank() {
    return g_rank;
}
int size() {
    return g_size;
}

void set_local_stop(const volatile std::sig_atomic_t* local) {
    g_local = local;
}
bool local_stop() {
    return g_local && *g_local;
}
const volatile std::sig_atomic_t* combined_stop() {
    return &g_combined;
}
void set_combined_stop() {
    g_combined = 1;
}

void allgather(const std::vector<char>& mine, std::vector<char>& all, std::vector<std::size_t>& offsets) {
#ifdef DELAYSIM_HAVE_MPI
    if (g_active) {
        // Every collective is a synchronisation of all ranks, which costs more
        // than the bytes at the exchange sizes of a sub-slice: one fixed-size
        // MPI_Allgather carries each rank's size and its first kBlock bytes, and
        // only if some rank has more, an MPI_Allgatherv carries the rest.
        // Each block starts with the size and the rank's status (leave()).
        constexpr std::size_t kHead = 2 * sizeof(std::uint64_t), kBlock = 2048, kSlot = kBlock + kHead;
        if (g_left) throw InternalError("MPI: a collective after this rank left the run");
        if (mine.size() > static_cast<std::size_t>(INT32_MAX))
            throw UserError("MPI exchange of more than 2 GiB in one window: use fewer ranks' worth of nodes");
        const auto R = static_cast<std::size_t>(g_size);
        static std::vector<char> block, blocks;  // (reused: one exchange per sub-slice)
        block.assign(kSlot, 0);
        const std::uint64_t n = mine.size();
        std::memcpy(block.data(), &n, sizeof n);
        std::memcpy(block.data() + sizeof n, &g_status, sizeof g_status);
        if (n > 0)  // (an empty vector's data() may be null: memcpy's arguments must not be)
            std::memcpy(block.data() + kHead, mine.data(), std::min<std::size_t>(n, kBlock));
        blocks.resize(kSlot * R);
        MPI_Allgather(block.data(), static_cast<int>(kSlot), MPI_BYTE, blocks.data(), static_cast<int>(kSlot),
                      MPI_BYTE, MPI_COMM_WORLD);
        std::vector<std::size_t> size(R);
        offsets.assign(R + 1, 0);
        g_seen.assign(R, kRunning);
        bool more = false;
        for (std::size_t r = 0; r < R; ++r) {
            std::uint64_t s = 0;
            std::memcpy(&s, blocks.data() + r * kSlot, sizeof s);
            std::memcpy(&g_seen[r], blocks.data() + r * kSlot + sizeof s, sizeof s);
            size[r] = static_cast<std::size_t>(s);
            offsets[r + 1] = offsets[r] + size[r];
            more = more || size[r] > kBlock;
        }
        all.resize(offsets.back());
        for (std::size_t r = 0; r < R; ++r)
            if (size[r] > 0)
                std::memcpy(all.data() + offsets[r], blocks.data() + r * kSlot + kHead,
                            std::min(size[r], kBlock));
        if (more) {
            std::vector<int> counts(R), displs(R);
            std::size_t total = 0;
            for (std::size_t r = 0; r < R; ++r) {
                counts[r] = static_cast<int>(size[r] > kBlock ? size[r] - kBlock : 0);
                displs[r] = static_cast<int>(total);
                total += static_cast<std::size_t>(counts[r]);
            }
            if (total > static_cast<std::size_t>(INT32_MAX))
                throw UserError(
                    "MPI exchange of more than 2 GiB in one window: use fewer ranks' worth of nodes");
            std::vector<char> rest(total);
            const int mine_rest = static_cast<int>(n > kBlock ? n - kBlock : 0);
            MPI_Allgatherv(mine.data() + std::min<std::size_t>(n, kBlock), mine_rest, MPI_BYTE, rest.data(),
                           counts.data(), displs.data(), MPI_BYTE, MPI_COMM_WORLD);
            for (std::size_t r = 0; r < R; ++r)
                if (counts[r] > 0)
                    std::memcpy(all.data() + offsets[r] + kBlock, rest.data() + displs[r],
                                static_cast<std::size_t>(counts[r]));
        }
        // A rank that has left makes no more collectives: a running rank stops
        // here with its error (leave() reads the statuses itself).
        if (g_status == kRunning)
            for (std::size_t r = 0; r < R; ++r)
                if (g_seen[r] != kRunning) {
                    g_left = true;
                    if (std::exception_ptr e = error_of_left(all, offsets)) std::rethrow_exception(e);
                    throw InternalError("MPI rank " + std::to_string(r) +
                                        " ended its run while this rank was still running");
                }
        return;
    }
#endif
    all = mine;
    offsets = {0, mine.size()};
}

void sync_stop() {
#ifdef DELAYSIM_HAVE_MPI
    if (!g_active) return;
    // (An allgather, not an MPI_Allreduce: every collective must be able to
    // meet a rank's leave().)
    const std::vector<char> mine(1, local_stop() ? 1 : 0);
    std::vector<char> all;
    std::vector<std::size_t> offsets;
    allgather(mine, all, offsets);
    if (std::any_of(all.begin(), all.end(), [](char c) { return c != 0; })) g_combined = 1;
#endif
}

std::string message_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "unexpected exception";
    }
}

void agree(std::exception_ptr e) {
    if (!g_active) {
        if (e) std::rethrow_exception(e);
        return;
    }
    std::vector<char> mine, all;
    std::vector<std::size_t> offsets;
    if (e) {
        const std::string m = message_of(e);
        mine.push_back(1);
        mine.insert(mine.end(), m.begin(), m.end());
    }
    allgather(mine, all, offsets);
    for (std::size_t r = 0; r + 1 < offsets.size(); ++r)
        if (offsets[r + 1] > offsets[r])
            throw UserError(std::string(all.data() + offsets[r] + 1, all.data() + offsets[r + 1]));
}

std::exception_ptr leave(std::exception_ptr e) {
    if (!g_active || g_left) return e;
    std::vector<char> all;
    std::vector<std::size_t> offsets;
    const std::string m = e ? message_of(e) : std::string();
    g_status = status_of(e);
    allgather(std::vector<char>(m.begin(), m.end()), all, offsets);
    g_left = true;
    return e ? e : error_of_left(all, offsets);
}

bool left() {
    return g_left;
}

}  // namespace delaysim::sim::mpi
