// save_state/restore_state of the built-in models (sim/population.hpp,
// "Checkpoints"): each writes its per-node dynamic state in one order; the
// parameters come from the config the restored population was built from.
// Sizes are checked against the population (CheckpointError).
#include "models/coincidence_lag.hpp"
#include "models/coincidence_neuron.hpp"
#include "models/explicit_source.hpp"
#include "models/linear_population.hpp"
#include "models/pattern_source.hpp"
#include "models/poisson_source.hpp"
#include "models/small_linear.hpp"
#include "sim/serialize.hpp"

namespace delaysim::models {

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

// The modal coordinates as they are (a conversion to x and back would not be bit-exact).
template <int N>
void SmallLinear<N>::save_state(sim::Writer& w) const {
    std::vector<double> y, t, ref_end, headroom;
    for (const State& s : state_) {
        y.insert(y.end(), s.y.begin(), s.y.end());
        t.push_back(s.t);
        ref_end.push_back(s.ref_end);
        headroom.push_back(s.headroom);
    }
    w.put(y);
    w.put(t);
    w.put(ref_end);
    w.put(headroom);
    w.put(grid_span_);  // settle's table: rebuilt from this width on restore
}

template <int N>
void SmallLinear<N>::restore_state(sim::Reader& r) {
    std::vector<double> y, t, ref_end, headroom;
    r.get(y, state_.size() * Z, "the linear model's node states");
    r.get(t, size(), "the linear model's node times");
    r.get(ref_end, size(), "the linear model's refractory ends");
    r.get(headroom, size(), "the linear model's headrooms");
    for (std::size_t i = 0; i < state_.size(); ++i) {
        std::copy_n(y.begin() + static_cast<std::ptrdiff_t>(i * Z), Z, state_[i].y.begin());
        state_[i].t = t[i];
        state_[i].ref_end = ref_end[i];
        // A negative or non-finite H would let absorb skip a proof: refuse it.
        if (!(headroom[i] >= 0.0 && headroom[i] < 1e300))
            r.fail("a linear model's headroom is not a finite value >= 0");
        state_[i].headroom = headroom[i];
    }
    r.get(grid_span_);
    if (grid_span_ > 0) build_grid(grid_span_);
}

template void SmallLinear<1>::save_state(sim::Writer&) const;
template void SmallLinear<2>::save_state(sim::Writer&) const;
template void SmallLinear<3>::save_state(sim::Writer&) const;
template void SmallLinear<4>::save_state(sim::Writer&) const;
template void SmallLinear<1>::restore_state(sim::Reader&);
template void SmallLinear<2>::restore_state(sim::Reader&);
template void SmallLinear<3>::restore_state(sim::Reader&);
template void SmallLinear<4>::restore_state(sim::Reader&);

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
