// The partitioner (sim/partition.hpp): units joined by zero lower bounds stay on
// one rank, the window is the smallest bound among projections that cross ranks,
// conflicting or out-of-range placements are refused, sampled nodes go to rank
// 0, and the blocks fill the ranks to equal node counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "sim/partition.hpp"

using namespace delaysim;
using sim::kEveryRank;
using sim::kNever;
using sim::kUnplaced;
using sim::PartitionInput;

namespace {

PartitionInput::Population pop(const std::string& name, sim::Index n, bool batched = true,
                               int rank = kUnplaced) {
    return {name, n, batched, rank};
}
PartitionInput::Projection proj(const std::string& name, std::uint32_t s, std::uint32_t t, double bound) {
    return {name, s, t, bound, false, false};
}
// The owners of population p's nodes (offsets from the sizes).
std::vector<int> owners_of(const sim::Partition& part, const PartitionInput& in, std::size_t p) {
    sim::Index o = 0;
    for (std::size_t i = 0; i < p; ++i) o += in.populations[i].size;
    return {part.owner.begin() + static_cast<long>(o),
            part.owner.begin() + static_cast<long>(o + in.populations[p].size)};
}
bool all_equal(const std::vector<int>& v, int x) {
    return std::all_of(v.begin(), v.end(), [x](int o) { return o == x; });
}

}  // namespace

TEST_CASE("partition: one rank owns everything, the window is unbounded", "[partition]") {
    PartitionInput in;
    in.populations = {pop("A", 10), pop("B", 5, false, 3)};
    in.projections = {proj("ab", 0, 1, 0.0), proj("aa", 0, 0, 1.5)};
    in.ranks = 1;
    const sim::Partition part = sim::partition(in);
    REQUIRE(part.refusals.empty());  // a placement beyond the ranks is ignored in one process
    std::vector<int> expected(15, 0);
    std::fill(expected.begin() + 10, expected.end(), kEveryRank);  // B runs event by event
    REQUIRE(part.owner == expected);
    REQUIRE(part.load == std::vector<std::uint64_t>{10});
    REQUIRE(part.window == kNever);
    REQUIRE(part.window_projection == -1);
}

TEST_CASE("partition: blocks fill the ranks to equal counts, in node order", "[partition]") {
    for (int R : {2, 3, 4, 7}) {
        for (sim::Index n : {1ull, 6ull, 100ull, 1001ull}) {
            PartitionInput in;
            in.populations = {pop("E", n), pop("I", n / 3 + 1)};
            in.projections = {proj("ee", 0, 0, 1.0), proj("ei", 0, 1, 2.0), proj("ie", 1, 0, 0.75)};
            in.ranks = R;
            const sim::Partition part = sim::partition(in);
            REQUIRE(part.refusals.empty());
            const std::uint64_t total = n + n / 3 + 1;
            REQUIRE(part.owner.size() == total);
            // Contiguous and nondecreasing: rank r's block follows rank r-1's.
            REQUIRE(std::is_sorted(part.owner.begin(), part.owner.end()));
            std::vector<std::uint64_t> count(static_cast<std::size_t>(R), 0);
            for (int o : part.owner) {
                REQUIRE(o >= 0);
                REQUIRE(o < R);
                ++count[static_cast<std::size_t>(o)];
            }
            REQUIRE(count == part.load);
            const auto [lo, hi] = std::minmax_element(count.begin(), count.end());
            REQUIRE(*hi - *lo <= 1);
            // Every projection crosses ranks once any population is split; with one node and
            // more ranks, E and I sit on ranks 0 and 1 and still cross.
            REQUIRE(part.window == 0.75);
            REQUIRE(part.window_projection == 2);
        }
    }
}

TEST_CASE("partition: sampled nodes go to rank 0, the others balance around them", "[partition]") {
    PartitionInput in;
    in.populations = {pop("A", 40)};
    in.ranks = 2;
    in.sampled.assign(40, 0);
    for (int g : {5, 17, 30, 31, 32, 39}) in.sampled[static_cast<std::size_t>(g)] = 1;
    const sim::Partition part = sim::partition(in);
    for (int g : {5, 17, 30, 31, 32, 39}) REQUIRE(part.owner[static_cast<std::size_t>(g)] == 0);
    REQUIRE(part.load == std::vector<std::uint64_t>{20, 20});  // 6 sampled + 14 free on rank 0
    // The free nodes: the first 14 (in order) on rank 0, the rest on rank 1.
    int seen = 0;
    for (std::size_t g = 0; g < 40; ++g) {
        if (in.sampled[g]) continue;
        REQUIRE(part.owner[g] == (seen < 14 ? 0 : 1));
        ++seen;
    }
}

