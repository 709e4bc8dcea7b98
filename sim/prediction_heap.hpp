// The event loop's per-node predictions (Simulation: at most one pending spike
// or check per node, replaced at every input): an indexed 4-ary min-heap. Each
// entry carries its node's global index and each node its entry's position, so
// an update is a sift from where the entry stands, with no allocation.
//
// Why not Boost.Heap's mutable d_ary_heap, which it replaces: its handles are
// std::list nodes, one operator new per push and one free per pop (~64k of each
// per 50 ms of small_d0), and every sift step rewrites positions through them
// (a random line per moved entry). Here a position is a plain array slot.
// The order is the strict total order `Later` gives (Simulation's key (t, level,
// seq) with a unique seq per pending prediction), so which entry comes first
// never depends on the heap's layout: any correct heap pops the same sequence.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace delaysim::sim {

template <class T, class Later>
class PredictionHeap {
public:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    // n: the number of nodes (global indices 0..n-1); the heap is emptied.
    void reset(std::size_t n) {
        heap_.clear();
        pos_.assign(n, kNone);
    }
    bool empty() const { return heap_.empty(); }
    std::size_t size() const { return heap_.size(); }
    bool contains(std::uint32_t g) const { return pos_[g] != kNone; }
    const T& at(std::uint32_t g) const { return heap_[pos_[g]].value; }
    const T& top() const { return heap_.front().value; }

    // Node g's prediction becomes v (pushed if g had none).
    void set(std::uint32_t g, const T& v) {
        std::uint32_t i = pos_[g];
        if (i == kNone) {
            i = static_cast<std::uint32_t>(heap_.size());
            heap_.push_back({v, g});
            up(i);
            return;
        }
        const bool earlier = Later{}(heap_[i].value, v);
        heap_[i].value = v;
        earlier ? up(i) : down(i);
    }
    void erase(std::uint32_t g) {
        const std::uint32_t i = pos_[g];
        if (i == kNone) return;
        pos_[g] = kNone;
        const auto last = static_cast<std::uint32_t>(heap_.size() - 1);
        if (i != last) {
            heap_[i] = heap_[last];
            pos_[heap_[i].node] = i;
            heap_.pop_back();
            if (i > 0 && Later{}(heap_[(i - 1) / 4].value, heap_[i].value))
                up(i);
            else
                down(i);
            return;
        }
        heap_.pop_back();
    }
    void pop() { erase(heap_.front().node); }

    // Every pending prediction, in no particular order (checkpoints).
    template <class F>
    void for_each(F f) const {
        for (const Entry& e : heap_) f(e.value);
    }

private:
    struct Entry {
        T value;
        std::uint32_t node;
    };
    // Hole-based sifts: the moving entry is written once, at its final slot.
    void up(std::uint32_t i) {
        const Entry e = heap_[i];
        while (i > 0) {
            const std::uint32_t parent = (i - 1) / 4;
            if (!Later{}(heap_[parent].value, e.value)) break;
            heap_[i] = heap_[parent];
            pos_[heap_[i].node] = i;
            i = parent;
        }
        heap_[i] = e;
        pos_[e.node] = i;
    }
    void down(std::uint32_t i) {
        const Entry e = heap_[i];
        const auto n = static_cast<std::uint32_t>(heap_.size());
        for (;;) {
            const std::uint32_t first = 4 * i + 1;
            if (first >= n) break;
            std::uint32_t best = first;
            const std::uint32_t end = first + 4 < n ? first + 4 : n;
            for (std::uint32_t c = first + 1; c < end; ++c)
                if (Later{}(heap_[best].value, heap_[c].value)) best = c;
            if (!Later{}(e.value, heap_[best].value)) break;
            heap_[i] = heap_[best];
            pos_[heap_[i].node] = i;
            i = best;
        }
        heap_[i] = e;
        pos_[e.node] = i;
    }

    std::vector<Entry> heap_;
    std::vector<std::uint32_t> pos_;  // per node: its entry's slot, or kNone
};

}  // namespace delaysim::sim
