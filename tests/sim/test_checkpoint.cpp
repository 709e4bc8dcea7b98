// Checkpoints at the engine level (sim/checkpoint.hpp, Simulation::save/restore):
// a simulation restored from another one's state at T goes on with the
// spikes, synapse changes and final state of the uninterrupted run, to the bit
// (event loop, slice batching inside a slice and at a slice edge, retime, RNG
// sources); the reader refuses truncated and inconsistent data.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <tuple>
#include <vector>

#include "sim/checkpoint.hpp"
#include "sim/config/loader.hpp"
#include "sim/observer.hpp"
#include "sim/serialize.hpp"
#include "sim/simulation.hpp"
#include "tests/support/observers.hpp"

using namespace delaysim;

namespace {

std::string config_path(const std::string& name) {
    return std::string(DELAYSIM_SOURCE_DIR) + "/configs/" + name;
}

using Log = testing::RunLog;

struct Outcome {
    Log log;
    std::vector<double> delays, weights, state;
    std::uint64_t events = 0;
};

void finish(sim::Simulation& s, Outcome& out) {
    out.events = s.events_processed();
    for (std::size_t q = 0; q < s.network().projections.size(); ++q)
        for (sim::Index k = 0; k < s.projection(q).size(); ++k) {
            out.delays.push_back(s.projection(q).delay(k));
            out.weights.push_back(s.projection(q).weight(k));
        }
    for (std::size_t p = 0; p < s.network().populations.size(); ++p) {
        const sim::Population& P = s.population(p);
        for (sim::Index i = 0; i < P.size(); ++i)
            for (std::size_t v = 0; v < P.variables().size(); ++v)
                out.state.push_back(P.value(i, v, s.now()));
    }
}

// The uninterrupted run, or: run to T, save, restore into a new simulation, go on.
// threads_a, threads_b: the threads of the first and of the restored simulation.
Outcome run(const std::string& config, double T, unsigned threads_a = 1, unsigned threads_b = 1) {
    auto c = config::load_config(config_path(config));
    auto a = config::make_simulation(c.lowered);
    a->set_threads(threads_a);
    Outcome out;
    a->add_observer(&out.log);
    a->set_sample_interval(c.lowered.record.interval);
    a->set_horizon(c.lowered.t_stop);
    if (T <= 0) {
        REQUIRE(a->run(c.lowered.t_stop));
        finish(*a, out);
        return out;
    }
    REQUIRE(a->run(T));
    sim::Writer w;
    a->save(w);
    a.reset();
    auto c2 = config::load_config(config_path(config));
    auto b = config::make_simulation(c2.lowered);
    b->set_threads(threads_b);
    b->add_observer(&out.log);
    b->set_sample_interval(c2.lowered.record.interval);
    b->set_horizon(c2.lowered.t_stop);
    sim::Reader r(w.bytes().data(), w.bytes().size());
    b->restore(r);
    CHECK(b->now() == T);
    REQUIRE(b->run(c2.lowered.t_stop));
    finish(*b, out);
    return out;
}

}  // namespace

TEST_CASE("restore at T goes on as the uninterrupted run, to the bit", "[checkpoint][engine]") {
    const auto [config, T] = GENERATE(table<const char*, double>({
        {"two_neuron_delay_learning.toml", 250.0},
        {"golden_lif_stdp.toml", 100.0},  // a slice edge (h = 0.5 ms)
        {"golden_lif_stdp.toml", 257.3},  // inside a slice
        {"lif_delta_network.toml", 77.7},
        {"two_neuron_lag_learning.toml", 400.0},
        {"declared_lif_exp.toml", 90.1},
    }));
    INFO(config << " at " << T);
    const Outcome one = run(config, 0);
    REQUIRE(!one.log.spikes.empty());
    const Outcome resumed = run(config, T);
    CHECK(resumed.log.spikes == one.log.spikes);
    CHECK(resumed.log.changes == one.log.changes);
    CHECK(resumed.delays == one.delays);
    CHECK(resumed.weights == one.weights);
    CHECK(resumed.state == one.state);
    CHECK(resumed.events == one.events);
}

