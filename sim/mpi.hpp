// MPI ranks (README "Parallel runs"): the few collective operations the run
// driver needs, behind an interface that also exists in a build without MPI
// (then there is one rank and every call is trivial).
//
// Design: every rank builds the whole network and runs the same driver. The
// nodes of batched populations have a static owner rank (sim/slices_ranks.cpp,
// Slices::setup_ranks); a rank expands spikes onto, sums the inputs of and
// advances only its own nodes, then the ranks exchange what those produced
// (spikes, rule changes, counters, the stop and error flags) in one allgather
// and merge it in the one-process order. Everything else (the replay's
// reports, the event-by-event loop of unbatched populations, synapse state)
// runs identically on every rank. The ranks meet once per lookahead window
// (whole slices shorter than the smallest delay bound across ranks,
// sim/slices_window.cpp) where the network allows it, else once per sub-slice,
// whose width h is at most the smallest delay onto batched populations.
//
// MPI_Init is called only when the process was started by mpirun (OpenMPI's
// OMPI_COMM_WORLD_SIZE or PMI_SIZE set): the plain binary and the Python
// module never touch MPI.
#pragma once
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace delaysim::sim::mpi {

// Whether this build has MPI ranks.
bool built_with_mpi();
// The world size mpirun announced in the environment (1 if none).
unsigned long launched_size();
// MPI_Init if launched under mpirun with several processes and built with MPI.
// Returns whether ranks are active. Call once, first thing in main.
bool init(int* argc, char*** argv);
void finalize();
int rank();  // 0 without ranks
int size();  // 1 without ranks

// The stop flag of a run with ranks: the process's own flag (set by its signal
// handler) is combined across ranks only at exchanges, so that all ranks stop
// at the same point. The simulation polls combined_stop().
void set_local_stop(const volatile std::sig_atomic_t* local);
bool local_stop();
const volatile std::sig_atomic_t* combined_stop();
void set_combined_stop();

// Every rank's bytes, concatenated in rank order; offsets[r] .. offsets[r + 1].
void allgather(const std::vector<char>& mine, std::vector<char>& all, std::vector<std::size_t>& offsets);
// The stop flag combined across ranks (a collective: every rank calls it at the same point).
void sync_stop();
// After code that may have thrown on some ranks only (e is this rank's
// exception, or null): a collective. If any rank failed, every rank throws a
// UserError with the lowest failing rank's message (only rank 0 prints it).
void agree(std::exception_ptr e);
// The message of an exception (for agree and the exchange).
std::string message_of(std::exception_ptr e);

// Leaving a run (README "Output, messages, stop"): the last collective of a
// run, which every rank calls once however its run ended (e: its exception,
// or null; sim/config/run.cpp). A rank that failed between two meetings (an
// observer, the recorder, the replay, ...) calls it at once instead of the
// next meeting; every collective (allgather, agree, sync_stop, the exchange)
// also carries whether its ranks have left, so the ranks still running learn
// of it at their next meeting and throw that rank's error (its kind kept:
// UserError, OutputError, else InternalError); no collective is made after
// that, so no rank waits for one that has gone. Returns what this rank ends
// with: e, else the lowest failing rank's error, else null.
std::exception_ptr leave(std::exception_ptr e);
// Whether this rank has made its last collective (MPI_Finalize is then safe).
bool left();

}  // namespace delaysim::sim::mpi
