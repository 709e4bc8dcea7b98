// Run-time plug-ins (sim/config/plugin.hpp), loaded from BUILD/test_plugins/
// (tests/plugins/): a plug-in's rule and model are first-class, and every bad
// plug-in is a located UserError that leaves the registries as they were.
#include <catch2/catch.hpp>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/plugin.hpp"

using namespace delaysim;

namespace {

const std::string kDir = DELAYSIM_TEST_PLUGIN_DIR;
std::string lib(const std::string& name) {
    return kDir + "/lib" + name + ".so";
}

sim::UserError load_error(const std::string& path) {
    try {
        config::load_plugin(path, sim::SourceLocation{"cfg.toml", 3, 12});
    } catch (const sim::UserError& e) {
        return e;
    }
    FAIL("no error for " << path);
    return sim::UserError("");
}

// `model` for N, `rule` on the pattern -> N projection.
std::string network(const std::string& model, const std::string& rule) {
    std::string s = "plugins = [\"" + lib("test_good") + R"("]
[simulation]
t_stop_ms = 95.0
[[population]]
name = "SG"
model = "pattern_source"
params = { pattern_ms = [1.0, 4.5], period_ms = 10.0, repeats = 10 }
[[population]]
name = "N"
model = ")" + model +
                    R"("
size = 2
[[projection]]
name = "sg_n"
source = "SG"
target = "N"
port = "ex"
weight = 300.0
delay_ms = { dist = "uniform", low = 0.5, high = 2.0 }
)";
    if (!rule.empty())
        s += "[[plasticity]]\nrule = \"" + rule +
             "\"\nprojections = [\"sg_n\"]\nparams = { step = 0.25, w_max = 100.0 }\n";
    return s;
}

}  // namespace

TEST_CASE("a plug-in's rule acts like a built-in: validated parameters, exact changes", "[plugin]") {
    auto c = config::load_config_text(network("lif_exp", "weight_step_test"), "cfg.toml");
    const plasticity::RuleInfo* info = plasticity::find_rule("weight_step_test");
    REQUIRE(info != nullptr);
    CHECK(info->origin == lib("test_good"));
    REQUIRE(!config::loaded_plugins().empty());
    CHECK(config::loaded_plugins()[0].version == DELAYSIM_VERSION);
    // Initial weight 300 lies outside the rule's [0, 100]: the loader's warning.
    REQUIRE(c.lowered.warnings.size() == 1);
    CHECK(c.lowered.warnings[0].what.find("outside [0, 100]") != std::string::npos);
    auto sim = config::make_simulation(c.lowered);
    sim->run(95.0);
    const sim::Projection& p = sim->network().projections[0];
    for (sim::Index s = 0; s < p.size(); ++s) {
        // w = clip(300 + n * 0.25, 0, 100) = 100 from the first delivery on.
        CHECK(p.weight(s) == 100.0);
    }
    // Parameters go through the same validation as a built-in's.
    std::string bad = network("lif_exp", "weight_step_test");
    bad.replace(bad.find("w_max = 100.0"), 13, "w_max = 1000.0");
    CHECK_THROWS_WITH(config::load_config_text(bad, "cfg.toml"),
                      Catch::Contains("outside its allowed range [0, 100]"));
}

TEST_CASE("a plug-in's rule counts deliveries exactly", "[plugin]") {
    std::string text = network("lif_exp", "weight_step_test");
    text.replace(text.find("weight = 300.0"), 14, "weight = 10.0");
    auto c = config::load_config_text(text, "cfg.toml");
    CHECK(c.lowered.warnings.empty());
    auto sim = config::make_simulation(c.lowered);
    std::vector<double> delay;
    for (sim::Index s = 0; s < sim->network().projections[0].size(); ++s)
        delay.push_back(sim->network().projections[0].delay(s));
    sim->run(95.0);
    const sim::Projection& p = sim->network().projections[0];
    for (sim::Index s = 0; s < p.size(); ++s) {
        // Emissions at 10k + 1 and 10k + 4.5, k = 0..9; delivered if before 95 ms.
        int n = 0;
        for (int k = 0; k < 10; ++k)
            for (double e : {1.0, 4.5}) n += (10.0 * k + e + delay[s] <= 95.0) ? 1 : 0;
        CHECK(p.weight(s) == Approx(10.0 + 0.25 * n).epsilon(1e-15));
    }
}

