// Recorder round trip: a small network of analytic fake populations runs with a
// recorder; the file is read back with the HDF5 C++ API and every dataset of the
// DESIGN.md layout is checked (shapes, values, attributes, chunked growth, the
// completed flag, plasticity events against synapse samples).
#include <H5Cpp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <filesystem>

#include "plasticity/rule.hpp"
#include "sim/recorder.hpp"
#include "sim/simulation.hpp"

using namespace delaysim;
using sim::Index;
using sim::Time;

namespace {

// Source: node i fires at phase[i] + k * period. Variable "age": time since the
// last spike (as if one had come at phase - period).
class Clock : public sim::Population {
public:
    Clock(std::vector<double> phase, double period)
        : Population("clock", phase.size()), phase_(phase), period_(period), last_(phase) {
        for (double& l : last_) l -= period;
    }
    const std::string& model() const override { return model_; }
    bool is_source() const override { return true; }
    const std::vector<sim::PortInfo>& ports() const override { return ports_; }
    const std::vector<sim::VariableInfo>& variables() const override { return vars_; }
    void advance(Index, Time) override {}
    void receive(Index, std::size_t, double, Time) override {}
    Time next_spike(Index i, Time, Time horizon) override {
        const Time t = last_[i] + period_;
        return t < horizon ? t : sim::kNever;
    }
    void fire(Index i, Time t) override { last_[i] = t; }
    double value(Index i, std::size_t, Time t) const override { return t - last_[i]; }
    void set_value(Index, std::size_t, double) override {}
    double expected_age(Index i, Time t) const {  // no spike exactly at t
        return t - (phase_[i] + std::floor((t - phase_[i]) / period_) * period_);
    }

private:
    std::vector<double> phase_;
    double period_;
    std::vector<double> last_;
    std::string model_ = "test_clock";
    std::vector<sim::PortInfo> ports_;
    std::vector<sim::VariableInfo> vars_{{"age", "ms", "time since the last spike"}};
};

// Leaky integrator that never fires: v decays with tau, input adds w.
class Leaky : public sim::Population {
public:
    Leaky(Index n, double tau) : Population("cell", n), tau_(tau), v_(n, 0.0), t_(n, 0.0) {}
    const std::string& model() const override { return model_; }
    bool is_source() const override { return false; }
    const std::vector<sim::PortInfo>& ports() const override { return ports_; }
    const std::vector<sim::VariableInfo>& variables() const override { return vars_; }
    void advance(Index i, Time t) override {
        v_[i] = value(i, 0, t);
        t_[i] = t;
    }
    void receive(Index i, std::size_t, double w, Time) override { v_[i] += w; }
    Time next_spike(Index, Time, Time) override { return sim::kNever; }
    void fire(Index, Time) override {}
    double value(Index i, std::size_t var, Time t) const override {
        return var == 0 ? v_[i] * std::exp(-(t - t_[i]) / tau_) : -1.0;
    }
    void set_value(Index i, std::size_t, double x) override { v_[i] = x; }

private:
    double tau_;
    std::vector<double> v_, t_;
    std::string model_ = "test_leaky";
    std::vector<sim::PortInfo> ports_{{"in", sim::PortKind::Input, ""}};
    std::vector<sim::VariableInfo> vars_{{"v", "mV", "potential"}, {"u", "1", "constant -1"}};
};

// Each delivery lengthens the delay by 0.25 ms (clamped at the bound) and adds 0.5 to the weight.
class Stretch : public plasticity::Rule {
public:
    Stretch() : Rule("stretch") {}
    unsigned hooks() const override { return plasticity::kDelivered; }
    void on_delivered(plasticity::SynapseHandle& s, Time) override {
        s.set_delay(s.delay() + 0.25);
        s.set_weight(s.weight() + 0.5);
    }
};

constexpr double kPeriod = 1.0, kTau = 10.0;
const std::vector<double> kPhase{0.05, 0.30, 0.55};

// Populations 0 clock (3 nodes), 1 cell (2 nodes). Projections: 0 fixed (clock0 ->
// cell0 0.5 ms w 1, clock1 -> cell0 1.25 ms w 0.5), 1 plastic (clock2 -> cell1,
// 0.2 ms, bounds [0, 3]), 2 quiet (clock1 -> cell1, w 0).
sim::Simulation make_sim() {
    sim::Network net;
    net.populations.push_back(std::make_unique<Clock>(kPhase, kPeriod));
    net.populations.push_back(std::make_unique<Leaky>(2, kTau));
    const sim::DelayBounds wide{}, plastic{0.0, 3.0, sim::BoundPolicy::Clamp};
    const auto keep = sim::InflightPolicy::Keep;
    net.projections.emplace_back("fixed", 0, 1, 0, sim::SynapseList{{0, 1}, {0, 0}, {1.0, 0.5}, {0.5, 1.25}},
                                 wide, keep, 3, 2);
    net.projections.emplace_back("plastic", 0, 1, 0, sim::SynapseList{{2}, {1}, {1.0}, {0.2}}, plastic, keep,
                                 3, 2);
    net.projections.emplace_back("quiet", 0, 1, 0, sim::SynapseList{{1}, {1}, {0.0}, {1.0}}, wide, keep, 3,
                                 2);
    sim::Simulation s(std::move(net));
    s.add_rule(std::make_unique<Stretch>(), {1});
    return s;
}

sim::RecordSpec make_spec(const std::string& path, Time t_stop) {
    sim::RecordSpec spec;
    spec.path = path;
    spec.interval = 0.1;
    spec.spike_populations = {0, 1};
    spec.traces.push_back({0, {0}, {0, 2}});
    spec.traces.push_back({1, {0, 1}, {0, 1}});
    spec.synapses.push_back({1, {sim::SynapseVariable::Delay, sim::SynapseVariable::Weight}, {0}});
    spec.synapses.push_back({0, {sim::SynapseVariable::Delay}, {1, 0}});
    spec.config_toml = "[simulation]\nt_stop_ms = 1\n# é unicode\n";
    spec.seed = 18446744073709551557ull;  // needs all 64 bits
    spec.t_stop = t_stop;
    return spec;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("delaysim_test_recorder_" + name + ".h5")).string();
}