TEST_CASE("partition: unbatched populations run on every rank, and projections onto them cross",
          "[partition]") {
    PartitionInput in;
    // A (batched) -> B (event by event, its 0.2 ms bound), B -> A: B's spikes are known everywhere.
    in.populations = {pop("A", 8), pop("B", 3, false), pop("C", 2, false)};
    in.projections = {proj("ab", 0, 1, 0.2), proj("ba", 1, 0, 0.05), proj("aa", 0, 0, 1.0),
                      proj("bc", 1, 2, 0.0)};
    in.ranks = 2;
    const sim::Partition part = sim::partition(in);
    REQUIRE(all_equal(owners_of(part, in, 1), kEveryRank));
    REQUIRE(part.load == std::vector<std::uint64_t>{4, 4});
    REQUIRE(part.window == 0.2);  // not 0.05: ba's source is computed on every rank, as is bc's
    REQUIRE(part.window_projection == 0);
    REQUIRE(all_equal(owners_of(part, in, 2), kEveryRank));
    REQUIRE(part.notes.empty());  // the unit B, C is on every rank anyway: no note
}

TEST_CASE("partition: a zero lower bound keeps its populations together", "[partition]") {
    PartitionInput in;
    // A and C are joined through B by zero-delay projections (one unit); D is alone.
    in.populations = {pop("A", 6), pop("B", 4), pop("C", 2), pop("D", 20)};
    in.projections = {proj("ab", 0, 1, 0.0), proj("cb", 2, 1, 0.0), proj("ad", 0, 3, 0.5),
                      proj("dd", 3, 3, 1.0)};
    in.ranks = 2;
    const sim::Partition part = sim::partition(in);
    REQUIRE(part.refusals.empty());
    const int r = owners_of(part, in, 0)[0];
    for (std::size_t p : {0u, 1u, 2u}) REQUIRE(all_equal(owners_of(part, in, p), r));
    // The unit (12 nodes) first to rank 0, then D fills: rank 0 gets 4 of D, rank 1 the other 16.
    REQUIRE(r == 0);
    REQUIRE(part.load == std::vector<std::uint64_t>{16, 16});
    REQUIRE(part.window == 0.5);  // ab and cb stay on one rank: they do not set it
    REQUIRE(std::any_of(part.notes.begin(), part.notes.end(), [](const std::string& s) {
        return s.find("'A', 'B', 'C' are kept together") != std::string::npos;
    }));
}

TEST_CASE("partition: a placement takes the whole unit; the blocks balance around it", "[partition]") {
    PartitionInput in;
    in.populations = {pop("A", 10, true, 1), pop("B", 5), pop("C", 15)};
    in.projections = {proj("ab", 0, 1, 0.0), proj("bc", 1, 2, 0.3)};
    in.ranks = 3;
    const sim::Partition part = sim::partition(in);
    REQUIRE(part.refusals.empty());
    REQUIRE(all_equal(owners_of(part, in, 0), 1));
    REQUIRE(all_equal(owners_of(part, in, 1), 1));  // B follows A through the zero-delay ab
    // C's 15 nodes level ranks 0 and 2 at 15 - the level (30 / 3 = 10) is below rank 1's 15.
    REQUIRE(part.load == std::vector<std::uint64_t>{8, 15, 7});
    REQUIRE(part.window == 0.3);
}

