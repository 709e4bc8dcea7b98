// MPI ranks in the slice machinery (sim/mpi.hpp; README "Parallel runs").
//
// Every rank holds the whole network and the same slices; the batched nodes
// have a static owner (assign_owners: the partitioner's, sim/partition.hpp;
// rank 0 owns every node an observer samples, since only rank 0 writes the file). A rank's parts cover only
// its own nodes (rank_parts), so it expands spikes onto, and sums, only its own nodes' inputs, in the
// one-process order (every rank expands the same merged spike list). In a sub-slice's node phase a rank runs
// only its own runs; each spike and rule change is tagged with its run's key, the run's place in the
// one-process order (Run::key), which every rank computes alike. The exchange (one MPI_Allgatherv) hands
// everyone all ranks' spikes and changes; merged by key (stable: a run's items keep their order) they are
// exactly the one-process lists, so the replay (finish_interval) and everything after it is the same on every
// rank and bit-identical to one process. A node another rank owns is never advanced here: its state is stale,
// and nothing reads it (its check is kNever here, its runs are skipped, samples read only rank 0's own nodes,
// the end-of-run check agrees across ranks).
#include <algorithm>
#include <cstring>

#include "sim/error.hpp"
#include "sim/mpi.hpp"
#include "sim/partition.hpp"
#include "sim/slices.hpp"

namespace delaysim::sim {

namespace {
struct WireHead {
    std::uint64_t counts[3];  // n_events, n_deliveries, n_superposed made in the node phase
    std::uint64_t inputs[2];  // the rank's counts for the superposition decision (begin_slice)
    std::uint64_t n_spikes, n_log, n_message;
    std::uint32_t stop, error;
};
struct WireSpike {
    Time t;
    Index node;
    std::uint64_t key;
    std::uint32_t pop, pad;
};
struct WireChange {
    Time t;
    double old_value, new_value;
    Index s;
    std::uint64_t key;
    std::uint32_t q, by, delay, pad;
};

template <class T>
void put(std::vector<char>& out, const T& x) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &x, sizeof(T));
}
template <class T>
T get(const char*& p) {
    T x;
    std::memcpy(&x, p, sizeof(T));
    p += sizeof(T);
    return x;
}
}  // namespace

void Slices::setup_ranks(std::vector<std::string>& notes) {
    exchange_ = replicated_ = false;
    own_.clear();
    by_table_.clear();
    log_keys_.clear();
    if (mpi::size() <= 1) return;
    const std::string ranks = std::to_string(mpi::size()) + " MPI ranks";
    if (!B_.on) {
        notes.push_back(ranks +
                        ": nothing is batched, so every rank runs the whole network event by event "
                        "(correct, no speed-up)");
        return;
    }
    if (pool_) {
        // Lanes inside a rank would need per-lane run keys for the exchange
        // (cur_key_, log_keys_): not done, so an explicit thread count is refused
        // rather than ignored; `threads = 0` (every core) means one per rank.
        if (threads_ > 1)
            throw UserError(ranks + " with " + std::to_string(threads_) +
                            " threads per rank: threads are not combined with MPI ranks yet; run one "
                            "thread per rank (drop --threads / [simulation] threads, or set it to 1) or "
                            "more ranks");
        pool_.reset();
        workers_.clear();
        split_parts(merged_parts(), 1);
        notes.push_back(ranks + ": one thread per rank (threads are not combined with ranks yet)");
    }
    for (const NodeCore::Attachment& a : core_.attachments())
        if (B_.proj[a.site.index] && a.rule->needs_serial()) {
            notes.push_back(ranks + ": rule '" + a.rule->name() + "' on projection '" +
                            a.site.projection->name() +
                            "' needs serial execution: every rank runs every node (correct, no speed-up)");
            replicated_ = true;
            return;
        }
    for (const NodeCore::Attachment& a : core_.attachments())
        if (std::find(by_table_.begin(), by_table_.end(), a.site.by) == by_table_.end())
            by_table_.push_back(a.site.by);
    exchange_ = true;
    for (std::size_t p = 0; p < net_.populations.size(); ++p)
        if (!B_.pop[p]) {
            notes.push_back(ranks + ": population '" + net_.populations[p]->name() +
                            "' is not batched: every rank computes it (no speed-up for it)");
        }
}