TEST_CASE("a plug-in's model gives the same spikes as the built-in it wraps", "[plugin]") {
    auto spikes = [](const std::string& model) {
        std::string text = network(model, "");
        text.replace(text.find("weight = 300.0"), 14, "weight = 2000.0");
        auto c = config::load_config_text(text, "cfg.toml");
        auto sim = config::make_simulation(c.lowered);
        struct Count : sim::Observer {
            std::vector<std::pair<double, sim::Index>> s;
            void on_spike(std::uint32_t pop, sim::Index i, sim::Time t) override {
                if (pop == 1) s.push_back({t, i});
            }
        } count;
        sim->add_observer(&count);
        sim->run(95.0);
        return count.s;
    };
    const auto builtin = spikes("lif_exp"), plugin = spikes("plugin_lif");
    CHECK(models::find_model("plugin_lif")->origin == lib("test_good"));
    CHECK(builtin.size() > 10);
    CHECK(plugin == builtin);
}

TEST_CASE("loading the same plug-in twice is a no-op", "[plugin]") {
    config::load_plugin(lib("test_good"));
    const std::size_t n = plasticity::rule_registry().size();
    config::load_plugin(lib("test_good"));
    CHECK(plasticity::rule_registry().size() == n);
    CHECK(config::loaded_plugins().size() >= 1);
}

TEST_CASE("bad plug-ins are located errors that register nothing", "[plugin]") {
    const std::size_t rules = plasticity::rule_registry().size(), models_n = models::model_registry().size();
    const std::size_t plugins = config::loaded_plugins().size();
    struct Case {
        std::string path, what;
    };
    const std::vector<Case> cases = {
        {kDir + "/no_such.so", "no such file"},
        {kDir, "is not a regular file"},
        {std::string(DELAYSIM_SOURCE_DIR) + "/README.md", "cannot be loaded as a shared library"},
        {lib("test_no_entry"), "is not a delaysim plug-in: it has no entry point delaysim_plugin_version"},
        {lib("test_wrong_version"),
         "was built against delaysim 0.0.0-test, but this is delaysim " + std::string(DELAYSIM_VERSION)},
        {lib("test_builtin_name"), "registers plasticity rule 'stdp_weight', which is already built-in"},
        {lib("test_twice"), "registers plasticity rule 'twice_test' twice"},
        {lib("test_throws"), "failed while registering: test plug-in refuses to register"},
    };
    for (const Case& c : cases) {
        INFO(c.path);
        const sim::UserError e = load_error(c.path);
        CHECK_THAT(e.what(), Catch::Contains(c.what));
        CHECK(e.formatted().rfind("cfg.toml:3:12: error: ", 0) == 0);
    }
    CHECK(plasticity::rule_registry().size() == rules);
    CHECK(models::model_registry().size() == models_n);
    CHECK(config::loaded_plugins().size() == plugins);
    CHECK(plasticity::find_rule("twice_test") == nullptr);
    // A name another plug-in registered first.
    config::load_plugin(lib("test_good"));
    CHECK_THAT(
        load_error(lib("test_same_as_good")).what(),
        Catch::Contains("'weight_step_test', which is already registered by plug-in " + lib("test_good")));
}

TEST_CASE("a model file's plugins entries are located and relative to the file", "[plugin]") {
    const std::string text =
        "plugins = [\"test_plugins/libtest_good.so\", \"nope.so\"]\n[simulation]\nt_stop_ms = 1.0\n"
        "[[population]]\nname = \"N\"\nmodel = \"plugin_lif\"\n";
    const std::string column = std::to_string(text.find("\"nope.so\"") + 1);
    try {
        config::load_config_text(text, std::string(DELAYSIM_TEST_PLUGIN_DIR) + "/../cfg.toml");
        FAIL("no error");
    } catch (const sim::UserError& e) {
        // The first entry resolved next to the file and loaded; the second is missing.
        CHECK_THAT(e.formatted(), Catch::Contains("cfg.toml:1:" + column + ": error: plug-in '"));
        CHECK_THAT(e.what(), Catch::Contains("nope.so': no such file"));
    }
    CHECK(plasticity::find_rule("weight_step_test") != nullptr);
}
