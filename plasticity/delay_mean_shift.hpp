// delay_mean_shift — a plastic synapse moves its delay so that its arrivals line up
// with the arrivals of a reference input on the same neuron, by mean shift on the
// Gaussian-smoothed cross-correlation of the two arrival trains. Local: a synapse
// uses only the arrival times at its own target node.
//
// Projections: the FIRST projection in the rule's list is the reference (its
// delays never change); the others are plastic and must end on the same population.
// For a plastic synapse onto node n, every pair of one of its arrivals t_a and a
// reference arrival t_r at node n with |lag| <= window_ms, where
//
//   lag = t_r - t_a                          (ms; > 0: the synapse arrived early)
//   g   = exp(-lag^2 / (2 sigma_ms^2))       (1)
//
// is added, once, at the later of its two events, to the synapse's sums
//   S += g * lag  (ms),   W += g  (1).
// A burst (one presentation of a pattern) ends when the synapse's source falls
// silent: at the first spike of the source after a pause of at least gap_ms, if W > 0,
//
//   d <- bound(d + eta * S / W),   S = W = 0,
//
// before that spike travels (with inflight = "retime" it takes the new delay; with
// "keep" it still uses the old one). S/W is the mean-shift step (Fukunaga &
// Hostetler 1975; Comaniciu & Meer 2002): the weighted mean lag, which points up the
// gradient of C(d) = sum_pairs g, the cross-correlation of the two trains smoothed
// with a Gaussian of width sigma_ms. With eta = 1 this is plain mean shift, which
// climbs to a local maximum of C; a normalised step does not depend on how many
// spikes a pattern has (an unnormalised gradient step grows with their square).
// When both trains carry the same pattern, C is symmetric about the aligning delay,
// so d converges to it. A large sigma_ms makes C smooth enough to have no other
// maximum (global search), a small one makes the peak sharp (precision): run the
// rule twice, coarse then fine, to get both (cf. the seed's decaying TAU).
//
// Pairs of one burst are complete when it is applied if gap_ms >= the longest delay
// + window_ms. The sums of the last burst of a run are applied only if the source
// spikes once more (a final flush spike).
//
// Parameters: eta (1, default 0.5), sigma_ms (ms, default 1), window_ms (ms,
// default 3), gap_ms (ms, default 50, >= window_ms). Bounds: the projection's, via
// SynapseHandle::set_delay. Hooks: kDelivered (reference and plastic), kPreSpike
// (plastic). State: per plastic synapse its arrivals within the last window_ms,
// S, W and its source's last spike; per target node the reference arrivals
// within the last window_ms.
//
// References: K. Fukunaga, L. Hostetler (1975) The estimation of the gradient of a
// density function, IEEE Trans. Inf. Theory 21:32-40. D. Comaniciu, P. Meer (2002)
// Mean shift: a robust approach toward feature space analysis, IEEE TPAMI 24:603-619.
// Delay learning by arrival-time differences: T. Natschläger, B. Ruf (1998)
// Network 9:319-332 (delay_shift_stdp).
#pragma once
#include <vector>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace delaysim::plasticity {

class DelayMeanShift : public Rule {
public:
    explicit DelayMeanShift(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kDelivered | kPreSpike; }
    bool writes_weights() const override { return false; }
    void attach(std::size_t slot, const sim::Projection& p) override;
    void on_delivered(SynapseHandle& s, Time t) override;
    void on_pre_spike(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct Synapse {
        std::vector<Time> arrivals;  // within the last window_ms
        double sum_lag = 0.0, sum_g = 0.0;
        Time last_pre = -sim::kNever;
    };
    struct Ref {
        std::size_t slot;
        Index synapse;
    };
    void prune(std::vector<Time>& v, Time t) const;
    void pair(Synapse& st, Time lag) const;

    double eta_, sigma_, window_, gap_;
    std::uint32_t target_pop_ = 0;
    std::vector<std::vector<Synapse>> state_;  // per slot (0 unused), per synapse
    std::vector<std::vector<Time>> ref_;       // per target node: reference arrivals
    std::vector<std::vector<Ref>> onto_;       // per target node: plastic synapses onto it
};

}  // namespace delaysim::plasticity