TEST_CASE("restore refuses data of another network and truncated data", "[checkpoint]") {
    auto c = config::load_config(config_path("golden_lif_stdp.toml"));
    auto a = config::make_simulation(c.lowered);
    a->set_horizon(c.lowered.t_stop);
    REQUIRE(a->run(50.0));
    sim::Writer w;
    a->save(w);
    const std::string& bytes = w.bytes();
    // Every prefix (sampled): a CheckpointError, never a crash or a read past the end.
    for (std::size_t n = 0; n < bytes.size(); n += 1 + n / 7) {
        auto c2 = config::load_config(config_path("golden_lif_stdp.toml"));
        auto b = config::make_simulation(c2.lowered);
        sim::Reader r(bytes.data(), n);
        CHECK_THROWS_AS(b->restore(r), sim::CheckpointError);
    }
    // Another network: the seed's.
    auto c3 = config::load_config(config_path("two_neuron_delay_learning.toml"));
    auto other = config::make_simulation(c3.lowered);
    sim::Reader r(bytes.data(), bytes.size());
    CHECK_THROWS_AS(other->restore(r), sim::CheckpointError);
}

TEST_CASE("Reader checks lengths against the remaining bytes", "[checkpoint]") {
    sim::Writer w;
    w.put<std::uint64_t>(std::uint64_t{1} << 60);  // a length no file holds
    sim::Reader r(w.bytes().data(), w.bytes().size());
    std::vector<double> v;
    CHECK_THROWS_WITH(r.get(v), Catch::Contains("a length past the end"));
    sim::Writer ok;
    ok.put(std::vector<double>{1.5, -0.0});
    ok.put(std::string("abc"));
    sim::Reader back(ok.bytes().data(), ok.bytes().size());
    back.get(v);
    CHECK(v == std::vector<double>{1.5, -0.0});
    CHECK(back.get_string() == "abc");
    CHECK(back.done());
    CHECK_THROWS_AS(back.get<std::uint32_t>(), sim::CheckpointError);
}

TEST_CASE("checkpoint file: version, truncation and checksum are checked", "[checkpoint]") {
    sim::CheckpointData d;
    d.meta.config_path = "/x.toml";
    d.meta.t = 1.0;
    d.meta.t_stop = 2.0;
    d.simulation = "engine";
    d.recorder = "rows";
    const std::string path = "checkpoint_test.ckpt";
    sim::write_checkpoint(path, d);
    const sim::CheckpointData back = sim::read_checkpoint(path);
    CHECK(back.simulation == "engine");
    CHECK(back.recorder == "rows");
    CHECK(back.meta.t == 1.0);
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::remove(path.c_str());
    CHECK_THROWS_WITH(sim::parse_checkpoint(bytes.substr(0, bytes.size() - 3)), Catch::Contains("truncated"));
    std::string flipped = bytes;
    flipped[bytes.size() - 12] ^= 1;
    CHECK_THROWS_WITH(sim::parse_checkpoint(flipped), Catch::Contains("checksum"));
    std::string version = bytes;
    version[8 + 4 + 8] = '7';  // the version string's first character
    CHECK_THROWS_WITH(sim::parse_checkpoint(version), Catch::Contains("written by delaysim 7"));
}

// Threads (static lanes, sim/slices.hpp): a checkpoint holds the lanes' inputs
// and a begun slice's runs as one thread's, and a restore splits them among its
// own lanes, so a checkpoint taken with any number of threads resumes with any.
TEST_CASE("a checkpoint taken with threads resumes with other threads, to the bit",
          "[checkpoint][parallel]") {
    const auto [T, ta, tb] = GENERATE(table<double, unsigned, unsigned>({
        {257.3, 3, 1},  // inside a slice: its runs and grouped inputs are split anew
        {257.3, 1, 2},
        {100.0, 2, 4},  // a slice edge
    }));
    INFO("T = " << T << ", threads " << ta << " then " << tb);
    setenv("DELAYSIM_PARALLEL_GRAIN", "1", 1);  // split every phase (small network)
    const Outcome one = run("golden_lif_stdp.toml", 0);
    const Outcome resumed = run("golden_lif_stdp.toml", T, ta, tb);
    unsetenv("DELAYSIM_PARALLEL_GRAIN");
    REQUIRE(!one.log.spikes.empty());
    CHECK(resumed.log.spikes == one.log.spikes);
    CHECK(resumed.log.changes == one.log.changes);
    CHECK(resumed.delays == one.delays);
    CHECK(resumed.weights == one.weights);
    CHECK(resumed.state == one.state);
    CHECK(resumed.events == one.events);
}
