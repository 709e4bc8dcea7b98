// Loader unit tests: TOML -> spec -> runtime network, connectivity rules,
// seeded distributions, --set overrides, strict keys.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "sim/config/connectivity.hpp"
#include "sim/config/loader.hpp"

using namespace delaysim;
using config::load_config_text;

namespace {

const std::string kBase = R"(
[simulation]
t_stop_ms = 100.0
seed = 7

[[population]]
name = "SG"
model = "pattern_source"
params = { pattern_ms = [1, 2], period_ms = 10.0, repeats = 5 }

[[population]]
name = "N"
model = "coincidence"
size = 3
params = { tau_ms = 200.0 }
initial = { v = [0.5, 1.0, 1.5], vth = 4.0 }

[[projection]]
name = "sg_n"
source = "SG"
target = "N"
port = "a"
delay_ms = 2.0
)";

config::ProjectionSpec projection(const std::string& connect) {
    config::ProjectionSpec p;
    p.name.value.assign(1, 'p');  // (operator= trips a GCC 12 -Wrestrict false positive)
    p.connect.value = connect;
    p.delay.value = 1.0;
    return p;
}

std::set<std::pair<std::uint32_t, std::uint32_t>> pairs_of(const sim::SynapseList& s) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> out;
    for (std::size_t k = 0; k < s.source.size(); ++k) out.insert({s.source[k], s.target[k]});
    return out;
}

// The message of the UserError that loading `text` throws (empty if none).
sim::UserError load_error(const std::string& text, const std::vector<std::string>& sets = {}) {
    try {
        load_config_text(text, "test.toml", sets);
    } catch (const sim::UserError& e) {
        return e;
    }
    FAIL("expected a UserError");
    return sim::UserError("");
}

}  // namespace

TEST_CASE("a config parses into located specs and lowers into a network", "[loader]") {
    auto c = load_config_text(kBase, "test.toml");
    CHECK(c.spec.simulation.t_stop_ms.value == 100.0);
    CHECK(c.spec.simulation.t_stop_ms.where.file == "test.toml");
    CHECK(c.spec.simulation.t_stop_ms.where.line == 3);
    CHECK(c.spec.simulation.t_stop_ms.where.column == 13);
    CHECK(c.spec.populations.at(1).params.real.at("tau_ms") == 200.0);
    const auto& net = c.lowered.network;
    REQUIRE(net.populations.size() == 2);
    REQUIRE(net.projections.size() == 1);
    CHECK(net.projections[0].size() == 3);
    CHECK(c.lowered.t_stop == 100.0);
    CHECK(c.lowered.seed == 7);
    CHECK(c.lowered.record.spike_populations == std::vector<std::uint32_t>{0, 1});
    // initial = { v = [...], vth = 4 } went through Population::set_value.
    const sim::Population& n = *net.populations[1];
    const auto v = static_cast<std::size_t>(n.variable_index("v"));
    const auto vth = static_cast<std::size_t>(n.variable_index("vth"));
    CHECK(n.value(2, v, 0.0) == Approx(1.5));
    CHECK(n.value(0, vth, 0.0) == Approx(4.0));
}

