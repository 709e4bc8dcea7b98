#include "plasticity/registry.hpp"

#include "plasticity/constant_drift.hpp"
#include "plasticity/delay_mean_shift.hpp"
#include "plasticity/delay_shift_centred.hpp"
#include "plasticity/delay_shift_stdp.hpp"
#include "plasticity/loser_delay_align.hpp"
#include "plasticity/loser_delay_shift.hpp"
#include "plasticity/stdp_weight.hpp"

namespace delaysim::plasticity {

const std::vector<RuleInfo>& rule_registry() {
    // One line per rule; keep alphabetical. (clang-format would pack five or more.)
    // clang-format off
    static const std::vector<RuleInfo> rules = {
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
