// Runaway and overflow guards of the per-node core (sim/node_core.hpp), in both
// run loops: a Zeno node (its crossing comes back at once after each reset), a
// burst beyond the documented limit at one instant, and a non-finite state stop
// the run with a UserError that names the population, node, time and cause.
#include <catch2/catch.hpp>
#include <string>

#include "sim/error.hpp"
#include "sim/node_core.hpp"
#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;
using Catch::Matchers::Contains;

namespace {

// The message of the UserError run(t_stop) throws ("" if it does not throw).
std::string run_error(sim::Simulation& s, sim::Time t_stop) {
    try {
        s.run(t_stop);
    } catch (const sim::UserError& e) {
        return e.what();
    }
    return "";
}

// One explicit source -> one lif_exp neuron (refractory period t_ref) through one
// synapse of weight w and delay 1 ms; the source spikes at `times`.
sim::Network source_to_lif(std::vector<double> times, double w, double t_ref = 0.0) {
    sim::Network net;
    net.populations.push_back(testing::source_at("S", std::move(times)));
    net.populations.push_back(
        testing::make_population("lif_exp", "N", 1, testing::reals({{"t_ref_ms", t_ref}})));
    net.projections.emplace_back("s_n", 0, 1, 0, testing::one_synapse(w, 1.0), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 1, 1);
    return net;
}

}  // namespace

TEST_CASE("a coincidence neuron with an input weight of 1e10 stops the run instead of hanging",
          "[sim][guards]") {
    sim::Network net = testing::seed_network();
    net.projections[0].store_weight(0, 1e10);  // sg1_n1: N1's port a
    sim::Simulation s(std::move(net));
    testing::SpikeLog log(4);
    s.add_observer(&log);
    const std::string msg = run_error(s, 1040.0);
    INFO(msg);
    CHECK_THAT(msg, Contains("population 'N1' (model coincidence), node 0"));
    CHECK_THAT(msg, Contains("t = 3"));  // SG2's 3 ms spike reaches N1 (2 ms delay) with s1 still huge
    CHECK_THAT(msg, Contains("'sg1_n1' (port 'a') 1e+10"));
    CHECK_THAT(msg, Contains("vth = 8"));  // its threshold, just reset
    // Stopped at the limit: the spikes before it were reported, nothing after.
    CHECK(log.times[2].size() == sim::NodeCore::kMaxBurst);
    CHECK(log.times[2].back() - log.times[2].front() <= sim::NodeCore::kBurstMs);
    CHECK(s.now() < 3.0 + 1e-6);
}

TEST_CASE("the burst limit is exact: kMaxBurst spikes at one instant pass, one more stops the run",
          "[sim][guards]") {
    const auto n = sim::NodeCore::kMaxBurst;
    {
        sim::Network net;
        net.populations.push_back(testing::source_at("S", std::vector<double>(n, 1.0)));
        sim::Simulation s(std::move(net));
        testing::SpikeLog log(1);
        s.add_observer(&log);
        CHECK(run_error(s, 5.0).empty());
        CHECK(log.times[0].size() == n);
    }
    sim::Network net;
    net.populations.push_back(testing::source_at("S", std::vector<double>(n + 1, 1.0)));
    sim::Simulation s(std::move(net));
    const std::string msg = run_error(s, 5.0);
    INFO(msg);
    CHECK_THAT(msg, Contains("population 'S' (model explicit_source), node 0, t = 1 ms"));
    CHECK_THAT(msg, Contains("spiked " + std::to_string(n + 1) + " times since 1 ms"));
}

TEST_CASE("a LIF neuron without refractoriness under a huge weight stops the run in both loops",
          "[sim][guards]") {
    std::string msgs[2];
    for (const bool batching : {true, false}) {
        sim::Simulation s(source_to_lif({1.0}, 1e12));
        s.set_batching(batching);
        testing::SpikeLog log(2);
        s.add_observer(&log);
        const std::string msg = run_error(s, 50.0);
        INFO(msg);
        CHECK(s.batched(1) == batching);
        CHECK_THAT(msg, Contains("population 'N' (model lif_exp), node 0, t = 2"));  // arrival at 2 ms
        CHECK_THAT(msg, Contains("'s_n' (port 'ex') 1e+12"));
        CHECK(log.times[1].size() ==
              (batching ? 0u : sim::NodeCore::kMaxBurst));  // batched: replayed at the slice end
        msgs[batching] = msg;
    }
    CHECK(msgs[0] == msgs[1]);  // same node, same time, same state
    // An ordinary weight: no guard.
    sim::Simulation ok(source_to_lif({1.0}, 1e4));
    CHECK(run_error(ok, 50.0).empty());
}

TEST_CASE("a state variable that overflows to infinity stops the run, naming it", "[sim][guards]") {
    for (const bool batching : {true, false}) {
        // Two inputs of 1.7e308 pA: the first makes it spike once (then it is
        // refractory for 2 ms), I_ex overflows at the second (1.05 ms + 1 ms).
        sim::Simulation s(source_to_lif({1.0, 1.05}, 1.7e308, 2.0));
        s.set_batching(batching);
        const std::string msg = run_error(s, 50.0);
        INFO(msg);
        CHECK_THAT(msg, Contains("population 'N' (model lif_exp), node 0"));
        // Its V_m is NaN from then on, so it never spikes again: caught at the end of
        // the run at the latest (sim/node_core.hpp). (The linear core's modal coordinates
        // mix the variables: I_in may be named too.)
        CHECK_THAT(msg, Contains("its state variables 'V_m', 'I_ex'"));
        CHECK_THAT(msg, Contains("are not finite"));
    }
}