TEST_CASE("every connectivity rule gives the expected synapses", "[loader][connect]") {
    SECTION("all_to_all, with and without autapses") {
        auto p = projection("all_to_all");
        auto s = config::build_synapses(p, 2, 3, false, 1);
        CHECK(s.source == std::vector<std::uint32_t>{0, 0, 0, 1, 1, 1});
        CHECK(s.target == std::vector<std::uint32_t>{0, 1, 2, 0, 1, 2});
        p.autapses.value = false;
        CHECK(config::build_synapses(p, 3, 3, true, 1).source.size() == 6);
        CHECK(config::build_synapses(p, 3, 3, false, 1).source.size() == 9);  // different populations
    }
    SECTION("one_to_one") {
        auto s = config::build_synapses(projection("one_to_one"), 4, 4, false, 1);
        CHECK(pairs_of(s) == decltype(pairs_of(s)){{0, 0}, {1, 1}, {2, 2}, {3, 3}});
        CHECK_THROWS_AS(config::build_synapses(projection("one_to_one"), 4, 3, false, 1), sim::UserError);
    }
    SECTION("pairs keep their order") {
        auto p = projection("pairs");
        p.pairs = {{2, 0}, {0, 1}, {2, 0}};
        auto s = config::build_synapses(p, 3, 2, false, 1);
        CHECK(s.source == std::vector<std::uint32_t>{2, 0, 2});
        CHECK(s.target == std::vector<std::uint32_t>{0, 1, 0});
        p.pairs.push_back({3, 0});
        CHECK_THROWS_AS(config::build_synapses(p, 3, 2, false, 1), sim::UserError);
    }
    SECTION("fixed_probability: 0 and 1 are exact, 0.3 is near 30 %") {
        auto p = projection("fixed_probability");
        p.probability = config::Located<double>{0.0, {}};
        CHECK(config::build_synapses(p, 10, 10, false, 1).source.empty());
        p.probability->value = 1.0;
        CHECK(config::build_synapses(p, 10, 10, false, 1).source.size() == 100);
        p.probability->value = 0.3;
        const auto n = config::build_synapses(p, 100, 100, false, 1).source.size();
        CHECK(n > 2700);
        CHECK(n < 3300);
        p.probability->value = 1.5;
        CHECK_THROWS_AS(config::build_synapses(p, 10, 10, false, 1), sim::UserError);
    }
    SECTION("fixed_indegree draws distinct sources for every target") {
        auto p = projection("fixed_indegree");
        p.indegree = config::Located<std::uint64_t>{4, {}};
        auto s = config::build_synapses(p, 10, 5, false, 3);
        REQUIRE(s.source.size() == 20);
        CHECK(pairs_of(s).size() == 20);  // no source twice for one target
        for (std::uint32_t j = 0; j < 5; ++j) CHECK(std::count(s.target.begin(), s.target.end(), j) == 4);
        p.indegree->value = 11;
        CHECK_THROWS_AS(config::build_synapses(p, 10, 5, false, 3), sim::UserError);
    }
    SECTION("a key of another rule is an error") {
        auto p = projection("all_to_all");
        p.probability = config::Located<double>{0.5, {}};
        CHECK_THROWS_WITH(config::build_synapses(p, 2, 2, false, 1),
                          Catch::Contains("only used with connect = \"fixed_probability\""));
    }
}

TEST_CASE("weight and delay distributions are seeded and reproducible", "[loader][random]") {
    auto p = projection("all_to_all");
    p.weight.kind = config::SynValueSpec::Kind::Uniform;
    p.weight.a = 2.0;
    p.weight.b = 3.0;
    p.delay.kind = config::SynValueSpec::Kind::Normal;
    p.delay.a = 10.0;
    p.delay.b = 1.0;
    const auto a = config::build_synapses(p, 20, 20, false, 42);
    const auto b = config::build_synapses(p, 20, 20, false, 42);
    const auto c = config::build_synapses(p, 20, 20, false, 43);
    CHECK(a.weight == b.weight);
    CHECK(a.delay == b.delay);
    CHECK(a.weight != c.weight);
    for (double w : a.weight) CHECK((w >= 2.0 && w < 3.0));
    double mean = 0;
    for (double d : a.delay) mean += d / 400.0;
    CHECK(mean == Approx(10.0).margin(0.2));

    // Through the loader: the projection's stream derives from simulation.seed.
    const std::string cfg = kBase + "weight = { dist = \"uniform\", low = 0.5, high = 1.5 }\n";
    auto w_of = [](const config::LoadedConfig& l) {
        std::vector<double> w;
        for (sim::Index s = 0; s < l.lowered.network.projections[0].size(); ++s)
            w.push_back(l.lowered.network.projections[0].weight(s));
        return w;
    };
    CHECK(w_of(load_config_text(cfg, "a.toml")) == w_of(load_config_text(cfg, "b.toml")));
    CHECK(w_of(load_config_text(cfg, "a.toml")) !=
          w_of(load_config_text(cfg, "a.toml", {"simulation.seed=8"})));
    const std::string seeded = cfg + "connect_seed = 5\n";
    CHECK(w_of(load_config_text(seeded, "a.toml")) ==
          w_of(load_config_text(seeded, "a.toml", {"simulation.seed=8"})));
}

