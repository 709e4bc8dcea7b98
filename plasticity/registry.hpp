// The one explicit list of plasticity rules (registry.cpp). Unknown names are
// an error listing the valid ones.
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
};

const std::vector<RuleInfo>& rule_registry();
const RuleInfo* find_rule(const std::string& name);
std::string rule_names();

}  // namespace delaysim::plasticity
