// delaysim_bench — runs one benchmark network (tools/bench/make_network.py) in
// delaysim and prints one JSON object on stdout.
//
//   delaysim_bench NET.bin [--t-ms T] [--plastic] [--eta X] [--set-delay-calls M]
//                  [--spikes-out FILE.npy] [--threads N]
//
// Network: one lif_exp population "net" of N neurons; two recurrent projections
// (port ex, port in) built from the file's synapse lists, delay bounds [0.1, 10]
// ms, clamp, inflight keep. Initial V_m per neuron from the file. --plastic
// attaches delay_shift_stdp (default parameters, eta overridable) to both
// projections, i.e. to every recurrent synapse.
//
// Timed: reading + building (build_s), Simulation::run only (run_s, steady_clock).
// Counted: spikes (observer), synaptic deliveries (Simulation::deliveries_processed),
// delay changes (observer, plastic run). Memory: peak RSS of the process
// (getrusage), peak RSS during the run (VmHWM after resetting it through
// /proc/self/clear_refs, when the kernel allows), RSS growth caused by building
// the network (per synapse) and the synapse store's own layout per synapse.
// After the run: the mean cost of Simulation::set_delay over M calls on random
// synapses with random delays inside the bounds.
// --spikes-out: every spike as (neuron index in the file, time in ms), a float64
// array of shape (S, 2) sorted by time, in NumPy's .npy format (for accuracy
// comparisons with bench_brian2.py / bench_neuron.py; recording costs a push_back
// per spike inside run_s).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/error.hpp"
#include "sim/mpi.hpp"
#include "sim/network.hpp"
#include "sim/observer.hpp"
#include "sim/param.hpp"
#include "sim/simulation.hpp"

namespace ds = delaysim;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- the network file -------------------------------------------------------

// The header is a flat JSON object written by make_network.py; only number
// values and the "arrays" list of "name:dtype:count" strings are read.
struct NetFile {
    std::string header;
    std::vector<std::uint32_t> ex_source, ex_target, in_source, in_target;
    std::vector<double> ex_delay, in_delay, v0;
    std::vector<std::uint32_t> group;

    std::vector<double> numbers(const std::string& key) const {  // "key":[x,y,...]
        const std::string pat = "\"" + key + "\":[";
        const auto pos = header.find(pat);
        if (pos == std::string::npos) throw std::runtime_error("network header has no list '" + key + "'");
        std::vector<double> out;
        const char* c = header.c_str() + pos + pat.size();
        while (*c && *c != ']') {
            char* end = nullptr;
            out.push_back(std::strtod(c, &end));
            if (end == c) throw std::runtime_error("bad number in list '" + key + "'");
            c = end;
            if (*c == ',') ++c;
        }
        return out;
    }

    double number(const std::string& key) const {
        const std::string pat = "\"" + key + "\":";
        const auto pos = header.find(pat);
        if (pos == std::string::npos) throw std::runtime_error("network header has no key '" + key + "'");
        return std::strtod(header.c_str() + pos + pat.size(), nullptr);
    }
};

template <class T>
void read_array(std::ifstream& in, std::vector<T>& out, std::size_t count) {
    out.resize(count);
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(T)));
    const std::size_t pad = (8 - (count * sizeof(T)) % 8) % 8;
    in.ignore(static_cast<std::streamsize>(pad));
    if (!in) throw std::runtime_error("network file is truncated");
}

NetFile read_net(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    char magic[8];
    std::uint64_t hlen = 0;
    in.read(magic, 8);
    in.read(reinterpret_cast<char*>(&hlen), 8);
    if (!in || std::memcmp(magic, "DSBENCH1", 8) != 0)
        throw std::runtime_error(path + ": not a DSBENCH1 file");
    NetFile f;
    f.header.resize(hlen);
    in.read(f.header.data(), static_cast<std::streamsize>(hlen));
    f.header.erase(std::remove(f.header.begin(), f.header.end(), ' '), f.header.end());
    const auto a0 = f.header.find("\"arrays\":[");
    const auto a1 = f.header.find(']', a0);
    if (a0 == std::string::npos || a1 == std::string::npos) throw std::runtime_error("header has no arrays");
    std::stringstream list(f.header.substr(a0 + 10, a1 - a0 - 10));
    std::string item;
    while (std::getline(list, item, ',')) {
        item.erase(std::remove(item.begin(), item.end(), '"'), item.end());
        const auto c1 = item.find(':'), c2 = item.rfind(':');
        const std::string name = item.substr(0, c1), dtype = item.substr(c1 + 1, c2 - c1 - 1);
        const std::size_t count = std::stoull(item.substr(c2 + 1));
        auto u32 = [&](std::vector<std::uint32_t>& v) {
            if (dtype != "u4") throw std::runtime_error(name + ": expected u4, got " + dtype);
            read_array(in, v, count);
        };
        auto f64 = [&](std::vector<double>& v) {
            if (dtype != "f8") throw std::runtime_error(name + ": expected f8, got " + dtype);
            read_array(in, v, count);
        };
        if (name == "ex_source")
            u32(f.ex_source);
        else if (name == "ex_target")
            u32(f.ex_target);
        else if (name == "ex_delay")
            f64(f.ex_delay);
        else if (name == "in_source")
            u32(f.in_source);
        else if (name == "in_target")
            u32(f.in_target);
        else if (name == "in_delay")
            f64(f.in_delay);
        else if (name == "v0")
            f64(f.v0);
        else if (name == "group")
            u32(f.group);
        else
            throw std::runtime_error("unknown array " + name);
    }
    return f;
}

