// One Simulation owns the network, the event queue, the rules and the observers
// (no globals: two simulations can run side by side). The run-loop order is
// written down once, at the top of Simulation::run in simulation.cpp.
#pragma once
#include <csignal>
#include <memory>
#include <vector>

#include "plasticity/rule.hpp"
#include "sim/event_queue.hpp"
#include "sim/inflight.hpp"
#include "sim/network.hpp"
#include "sim/node_core.hpp"
#include "sim/observer.hpp"
#include "sim/prediction_heap.hpp"
#include "sim/slices.hpp"
#include "sim/synapse_access.hpp"

namespace delaysim::sim {

class Simulation final : public SynapseWriter {
public:
    explicit Simulation(Network network);

    // Attach a rule to projections (by index). Call before run().
    void add_rule(std::unique_ptr<plasticity::Rule> rule, std::vector<std::uint32_t> projections);
    void add_observer(Observer* observer) { observers_.push_back(observer); }
    void set_sample_interval(Time interval) { sample_interval_ = interval; }
    // Slice batching (sim/slices.hpp) is on by default; off forces the
    // event-by-event loop everywhere (for comparisons). Call before run().
    void set_batching(bool on) { allow_batching_ = on; }
    // Superposition of whole slices (sim/slices.hpp) is on by default; off takes
    // every batched input one by one (for comparisons). Call before run().
    void set_superposition(bool on) { allow_superposition_ = on; }
    // Threads for the node phase of batched slices (README "Parallel runs"; 0:
    // every core; default 1). The output is bit-identical for every number. Call
    // before run(); threads() says how many the run uses (1 if nothing is batched
    // or a rule needs serial execution: batching_notes() says why).
    void set_threads(unsigned n) { slices_.set_threads(n); }
    unsigned threads() const { return slices_.lanes(); }
    // Wake-ups (and joins) of the thread pool so far: parallel phases run on it.
    std::uint64_t pool_wakeups() const { return slices_.wakeups(); }
    // Deferred exact searches at checks (Simulation::handle_prediction) are on by
    // default; off searches at every check at once (same results; for comparisons).
    void set_deferred_checks(bool on) { defer_checks_ = on; }
    // A spike's zero-delay deliveries through one projection are queued as one
    // range (EventQueue::push_now_range) by default; off: one event per synapse
    // (same results; for comparisons).
    void set_zero_delay_ranges(bool on) { zero_delay_ranges_ = on; }
    // MPI ranks the batched nodes are split among (1: not split; sim/mpi.hpp).
    int ranks() const;
    // Under ranks: who owns which node, the lookahead window, notes (sim/partition.hpp).
    const Partition& partition() const { return slices_.partition(); }
    // Under ranks: their meetings (exchanges) so far, and the window they meet in
    // (ms: the slice width h, or whole slices up to the lookahead window).
    std::uint64_t exchanges() const { return slices_.exchanges(); }
    Time exchange_window() const { return slices_.exchange_window(); }
    // Polled once per event; a signal handler may set it (SIGINT/SIGTERM).
    void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }

    // Process all events with t < t_stop. Returns false if stopped early by the
    // stop flag (state is consistent at the last processed event). A runaway node
    // or a non-finite state (sim/node_core.hpp) throws UserError.
    bool run(Time t_stop);
    // For a run made in pieces run(t1), run(t2), ... up to t_end: every piece
    // then looks ahead to t_end (spike predictions, root searches, superposed
    // slices) and a piece goes on from where the last one stopped without
    // touching any node, so the pieces give the results of one run(t_end) to the
    // bit. Default 0: each run looks ahead to its own t_stop.
    void set_horizon(Time t_end) { final_horizon_ = t_end; }

    Time now() const { return core_.now; }
    std::uint64_t events_processed() const { return core_.n_events; }
    // Slice batching (sim/slices.hpp): whether population i is processed in slices,
    // and the slice width (ms; 0 if nothing is batched). Decided at the first run().
    bool batched(std::size_t population) const { return slices_.batched(population); }
    Time slice_width() const { return slices_.on() ? slices_.h() : 0.0; }
    // Populations whose model could be batched but are not, with the reason.
    const std::vector<std::string>& batching_notes() const { return batching_notes_; }
    std::uint64_t deliveries_processed() const { return core_.n_deliveries; }
    // Node updates that took a whole slice's inputs by superposition (sim/slices.hpp).
    std::uint64_t superposed_updates() const { return core_.n_superposed; }
    const Network& network() const { return net_; }
    Population& population(std::size_t i) { return *net_.populations[i]; }
    const Population& population(std::size_t i) const { return *net_.populations[i]; }
    Projection& projection(std::size_t i) { return net_.projections[i]; }
    const Projection& projection(std::size_t i) const { return net_.projections[i]; }

