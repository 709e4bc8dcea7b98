// An allocator for the big arrays that hot loops read in random order (rule
// state per synapse, synapse stores, per-node records and neuron states of large
// populations): blocks of 4 MiB or more are aligned to 2 MiB
// and marked MADV_HUGEPAGE, so the kernel may back them with huge pages (with THP
// in "madvise" mode, as on Debian). A random read into a 1e7-synapse array
// otherwise costs a TLB miss (a page walk) on top of the cache miss; the plastic
// benchmark spent most of its time there. Only the block's whole huge pages are
// marked: a huge page over its tail would be resident in full (the 6.4 MB delay
// array of a 1e6-synapse projection took 8 MiB, 2 B per synapse). Smaller
// blocks use operator new.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace delaysim::sim {

template <class T>
struct HugeAllocator {
    using value_type = T;
    HugeAllocator() = default;
    template <class U>
    HugeAllocator(const HugeAllocator<U>&) noexcept {}

    static constexpr std::size_t kHuge = std::size_t{2} << 20;
    static constexpr std::size_t kThreshold = std::size_t{4} << 20;

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        // The aligned form for over-aligned records (SliceSum: 64 bytes).
        if (bytes < kThreshold) return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
        void* p = nullptr;
        if (::posix_memalign(&p, kHuge, bytes) != 0) throw std::bad_alloc();
        ::madvise(p, bytes / kHuge * kHuge, MADV_HUGEPAGE);  // a hint: failure only costs speed
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) < kThreshold)
            ::operator delete (p, std::align_val_t{alignof(T)});
        else
            std::free(p);
    }
    template <class U>
    bool operator==(const HugeAllocator<U>&) const noexcept {
        return true;
    }
};

template <class T>
using HugeVector = std::vector<T, HugeAllocator<T>>;

}  // namespace delaysim::sim