// --- reading back -----------------------------------------------------------
std::vector<hsize_t> dims(const H5::DataSet& ds) {
    const H5::DataSpace sp = ds.getSpace();
    std::vector<hsize_t> d(static_cast<std::size_t>(sp.getSimpleExtentNdims()));
    sp.getSimpleExtentDims(d.data());
    return d;
}

template <class T>
std::vector<T> read(const H5::H5File& f, const std::string& path) {
    const H5::DataSet ds = f.openDataSet(path);
    hsize_t n = 1;
    for (hsize_t d : dims(ds)) n *= d;
    std::vector<T> v(n);
    if constexpr (std::is_same_v<T, double>)
        ds.read(v.data(), H5::PredType::NATIVE_DOUBLE);
    else
        ds.read(v.data(), H5::PredType::NATIVE_UINT64);
    return v;
}

std::vector<std::string> read_strings(const H5::H5File& f, const std::string& path) {
    const H5::DataSet ds = f.openDataSet(path);
    std::vector<char*> p(dims(ds)[0]);
    const H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    if (!p.empty()) ds.read(p.data(), t);
    std::vector<std::string> out(p.begin(), p.end());
    if (!p.empty()) H5Dvlen_reclaim(t.getId(), ds.getSpace().getId(), H5P_DEFAULT, p.data());
    return out;
}

std::string string_attr(const H5::H5Object& o, const std::string& name) {
    std::string s;
    const H5::Attribute a = o.openAttribute(name);
    a.read(a.getStrType(), s);
    return s;
}

bool completed_flag(const std::string& path) {
    const H5::H5File f(path, H5F_ACC_RDONLY);
    const H5::Attribute a = f.openAttribute("completed");
    REQUIRE(a.getTypeClass() == H5T_ENUM);
    std::int8_t v = -1;
    a.read(H5::PredType::NATIVE_INT8, &v);
    return v == 1;
}

bool chunked_unlimited(const H5::DataSet& ds) {
    const H5::DataSpace sp = ds.getSpace();
    hsize_t cur[2], mx[2];
    sp.getSimpleExtentDims(cur, mx);
    return ds.getCreatePlist().getLayout() == H5D_CHUNKED && mx[0] == H5S_UNLIMITED;
}

}  // namespace

