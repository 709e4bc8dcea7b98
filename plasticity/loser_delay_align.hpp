// loser_delay_align — a settling variant of the seed's loser rule (loser_delay_shift).
// Two rivals get a reference input R (fixed delay, port a of the coincidence models)
// and a plastic input P (port b) carrying the same pattern; the first to fire
// inhibits the other. As in the seed, only the inhibited neuron (the loser) moves
// its plastic delay, and only at the inhibition; unlike the seed, it moves it by
// what it has seen of its own inputs since its last change, so an aligned loser
// stays put (it lost to the winner's head start, not to a worse delay).
//
// What the neuron observes: the arrival times of its inputs,
//   t_arr = t_emit + d            (d in force at emission; for a lag port d is the
//                                  chain's mean delay D, so t_arr is the mean arrival)
// Pairing, for each plastic synapse k onto neuron j, evidence since k's last change:
//   - a P arrival is "matched" if an R arrival at j lies within +-window_ms of it
//     (nearest neighbour), else it is a miss;
//   - every (R, P) pair adds  w = exp(-|e| / tau),  e = t_R - t_P  (ms; e > 0: P came
//     too early, its delay should grow), to  S_w += w,  S_we += w e.
//     (Both sums are kept with two traces per input, x = sum exp(-(t - t_i)/tau) and
//     y = sum (t - t_i) exp(-(t - t_i)/tau), advanced in closed form; a pair is added
//     at the later of its two arrivals, so a coincident pair has e = 0 whatever the
//     order in which the engine delivers it.)
// When neuron j is inhibited at t (all arrivals up to t are taken into account):
//   if some P arrival was a miss:   d_k <- bound(d_k + step_ms)               (search)
//   else if S_w > 0:                d_k <- bound(d_k + gain * S_we / S_w)     (refine)
//   a refinement with |change| < min_change_ms is not applied and the evidence keeps
//   accumulating (a pair whose mirror pair, below, has not arrived yet then weighs
//   less and less); after a change the sums and misses restart.
// After a change at t_c to d, P arrivals of spikes emitted before t_c are ignored
// (they carry the old delay), and R arrivals before t_c + d form no pairs (a P arrival
// at the same time would be among those; they still match P arrivals): every pair
// counted then has its mirror pair (partners swapped) counted too, so the change
// leaves no bias in the timing error.
// The start counts as a change at t = 0 to the initial delay.
// Why it settles: the search moves forward by steps no longer than the matched
// window (step_ms <= 2 window_ms, checked), so it cannot jump over the delays at which
// every P arrival has an R partner; for the seed's pattern (7 spikes in a 13 ms period,
// gaps >= 1 ms) those are only within window_ms of alignment, d = d_R + k x period.
// There the weighted mean timing error S_we / S_w is a contraction towards exact
// alignment (symmetric pairs cancel), and the changes fall below min_change_ms: the
// delay stops. A neuron that only wins never moves; once its rival is better aligned it
// loses and refines in turn.
//
// Parameters (defaults; ranges in `delaysim list`):
//   reference_port  index of the target port (delaysim list) whose arrivals are the
//                   reference (0 = port a of coincidence / coincidence_lag); projections
//                   onto it are observed, never written
//   window_ms       0.4 ms, > 0: the matching window; keep it below half the smallest
//                   gap between pattern spikes (here 1 ms) so a partner is unambiguous
//   step_ms         0.8 ms, in (0, 2 window_ms]: the search step
//   tau_ms          0.5 ms, > 0: pair weight time constant (the seed's trace constant)
//   gain            1, in (0, 2]: the refinement contracts the error for gain < 2
//   min_change_ms   0.001 ms, >= 0: smaller refinements are not applied
// Units: ms. Bounds: the projection's, applied by SynapseHandle::set_delay; the rule
// needs none to stop (wide clamp bounds suffice; configs use [0, 60] ms).
// Hooks: kPreSpike (arrival time = emission + delay), kInhibited. State: per target
// neuron a queue of arrivals not yet reached; per plastic synapse both inputs' traces
// (restarted at its change), the sums and the open (unmatched, still within the
// window) arrivals. Attach the rule to the reference projections as well as to the
// plastic ones (in any order): it needs their arrivals.
// Limits: with inflight = "retime" the arrival is still taken as emission + the delay
// at emission.
// References: the seed notebook (Brian2 model `DelayLearning`, synapses s_ab/s_ba);
// nearest-neighbour pairing and the timing-error step as in delay_shift_stdp
// (Natschläger & Ruf 1998; Hüning, Glünder & Palm 1998).
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace delaysim::plasticity {

class LoserDelayAlign : public Rule {
public:
    explicit LoserDelayAlign(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kPreSpike | kInhibited; }
    bool writes_weights() const override { return false; }
    // seq_ orders pending arrivals across all nodes: shared state (it is never
    // batched, having an inhibited hook, but says so anyway).
    bool needs_serial() const override { return true; }
    void attach(std::size_t slot, const sim::Projection& p) override;
    void on_pre_spike(SynapseHandle& s, Time t) override;
    void on_inhibited(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    static constexpr std::uint32_t kReference = UINT32_MAX;
    struct Trace {  // x = sum exp(-(t - t_i)/tau), y = sum (t - t_i) exp(-(t - t_i)/tau), at time t
        double x = 0, y = 0;
        Time t = 0;
    };
    struct Arrival {
        Time t, emitted, delay;  // arrival, emission, the delay it travelled with
        std::uint64_t seq;       // ties in t keep emission order
        std::uint32_t what;      // kReference, or the plastic synapse's state index
    };
    struct Node {
        std::vector<Arrival> pending;        // min-heap on (t, seq)
        std::vector<std::uint32_t> plastic;  // state indices of plastic synapses onto it
    };
    // Both inputs' traces are per plastic synapse and restart at its change (pairs
    // across the change would be one-sided and bias the timing error).
    struct Plastic {
        std::uint32_t node = 0;
        Trace trace, ref;
        Time last_ref = -1e300;
        std::vector<Time> open;  // P arrivals not yet matched, within window_ms of the last event
        Time changed = 0;        // time of the last change written (the start: 0) ...
        Time changed_to = 0;     // ... and the delay it wrote (the initial delay)
        std::uint64_t misses = 0;
        double sw = 0, swe = 0;
    };

    static bool later(const Arrival& x, const Arrival& y) { return x.t != y.t ? x.t > y.t : x.seq > y.seq; }
    void advance(Trace& tr, Time t) const;
    void close_misses(Plastic& k, Time t);
    void take(Node& n, const Arrival& a);
    void catch_up(Node& n, Time t);

    double window_, step_, tau_, gain_, min_change_;
    std::size_t reference_port_;
    std::vector<std::vector<std::uint32_t>> index_;  // [slot][synapse]: node (reference) or plastic index
    std::vector<bool> is_reference_;                 // per slot
    std::map<std::pair<std::uint32_t, sim::Index>, std::uint32_t> node_of_;  // (population, node)
    std::vector<Node> nodes_;
    std::vector<Plastic> plastic_;
    std::uint64_t seq_ = 0;
};

}  // namespace delaysim::plasticity
