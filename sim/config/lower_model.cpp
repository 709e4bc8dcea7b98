#include "sim/config/lower_model.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "models/registry.hpp"
#include "sim/config/lower_util.hpp"

namespace delaysim::config {
namespace {

using sim::UserError;

// c + coef . x
struct Affine {
    Eigen::VectorXd coef;
    double c = 0.0;
    bool constant() const { return (coef.array() == 0.0).all(); }
};

struct Symbols {
    std::map<std::string, std::size_t> variables;
    std::map<std::string, double> params;
    std::size_t n = 0;
    std::string list() const {
        std::string v, p;
        for (const auto& [name, k] : variables) v += (v.empty() ? "" : ", ") + name;
        for (const auto& [name, x] : params) p += (p.empty() ? "" : ", ") + name;
        return "state variables: " + (v.empty() ? "none" : v) + "; parameters: " + (p.empty() ? "none" : p);
    }
};

bool ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Recursive descent over text[pos, end): expr = term {(+|-) term}; term = unary {(*|/) unary};
// unary = (+|-) unary | number | name | ( expr ).
class Parser {
public:
    Parser(const Located<std::string>& src, const Symbols& sym, std::string who)
        : src_(src), s_(src.value), sym_(sym), who_(std::move(who)) {}

    // The whole of [begin, end) as one expression.
    Affine parse(std::size_t begin, std::size_t end) {
        pos_ = begin;
        end_ = end;
        Affine a = expr();
        skip();
        if (pos_ < end_) fail(pos_, std::string("unexpected '") + s_[pos_] + "'");
        return a;
    }
    [[noreturn]] void fail(std::size_t at, const std::string& what) const {
        SourceLocation where = src_.where;
        if (where.line) where.column += static_cast<std::uint32_t>(1 + at);  // past the opening quote
        throw UserError(who_ + ": " + what + " in \"" + s_ + "\"", where);
    }
    std::size_t skip_from(std::size_t p) const {
        while (p < s_.size() && std::isspace(static_cast<unsigned char>(s_[p]))) ++p;
        return p;
    }

private:
    void skip() { pos_ = std::min(skip_from(pos_), std::max(end_, pos_)); }
    bool eat(char c) {
        skip();
        if (pos_ < end_ && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    Affine constant(double x) const { return {Eigen::VectorXd::Zero(static_cast<Eigen::Index>(sym_.n)), x}; }

    Affine expr() {
        Affine a = term();
        for (;;) {
            if (eat('+')) {
                const Affine b = term();
                a.coef += b.coef;
                a.c += b.c;
            } else if (eat('-')) {
                const Affine b = term();
                a.coef -= b.coef;
                a.c -= b.c;
            } else {
                return a;
            }
        }
    }
    Affine term() {
        Affine a = unary();
        for (;;) {
            skip();
            const std::size_t at = pos_;
            if (eat('*')) {
                const Affine b = unary();
                if (!a.constant() && !b.constant())
                    fail(at,
                         "not linear: a product of two terms that both depend on state variables (a declared "
                         "model must be linear in its state)");
                if (a.constant()) {
                    a = {b.coef * a.c, b.c * a.c};
                } else {
                    a.coef *= b.c;
                    a.c *= b.c;
                }
            } else if (eat('/')) {
                const Affine b = unary();
                if (!b.constant())
                    fail(at,
                         "not linear: division by a term that depends on state variables (a declared model "
                         "must be linear in its state)");
                a.coef /= b.c;
                a.c /= b.c;
            } else {
                return a;
            }
        }
    }
    Affine unary() {
        if (eat('-')) {
            Affine a = unary();
            return {-a.coef, -a.c};
        }
        if (eat('+')) return unary();
        return primary();
    }
    Affine primary() {
        skip();
        if (pos_ >= end_) fail(pos_, "expression ends too early");
        const char c = s_[pos_];
        if (c == '(') {
            const std::size_t open = pos_++;
            Affine a = expr();
            if (!eat(')')) fail(open, "'(' without a matching ')'");
            return a;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            const char* begin = s_.c_str() + pos_;
            char* stop = nullptr;
            const double x = std::strtod(begin, &stop);
            if (stop == begin) fail(pos_, "malformed number");
            pos_ += static_cast<std::size_t>(stop - begin);
            return constant(x);
        }
        if (ident_start(c)) {
            const std::size_t at = pos_;
            while (pos_ < end_ && ident_char(s_[pos_])) ++pos_;
            const std::string name = s_.substr(at, pos_ - at);
            if (skip_from(pos_) < end_ && s_[skip_from(pos_)] == '(')
                fail(at,
                     "not linear: function '" + name +
                         "(...)' (a declared model allows numbers, parameters, state variables, + - * / and "
                         "parentheses)");
            if (auto v = sym_.variables.find(name); v != sym_.variables.end()) {
                Affine a = constant(0.0);
                a.coef(static_cast<Eigen::Index>(v->second)) = 1.0;
                return a;
            }
            if (auto p = sym_.params.find(name); p != sym_.params.end()) return constant(p->second);
            fail(at, "unknown name '" + name + "' (" + sym_.list() + ")");
        }
        fail(pos_, std::string("unexpected '") + c + "'");
    }

    const Located<std::string>& src_;
    const std::string& s_;
    const Symbols& sym_;
    std::string who_;
    std::size_t pos_ = 0, end_ = 0;
};

Affine parse_affine(const Located<std::string>& e, const Symbols& sym, const std::string& who) {
    return Parser(e, sym, who).parse(0, e.value.size());
}

// An expression that must not depend on the state (jumps, refractory period, initial values).
double parse_constant(const Located<std::string>& e, const Symbols& sym, const std::string& who,
                      const std::string& what) {
    const Affine a = parse_affine(e, sym, who);
    if (!a.constant()) Parser(e, sym, who).fail(0, what + " must not depend on state variables");
    if (!std::isfinite(a.c)) Parser(e, sym, who).fail(0, what + " is not finite (" + fmt_num(a.c) + ")");
    return a.c;
}

std::size_t variable_of(const Located<std::string>& name, const Symbols& sym, const std::string& who,
                        const std::string& what) {
    const auto v = sym.variables.find(name.value);
    if (v == sym.variables.end())
        throw UserError(
            who + ": unknown state variable '" + name.value + "' in " + what + " (" + sym.list() + ")",
            name.where);
    return v->second;
}

// "dV/dt = rhs": the variable and the offset of rhs.
std::pair<std::size_t, std::size_t> equation_head(const Located<std::string>& eq, const Symbols& sym,
                                                  const std::string& who) {
    const std::string& s = eq.value;
    Parser p(eq, sym, who);
    const char* form = "an equation must read \"dX/dt = expression\", X a state variable";
    std::size_t k = p.skip_from(0);
    if (k >= s.size() || s[k] != 'd') p.fail(k, form);
    const std::size_t name_at = ++k;
    while (k < s.size() && ident_char(s[k])) ++k;
    const std::string name = s.substr(name_at, k - name_at);
    k = p.skip_from(k);
    if (s.compare(k, 1, "/") != 0) p.fail(k, form);
    k = p.skip_from(k + 1);
    if (s.compare(k, 2, "dt") != 0) p.fail(k, form);
    k = p.skip_from(k + 2);
    if (s.compare(k, 1, "=") != 0) p.fail(k, form);
    const auto v = sym.variables.find(name);
    if (v == sym.variables.end())
        p.fail(name_at, "unknown state variable '" + name + "' (" + sym.list() + ")");
    return {v->second, k + 1};
}

std::string unit_of(const std::string& name) {
    const auto u = name.rfind('_');
    if (u == std::string::npos) return "1";
    const std::string suffix = name.substr(u + 1);
    for (const char* known : {"ms", "mV", "pA", "nA", "pF", "nF", "nS", "uS", "Hz", "MOhm", "GOhm"})
        if (suffix == known) return suffix;
    return "1";
}

Symbols symbols(const ModelDeclSpec& d, const sim::Params* p) {
    const std::string who = "model '" + d.name.value + "'";
    Symbols sym;
    for (const auto& [name, def] : d.params) sym.params[name.value] = p ? p->get(name.value) : def.value;
    for (const ModelVariableSpec& v : d.variables) {
        const std::string& name = v.name.value;
        bool ok = !name.empty() && ident_start(name[0]);
        for (char c : name) ok = ok && ident_char(c);
        if (!ok) throw UserError(who + ": variable name '" + name + "' must be an identifier", v.name.where);
        if (sym.params.count(name))
            throw UserError(who + ": '" + name + "' is both a state variable and a parameter", v.name.where);
        if (!sym.variables.emplace(name, sym.n++).second)
            throw UserError(who + ": duplicate state variable '" + name + "'", v.name.where);
    }
    return sym;
}

std::string variable_names(const ModelDeclSpec& d) {
    std::string out;
    for (const auto& v : d.variables) out += (out.empty() ? "" : ", ") + v.name.value;
    return out;
}

}  // namespace

const ModelDeclSpec* find_declared(const std::vector<ModelDeclSpec>& models, const std::string& name) {
    for (const ModelDeclSpec& m : models)
        if (m.name.value == name) return &m;
    return nullptr;
}

std::vector<sim::ParamInfo> declared_params(const ModelDeclSpec& d) {
    std::vector<sim::ParamInfo> out;
    for (const auto& [name, def] : d.params)
        out.push_back({name.value, unit_of(name.value), sim::ParamKind::Real, def.value, -1e300, 1e300, false,
                       false, "declared in [[model]] '" + d.name.value + "'"});
    return out;
}

models::LinearModelSpec linear_model_spec(const ModelDeclSpec& d, const sim::Params& p) {
    const std::string who = "model '" + d.name.value + "'";
    const Symbols sym = symbols(d, &p);
    const auto n = static_cast<Eigen::Index>(sym.n);
    if (n == 0) throw UserError(who + ": 'variables' must list at least one state variable", d.where);
    models::LinearModelSpec m;
    m.name = d.name.value;
    m.doc = d.doc.empty() ? "declared linear model (" + variable_names(d) + ")" : d.doc;
    m.initial.resize(n);
    for (const ModelVariableSpec& v : d.variables) {
        m.variables.push_back({v.name.value, v.unit, v.doc});
        m.initial(static_cast<Eigen::Index>(sym.variables.at(v.name.value))) =
            parse_constant(v.initial, sym, who, "the initial value of '" + v.name.value + "'");
    }
    // Equations: one per variable.
    m.a = Eigen::MatrixXd::Zero(n, n);
    m.b = Eigen::VectorXd::Zero(n);
    std::vector<bool> seen(sym.n, false);
    for (const Located<std::string>& eq : d.equations) {
        const auto [k, rhs] = equation_head(eq, sym, who);
        if (seen[k]) Parser(eq, sym, who).fail(0, "a second equation for d" + m.variables[k].name + "/dt");
        seen[k] = true;
        const Affine a = Parser(eq, sym, who).parse(rhs, eq.value.size());
        if (!a.coef.allFinite() || !std::isfinite(a.c))
            Parser(eq, sym, who).fail(rhs, "a coefficient is not finite (a parameter of 0 in a division?)");
        m.a.row(static_cast<Eigen::Index>(k)) = a.coef.transpose();
        m.b(static_cast<Eigen::Index>(k)) = a.c;
    }
    for (std::size_t k = 0; k < sym.n; ++k)
        if (!seen[k])
            throw UserError(who + ": no equation for d" + m.variables[k].name + "/dt (write \"d" +
                                m.variables[k].name + "/dt = 0\" for a constant)",
                            d.equations_where.line ? d.equations_where : d.where);
    // Ports.
    for (const ModelPortSpec& port : d.ports) {
        Eigen::VectorXd jump = Eigen::VectorXd::Zero(n);
        for (const ModelAssignSpec& j : port.jumps)
            jump(static_cast<Eigen::Index>(
                variable_of(j.variable, sym, who, "port '" + port.name.value + "'"))) =
                parse_constant(j.expr, sym, who, "the jump of port '" + port.name.value + "'");
        m.ports.push_back({port.name.value, sim::PortKind::Input, "x += w * jump (declared)"});
        m.jumps.push_back(jump);
    }
    // Threshold: lhs >= rhs, both affine.
    const std::string& th = d.threshold.value;
    const std::size_t ge = th.find(">=");
    if (ge == std::string::npos || th.find(">=", ge + 1) != std::string::npos)
        Parser(d.threshold, sym, who)
            .fail(0, "the threshold must read \"lhs >= rhs\" (e.g. \"V_m >= V_th_mV\" or \"v >= vth\")");
    Parser tp(d.threshold, sym, who);
    const Affine lhs = tp.parse(0, ge), rhs = tp.parse(ge + 2, th.size());
    m.theta = (lhs.coef - rhs.coef).transpose();
    m.theta_c = lhs.c - rhs.c;
    if ((m.theta.array() == 0.0).all()) tp.fail(0, "the threshold does not depend on any state variable");
    // Reset: x_k = affine(x) for the listed k; the others keep their value.
    m.reset_m = Eigen::MatrixXd::Identity(n, n);
    m.reset_c = Eigen::VectorXd::Zero(n);
    for (const ModelAssignSpec& r : d.reset) {
        const auto k = static_cast<Eigen::Index>(variable_of(r.variable, sym, who, "'reset'"));
        const Affine a = parse_affine(r.expr, sym, who);
        m.reset_m.row(k) = a.coef.transpose();
        m.reset_c(k) = a.c;
    }
    m.t_ref_ms = parse_constant(d.refractory_ms, sym, who, "refractory_ms");
    if (m.t_ref_ms < 0) Parser(d.refractory_ms, sym, who).fail(0, "refractory_ms must be >= 0");
    m.clamped.assign(sym.n, false);
    for (const auto& c : d.clamp) m.clamped[variable_of(c, sym, who, "'clamp'")] = true;
    // A reset that fixes every variable the threshold reads must leave the node below it.
    const Eigen::RowVectorXd after = m.theta * m.reset_m;
    if (m.t_ref_ms == 0.0 && (after.array() == 0.0).all() && m.theta.dot(m.reset_c) + m.theta_c >= 0.0)
        throw UserError(who + ": the reset leaves every node at its threshold (\"" + th +
                            "\"): with refractory_ms = 0 it would fire forever at one instant",
                        d.threshold.where);
    return m;
}

namespace {

// `who` prefixes errors of the built population (which population, or the defaults).
std::unique_ptr<sim::Population> build(const ModelDeclSpec& d, const std::string& pop_name, sim::Index size,
                                       const sim::ParamValues& given, const SourceLocation& params_at,
                                       const std::string& who) {
    const std::vector<sim::ParamInfo> infos = declared_params(d);
    const sim::Params params = located(params_at, [&] { return sim::Params(infos, given, who); });
    models::LinearModelSpec spec = linear_model_spec(d, params);
    const SourceLocation at = d.equations_where.line ? d.equations_where : d.where;
    return located(at, [&]() -> std::unique_ptr<sim::Population> {
        try {
            return models::make_linear_population(pop_name, size, std::move(spec));
        } catch (const UserError& e) {
            if (e.where().line) throw;
            throw UserError(who + ": " + e.what());
        }
    });
}

}  // namespace

std::unique_ptr<sim::Population> lower_declared_population(const ModelDeclSpec& d, const PopulationSpec& p) {
    return build(d, p.name.value, p.size.value, p.params, p.params_where.line ? p.params_where : p.where,
                 "population '" + p.name.value + "' (" + d.name.value + ")");
}

void check_declared_models(const std::vector<ModelDeclSpec>& models) {
    std::set<std::string> names;
    for (const ModelDeclSpec& d : models) {
        if (models::find_model(d.name.value))
            throw UserError("[[model]] '" + d.name.value + "': the name is that of a built-in model (" +
                                models::model_names() + "); choose another",
                            d.name.where);
        if (!names.insert(d.name.value).second)
            throw UserError("duplicate [[model]] name '" + d.name.value + "'", d.name.where);
        (void)build(d, d.name.value, 1, {}, d.where,
                    "[[model]] '" + d.name.value + "' with its default parameters");
    }
}

}  // namespace delaysim::config
