// MPI ranks that meet once per lookahead window, not once per sub-slice
// (README "Parallel runs"; the per-sub-slice exchange is sim/slices_ranks.cpp).
//
// Every projection that crosses ranks has delays >= W, so a spike emitted in a
// window [K0 h, ...) reaches another rank's nodes at >= K0 h + W: at or after the
// window's reach split_ = K0 + m (m h < W). A rank therefore runs the window's
// sub-slices alone: after each node phase it expands its own spikes onto its own
// nodes, keeping only the inputs landing before split_ (the only inputs that land
// there: own spikes and earlier windows'). At the window's end the ranks meet once
// (one exchange of every sub-slice's spikes and changes) and every rank replays
// the window sub-slice by sub-slice in the one-process order (reports, weight
// changes, and every rank's spikes expanded onto its own nodes for the inputs
// landing at/after split_). So each ring slot gets its inputs in the one-process
// order: earlier windows first, then this window's sub-slices in order, each in
// the merged (time, run) order.
//
// Delay rules: a spike is expanded with the delays in force at its emission. The
// immediate expansion replays this rank's changes of the sub-slice against its
// spikes (as finish_interval does; rules change only synapses onto their own
// node, so onto this rank's); at the window's end all of its changes are undone
// and each sub-slice's replay redoes them in order.
//
// Used only where this holds without more machinery (choose_window, else the
// per-sub-slice exchange with a note): every population batched (the event loop
// would push inputs between the sub-slices), delay rules only with finite
// delay_max_ms (the ring covers it: no input goes beyond the ring, whose far
// inputs come back in another order), no superposition (each slice's decision
// needs every rank's input counts of the slice before), the rings empty when it
// is chosen. Windows also end at the run's end and at sample times
// (synapse samples and traces read every rank's state there).
#include <algorithm>
#include <cmath>

#include "sim/error.hpp"
#include "sim/mpi.hpp"
#include "sim/radix_sort.hpp"
#include "sim/slices.hpp"

