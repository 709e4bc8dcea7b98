// Slice batching (after Morrison et al. 2007, "Exact subthreshold integration
// with continuous spike times in discrete-time neural network simulations").
//
// If every projection onto a population has delays >= h > 0, a spike emitted in
// the slice [k h, (k+1) h) reaches that population in slice k+1 or later. So all
// inputs of slice k are known when the slice starts, and the population's nodes
// can be processed one after another, each through its own inputs in time order,
// without a central queue: deliveries go into one flat vector per future slice
// (a ring), and each node keeps a "check" (a time before which it provably does
// not spike, Population::spike_bound) in its record, found by a scan of block
// minima per slice, instead of an entry in a priority queue. Times stay
// continuous; only the bookkeeping is sliced.
//
// Results are those of the event-by-event loop (Simulation::main_until) up to
// rounding (tests/sim/test_batching.cpp). Nothing reaches a batched node in zero
// time, so node order inside a slice does not matter, provided rule hooks of a
// node touch only synapses onto it (pre-spike hooks are therefore excluded).
// Delay changes made by rules inside a slice are replayed in time order against
// the slice's spikes before these are expanded, so "the delay in force at
// emission" holds exactly.
//
// Superposition (a slice the run does not end in): for models with a SliceKernel, each input's effect at the
// slice end t1 is summed per node in one pass over the slice's inputs (two table exponentials each,
// sim/slice_exp.hpp), without grouping them; then each node settles in one model call if a bound proves it
// cannot fire in the slice. Only the nodes left over (the bound failed, refractory, a rule watches an input,
// a check due) are grouped and taken input by input as above. Same results up to rounding
// (tests/sim/test_batching.cpp). Sample times inside the slice: the nodes an observer samples are left to the
// input-by-input path (Observer::reads_state), the others move to the slice end
// at once, and the hooks of settled nodes run sub-slice by sub-slice, so that
// rule changes are in force exactly up to each sample time.
//
// The slice machinery is the class Slices below: set-up, parts and threads in
// sim/slices.cpp, a slice's inputs (summing, settle, expansion) in
// sim/slices_inputs.cpp, the node phase and the replay in sim/slices_nodes.cpp,
// MPI ranks in sim/slices_ranks.cpp (once per lookahead window: sim/slices_window.cpp). The driver
// that interleaves it with the event loop is Simulation::run_batched, and each
// node's delivery, spike and check go through the per-node core
// (sim/node_core.hpp), as in the event loop.
#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/huge_alloc.hpp"
#include "sim/node_core.hpp"
#include "sim/parallel.hpp"
#include "sim/partition.hpp"
#include "sim/slice_exp.hpp"
#include "sim/slice_input.hpp"
#include "sim/types.hpp"

namespace delaysim::sim {

struct BatchState {
    bool on = false;
    Time h = 0.0;  // slice width, ms
    double inv_h = 0.0;
    std::vector<std::uint8_t> pop;   // per population: batched
    std::vector<std::uint8_t> proj;  // per projection: its target population is batched

    std::size_t mask = 0;  // ring slots - 1 (the ring is per part, below)
    // Per global node, in one record: large populations touch a node's fields
    // together, and separate arrays would cost one cache miss each.
    struct Node {
        std::int64_t touched;  // slice the node got a run in
        Time check_time;       // its check: no spike before it without new input; kNever: none
        Time time;             // time of its last update
        std::uint32_t count;   // scratch of grouping: inputs, then write position
        std::uint32_t pop;     // population
    };
    HugeVector<Node> nodes;
    // Checks: per block of 16 nodes, and per group of 64 blocks, a time <= their
    // earliest check (exact after a scan, lowered by every filing). A slice scans
    // the groups and blocks whose time falls in it: O(nodes / 1024) per slice plus
    // the due blocks, and filing a check is two stores (a calendar of slices cost
    // a push per filing, most of them stale by their slice, since nodes that get
    // inputs file again).
    std::vector<Time> block_min, group_min;
    static constexpr unsigned kBlockBits = 4, kGroupBits = 6;  // 16 nodes, 64 blocks