// ---- memory -----------------------------------------------------------------

long status_kb(const char* key) {  // from /proc/self/status, e.g. "VmRSS:"
    std::ifstream s("/proc/self/status");
    std::string line;
    while (std::getline(s, line))
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
    return -1;
}
bool reset_peak_rss() {  // Linux >= 4.0: "5" resets VmHWM to the current RSS
    std::ofstream c("/proc/self/clear_refs");
    c << "5";
    c.flush();
    return static_cast<bool>(c);
}
long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// ---- counting observer --------------------------------------------------------

struct Counter : ds::sim::Observer {
    std::uint64_t spikes = 0, delay_changes = 0;
    // Spike recording (--spikes-out): global[pop][local] is the neuron's index in the file.
    bool record = false;
    std::vector<std::vector<std::uint32_t>> global;
    std::vector<std::pair<double, double>> times;  // (time, neuron)
    void on_spike(std::uint32_t pop, ds::sim::Index i, ds::sim::Time t) override {
        ++spikes;
        if (record) times.emplace_back(t, static_cast<double>(global[pop][i]));
    }
    void on_synapse_change(std::uint32_t, ds::sim::Index, ds::sim::SynapseVariable v, double, double,
                           const std::string&, ds::sim::Time) override {
        if (v == ds::sim::SynapseVariable::Delay) ++delay_changes;
    }
    // It reads no node state: under MPI ranks the nodes are then free to split
    // (the partitioner gives every sampled node to rank 0).
    bool reads_state(std::uint32_t, ds::sim::Index) const override { return false; }
};

struct Options {
    std::string net;
    double t_ms = 1000.0;
    bool plastic = false;
    double eta = -1.0;  // < 0: the rule's default
    std::size_t set_delay_calls = 1000000;
    std::string spikes_out;
    unsigned threads = 1;  // --threads (README "Parallel runs")
};

// NumPy .npy version 1.0: magic, header length, a Python dict literal padded
// with spaces to a multiple of 64 bytes (ending in '\n'), then the raw data.
void write_spikes_npy(const std::string& path, std::vector<std::pair<double, double>> times) {
    std::sort(times.begin(), times.end());
    std::string dict =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(times.size()) + ", 2), }";
    const std::size_t total = 10 + dict.size() + 1;
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
    std::ofstream out(path, std::ios::binary);
    const std::uint16_t hlen = static_cast<std::uint16_t>(dict.size());
    out.write("\x93NUMPY\x01\x00", 8);
    out.write(reinterpret_cast<const char*>(&hlen), 2);  // little endian (x86/ARM)
    out << dict;
    for (const auto& [t, node] : times) {
        out.write(reinterpret_cast<const char*>(&node), sizeof node);
        out.write(reinterpret_cast<const char*>(&t), sizeof t);
    }
    if (!out) throw std::runtime_error("cannot write " + path);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--t-ms")
            o.t_ms = std::stod(value());
        else if (a == "--plastic")
            o.plastic = true;
        else if (a == "--eta")
            o.eta = std::stod(value());
        else if (a == "--set-delay-calls")
            o.set_delay_calls = std::stoull(value());
        else if (a == "--spikes-out")
            o.spikes_out = value();
        else if (a == "--threads")
            o.threads = static_cast<unsigned>(std::stoul(value()));
        else if (a == "-h" || a == "--help") {
            std::cout
                << "usage: delaysim_bench NET.bin [--t-ms T] [--plastic] [--eta X] [--set-delay-calls M] "
                   "[--spikes-out FILE.npy] [--threads N]\n";
            std::exit(0);
        } else if (!a.empty() && a[0] == '-')
            throw std::invalid_argument("unknown option " + a);
        else
            o.net = a;
    }
    if (o.net.empty()) throw std::invalid_argument("no network file given");
    if (!(o.t_ms > 0)) throw std::invalid_argument("--t-ms must be > 0");
    return o;
}

