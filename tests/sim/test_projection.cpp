#include <catch2/catch.hpp>

#include "sim/projection.hpp"

using namespace delaysim::sim;

namespace {
Projection make(DelayBounds b, std::vector<double> delays = {1.0}) {
    const std::size_t n = delays.size();
    SynapseList s{std::vector<std::uint32_t>(n, 0), std::vector<std::uint32_t>(n, 0),
                  std::vector<double>(n, 1.0), delays};
    return Projection("p", 0, 1, 0, s, b, InflightPolicy::Keep, 1, 1);
}
}  // namespace

TEST_CASE("clamp keeps plastic delays inside the bounds", "[sim][bounds]") {
    const auto p = make({1.0, 5.0, BoundPolicy::Clamp});
    CHECK(p.apply_delay_bounds(3.25, false) == 3.25);
    CHECK(p.apply_delay_bounds(7.0, false) == 5.0);
    CHECK(p.apply_delay_bounds(-2.0, false) == 1.0);
}

TEST_CASE("wrap maps plastic delays into the half-open range min..max", "[sim][bounds]") {
    const auto p = make({0.0, 13.0, BoundPolicy::Wrap});
    CHECK(p.apply_delay_bounds(14.0, false) == Approx(1.0).margin(1e-12));
    CHECK(p.apply_delay_bounds(13.0, false) == 0.0);
    CHECK(p.apply_delay_bounds(-1.0, false) == Approx(12.0).margin(1e-12));
    CHECK(p.apply_delay_bounds(27.5, false) == Approx(1.5).margin(1e-12));
    const auto q = make({2.0, 4.0, BoundPolicy::Wrap}, {3.0});
    CHECK(q.apply_delay_bounds(4.5, false) == Approx(2.5).margin(1e-12));
    CHECK(q.apply_delay_bounds(1.5, false) == Approx(3.5).margin(1e-12));
}

TEST_CASE("error policy refuses plastic delays outside the bounds", "[sim][bounds]") {
    const auto p = make({0.0, 5.0, BoundPolicy::Error});
    CHECK(p.apply_delay_bounds(5.0, false) == 5.0);
    CHECK_THROWS_AS(p.apply_delay_bounds(5.5, false), UserError);
    CHECK_THROWS_WITH(p.apply_delay_bounds(-0.5, false), Catch::Contains("outside the bounds"));
}

TEST_CASE("initial delays outside the bounds or not finite are user errors", "[sim][bounds]") {
    CHECK_THROWS_WITH(make({1.0, 5.0, BoundPolicy::Clamp}, {0.5}),
                      Catch::Contains("projection 'p'") && Catch::Contains("outside its bounds"));
    CHECK_THROWS_WITH(make({0.0, 5.0, BoundPolicy::Clamp}, {std::nan("")}), Catch::Contains("finite"));
    CHECK_THROWS_AS(make({-1.0, 5.0, BoundPolicy::Clamp}), UserError);
    CHECK_THROWS_AS(make({0.0, kNever, BoundPolicy::Wrap}), UserError);
    CHECK_NOTHROW(make({0.0, 0.0, BoundPolicy::Clamp}, {0.0}));  // zero delays are legal
}

TEST_CASE("synapses are stored by source node (CSR)", "[sim][projection]") {
    SynapseList s{{2, 0, 2, 1}, {0, 1, 1, 0}, {1, 2, 3, 4}, {0.1, 0.2, 0.3, 0.4}};
    Projection p("p", 0, 1, 0, s, {}, InflightPolicy::Keep, 3, 2);
    REQUIRE(p.out_end(0) - p.out_begin(0) == 1);
    CHECK(p.weight(p.out_begin(0)) == 2.0);
    CHECK(p.out_end(2) - p.out_begin(2) == 2);
    CHECK(p.delay(p.out_begin(2)) == 0.1);
    CHECK(p.incoming(1).size() == 2);
    for (Index k = 0; k < p.size(); ++k) CHECK(p.target(p.incoming(p.target(k))[0]) == p.target(k));
    // Sources come from the CSR offsets, also past a node without synapses.
    SynapseList gap{{0, 2, 2}, {0, 0, 1}, {1.5, 1.5, 1.5}, {1, 2, 3}};
    Projection g("g", 0, 1, 0, gap, {}, InflightPolicy::Keep, 3, 2);
    CHECK(g.source(0) == 0);
    CHECK(g.source(1) == 2);
    CHECK(g.source(2) == 2);
    // Equal weights are stored once until one changes.
    CHECK(g.bytes_per_synapse() < p.bytes_per_synapse());
    g.store_weight(2, 5.0);
    CHECK(g.weight(0) == 1.5);
    CHECK(g.weight(1) == 1.5);
    CHECK(g.weight(2) == 5.0);
    CHECK_THROWS_AS(
        Projection("bad", 0, 1, 0, SynapseList{{3}, {0}, {1}, {1}}, {}, InflightPolicy::Keep, 3, 2),
        UserError);
}