namespace delaysim::sim {

namespace {
constexpr Time kWindowMargin = 1e-6;  // ms: m h <= W - margin, against the rounding of t + d
constexpr std::int64_t kMaxWindowSlices =
    1024;  // W = +inf (nothing crosses ranks): a meeting per 1024 slices
}  // namespace

// After the partition (assign_owners): slices per window, and the rings made
// long enough that no input of a window goes beyond them (far inputs would come
// back into the ring in another order than in one process).
void Slices::choose_window() {
    window_slices_ = 1;
    const Time W = partition_.window, h = B_.h;
    if (!(W >= 2.0 * h)) return;
    std::string why;
    for (std::size_t p = 0; p < net_.populations.size() && why.empty(); ++p)
        if (!B_.pop[p]) why = "population '" + net_.populations[p]->name() + "' runs event by event";
    for (const NodeCore::Attachment& a : core_.attachments())
        if (why.empty() && B_.proj[a.site.index] && a.rule->writes_delays() &&
            !std::isfinite(a.site.projection->bounds().max))
            why = "rule '" + a.rule->name() + "' may change the delays of projection '" +
                  a.site.projection->name() + "' without an upper bound (set delay_max_ms)";
    if (why.empty() && !B_.sums.empty())
        why =
            "superposition is on (each slice's decision needs every rank's input counts; "
            "[simulation] superposition = false exchanges per window)";
    for (const BatchState::Part& P : B_.parts) {
        bool empty = P.far.empty() && P.active.empty() && P.runs.empty();
        for (const auto& slot : P.ring) empty = empty && slot.empty();
        if (why.empty() && !empty) why = "inputs were pending when the ranks were set up";
    }
    if (!why.empty()) {
        partition_.notes.push_back("the ranks meet once per sub-slice, not once per lookahead window of " +
                                   fmt_ms(W) + ": " + why);
        return;
    }
    const double m = std::floor((W - kWindowMargin) / h);
    window_slices_ = std::isfinite(m)
                         ? std::clamp<std::int64_t>(static_cast<std::int64_t>(m), 1, kMaxWindowSlices)
                         : kMaxWindowSlices;
    if (window_slices_ <= 1) return;
    std::size_t slots = B_.mask + 1;
    while (slots < B_.mask + 1 + static_cast<std::size_t>(window_slices_) + 2) slots *= 2;
    B_.mask = slots - 1;
    for (BatchState::Part& P : B_.parts) P.ring.assign(slots, {});
}

// A sub-slice of the open window (opened here if none is): this rank's node
// phase, its own spikes expanded at once for the inputs landing inside the
// window, its spikes and changes kept; at the window's end, the exchange.
void Slices::window_interval(Time b, bool last, bool sync) {
    BatchState& B = B_;
    if (split_ == BatchState::kNoSlice) {
        split_ = B.cur + window_slices_;
        win_before_[0] = core_.n_events;
        win_before_[1] = core_.n_deliveries;
        win_before_[2] = core_.n_superposed;
        win_error_ = nullptr;
        win_cur_.clear();
    }
    if (!win_error_)
        win_error_ = rank_node_phase(b, last);
    else
        B.prepared = true;  // (failed: the rest of the window is skipped, the run ends at its exchange)
    const std::uint64_t sub = win_cur_.size();
    win_cur_.push_back(B.cur);
    if (!win_error_ && !B.spikes.empty()) {
        // finish_interval's replay order restricted to this rank: spikes by (time,
        // run key), changes by (time, position), a spike before a change at its time.
        std::stable_sort(B.spikes.begin(), B.spikes.end(), [](const auto& x, const auto& y) {
            return x.t < y.t || (x.t == y.t && x.seq < y.seq);
        });
        B.log_order.resize(B.log.size());
        for (std::size_t k = 0; k < B.log.size(); ++k)
            B.log_order[k] = {time_key(B.log[k].t), static_cast<std::uint32_t>(k)};
        radix_sort(B.log_order, B.log_scratch);
        B.replay.clear();
        B.redo.clear();  // (every delay change: the window's node phases read the stored values)
        for (std::uint32_t k = 0; k < B.log.size(); ++k)
            if (B.log[k].delay) B.redo.push_back(k);
        for (std::size_t i = 0, j = 0; i < B.spikes.size() || j < B.log.size();) {
            if (j == B.log.size() || (i < B.spikes.size() && B.spikes[i].t <= B.log[B.log_order[j].second].t))
                B.replay.push_back(static_cast<std::uint32_t>(i++));
            else
                B.replay.push_back(BatchState::kChange | B.log_order[j++].second);
        }
        split_mode_ = 1;
        for (BatchState::Part& P : B.parts)
            expand_part(P);  // (its delay changes undone, then redone in order)
        split_mode_ = 0;
    }
    for (BatchState::Spike sp : B.spikes) {
        sp.seq |= sub << 32;
        win_spikes_.push_back(sp);
    }
    win_log_.insert(win_log_.end(), B.log.begin(), B.log.end());
    for (const std::uint64_t key : log_keys_) win_log_keys_.push_back(key | sub << 32);
    B.spikes.clear();
    B.log.clear();
    log_keys_.clear();
    if (sync || (last && B.cur + 1 >= split_)) close_window();
}

// The window's exchange, then its replay sub-slice by sub-slice (finish_interval
// with the expansion kept to the inputs landing at/after the window's reach).
void Slices::close_window() {
    BatchState& B = B_;
    std::swap(B.spikes, win_spikes_);
    std::swap(B.log, win_log_);
    std::swap(log_keys_, win_log_keys_);
    win_spikes_.clear();
    win_log_.clear();
    win_log_keys_.clear();
    const std::exception_ptr error = win_error_;
    win_error_ = nullptr;
    const std::int64_t reach = split_;
    split_ = BatchState::kNoSlice;
    exchange(error, win_before_);  // (throws every rank's first error on every rank)
    std::vector<BatchState::Spike> spikes;
    std::vector<BatchState::Change> log;
    std::swap(spikes, B.spikes);
    std::swap(log, B.log);
    for (std::size_t k = log.size(); k-- > 0;)  // every delay as at the window's start
        if (log[k].delay) net_.projections[log[k].q].store_delay(log[k].s, log[k].old_value);
    split_ = reach;
    split_mode_ = 2;
    std::size_t i = 0, j = 0;
    for (std::uint32_t sub = 0; sub < win_cur_.size(); ++sub) {
        B.spikes.clear();
        B.log.clear();
        for (; i < spikes.size() && spike_sub_[i] == sub; ++i) B.spikes.push_back(spikes[i]);
        for (; j < log.size() && change_sub_[j] == sub; ++j) B.log.push_back(log[j]);
        split_cur_ = win_cur_[sub];
        finish_interval();
    }
    split_mode_ = 0;
    split_ = BatchState::kNoSlice;
}

// expand_onto under a window: the synapses [s, end) of `node` onto the part,
// only the inputs on this side of the window's reach (their slice as push_at
// finds it: input_slice).
void Slices::expand_split(BatchState::Part& P, const Projection& proj, std::uint32_t q, Index node, Time t,
                          Index s, Index end, std::uint32_t g0) {
    const std::int64_t cur = split_mode_ == 1 ? B_.cur : split_cur_;
    const bool own_source =
        own(static_cast<std::uint32_t>(core_.node_offset(proj.source_population()) + node));
    const auto port = static_cast<std::uint32_t>(proj.port());
    for (; s < end; ++s) {
        const auto g = g0 + static_cast<std::uint32_t>(proj.target(s));
        if (P.mixed && !own(g)) continue;
        const SliceInput in{t + proj.delay(s), proj.weight(s), g, q, static_cast<std::uint32_t>(s), port};
        const bool beyond = input_slice(in.t, cur) >= split_;
        if (split_mode_ == 2 && !beyond) {
            if (own_source) continue;  // (pushed at its sub-slice)
            throw InternalError("MPI window: a spike of another rank reaches projection '" + proj.name() +
                                "' inside the window (the lookahead is wrong)");
        }
        if (split_mode_ == 1 && beyond) continue;  // (pushed at the window's end)
        push_input(P, in);
    }
}

}  // namespace delaysim::sim
