// delay_shift_centred — delay_shift_stdp whose per-neuron mean delay is conserved.
// Each synapse learns as in delay_shift_stdp (Natschläger & Ruf 1998; same pairing):
//
//   lag = t_post - t_arr                   (ms; > 0: the input arrived before the spike)
//   if paired:  delta = eta * (lag - target_lag_ms)
//
// and every shift is shared out among all n_j synapses of the rule onto the same
// target neuron j (over every attached projection), so that their delays move
// relative to one another while their sum stays put:
//
//   d_s <- bound(d_s + delta),   then   d_k <- bound(d_k - delta / n_j)   for all k onto j
//
// Why: a neuron's spikes are caused by its inputs, so moving all its delays by the
// same amount moves its spikes with them and leaves every lag unchanged. That common
// mode is neutral: any bias of the pairing (e.g. several post spikes paired with one
// arrival) makes all delays drift together until they hit a bound, and a clamped
// delay then distorts the differences, which are what the neuron has learned. The
// centring removes the common mode and leaves the differences as delay_shift_stdp
// learns them; a part of the shifts common to all synapses onto j (such as the
// target_lag_ms term when they pair equally often) cancels. A neuron with one
// synapse of the rule (n_j = 1) keeps its delay.
//
// The shares -delta/n_j are applied lazily, exactly: a per-neuron sum C_j of all
// shares so far and, per synapse, the part of C_j it has taken; a shifting synapse
// takes its own share at once, and what it owes for the others' at its next post
// spike (which visits every synapse onto the neuron) or paired arrival, in the same
// delay write as its own shift. So the sum of the delays onto j plus what its
// synapses still owe is conserved, and after a post spike of j without pairings
// the sum itself is back to its initial value. Bounds: the projection's (clamp, wrap or
// error), applied by SynapseHandle::set_delay; a clamped write breaks the
// conservation by what was clamped.
//
// Parameters: eta (1, default 0.05), target_lag_ms (ms, 0), window_ms (ms, 3),
// late_pairs (0/1, 1): as in delay_shift_stdp. Hooks: kDelivered, kPostSpike.
// State: per synapse last arrival, last post spike of its target and share taken;
// per target neuron n_j and C_j.
//
// References: T. Natschläger, B. Ruf (1998) Spatial and temporal pattern analysis
// via spiking neurons, Network 9:319-332 (the pairing); conserving a neuron's total
// over its synapses as in synaptic normalisation (C. von der Malsburg (1973)
// Kybernetik 14:85-100), applied to delays instead of weights.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace delaysim::plasticity {

class DelayShiftCentred : public Rule {
public:
    explicit DelayShiftCentred(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kDelivered | kPostSpike; }
    bool writes_weights() const override { return false; }
    void attach(std::size_t slot, const sim::Projection& p) override;
    void on_delivered(SynapseHandle& s, Time t) override;
    void on_post_spike(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct Synapse {
        Time last_arrival = -sim::kNever;
        Time last_post = -sim::kNever;
        double taken = 0;  // the part of its target's C_j already applied to this synapse
    };
    struct Target {
        double n = 0;       // synapses of the rule onto this neuron
        double shares = 0;  // C_j: sum of delta / n_j over all shifts onto it
    };
    // Take the synapse's owed shares and add its own shift `delta` in one write.
    void update(SynapseHandle& s, Synapse& st, double delta);
    Target& target_of(const SynapseHandle& s) { return (*slot_targets_[s.slot()])[s.target()]; }

    double eta_, target_lag_, window_;
    bool late_pairs_;
    std::vector<std::vector<Synapse>> state_;               // per slot, per synapse
    std::map<std::uint32_t, std::vector<Target>> targets_;  // per target population, per node
    std::vector<std::vector<Target>*> slot_targets_;        // per slot: its population's entry
};

}  // namespace delaysim::plasticity
