#include <catch2/catch.hpp>

#include "sim/event_queue.hpp"

using delaysim::sim::Event;
using delaysim::sim::EventQueue;

namespace {
Event at(double t, std::uint32_t level, delaysim::sim::Index item) {
    Event e;
    e.t = t;
    e.level = level;
    e.item = static_cast<std::uint32_t>(item);
    return e;
}
}  // namespace

TEST_CASE("events come out in time order", "[sim][queue]") {
    EventQueue q;
    for (double t : {5.0, 1.0, 3.0, 0.5, 4.0, 2.0}) q.push(at(t, 0, 0));
    std::vector<double> out;
    while (!q.empty()) out.push_back(q.pop().t);
    CHECK(out == std::vector<double>{0.5, 1.0, 2.0, 3.0, 4.0, 5.0});
}

TEST_CASE("equal times order by level, then by push order", "[sim][queue]") {
    EventQueue q;
    q.push(at(1.0, 1, 10));
    q.push(at(1.0, 0, 20));
    q.push(at(1.0, 1, 11));
    q.push(at(1.0, 0, 21));
    q.push(at(1.0, 2, 30));
    q.push(at(0.999999999999, 5, 0));
    std::vector<delaysim::sim::Index> items;
    while (!q.empty()) items.push_back(q.pop().item);
    CHECK(items == std::vector<delaysim::sim::Index>{0, 20, 21, 10, 11, 30});
}

TEST_CASE("many ties keep FIFO order whatever the heap does", "[sim][queue]") {
    EventQueue q;
    for (delaysim::sim::Index i = 0; i < 1000; ++i) q.push(at(static_cast<double>(i % 7), 0, i));
    double last_t = -1;
    delaysim::sim::Index last_item = 0;
    while (!q.empty()) {
        const Event e = q.pop();
        if (e.t == last_t) CHECK(e.item > last_item);
        CHECK(e.t >= last_t);
        last_t = e.t;
        last_item = e.item;
    }
}

TEST_CASE("times are continuous: no rounding to a grid", "[sim][queue]") {
    EventQueue q;
    q.push(at(1.0 + 1e-12, 0, 1));
    q.push(at(1.0, 0, 0));
    CHECK(q.pop().item == 0);
    CHECK(q.pop().t == 1.0 + 1e-12);
}

TEST_CASE("bucketed tiers give exactly the order of one priority queue", "[sim][queue]") {
    // Random interleaving of pushes and pops, times continuous and with many
    // exact ties, some in the past of the current bucket, some beyond the ring.
    delaysim::sim::EventQueue q(0.1, 16);
    boost::heap::d_ary_heap<Event, boost::heap::arity<2>, boost::heap::compare<delaysim::sim::EventLater>>
        ref;
    std::uint64_t seq = 0;
    std::uint64_t x = 12345;
    auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return static_cast<double>(x % 1000000) / 1000000.0;
    };
    double now = 0.0;
    for (int step = 0; step < 200000; ++step) {
        if (rnd() < 0.52 || ref.empty()) {
            double d = rnd() < 0.1 ? 0.0 : rnd() < 0.05 ? 5.0 * rnd() : 0.5 * rnd();
            if (rnd() < 0.2) d = std::round(d * 10.0) / 10.0;  // ties on bucket edges
            Event e = at(now + d, d == 0.0 ? 3u : 1u, 0);
            q.push(e);
            e.seq = seq++;
            ref.push(e);
        } else {
            // Half the pops the event loop's way: peek(), then pop() (its inline path).
            if (step % 2 == 0) {
                const Event* p = q.peek();
                REQUIRE(p != nullptr);
                REQUIRE(p->seq == ref.top().seq);
            }
            const Event a = q.pop();
            const Event b = ref.top();
            ref.pop();
            REQUIRE(a.t == b.t);
            REQUIRE(a.seq == b.seq);
            now = a.t;
        }
        REQUIRE(q.size() == ref.size());
    }
}

