#include "sim/recorder.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "sim/error.hpp"
#include "sim/h5_writer.hpp"
#include "sim/serialize.hpp"
#include "sim/simulation.hpp"

namespace delaysim::sim {
namespace {

using h5::AppendDataset;

using Clock = std::chrono::steady_clock;

// Why creating `path` failed, in the words of the OS where possible (HDF5's
// own message is only "unable to create file").
std::string create_failure_reason(const std::string& path, const std::string& h5_reason) {
    namespace fs = std::filesystem;
    if (h5_reason.find("lock") != std::string::npos)
        return h5_reason + "; close it there or write elsewhere (-o)";
    std::error_code ec;
    const fs::path p(path);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (fs::is_directory(p, ec)) return "it is a directory";
    if (!fs::exists(dir, ec)) return "directory '" + dir.string() + "' does not exist";
    if (!fs::is_directory(dir, ec)) return "'" + dir.string() + "' is not a directory";
    const bool exists = fs::exists(p, ec);
    if (::access(exists ? p.c_str() : dir.c_str(), W_OK) != 0)
        return std::string(std::strerror(errno)) + " (" +
               (exists ? "the file" : "directory '" + dir.string() + "'") + " is not writable)";
    return h5_reason;
}

// A failed write in words: the OS reason, and what it means for the file.
std::string write_failure_reason(const std::string& path, const std::string& h5_reason, int os_errno) {
    if (os_errno == 0) {  // HDF5 did not say why: look at the limits ourselves
        struct stat st {};
        struct rlimit rl {};
        struct statvfs vs {};
        if (::stat(path.c_str(), &st) == 0 && ::getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
            rl.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(st.st_size) + 65536 >= rl.rlim_cur)
            os_errno = EFBIG;
        else if (::statvfs(path.c_str(), &vs) == 0 &&
                 static_cast<double>(vs.f_bavail) * static_cast<double>(vs.f_frsize) < 1e6)
            os_errno = ENOSPC;
        if (os_errno) return write_failure_reason(path, std::strerror(os_errno), os_errno);
    }
    if (os_errno == ENOSPC) return h5_reason + " (the disk is full)";
    if (os_errno == EFBIG) return h5_reason + " (the file size limit, ulimit -f, was reached)";
    if (os_errno == EDQUOT) return h5_reason + " (the disk quota is exhausted)";
    return h5_reason;
}

void write_ids(const H5::Group& g, const std::string& name, const std::vector<std::uint64_t>& ids) {
    AppendDataset<std::uint64_t> ds(g, name, ids.size());
    for (std::uint64_t id : ids) ds.append(id);
    ds.flush();
}

// [[record.synapses]] mode = "on_change": the same group with no samples
// (time [0], data [0, n]), the values at the start in `initial` [n] and
// attribute mode = "on_change"; a reader replays /plasticity events on them.
void write_on_change(const H5::Group& vg, const Projection& proj, SynapseVariable v,
                     const std::vector<Index>& ids) {
    h5::write_attr(vg, "mode", std::string("on_change"));
    AppendDataset<double> time(vg, "time");
    AppendDataset<double> data = AppendDataset<double>::matrix(vg, "data", ids.size());
    AppendDataset<double> initial(vg, "initial", ids.size());
    for (Index k : ids) initial.append(v == SynapseVariable::Delay ? proj.delay(k) : proj.weight(k));
    time.set_attr("units", "ms");
    if (v == SynapseVariable::Delay) {
        data.set_attr("units", "ms");
        initial.set_attr("units", "ms");
    }
    time.flush();
    data.flush();
    initial.flush();
}

}  // namespace

struct Recorder::Impl {
    struct Spikes {
        AppendDataset<double> time;
        AppendDataset<std::uint64_t> node;
        std::vector<char> only;  // empty: every node; else only nodes i with only[i] are written
    };
    struct Trace {
        std::uint32_t population;
        std::size_t variable;
        std::vector<Index> nodes;
        AppendDataset<double> time, data;
    };
    struct SynapseSamples {
        std::uint32_t projection;
        SynapseVariable variable;
        std::vector<Index> synapses;
        AppendDataset<double> time, data;
    };
    struct Events {
        AppendDataset<double> time;
        AppendDataset<std::uint64_t> synapse;
        AppendDataset<std::string> variable;
        AppendDataset<double> old_value, new_value;
        AppendDataset<std::string> rule;
    };

