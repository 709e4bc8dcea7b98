// delaysim._core: the compiled half of the Python package (pybind11). A thin
// client of the library: config::load_config / load_config_text (the CLI's
// loader), config::Session (chunked runs, sim/config/session.hpp) and the model
// and rule registries. The Python layer (delaysim/__init__.py) builds the
// user-facing API on top.
//
// Threads and signals: run() releases the GIL; an observer's progress callback
// (every 4096 events, 64 slices or 4096 samples) takes it back to call
// PyErr_CheckSignals, so Ctrl-C stops the run at an event boundary and raises
// KeyboardInterrupt with everything recorded kept. Python rules take the GIL
// for each hook call.
//
// Errors: a config error is delaysim.ConfigError("file:line:col: error: ...");
// any other sim::UserError (a name, an index, a refused delay) is ValueError; an
// exception raised by a Python rule propagates unchanged with its traceback.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "plasticity/registry.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/plugin.hpp"
#include "sim/config/session.hpp"

namespace py = pybind11;
using namespace delaysim;
using sim::Index;
using sim::Time;

namespace {

PyObject* g_config_error = nullptr;

py::array_t<double> to_array(const std::vector<double>& v) {
    return py::array_t<double>(v.size(), v.data());
}

// ---- Python rules ---------------------------------------------------------------
// The synapse a hook is called for. One object per rule, re-pointed at each call:
// it is valid only inside the hook (afterwards every access raises).
struct PySynapse {
    plasticity::SynapseHandle* h = nullptr;
    plasticity::SynapseHandle& get() const {
        if (!h) throw py::value_error("a synapse handle is valid only inside the hook call that received it");
        return *h;
    }
};

class PyRule : public plasticity::Rule {
public:
    PyRule(py::object obj, const std::string& name) : Rule(name), obj_(std::move(obj)) {
        auto hook = [&](const char* n, unsigned bit) {
            if (!py::hasattr(obj_, n)) return py::object();
            py::object f = obj_.attr(n);
            if (f.is_none()) return py::object();
            hooks_ |= bit;
            return f;
        };
        pre_ = hook("on_pre_spike", plasticity::kPreSpike);
        delivered_ = hook("on_delivered", plasticity::kDelivered);
        post_ = hook("on_post_spike", plasticity::kPostSpike);
        inhibited_ = hook("on_inhibited", plasticity::kInhibited);
        if (py::hasattr(obj_, "writes_delays")) writes_delays_ = obj_.attr("writes_delays").cast<bool>();
        if (py::hasattr(obj_, "writes_weights")) writes_weights_ = obj_.attr("writes_weights").cast<bool>();
        if (py::hasattr(obj_, "attach")) attach_ = obj_.attr("attach");
        handle_obj_ = py::cast(PySynapse{}, py::return_value_policy::move);
        handle_ = handle_obj_.cast<PySynapse*>();
    }
    ~PyRule() override {
        py::gil_scoped_acquire gil;  // the Python objects die with the GIL held
        pre_ = delivered_ = post_ = inhibited_ = attach_ = handle_obj_ = obj_ = py::object();
    }
    unsigned hooks() const override { return hooks_; }
    bool writes_delays() const override { return writes_delays_; }
    bool writes_weights() const override { return writes_weights_; }
    // Python hooks need the interpreter lock, and share one handle object: one thread.
    bool needs_serial() const override { return true; }
    void attach(std::size_t slot, const sim::Projection& p) override {
        if (!attach_) return;
        py::gil_scoped_acquire gil;
        attach_(slot, p.size());
    }
    void on_pre_spike(plasticity::SynapseHandle& s, Time t) override { call(pre_, s, t); }
    void on_delivered(plasticity::SynapseHandle& s, Time t) override { call(delivered_, s, t); }
    void on_post_spike(plasticity::SynapseHandle& s, Time t) override { call(post_, s, t); }
    void on_inhibited(plasticity::SynapseHandle& s, Time t) override { call(inhibited_, s, t); }

private:
    void call(const py::object& f, plasticity::SynapseHandle& s, Time t) {
        py::gil_scoped_acquire gil;
        struct Reset {  // the handle dies with the call, also when it raises
            PySynapse* p;
            ~Reset() { p->h = nullptr; }
        } reset{handle_};
        handle_->h = &s;
        f(handle_obj_, t);  // a Python exception leaves as py::error_already_set
    }

