// [[population]] rank: the user's placements onto MPI ranks, checked before
// anything runs (sim/partition.hpp: a zero lower bound between two placements
// on different ranks, or a rank the run does not have, is refused). Without
// ranks (one process) the placements are kept and have no effect.
#include "sim/config/lower_placement.hpp"

#include "sim/mpi.hpp"
#include "sim/partition.hpp"

namespace delaysim::config {

void lower_placement(const ConfigSpec& spec, Lowered& out) {
    sim::Network& net = out.network;
    bool any = false;
    net.rank.assign(net.populations.size(), sim::kUnplaced);
    for (std::size_t p = 0; p < spec.populations.size() && p < net.rank.size(); ++p)
        if (spec.populations[p].rank) {
            net.rank[p] = static_cast<int>(spec.populations[p].rank->value);
            any = true;
        }
    if (!any) {
        net.rank.clear();
        return;
    }
    std::vector<std::uint8_t> delay_rule(net.projections.size(), 0), lag(net.projections.size(), 0);
    for (const LoweredRule& r : out.rules)
        if (r.rule->writes_delays())
            for (std::uint32_t q : r.projections) delay_rule[q] = 1;
    for (std::size_t q = 0; q < net.projections.size(); ++q) {
        const sim::Projection& proj = net.projections[q];
        lag[q] = net.populations[proj.target_population()]->has_lag(proj.port()) ? 1 : 0;
    }
    const sim::PartitionInput in = sim::partition_input(net, delay_rule, lag, {}, {}, sim::mpi::size());
    const std::vector<sim::Partition::Refusal> refusals = sim::check_placement(in);
    if (refusals.empty()) return;
    const sim::Partition::Refusal& r = refusals.front();
    const sim::SourceLocation where = r.projection >= 0
                                          ? spec.projections[static_cast<std::size_t>(r.projection)].where
                                          : spec.populations[r.pop_a].rank->where;
    throw sim::UserError(r.message, where);
}

}  // namespace delaysim::config
