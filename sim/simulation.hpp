// One Simulation owns the network, the event queue, the rules and the observers
// (no globals: two simulations can run side by side). The run-loop order is
// written down once, at the top of Simulation::run in simulation.cpp.
#pragma once
#include <csignal>
#include <deque>
#include <memory>
#include <vector>

#include "plasticity/rule.hpp"
#include "sim/batch.hpp"
#include "sim/event_queue.hpp"
#include "sim/network.hpp"
#include "sim/observer.hpp"

namespace delaysim::sim {

class Simulation {
public:
    explicit Simulation(Network network);

    // Attach a rule to projections (by index). Call before run().
    void add_rule(std::unique_ptr<plasticity::Rule> rule, std::vector<std::uint32_t> projections);
    void add_observer(Observer* observer) { observers_.push_back(observer); }
    void set_sample_interval(Time interval) { sample_interval_ = interval; }
    // Slice batching (sim/batch.hpp) is on by default; off forces the
    // event-by-event loop everywhere (for comparisons). Call before run().
    void set_batching(bool on) { allow_batching_ = on; }
    // Superposition of whole slices (sim/batch.hpp) is on by default; off takes
    // every batched input one by one (for comparisons). Call before run().
    void set_superposition(bool on) { allow_superposition_ = on; }
    // Polled once per event; a signal handler may set it (SIGINT/SIGTERM).
    void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }

    // Process all events with t < t_stop. Returns false if stopped early by the
    // stop flag (state is consistent at the last processed event).
    bool run(Time t_stop);
    // For a run made in pieces run(t1), run(t2), ... up to t_end: every piece
    // then looks ahead to t_end (spike predictions, root searches, superposed
    // slices) and a piece goes on from where the last one stopped without
    // touching any node, so the pieces give the results of one run(t_end) to the
    // bit. Default 0: each run looks ahead to its own t_stop.
    void set_horizon(Time t_end) { final_horizon_ = t_end; }

    Time now() const { return now_; }
    std::uint64_t events_processed() const { return n_events_; }
    // Slice batching (sim/batch.hpp): whether population i is processed in slices,
    // and the slice width (ms; 0 if nothing is batched). Decided at the first run().
    bool batched(std::size_t population) const { return batch_.on && batch_.pop[population]; }
    Time slice_width() const { return batch_.on ? batch_.h : 0.0; }
    // Populations whose model could be batched but are not, with the reason.
    const std::vector<std::string>& batching_notes() const { return batching_notes_; }
    std::uint64_t deliveries_processed() const { return n_deliveries_; }
    // Node updates that took a whole slice's inputs by superposition (sim/batch.hpp).
    std::uint64_t superposed_updates() const { return n_superposed_; }
    const Network& network() const { return net_; }
    Population& population(std::size_t i) { return *net_.populations[i]; }
    const Population& population(std::size_t i) const { return *net_.populations[i]; }
    Projection& projection(std::size_t i) { return net_.projections[i]; }
    const Projection& projection(std::size_t i) const { return net_.projections[i]; }

    // Plastic writes (rules reach these through SynapseHandle). `by` names the
    // writer in /plasticity events.
    void set_delay(std::uint32_t projection, Index synapse, Time d, const std::string& by);
    void set_weight(std::uint32_t projection, Index synapse, double w, const std::string& by);

private:
    struct Attachment {
        plasticity::Rule* rule;
        std::uint32_t projection;
        std::size_t slot;
    };
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
    using PredictionHeap = boost::heap::d_ary_heap<Prediction, boost::heap::arity<4>, boost::heap::mutable_<true>,
                                                   boost::heap::compare<PredictionLater>>;

    void predict(std::uint32_t pop, Index node, Time t, std::uint32_t level_if_now);
    void schedule(std::uint32_t pop, Index node, Time t, std::uint32_t level, bool exact);
    void handle_prediction(const Prediction& p);
    void handle_fire(std::uint32_t pop, Index node, Time t, std::uint32_t level);
    void handle_delivery(const Event& e);
    void set_lag_delay(std::uint32_t projection, Index synapse, Time d, const std::string& by);
    template <class F>
    void for_rules(unsigned hook, F&& f);
    void remember_emission(std::uint32_t pop, Index node, Time t);
    void index_hooks();
    void run_delivered_hooks(std::uint32_t q, Index s, Time t);
    void run_post_spike_hooks(std::uint32_t pop, Index node, Time t);
    void emit(std::uint32_t pop, Index node, Time t, std::uint32_t level);
    Event delivery(std::uint32_t q, Index s, Time t, std::uint32_t level, Time emitted) const;
    bool sample_until(Time t, Time t_stop);
    bool main_until(Time until, Time t_stop);