    py::object obj_, pre_, delivered_, post_, inhibited_, attach_, handle_obj_;
    PySynapse* handle_ = nullptr;
    unsigned hooks_ = 0;
    bool writes_delays_ = true, writes_weights_ = true;
};

// ---- the session ---------------------------------------------------------------
// Polls Python's signal handlers from inside run(); a pending KeyboardInterrupt
// (or whatever a handler raised) stops the run and is re-raised after it.
struct SignalPoll : sim::Observer {
    config::Session* session = nullptr;
    std::optional<py::error_already_set> pending;
    void on_progress(Time) override {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
            pending.emplace();  // fetches the Python error
            session->request_stop();
        }
    }
    bool reads_state(std::uint32_t, Index) const override { return false; }
};

struct PySession {
    std::unique_ptr<config::Session> s;
    SignalPoll poll;

    explicit PySession(config::LoadedConfig c, bool open_ended)
        : PySession(std::make_unique<config::Session>(std::move(c), open_ended)) {}
    explicit PySession(std::unique_ptr<config::Session> session) : s(std::move(session)) {
        poll.session = s.get();
        s->add_observer(&poll);
    }
    ~PySession() {
        py::gil_scoped_release nogil;  // Python rules take it back while they are destroyed
        s.reset();
    }

    bool run(Time until) {
        bool reached;
        {
            py::gil_scoped_release nogil;
            reached = s->run(until);
        }
        if (poll.pending) {
            py::error_already_set e = std::move(*poll.pending);
            poll.pending.reset();
            throw e;
        }
        return reached;
    }

    void add_rule(py::object rule, std::vector<std::uint32_t> projections, const std::string& name) {
        s->add_rule(std::make_unique<PyRule>(std::move(rule), name), std::move(projections));
    }

    void set_delays(std::uint32_t q, py::array_t<double, py::array::c_style | py::array::forcecast> a) {
        const auto cur = s->delays(q);
        check_length(q, a.size(), cur.size());
        const double* d = a.data();
        // A refused value ("error" bounds) must refuse the whole array.
        const sim::DelayBounds& b = s->simulation().projection(q).bounds();
        if (b.policy == sim::BoundPolicy::Error)
            for (std::size_t i = 0; i < cur.size(); ++i)
                if (d[i] != cur[i] && (d[i] < b.min || d[i] > b.max)) s->set_delay(q, i, d[i]);  // throws
        for (std::size_t i = 0; i < cur.size(); ++i)
            if (d[i] != cur[i]) s->set_delay(q, i, d[i]);
    }
    void set_weights(std::uint32_t q, py::array_t<double, py::array::c_style | py::array::forcecast> a) {
        const auto cur = s->weights(q);
        check_length(q, a.size(), cur.size());
        const double* w = a.data();
        for (std::size_t i = 0; i < cur.size(); ++i)
            if (!std::isfinite(w[i]))
                throw py::value_error("projection '" + s->simulation().projection(q).name() + "': weight " +
                                      std::to_string(i) + " is not a finite number");
        for (std::size_t i = 0; i < cur.size(); ++i)
            if (w[i] != cur[i]) s->set_weight(q, i, w[i]);
    }
    void check_length(std::uint32_t q, py::ssize_t n, std::size_t want) const {
        if (static_cast<std::size_t>(n) != want)
            throw py::value_error("projection '" + s->simulation().projection(q).name() + "' has " +
                                  std::to_string(want) + " synapses, got " + std::to_string(n) + " values");
    }

    py::dict projection_info(std::uint32_t q) const {
        const sim::Projection& p = s->simulation().projection(q);
        py::dict d;
        d["name"] = p.name();
        d["source"] = s->simulation().population(p.source_population()).name();
        d["target"] = s->simulation().population(p.target_population()).name();
        d["port"] = s->simulation().population(p.target_population()).ports()[p.port()].name;
        d["size"] = p.size();
        d["delay_min_ms"] = p.bounds().min;
        d["delay_max_ms"] = p.bounds().max;
        const char* bounds[] = {"clamp", "wrap", "error"};
        d["bounds"] = bounds[static_cast<int>(p.bounds().policy)];
        d["inflight"] = p.inflight() == sim::InflightPolicy::Keep ? "keep" : "retime";
        std::vector<std::uint64_t> src(p.size()), tgt(p.size());
        for (Index k = 0; k < p.size(); ++k) {
            src[k] = p.source(k);
            tgt[k] = p.target(k);
        }
        d["source_node_id"] = py::array_t<std::uint64_t>(src.size(), src.data());
        d["target_node_id"] = py::array_t<std::uint64_t>(tgt.size(), tgt.data());
        return d;
    }

    py::dict population_info(std::uint32_t i) const {
        const sim::Population& P = s->simulation().population(i);
        py::dict d;
        d["name"] = P.name();
        d["model"] = P.model();
        d["size"] = P.size();
        d["is_source"] = P.is_source();
        py::list vars;
        for (const auto& v : P.variables()) vars.append(v.name);
        d["variables"] = vars;
        return d;
    }

