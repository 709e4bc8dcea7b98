// Partitioning a network among MPI ranks (README "Parallel runs", "Partitioning").
//
// Input: the populations (size, batched or not, the user's placement `rank`),
// the projections with their delay lower bound L_q (ms: the smallest delay, or
// delay_min_ms when a rule may move the delays; 0 for a lag port), the nodes an
// observer samples, and the rank count R. Output, per global node, the rank that
// computes it or kEveryRank, and the lookahead window
//
//     W = min { L_q : projection q crosses ranks }   (ms; +inf if none crosses)
//
// where q crosses ranks if its source nodes are computed by one rank each and
// some target node is computed by another rank or by every rank. (A source
// computed on every rank is known everywhere: its projections never cross.) This
// is a population-level bound: it does not look at which synapses exist.
//
// Rules, in order:
//  1. Units: populations joined by a projection with L_q <= 0 form one unit
//     (union-find); a unit is never split among ranks, since a zero lower bound
//     across ranks would make W = 0. Two placements inside one unit that differ
//     are refused (Refusal), as is a placement >= R.
//  2. Populations that are not batched run on every rank (the event-by-event
//     loop is replicated): kEveryRank.
//  3. Nodes an observer samples belong to rank 0 (only rank 0 writes the file).
//  4. The batched populations of a placed unit go to its rank; those of an
//     unplaced unit of several populations go whole to the least loaded rank.
//  5. The rest (batched, unplaced, alone in their unit) is cut in node order into
//     contiguous blocks that fill the ranks up to one level (water filling): the
//     ranks end with equal node counts where the fixed loads of 3 and 4 allow.
// With R = 1 every node is rank 0's, W = +inf and placements are ignored.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/types.hpp"

namespace delaysim::sim {

inline constexpr int kEveryRank = -1;  // owner of a node computed on every rank
inline constexpr int kUnplaced = -1;   // PartitionInput::Population::rank: the partitioner decides

struct PartitionInput {
    struct Population {
        std::string name;
        Index size = 0;
        bool batched = true;
        int rank = kUnplaced;  // the user's placement
    };
    struct Projection {
        std::string name;
        std::uint32_t source = 0, target = 0;  // population indices
        Time lower_bound = kNever;             // ms; kNever for an empty projection
        bool delay_rule = false, lag = false;  // why: delay_min_ms of a delay rule, a lag port (for messages)
    };
    std::vector<Population> populations;
    std::vector<Projection> projections;
    std::vector<std::uint8_t> sampled;  // per global node (populations in order); empty: none
    int ranks = 1;
};

struct Partition {
    std::vector<int> owner;           // per global node: its rank, or kEveryRank
    Time window = kNever;             // W, ms
    long window_projection = -1;      // the projection that sets W (-1: none crosses)
    std::vector<std::uint64_t> load;  // per rank: nodes it computes alone
    std::vector<std::string> notes;   // for the user: what runs where and why
    struct Refusal {
        long projection = -1;  // the projection joining two placements (-1: a rank out of range)
        std::uint32_t pop_a = 0, pop_b = 0;
        std::string message;  // the error, without location
    };
    std::vector<Refusal> refusals;  // non-empty: the run must not start
};

struct Network;
// The input from a network (its placements: Network::rank). Per projection:
// delay_rule (a rule may move its delays: the bound is delay_min_ms), lag (onto
// a lag port: 0); batched per population (empty: all); sampled per global node.
PartitionInput partition_input(const Network& net, const std::vector<std::uint8_t>& delay_rule,
                               const std::vector<std::uint8_t>& lag, const std::vector<std::uint8_t>& batched,
                               std::vector<std::uint8_t> sampled, int ranks);

// The user's placements alone (rule 1): refusals, empty if none. Cheap; the
// config lowering calls it to refuse before anything runs.
std::vector<Partition::Refusal> check_placement(const PartitionInput& in);

// The whole partition (pure: no MPI, no engine state).
Partition partition(const PartitionInput& in);

}  // namespace delaysim::sim
