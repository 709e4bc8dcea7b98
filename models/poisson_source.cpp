#include "models/poisson_source.hpp"

namespace delaysim::models {

using sim::ParamKind;

ModelInfo PoissonSource::info() {
    ModelInfo m;
    m.name = "poisson_source";
    m.is_source = true;
    m.doc = "independent Poisson spike trains with a seed";
    const double inf = 1e300;
    m.params = {
        {"rate_hz", "Hz", ParamKind::Real, 10.0, 0.0, inf, false, false, "firing rate", true},
        {"start_ms", "ms", ParamKind::Real, 0.0, 0.0, inf, false, false, "first possible spike"},
        {"stop_ms", "ms", ParamKind::Real, inf, 0.0, inf, false, false, "no spikes from here on"},
        {"seed", "1", ParamKind::Integer, -1.0, -1.0, 9.0e15, false, false,
         "random seed; -1 derives it from simulation.seed"},
    };
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t seed) {
        const double own = p.get("seed");
        return std::make_unique<PoissonSource>(name, size, p,
                                               own >= 0 ? static_cast<std::uint64_t>(own) : seed);
    };
    return m;
}

PoissonSource::PoissonSource(const std::string& name, sim::Index size, const sim::Params& p,
                             std::uint64_t seed)
    : SpikeSource(name, size, "poisson_source"),
      rate_per_ms_(p.per_node("rate_hz", size)),
      start_(p.get("start_ms")),
      stop_(p.get("stop_ms")) {
    for (double& r : rate_per_ms_) r /= 1000.0;
    rng_.reserve(size);
    for (sim::Index i = 0; i < size; ++i) rng_.emplace_back(sim::Rng::derive(seed, i));
    next_.resize(size);
    for (sim::Index i = 0; i < size; ++i) next_[i] = draw(i, start_);
}

sim::Time PoissonSource::draw(sim::Index i, sim::Time after) {
    if (rate_per_ms_[i] <= 0.0) return sim::kNever;
    const sim::Time t = after + rng_[i].exponential(rate_per_ms_[i]);
    return t < stop_ ? t : sim::kNever;
}

sim::Time PoissonSource::next_spike(sim::Index i, sim::Time, sim::Time horizon) {
    return next_[i] < horizon ? next_[i] : sim::kNever;
}

void PoissonSource::fire(sim::Index i, sim::Time t) {
    next_[i] = draw(i, t);
}

}  // namespace delaysim::models
