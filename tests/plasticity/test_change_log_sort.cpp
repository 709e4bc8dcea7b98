// The sort of a slice's change log (sim/radix_sort.hpp, bucket_sort): the order of
// std::sort on (time key, position) pairs, i.e. by time with ties in log order,
// for logs shaped as the slices make them (per-node runs in time order, many
// changes at one post spike's time), sorted ones, clustered ones and random ones.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "sim/radix_sort.hpp"

using namespace delaysim::sim;

namespace {

std::vector<KeyIndex> keyed(const std::vector<double>& times) {
    std::vector<KeyIndex> v(times.size());
    for (std::size_t k = 0; k < times.size(); ++k) v[k] = {time_key(times[k]), static_cast<std::uint32_t>(k)};
    return v;
}

void check(const std::vector<double>& times) {
    std::vector<KeyIndex> v = keyed(times), expected = v, scratch;
    std::vector<std::uint32_t> count;
    std::sort(expected.begin(), expected.end());
    bucket_sort(v, scratch, count);
    REQUIRE(v == expected);
    std::vector<KeyIndex> r = keyed(times);  // and radix_sort's order, which it replaced
    radix_sort(r, scratch);
    REQUIRE(r == expected);
}

}  // namespace

TEST_CASE("bucket_sort orders a change log by time, ties in log order", "[plasticity][slices]") {
    std::mt19937_64 rng(16);
    std::uniform_real_distribution<double> slice(25.0, 25.1);
    for (const std::size_t n : {0, 1, 2, 3, 31, 32, 255, 256, 600, 5000}) {
        SECTION("random times, n = " + std::to_string(n)) {
            std::vector<double> t(n);
            for (double& x : t) x = slice(rng);
            check(t);
        }
        SECTION("per-node runs in time order, groups at one time, n = " + std::to_string(n)) {
            std::vector<double> t;
            while (t.size() < n) {  // a node: a post spike's group of equal times, then later arrivals
                double x = slice(rng);
                const std::size_t group = 1 + rng() % 20;
                for (std::size_t g = 0; g < group && t.size() < n; ++g) t.push_back(x);
                for (std::size_t a = rng() % 3; a > 0 && t.size() < n; --a) t.push_back(x += 1e-3);
            }
            check(t);
        }
        SECTION("already sorted, n = " + std::to_string(n)) {
            std::vector<double> t(n);
            for (double& x : t) x = slice(rng);
            std::sort(t.begin(), t.end());
            check(t);
        }
        SECTION("clustered: two distinct times far apart and a few ulps, n = " + std::to_string(n)) {
            std::vector<double> t(n);
            for (std::size_t k = 0; k < n; ++k) {
                const double base = rng() % 2 ? 25.0 : 25.1;
                t[k] = std::nextafter(base, 26.0 + static_cast<double>(rng() % 4));
                if (rng() % 3 == 0) t[k] = base;
            }
            check(t);
        }
    }
    SECTION("zero and negative zero are one time") {
        check({0.0, -0.0, 0.0, 1e-300, -0.0});
    }
}
