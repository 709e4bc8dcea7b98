#include "sim/config/node_values.hpp"

#include <algorithm>
#include <cmath>

#include "sim/config/lower_util.hpp"
#include "sim/config/toml_reader.hpp"
#include "sim/random.hpp"

namespace delaysim::config {

NodeDrawSpec parse_node_draw(const toml::table& t, const std::string& name, const std::string& context,
                             const SourceLocation& where) {
    TableReader d(t, context + "." + name, where);
    NodeDrawSpec out;
    out.name = name;
    out.where = where;
    const auto dist = d.required(d.string("dist"), "dist");
    out.normal = dist.value == "normal";
    if (!out.normal && dist.value != "uniform")
        throw sim::UserError(
            d.context() + ": unknown distribution '" + dist.value + "' (valid: uniform, normal)", dist.where);
    if (out.normal) {
        d.allow_only({"dist", "mean", "sd", "low", "high"});
        out.a = d.required(d.real("mean"), "mean").value;
        out.b = d.required(d.real("sd"), "sd").value;
        if (auto v = d.real("low")) out.low = v->value;
        if (auto v = d.real("high")) out.high = v->value;
    } else {
        d.allow_only({"dist", "low", "high"});
        out.a = d.required(d.real("low"), "low").value;
        out.b = d.required(d.real("high"), "high").value;
    }
    return out;
}

std::vector<double> draw_node_values(const NodeDrawSpec& d, std::size_t n, std::uint64_t seed,
                                     const std::string& who) {
    const std::string what = who + ": " + d.name;
    if (!d.normal && !(std::isfinite(d.a) && std::isfinite(d.b) && d.a <= d.b))
        throw sim::UserError(what + ": uniform needs finite low <= high, got low = " + fmt_num(d.a) +
                                 ", high = " + fmt_num(d.b),
                             d.where);
    if (d.normal && !(std::isfinite(d.a) && std::isfinite(d.b) && d.b >= 0))
        throw sim::UserError(what + ": normal needs a finite mean and sd >= 0, got mean = " + fmt_num(d.a) +
                                 ", sd = " + fmt_num(d.b),
                             d.where);
    if (d.normal && !(d.low <= d.high))
        throw sim::UserError(
            what + ": normal needs low <= high, got low = " + fmt_num(d.low) + ", high = " + fmt_num(d.high),
            d.where);
    sim::Rng rng(seed);
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (!d.normal) {
            out[i] = rng.uniform(d.a, d.b);
            continue;
        }
        int tries = 0;
        double x;
        do {
            if (++tries > 1000)
                throw sim::UserError(what + ": 1000 draws of normal(mean = " + fmt_num(d.a) +
                                         ", sd = " + fmt_num(d.b) + ") fell outside [" + fmt_num(d.low) +
                                         ", " + fmt_num(d.high) + "] (node " + std::to_string(i) + ")",
                                     d.where);
            x = rng.normal(d.a, d.b);
        } while (!(x >= d.low && x <= d.high));
        out[i] = x;
    }
    return out;
}

bool synapse_record_mode(const SynapseRecordSpec& s, const std::string& who) {
    if (!s.mode || s.mode->value == "grid") return false;
    if (s.mode->value == "on_change") return true;
    throw sim::UserError(who + ": unknown mode '" + s.mode->value + "' (valid: grid, on_change)",
                         s.mode->where);
}

void lower_spike_subsets(const RecordSpecs& rec, const sim::Network& net, sim::RecordSpec& out) {
    out.spike_nodes.assign(out.spike_populations.size(), {});
    for (const SpikeSubsetSpec& s : rec.spike_subsets) {
        const std::uint32_t p =
            find_population(net, s.population.value, "[record] spikes", s.population.where);
        const sim::Index n = net.populations[p]->size();
        const std::string who = "[record] spikes of population '" + s.population.value + "'";
        std::vector<sim::Index> nodes;
        if (s.first) {
            if (s.first->value < 1 || s.first->value > n)
                throw sim::UserError(who + ": first = " + std::to_string(s.first->value) +
                                         " must be in [1, " + std::to_string(n) + "] (the population size)",
                                     s.first->where);
            for (sim::Index i = 0; i < s.first->value; ++i) nodes.push_back(i);
        } else {
            nodes.assign(s.nodes->value.begin(), s.nodes->value.end());
            std::sort(nodes.begin(), nodes.end());
            if (nodes.empty())
                throw sim::UserError(who + ": 'nodes' is empty (to record none, leave the population out)",
                                     s.nodes->where);
            if (std::adjacent_find(nodes.begin(), nodes.end()) != nodes.end())
                throw sim::UserError(who + ": 'nodes' lists an index twice", s.nodes->where);
            if (nodes.back() >= n)
                throw sim::UserError(who + ": nodes index " + std::to_string(nodes.back()) +
                                         " is out of range (there are " + std::to_string(n) + ")",
                                     s.nodes->where);
        }
        const auto at = std::find(out.spike_populations.begin(), out.spike_populations.end(), p);
        DS_ASSERT(at != out.spike_populations.end());
        out.spike_nodes[static_cast<std::size_t>(at - out.spike_populations.begin())] = std::move(nodes);
    }
}

}  // namespace delaysim::config
