// validate makes every check run makes (issue 14, item 1), and the mistakes that
// used to pass silently are located warnings, errors under --strict (item 9).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/run.hpp"
#include "sim/error.hpp"

using namespace delaysim;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test case (tests run in parallel processes).
fs::path scratch() {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("delaysim_validate_" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

std::string write(const std::string& name, const std::string& text) {
    const fs::path p = scratch() / name;
    std::ofstream(p) << text;
    return p.string();
}

config::RunOptions options(const std::string& path, bool strict = false) {
    config::RunOptions o;
    o.config = path;
    o.output = (scratch() / (fs::path(path).stem().string() + ".h5")).string();
    o.quiet = true;
    o.strict = strict;
    return o;
}

struct Outcome {
    bool failed = false;
    std::string message;  // formatted error
    std::string err;      // what went to the message stream (warnings)
};

Outcome validate(const std::string& path, bool strict = false) {
    Outcome r;
    std::ostringstream err;
    try {
        config::validate_config(options(path, strict), err);
    } catch (const sim::UserError& e) {
        r.failed = true;
        r.message = e.formatted();
    }
    r.err = err.str();
    return r;
}

Outcome run(const std::string& path, bool strict = false) {
    Outcome r;
    std::ostringstream err;
    try {
        config::run_config(options(path, strict), err);
    } catch (const sim::UserError& e) {
        r.failed = true;
        r.message = e.formatted();
    }
    r.err = err.str();
    return r;
}

// 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    REQUIRE(at != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

const std::string kSim = "[simulation]\nt_stop_ms = 50.0\n\n";

const std::string kSeedPair = R"(
[[population]]
name = "SG"
model = "pattern_source"
params = { pattern_ms = [1, 3], period_ms = 10.0 }
)";

std::string lag_target(const std::string& projection_extra) {
    return kSim + kSeedPair + R"(
[[population]]
name = "L"
model = "coincidence_lag"
size = 2

[[projection]]
name = "sg_l"
source = "SG"
target = "L"
port = "b"
delay_ms = 3.0
)" + projection_extra;
}

// Both validate and run refuse, with the same located message.
void both_refuse(const std::string& name, const std::string& text, const std::string& what) {
    const std::string path = write(name, text);
    const Outcome v = validate(path), r = run(path);
    INFO(v.message);
    CHECK(v.failed);
    CHECK(r.failed);
    CHECK(v.message == r.message);
    CHECK(v.message.find(path + ":") == 0);
    CHECK(v.message.find(": error: ") != std::string::npos);
    CHECK(v.message.find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("validate rejects a lag projection with delay_min_ms = 0, as run does, located", "[validate]") {
    const std::string text = lag_target(""), given = lag_target("delay_min_ms = 0.0\n");
    both_refuse("lag_min0.toml", text, "delay_min_ms must be > 0");
    both_refuse("lag_min0_given.toml", given, "delay_min_ms must be > 0");
    // Located at the [[projection]], or at the value when it is written.
    const std::string path = write("lag_min0_given.toml", given);
    CHECK(validate(path).message.find(path + ":" + std::to_string(line_of(given, "delay_min_ms")) + ":") ==
          0);
    const std::string path0 = write("lag_min0.toml", text);
    CHECK(validate(path0).message.find(path0 + ":" + std::to_string(line_of(text, "[[projection]]")) + ":") ==
          0);
}

TEST_CASE("validate rejects lag synapses that share a chain with different delays", "[validate]") {
    both_refuse("lag_shared.toml", lag_target("delay_min_ms = 0.5\nconnect = \"all_to_all\"\n") + R"(
[[projection]]
name = "sg_l2"
source = "SG"
target = "L"
port = "b"
delay_ms = 4.0
delay_min_ms = 0.5
)",
                "share one chain and need the same delay_ms");
}

TEST_CASE("validate rejects a lag delay past the model's limit on D", "[validate]") {
    std::string text = lag_target("delay_min_ms = 0.5\n");
    text.replace(text.find("delay_ms = 3.0"), 14, "delay_ms = 2000.0");
    both_refuse("lag_past_limit.toml", text, "limit on the chain's mean delay D (1000 ms)");
}

TEST_CASE("validate rejects an output it could not write, as run does", "[validate]") {
    // Its directory would have to be made inside a regular file.
    const std::string file = write("plain_file", "not a directory\n");
    const std::string path = write(
        "unwritable.toml", "[simulation]\nt_stop_ms = 5.0\noutput = \"" + file + "/x.h5\"\n" + kSeedPair);
    config::RunOptions o = options(path);
    o.output.reset();  // simulation.output applies
    std::ostringstream err;
    CHECK_THROWS_AS(config::validate_config(o, err), sim::UserError);
    CHECK_THROWS_AS(config::run_config(o, err), sim::UserError);
}

namespace {

// A warning: printed (located) by validate and run, which still succeed; an
// error under --strict.
void warns(const std::string& name, const std::string& text, const std::string& what,
           const std::string& needle) {
    const int line = line_of(text, needle);
    const std::string path = write(name, text);
    const Outcome v = validate(path), r = run(path);
    INFO(v.err + v.message);
    CHECK_FALSE(v.failed);
    CHECK_FALSE(r.failed);
    const std::string at = path + ":" + std::to_string(line) + ":";
    CHECK(v.err.find(at) == 0);
    CHECK(v.err.find(": warning: ") != std::string::npos);
    CHECK(v.err.find(what) != std::string::npos);
    CHECK(r.err.find(at) == 0);
    const Outcome vs = validate(path, true), rs = run(path, true);
    CHECK(vs.failed);
    CHECK(rs.failed);
    CHECK(vs.message.find(at) == 0);
    CHECK(vs.message.find(": error: ") != std::string::npos);
    CHECK(vs.message.find(what) != std::string::npos);
}

void silent(const std::string& name, const std::string& text) {
    const std::string path = write(name, text);
    const Outcome v = validate(path, true);
    INFO(v.err + v.message);
    CHECK_FALSE(v.failed);
    CHECK(v.err.empty());
}

std::string lif_stdp(const std::string& weight) {
    return kSim + kSeedPair + R"(
[[population]]
name = "E"
model = "lif_exp"

[[projection]]
name = "sg_e"
source = "SG"
target = "E"
port = "ex"
)" + weight +
           R"(
delay_ms = 1.0

[[plasticity]]
rule = "stdp_weight"
projections = ["sg_e"]
params = { w_min = 0.0, w_max = 1.0 }
)";
}