    Impl(const Simulation& s, const RecordSpec& spec);
    void flush();
    void align();
    Events& events(std::uint32_t projection);

    const Simulation& sim;
    std::string path;
    h5::SpaceGuard guard{path};
    std::unique_ptr<H5::H5File> file;           // pointer: HDF5 objects are not meant to be reassigned
    std::vector<std::optional<Spikes>> spikes;  // per population; empty: not recorded
    std::vector<Trace> traces;
    TraceReads reads;  // the nodes of every trace
    std::vector<SynapseSamples> synapse_samples;
    std::vector<std::unique_ptr<Events>> events_;  // per projection, created on demand
    std::vector<double> row;                       // scratch for one sample row
    double flush_interval_s = 10.0;
    Clock::time_point last_flush = Clock::now();
};

Recorder::Impl::Impl(const Simulation& s, const RecordSpec& spec)
    : sim(s), path(spec.path), reads(spec), flush_interval_s(spec.flush_interval_s) {
    const Network& net = sim.network();
    // Merge monitors per (population, variable) and per projection: one HDF5 group each.
    std::map<std::pair<std::uint32_t, std::size_t>, std::set<Index>> trace_nodes;
    for (const TraceMonitor& m : spec.traces) {
        DS_ASSERT(m.population < net.populations.size());
        const Population& P = *net.populations[m.population];
        for (std::size_t v : m.variables) {
            DS_ASSERT(v < P.variables().size());
            for (Index i : m.nodes) {
                DS_ASSERT(i < P.size());
                trace_nodes[{m.population, v}].insert(i);
            }
            trace_nodes[{m.population, v}];  // a monitor without nodes still makes its group
        }
    }
    struct SynapseGroup {
        std::set<SynapseVariable> sampled, once;
        std::set<Index> ids;
    };
    std::map<std::uint32_t, SynapseGroup> syn;
    std::set<std::uint32_t> on_change;  // projections recorded from their changes, not on the grid
    for (const SynapseMonitor& m : spec.synapses) {
        if (m.on_change) on_change.insert(m.projection);
        DS_ASSERT(m.projection < net.projections.size());
        SynapseGroup& sg = syn[m.projection];
        auto& ids = sg.ids;
        sg.sampled.insert(m.variables.begin(), m.variables.end());
        sg.once.insert(m.once.begin(), m.once.end());
        for (Index k : m.synapses) {
            DS_ASSERT(k < net.projections[m.projection].size());
            ids.insert(k);
        }
    }
    for (std::uint32_t p : spec.spike_populations) DS_ASSERT(p < net.populations.size());

    try {
        file = std::make_unique<H5::H5File>(path, H5F_ACC_TRUNC);
    } catch (const H5::Exception&) {
        throw UserError("cannot create output file '" + path +
                        "': " + create_failure_reason(path, h5::last_error()));
    }
    h5::write_attr(*file, "delaysim_version", std::string(DELAYSIM_VERSION));
    h5::write_attr(*file, "config_toml", spec.config_toml);
    h5::write_attr(*file, "seed", std::uint64_t{spec.seed});
    h5::write_attr(*file, "t_stop_ms", double{spec.t_stop});
    h5::write_bool_attr(*file, "completed", false);
    const H5::Group spike_root = h5::create_group(*file, "spikes");
    const H5::Group trace_root = h5::create_group(*file, "traces");
    const H5::Group synapse_root = h5::create_group(*file, "synapses");
    h5::create_group(*file, "plasticity");

    spikes.resize(net.populations.size());
    for (std::uint32_t p : spec.spike_populations) {
        if (spikes[p]) continue;
        const H5::Group g = h5::create_group(spike_root, net.populations[p]->name());
        h5::write_attr(g, "sorting", std::string("by_time"));  // the engine reports spikes in time order
        spikes[p].emplace(
            Spikes{AppendDataset<double>(g, "timestamps"), AppendDataset<std::uint64_t>(g, "node_ids"), {}});
        spikes[p]->time.set_attr("units", "ms");
        spikes[p]->time.set_guard(&guard);
        spikes[p]->node.set_guard(&guard);
    }
    // Node subsets (RecordSpec::spike_nodes): the layout stays, fewer rows.
    for (std::size_t k = 0; k < spec.spike_nodes.size() && k < spec.spike_populations.size(); ++k) {
        const std::uint32_t p = spec.spike_populations[k];
        if (spec.spike_nodes[k].empty() || !spikes[p]) continue;
        spikes[p]->only.assign(net.populations[p]->size(), 0);
        for (Index i : spec.spike_nodes[k]) {
            DS_ASSERT(i < net.populations[p]->size());
            spikes[p]->only[i] = 1;
        }
    }
    for (const auto& [key, nodes] : trace_nodes) {
        const Population& P = *net.populations[key.first];
        const VariableInfo& info = P.variables()[key.second];
        const H5::Group g = h5::create_group(h5::open_or_create_group(trace_root, P.name()), info.name);
        const std::vector<Index> ids(nodes.begin(), nodes.end());
        write_ids(g, "node_ids", ids);
        Trace tr{key.first, key.second, ids, AppendDataset<double>(g, "time"),
                 AppendDataset<double>::matrix(g, "data", ids.size())};
        tr.time.set_attr("units", "ms");
        tr.data.set_attr("units", info.unit);
        tr.time.set_guard(&guard);
        tr.data.set_guard(&guard);
        traces.push_back(std::move(tr));
    }
    for (const auto& [q, sg] : syn) {
        const Projection& proj = net.projections[q];
        const H5::Group g = h5::create_group(synapse_root, proj.name());
        const std::vector<Index> ids(sg.ids.begin(), sg.ids.end());
        std::vector<std::uint64_t> src, tgt;
        for (Index k : ids) {
            src.push_back(proj.source(k));
            tgt.push_back(proj.target(k));
        }
        write_ids(g, "synapse_ids", ids);
        write_ids(g, "source_node_id", src);
        write_ids(g, "target_node_id", tgt);
        // Sampled variables grow with the run; the others get their one row now.
        for (SynapseVariable v : {SynapseVariable::Delay, SynapseVariable::Weight}) {
            const bool sampled = sg.sampled.count(v) != 0;
            if (!sampled && sg.once.count(v) == 0) continue;
            const H5::Group vg = h5::create_group(g, to_string(v));
            if (on_change.count(q)) {
                write_on_change(vg, proj, v, ids);
                continue;
            }
            SynapseSamples ss{q, v, ids, AppendDataset<double>(vg, "time"),
                              AppendDataset<double>::matrix(vg, "data", ids.size())};
            ss.time.set_attr("units", "ms");
            if (v == SynapseVariable::Delay) ss.data.set_attr("units", "ms");
            if (sampled) {
                ss.time.set_guard(&guard);
                ss.data.set_guard(&guard);
                synapse_samples.push_back(std::move(ss));
                continue;
            }
            row.resize(ids.size());
            for (std::size_t j = 0; j < ids.size(); ++j)
                row[j] = v == SynapseVariable::Delay ? proj.delay(ids[j]) : proj.weight(ids[j]);
            ss.time.append(sim.now());
            ss.data.append_row(row.data());
            ss.time.flush();
            ss.data.flush();
        }
    }
    events_.resize(net.projections.size());
    for (const auto& [q, unused] : syn) events(q);  // present even if no rule changes anything
    file->flush(H5F_SCOPE_LOCAL);  // the layout and completed = false are on disk before the run
}

Recorder::Impl::Events& Recorder::Impl::events(std::uint32_t q) {
    if (!events_[q]) {
        const H5::Group g = h5::create_group(
            h5::open_or_create_group(file->openGroup("plasticity"), sim.network().projections[q].name()),
            "events");
        events_[q] = std::make_unique<Events>(
            Events{AppendDataset<double>(g, "time"), AppendDataset<std::uint64_t>(g, "synapse_id"),
                   AppendDataset<std::string>(g, "variable"), AppendDataset<double>(g, "old"),
                   AppendDataset<double>(g, "new"), AppendDataset<std::string>(g, "rule")});
        events_[q]->time.set_attr("units", "ms");
        Events& e = *events_[q];
        for (auto* d : {&e.time, &e.old_value, &e.new_value}) d->set_guard(&guard);
        e.synapse.set_guard(&guard);
        e.variable.set_guard(&guard);
        e.rule.set_guard(&guard);
    }
    return *events_[q];
}

void Recorder::Impl::flush() {
    for (auto& s : spikes)
        if (s) {
            s->time.flush();
            s->node.flush();
        }
    for (auto& tr : traces) {
        tr.time.flush();
        tr.data.flush();
    }
    for (auto& ss : synapse_samples) {
        ss.time.flush();
        ss.data.flush();
    }
    for (auto& e : events_)
        if (e) {
            e->time.flush();
            e->synapse.flush();
            e->variable.flush();
            e->old_value.flush();
            e->new_value.flush();
            e->rule.flush();
        }
    file->flush(H5F_SCOPE_LOCAL);
    last_flush = Clock::now();
}

// After a stop between block writes: cut the datasets read together (spike
// times and ids, sample times and rows, event columns) to their common length.
void Recorder::Impl::align() {
    auto cut = [](auto&... ds) {
        const hsize_t n = std::min({ds.written()...});
        (ds.truncate(n), ...);
    };
    for (auto& sp : spikes)
        if (sp) cut(sp->time, sp->node);
    for (auto& tr : traces) cut(tr.time, tr.data);
    for (auto& ss : synapse_samples) cut(ss.time, ss.data);
    for (auto& e : events_)
        if (e) cut(e->time, e->synapse, e->variable, e->old_value, e->new_value, e->rule);
}

Recorder::Recorder(const Simulation& sim, const RecordSpec& spec) {
    H5::Exception::dontPrint();  // errors are reported as UserError, not dumped to stderr
    try {
        impl_ = std::make_unique<Impl>(sim, spec);
    } catch (const H5::Exception&) {
        throw UserError("cannot create output file '" + spec.path + "': " + h5::last_error());
    }
}

Recorder::~Recorder() {
    try {
        close(false);
    } catch (...) {  // a destructor must not throw; the file keeps what was written
    }
}

// Every buffered write goes through here or close(): an HDF5 failure (disk
// full, file size limit, file removed) becomes an OutputError naming the OS
// reason; the file keeps what the last flush wrote.
#define DS_H5_WRITE(body)                \
    do {                                 \
        try {                            \
            body;                        \
        } catch (const H5::Exception&) { \
            fail_write();                \
        } catch (const h5::NoSpace& e) { \
            stop_no_space(e);            \
        }                                \
    } while (0)

// Out of room before a write: close the file while closing still fits, so it
// stays readable and holds every block written so far.
void Recorder::stop_no_space(const std::exception& e) {
    const std::string p = impl_->path;
    const Time t = impl_->sim.now();
    std::string closed = "the file holds what was recorded up to that point (completed = false)";
    try {
        impl_->align();
        impl_->file->close();
        impl_.reset();
    } catch (const H5::Exception&) {
        closed = "closing the file failed as well (" + h5::last_error() + ")";
        impl_.reset();
    }
    throw OutputError("stopped writing output file '" + p + "' at t = " + fmt_ms(t) + ": " + e.what() + "; " +
                      closed);
}

void Recorder::fail_write() {
    int os_errno = 0;
    const std::string reason = h5::last_error(&os_errno);
    const std::string p = impl_->path;
    const Time t = impl_->sim.now();
    // Abandon the file: closing would fail the same way, and HDF5's C++ objects
    // print every failed close. The leak ends with the process (exit 1).
    (void)impl_.release();
    throw OutputError("cannot write output file '" + p + "' at t = " + fmt_ms(t) + ": " +
                      write_failure_reason(p, reason, os_errno) +
                      "; the file may hold only what was recorded up to the last flush, or be unreadable");
}

void Recorder::close(bool completed) {
    if (!impl_) return;
    DS_H5_WRITE({
        impl_->flush();
        h5::write_bool_attr(*impl_->file, "completed", completed);
        impl_->file->close();
    });
    impl_.reset();
}

void Recorder::flush() {
    if (impl_) DS_H5_WRITE(impl_->flush());
}

void Recorder::on_spike(std::uint32_t population, Index node, Time t) {
    if (!impl_) return;
    auto& s = impl_->spikes[population];
    if (!s || (!s->only.empty() && !s->only[node])) return;
    DS_H5_WRITE({
        s->time.append(t);
        s->node.append(node);
    });
}

void Recorder::on_synapse_change(std::uint32_t projection, Index synapse, SynapseVariable var,
                                 double old_value, double new_value, const std::string& by, Time t) {
    if (!impl_) return;
    DS_H5_WRITE({
        Impl::Events& e = impl_->events(projection);
        e.time.append(t);
        e.synapse.append(synapse);
        e.variable.append(to_string(var));
        e.old_value.append(old_value);
        e.new_value.append(new_value);
        e.rule.append(by);
    });
}

void Recorder::on_sample(Time t) {
    if (!impl_) return;
    Impl& m = *impl_;
    DS_H5_WRITE({
        for (auto& tr : m.traces) {
            const Population& P = m.sim.population(tr.population);
            m.row.resize(tr.nodes.size());
            for (std::size_t j = 0; j < tr.nodes.size(); ++j) m.row[j] = P.value(tr.nodes[j], tr.variable, t);
            tr.time.append(t);
            tr.data.append_row(m.row.data());
        }
        for (auto& ss : m.synapse_samples) {
            const Projection& proj = m.sim.projection(ss.projection);
            m.row.resize(ss.synapses.size());
            for (std::size_t j = 0; j < ss.synapses.size(); ++j)
                m.row[j] = ss.variable == SynapseVariable::Delay ? proj.delay(ss.synapses[j])
                                                                 : proj.weight(ss.synapses[j]);
            ss.time.append(t);
            ss.data.append_row(m.row.data());
        }
    });
}

namespace {
// (population, node) of every trace: the nodes whose state on_sample reads.
std::set<std::pair<std::uint32_t, Index>> traced_nodes(const RecordSpec& spec) {
    std::set<std::pair<std::uint32_t, Index>> traced;
    for (const TraceMonitor& m : spec.traces)
        if (!m.variables.empty())
            for (Index i : m.nodes) traced.insert({m.population, i});
    return traced;
}
}  // namespace

TraceReads::TraceReads(const RecordSpec& spec) : traced_(traced_nodes(spec)) {}

bool TraceReads::reads_state(std::uint32_t population, Index node) const {
    return traced_.count({population, node}) != 0;
}

bool Recorder::reads_state(std::uint32_t population, Index node) const {
    return impl_ && impl_->reads.reads_state(population, node);
}

void Recorder::on_progress(Time /*t*/) {
    if (!impl_) return;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - impl_->last_flush).count() < impl_->flush_interval_s) return;
    flush();
    if (impl_) impl_->last_flush = now;
}

