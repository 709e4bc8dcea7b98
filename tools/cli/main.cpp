// delaysim entry point: signal handlers, then tools/cli/commands.cpp.
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "sim/mpi.hpp"
#include "tools/cli/commands.hpp"

namespace {

// The one global: a signal handler can reach nothing else. Simulation polls it
// once per event and stops cleanly (the recorder then closes with completed=false).
volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int sig) {
    g_stop = 1;
    std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

}  // namespace

int main(int argc, char** argv) {
    try {
        // Started by mpirun as one of several processes (OpenMPI sets
        // OMPI_COMM_WORLD_SIZE, MPICH and others PMI_SIZE): ranks if this build
        // has MPI; otherwise refused, since each process would write the same file.
        namespace mpi = delaysim::sim::mpi;
        if (const unsigned long ranks = mpi::launched_size(); ranks > 1 && !mpi::built_with_mpi()) {
            std::fprintf(stderr,
                         "delaysim: error: started as one of %lu MPI processes (mpirun -np %lu), but this "
                         "build has no MPI ranks (README \"Parallel runs\": install libopenmpi-dev and "
                         "configure with -DDELAYSIM_MPI=ON): run one process, with --threads N for more "
                         "cores\n",
                         ranks, ranks);
            return 2;
        }
        const bool ranked = mpi::init(&argc, &argv);
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        // Past the file size limit (ulimit -f) a write then fails with EFBIG and
        // the run ends with a message, instead of the process being killed.
        std::signal(SIGXFSZ, SIG_IGN);
        const std::vector<std::string> args(argv + 1, argv + argc);
        // Under MPI ranks only rank 0 speaks (the others' messages are rank 0's
        // too: errors are agreed on, sim/mpi.hpp), and the stop flag the run
        // polls is the one combined across ranks at each exchange.
        std::ostream quiet(nullptr);
        const bool speaks = mpi::rank() == 0;
        const volatile std::sig_atomic_t* stop = &g_stop;
        if (ranked) {
            mpi::set_local_stop(&g_stop);
            stop = mpi::combined_stop();
        }
        const int code = delaysim::cli::run_cli(args, speaks ? std::cout : quiet, speaks ? std::cerr : quiet,
                                                stop, speaks && isatty(2) != 0);
        // A clean finalize once every rank has left the run (sim/mpi.hpp,
        // leave), or when none failed; not after an internal error outside a run.
        if (ranked && (code != 1 || mpi::left())) mpi::finalize();
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
