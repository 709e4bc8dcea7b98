#include "sim/node_core.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace delaysim::sim {

NodeCore::NodeCore(Network& net, const std::vector<Observer*>& observers, SynapseWriter& writer)
    : net_(net), observers_(observers), writer_(writer) {
    const std::size_t np = net_.populations.size();
    node_offset_.assign(np + 1, 0);
    for (std::size_t p = 0; p < np; ++p) node_offset_[p + 1] = node_offset_[p] + net_.populations[p]->size();
    burst_.resize(node_offset_[np]);
    for (std::size_t p = 0; p < np; ++p) bounds_.push_back(net_.populations[p]->capabilities().bounds);
    weight_live_.assign(net_.projections.size(), 0);
    inhibit_.assign(net_.projections.size(), 0);
    for (std::size_t q = 0; q < net_.projections.size(); ++q) {
        const Projection& proj = net_.projections[q];
        inhibit_[q] =
            net_.populations[proj.target_population()]->ports()[proj.port()].kind == PortKind::Inhibit;
    }
}

void NodeCore::index_hooks() {
    delivered_hooks_.assign(net_.projections.size(), {});
    post_hooks_.assign(net_.populations.size(), {});
    any_delivered_hooks_ = false;
    for (const Attachment& a : attachments_) {
        if (a.rule->hooks() & plasticity::kDelivered) {
            delivered_hooks_[a.site.index].push_back(a);
            any_delivered_hooks_ = true;
        }
        if (a.rule->hooks() & (plasticity::kPostSpike | plasticity::kPostSpikeNode))
            post_hooks_[a.site.projection->target_population()].push_back(a);
    }
}

void NodeCore::run_delivered_hooks(std::uint32_t q, Index s, Index node, Time t) {
    for (const Attachment& a : delivered_hooks_[q]) {
        hook_time() = t;
        plasticity::SynapseHandle h(a.site, s, t, node);
        a.rule->on_delivered(h, t);
    }
}

void NodeCore::run_pre_spike_hooks(std::uint32_t pop, Index node, Time t) {
    for (const Attachment& a : attachments_) {
        if (!(a.rule->hooks() & plasticity::kPreSpike)) continue;
        const Projection& proj = *a.site.projection;
        if (proj.source_population() != pop) continue;
        for (Index s = proj.out_begin(node), end = proj.out_end(node); s < end; ++s) {
            plasticity::SynapseHandle h = handle(a, s, t);
            a.rule->on_pre_spike(h, t);
        }
    }
}

// A node-level hook (kPostSpikeNode) is one call: the rule finds the synapses it
// pairs itself. The per-synapse hook walks the ~K incoming synapses of the node
// per rule: their state and delays are scattered in large stores, so prefetch a
// few synapses ahead.
void NodeCore::run_post_spike_hooks(std::uint32_t pop, Index node, Time t) {
    for (const Attachment& a : post_hooks_[pop]) {
        hook_time() = t;
        const unsigned hooks = a.rule->hooks();
        if (hooks & plasticity::kPostSpikeNode) {
            plasticity::NodeHandle h(a.site, node, t);
            a.rule->on_post_spike_node(h, t);
        }
        if (!(hooks & plasticity::kPostSpike)) continue;
        Projection& proj = *a.site.projection;
        const auto in = proj.incoming(node);
        constexpr std::size_t kAhead = 8;
        for (std::size_t k = 0; k < in.size(); ++k) {
            if (k + kAhead < in.size()) {
                a.rule->prefetch(a.site.slot, in[k + kAhead]);
                proj.prefetch(in[k + kAhead]);
            }
            plasticity::SynapseHandle h = handle(a, in[k], t);
            a.rule->on_post_spike(h, t);
        }
    }
}

void NodeCore::run_inhibited_hooks(std::uint32_t pop, Index node, Time t) {
    for (const Attachment& a : attachments_) {
        if (!(a.rule->hooks() & plasticity::kInhibited)) continue;
        Projection& plastic = *a.site.projection;
        if (plastic.target_population() != pop) continue;
        for (Index k : plastic.incoming(node)) {
            plasticity::SynapseHandle h = handle(a, k, t);
            a.rule->on_inhibited(h, t);
        }
    }
}

void NodeCore::check_finite(std::uint32_t pop, Index node, Time t) {
    const Population& P = *net_.populations[pop];
    const auto& vars = P.variables();
    for (std::size_t v = 0; v < vars.size(); ++v)
        if (!std::isfinite(P.value(node, v, t))) [[unlikely]]
            runaway(pop, node, t, "");  // names the variable
}

void NodeCore::burst_error(std::uint32_t pop, Index node, Time t, Time t0, std::uint32_t count) {
    runaway(pop, node, t,
            "it spiked " + std::to_string(count) + " times since " + fmt_ms(t0) + " (the limit is " +
                std::to_string(kMaxBurst) + " spikes within " + fmt_ms(kBurstMs) +
                "): after each reset its threshold crossing comes back at once");
}

void NodeCore::time_error(std::uint32_t pop, Index node, Time t, Time ts) {
    runaway(pop, node, t,
            std::isnan(ts) ? std::string("its next spike time is not a number")
                           : "its next spike (" + fmt_ms(ts) + ") would come before its present time");
}

void NodeCore::check_all_finite(Time t) {
    for (std::uint32_t p = 0; p < net_.populations.size(); ++p)
        for (Index i = 0; i < net_.populations[p]->size(); ++i) check_finite(p, i, t);
}

// The message: what happened, the node's state, and its strongest inputs by
// projection (the usual cause: a weight far beyond the threshold).
void NodeCore::runaway(std::uint32_t pop, Index node, Time t, const std::string& what) {
    const Population& P = *net_.populations[pop];
    const auto& vars = P.variables();
    std::string bad;  // the non-finite variables, if any: then they are the cause
    std::size_t n_bad = 0;
    for (std::size_t v = 0; v < vars.size(); ++v)
        if (!std::isfinite(P.value(node, v, t))) bad += (n_bad++ ? ", '" : "'") + vars[v].name + "'";
    const std::string cause = n_bad == 0 ? what
                                         : (n_bad == 1 ? "its state variable " : "its state variables ") +
                                               bad + (n_bad == 1 ? " is" : " are") + " not finite";
    std::ostringstream msg;
    msg.precision(6);
    msg << "population '" << P.name() << "' (model " << P.model() << "), node " << node
        << ", t = " << fmt_ms(t) << ": " << cause << "; the run stops. State:";
    for (std::size_t v = 0; v < vars.size(); ++v)
        msg << (v ? ", " : " ") << vars[v].name << " = " << P.value(node, v, t)
            << (vars[v].unit.empty() || vars[v].unit == "1" ? "" : " " + vars[v].unit);
    bool any = false;
    for (Projection& proj : net_.projections) {
        if (proj.target_population() != pop) continue;
        double w_max = 0.0;
        bool found = false;
        for (std::uint32_t s : proj.incoming(node))
            if (!found || std::abs(proj.weight(s)) > std::abs(w_max)) w_max = proj.weight(s), found = true;
        if (!found) continue;
        msg << (any ? ", " : ". Largest incoming weight per projection: ") << "'" << proj.name()
            << "' (port '" << P.ports()[proj.port()].name << "') " << w_max;
        any = true;
    }
    msg << ". Check these weights against the model's threshold and parameters.";
    throw UserError(msg.str());
}

}  // namespace delaysim::sim