TEST_CASE("large buckets (radix-sorted) keep the exact order, ties in push order", "[sim][queue]") {
    delaysim::sim::EventQueue q(0.1, 64);
    boost::heap::d_ary_heap<Event, boost::heap::arity<2>, boost::heap::compare<delaysim::sim::EventLater>>
        ref;
    std::uint64_t seq = 0, x = 987654321;
    auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return static_cast<double>(x % 1000000007) / 1000000007.0;
    };
    for (double base : {0.0, 100.0, 1e5}) {  // spreads of very different bit widths
        // One event at `base` first: popping it brings the (empty) ring up to the present.
        q.push(at(base, 1, 0));
        REQUIRE(q.pop().t == base);
        ++seq;
        for (int k = 0; k < 20000; ++k) {
            double t = base + 0.05 + 5.0 * rnd();
            if (k % 7 == 0) t = base + 0.05 + std::round(50.0 * rnd()) / 10.0;  // many exact ties
            Event e = at(t, 1, static_cast<delaysim::sim::Index>(k));
            q.push(e);
            e.seq = seq++;
            ref.push(e);
        }
        while (!ref.empty()) {
            const Event a = q.pop(), b = ref.top();
            ref.pop();
            REQUIRE(a.t == b.t);
            REQUIRE(a.seq == b.seq);
        }
        REQUIRE(q.empty());
    }
}

TEST_CASE("push_now (the FIFO tier) keeps the order of one priority queue", "[sim][queue]") {
    // Zero-delay pushes in rounds (several levels at one instant, runs of one key
    // broken by other keys), mixed with bucketed and heap events; push_now of an
    // event that is not due now must be harmless too (the tier is a hint only).
    delaysim::sim::EventQueue q(0.1, 16);
    boost::heap::d_ary_heap<Event, boost::heap::arity<2>, boost::heap::compare<delaysim::sim::EventLater>>
        ref;
    std::uint64_t seq = 0, x = 424242;
    auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return static_cast<double>(x % 1000000) / 1000000.0;
    };
    double now = 0.0;
    std::uint32_t level = 1;
    std::size_t from_fifo_keys = 0;
    for (int step = 0; step < 200000; ++step) {
        if (rnd() < 0.55 || ref.empty()) {
            const double u = rnd();
            Event e;
            if (u < 0.6) {  // due now, this round or a later one
                e = at(now, level + (rnd() < 0.8 ? 0u : 2u), 0);
                q.push_now(e);
                ++from_fifo_keys;
            } else if (u < 0.65) {  // push_now of a later event
                e = at(now + rnd(), 1, 0);
                q.push_now(e);
            } else {
                e = at(now + (rnd() < 0.3 ? std::round(rnd() * 10.0) / 10.0 : rnd()), 1, 0);
                q.push(e);
            }
            e.seq = seq++;
            ref.push(e);
        } else {
            // Half the pops the event loop's way: peek(), then pop() (its inline path).
            if (step % 2 == 0) {
                const Event* p = q.peek();
                REQUIRE(p != nullptr);
                REQUIRE(p->seq == ref.top().seq);
            }
            const Event a = q.pop();
            const Event b = ref.top();
            ref.pop();
            REQUIRE(a.t == b.t);
            REQUIRE(a.level == b.level);
            REQUIRE(a.seq == b.seq);
            if (a.t > now) level = 1;
            now = a.t;
            if (a.level >= level) level = a.level | 1u;
        }
        REQUIRE(q.size() == ref.size());
    }
    CHECK(from_fifo_keys > 50000);
    while (!ref.empty()) {
        REQUIRE(q.pop().seq == ref.top().seq);
        ref.pop();
    }
    CHECK(q.empty());
    CHECK(q.peek() == nullptr);
}