    // The slice being processed.
    std::int64_t cur = kNoSlice;
    bool begun = false;
    bool prepared = false;  // the begun slice's inputs are summed or grouped, its runs made
    struct Run {
        std::uint32_t node, begin, end, cursor;  // [begin, end) in its part's `grouped`
        // MPI ranks: the run's place in the one-process order, the same on every
        // rank: its node (runs are in node order).
        std::uint64_t key = 0;
    };
    // A lane's part (README "Parallel runs"): the nodes [lo, hi) and everything
    // about their inputs. Lane l owns part l; one thread has one part of every
    // node. A spike is expanded by every part onto its own targets (a source's
    // synapses are sorted by target: one binary search), so each node's inputs
    // come in the same order for any number of parts, and runs are in node order:
    // the parts' runs, concatenated, are the one-part runs. Under MPI ranks a
    // rank's parts are its own blocks of nodes (Slices::rank_parts), run in order.
    struct Part {
        std::uint32_t lo = 0, hi = 0;
        std::vector<std::vector<SliceInput>> ring;  // future inputs, one slot per slice
        std::vector<SliceInput> far;                // those beyond the ring
        std::vector<SliceInput> active;             // the slice's, as pushed
        std::vector<SliceInput> grouped;            // by node, each node's inputs in time order
        std::vector<Run> runs;                      // in node order
        std::vector<Run> slow;                      // scratch: the nodes left to the exact path
        std::vector<SliceInput> picked;             // scratch: their inputs, in push order
        struct Call {
            std::uint32_t node, idx;  // idx: in active
            Time t;
        };
        std::vector<Call> calls;  // scratch: log_arrivals' hook calls, by node, then time
        std::size_t calls_done = 0;
        std::vector<std::uint64_t> marks;      // scratch: a bit per node - lo (has a run)
        std::vector<std::uint64_t> slow_bits;  // scratch: a bit per node - lo (slow, with inputs)
        std::vector<std::uint32_t> due;        // the slice's due checks, in node order
        std::vector<SliceInput> late;          // threads: pushes waiting for a pending expansion
        // MPI ranks: [lo, hi) holds nodes of other ranks too (the gaps between a
        // rank's blocks were joined to keep the parts few): the expansion skips them.
        bool mixed = false;
        bool owns(std::uint32_t g) const { return g - lo < hi - lo; }
    };
    std::vector<Part> parts;

    // Superposition: per population its kernel (ok = superposable), per node its sum.
    struct Kernel {
        bool ok = false;
        double kf[SliceKernel::kPorts] = {};
        SliceExp2 e[SliceKernel::kPorts];  // per port: (e^{-r_p u}, e^{-r_m u})
    };
    std::vector<Kernel> kernel;
    // Per population: its capabilities (Population::capabilities), read at set-up.
    std::vector<Batching*> batching;
    std::vector<Superposition*> superposition;  // nullptr unless kernel[p].ok
    HugeVector<SliceSum> sums;                  // per node (global), valid if sums[g].slice == cur
    // Per projection: no delivered hook (0), hooks of rules that write no weights
    // (kHooked: summed, the hooks run after settling), or that may (kSlow); kLogged:
    // every hook is an ArrivalLog (plasticity/rule.hpp), done by log_arrivals.
    std::vector<std::uint8_t> hooked;
    static constexpr std::uint8_t kSlow = 1, kHooked = 2, kLogged = 4;  // SliceSum::flags
    std::vector<std::vector<plasticity::ArrivalLog>> logs;              // per projection (kLogged)
    // Per projection, what summing one of its inputs reads (its target's kernel
    // for its port, its hook kind), in one record instead of three lookups.
    struct SumKernel {
        SliceExp2::Flat e;  // of BatchState::kernel; e.self == nullptr: its inputs are never summed (kernel
                            // not ok, or kSlow)
        double kf = 0.0;
        std::uint8_t ok = 0;      // kernel[target].ok
        std::uint8_t hooked = 0;  // hooked[q]
    };
    std::vector<SumKernel> sum_kernel;
    bool superpose = false;  // the slice being processed is superposed
    // The superposition decision's counts for slice `counted` (Slices::begin_slice):
    // the inputs of the slice before it and its own, as they stood when the slice
    // before it began (under MPI ranks: summed over the ranks at its exchange).
    std::int64_t counted = kNoSlice;
    std::uint64_t count_prev = 0, count_next = 0;
    bool cut = false;                   // ... and has sample times inside: sampled nodes are slow
    bool settled = false;               // ... and its nodes have been settled
    std::vector<std::uint8_t> sampled;  // per node: an observer reads its state at sample times

