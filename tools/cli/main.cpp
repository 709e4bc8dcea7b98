// delaysim entry point: signal handlers, then tools/cli/commands.cpp.
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "tools/cli/commands.hpp"

namespace {

// The one global: a signal handler can reach nothing else. Simulation polls it
// once per event and stops cleanly (the recorder then closes with completed=false).
volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int sig) {
    g_stop = 1;
    std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

// Started by mpirun as one of several processes: this build has no MPI ranks
// (README "Parallel runs"), and each process would write the same file.
// OpenMPI sets OMPI_COMM_WORLD_SIZE, MPICH and others PMI_SIZE.
unsigned long mpi_world_size() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* v = std::getenv(name)) return std::strtoul(v, nullptr, 10);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (const unsigned long ranks = mpi_world_size(); ranks > 1) {
            std::fprintf(
                stderr,
                "delaysim: error: started as one of %lu MPI processes (mpirun -np %lu), but MPI ranks "
                "are not supported yet (README \"Parallel runs\"): run one process, with --threads N "
                "for more cores\n",
                ranks, ranks);
            return 2;
        }
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        // Past the file size limit (ulimit -f) a write then fails with EFBIG and
        // the run ends with a message, instead of the process being killed.
        std::signal(SIGXFSZ, SIG_IGN);
        const std::vector<std::string> args(argv + 1, argv + argc);
        const int code = delaysim::cli::run_cli(args, std::cout, std::cerr, &g_stop, isatty(2) != 0);
        if (code == 1) {
            // After a failed write, HDF5's own exit handler can crash on the file
            // it could not close; every file is closed or abandoned by now.
            std::cout.flush();
            std::cerr.flush();
            std::_Exit(code);
        }
        return code;
    } catch (...) {
        std::fputs("delaysim: internal error: unexpected exception\n", stderr);
        return 1;
    }
}
