// Threads for the slice machinery (README "Parallel runs"): a small persistent
// pool that runs one function on every lane and waits for all of them, and the
// per-thread state (a Lane) the node phase of a slice writes instead of shared
// fields.
//
// Why a pool and not a thread per slice: slices are short (0.1 ms of network
// time, often well under a millisecond of work), so starting threads per slice
// would cost more than the work. Lane 0 is the calling thread; the workers sleep
// on a condition variable between phases, after a short spin (a phase follows
// the last one within microseconds in busy networks).
//
// Bit-identical results for any number of threads: each lane owns a contiguous
// range of the nodes (sim/slices.hpp, BatchState::Part) and takes its runs in
// node order, appends its spikes and rule changes to its own buffers, and the
// buffers are concatenated in lane order, which is the serial order again.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/types.hpp"

namespace delaysim::sim {

// What one thread of a node phase counts and stamps, summed or merged by the
// caller afterwards. Set for the thread by Lane::Scope (NodeCore reads it).
struct Lane {
    Time now = 0.0;  // the time of the hook being run (rules' writes are stamped with it)
    std::uint64_t n_events = 0, n_deliveries = 0, n_superposed = 0, n_spikes = 0;
    static Lane* current();  // nullptr outside a parallel node phase (inline below)
    struct Scope {
        explicit Scope(Lane* lane);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        Lane* saved;
    };
};

namespace detail {
// initial-exec: one load from the thread pointer (the node core reads it per delivery).
extern constinit thread_local Lane* current_lane __attribute__((tls_model("initial-exec")));
}  // namespace detail
inline Lane* Lane::current() {
    return detail::current_lane;
}

class ThreadPool {
public:
    // n lanes: the caller and n - 1 workers (n >= 1).
    explicit ThreadPool(unsigned n);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    unsigned size() const { return n_; }
    // f(lane) for every lane in [0, size()), lane 0 on the calling thread; returns
    // when all are done. An exception of a lane is rethrown here (the lowest lane's).
    void run(const std::function<void(unsigned)>& f);

private:
    void work(unsigned lane);
    unsigned n_;
    std::vector<std::thread> threads_;
    std::mutex m_;
    std::condition_variable wake_, done_;
    const std::function<void(unsigned)>* job_ = nullptr;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<unsigned> pending_{0};
    bool stop_ = false;
    std::vector<std::exception_ptr> errors_;
};

// The number of threads `threads = 0` means: every core.
unsigned hardware_threads();

}  // namespace delaysim::sim
