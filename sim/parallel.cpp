#include "sim/parallel.hpp"

#include <algorithm>

namespace delaysim::sim {

constinit thread_local Lane* detail::current_lane __attribute__((tls_model("initial-exec"))) = nullptr;
using detail::current_lane;

namespace {
// Spins before sleeping: a phase's wait is usually short, a sleep costs a futex round trip.
constexpr int kSpins = 4000;

void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
}  // namespace

Lane::Scope::Scope(Lane* lane) : saved(current_lane) {
    current_lane = lane;
}
Lane::Scope::~Scope() {
    current_lane = saved;
}

unsigned hardware_threads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(unsigned n) : n_(std::max(1u, n)), errors_(n_) {
    threads_.reserve(n_ - 1);
    for (unsigned lane = 1; lane < n_; ++lane) threads_.emplace_back([this, lane] { work(lane); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(m_);
        stop_ = true;
        generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
}

void ThreadPool::run(const std::function<void(unsigned)>& f) {
    std::fill(errors_.begin(), errors_.end(), nullptr);
    if (n_ > 1) {
        {
            std::lock_guard<std::mutex> lock(m_);
            job_ = &f;
            pending_.store(n_ - 1);
            generation_.fetch_add(1);
        }
        wake_.notify_all();
    }
    try {
        f(0);
    } catch (...) {
        errors_[0] = std::current_exception();
    }
    if (n_ > 1) {
        for (int i = 0; i < kSpins && pending_.load(std::memory_order_acquire) != 0; ++i) pause();
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [&] { return pending_.load() == 0; });
        job_ = nullptr;
    }
    for (const std::exception_ptr& e : errors_)
        if (e) std::rethrow_exception(e);
}

void ThreadPool::work(unsigned lane) {
    std::uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < kSpins && generation_.load(std::memory_order_acquire) == seen; ++i) pause();
        const std::function<void(unsigned)>* job;
        {
            std::unique_lock<std::mutex> lock(m_);
            wake_.wait(lock, [&] { return generation_.load() != seen; });
            seen = generation_.load();
            if (stop_) return;
            job = job_;
        }
        try {
            (*job)(lane);
        } catch (...) {
            errors_[lane] = std::current_exception();
        }
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<std::mutex> lock(m_);
            done_.notify_one();
        }
    }
}

}  // namespace delaysim::sim
