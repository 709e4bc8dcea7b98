#include "sim/event_queue.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

#include "sim/error.hpp"
#include "sim/radix_sort.hpp"

namespace delaysim::sim {

EventQueue::EventQueue(Time bucket_width, std::size_t n_buckets)
    : ring_(n_buckets), mask_(n_buckets - 1), inv_width_(1.0 / bucket_width) {
    DS_ASSERT(bucket_width > 0 && n_buckets >= 2 && (n_buckets & mask_) == 0);  // a power of two
}

void EventQueue::settle() {
    while (cursor_ == order_.size() && in_ring_ > 0) {
        const std::int64_t next = current_ + 1;
        // Every heap or FIFO event before bucket `next` precedes everything in the ring.
        if (!heap_.empty() && bucket_of(heap_.top().t) < next) return;
        if (head_ < now_.size() && bucket_of(now_[head_].t) < next) return;
        current_ = next;
        auto& bucket = ring_[static_cast<std::size_t>(next) & mask_];
        active_.clear();
        std::swap(active_, bucket);
        cursor_ = 0;
        in_ring_ -= active_.size();
        sort_active();
    }
}

void EventQueue::sort_active() {
    const std::size_t n = active_.size();
    order_.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        DS_ASSERT(active_[k].level == 1 && active_[k].t >= 0.0);
        order_[k] = {time_key(active_[k].t), static_cast<std::uint32_t>(k)};
    }
    radix_sort(order_, scratch_);
}

// Three sorted tiers, merged by the full key (no two events share a seq).
// (After settle() the ring holds events only if another tier does.)
EventQueue::Tier EventQueue::find_first() {
    settle();
    Tier tier = heap_.empty() ? Tier::None : Tier::Heap;
    const Event* best = heap_.empty() ? nullptr : &heap_.top();
    if (cursor_ < order_.size()) {
        const Event& a = active_[order_[cursor_].second];
        if (!best || EventLater{}(*best, a)) best = &a, tier = Tier::Active;
    }
    if (head_ < now_.size() && (!best || EventLater{}(*best, now_[head_]))) tier = Tier::Now;
    return tier;
}

std::size_t EventQueue::size() const noexcept {
    std::size_t now = 0;
    for (std::size_t k = head_; k < now_.size(); ++k) now += 1 + std::size_t{now_[k].more};
    return heap_.size() + in_ring_ + (order_.size() - cursor_) + now;
}

const Event& EventQueue::top() {
    DS_ASSERT(!empty());
    return *peek();
}

Event EventQueue::pop_other() {
    DS_ASSERT(!empty());
    Event e;
    const Tier tier = first();
    tier_ = Tier::Unknown;
    switch (tier) {
        case Tier::Now: return take_now();
        case Tier::Active: return active_[order_[cursor_++].second];
        default: e = heap_.top(); heap_.pop();
    }
    moved_up(e.t);
    return e;
}

}  // namespace delaysim::sim