// --- Checkpoints -------------------------------------------------------------
namespace {

template <class T>
void save_column(Writer& w, AppendDataset<T>& ds) {
    const std::vector<T> v = ds.contents();
    if constexpr (std::is_same_v<T, std::string>)
        w.put_nested(v);
    else
        w.put(v);
}

template <class T>
void restore_column(Reader& r, AppendDataset<T>& ds) {
    std::vector<T> v;
    if constexpr (std::is_same_v<T, std::string>)
        r.get_nested(v);
    else
        r.get(v);
    const hsize_t c = ds.columns();
    if (c == 0) {  // a zero-width matrix: only its row count
        const auto rows = r.get<std::uint64_t>();
        if (rows > (std::uint64_t{1} << 40)) r.fail("a row count out of range");
        for (std::uint64_t k = 0; k < rows; ++k) ds.append_empty_row();
        return;
    }
    if (v.size() % c != 0) r.fail("recorded rows of another width");
    if (c == 1 && ds.dataset().getSpace().getSimpleExtentNdims() == 1)
        for (const T& x : v) ds.append(x);
    else
        for (std::size_t k = 0; k < v.size(); k += c) ds.append_row(v.data() + k);
}

template <class T>
void save_rows(Writer& w, AppendDataset<T>& ds) {
    save_column(w, ds);
    if (ds.columns() == 0) w.put<std::uint64_t>(ds.rows());
}

}  // namespace

