// The one explicit rule list: every rule is findable by name, documents its
// parameters (unit, default inside the range) and builds from defaults.
#include <catch2/catch.hpp>

#include "plasticity/registry.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

TEST_CASE("every registered rule documents itself and builds from its defaults", "[plasticity][registry]") {
    const auto& rules = plasticity::rule_registry();
    REQUIRE(rules.size() >= 4);
    for (const char* name :
         {"constant_drift", "delay_shift_centred", "delay_shift_stdp", "loser_delay_shift", "stdp_weight"})
        CHECK(plasticity::find_rule(name) != nullptr);
    for (std::size_t k = 1; k < rules.size(); ++k) CHECK(rules[k - 1].name < rules[k].name);  // alphabetical
    for (const auto& r : rules) {
        INFO(r.name);
        CHECK(!r.doc.empty());
        for (const auto& p : r.params) {
            CHECK(!p.unit.empty());
            CHECK(!p.doc.empty());
            CHECK(p.default_value >= p.min);
            CHECK(p.default_value <= p.max);
        }
        auto rule = testing::make_rule(r.name);
        REQUIRE(rule != nullptr);
        CHECK(rule->name() == r.name);  // the name written into /plasticity events
        CHECK(rule->hooks() != 0);
    }
    CHECK(plasticity::find_rule("no_such_rule") == nullptr);
    CHECK(plasticity::rule_names() ==
          "constant_drift, delay_mean_shift, delay_shift_centred, delay_shift_stdp, loser_delay_align, "
          "loser_delay_shift, stdp_weight");
}

TEST_CASE("rule parameters are range-checked with the parameter's name", "[plasticity][registry]") {
    const plasticity::RuleInfo* r = plasticity::find_rule("delay_shift_stdp");
    CHECK_THROWS_WITH(sim::Params(r->params, testing::reals({{"eta", 0.0}}), "rule"),
                      Catch::Contains("'eta'"));
    CHECK_THROWS_WITH(sim::Params(r->params, testing::reals({{"speed", 1.0}}), "rule"),
                      Catch::Contains("unknown parameter 'speed'"));
    const plasticity::RuleInfo* w = plasticity::find_rule("stdp_weight");
    CHECK_THROWS_AS(w->make(sim::Params(w->params, testing::reals({{"w_min", 2.0}, {"w_max", 1.0}}), "rule")),
                    sim::UserError);
}