TEST_CASE("recorder writes the DESIGN.md layout", "[recorder]") {
    const std::string path = temp_path("layout");
    const Time t_stop = 8000.0;  // 24000 source spikes, 80000 samples: many block flushes
    sim::Simulation s = make_sim();
    const sim::RecordSpec spec = make_spec(path, t_stop);
    sim::Recorder rec(s, spec);
    s.add_observer(&rec);
    s.set_sample_interval(spec.interval);
    REQUIRE(completed_flag(path) == false);  // on disk from the start
    REQUIRE(s.run(t_stop));
    rec.close(true);
    rec.close(true);  // idempotent
    REQUIRE(!rec.is_open());

    const H5::H5File f(path, H5F_ACC_RDONLY);
    SECTION("root attributes") {
        CHECK(completed_flag(path));
        CHECK(string_attr(f, "delaysim_version") == DELAYSIM_VERSION);
        CHECK(string_attr(f, "config_toml") == spec.config_toml);
        std::uint64_t seed = 0;
        f.openAttribute("seed").read(H5::PredType::NATIVE_UINT64, &seed);
        CHECK(seed == spec.seed);
        double ts = 0;
        f.openAttribute("t_stop_ms").read(H5::PredType::NATIVE_DOUBLE, &ts);
        CHECK(ts == t_stop);
    }
    SECTION("spikes") {
        CHECK(string_attr(f.openGroup("spikes/clock"), "sorting") == "by_time");
        CHECK(string_attr(f.openDataSet("spikes/clock/timestamps"), "units") == "ms");
        CHECK(chunked_unlimited(f.openDataSet("spikes/clock/timestamps")));
        const auto t = read<double>(f, "spikes/clock/timestamps");
        const auto id = read<std::uint64_t>(f, "spikes/clock/node_ids");
        REQUIRE(t.size() == 3 * 8000);
        REQUIRE(id.size() == t.size());
        CHECK(std::is_sorted(t.begin(), t.end()));
        for (std::size_t k = 0; k < t.size(); k += 997) {
            CHECK(id[k] == k % 3);
            CHECK(t[k] == Approx(kPhase[k % 3] + static_cast<double>(k / 3)).margin(1e-9));
        }
        CHECK(read<double>(f, "spikes/cell/timestamps").empty());  // present with zero spikes
        CHECK(read<std::uint64_t>(f, "spikes/cell/node_ids").empty());
    }
    SECTION("traces: exact state at each sample time") {
        const std::size_t n = 80000;
        const auto time = read<double>(f, "traces/clock/age/time");
        REQUIRE(time.size() == n);
        CHECK(read<std::uint64_t>(f, "traces/clock/age/node_ids") == std::vector<std::uint64_t>{0, 2});
        const H5::DataSet data = f.openDataSet("traces/clock/age/data");
        CHECK(dims(data) == std::vector<hsize_t>{n, 2});
        CHECK(chunked_unlimited(data));
        CHECK(string_attr(data, "units") == "ms");
        const auto age = read<double>(f, "traces/clock/age/data");
        const Clock ref(kPhase, kPeriod);
        for (std::size_t k = 0; k < n; k += 13) {
            CHECK(time[k] == static_cast<double>(k) * 0.1);
            CHECK(age[2 * k] == Approx(ref.expected_age(0, time[k])).margin(1e-9));
            CHECK(age[2 * k + 1] == Approx(ref.expected_age(2, time[k])).margin(1e-9));
        }
        // cell 0 sums the fixed projection: w 1 at 0.55 + k, w 0.5 at 1.55 + k.
        const auto v = read<double>(f, "traces/cell/v/data");
        REQUIRE(v.size() == 2 * n);
        CHECK(string_attr(f.openDataSet("traces/cell/v/data"), "units") == "mV");
        for (std::size_t k = 0; k < n; k += 101) {
            const double t = time[k];
            double expect = 0;
            for (double a = std::floor(std::max(0.0, t - 400.0)); a < t; a += 1.0)
                for (auto [off, w] : {std::pair{0.55, 1.0}, std::pair{1.55, 0.5}})
                    if (a + off < t) expect += w * std::exp(-(t - (a + off)) / kTau);
            CHECK(v[2 * k] == Approx(expect).epsilon(1e-9).margin(1e-12));
        }
        const auto u = read<double>(f, "traces/cell/u/data");
        CHECK(std::all_of(u.begin(), u.end(), [](double x) { return x == -1.0; }));
    }
    SECTION("synapses and plasticity") {
        CHECK(read<std::uint64_t>(f, "synapses/plastic/synapse_ids") == std::vector<std::uint64_t>{0});
        CHECK(read<std::uint64_t>(f, "synapses/plastic/source_node_id") == std::vector<std::uint64_t>{2});
        CHECK(read<std::uint64_t>(f, "synapses/plastic/target_node_id") == std::vector<std::uint64_t>{1});
        CHECK(read<std::uint64_t>(f, "synapses/fixed/synapse_ids") == std::vector<std::uint64_t>{0, 1});
        CHECK(read<std::uint64_t>(f, "synapses/fixed/source_node_id") == std::vector<std::uint64_t>{0, 1});
        CHECK(!f.nameExists("synapses/fixed/weight"));
        CHECK(string_attr(f.openDataSet("synapses/plastic/delay/data"), "units") == "ms");
        const auto fixed = read<double>(f, "synapses/fixed/delay/data");
        REQUIRE(fixed.size() == 2 * 80000);
        CHECK(fixed[0] == 0.5);
        CHECK(fixed[1] == 1.25);
        // /plasticity: one row per change; fixed is listed in the spec, so its
        // (empty) events group exists; quiet has neither.
        CHECK(read<double>(f, "plasticity/fixed/events/time").empty());
        CHECK(!f.nameExists("plasticity/quiet"));
        const std::string ev = "plasticity/plastic/events/";
        const auto et = read<double>(f, ev + "time");
        const auto sid = read<std::uint64_t>(f, ev + "synapse_id");
        const auto var = read_strings(f, ev + "variable");
        const auto old_v = read<double>(f, ev + "old");
        const auto new_v = read<double>(f, ev + "new");
        const auto rule = read_strings(f, ev + "rule");
        // 8000 deliveries change the weight; the delay grows 0.2 -> 3.0 in 12 steps (0.2 + 11*0.25 = 2.95,
        // then clamped to 3).
        const auto n_delay = std::count(var.begin(), var.end(), "delay");
        CHECK(n_delay == 12);
        CHECK(std::count(var.begin(), var.end(), "weight") == static_cast<long>(et.size()) - n_delay);
        CHECK(et.size() > 7990);
        CHECK(sid.size() == et.size());
        CHECK(rule.size() == et.size());
        CHECK(std::all_of(rule.begin(), rule.end(), [](const std::string& r) { return r == "stretch"; }));
        CHECK(std::is_sorted(et.begin(), et.end()));
        CHECK(var[0] == "delay");
        CHECK(old_v[0] == 0.2);
        CHECK(new_v[0] == 0.45);
        // Delay samples: the value after the last change strictly before the sample.
        const auto st = read<double>(f, "synapses/plastic/delay/time");
        const auto sd = read<double>(f, "synapses/plastic/delay/data");
        REQUIRE(sd.size() == 80000);
        std::size_t e = 0;
        double current = 0.2;
        for (std::size_t k = 0; k < st.size(); ++k) {
            for (; e < et.size() && et[e] < st[k]; ++e)
                if (var[e] == "delay") {
                    CHECK(old_v[e] == current);
                    current = new_v[e];
                }
            REQUIRE(sd[k] == current);
        }
        CHECK(current == 3.0);
        const auto sw = read<double>(f, "synapses/plastic/weight/data");
        CHECK(sw.front() == 1.0);
        CHECK(sw.back() > 3900.0);
    }
    std::filesystem::remove(path);
}