// Static owners, once (state does not move between ranks): the partitioner's
// (sim/partition.hpp). Its nodes on every rank are those of populations that
// are not batched, which the slices never advance.
void Slices::assign_owners(bool sampling) {
    owners_sampling_ = sampling;
    const int me = mpi::rank();
    const std::size_t nq = net_.projections.size();
    std::vector<std::uint8_t> sampled(B_.nodes.size(), 0), delay_rule(nq, 0), lag(nq, 0);
    for (std::uint32_t p = 0; sampling && p < net_.populations.size(); ++p) {  // (no sample times: none)
        if (!batched(p)) continue;
        for (Index i = 0; i < net_.populations[p]->size(); ++i)
            for (const Observer* o : core_.observers())
                if (o->reads_state(p, i)) sampled[core_.node_offset(p) + i] = 1;
    }
    for (const NodeCore::Attachment& a : core_.attachments())
        if (a.rule->writes_delays()) delay_rule[a.site.index] = 1;
    for (std::size_t q = 0; q < nq; ++q) {
        const Projection& proj = net_.projections[q];
        lag[q] = net_.populations[proj.target_population()]->has_lag(proj.port()) ? 1 : 0;
    }
    partition_ =
        sim::partition(partition_input(net_, delay_rule, lag, B_.pop, std::move(sampled), mpi::size()));
    if (!partition_.refusals.empty()) throw UserError(partition_.refusals.front().message);
    own_.assign(B_.nodes.size(), 1);
    for (std::size_t g = 0; g < own_.size(); ++g)
        own_[g] = partition_.owner[g] == me || partition_.owner[g] == kEveryRank ? 1 : 0;
    choose_window();
    rank_parts();
}

