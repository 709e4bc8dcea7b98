#include "sim/inflight.hpp"

#include <cmath>

namespace delaysim::sim {

Inflight::Inflight(const Network& net) {
    const std::size_t np = net.populations.size(), nq = net.projections.size();
    retime_.assign(nq, 0);
    version_.resize(nq);
    last_delivered_.resize(nq);
    history_.resize(np);
    history_span_.assign(np, 0.0);
    for (std::uint32_t q = 0; q < nq; ++q) {
        const Projection& proj = net.projections[q];
        if (proj.inflight() != InflightPolicy::Retime) continue;
        const auto src = proj.source_population();
        if (!std::isfinite(proj.bounds().max))
            throw UserError("projection '" + proj.name() +
                            "': inflight = \"retime\" needs a finite delay_max_ms");
        retime_[q] = 1;
        version_[q].assign(proj.size(), 0);
        last_delivered_[q].assign(proj.size(), -kNever);
        history_[src].resize(net.populations[src]->size());
        history_span_[src] = std::max(history_span_[src], proj.bounds().max);
    }
}

void Inflight::remember(std::uint32_t pop, Index node, Time t) {
    auto& h = history_[pop][node];
    h.push_back(t);
    while (!h.empty() && h.front() < t - history_span_[pop]) h.pop_front();
}

}  // namespace delaysim::sim
