#include "sim/mpi.hpp"

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
        std::vector<int> counts(static_cast<std::size_t>(g_size)), displs(counts.size());
        if (mine.size() > static_cast<std::size_t>(INT32_MAX))
            throw UserError("MPI exchange of more than 2 GiB in one window: use fewer ranks' worth of nodes");
        const int n = static_cast<int>(mine.size());
        MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
        offsets.assign(counts.size() + 1, 0);
        for (std::size_t r = 0; r < counts.size(); ++r) {
            displs[r] = static_cast<int>(offsets[r]);
            offsets[r + 1] = offsets[r] + static_cast<std::size_t>(counts[r]);
        }
        all.resize(offsets.back());
        MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE,
                       MPI_COMM_WORLD);
        return;
    }
#endif
    all = mine;
    offsets = {0, mine.size()};
}

std::uint64_t sum(std::uint64_t x) {
#ifdef DELAYSIM_HAVE_MPI
    if (!g_active) return x;
    std::uint64_t all = 0;
    MPI_Allreduce(&x, &all, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return all;
#else
    return x;
#endif
}

void sync_stop() {
#ifdef DELAYSIM_HAVE_MPI
    if (!g_active) return;
    int mine = local_stop() ? 1 : 0, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) g_combined = 1;
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

}  // namespace delaysim::sim::mpi
