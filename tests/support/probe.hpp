// A test-only population that records every delivery it receives and never spikes.
#pragma once
#include <vector>

#include "sim/population.hpp"

namespace delaysim::testing {

class Probe : public sim::Population {
public:
    struct Arrival {
        sim::Time t;
        std::size_t port;
        double w;
    };
    explicit Probe(sim::Index size = 1) : Population("probe", size) {}
    const std::string& model() const override {
        static const std::string m = "probe";
        return m;
    }
    bool is_source() const override { return false; }
    const std::vector<sim::PortInfo>& ports() const override {
        static const std::vector<sim::PortInfo> p{{"in", sim::PortKind::Input, ""},
                                                  {"inhibit", sim::PortKind::Inhibit, ""}};
        return p;
    }
    const std::vector<sim::VariableInfo>& variables() const override {
        static const std::vector<sim::VariableInfo> v;
        return v;
    }
    void advance(sim::Index, sim::Time) override {}
    void receive(sim::Index, std::size_t port, double w, sim::Time t) override {
        arrivals.push_back({t, port, w});
    }
    sim::Time next_spike(sim::Index, sim::Time, sim::Time) override { return sim::kNever; }
    void fire(sim::Index, sim::Time) override {}
    double value(sim::Index, std::size_t, sim::Time) const override { return 0.0; }
    void set_value(sim::Index, std::size_t, double) override {}

    std::vector<Arrival> arrivals;
};

}  // namespace delaysim::testing

namespace delaysim::testing {

// A test-only neuron whose state jumps: v += w on port "in", v = 0 on "inhibit";
// it fires when v >= 1 and resets to 0. It exercises same-instant rounds.
class Jumper : public Probe {
public:
    explicit Jumper(std::string name) : Probe(1), name_(std::move(name)) {}
    void receive(sim::Index, std::size_t port, double w, sim::Time t) override {
        arrivals.push_back({t, port, w});
        v = port == 0 ? v + w : 0.0;
    }
    sim::Time next_spike(sim::Index, sim::Time t, sim::Time) override { return v >= 1.0 ? t : sim::kNever; }
    void fire(sim::Index, sim::Time) override { v = 0.0; }
    double v = 0.0;

private:
    std::string name_;
};

}  // namespace delaysim::testing