void Recorder::save(Writer& w) {
    DS_ASSERT(impl_);
    Impl& m = *impl_;
    DS_H5_WRITE({
        w.put<std::uint64_t>(m.spikes.size());
        for (auto& s : m.spikes) {
            w.put_bool(s.has_value());
            if (!s) continue;
            save_rows(w, s->time);
            save_rows(w, s->node);
        }
        w.put<std::uint64_t>(m.traces.size());
        for (auto& tr : m.traces) {
            save_rows(w, tr.time);
            save_rows(w, tr.data);
        }
        w.put<std::uint64_t>(m.synapse_samples.size());
        for (auto& ss : m.synapse_samples) {
            save_rows(w, ss.time);
            save_rows(w, ss.data);
        }
        w.put<std::uint64_t>(m.events_.size());
        for (auto& e : m.events_) {
            w.put_bool(e != nullptr);
            if (!e) continue;
            save_rows(w, e->time);
            save_rows(w, e->synapse);
            save_rows(w, e->variable);
            save_rows(w, e->old_value);
            save_rows(w, e->new_value);
            save_rows(w, e->rule);
        }
    });
}

void Recorder::restore(Reader& r) {
    DS_ASSERT(impl_);
    Impl& m = *impl_;
    auto layout = [&](bool ok) {
        if (!ok)
            throw CheckpointError("checkpoint does not fit the output's layout (another [record] section)");
    };
    DS_H5_WRITE({
        layout(r.get<std::uint64_t>() == m.spikes.size());
        for (auto& s : m.spikes) {
            layout(r.get_bool() == s.has_value());
            if (!s) continue;
            restore_column(r, s->time);
            restore_column(r, s->node);
        }
        layout(r.get<std::uint64_t>() == m.traces.size());
        for (auto& tr : m.traces) {
            restore_column(r, tr.time);
            restore_column(r, tr.data);
        }
        layout(r.get<std::uint64_t>() == m.synapse_samples.size());
        for (auto& ss : m.synapse_samples) {
            restore_column(r, ss.time);
            restore_column(r, ss.data);
        }
        layout(r.get<std::uint64_t>() == m.events_.size());
        for (std::uint32_t q = 0; q < m.events_.size(); ++q) {
            if (!r.get_bool()) continue;
            Impl::Events& e = m.events(q);
            restore_column(r, e.time);
            restore_column(r, e.synapse);
            restore_column(r, e.variable);
            restore_column(r, e.old_value);
            restore_column(r, e.new_value);
            restore_column(r, e.rule);
        }
        m.flush();
    });
}

void Recorder::mark_resumed(const std::string& checkpoint, Time t) {
    if (!impl_) return;
    DS_H5_WRITE({
        h5::write_attr(*impl_->file, "resumed_from", checkpoint);
        h5::write_attr(*impl_->file, "resumed_at_ms", double{t});
    });
}

#undef DS_H5_WRITE

}  // namespace delaysim::sim