TEST_CASE("option set overrides values, addressed by name, and is type-checked", "[loader][set]") {
    auto c = load_config_text(
        kBase, "test.toml",
        {"simulation.t_stop_ms=250", "population.N.params.tau_ms=500", "projection.sg_n.delay_ms=3.5",
         "population.N.params.gain=10", "simulation.inflight=retime", "projection.sg_n.delay_max_ms=20"});
    CHECK(c.lowered.t_stop == 250.0);
    CHECK(c.spec.populations[1].params.real.at("tau_ms") == 500.0);
    CHECK(c.spec.populations[1].params.real.at("gain") == 10.0);
    CHECK(c.lowered.network.projections[0].delay(0) == 3.5);
    CHECK(c.lowered.network.projections[0].inflight() == sim::InflightPolicy::Retime);
    CHECK(c.text.find("--set simulation.t_stop_ms=250") != std::string::npos);
    // By index, and creating a table that is not in the file.
    auto d =
        load_config_text(kBase, "test.toml", {"population.0.params.repeats=2", "record.interval_ms=0.5"});
    CHECK(d.spec.populations[0].params.real.at("repeats") == 2.0);
    CHECK(d.lowered.record.interval == 0.5);

    auto e = load_error(kBase, {"simulation.t_stop_ms=\"long\""});
    CHECK(std::string(e.what()).find("'t_stop_ms' must be a number, got a string") != std::string::npos);
    CHECK(e.where().file == "--set simulation.t_stop_ms=\"long\"");
    CHECK(e.where().line == 1);
    CHECK(e.where().column == 22);
    CHECK_THAT(load_error(kBase, {"population.X.size=2"}).what(),
               Catch::Contains("no entry named 'X' (valid: SG, N"));
    CHECK_THAT(load_error(kBase, {"simulation.t_stop_ms"}).what(),
               Catch::Contains("expected key.path=value"));
    CHECK_THAT(load_error(kBase, {"simulation..seed=1"}).what(), Catch::Contains("empty segment"));
    CHECK_THAT(load_error(kBase, {"simulation.seed.x=1"}).what(),
               Catch::Contains("is an integer, not a table"));
    CHECK_THAT(load_error(kBase, {"population.N.size=2.5"}).what(),
               Catch::Contains("'size' must be an integer"));
    CHECK_THAT(load_error(kBase, {"simulation.t_stop=1"}).what(), Catch::Contains("unknown key 't_stop'"));
}

TEST_CASE("unknown keys are rejected everywhere, with their location", "[loader][strict]") {
    auto e = load_error(kBase + "delay_mx_ms = 3.0\n");
    CHECK_THAT(e.what(), Catch::Contains("unknown key 'delay_mx_ms'"));
    CHECK(e.where().line == 24);
    CHECK(e.where().column == 1);
    CHECK_THAT(load_error("[simulation]\nt_stop_ms = 1.0\nsede = 1\n").what(),
               Catch::Contains("unknown key 'sede'"));
    CHECK_THAT(load_error(kBase + "[record]\nintervall_ms = 1.0\n").what(),
               Catch::Contains("unknown key 'intervall_ms'"));
    CHECK_THAT(load_error(kBase + "weight = { dist = \"uniform\", low = 0, hi = 1 }\n").what(),
               Catch::Contains("unknown key 'hi'"));
    CHECK_THAT(load_error(kBase + "[[record.traces]]\npopulation = \"N\"\nvars = [\"v\"]\n").what(),
               Catch::Contains("unknown key 'vars'"));
    CHECK_THAT(load_error(kBase + "[extra]\n").what(), Catch::Contains("unknown key 'extra'"));
}

TEST_CASE("record specs resolve names to indices", "[loader][record]") {
    auto c = load_config_text(kBase + R"(
[record]
interval_ms = 0.25
spikes = ["N"]
[[record.traces]]
population = "N"
variables = ["vth", "v"]
nodes = [2, 0]
[[record.synapses]]
projection = "sg_n"
variables = ["delay"]
)",
                              "test.toml");
    const auto& r = c.lowered.record;
    CHECK(r.interval == 0.25);
    CHECK(r.spike_populations == std::vector<std::uint32_t>{1});
    REQUIRE(r.traces.size() == 1);
    CHECK(r.traces[0].variables == std::vector<std::size_t>{1, 0});
    CHECK(r.traces[0].nodes == std::vector<sim::Index>{0, 2});
    REQUIRE(r.synapses.size() == 1);
    CHECK(r.synapses[0].synapses == std::vector<sim::Index>{0, 1, 2});
    CHECK(r.synapses[0].variables == std::vector<sim::SynapseVariable>{sim::SynapseVariable::Delay});
    CHECK(r.seed == 7);
    CHECK(r.t_stop == 100.0);
    CHECK_THAT(load_error(kBase + "[[record.traces]]\npopulation = \"N\"\nnodes = [3]\n").what(),
               Catch::Contains("nodes index 3 is out of range"));
}
