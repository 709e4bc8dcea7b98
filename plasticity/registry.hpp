// The one explicit list of plasticity rules (registry.cpp), plus those that
// run-time plug-ins register (sim/config/plugin.hpp). Unknown names are an
// error listing the valid ones.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "plasticity/rule.hpp"
#include "sim/param.hpp"

namespace delaysim::plasticity {

struct RuleInfo {
    std::string name;  // as written in a config: rule = "loser_delay_shift"
    std::string doc;   // one line
    std::vector<sim::ParamInfo> params;
    std::function<std::unique_ptr<Rule>(const sim::Params& params)> make;
    // Where it comes from: "built-in", or the path of the plug-in that registered it.
    std::string origin = "built-in";
};

const std::vector<RuleInfo>& rule_registry();
const RuleInfo* find_rule(const std::string& name);
std::string rule_names();
// Adds a rule (a plug-in's; origin set by the caller). A name that is already
// registered is a UserError naming who has it. Pointers from find_rule stay
// valid until the next registration.
void register_rule(RuleInfo info);

}  // namespace delaysim::plasticity
