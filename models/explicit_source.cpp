#include "models/explicit_source.hpp"

#include <algorithm>
#include <cmath>

namespace delaysim::models {

using sim::ParamKind;

ModelInfo ExplicitSource::info() {
    ModelInfo m;
    m.name = "explicit_source";
    m.is_source = true;
    m.doc = "spikes at listed times, for all nodes or per node (node_ids)";
    const double inf = 1e300;
    m.params = {
        {"times_ms", "ms", ParamKind::RealList, 0.0, 0.0, inf, false, true, "spike times"},
        {"node_ids", "1", ParamKind::RealList, 0.0, 0.0, inf, false, false, "node of each time (optional)"},
    };
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return std::make_unique<ExplicitSource>(name, size, p);
    };
    return m;
}

ExplicitSource::ExplicitSource(const std::string& name, sim::Index size, const sim::Params& p)
    : SpikeSource(name, size, "explicit_source"), times_(size), cursor_(size, 0) {
    const auto& times = p.list("times_ms");
    const auto& ids = p.list("node_ids");
    if (!ids.empty() && ids.size() != times.size())
        throw sim::UserError(p.owner() + ": 'node_ids' must have one entry per time in 'times_ms' (" +
                                 std::to_string(times.size()) + "), got " + std::to_string(ids.size()),
                             p.where("node_ids"));
    for (std::size_t k = 0; k < times.size(); ++k) {
        if (ids.empty()) {
            for (auto& node : times_) node.push_back(times[k]);
            continue;
        }
        if (ids[k] != std::floor(ids[k]) || ids[k] >= static_cast<double>(size))
            throw sim::UserError(p.owner() + ": 'node_ids' entry " + std::to_string(ids[k]) +
                                     " is not a node index in [0, " + std::to_string(size) + ")",
                                 p.where("node_ids"));
        times_[static_cast<std::size_t>(ids[k])].push_back(times[k]);
    }
    for (auto& node : times_) std::sort(node.begin(), node.end());
}

sim::Time ExplicitSource::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const auto& ts = times_[i];
    while (cursor_[i] < ts.size() && ts[cursor_[i]] < t) ++cursor_[i];
    if (cursor_[i] >= ts.size() || !(ts[cursor_[i]] < horizon)) return sim::kNever;
    return ts[cursor_[i]];
}

void ExplicitSource::fire(sim::Index i, sim::Time) {
    ++cursor_[i];
}

}  // namespace delaysim::models
