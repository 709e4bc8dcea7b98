// weight_step_test — a test plug-in's rule: every spike delivered through a
// synapse adds `step` to its weight, clipped to [w_min, w_max]. After n
// deliveries w = clip(w0 + n * step), which the tests check exactly.
// Parameters: step (w, default 0.5), w_min, w_max (w, default 0 and 10).
// Hook: kDelivered. No state.
#pragma once
#include <algorithm>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace delaysim_test {

class WeightStep : public delaysim::plasticity::Rule {
public:
    explicit WeightStep(const delaysim::sim::Params& p, const std::string& name)
        : Rule(name), step_(p.get("step")), lo_(p.get("w_min")), hi_(p.get("w_max")) {}
    unsigned hooks() const override { return delaysim::plasticity::kDelivered; }
    bool writes_delays() const override { return false; }
    std::optional<std::pair<double, double>> weight_range() const override { return std::pair{lo_, hi_}; }
    void on_delivered(delaysim::plasticity::SynapseHandle& s, delaysim::sim::Time) override {
        s.set_weight(std::clamp(s.weight() + step_, lo_, hi_));
    }

    static delaysim::plasticity::RuleInfo info(const std::string& name) {
        delaysim::plasticity::RuleInfo r;
        r.name = name;
        r.doc = "test plug-in: w += step per delivered spike";
        r.params = {
            {"step", "w", delaysim::sim::ParamKind::Real, 0.5, -1e300, 1e300, false, false,
             "weight change per spike"},
            {"w_min", "w", delaysim::sim::ParamKind::Real, 0.0, -1e300, 1e300, false, false, "lower bound"},
            {"w_max", "w", delaysim::sim::ParamKind::Real, 10.0, 0.0, 100.0, false, false, "upper bound"},
        };
        r.make = [name](const delaysim::sim::Params& p) { return std::make_unique<WeightStep>(p, name); };
        return r;
    }

private:
    double step_, lo_, hi_;
};

}  // namespace delaysim_test