// This rank's parts: its blocks of batched nodes (maximal ranges of nodes it
// computes; nodes every rank computes are not batched, have no slice work and
// may lie inside a block), so that it expands spikes only onto its own targets
// and sums only its own inputs. Rank 0's sampled nodes can scatter its blocks:
// the closest ones are joined (a part then skips the other ranks' nodes inside
// it at the expansion), since every part has a ring of its own.
void Slices::rank_parts() {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
    std::vector<std::uint8_t> mixed;
    const auto n = static_cast<std::uint32_t>(own_.size());
    for (std::uint32_t g = 0; g < n;) {
        if (!own_[g] || !B_.pop[B_.nodes[g].pop]) {
            ++g;
            continue;
        }
        std::uint32_t e = g + 1;
        while (e < n && own_[e]) ++e;
        ranges.push_back({g, e});
        mixed.push_back(0);
        g = e;
    }
    while (ranges.size() > kMaxRankParts) {
        std::size_t best = 0;
        for (std::size_t i = 1; i + 1 < ranges.size(); ++i)
            if (ranges[i + 1].first - ranges[i].second < ranges[best + 1].first - ranges[best].second)
                best = i;
        ranges[best].second = ranges[best + 1].second;
        mixed[best] = 1;
        ranges.erase(ranges.begin() + static_cast<std::ptrdiff_t>(best) + 1);
        mixed.erase(mixed.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    }
    if (ranges.empty()) {  // nothing batched here: one empty part
        ranges.push_back({0, 0});
        mixed.push_back(0);
    }
    place_parts(merged_parts(), ranges);
    for (std::size_t l = 0; l < ranges.size(); ++l) B_.parts[l].mixed = mixed[l] != 0;
}

void Slices::interval_ranks(Time b, bool last, bool sync) {
    if (window_slices_ > 1) return window_interval(b, last, sync);
    const std::uint64_t before[3] = {core_.n_events, core_.n_deliveries, core_.n_superposed};
    exchange(rank_node_phase(b, last), before);
    finish_interval();
}

std::exception_ptr Slices::rank_node_phase(Time b, bool last) {
    BatchState& B = B_;
    std::exception_ptr error;
    B.logging = true;
    try {  // an error here is only this rank's: the others learn of it at the exchange
        if (B.superpose && !B.settled) {
            const Superposition::Span span{slice_start(B.cur), slice_start(B.cur + 1), 0.0, horizon_};
            for (std::size_t p = 0; p < net_.populations.size(); ++p)
                if (B.kernel[p].ok) B.superposition[p]->prepare_settle(span);
        }
        for (BatchState::Part& P : B.parts) part_phase(P, b, last);  // (in node order)
        B.prepared = true;
        if (B.superpose) B.settled = true;
    } catch (...) {
        error = std::current_exception();
    }
    B.logging = false;
    return error;
}

void Slices::exchange(std::exception_ptr error, const std::uint64_t (&before)[3]) {
    BatchState& B = B_;
    const std::string message = error ? mpi::message_of(error) : std::string();
    WireHead h{{core_.n_events - before[0], core_.n_deliveries - before[1], core_.n_superposed - before[2]},
               {local_counts_[0], local_counts_[1]},
               B.spikes.size(),
               B.log.size(),
               message.size(),
               mpi::local_stop() ? 1u : 0u,
               error ? 1u : 0u};
    send_.clear();
    send_.reserve(sizeof h + B.spikes.size() * sizeof(WireSpike) + B.log.size() * sizeof(WireChange) +
                  message.size());
    put(send_, h);
    for (const BatchState::Spike& sp : B.spikes) put(send_, WireSpike{sp.t, sp.node, sp.seq, sp.pop, 0});
    for (std::size_t k = 0; k < B.log.size(); ++k) {
        const BatchState::Change& c = B.log[k];
        const auto it = std::find(by_table_.begin(), by_table_.end(), c.by);
        if (it == by_table_.end()) throw InternalError("MPI exchange: a synapse change by an unknown rule");
        put(send_, WireChange{c.t, c.old_value, c.new_value, c.s, log_keys_[k], c.q,
                              static_cast<std::uint32_t>(it - by_table_.begin()), c.delay ? 1u : 0u, 0});
    }
    send_.insert(send_.end(), message.begin(), message.end());
    std::vector<std::size_t> offsets;
    mpi::allgather(send_, recv_, offsets);
    ++exchanges_;

    std::vector<WireSpike> spikes;
    std::vector<WireChange> log;
    std::uint64_t counts[3] = {0, 0, 0}, inputs[2] = {0, 0};
    bool stop = false;
    std::string first_error;
    bool failed = false;
    for (std::size_t r = 0; r + 1 < offsets.size(); ++r) {
        const char* p = recv_.data() + offsets[r];
        const auto head = get<WireHead>(p);
        for (int i = 0; i < 3; ++i) counts[i] += head.counts[i];
        for (int i = 0; i < 2; ++i) inputs[i] += head.inputs[i];
        for (std::uint64_t i = 0; i < head.n_spikes; ++i) spikes.push_back(get<WireSpike>(p));
        for (std::uint64_t i = 0; i < head.n_log; ++i) log.push_back(get<WireChange>(p));
        stop = stop || head.stop;
        if (head.error && !failed) {
            failed = true;
            first_error.assign(p, head.n_message);
        }
    }
    core_.n_events = before[0] + counts[0];
    core_.n_deliveries = before[1] + counts[1];
    core_.n_superposed = before[2] + counts[2];
    // The counts of the slice's begin, the same at each of its exchanges: the
    // next slice's superposition decision, as one process takes it.
    B.count_prev = inputs[0];
    B.count_next = inputs[1];
    if (stop) mpi::set_combined_stop();
    B.spikes.clear();
    B.log.clear();
    log_keys_.clear();
    if (failed) throw UserError(first_error);
    // Each rank's items are in key order already; a stable sort merges them.
    auto by_key = [](const auto& x, const auto& y) { return x.key < y.key; };
    std::stable_sort(spikes.begin(), spikes.end(), by_key);
    std::stable_sort(log.begin(), log.end(), by_key);
    if (window_slices_ > 1) {  // (keys: sub-slice << 32 | run key)
        spike_sub_.resize(spikes.size());
        change_sub_.resize(log.size());
        for (std::size_t i = 0; i < spikes.size(); ++i)
            spike_sub_[i] = static_cast<std::uint32_t>(spikes[i].key >> 32);
        for (std::size_t i = 0; i < log.size(); ++i)
            change_sub_[i] = static_cast<std::uint32_t>(log[i].key >> 32);
    }
    for (const WireSpike& sp : spikes) B.spikes.push_back({sp.t, sp.pop, sp.node, B.seq++});
    for (const WireChange& c : log)
        B.log.push_back({c.t, c.q, c.s, c.old_value, c.new_value, by_table_[c.by], c.delay != 0});
}

}  // namespace delaysim::sim