    // Produced inside a sub-slice, replayed in time order at its end.
    struct Spike {
        Time t;
        std::uint32_t pop;
        Index node;
        std::uint64_t seq;
    };
    struct Change {
        Time t;
        std::uint32_t q;
        Index s;
        double old_value, new_value;
        const std::string* by;
        bool delay;
    };
    std::vector<Spike> spikes;
    std::vector<Change> log;
    // The sub-slice's replay order: a spike's index, or kChange | a change's index
    // (of the changes in `redo` only).
    std::vector<std::uint32_t> replay;
    // The delay changes a spike of the sub-slice is expanded across (positions in
    // the log, ascending): only they are undone and redone around the expansion.
    std::vector<std::uint32_t> redo;
    std::vector<std::uint8_t> in_redo;  // per change of the log
    struct Range {                      // the synapses [begin, end) of projection q
        std::uint32_t q;
        Index begin, end;
    };
    std::vector<Range> spiked;  // scratch: the sub-slice's spikes' out-synapses ...
    // ... and per projection a bit per 64 synapses, set where such a range lies
    // (a change's test is then one bit, in cache; the exact test only if set).
    std::vector<std::vector<std::uint64_t>> spiked_blocks;
    static constexpr std::uint32_t kChange = 0x80000000u;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> log_order, log_scratch;  // (time key, position)
    std::vector<std::uint32_t> log_count;                                         // bucket_sort's scratch
    bool logging = false;        // inside the node phase: rule writes are logged
    std::uint64_t seq = 0;       // spike order (ties at equal times)
    std::vector<double> w_plus;  // per port, scratch

    static constexpr std::int64_t kNoSlice = INT64_MIN;
};

class Slices {
public:
    // emit(pop, node, t): a batched node's spike, expanded onto every projection
    // that is not batched (into the event queue); the slices expand it onto the
    // batched ones themselves (each part onto its own targets).
    using Emit = std::function<void(std::uint32_t, Index, Time)>;
    Slices(Network& net, NodeCore& core, Emit emit) : net_(net), core_(core), emit_(std::move(emit)) {}

    // Decide which populations are batched and h (first run: rules are attached
    // by then). lag: per projection, onto a lag port. Notes: why a population
    // that could be batched is not.
    void setup(bool allow_batching, bool allow_superposition, const std::vector<std::uint8_t>& lag,
               std::vector<std::string>& notes);
    // Everything pending (the ring, far inputs, the rest of a begun slice), emptied.
    std::vector<SliceInput> take_pending();

    bool on() const { return B_.on; }
    bool batched(std::size_t pop) const { return B_.on && B_.pop[pop]; }
    bool batched_projection(std::uint32_t q) const { return B_.on && B_.proj[q]; }
    Time h() const { return B_.h; }
    bool begun() const { return B_.begun; }
    Time slice_end() const { return slice_start(B_.cur + 1); }

    // Every batched node: advance to now and file its first check. sampled:
    // whether observers sample node state at all.
    void start_run(bool sampled, bool resume);
    // Open the next slice; the run ends at t_stop, the next sample is at t_sample.
    void begin_next(Time t_sample);
    // The batched nodes up to b (a sample time or the slice end: last), then their
    // spikes and the rules' changes in time order. sync: b needs every rank's state
    // (the run's end, a sample time): under MPI ranks a lookahead window ends there.
    void interval(Time b, bool last, bool sync = false);
    void end_slice() { B_.begun = false; }

