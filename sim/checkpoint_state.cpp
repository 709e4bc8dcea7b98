// save/restore of the engine's classes (declared next to each class; kept in
// this one file so that the checkpoint's field order is readable in one place).
// Each restore reads what the matching save wrote, into an object built from
// the same config; what the constructor or the first run's set-up derives from
// the config (offsets, slice width, kernels, dispatch lists) is not stored but
// checked where a mismatch would make the rest meaningless. Indices that the
// run later follows (events, predictions, grouped inputs) are range-checked, so
// a corrupt checkpoint with a valid checksum still cannot make the run read
// out of bounds.
#include <algorithm>

#include "sim/serialize.hpp"
#include "sim/simulation.hpp"

namespace delaysim::sim {
namespace {

void check(Reader& r, bool ok, const char* what) {
    if (!ok) r.fail(what);
}

bool valid_event(const Event& e, const Network& net) {
    if (e.group >= net.projections.size()) return false;
    const Projection& p = net.projections[e.group];
    return e.item < p.size() && e.target < net.populations[p.target_population()]->size();
}

void check_input(Reader& r, const SliceInput& in, const Network& net, Index n_nodes) {
    check(r, in.q < net.projections.size() && in.s < net.projections[in.q].size() && in.node < n_nodes,
          "a slice input of a synapse or node that does not exist");
}

}  // namespace

// --- NodeCore --------------------------------------------------------------
void NodeCore::save(Writer& w) const {
    w.put(now);
    w.put(horizon);
    w.put(n_events);
    w.put(n_deliveries);
    w.put(n_superposed);
    w.put(weight_live_);
    w.put(burst_);
    w.put(n_spikes_);
}

void NodeCore::restore(Reader& r) {
    r.get(now);
    r.get(horizon);
    r.get(n_events);
    r.get(n_deliveries);
    r.get(n_superposed);
    r.get(weight_live_, net_.projections.size(), "the weight flags");
    r.get(burst_, n_nodes(), "the spike-burst guard");
    r.get(n_spikes_);
}

// --- Inflight --------------------------------------------------------------
void Inflight::save(Writer& w) const {
    w.put_nested(version_);
    w.put_nested(last_delivered_);
    w.put<std::uint64_t>(history_.size());
    for (const auto& per_node : history_) w.put_nested(per_node);
}

void Inflight::restore(Reader& r) {
    const std::size_t nq = retime_.size();
    std::vector<std::vector<std::uint32_t>> version;
    std::vector<std::vector<Time>> last;
    r.get_nested(version, nq, "the in-flight versions");
    r.get_nested(last, nq, "the in-flight deliveries");
    for (std::size_t q = 0; q < nq; ++q)
        check(r, version[q].size() == version_[q].size() && last[q].size() == last_delivered_[q].size(),
              "in-flight state of another network");
    version_ = std::move(version);
    last_delivered_ = std::move(last);
    r.expect(r.length(sizeof(std::uint64_t)), history_.size(), "the spike history");
    for (auto& per_node : history_) {
        const std::size_t n = per_node.size();
        r.get_nested(per_node, n, "the spike history of a population");
    }
}

// --- EventQueue ------------------------------------------------------------
void EventQueue::save(Writer& w) const {
    w.put<std::uint64_t>(ring_.size());
    w.put(inv_width_);
    std::vector<Event> heap(heap_.begin(), heap_.end());  // any order: the key is total (seq)
    w.put(heap);
    w.put_nested(ring_);
    w.put(active_);
    w.put(order_);
    w.put<std::uint64_t>(cursor_);
    w.put<std::uint64_t>(in_ring_);
    w.put(current_);
    w.put(next_seq_);
    // The FIFO tier of zero-delay deliveries: only its pending part, ranges
    // written as their events (the layout of one push_now each).
    std::vector<Event> now;
    for (std::size_t k = head_; k < now_.size(); ++k)
        each_event(now_[k], [&](const Event& e) { now.push_back(e); });
    w.put(now);
}

void EventQueue::restore(Reader& r, const std::function<bool(const Event&)>& valid) {
    r.expect(r.get<std::uint64_t>(), ring_.size(), "the event queue's ring");
    check(r, r.get<double>() == inv_width_, "an event queue of another bucket width");
    std::vector<Event> heap;
    r.get(heap);
    heap_.clear();
    for (const Event& e : heap) heap_.push(e);
    const std::size_t n = ring_.size();
    r.get_nested(ring_, n, "the event queue's ring");
    r.get(active_);
    r.get(order_);
    cursor_ = static_cast<std::size_t>(r.get<std::uint64_t>());
    in_ring_ = static_cast<std::size_t>(r.get<std::uint64_t>());
    r.get(current_);
    r.get(next_seq_);
    r.get(now_);
    head_ = 0;
    for (Event& e : now_) e.more = 0;  // (the padding of older checkpoints)
    tier_ = Tier::Unknown;
    check(r, cursor_ <= order_.size(), "an event queue cursor past its bucket");
    for (const auto& o : order_) check(r, o.second < active_.size(), "an event queue order past its bucket");
    std::size_t ringed = 0;
    for (const auto& b : ring_) ringed += b.size();
    check(r, ringed == in_ring_, "an event queue whose ring count does not add up");
    bool ok =
        std::all_of(heap.begin(), heap.end(), valid) && std::all_of(active_.begin(), active_.end(), valid);
    for (const auto& b : ring_) ok = ok && std::all_of(b.begin(), b.end(), valid);
    ok = ok && std::all_of(now_.begin(), now_.end(), valid);
    check(r, ok, "an event of a synapse or node that does not exist");
    bool fifo = true;  // the FIFO tier's invariant: one (t, level), in seq order
    for (std::size_t i = 1; i < now_.size(); ++i)
        fifo =
            fifo && now_[i].t == now_[0].t && now_[i].level == now_[0].level && now_[i].seq > now_[i - 1].seq;
    check(r, fifo, "a zero-delay tier out of order");
}

// --- Slices ----------------------------------------------------------------
// What setup() derived (on, h, which populations, kernels, hook kinds) is made
// again from the config; h and the batched populations are checked. The rest is
// the state of the slices: pending inputs, node records, check minima and, when
// the last run stopped inside a slice, that slice's grouped inputs and sums.
void Slices::save(Writer& w) const {
    const BatchState& B = B_;
    w.put_bool(B.on);
    if (!B.on) return;
    w.put(B.h);
    w.put(B.pop);
    // The lanes' parts as one (the layout of one thread; restore splits it again).
    const BatchState::Part all = merged_parts();
    w.put_nested(all.ring);
    w.put(all.far);
    w.put(B.nodes);
    w.put(B.block_min);
    w.put(B.group_min);
    w.put(B.cur);
    w.put_bool(B.begun);
    DS_ASSERT(!B.begun || B.prepared);
    w.put(all.active);
    w.put(all.grouped);
    w.put(all.runs);
    w.put(B.sums);
    w.put_bool(B.superpose);
    w.put_bool(B.cut);
    w.put_bool(B.settled);
    w.put(B.sampled);
    w.put(std::vector<BatchState::Run>{});  // scratch (slow runs, slow bits), kept in the layout
    w.put(std::vector<std::uint64_t>(B.sums.empty() ? 0 : B.nodes.size() / 64 + 1, 0));
    // Spikes and changes of a sub-slice are replayed at its end: none between runs.
    DS_ASSERT(B.spikes.empty() && B.log.empty() && !B.logging);
    w.put(B.seq);
    w.put(B.counted);
    w.put(B.count_prev);
    w.put(B.count_next);
}

void Slices::restore(Reader& r) {
    BatchState& B = B_;
    check(r, r.get_bool() == B.on, "slice batching on in one and off in the other");
    if (!B.on) return;
    check(r, r.get<Time>() == B.h, "another slice width");
    std::vector<std::uint8_t> pop;
    r.get(pop);
    check(r, pop == B.pop, "other batched populations");
    const std::size_t n = core_.n_nodes();
    const std::size_t slots = B.mask + 1, blocks = B.block_min.size(), groups = B.group_min.size(),
                      sums = B.sums.size(), bits = B.sums.empty() ? 0 : n / 64 + 1;
    BatchState::Part all;
    r.get_nested(all.ring, slots, "the slice ring");
    r.get(all.far);
    r.get(B.nodes, n, "the batched node records");
    r.get(B.block_min, blocks, "the block minima");
    r.get(B.group_min, groups, "the group minima");
    r.get(B.cur);
    B.begun = r.get_bool();
    r.get(all.active);
    r.get(all.grouped);
    r.get(all.runs);
    r.get(B.sums, sums, "the slice sums");
    B.superpose = r.get_bool();
    B.cut = r.get_bool();
    B.settled = r.get_bool();
    r.get(B.sampled);
    std::vector<BatchState::Run> slow;
    std::vector<std::uint64_t> slow_bits;
    r.get(slow);
    r.get(slow_bits, bits, "the slow-node bits");
    r.get(B.seq);
    r.get(B.counted);
    r.get(B.count_prev);
    r.get(B.count_next);
    check(r, B.sampled.empty() || B.sampled.size() == n, "sampled flags of another network");
    for (const auto& slot : all.ring)
        for (const SliceInput& in : slot) check_input(r, in, net_, n);
    for (const auto* v : {&all.far, &all.active, &all.grouped})
        for (const SliceInput& in : *v) check_input(r, in, net_, n);
    for (const BatchState::Node& x : B.nodes)
        check(r, x.pop < net_.populations.size(), "a node record's population");
    for (const BatchState::Run& run : all.runs)  // (slow runs are scratch of the slice's start)
        check(
            r,
            run.node < n && run.begin <= run.cursor && run.cursor <= run.end && run.end <= all.grouped.size(),
            "a slice run past its inputs");
    // Into node order (a checkpoint of an older version may have another), then into the lanes' parts.
    std::stable_sort(all.runs.begin(), all.runs.end(),
                     [](const BatchState::Run& x, const BatchState::Run& y) { return x.node < y.node; });
    B.prepared = true;
    split_parts(std::move(all), B.parts.size());
    for (const SliceSum& s : B.sums) check(r, s.pop < net_.populations.size(), "a slice sum's population");
}

// --- Projection ------------------------------------------------------------
void Projection::save(Writer& w) const {
    w.put(delay_);
    w.put(weight_);
}

void Projection::restore(Reader& r) {
    const std::size_t n = delay_.size();
    r.get(delay_, n, ("the delays of projection '" + name_ + "'").c_str());
    r.get(weight_);
    check(r, weight_.empty() || weight_.size() == n, "weights of another projection size");
}

// --- Simulation ------------------------------------------------------------
std::vector<std::string> Simulation::not_checkpointable() const {
    std::vector<std::string> out;
    for (const auto& P : net_.populations)
        if (!P->checkpointable())
            out.push_back("model '" + P->model() + "' of population '" + P->name() + "'");
    for (const auto& rule : rules_)
        if (!rule->checkpointable()) out.push_back("rule '" + rule->name() + "'");
    return out;
}

void Simulation::save(Writer& w) const {
    DS_ASSERT(!running_);
    w.put(sample_interval_);
    w.put(next_sample_);
    w.put(level_);
    w.put(final_horizon_);
    w.put_bool(predicted_);
    w.put_bool(replan_);
    w.put_bool(prepared_);
    core_.save(w);
    inflight_.save(w);
    queue_.save(w);
    // (The file keeps the layout of a heap with per-node flags.)
    std::vector<Prediction> pending;
    pending.reserve(predictions_.size());
    predictions_.for_each([&](const Prediction& p) { pending.push_back(p); });
    std::vector<std::uint8_t> scheduled(core_.n_nodes(), 0);
    for (const Prediction& p : pending) scheduled[core_.global(p.pop, p.node)] = 1;
    w.put(pending);
    w.put(scheduled);
    w.put(exact_);
    w.put(anchor_);
    w.put(prediction_seq_);
    slices_.save(w);
    for (const Projection& p : net_.projections) p.save(w);
    for (const auto& P : net_.populations) P->save_state(w);
    for (const auto& rule : rules_) rule->save_state(w);
}

void Simulation::restore(Reader& r) {
    DS_ASSERT(!prepared_ && !running_);
    // The first run's set-up, from the config as the original run did it (before
    // any delay changed), then the state over it.
    core_.index_hooks();
    setup_batching();
    prepared_ = true;
    check(r, r.get<Time>() == sample_interval_, "another sample interval");
    r.get(next_sample_);
    r.get(level_);
    r.get(final_horizon_);
    predicted_ = r.get_bool();
    replan_ = r.get_bool();
    check(r, r.get_bool(), "a simulation that never ran");
    core_.restore(r);
    inflight_.restore(r);
    queue_.restore(r, [this](const Event& e) { return valid_event(e, net_); });
    std::vector<Prediction> pending;
    r.get(pending);
    std::vector<std::uint8_t> scheduled;
    r.get(scheduled, core_.n_nodes(), "the prediction flags");
    r.get(exact_, core_.n_nodes(), "the prediction kinds");
    r.get(anchor_, core_.n_nodes(), "the deferred checks' anchors");
    r.get(prediction_seq_);
    for (std::uint8_t k : exact_) check(r, k <= kChained, "a prediction of an unknown kind");
    predictions_.reset(core_.n_nodes());
    std::size_t flagged = 0;
    for (std::uint8_t s : scheduled) flagged += s != 0;
    check(r, flagged == pending.size(), "predictions that do not match their flags");
    for (const Prediction& p : pending) {
        check(r, p.pop < net_.populations.size() && p.node < net_.populations[p.pop]->size(),
              "a prediction for a node that does not exist");
        const auto g = static_cast<std::uint32_t>(core_.global(p.pop, p.node));
        check(r, scheduled[g] == 1, "a prediction for a node not flagged as scheduled");
        check(r, !predictions_.contains(g), "two predictions for one node");
        predictions_.set(g, p);
    }
    slices_.restore(r);
    for (Projection& p : net_.projections) p.restore(r);
    for (auto& P : net_.populations) P->restore_state(r);
    for (auto& rule : rules_) rule->restore_state(r);
    check(r, r.done(), "data after the engine state");
}

}  // namespace delaysim::sim