    py::tuple spikes(std::uint32_t p) const {
        const auto& t = s->spike_times(p);
        const auto& n = s->spike_nodes(p);
        return py::make_tuple(to_array(t), py::array_t<std::uint64_t>(n.size(), n.data()));
    }
};

// Loading and building the simulation: every UserError is a ConfigError,
// located in the file (checks of the engine itself carry no location: `name`).
std::unique_ptr<PySession> make_session(const std::function<config::LoadedConfig()>& load,
                                        const std::string& name, bool open_ended) {
    try {
        return std::make_unique<PySession>(load(), open_ended);
    } catch (const sim::UserError& e) {
        const std::string msg = e.where().file.empty() ? name + ": error: " + e.what() : e.formatted();
        PyErr_SetString(g_config_error, msg.c_str());
        throw py::error_already_set();
    }
}

// ---- registries as dicts (the shape of `delaysim list --json`) -----------------------
// Keys as that document has them (parameters: kind real|integer|real_list,
// default null when required, [] for lists, min/max null when unbounded), plus
// the entry's kind (model|source|rule) and the aliases params (= parameters)
// and type (= a parameter's kind).
py::object bound(double x) {
    return std::abs(x) >= 1e299 ? py::object(py::none()) : py::object(py::float_(x));
}

py::list params_list(const std::vector<sim::ParamInfo>& params) {
    py::list out;
    for (const auto& p : params) {
        py::dict d;
        const char* kind = p.kind == sim::ParamKind::Real      ? "real"
                           : p.kind == sim::ParamKind::Integer ? "integer"
                                                               : "real_list";
        d["name"] = p.name;
        d["unit"] = p.unit;
        d["kind"] = kind;
        d["type"] = kind;
        if (p.required)
            d["default"] = py::none();
        else if (p.kind == sim::ParamKind::RealList)
            d["default"] = py::list();
        else
            d["default"] = p.default_value;
        d["required"] = p.required;
        d["min"] = bound(p.min);
        d["max"] = bound(p.max);
        d["min_exclusive"] = p.min_exclusive || p.min <= -1e299;
        d["max_exclusive"] = p.max >= 1e299;
        d["range"] = sim::format_range(p);
        d["doc"] = p.doc;
        out.append(d);
    }
    return out;
}

py::dict entry(const std::string& name, const char* kind, const std::string& doc,
               const std::vector<sim::ParamInfo>& params) {
    py::dict d;
    d["name"] = name;
    d["kind"] = kind;
    d["doc"] = doc;
    d["origin"] = "built-in";
    d["plugin"] = py::none();
    d["params"] = params_list(params);
    d["parameters"] = d["params"];
    d["ports"] = py::list();
    d["variables"] = py::list();
    return d;
}

py::list model_list() {
    py::list out;
    for (const auto& m : models::model_registry()) {
        py::dict d = entry(m.name, m.is_source ? "source" : "model", m.doc, m.params);
        py::list ports, vars;
        for (const auto& p : m.ports) {
            py::dict pd;
            pd["name"] = p.name;
            pd["kind"] = p.kind == sim::PortKind::Inhibit ? "inhibit" : "input";
            pd["doc"] = p.doc;
            ports.append(pd);
        }
        for (const auto& v : m.variables) {
            py::dict vd;
            vd["name"] = v.name;
            vd["unit"] = v.unit;
            vd["doc"] = v.doc;
            vars.append(vd);
        }
        d["ports"] = ports;
        d["variables"] = vars;
        out.append(d);
    }
    return out;
}