    // Inputs always land in a later slice than the one being processed (delays >= h;
    // a rounding-edge arrival is moved to the next slice, and the target clamps it
    // to its own time, see apply_input). Into the ring of the target's part.
    // Under MPI ranks only the inputs onto this rank's nodes are kept (another
    // rank expands the same spike onto its own).
    // With threads, while the last sub-slice's expansion is pending (fused into
    // the next node phase), the event loop's pushes wait in their part's `late`
    // list: the lanes add them after that expansion, the one-thread order.
    void push_input(const SliceInput& in) {
        if (!own(in.node)) return;
        BatchState::Part& P = part_of(in.node);
        if (pending_) [[unlikely]]
            P.late.push_back(in);
        else
            push_input(P, in);
    }
    void push_input(BatchState::Part& P, const SliceInput& in) { push_at(P, in, B_.cur); }
    // Into the ring as seen while slice `cur` is processed.
    void push_at(BatchState::Part& P, const SliceInput& in, std::int64_t cur) {
        RingWriter(B_, P, cur).push(in);
    }
    // push_at with the ring's parameters read once, for a loop of pushes (the
    // loop's stores would otherwise make them reloaded per push).
    class RingWriter {
    public:
        RingWriter(BatchState& B, BatchState::Part& P, std::int64_t cur)
            : h_(B.h), inv_h_(B.inv_h), mask_(B.mask), cur_(cur), ring_(P.ring.data()), far_(P.far) {}
        void push(const SliceInput& in) const {
            std::int64_t k = slice_of(in.t, h_, inv_h_);  // input_slice(in.t, cur)
            if (k <= cur_) k = cur_ + 1;
            if (k - cur_ > static_cast<std::int64_t>(mask_)) [[unlikely]]
                far_.push_back(in);
            else {
                auto& slot = ring_[static_cast<std::size_t>(k) & mask_];
                slot.push_back(in);
                // The slot's next line, for writing: a slot gets an input every ~100
                // writes of a fan-out, so its tail is out of cache by then.
                __builtin_prefetch(slot.data() + slot.size() + 2, 1);
            }
        }

    private:
        double h_, inv_h_;
        std::size_t mask_;
        std::int64_t cur_;
        std::vector<SliceInput>* ring_;
        std::vector<SliceInput>& far_;
    };
    // Inside a slice's node phase, synapse changes are logged (and replayed
    // against the slice's spikes at its end) instead of reported at once.
    bool logging() const { return B_.logging; }
    // Checkpoints (sim/checkpoint.hpp): the dynamic state, restored into one
    // built from the same config (CheckpointError if the sizes differ).
    void save(Writer& w) const;
    void restore(Reader& r);  // after setup()
    void log_change(const BatchState::Change& c) {
        if (Worker* w = worker())
            w->log.push_back(c);
        else {
            B_.log.push_back(c);
            if (exchange_) log_keys_.push_back(cur_key_);
        }
    }

