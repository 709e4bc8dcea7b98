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
// T's first key must be its member t (a double): the heap holds only (t, node)
// pairs, 16 bytes (four children in 64), and the values sit per node
// beside it; `Later` on the values breaks ties of t (rare) and nothing else, so
// a sift moves and compares a quarter of the bytes it would with whole values.
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
        values_.assign(n, T{});
    }
    bool empty() const { return heap_.empty(); }
    std::size_t size() const { return heap_.size(); }
    bool contains(std::uint32_t g) const { return pos_[g] != kNone; }
    const T& at(std::uint32_t g) const { return values_[g]; }
    const T& top() const { return values_[heap_.front().node]; }

    // Node g's prediction becomes v (pushed if g had none).
    void set(std::uint32_t g, const T& v) {
        std::uint32_t i = pos_[g];
        if (i == kNone) {
            values_[g] = v;
            i = static_cast<std::uint32_t>(heap_.size());
            heap_.push_back({v.t, g});
            up(i);
            return;
        }
        const bool earlier = Later{}(values_[g], v);
        values_[g] = v;
        heap_[i].t = v.t;
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
            if (i > 0 && later(heap_[(i - 1) / 4], heap_[i]))
                up(i);
            else
                down(i);
            return;
        }
        heap_.pop_back();
    }
    // Bottom-up (Wegener): the hole at the root follows the smaller children to a leaf
    // (three comparisons a level, not four: the last entry, which refills it, belongs
    // near the bottom anyway), then the last entry sifts up from there.
    void pop() {
        pos_[heap_.front().node] = kNone;
        const Entry e = heap_.back();
        heap_.pop_back();
        const auto n = static_cast<std::uint32_t>(heap_.size());
        if (n == 0) return;
        std::uint32_t i = 0;
        for (;;) {
            const std::uint32_t first = 4 * i + 1;
            if (first >= n) break;
            std::uint32_t best = first;
            if (first + 4 <= n) {
                for (std::uint32_t c = first + 1; c < first + 4; ++c)
                    if (later(heap_[best], heap_[c])) best = c;
            } else {
                for (std::uint32_t c = first + 1; c < n; ++c)
                    if (later(heap_[best], heap_[c])) best = c;
            }
            heap_[i] = heap_[best];
            pos_[heap_[i].node] = i;
            i = best;
        }
        heap_[i] = e;
        up(i);
    }

    // Every pending prediction, in no particular order (checkpoints).
    template <class F>
    void for_each(F f) const {
        for (const Entry& e : heap_) f(values_[e.node]);
    }

private:
    struct Entry {
        double t;
        std::uint32_t node;
    };
    bool later(const Entry& a, const Entry& b) const {
        if (a.t != b.t) return a.t > b.t;
        return Later{}(values_[a.node], values_[b.node]);
    }
    // Hole-based sifts: the moving entry is written once, at its final slot.
    void up(std::uint32_t i) {
        const Entry e = heap_[i];
        while (i > 0) {
            const std::uint32_t parent = (i - 1) / 4;
            if (!later(heap_[parent], e)) break;
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
            if (first + 4 <= n) {  // (the common case, unrolled: four children)
                for (std::uint32_t c = first + 1; c < first + 4; ++c)
                    if (later(heap_[best], heap_[c])) best = c;
            } else {
                for (std::uint32_t c = first + 1; c < n; ++c)
                    if (later(heap_[best], heap_[c])) best = c;
            }
            if (!later(e, heap_[best])) break;
            heap_[i] = heap_[best];
            pos_[heap_[i].node] = i;
            i = best;
        }
        heap_[i] = e;
        pos_[e.node] = i;
    }

    std::vector<Entry> heap_;
    std::vector<std::uint32_t> pos_;  // per node: its entry's slot, or kNone
    std::vector<T> values_;           // per node: its prediction (valid while pos_ != kNone)
};

}  // namespace delaysim::sim