    // Plastic writes (rules reach these through SynapseHandle). `by` names the
    // writer in /plasticity events.
    void set_delay(std::uint32_t projection, Index synapse, Time d, const std::string& by) override;
    void set_weight(std::uint32_t projection, Index synapse, double w, const std::string& by) override;

    // Checkpoints (sim/checkpoint.hpp). save: the whole dynamic state between two
    // runs (a chunked run: set_horizon(t_end), run(T), save, ...). restore: into a
    // Simulation built from the same config with the same rules and observers,
    // before its first run; the next run(t_end) then goes on to the bit.
    // CheckpointError if the data does not fit the network.
    void save(Writer& w) const;
    void restore(Reader& r);
    // Models and rules that cannot be checkpointed ("model 'x' of population 'p'").
    std::vector<std::string> not_checkpointable() const;

private:
    // One pending spike (or spike check) per node, updated in place: predictions
    // change at every input, and re-pushing them would flood the queue.
    struct Prediction {
        Time t;
        std::uint32_t level;
        std::uint64_t seq;
        std::uint32_t pop;
        Index node;
    };
    struct PredictionLater {
        bool operator()(const Prediction& a, const Prediction& b) const noexcept {
            if (a.t != b.t) return a.t > b.t;
            if (a.level != b.level) return a.level > b.level;
            return a.seq > b.seq;
        }
    };
    using Predictions = PredictionHeap<Prediction, PredictionLater>;  // by global node

    // What a node's pending prediction is (exact_, per global node): a check time
    // from Population::spike_bound (kCheck), the spike itself (kExact), or a
    // deferred check (handle_prediction): the node's state still stands at
    // anchor_ and its exact search from there is yet to be made, after the
    // chained bound (kDeferred) or at once (kChained: the chain was taken).
    enum Kind : std::uint8_t { kCheck = 0, kExact = 1, kDeferred = 2, kChained = 3 };
    // A deferred check comes this share of the way from its anchor to the bound (the rest is a margin against
    // rounding in the model's chained states).
    static constexpr double kDeferShare = 1.0 - 1.0 / 1024.0;
    void predict(std::uint32_t pop, Index node, Time t, std::uint32_t level_if_now);
    void schedule(std::uint32_t pop, Index node, Time t, std::uint32_t level, Kind kind) {
        schedule(pop, node, t, level, kind, prediction_seq_++);
    }
    void schedule(std::uint32_t pop, Index node, Time t, std::uint32_t level, Kind kind, std::uint64_t seq);
    void handle_prediction(const Prediction& p);
    void handle_fire(std::uint32_t pop, Index node, Time t, std::uint32_t level);
    void handle_delivery(const Event& e);
    void set_lag_delay(std::uint32_t projection, Index synapse, Time d, const std::string& by);
    // ring = false: not onto batched projections (the slices expand those themselves).
    void emit(std::uint32_t pop, Index node, Time t, std::uint32_t level, bool ring = true);
    Event delivery(std::uint32_t q, Index s, Time t, std::uint32_t level, Time emitted) const;
    bool sample_until(Time t, Time t_stop);
    bool main_until(Time until, Time t_stop);
    Time next_sample_time() const {
        return sample_interval_ > 0 ? static_cast<double>(next_sample_) * sample_interval_ : kNever;
    }
    // Slice batching: plan at the first run, re-plan (replan_), the driver.
    void setup_batching();
    void replan_batching();
    bool run_batched(Time t_stop, bool resume);

    Network net_;
    std::vector<Observer*> observers_;
    NodeCore core_;
    Inflight inflight_;
    Slices slices_;
    EventQueue queue_;
    std::vector<std::unique_ptr<plasticity::Rule>> rules_;
    Predictions predictions_;
    std::vector<std::uint8_t> exact_;  // per global node: a Kind
    std::vector<Time> anchor_;         // per global node: see kDeferred
    std::uint64_t prediction_seq_ = 0;
    std::vector<std::vector<std::uint32_t>> out_projections_;  // per population
    // Per projection: its target port is a lag port (Population::has_lag); its
    // delay is then the port's mean delay D and spikes arrive without axonal delay.
    std::vector<std::uint8_t> lag_;
    bool prepared_ = false;
    bool running_ = false;      // inside run()
    bool replan_ = false;       // a delay below the slice width was set between runs
    Time final_horizon_ = 0.0;  // set_horizon
    bool predicted_ = false;    // every node has been predicted for core_.horizon
    bool allow_batching_ = true;
    bool allow_superposition_ = true;
    bool defer_checks_ = true;
    bool zero_delay_ranges_ = true;
    std::vector<std::string> batching_notes_;
    std::uint32_t level_ = 0;
    Time sample_interval_ = 0.0;
    std::uint64_t next_sample_ = 0;
    const volatile std::sig_atomic_t* stop_flag_ = nullptr;
};

}  // namespace delaysim::sim