    // Slice batching, sim/simulation_batch.cpp.
    void setup_batching();
    void replan_batching();
    void start_batched_run();
    bool run_batched(Time t_stop, bool resume);
    std::int64_t slice_of(Time t) const {
        auto k = static_cast<std::int64_t>(t * batch_.inv_h);
        while (slice_start(k + 1) <= t) ++k;
        while (slice_start(k) > t) --k;
        return k;
    }
    Time slice_start(std::int64_t k) const { return static_cast<double>(k) * batch_.h; }
    // Inputs always land in a later slice than the one being processed (delays >= h;
    // a rounding-edge arrival is moved to the next slice, and the target clamps it
    // to its own time, see apply_input).
    void push_input(const SliceInput& in) {
        std::int64_t k = slice_of(in.t);
        if (k <= batch_.cur) k = batch_.cur + 1;
        if (k - batch_.cur > static_cast<std::int64_t>(batch_.mask)) [[unlikely]]
            batch_.far.push_back(in);
        else {
            auto& slot = batch_.ring[static_cast<std::size_t>(k) & batch_.mask];
            slot.push_back(in);
            // The slot's next line, for writing: a slot gets an input every ~100
            // writes of a fan-out, so its tail is out of cache by then.
            __builtin_prefetch(slot.data() + slot.size() + 2, 1);
        }
    }
    void begin_slice(std::int64_t k, bool superposable, bool cut);
    void sum_inputs(std::int64_t k);
    void group_inputs();
    void group_slow_inputs();
    template <class Keep>
    void place_inputs(Keep keep);
    void settle_nodes();
    void settled_hooks(BatchState::Run& r, Time b, bool last);
    std::uint32_t sub_slice_end(const BatchState::Run& r, Time b, bool last) const;
    void batch_interval(Time b, bool last);
    void batch_node(std::size_t run, Time b, bool last);
    void apply_input(std::uint32_t pop, Index node, const SliceInput& in);
    Time fire_crossings(std::uint32_t g, Time b, bool inclusive);
    void batch_fire(std::uint32_t g, Time t);
    void file_check(std::uint32_t g, Time t);
    void add_check_run(std::uint32_t g);
    void due_checks(std::int64_t k);
    void finish_interval();

    Network net_;
    EventQueue queue_;
    std::vector<std::unique_ptr<plasticity::Rule>> rules_;
    std::vector<Attachment> attachments_;
    std::vector<Observer*> observers_;
    PredictionHeap predictions_;
    std::vector<Index> node_offset_;  // global node index = node_offset_[pop] + node
    std::vector<PredictionHeap::handle_type> handle_;
    std::vector<std::uint8_t> scheduled_, exact_;  // per global node
    std::uint64_t prediction_seq_ = 0;
    std::vector<std::vector<std::uint32_t>> out_projections_;  // per population
    // Per projection: a weight has changed (set_weight), so deliveries read the
    // store instead of the weight copied at emission (equal until the first change;
    // delay-only rules so never pay a random read of the weight per delivery).
    std::vector<std::uint8_t> weight_live_;
    // Per projection: its target port is a lag port (Population::has_lag); its
    // delay is then the port's mean delay D and spikes arrive without axonal delay.
    std::vector<std::uint8_t> lag_;
    // Retime: recent emission times per source node (only populations that feed
    // a Retime projection), kept for the projection's largest delay bound.
    std::vector<std::vector<std::deque<Time>>> history_;
    std::vector<Time> history_span_;
    // Attachments by projection (delivered hooks) and by target population
    // (post-spike hooks), built at the first run.
    std::vector<std::vector<Attachment>> delivered_hooks_, post_hooks_;
    bool any_delivered_hooks_ = false;
    BatchState batch_;
    bool prepared_ = false;
    bool running_ = false;  // inside run()
    bool replan_ = false;   // a delay below the slice width was set between runs
    bool allow_batching_ = true;
    bool allow_superposition_ = true;
    std::vector<std::string> batching_notes_;
    Time now_ = 0.0;
    Time horizon_ = 0.0;
    Time final_horizon_ = 0.0;
    bool predicted_ = false;  // every node has been predicted for horizon_
    std::uint32_t level_ = 0;
    Time sample_interval_ = 0.0;
    std::uint64_t next_sample_ = 0;
    std::uint64_t n_events_ = 0, n_deliveries_ = 0, n_superposed_ = 0;
    const volatile std::sig_atomic_t* stop_flag_ = nullptr;
};

}  // namespace delaysim::sim