TEST_CASE("recorder keeps what was recorded when the run stops early", "[recorder]") {
    const std::string path = temp_path("stopped");
    {
        sim::Simulation s = make_sim();
        const sim::RecordSpec spec = make_spec(path, 8000.0);
        sim::Recorder rec(s, spec);
        // Stands in for the SIGINT handler: raise the stop flag after 5000 spikes.
        struct Stopper : sim::Observer {
            volatile std::sig_atomic_t flag = 0;
            int n = 0;
            void on_spike(std::uint32_t, Index, Time) override {
                if (++n == 5000) flag = 1;
            }
        } stopper;
        s.add_observer(&rec);
        s.add_observer(&stopper);
        s.set_sample_interval(spec.interval);
        s.set_stop_flag(&stopper.flag);
        REQUIRE_FALSE(s.run(8000.0));
        // no close(): the destructor closes with completed = false
    }
    CHECK_FALSE(completed_flag(path));
    const H5::H5File f(path, H5F_ACC_RDONLY);
    CHECK(read<double>(f, "spikes/clock/timestamps").size() == 5000);
    const auto time = read<double>(f, "traces/cell/v/time");
    CHECK(time.size() > 16000);  // every sample before the stop
    CHECK(dims(f.openDataSet("traces/cell/v/data"))[0] == time.size());
    CHECK(read<double>(f, "plasticity/plastic/events/time").size() > 1000);
    std::filesystem::remove(path);
}

TEST_CASE("recorder reports an uncreatable output file as a user error", "[recorder]") {
    sim::Simulation s = make_sim();
    sim::RecordSpec spec = make_spec("/nonexistent_dir_delaysim/out.h5", 10.0);
    CHECK_THROWS_WITH(sim::Recorder(s, spec),
                      "cannot create output file '/nonexistent_dir_delaysim/out.h5': directory "
                      "'/nonexistent_dir_delaysim' does not exist");
    spec.path = std::filesystem::temp_directory_path().string();
    CHECK_THROWS_AS(sim::Recorder(s, spec), sim::UserError);
}

TEST_CASE("recorder with nothing to record writes the root and empty groups", "[recorder]") {
    const std::string path = temp_path("empty");
    sim::Simulation s = make_sim();
    sim::RecordSpec spec;
    spec.path = path;
    spec.t_stop = 5.0;
    {
        sim::Recorder rec(s, spec);
        s.add_observer(&rec);
        REQUIRE(s.run(5.0));
        rec.close(true);
    }
    const H5::H5File f(path, H5F_ACC_RDONLY);
    for (const char* g : {"spikes", "traces", "synapses"}) CHECK(f.openGroup(g).getNumObjs() == 0);
    CHECK(f.openGroup("plasticity").getNumObjs() == 1);  // the rule changed "plastic"
    CHECK(completed_flag(path));
    std::filesystem::remove(path);
}
