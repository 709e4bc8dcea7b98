#include "models/pattern_source.hpp"

#include <algorithm>

namespace delaysim::models {

using sim::ParamKind;

ModelInfo PatternSource::info() {
    ModelInfo m;
    m.name = "pattern_source";
    m.is_source = true;
    m.doc = "a pattern of spike times repeated with a period (the seed's SG1/SG2)";
    const double inf = 1e300;
    m.params = {
        {"pattern_ms", "ms", ParamKind::RealList, 0.0, 0.0, inf, false, true,
         "spike times within one period, in [0, period)"},
        {"period_ms", "ms", ParamKind::Real, 0.0, 0.0, inf, true, true, "repetition period"},
        {"repeats", "1", ParamKind::Integer, 1.0, 1.0, 1e12, false, false, "number of periods"},
        {"start_ms", "ms", ParamKind::Real, 0.0, 0.0, inf, false, false, "time of the first period's start"},
    };
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return std::make_unique<PatternSource>(name, size, p);
    };
    return m;
}

PatternSource::PatternSource(const std::string& name, sim::Index size, const sim::Params& p)
    : SpikeSource(name, size, "pattern_source"),
      pattern_(p.list("pattern_ms")),
      period_(p.get("period_ms")),
      start_(p.get("start_ms")) {
    std::sort(pattern_.begin(), pattern_.end());
    if (pattern_.empty())
        throw sim::UserError(p.owner() + ": parameter 'pattern_ms' must hold at least one time",
                             p.where("pattern_ms"));
    if (pattern_.back() >= period_)
        throw sim::UserError(p.owner() + ": every time in 'pattern_ms' must be < 'period_ms'",
                             p.where("pattern_ms"));
    total_ = static_cast<std::uint64_t>(p.get("repeats")) * pattern_.size();
    cursor_.assign(size, 0);
}

sim::Time PatternSource::time_of(std::uint64_t k) const {
    return start_ + static_cast<double>(k / pattern_.size()) * period_ + pattern_[k % pattern_.size()];
}

sim::Time PatternSource::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    while (cursor_[i] < total_ && time_of(cursor_[i]) < t) ++cursor_[i];  // skip the past (start mid-run)
    if (cursor_[i] >= total_) return sim::kNever;
    const sim::Time ts = time_of(cursor_[i]);
    return ts < horizon ? ts : sim::kNever;
}

void PatternSource::fire(sim::Index i, sim::Time) {
    ++cursor_[i];
}

}  // namespace delaysim::models
