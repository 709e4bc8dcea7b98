// The central scheduler: pending events ordered by the key (t, level, seq)
// (ns-3 EventKey{ts, uid}):
//  - t: continuous time in ms, never rounded;
//  - level: the round within one instant (see Simulation::run): threshold
//    crossings of round r have level 2r, deliveries of round r level 2r+1
//    (threshold crossings live in Simulation's prediction heap, same key);
//  - seq: a counter the queue assigns on push, so ties never depend on the
//    containers and the same inputs give the same order on every run.
//
// Two tiers, one order. Most pending events are synaptic deliveries far in the
// future; one heap entry each costs ~250 ns per hold at 1e6 entries. So events
// of future time buckets (width `bucket_width` ms, a ring of `n_buckets`) go to
// plain vectors, sorted once when their bucket becomes current; everything else
// (the current bucket, the past, beyond the ring) goes to a Boost 4-ary heap.
// The two tiers are merged by the full key, so the order is exactly the same as
// one big priority queue's: bucketing is a cost decision, never a rounding.
// A third tier serves zero-delay deliveries (push_now): they are due at the
// present instant, all with one key (t, level) per round, pushed in seq order,
// so a plain FIFO of one (t, level) holds them already sorted (O(1) in and out
// instead of a heap push and pop each). It too is merged by the full key, and a
// push_now whose (t, level) differs from the FIFO's goes to the heap: the FIFO
// is a cost decision like the buckets. (Assumes only what the key comparison
// EventLater says: events of equal (t, level) order by seq, and seq grows with
// every push.) A spike's zero-delay deliveries through one projection enter the
// FIFO as one entry (push_now_range): the first delivery, standing for `more`
// after it (the next synapses, the next seqs), each read from the synapse store
// when it comes up: the same events in the same order as one push_now each.
// The interface is deliberately narrow (push, top, pop, size) so the queue can
// be swapped and benchmarked behind it.
#pragma once
#include <algorithm>
#include <boost/heap/d_ary_heap.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "sim/projection.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

class Writer;
class Reader;

// A spike arriving through one synapse. (Spikes themselves are predictions kept
// per node by Simulation, in a mutable heap of their own.)
struct Event {
    Time t = 0.0;
    std::uint64_t seq = 0;
    std::uint32_t level = 0;
    std::uint32_t group = 0;   // projection
    std::uint32_t item = 0;    // synapse within the projection
    std::uint32_t target = 0;  // target node, copied at emission: delivery touches no synapse array
    double weight = 0.0;       // weight at emission (used unless the projection's weights are plastic)
    Time emitted = 0.0;        // emission time of the spike
    std::uint32_t stamp = 0;   // Retime: synapse version the event was made for; stale ones are dropped
    // FIFO tier only: how many more deliveries this entry stands for (synapses
    // item + 1, ... of the projection, seqs seq + 1, ...); 0 everywhere else.
    std::uint32_t more = 0;
};
static_assert(sizeof(Event) == 56, "checkpoints store events as they are laid out");

struct EventLater {
    bool operator()(const Event& a, const Event& b) const noexcept {
        if (a.t != b.t) return a.t > b.t;
        if (a.level != b.level) return a.level > b.level;
        return a.seq > b.seq;
    }
};

class EventQueue {
public:
    explicit EventQueue(Time bucket_width = 0.1, std::size_t n_buckets = 1024);  // n_buckets: a power of two