py::list rule_list() {
    py::list out;
    for (const auto& r : plasticity::rule_registry()) out.append(entry(r.name, "rule", r.doc, r.params));
    return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "delaysim's compiled core; use the delaysim package, not this module";
    m.attr("__version__") = DELAYSIM_VERSION;
    static py::exception<sim::UserError> config_error(m, "ConfigError", PyExc_ValueError);
    g_config_error = config_error.ptr();
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const sim::UserError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });

    py::class_<PySynapse>(m, "Synapse",
                          "The synapse a Python rule's hook is called for (valid during the call).")
        .def_property_readonly("weight", [](const PySynapse& s) { return s.get().weight(); })
        .def_property_readonly(
            "delay", [](const PySynapse& s) { return s.get().delay(); }, "ms")
        .def_property_readonly(
            "index", [](const PySynapse& s) { return s.get().index(); },
            "index of the synapse in its projection's store")
        .def_property_readonly(
            "slot", [](const PySynapse& s) { return s.get().slot(); },
            "which of the rule's projections (0, 1, ...)")
        .def_property_readonly("source", [](const PySynapse& s) { return s.get().source(); })
        .def_property_readonly("target", [](const PySynapse& s) { return s.get().target(); })
        .def_property_readonly(
            "now", [](const PySynapse& s) { return s.get().now(); }, "ms")
        .def_property_readonly("delay_min_ms", [](const PySynapse& s) { return s.get().bounds().min; })
        .def_property_readonly("delay_max_ms", [](const PySynapse& s) { return s.get().bounds().max; })
        .def("set_weight", [](PySynapse& s, double w) { s.get().set_weight(w); })
        .def(
            "set_delay", [](PySynapse& s, double d) { s.get().set_delay(d); },
            "through the projection's bounds; logged in /plasticity");

    py::class_<PySession>(m, "Session")
        .def_property_readonly("t", [](const PySession& p) { return p.s->t(); })
        .def_property_readonly("t_stop", [](const PySession& p) { return p.s->t_stop(); })
        .def_property_readonly("completed", [](const PySession& p) { return p.s->completed(); })
        .def_property_readonly("failed", [](const PySession& p) { return p.s->failed(); })
        .def_property_readonly("started", [](const PySession& p) { return p.s->started(); })
        .def_property_readonly("config_toml", [](const PySession& p) { return p.s->config_text(); })
        .def_property_readonly(
            "n_populations",
            [](const PySession& p) { return p.s->simulation().network().populations.size(); })
        .def_property_readonly(
            "n_projections",
            [](const PySession& p) { return p.s->simulation().network().projections.size(); })
        .def_property_readonly("events",
                               [](const PySession& p) { return p.s->simulation().events_processed(); })
        .def("run", &PySession::run)
        .def("population_index",
             [](const PySession& p, const std::string& n) { return p.s->population_index(n); })
        .def("projection_index",
             [](const PySession& p, const std::string& n) { return p.s->projection_index(n); })
        .def("population_info", &PySession::population_info)
        .def("projection_info", &PySession::projection_info)
        .def("spikes", &PySession::spikes)
        .def("delays", [](const PySession& p, std::uint32_t q) { return to_array(p.s->delays(q)); })
        .def("weights", [](const PySession& p, std::uint32_t q) { return to_array(p.s->weights(q)); })
        .def("set_delay", [](PySession& p, std::uint32_t q, Index i, double d) { p.s->set_delay(q, i, d); })
        .def("set_weight", [](PySession& p, std::uint32_t q, Index i, double w) { p.s->set_weight(q, i, w); })
        .def("set_delays", &PySession::set_delays)
        .def("set_weights", &PySession::set_weights)
        .def("state", [](const PySession& p, std::uint32_t i,
                         const std::string& v) { return to_array(p.s->state(i, v)); })
        .def("save", [](PySession& p, const std::string& path) { p.s->save(path); })
        .def("add_rule", &PySession::add_rule)
        .def("checkpoint", [](PySession& p, const std::string& path) { p.s->checkpoint(path); });

    m.def(
        "load",
        [](const std::string& path, const std::vector<std::string>& sets) {
            auto p = make_session([&] { return config::load_config(path, sets); }, path, false);
            p->s->set_origin(path, sets);
            return p;
        },
        py::arg("path"), py::arg("sets") = std::vector<std::string>{});
    m.def(
        "load_text",
        [](const std::string& text, const std::string& name, const std::vector<std::string>& sets,
           bool open_ended) {
            return make_session([&] { return config::load_config_text(text, name, sets); }, name, open_ended);
        },
        py::arg("text"), py::arg("name"), py::arg("sets") = std::vector<std::string>{},
        py::arg("open_ended") = false);
    // A checkpoint (the CLI's or sim.checkpoint's) continued; refusals are ConfigError.
    m.def(
        "resume",
        [](const std::string& path) {
            try {
                return std::make_unique<PySession>(config::Session::resume(path));
            } catch (const sim::UserError& e) {
                PyErr_SetString(g_config_error, e.formatted().c_str());
                throw py::error_already_set();
            }
        },
        py::arg("path"));
    // A plug-in's models and rules become usable by name in load()/loads() and
    // Network, as with `--plugin` on the command line.
    m.def(
        "load_plugin",
        [](const std::string& path) {
            try {
                const config::PluginInfo info = config::load_plugin(path);
                py::dict d;
                d["path"] = info.path;
                d["version"] = info.version;
                d["models"] = info.models;
                d["rules"] = info.rules;
                return d;
            } catch (const sim::UserError& e) {
                const std::string msg = "plug-in '" + path + "': error: " + e.what();
                PyErr_SetString(g_config_error, msg.c_str());
                throw py::error_already_set();
            }
        },
        py::arg("path"));
    m.def("models", &model_list, "neuron models and spike sources, as `delaysim list --json`");
    m.def("rules", &rule_list, "plasticity rules, as `delaysim list --json`");
}