TEST_CASE("push_now_range (one FIFO entry per spike and projection) keeps the order of one event each",
          "[sim][queue][event_range]") {
    // As above, with some of the zero-delay pushes ranges: a source node's
    // outgoing synapses of a projection (1 to 5 each, weights all different),
    // expanded in the reference; a range not due now goes to the heap, one event
    // per synapse. Every field of every event must come out as pushed one by one.
    delaysim::sim::SynapseList l;
    for (std::uint32_t src = 0; src < 6; ++src)
        for (std::uint32_t k = 0; k <= src % 5; ++k) {
            l.source.push_back(src);
            l.target.push_back(7 * k + src);
            l.weight.push_back(0.5 + src + 0.125 * k);
            l.delay.push_back(0.0);
        }
    std::vector<delaysim::sim::Projection> projections;
    projections.emplace_back("p", 0, 1, 0, l, delaysim::sim::DelayBounds{},
                             delaysim::sim::InflightPolicy::Keep, 6, 40);
    const delaysim::sim::Projection& p = projections[0];
    delaysim::sim::EventQueue q(0.1, 16);
    q.use_synapses(projections);
    boost::heap::d_ary_heap<Event, boost::heap::arity<2>, boost::heap::compare<delaysim::sim::EventLater>>
        ref;
    std::uint64_t seq = 0, x = 777;
    auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return static_cast<double>(x % 1000000) / 1000000.0;
    };
    auto synapse = [&](Event e, delaysim::sim::Index s) {
        e.item = static_cast<std::uint32_t>(s);
        e.target = static_cast<std::uint32_t>(p.target(s));
        e.weight = p.weight(s);
        return e;
    };
    double now = 0.0;
    std::uint32_t level = 1;
    std::size_t ranges = 0;
    for (int step = 0; step < 100000; ++step) {
        if (rnd() < 0.55 || ref.empty()) {
            const double u = rnd();
            const bool range = rnd() < 0.5;
            Event e;
            if (u < 0.65) {  // due now (or, for u >= 0.6, later: into the heap)
                e = u < 0.6 ? at(now, level + (rnd() < 0.8 ? 0u : 2u), 0) : at(now + rnd(), 1, 0);
                if (range) {
                    const auto src = static_cast<delaysim::sim::Index>(rnd() * 6.0);
                    const delaysim::sim::Index b = p.out_begin(src), n = p.out_end(src) - b;
                    q.push_now_range(synapse(e, b), static_cast<std::uint32_t>(n - 1));
                    for (delaysim::sim::Index s = b; s < b + n; ++s) {
                        Event d = synapse(e, s);
                        d.seq = seq++;
                        ref.push(d);
                    }
                    ranges += n > 1;
                    continue;
                }
                q.push_now(e);
            } else {
                e = at(now + (rnd() < 0.3 ? std::round(rnd() * 10.0) / 10.0 : rnd()), 1, 0);
                q.push(e);
            }
            e.seq = seq++;
            ref.push(e);
        } else {
            const Event b = ref.top();
            if (step % 2 == 0) {
                const Event* a = q.peek();
                REQUIRE(a != nullptr);
                REQUIRE(a->seq == b.seq);
                REQUIRE(a->item == b.item);
                REQUIRE(a->target == b.target);
            }
            const Event a = q.pop();
            ref.pop();
            REQUIRE(a.t == b.t);
            REQUIRE(a.level == b.level);
            REQUIRE(a.seq == b.seq);
            REQUIRE(a.item == b.item);
            REQUIRE(a.target == b.target);
            REQUIRE(a.weight == b.weight);
            REQUIRE(a.more == 0);
            if (a.t > now) level = 1;
            now = a.t;
            if (a.level >= level) level = a.level | 1u;
        }
        REQUIRE(q.size() == ref.size());
    }
    CHECK(ranges > 10000);
    while (!ref.empty()) {
        REQUIRE(q.pop().seq == ref.top().seq);
        ref.pop();
    }
    CHECK(q.empty());
}
