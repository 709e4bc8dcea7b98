// save_state/restore_state of the built-in models (sim/population.hpp,
// "Checkpoints"): each writes its per-node dynamic state in one order; the
// parameters come from the config the restored population was built from.
// Sizes are checked against the population (CheckpointError).
#include "models/coincidence_lag.hpp"
#include "models/coincidence_neuron.hpp"
#include "models/explicit_source.hpp"
#include "models/lif_delta.hpp"
#include "models/lif_exp.hpp"
#include "models/linear_population.hpp"
#include "models/pattern_source.hpp"
#include "models/poisson_source.hpp"
#include "sim/serialize.hpp"

namespace delaysim::models {

void LifExp::save_state(sim::Writer& w) const {
    w.put(state_);
    // The superposition tables are built for the first slice width seen; a
    // restored run must use the same ones (rebuilt from another slice's width,
    // equal up to rounding, they would change the last bits).
    w.put(table_span_);
}

void LifExp::restore_state(sim::Reader& r) {
    r.get(state_, size(), "the lif_exp node states");
    r.get(table_span_);
    if (table_span_ > 0) {
        exp_ex_m_ = sim::SliceExp2(r_ex_, r_m_, kStepSlices * table_span_);
        exp_in_ = sim::SliceExp(r_in_, kStepSlices * table_span_);
    }
}

void LifDelta::save_state(sim::Writer& w) const {
    w.put(state_);
}
void LifDelta::restore_state(sim::Reader& r) {
    r.get(state_, size(), "the lif_delta node states");
}

void CoincidenceNeuron::save_state(sim::Writer& w) const {
    w.put(state_);
}
void CoincidenceNeuron::restore_state(sim::Reader& r) {
    r.get(state_, size(), "the coincidence_neuron node states");
}

void CoincidenceLag::save_state(sim::Writer& w) const {
    w.put<std::uint64_t>(state_.size());
    for (const State& s : state_) {
        w.put(s.v);
        w.put(s.s1);
        w.put(s.vth);
        w.put(s.d);
        w.put(s.t);
        w.put(s.y);
    }
}

void CoincidenceLag::restore_state(sim::Reader& r) {
    r.expect(r.length(6 * sizeof(double)), state_.size(), "the coincidence_lag node states");
    for (State& s : state_) {
        r.get(s.v);
        r.get(s.s1);
        r.get(s.vth);
        r.get(s.d);
        r.get(s.t);
        r.get(s.y, s.y.size(), "a coincidence_lag chain");
    }
}

void LinearPopulation::save_state(sim::Writer& w) const {
    w.put(x_);
    w.put(t_);
    w.put(ref_end_);
}

void LinearPopulation::restore_state(sim::Reader& r) {
    r.get(x_, x_.size(), "the linear model's node states");
    r.get(t_, size(), "the linear model's node times");
    r.get(ref_end_, size(), "the linear model's refractory ends");
}

void ExplicitSource::save_state(sim::Writer& w) const {
    w.put(cursor_);
}
void ExplicitSource::restore_state(sim::Reader& r) {
    r.get(cursor_, size(), "the spike_times source cursors");
    for (sim::Index i = 0; i < size(); ++i)
        if (cursor_[i] > times_[i].size()) r.fail("a source cursor past its spike list");
}

void PatternSource::save_state(sim::Writer& w) const {
    w.put(cursor_);
}
void PatternSource::restore_state(sim::Reader& r) {
    r.get(cursor_, size(), "the pattern source cursors");
}

void PoissonSource::save_state(sim::Writer& w) const {
    w.put(rng_);  // the RNG streams: the resumed run draws what the uninterrupted one would
    w.put(next_);
}

void PoissonSource::restore_state(sim::Reader& r) {
    r.expect(r.length(sizeof(sim::Rng)), rng_.size(), "the poisson source RNG streams");
    r.raw(rng_.data(), rng_.size() * sizeof(sim::Rng));
    r.get(next_, size(), "the poisson source next spikes");
}

}  // namespace delaysim::models