std::string loser_onto(const std::string& model, bool inhibition) {
    std::string s = kSim + kSeedPair + "\n[[population]]\nname = \"N\"\nmodel = \"" + model + R"("

[[projection]]
name = "sg_n"
source = "SG"
target = "N"
port = ")" + (model == "lif_exp" ? "ex" : "a") +
                    R"("
delay_ms = 1.0
)";
    if (inhibition)
        s += "\n[[projection]]\nname = \"inh\"\nsource = \"SG\"\ntarget = \"N\"\nport = "
             "\"inhibit\"\ndelay_ms = 1.0\n";
    return s + "\n[[plasticity]]\nrule = \"loser_delay_shift\"\nprojections = [\"sg_n\"]\n";
}

}  // namespace

TEST_CASE("initial weights outside a weight rule's [w_min, w_max] are a warning", "[validate][lint]") {
    warns("weights_outside.toml", lif_stdp("weight = 1.5"), "1 of 1 initial weights lie outside [0, 1]",
          "weight = 1.5");
    silent("weights_inside.toml", lif_stdp("weight = 0.5"));
}

TEST_CASE("a rule whose hook can never fire on its projection is a warning", "[validate][lint]") {
    // Located at the projection's entry in [[plasticity]].
    warns("loser_no_port.toml", loser_onto("lif_exp", false), "model lif_exp of 'N' has no inhibit port",
          "projections = [");
    warns("loser_unreached.toml", loser_onto("coincidence", false),
          "no projection reaches an inhibit port of 'N'", "projections = [");
    silent("loser_inhibited.toml", loser_onto("coincidence", true));
}

TEST_CASE("a plastic lag delay bound past the model's limit on D is a warning", "[validate][lint]") {
    const std::string rule = "\n[[plasticity]]\nrule = \"constant_drift\"\nprojections = [\"sg_l\"]\n";
    // At delay_max_ms, or at the [[projection]] when it is not written.
    warns("lag_unbounded.toml", lag_target("delay_min_ms = 0.5\n") + rule, "delay_max_ms = inf lies past",
          "[[projection]]");
    warns("lag_bound_far.toml", lag_target("delay_min_ms = 0.5\ndelay_max_ms = 5000.0\n") + rule,
          "delay_max_ms = 5000 lies past", "delay_max_ms");
    silent("lag_bounded.toml", lag_target("delay_min_ms = 0.5\ndelay_max_ms = 20.0\n") + rule);
    silent("lag_static.toml", lag_target("delay_min_ms = 0.5\n"));  // no rule moves D
}