    // Threads for the node phase (sim/parallel.hpp; 0: every core). Set before
    // setup; setup_threads (after setup) decides, notes say why one thread.
    void set_threads(unsigned n) { threads_ = n; }
    void setup_threads(std::vector<std::string>& notes);
    // The lanes the node phase runs on (1: serial).
    unsigned lanes() const { return pool_ ? pool_->size() : 1; }
    // Parallel phases run on the pool so far (one wake-up and join each).
    std::uint64_t wakeups() const { return wakeups_; }
    // With threads: the last sub-slice's expansion (and the event loop's pushes
    // since), if still pending, done now (at the end of a run: the ring is then
    // as with one thread, for checkpoints and the next run).
    void flush_pending();
    // MPI ranks (sim/mpi.hpp), after setup_threads: each rank advances only the
    // batched nodes it owns, and the ranks exchange their spikes and rule changes
    // per sub-slice. Notes say what runs on every rank.
    void setup_ranks(std::vector<std::string>& notes);
    // The node phase is split among ranks (else: one rank, or replicated).
    bool split_among_ranks() const { return exchange_; }
    // MPI ranks: the exchanges (meetings of the ranks) so far, and the window they
    // are made in (ms: h for once per sub-slice, else a whole number of slices <= W).
    std::uint64_t exchanges() const { return exchanges_; }
    Time exchange_window() const { return static_cast<double>(window_slices_) * B_.h; }
    // Who owns which node, the lookahead window W (ms) and the notes (sim/partition.hpp);
    // set at the first start_run of a run split among ranks (else empty, W = +inf).
    const Partition& partition() const { return partition_; }

private:
    // One thread's buffers in a parallel phase, merged in lane order after it.
    struct Worker : Lane {
        std::vector<BatchState::Spike> spikes;
        std::vector<BatchState::Change> log;
        std::vector<double> w_plus;  // per port, scratch
        // Checks filed in a group of blocks this lane shares with another: their
        // minima are lowered after the phase (edge); the others at once (nodes [safe_lo, safe_hi)).
        std::vector<std::uint32_t> edge;
        std::uint32_t safe_lo = 0, safe_hi = 0;
        std::uint64_t n_in = 0, n_next = 0;  // take_slot's counts (the superposition decision)
    };
    // The calling thread's worker inside a parallel phase of these slices, else nullptr.
    static Worker* worker() { return static_cast<Worker*>(Lane::current()); }
    std::vector<double>& scratch_w_plus() {
        Worker* w = worker();
        return w ? w->w_plus : B_.w_plus;
    }
    void count(std::uint64_t events, std::uint64_t deliveries, std::uint64_t superposed);
    // f(part) for every part: on the lanes of the pool, or (work below the grain,
    // or no pool) one after another on this thread; then the lanes' buffers merged.
    template <class F>
    void for_parts(std::size_t work, F f);
    BatchState::Part& part_of(std::uint32_t g) {
        std::size_t l = 0;
        while (!B_.parts[l].owns(g) && l + 1 < B_.parts.size()) ++l;
        return B_.parts[l];
    }
    // Parts: n of them over the nodes, the inputs (and a begun slice's runs) moved to theirs.
    void split_parts(BatchState::Part all, std::size_t n);
    // Parts over the given node ranges (ascending, disjoint); inputs onto nodes outside them are dropped.
    void place_parts(BatchState::Part all,
                     const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges);
    // MPI ranks: this rank's parts, its blocks of nodes (sim/partition.hpp), joined to at most kMaxRankParts.
    void rank_parts();
    static constexpr std::size_t kMaxRankParts = 8;
    BatchState::Part merged_parts() const;
    // A part's share of a sub-slice: its inputs summed or grouped and its runs
    // made (the slice's first), its nodes settled (superposed), then its runs.
    void part_phase(BatchState::Part& P, Time b, bool last);
    void prepare_part(BatchState::Part& P);
    // Slice k's slot of the part's ring into its active list (far inputs brought
    // closer at a turn of the ring); the counts of slices k and k + 1.
    void take_slot(BatchState::Part& P, std::int64_t k, std::uint64_t& n_in, std::uint64_t& n_next);
    // Threads: a part's share of the pending expansion, then its late pushes.
    void flush_part(BatchState::Part& P);
    void end_pending();
    void expand_part(BatchState::Part& P);
    void expand_onto(BatchState::Part& P, std::uint32_t q, Index node, Time t);
    // logs: the slice is one sub-slice (nothing cuts it), so log_arrivals may run.
    void settle_range(BatchState::Part& P, bool logs);
    template <class NewRun>
    void sum_range(BatchState::Part& P, std::int64_t k, NewRun new_run);
    void node_range(BatchState::Part& P, Time b, bool last);
    // Fewer inputs or runs per lane than this: a phase runs on one thread (waking
    // the pool costs more than it saves). The environment variable
    // DELAYSIM_PARALLEL_GRAIN overrides it (the tests set 1: every phase split).
    static constexpr std::size_t kMinParallelWork = 256;
    std::size_t grain_ = kMinParallelWork;
    std::uint64_t wakeups_ = 0;  // parallel phases run on the pool (PROFILE.md)
    // Threads: one wake-up per sub-slice. A sub-slice's spikes are expanded at
    // the start of the next node phase (or flush_pending), by each lane onto its
    // part, as seen from slice pending_cur_ (B_.spikes, log and replay are kept
    // until then; expand_cur_ is pending_cur_ while it runs, else kNoSlice).
    bool pending_ = false;
    std::size_t pending_work_ = 0;
    std::int64_t pending_cur_ = BatchState::kNoSlice, expand_cur_ = BatchState::kNoSlice;

