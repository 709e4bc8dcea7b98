#include "plasticity/registry.hpp"

#include "plasticity/constant_drift.hpp"
#include "plasticity/delay_shift_stdp.hpp"
#include "plasticity/loser_delay_shift.hpp"
#include "plasticity/stdp_weight.hpp"

namespace delaysim::plasticity {

namespace {

std::vector<RuleInfo>& registry() {
    // One line per rule; keep alphabetical.
    static std::vector<RuleInfo> rules = {
        ConstantDrift::info(),
        DelayShiftStdp::info(),
        LoserDelayShift::info(),
        StdpWeight::info(),
    };
    return rules;
}

}  // namespace

const std::vector<RuleInfo>& rule_registry() {
    return registry();
}

void register_rule(RuleInfo info) {
    if (const RuleInfo* r = find_rule(info.name))
        throw sim::UserError(
            "plasticity rule '" + info.name + "' is already registered (" +
            (r->origin == "built-in" ? std::string("a built-in rule") : "by plug-in " + r->origin) + ")");
    registry().push_back(std::move(info));
}

const RuleInfo* find_rule(const std::string& name) {
    for (const auto& r : rule_registry())
        if (r.name == name) return &r;
    return nullptr;
}

std::string rule_names() {
    std::string out;
    for (const auto& r : rule_registry()) out += (out.empty() ? "" : ", ") + r.name;
    return out.empty() ? "none" : out;
}

}  // namespace delaysim::plasticity