TEST_CASE("partition: placements a zero lower bound would split are refused", "[partition]") {
    PartitionInput in;
    in.populations = {pop("A", 3, true, 0), pop("M", 2), pop("B", 3, true, 1)};
    SECTION("directly") {
        in.projections = {proj("ab", 0, 2, 0.0)};
        const auto refusals = sim::check_placement(in);
        REQUIRE(refusals.size() == 1);
        REQUIRE(refusals[0].projection == 0);
        REQUIRE(refusals[0].message.find("projection 'ab' (delay 0 ms) joins population 'A' (rank 0) and 'B' "
                                         "(rank 1): give it delays > 0") == 0);
        REQUIRE(refusals[0].message.find("place both on one rank") != std::string::npos);
        REQUIRE(sim::partition(in).owner.empty());
        REQUIRE(sim::partition(in).refusals.size() == 1);
    }
    SECTION("through a third population, under a delay rule") {
        in.projections = {proj("am", 0, 1, 0.0), proj("mb", 1, 2, 0.0)};
        in.projections[1].delay_rule = true;
        const auto refusals = sim::check_placement(in);
        REQUIRE(refusals.size() == 1);
        REQUIRE(refusals[0].projection == 1);
        REQUIRE(refusals[0].message.find("projection 'mb' (delay_min_ms 0 ms) joins population 'A' (rank 0) "
                                         "and 'B' (rank 1) through zero-delay projections") == 0);
        REQUIRE(refusals[0].message.find("delay_min_ms > 0 for its delay rule") != std::string::npos);
    }
    SECTION("a positive bound joins nothing") {
        in.projections = {proj("am", 0, 1, 0.0), proj("mb", 1, 2, 0.01)};
        REQUIRE(sim::check_placement(in).empty());
        in.ranks = 2;
        const sim::Partition part = sim::partition(in);
        REQUIRE(all_equal(owners_of(part, in, 1), 0));  // M follows A
        REQUIRE(part.window == 0.01);
    }
    SECTION("a lag port counts as 0") {
        in.projections = {proj("ab", 0, 2, 0.0)};
        in.projections[0].lag = true;
        REQUIRE(sim::check_placement(in).at(0).message.find("(a lag port)") != std::string::npos);
    }
    SECTION("a rank the run does not have") {
        in.populations[2].rank = 2;
        in.ranks = 2;
        const auto refusals = sim::check_placement(in);
        REQUIRE(refusals.size() == 1);
        REQUIRE(refusals[0].projection == -1);
        REQUIRE(refusals[0].message == "population 'B' has rank = 2, but the run has 2 MPI ranks (0 .. 1)");
    }
}

TEST_CASE("partition: random networks: every rule holds", "[partition]") {
    std::mt19937_64 rng(17);
    for (int trial = 0; trial < 300; ++trial) {
        PartitionInput in;
        in.ranks = 1 + static_cast<int>(rng() % 5);
        const std::size_t np = 1 + rng() % 6;
        for (std::size_t p = 0; p < np; ++p)
            in.populations.push_back(
                pop(std::string(1, 'P').append(std::to_string(p)), 1 + rng() % 50, rng() % 4 != 0));
        const std::size_t nq = rng() % 8;
        const double bounds[] = {0.0, 0.1, 0.25, 1.0, kNever};
        for (std::size_t q = 0; q < nq; ++q)
            in.projections.push_back(proj(std::string(1, 'q').append(std::to_string(q)),
                                          static_cast<std::uint32_t>(rng() % np),
                                          static_cast<std::uint32_t>(rng() % np), bounds[rng() % 5]));
        sim::Index n = 0;
        for (const auto& p : in.populations) n += p.size;
        in.sampled.assign(n, 0);
        for (auto& s : in.sampled) s = rng() % 10 == 0 ? 1 : 0;
        const sim::Partition part = sim::partition(in);
        REQUIRE(part.refusals.empty());
        REQUIRE(part.owner.size() == n);
        // Independent reference for the window: the smallest bound of a projection with two
        // nodes at its ends computed apart (the source on one rank, the target elsewhere).
        double window = kNever;
        for (const auto& q : in.projections) {
            const auto so = owners_of(part, in, q.source), to = owners_of(part, in, q.target);
            bool apart = false;
            for (int a : so)
                for (int b : to) apart = apart || (a != kEveryRank && a != b);
            if (apart && in.ranks > 1) window = std::min(window, q.lower_bound);
            // Zero bounds never cross: the window is never 0 by a projection between batched populations.
            if (q.lower_bound <= 0.0 && in.populations[q.source].batched && in.populations[q.target].batched)
                REQUIRE(so[0] == to[0]);
        }
        REQUIRE(part.window == window);
        sim::Index g = 0;
        for (const auto& p : in.populations)
            for (sim::Index i = 0; i < p.size; ++i, ++g) {
                if (!p.batched)
                    REQUIRE(part.owner[g] == kEveryRank);
                else if (in.sampled[g])
                    REQUIRE(part.owner[g] == 0);
                else
                    REQUIRE((part.owner[g] >= 0 && part.owner[g] < in.ranks));
            }
    }
}
