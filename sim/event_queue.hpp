// The central scheduler: a priority queue of events on Boost.Heap (4-ary heap).
//
// Events are ordered by the key (t, level, seq) (ns-3 EventKey{ts, uid}):
//  - t: continuous time in ms, never rounded;
//  - level: the round within one instant (see Simulation::run): threshold
//    crossings of round r have level 2r, deliveries of round r level 2r+1;
//  - seq: a counter the queue assigns on push, so ties never depend on heap
//    internals and the same inputs give the same order on every run.
// The interface is deliberately narrow (push, top, pop, size) so the queue can
// be swapped and benchmarked behind it.
#pragma once
#include <boost/heap/d_ary_heap.hpp>
#include <cstdint>

#include "sim/types.hpp"

namespace delaysim::sim {

enum class EventKind : std::uint8_t {
    Fire,     // a node's predicted spike (neuron threshold crossing or source emission)
    Deliver,  // a spike arriving through one synapse
};

struct Event {
    Time t = 0.0;
    std::uint32_t level = 0;
    std::uint64_t seq = 0;
    EventKind kind = EventKind::Fire;
    std::uint32_t group = 0;  // population (Fire) or projection (Deliver)
    Index item = 0;           // node (Fire) or synapse (Deliver)
    std::uint64_t stamp = 0;  // version the event was made for; stale events are dropped
    Time emitted = 0.0;       // Deliver: emission time of the spike
};

struct EventLater {
    bool operator()(const Event& a, const Event& b) const noexcept {
        if (a.t != b.t) return a.t > b.t;
        if (a.level != b.level) return a.level > b.level;
        return a.seq > b.seq;
    }
};

class EventQueue {
public:
    void push(Event e) {
        e.seq = next_seq_++;
        heap_.push(e);
    }
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    const Event& top() const { return heap_.top(); }
    Event pop() {
        Event e = heap_.top();
        heap_.pop();
        return e;
    }
    void clear() { heap_.clear(); }

private:
    boost::heap::d_ary_heap<Event, boost::heap::arity<4>, boost::heap::compare<EventLater>> heap_;
    std::uint64_t next_seq_ = 0;
};

}  // namespace delaysim::sim