    void push(Event e);  // inline below: the hot path of spike expansion
    // The same as push, for an event due at the present instant (a zero-delay
    // delivery): into the FIFO tier if it is empty or holds the same (t, level).
    void push_now(Event e);
    // push_now of `first` and of the `more` deliveries after it through the next
    // synapses of its projection (target and weight as stored when each comes up:
    // a projection whose weights are not live, or one read live at delivery).
    // Needs use_synapses().
    void push_now_range(Event first, std::uint32_t more);
    void use_synapses(const std::vector<Projection>& projections) { synapses_ = &projections; }
    bool empty() const noexcept {
        return heap_.empty() && in_ring_ == 0 && cursor_ == order_.size() && head_ == now_.size();
    }
    std::size_t size() const noexcept;
    const Event& top();
    // The minimum, or nullptr if the queue is empty (valid until the next push or
    // pop): the event loop's top(), inline for the common case of one tier. (The
    // head of a FIFO range is its current delivery, with `more` still set.)
    const Event* peek() {
        if (tier_ == Tier::Unknown)
            tier_ = only_now() ? (head_ < now_.size() ? Tier::Now : Tier::None) : find_first();
        switch (tier_) {
            case Tier::Now: return &now_[head_];
            case Tier::Active: return &active_[order_[cursor_].second];
            case Tier::Heap: return &heap_.top();
            default: return nullptr;
        }
    }
    // Not empty. Inline for the FIFO tier (a zero-delay network's every delivery)
    // and the current bucket (after peek(): the tier is known).
    Event pop() {
        if (tier_ == Tier::Now) {
            tier_ = Tier::Unknown;
            return take_now();
        }
        if (tier_ != Tier::Active) return pop_other();
        tier_ = Tier::Unknown;
        return active_[order_[cursor_++].second];
    }
    // Checkpoints (sim/checkpoint.hpp): the dynamic state, restored into a queue
    // built from the same config (CheckpointError if the sizes differ).
    // `valid` checks an event's indices against the network.
    void save(Writer& w) const;
    void restore(Reader& r, const std::function<bool(const Event&)>& valid);

private:
    std::int64_t bucket_of(Time t) const;
    void settle();  // make the current bucket non-exhausted if it may hold the minimum
    enum class Tier : std::uint8_t { Now, Active, Heap, None, Unknown };
    // Nothing but the FIFO tier can hold events (then find_first is not needed).
    bool only_now() const noexcept { return heap_.empty() && in_ring_ == 0 && cursor_ == order_.size(); }
    Event pop_other();
    // Pop the FIFO's head: a range moves on to its next synapse in place.
    Event take_now() {
        Event& h = now_[head_];
        Event e = h;
        if (h.more == 0) {
            ++head_;
        } else {
            e.more = 0;
            --h.more;
            ++h.seq;
            fill(h, h.item + 1);
        }
        moved_up(e.t);
        return e;
    }
    // Event e for synapse s of its projection, as push_now_range's caller made it.
    void fill(Event& e, std::uint32_t s) const {
        const Projection& p = (*synapses_)[e.group];
        e.item = s;
        e.target = static_cast<std::uint32_t>(p.target(s));
        e.weight = p.weight(s);
    }
    // f(event) for each delivery a range entry h stands for (h itself when more = 0),
    // with the seqs one push each gives: the heap fallback and the checkpoint.
    template <class F>
    void each_event(Event e, F&& f) const {
        const std::uint32_t more = e.more, s0 = e.item;
        e.more = 0;
        for (std::uint32_t j = 0; j <= more; ++j, ++e.seq) {
            if (j > 0) fill(e, s0 + j);
            f(e);
        }
    }
    // push_now's test: may an event of (t, level) join the FIFO (emptied if spent)?
    bool fifo_takes(Time t, std::uint32_t level) {
        if (head_ == now_.size()) {
            now_.clear();
            head_ = 0;
            return true;
        }
        return now_.back().t == t && now_.back().level == level;
    }
    // With the ring empty, move it up to the present: otherwise after a long quiet
    // stretch (events only in the heap) new pushes would all fall beyond the ring.
    // (Once per time: a round of zero-delay deliveries shares one t, and the
    // floor in bucket_of is not cheap. current_ only grows, so a repeat is a no-op.)
    void moved_up(Time t) {
        if (t == moved_t_ || in_ring_ != 0 || cursor_ != order_.size()) return;
        moved_t_ = t;
        current_ = std::max(current_, bucket_of(t) - 1);
    }
    Time moved_t_ = std::numeric_limits<double>::quiet_NaN();  // the last t moved_up took
    // The tier holding the minimum (the queue is not empty). Kept from top() to
    // the next push or pop: the event loop asks top() and then pops.
    Tier first() { return tier_ != Tier::Unknown ? tier_ : (tier_ = find_first()); }
    Tier find_first();
    Tier tier_ = Tier::Unknown;

    using Heap = boost::heap::d_ary_heap<Event, boost::heap::arity<4>, boost::heap::compare<EventLater>>;
    Heap heap_;
    std::vector<std::vector<Event>> ring_;
    std::size_t mask_;           // ring_.size() - 1
    std::vector<Event> active_;  // the current bucket, in push order
    // Its events in time order: (key, position) pairs, key = the bit pattern of
    // t >= 0 (monotone in t), sorted once by a stable LSD radix sort. Ring events
    // all have level 1 and push order is seq order, so stability gives the full
    // key order; sorting 16-byte pairs is much cheaper than sorting whole events.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order_, scratch_;
    void sort_active();
    std::size_t cursor_ = 0;
    // The FIFO tier: events now_[head_..] share one (t, level), in seq order.
    std::vector<Event> now_;
    std::size_t head_ = 0;
    const std::vector<Projection>* synapses_ = nullptr;  // for FIFO ranges
    std::size_t in_ring_ = 0;
    std::int64_t current_ = -1;  // index of the current bucket
    double inv_width_;
    std::uint64_t next_seq_ = 0;
};

// Monotone in t: a < b implies bucket_of(a) <= bucket_of(b). The merge compares
// bucket indices only, so rounding at bucket edges cannot reorder events.
inline std::int64_t EventQueue::bucket_of(Time t) const {
    const double x = std::floor(t * inv_width_);
    return x < 4e18 ? static_cast<std::int64_t>(x) : INT64_MAX;
}

// Always inlined: the callers (spike expansion) grew past GCC's inlining budget.
[[gnu::always_inline]] inline void EventQueue::push(Event e) {
    tier_ = Tier::Unknown;
    e.seq = next_seq_++;
    const std::int64_t b = bucket_of(e.t);
    if (b <= current_ || b - current_ >= static_cast<std::int64_t>(ring_.size()) || e.level != 1) {
        heap_.push(e);
        return;
    }
    ring_[static_cast<std::size_t>(b) & mask_].push_back(e);
    ++in_ring_;
}

[[gnu::always_inline]] inline void EventQueue::push_now(Event e) {
    tier_ = Tier::Unknown;
    e.seq = next_seq_++;
    if (fifo_takes(e.t, e.level))
        now_.push_back(e);
    else
        heap_.push(e);
}

inline void EventQueue::push_now_range(Event first, std::uint32_t more) {
    tier_ = Tier::Unknown;
    if (fifo_takes(first.t, first.level)) {
        first.seq = next_seq_;
        first.more = more;
        next_seq_ += std::uint64_t{more} + 1;
        now_.push_back(first);
        return;
    }
    first.seq = next_seq_;  // the FIFO holds another (t, level): each into the heap
    first.more = more;
    next_seq_ += std::uint64_t{more} + 1;
    each_event(first, [&](const Event& e) { heap_.push(e); });
}

}  // namespace delaysim::sim
