#include <catch2/catch.hpp>
#include <cstring>
#include <iostream>

#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;

TEST_CASE("seed two-neuron network runs 1040 ms and N1 wins", "[sim][two_neuron]") {
    sim::Simulation s(testing::seed_network());
    testing::SpikeLog log(4);
    s.add_observer(&log);
    REQUIRE(s.run(1040.0));
    CHECK(log.times[0].size() == 560);  // 7 spikes x 80 periods
    CHECK(log.times[1].size() == 560);
    // N1's SG2 input (2 ms) lines up better with SG1 (1 ms) than N2's (4 ms).
    CHECK(log.times[2].size() > 0);
    CHECK(log.times[3].empty());
    for (double t : log.times[2]) std::cout << t << " ";
    std::cout << "\nN1 spikes: " << log.times[2].size() << " N2: " << log.times[3].size() << "\n";
}

TEST_CASE("two runs of the same network give bit-identical spike times", "[sim][determinism]") {
    auto run = [] {
        sim::Simulation s(testing::seed_network({2.0, 2.0}));  // identical inputs: N1 and N2 tie
        testing::SpikeLog log(4);
        s.add_observer(&log);
        s.run(1040.0);
        return log.times;
    };
    const auto a = run(), b = run();
    REQUIRE(a.size() == b.size());
    for (std::size_t p = 0; p < a.size(); ++p) {
        REQUIRE(a[p].size() == b[p].size());
        CHECK(std::memcmp(a[p].data(), b[p].data(), a[p].size() * sizeof(double)) == 0);
    }
    // Equal delays make N1 and N2 bit-identical: they cross at the same instant,
    // both fire and both are inhibited (DESIGN.md "Time and delays").
    REQUIRE(!a[2].empty());
    CHECK(a[2] == a[3]);
}
