#include "plasticity/registry.hpp"

#include "plasticity/constant_drift.hpp"
#include "plasticity/delay_mean_shift.hpp"
#include "plasticity/delay_shift_centred.hpp"
#include "plasticity/delay_shift_stdp.hpp"
#include "plasticity/loser_delay_align.hpp"
#include "plasticity/loser_delay_shift.hpp"
#include "plasticity/stdp_weight.hpp"

namespace delaysim::plasticity {

namespace {

std::vector<RuleInfo>& registry() {
    // One line per rule; keep alphabetical. (clang-format would pack five or more.)
    // clang-format off
    static std::vector<RuleInfo> rules = {
        ConstantDrift::info(),
        DelayMeanShift::info(),
        DelayShiftCentred::info(),
        DelayShiftStdp::info(),
        LoserDelayAlign::info(),
        LoserDelayShift::info(),
        StdpWeight::info(),
    };
    // clang-format on
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