    std::int64_t slice_of(Time t) const { return slice_of(t, B_.h, B_.inv_h); }
    static std::int64_t slice_of(Time t, double h, double inv_h) {
        auto k = static_cast<std::int64_t>(t * inv_h);
        while (static_cast<double>(k + 1) * h <= t) ++k;  // slice_start(k + 1)
        while (static_cast<double>(k) * h > t) --k;
        return k;
    }
    Time slice_start(std::int64_t k) const { return static_cast<double>(k) * B_.h; }
    // The slice an input at t goes into while slice `cur` is processed: never `cur`
    // or earlier (an input of the slice being processed waits for the next one).
    std::int64_t input_slice(Time t, std::int64_t cur) const {
        const std::int64_t k = slice_of(t);
        return k <= cur ? cur + 1 : k;
    }
    void begin_slice(std::int64_t k, bool superposable, bool cut);
    void group_slow_inputs(BatchState::Part& P);
    // After settle_range: the ArrivalLogs of the settled nodes' inputs (sim/slices_arrivals.cpp);
    // the hook calls they need are run by node_range (run_logged_calls), in node order.
    void log_arrivals(BatchState::Part& P);
    void run_logged_calls(BatchState::Part& P, std::uint32_t before);
    void place_inputs(BatchState::Part& P, const std::vector<SliceInput>& from);
    void settled_hooks(BatchState::Part& P, BatchState::Run& r, Time b, bool last);
    std::uint32_t sub_slice_end(const BatchState::Part& P, const BatchState::Run& r, Time b, bool last) const;
    void batch_node(BatchState::Part& P, std::size_t run, Time b, bool last);
    void apply_input(std::uint32_t pop, Index node, const SliceInput& in);
    Time fire_crossings(std::uint32_t g, Time b, bool inclusive);
    void file_check(std::uint32_t g, Time t);
    void add_check_run(std::uint32_t g);
    void due_checks(std::int64_t k);
    void finish_interval();
    void find_redo();
    // MPI ranks: the node phase of a sub-slice on this rank's nodes, then the exchange.
    void interval_ranks(Time b, bool last, bool sync);
    std::exception_ptr rank_node_phase(Time b, bool last);  // this rank's error, if it failed
    void exchange(std::exception_ptr error, const std::uint64_t (&before)[3]);
    // MPI ranks, once per lookahead window (sim/slices_window.cpp).
    void choose_window();
    void window_interval(Time b, bool last, bool sync);
    void close_window();
    void expand_split(BatchState::Part& P, const Projection& proj, std::uint32_t q, Index node, Time t,
                      Index s, Index end, std::uint32_t g0);
    void assign_owners(bool sampling);
    bool own(std::uint32_t g) const { return own_.empty() || own_[g]; }

    Network& net_;
    NodeCore& core_;
    Emit emit_;
    BatchState B_;
    std::vector<std::vector<std::uint32_t>> out_batched_;  // per population: its batched out-projections
    std::vector<std::vector<std::uint32_t>> out_any_;      // per population: all its out-projections
    Time horizon_ = 0.0;  // core_.horizon, copied at start_run (read per node)
    unsigned threads_ = 1;
    std::vector<Worker> workers_;
    std::unique_ptr<ThreadPool> pool_;
    // MPI ranks (setup_ranks): per global node, owned by this rank (empty: all);
    // whether the node phase is split and exchanged; the key of the run being
    // processed, of each logged change; the epoch of check runs; the rule names
    // by index (a change's `by` is sent as its index).
    std::vector<std::uint8_t> own_;
    Partition partition_;
    bool exchange_ = false, replicated_ = false;
    bool owners_sampling_ = false;  // the owners were assigned with sampled nodes on rank 0
    std::uint64_t cur_key_ = 0;
    std::vector<std::uint64_t> log_keys_;
    std::vector<const std::string*> by_table_;
    // This rank's own counts behind B_.count_prev and B_.count_next, sent at each exchange.
    std::uint64_t local_counts_[2] = {0, 0};
    std::vector<char> send_, recv_;
    std::uint64_t exchanges_ = 0;
    // Once per window (window_slices_ > 1): the open window's reach split_ (its
    // first slice + window_slices_; kNoSlice: none open). expand_onto keeps only the
    // inputs landing before it (split_mode_ 1: own spikes, at once) or at/after it
    // (2: every rank's, at the window's end, emitted in slice split_cur_).
    std::int64_t window_slices_ = 1;
    std::int64_t split_ = BatchState::kNoSlice, split_cur_ = 0;
    int split_mode_ = 0;
    // The open window: per sub-slice its slice; this rank's spikes and changes (keys
    // tagged with the sub-slice: sub << 32 | run key); the counters at its start,
    // the first error (the node phases after it are skipped). After the exchange,
    // per merged item its sub-slice.
    std::vector<std::int64_t> win_cur_;
    std::vector<BatchState::Spike> win_spikes_;
    std::vector<BatchState::Change> win_log_;
    std::vector<std::uint64_t> win_log_keys_;
    std::uint64_t win_before_[3] = {0, 0, 0};
    std::exception_ptr win_error_;
    std::vector<std::uint32_t> spike_sub_, change_sub_;
};

}  // namespace delaysim::sim
