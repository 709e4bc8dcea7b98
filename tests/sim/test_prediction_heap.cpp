#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <utility>

#include "sim/prediction_heap.hpp"

namespace {
// A key like the event loop's: time, then a unique sequence number.
struct Key {
    double t;
    std::uint64_t seq;
};
struct KeyLater {
    bool operator()(const Key& a, const Key& b) const noexcept {
        if (a.t != b.t) return a.t > b.t;
        return a.seq > b.seq;
    }
};
using Heap = delaysim::sim::PredictionHeap<Key, KeyLater>;
}  // namespace

TEST_CASE("prediction heap: set, update in place, erase and pop", "[sim][prediction_heap]") {
    Heap h;
    h.reset(4);
    CHECK(h.empty());
    h.set(2, {3.0, 0});
    h.set(0, {1.0, 1});
    h.set(3, {2.0, 2});
    CHECK(h.size() == 3);
    CHECK(h.top().t == 1.0);
    h.set(0, {5.0, 3});  // later: moves down
    CHECK(h.top().t == 2.0);
    h.set(2, {0.5, 4});  // earlier: moves up
    CHECK(h.top().t == 0.5);
    CHECK(h.contains(2));
    CHECK_FALSE(h.contains(1));
    h.erase(1);  // no prediction: nothing happens
    h.erase(2);
    CHECK_FALSE(h.contains(2));
    CHECK(h.at(3).t == 2.0);
    h.pop();
    CHECK_FALSE(h.contains(3));
    CHECK(h.top().t == 5.0);
    h.pop();
    CHECK(h.empty());
}

// Against an ordered map of (key -> node), the obvious reference: random sets
// (new and in place, earlier and later), erases and pops on a few hundred nodes,
// with many equal times (seq decides).
TEST_CASE("prediction heap pops what an ordered reference pops", "[sim][prediction_heap]") {
    constexpr std::uint32_t kNodes = 300;
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<std::uint32_t> node(0, kNodes - 1);
    std::uniform_int_distribution<int> op(0, 9), coarse(0, 20);
    Heap h;
    h.reset(kNodes);
    auto less = [](const Key& a, const Key& b) { return KeyLater{}(b, a); };
    std::map<Key, std::uint32_t, decltype(less)> ref(less);
    std::vector<std::pair<bool, Key>> of(kNodes, {false, {0.0, 0}});
    std::uint64_t seq = 0;
    std::size_t pops = 0;
    for (int step = 0; step < 200000; ++step) {
        const int o = op(rng);
        if (o < 6) {  // set (push or update)
            const std::uint32_t g = node(rng);
            const Key k{0.5 * coarse(rng), seq++};
            if (of[g].first) ref.erase(of[g].second);
            ref[k] = g;
            of[g] = {true, k};
            h.set(g, k);
        } else if (o < 8) {  // erase
            const std::uint32_t g = node(rng);
            if (of[g].first) ref.erase(of[g].second);
            of[g].first = false;
            h.erase(g);
        } else if (!ref.empty()) {  // pop
            REQUIRE_FALSE(h.empty());
            const auto [k, g] = *ref.begin();
            REQUIRE(h.top().t == k.t);
            REQUIRE(h.top().seq == k.seq);
            REQUIRE(h.at(g).seq == k.seq);
            h.pop();
            ref.erase(ref.begin());
            of[g].first = false;
            ++pops;
        }
        REQUIRE(h.size() == ref.size());
    }
    for (std::uint32_t g = 0; g < kNodes; ++g) REQUIRE(h.contains(g) == of[g].first);
    std::size_t seen = 0;
    h.for_each([&](const Key&) { ++seen; });
    CHECK(seen == ref.size());
    CHECK(pops > 10000);
}