int run(const Options& o) {
    const long rss_start_kb = status_kb("VmRSS:");
    const auto t_build = Clock::now();
    std::size_t n = 0, n_syn = 0, n_proj = 0, n_pop = 0;
    double w_ex = 0, w_in = 0, delay_min = 0, delay_max = 0;
    std::unique_ptr<ds::sim::Simulation> sim;
    Counter counter;
    counter.record = !o.spikes_out.empty();
    double read_s = 0;
    long rss_after_build_kb = 0;
    {
        NetFile f = read_net(o.net);
        read_s = seconds_since(t_build);
        n = static_cast<std::size_t>(f.number("n"));
        w_ex = f.number("w_ex_pA");
        w_in = f.number("w_in_pA");
        delay_min = f.number("delay_min_ms");
        delay_max = f.number("delay_max_ms");
        if (f.v0.size() != n) throw std::runtime_error("v0 has the wrong size");

        const ds::models::ModelInfo* model = ds::models::find_model("lif_exp");
        if (!model) throw std::runtime_error("model lif_exp is not registered");
        // One population per drive group (lif_exp has one I_e per population);
        // local[i] is neuron i's index within its group.
        const std::vector<double> drive = f.numbers("group_I_e_pA");
        const std::size_t n_groups = drive.size();
        if (f.group.size() != n || n_groups == 0) throw std::runtime_error("bad drive groups");
        std::vector<std::uint32_t> local(n);
        std::vector<std::size_t> group_size(n_groups, 0);
        for (std::size_t i = 0; i < n; ++i) {
            if (f.group[i] >= n_groups) throw std::runtime_error("group index out of range");
            local[i] = static_cast<std::uint32_t>(group_size[f.group[i]]++);
        }
        counter.global.assign(n_groups, {});
        for (std::size_t i = 0; i < n; ++i)
            counter.global[f.group[i]].push_back(static_cast<std::uint32_t>(i));
        ds::sim::Network net;
        long v_idx = -1, ex_port = -1, in_port = -1;
        for (std::size_t g = 0; g < n_groups; ++g) {
            ds::sim::ParamValues pv;
            for (const char* key : {"C_m_pF", "tau_m_ms", "E_L_mV", "V_th_mV", "V_reset_mV", "t_ref_ms",
                                    "tau_syn_ex_ms", "tau_syn_in_ms"})
                pv.real[key] = f.number(key);
            pv.real["I_e_pA"] = drive[g];
            const std::string name = n_groups == 1 ? "net" : "net_" + std::to_string(g);
            net.populations.push_back(
                model->make(name, group_size[g], ds::sim::Params(model->params, pv, name), 1));
            const ds::sim::Population& pop = *net.populations.back();
            v_idx = pop.variable_index("V_m");
            ex_port = pop.port_index("ex");
            in_port = pop.port_index("in");
            if (v_idx < 0 || ex_port < 0 || in_port < 0)
                throw std::runtime_error("lif_exp lacks V_m, ex or in");
        }
        for (std::size_t i = 0; i < n; ++i)
            net.populations[f.group[i]]->set_value(local[i], static_cast<std::size_t>(v_idx), f.v0[i]);

        // Projections per (port, source group, target group).
        const ds::sim::DelayBounds bounds{delay_min, delay_max, ds::sim::BoundPolicy::Clamp};
        auto add = [&](const char* port_name, std::vector<std::uint32_t>& src,
                       std::vector<std::uint32_t>& tgt, std::vector<double>& delay, double w, long port) {
            std::vector<ds::sim::SynapseList> lists(n_groups * n_groups);
            if (n_groups == 1) {
                lists[0].source = std::move(src);
                lists[0].target = std::move(tgt);
                lists[0].delay = std::move(delay);
            } else {
                for (std::size_t s = 0; s < src.size(); ++s) {
                    ds::sim::SynapseList& l = lists[f.group[src[s]] * n_groups + f.group[tgt[s]]];
                    l.source.push_back(local[src[s]]);
                    l.target.push_back(local[tgt[s]]);
                    l.delay.push_back(delay[s]);
                }
                std::vector<std::uint32_t>().swap(src);
                std::vector<std::uint32_t>().swap(tgt);
                std::vector<double>().swap(delay);
            }
            for (std::size_t gs = 0; gs < n_groups; ++gs)
                for (std::size_t gt = 0; gt < n_groups; ++gt) {
                    ds::sim::SynapseList& l = lists[gs * n_groups + gt];
                    if (l.source.empty()) continue;
                    l.weight.assign(l.source.size(), w);
                    n_syn += l.weight.size();
                    std::string name = "recurrent_";
                    name += port_name;
                    if (n_groups > 1) {
                        name += '_';
                        name += std::to_string(gs);
                        name += '_';
                        name += std::to_string(gt);
                    }
                    net.projections.emplace_back(
                        name, static_cast<std::uint32_t>(gs), static_cast<std::uint32_t>(gt),
                        static_cast<std::size_t>(port), std::move(l), bounds, ds::sim::InflightPolicy::Keep,
                        group_size[gs], group_size[gt]);
                }
        };
        add("ex", f.ex_source, f.ex_target, f.ex_delay, w_ex, ex_port);
        add("in", f.in_source, f.in_target, f.in_delay, w_in, in_port);
        n_proj = net.projections.size();
        n_pop = net.populations.size();
        sim = std::make_unique<ds::sim::Simulation>(std::move(net));
    }
    sim->add_observer(&counter);
    bool plastic_available = ds::plasticity::find_rule("delay_shift_stdp") != nullptr;
    if (o.plastic) {
        const ds::plasticity::RuleInfo* info = ds::plasticity::find_rule("delay_shift_stdp");
        if (!info)
            throw std::runtime_error(
                "rule delay_shift_stdp is not registered (known: " + ds::plasticity::rule_names() + ")");
        ds::sim::ParamValues rv;
        if (o.eta >= 0) rv.real["eta"] = o.eta;
        std::vector<std::uint32_t> all(n_proj);
        for (std::size_t q = 0; q < n_proj; ++q) all[q] = static_cast<std::uint32_t>(q);
        sim->add_rule(info->make(ds::sim::Params(info->params, rv, "delay_shift_stdp")), all);
        // The post-spike hook walks incoming synapses; build that index now so that
        // it counts as build time, not run time.
        for (std::size_t q = 0; q < n_proj; ++q) (void)sim->projection(q).incoming(0);
    }
    const double build_s = seconds_since(t_build);
    rss_after_build_kb = status_kb("VmRSS:");

    const bool hwm_reset = reset_peak_rss();
    sim->set_threads(o.threads);
    const auto t_run = Clock::now();
    sim->run(o.t_ms);
    const double run_s = seconds_since(t_run);
    if (sim->ranks() > 1 &&
        ds::sim::mpi::rank() == 0) {  // what each rank computed (stderr: the JSON line stays one line)
        const ds::sim::Partition& part = sim->partition();
        std::fprintf(stderr,
                     "delaysim_bench: %d ranks, lookahead window %g ms, %llu exchanges (once per %g ms), "
                     "nodes per rank:",
                     sim->ranks(), part.window, static_cast<unsigned long long>(sim->exchanges()),
                     sim->exchange_window());
        for (const std::uint64_t l : part.load)
            std::fprintf(stderr, " %llu", static_cast<unsigned long long>(l));
        std::fprintf(stderr, "\n");
    }
    const long hwm_run_kb = status_kb("VmHWM:");
    const std::uint64_t deliveries = sim->deliveries_processed(), events = sim->events_processed();
    const std::uint64_t spikes = counter.spikes, delay_changes = counter.delay_changes;
    if (counter.record) write_spikes_npy(o.spikes_out, std::move(counter.times));

    // Single delay change: mean over many calls, random synapse, random delay in bounds.
    double set_delay_ns = -1, set_delay_hot_ns = -1;
    if (o.set_delay_calls > 0) {
        std::mt19937_64 rng(7);
        std::vector<std::uint32_t> which(o.set_delay_calls);
        std::vector<std::uint64_t> syn(o.set_delay_calls);
        std::vector<double> value(o.set_delay_calls);
        std::uniform_real_distribution<double> ud(delay_min, delay_max);
        for (std::size_t c = 0; c < o.set_delay_calls; ++c) {
            which[c] = static_cast<std::uint32_t>(rng() % n_proj);
            syn[c] = rng() % sim->projection(which[c]).size();
            value[c] = ud(rng);
        }
        const std::string by = "bench";
        const auto t0 = Clock::now();
        for (std::size_t c = 0; c < o.set_delay_calls; ++c) sim->set_delay(which[c], syn[c], value[c], by);
        set_delay_ns = seconds_since(t0) * 1e9 / static_cast<double>(o.set_delay_calls);
        // The same calls restricted to 1024 synapses (they stay in cache): the cost
        // of the call itself rather than of a cache miss on a random synapse.
        for (std::size_t c = 0; c < o.set_delay_calls; ++c) syn[c] = syn[c % 1024];
        for (std::size_t c = 0; c < o.set_delay_calls; ++c) which[c] = which[c % 1024];
        const auto t1 = Clock::now();
        for (std::size_t c = 0; c < o.set_delay_calls; ++c) sim->set_delay(which[c], syn[c], value[c], by);
        set_delay_hot_ns = seconds_since(t1) * 1e9 / static_cast<double>(o.set_delay_calls);
    }

    // The store as it is after the run (Projection::bytes_per_synapse: target,
    // delay, weights if they differ or changed, CSR offsets).
    double store_bytes = 0.0;
    for (std::size_t q = 0; q < sim->network().projections.size(); ++q)
        store_bytes +=
            sim->projection(q).bytes_per_synapse() * static_cast<double>(sim->projection(q).size());
    const double store_bytes_per_syn = store_bytes / static_cast<double>(n_syn);

    auto mb = [](long kb) { return static_cast<double>(kb) / 1024.0; };
    const double build_kb = static_cast<double>(rss_after_build_kb - rss_start_kb);
    const double rate = static_cast<double>(spikes) / (static_cast<double>(n) * o.t_ms * 1e-3);
    std::printf(
        "{\"simulator\": \"delaysim\", \"net\": \"%s\", \"n\": %zu, \"populations\": %zu, \"projections\": "
        "%zu, \"synapses\": %zu, \"t_ms\": %.17g, "
        "\"plastic\": %s, \"plastic_available\": %s, \"read_s\": %.6f, \"build_s\": %.6f, \"run_s\": %.6f, "
        "\"spikes\": %llu, \"rate_hz\": %.6f, \"deliveries\": %llu, \"events\": %llu, "
        "\"ns_per_delivery\": %.3f, \"delay_changes\": %llu, \"set_delay_ns\": %.3f, \"set_delay_hot_ns\": "
        "%.3f, \"set_delay_calls\": %zu, "
        "\"peak_rss_mb\": %.3f, \"peak_rss_run_mb\": %.3f, \"rss_build_mb\": %.3f, "
        "\"bytes_per_synapse_rss\": %.3f, \"bytes_per_synapse_store\": %.3f, \"threads\": %u, "
        "\"pool_wakeups\": %llu}\n",
        o.net.c_str(), n, n_pop, n_proj, n_syn, o.t_ms, o.plastic ? "true" : "false",
        plastic_available ? "true" : "false", read_s, build_s, run_s, static_cast<unsigned long long>(spikes),
        rate, static_cast<unsigned long long>(deliveries), static_cast<unsigned long long>(events),
        deliveries ? run_s * 1e9 / static_cast<double>(deliveries) : 0.0,
        static_cast<unsigned long long>(delay_changes), set_delay_ns, set_delay_hot_ns, o.set_delay_calls,
        mb(peak_rss_kb()), hwm_reset ? mb(hwm_run_kb) : -1.0, build_kb / 1024.0,
        build_kb * 1024.0 / static_cast<double>(n_syn), store_bytes_per_syn, sim->threads(),
        static_cast<unsigned long long>(sim->pool_wakeups()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        // Under mpirun (README "Parallel runs"): ranks; rank 0 alone prints the result line.
        if (ds::sim::mpi::init(&argc, &argv) && ds::sim::mpi::rank() > 0 &&
            !std::freopen("/dev/null", "w", stdout))
            return 1;
        // Every rank leaves the run however it ended, so that a rank that
        // failed does not leave the others waiting at a meeting (sim/mpi.hpp).
        int code = 0;
        std::exception_ptr error;
        try {
            code = run(parse(argc, argv));
        } catch (...) {
            error = std::current_exception();
        }
        error = ds::sim::mpi::leave(error);
        ds::sim::mpi::finalize();
        if (error) std::rethrow_exception(error);
        return code;
    } catch (const ds::sim::UserError& e) {
        std::fprintf(stderr, "delaysim_bench: error: %s\n", e.what());
        return 2;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "delaysim_bench: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "delaysim_bench: error: %s\n", e.what());
        return 1;
    }
}
