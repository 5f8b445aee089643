// The checker: AST -> study, in four passes.
//
//   1. lets        every `let` becomes a named axis (values generated and checked)
//   2. blocks      each statement is matched against the schema; each value is bound to
//                  a constant or an axis (a set or range written inline makes an
//                  anonymous axis named <layer><k>.<key>, train.lr, data.scale ...)
//   3. cross       checks between blocks: loss and metrics against the target, the
//                  selected metric, optimizer options, tuples and where
//   4. grid        axes ordered by declaration, the grid enumerated and pruned, every
//                  point materialised: layer shapes and parameter counts, settings
//
// Errors of passes 1-3 stop before pass 4. Problems found at grid points are grouped
// by (node, message) and reported once with how many points they hit.
#include "dsl/check.hpp"

#include "dsl/expand.hpp"
#include "dsl/layer_kind.hpp"
#include "dsl/schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

namespace hps {

namespace {

namespace sc = schema;
using tag = x3::position_tagged;

// ---------------------------------------------------------------------------------
// AST access
// ---------------------------------------------------------------------------------

template <class T, class V>
const T* as(const V& v) {
    return boost::get<T>(&v.get());
}

bool tagged(const tag& n) { return n.id_first >= 0; }

const tag& loc(const ast::scalar& s) {
    if (auto* n = as<ast::number>(s); n && tagged(*n)) return *n;
    if (auto* n = as<ast::identifier>(s); n && tagged(*n)) return *n;
    if (auto* n = as<ast::string_lit>(s); n && tagged(*n)) return *n;
    return s;
}

const tag& loc(const ast::value& v) {
    if (tagged(v)) return v;
    if (auto* s = as<ast::scalar>(v)) return loc(*s);
    if (auto* n = as<ast::value_set>(v)) return *n;
    if (auto* n = as<ast::linear_range>(v)) return *n;
    if (auto* n = as<ast::log_range>(v)) return *n;
    if (auto* n = as<ast::dims>(v)) return *n;
    return v;
}

// The first tagged of a few nodes, most specific first (the first one when none is:
// an AST built by hand).
const tag& first_tagged(std::initializer_list<const tag*> nodes) {
    for (const tag* n : nodes)
        if (n && tagged(*n)) return *n;
    return **nodes.begin();
}

// "a", "a and b", "a, b and c" ("or" likewise)
std::string words(const std::vector<std::string>& w, const std::string& conjunction) {
    if (w.size() < 2) return w.empty() ? "" : w[0];
    return schema::join({w.begin(), w.end() - 1}) + " " + conjunction + " " + w.back();
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string text(const ast::scalar& s) {
    if (auto* n = as<ast::number>(s)) return n->text.empty() ? format_significant(n->value) : n->text;
    if (auto* n = as<ast::identifier>(s)) return n->name;
    if (auto* n = as<ast::string_lit>(s)) return quoted(n->text);
    return "?";
}

std::string text(const ast::number& n) { return n.text.empty() ? format_significant(n.value) : n.text; }

std::string text(const ast::value& v) {
    if (auto* s = as<ast::scalar>(v)) return text(*s);
    if (auto* set = as<ast::value_set>(v)) {
        std::string out = "{";
        for (std::size_t i = 0; i < set->items.size(); ++i) out += (i ? ", " : "") + text(set->items[i]);
        return out + "}";
    }
    if (auto* r = as<ast::linear_range>(v)) return text(r->lo) + ".." + text(r->hi) + " step " + text(r->step);
    if (auto* r = as<ast::log_range>(v)) return text(r->lo) + ".." + text(r->hi) + " log " + text(r->count);
    if (auto* d = as<ast::dims>(v)) {
        std::string out;
        for (std::size_t i = 0; i < d->sizes.size(); ++i) out += (i ? " x " : "") + text(d->sizes[i]);
        return out;
    }
    return "?";
}

std::string text(const ast::expr& e);
std::string text(const ast::operand& o) {
    if (auto* n = as<ast::number>(o)) return text(*n);
    if (auto* n = as<ast::identifier>(o)) return n->name;
    if (auto* u = as<x3::forward_ast<ast::unary_op>>(o)) {
        const auto& op = u->get();
        return op.op == "not" ? "not " + text(op.rhs) : op.op + text(op.rhs);
    }
    if (auto* e = as<x3::forward_ast<ast::expr>>(o)) return "(" + text(e->get()) + ")";
    return "?";
}
std::string text(const ast::expr& e) {
    std::string out = text(e.first);
    for (const auto& b : e.rest) out += " " + b.op + " " + text(b.rhs);
    return out;
}

std::string dims_text(const std::vector<int>& d) {
    std::string out;
    for (std::size_t i = 0; i < d.size(); ++i) out += (i ? " x " : "") + std::to_string(d[i]);
    return out;
}

// How a found value reads in a message: 8.5, 'rleu', the string "relu", the set {8, 16}
std::string found(const param_value& v) {
    switch (v.type) {
    case param_value::kind::number: return v.text;
    case param_value::kind::identifier: return "'" + v.text + "'";
    case param_value::kind::string: return "the string " + quoted(v.text);
    }
    return v.text;
}

param_value to_param(const ast::scalar& s) {
    param_value p;
    if (auto* n = as<ast::number>(s)) {
        p.type = param_value::kind::number;
        p.number = n->value;
        p.is_integer = n->is_integer || (n->value == std::floor(n->value) && n->text.find_first_of(".eE/") == std::string::npos);
        p.text = text(*n);
    } else if (auto* n = as<ast::identifier>(s)) {
        p.type = param_value::kind::identifier;
        p.text = n->name;
    } else if (auto* n = as<ast::string_lit>(s)) {
        p.type = param_value::kind::string;
        p.text = n->text;
    }
    return p;
}

param_value number_value(double v) {
    param_value p;
    p.type = param_value::kind::number;
    p.number = v;
    p.is_integer = v == std::floor(v) && std::fabs(v) < 1e15;
    p.text = format_significant(v);
    return p;
}

param_value word_value(std::string w) {
    param_value p;
    p.type = param_value::kind::identifier;
    p.text = std::move(w);
    return p;
}

// ---------------------------------------------------------------------------------
// Reporting: diagnostics collected in groups (an error and its notes), then sorted
// by position so that the user reads them top to bottom.
// ---------------------------------------------------------------------------------

class reporter {
public:
    explicit reporter(const source& src) : src_(src) {}

    void error(const tag& node, std::string message) { add(severity::error, node, std::move(message)); }
    void warning(const tag& node, std::string message) { add(severity::warning, node, std::move(message)); }
    void note(const tag& node, std::string message) {
        if (!groups_.empty()) groups_.back().push_back(src_.locate(severity::note, node, std::move(message)));
    }
    void add(severity level, const tag& node, std::string message) {
        if (level == severity::error) ++errors_;
        groups_.push_back({src_.locate(level, node, std::move(message))});
    }
    bool failed() const { return errors_ > 0; }
    int line_of(const tag& node) const { return src_.locate(severity::note, node, "").line; }

    void flush(diagnostics& out) {
        std::stable_sort(groups_.begin(), groups_.end(), [](const auto& a, const auto& b) {
            return std::pair(a[0].line, a[0].column) < std::pair(b[0].line, b[0].column);
        });
        for (auto& g : groups_)
            for (auto& d : g) out.add(std::move(d));
        groups_.clear();
    }

private:
    const source& src_;
    std::vector<std::vector<diagnostic>> groups_;
    int errors_ = 0;
};

// ---------------------------------------------------------------------------------
// The checker's working state
// ---------------------------------------------------------------------------------

struct axis_rec {
    std::string name;
    bool named = false;
    std::vector<param_value> values;
    std::vector<const tag*> value_nodes;  // per value: the item or range that wrote it
    const tag* decl = nullptr;  // the let's name, or the inline value
    const ast::let_axis* let = nullptr;
    bool used = false;
    bool ok = true;  // values generated without error
    int seq = -1;  // order of declaration in the file
};

// A value of a statement: a constant or a reference to an axis.
struct bound_value {
    int axis = -1;
    param_value constant;
    std::vector<int> dims;  // value_kind::dims
    const tag* node = nullptr;
};

struct stmt_rec {
    const ast::statement* node = nullptr;
    const sc::head_spec* spec = nullptr;
    std::string name;  // conv2d1 in the network, the head elsewhere
    std::optional<bound_value> positional;
    const ast::value* positional_node = nullptr;
    std::map<std::string, bound_value> options;
    std::map<std::string, const ast::option*> option_nodes;

    bool has(const std::string& key) const { return options.count(key) > 0; }
};

struct block_rec {
    const ast::block* node = nullptr;
    const sc::block_spec* spec = nullptr;
    std::vector<stmt_rec> stmts;

    const stmt_rec* find(const std::string& head) const {
        for (const auto& s : stmts)
            if (s.spec->name == head) return &s;
        return nullptr;
    }
};

// A compiled `where` expression.
struct cexpr {
    enum class kind { number, symbol, axis, unary, binary } k = kind::number;
    double number = 0;
    std::string symbol;
    int axis = -1;
    enum class opcode { neg, not_, and_, or_, eq, ne, lt, le, gt, ge, add, sub, mul, div, mod } code = opcode::add;
    std::vector<cexpr> kids;
    bool is_symbol = false;  // its type: a name (compared with == and !=) or a number
};

// A pruning clause, in file order.
struct clause {
    const tag* node = nullptr;
    bool is_where = false;
    std::vector<int> axes;  // tuples
    std::set<std::vector<std::size_t>> rows;  // tuples: allowed value indices
    cexpr condition;  // where
};

// One slot of the layer list after the layout pass: a statement or an implicit flatten.
struct layer_slot {
    const stmt_rec* stmt = nullptr;  // nullptr: implicit flatten
    const layer_kind* kind = nullptr;  // its descriptor (dsl/layers/), resolved for the input's rank
    std::string name;
    const stmt_rec* anchor = nullptr;  // the statement to blame: stmt, or the dense after a flatten
};

struct target_rec {
    hps::target_kind kind = hps::target_kind::regression;
    int outputs = 1;
    std::string words;  // "regression 2", "classes 10", "binary"
    bool ok = false;
};

class checker {
public:
    checker(const source& src, const ast::study_file& file) : src_(src), file_(file), rep_(src) {}

    std::optional<study> run(diagnostics& diags);

private:
    // pass 1
    void declare_lets();
    bool make_values(const ast::value& v, std::vector<param_value>& values, std::vector<const tag*>& nodes);
    bool linear_range_values(const ast::linear_range& r, std::vector<param_value>& values);
    bool log_range_values(const ast::log_range& r, std::vector<param_value>& values);
    bool check_set(const ast::value_set& set, std::vector<param_value>& values, std::vector<const tag*>& nodes);
    // pass 2
    void read_block(const ast::block& b);
    std::optional<stmt_rec> read_statement(const sc::block_spec& block, const ast::statement& st,
                                           std::map<std::string, int>& layer_counts);
    std::optional<bound_value> bind(const ast::value& v, const sc::value_spec& spec, const std::string& what,
                                    const std::string& axis_name, const std::string& hint = "");
    std::optional<std::string> mismatch(const param_value& v, const sc::value_spec& spec) const;
    void check_block_heads(const block_rec& b);
    // pass 3
    void check_cross();
    void read_tuples(const ast::tuples& t);
    void read_where(const ast::where_clause& w);
    std::optional<cexpr> compile(const ast::expr& e);
    std::optional<cexpr> compile(const ast::operand& o);
    std::optional<cexpr> combine(const std::string& op, cexpr lhs, cexpr rhs, const tag& node,
                                 const std::string& lhs_text, const std::string& rhs_text);
    int find_axis(const std::string& name) const;
    std::vector<std::string> axis_names() const;
    // pass 4
    void layout();
    std::optional<study> expand();
    void materialise(grid_point& p, const std::vector<std::size_t>& idx);
    // A layer statement's values at a grid point, as its descriptor reads them; an absent
    // option is its schema default (a default naming the positional, a pool's stride
    // "window", is the positional's value).
    class point_values final : public layer_values {
    public:
        point_values(const checker& c, const stmt_rec* s, const std::vector<std::size_t>& idx) : c_(c), s_(s), idx_(idx) {}
        double number(std::string_view key) const override { return value(key).number; }
        std::string word(std::string_view key) const override { return value(key).text; }

    private:
        param_value value(std::string_view key) const;
        const checker& c_;
        const stmt_rec* s_;
        const std::vector<std::size_t>& idx_;
    };
    // message and fix for a layer given an input of a rank it does not take
    std::pair<std::string, std::string> wrong_input(const grid_point& p, const layer_slot& slot, const std::string& name,
                                                    const std::vector<int>& shape) const;
    // message and fix for a size its rule refuses
    static std::pair<std::string, std::string> fault_text(const layer_kind& kind, const layer& l,
                                                          const std::vector<int>& shape, const rules::outcome& r);
    // `fix` follows the grid points in the message: "<message> at 3 of 8 grid points, e.g. ...; <fix>"
    void point_issue(severity level, const tag& node, std::string message, std::string fix = "");
    struct eval_result {
        double num = 0;
        const std::string* sym = nullptr;  // a name, compared with == and !=
    };
    eval_result eval(const cexpr& e, const std::vector<std::size_t>& idx, bool& divided_by_zero) const;

    const param_value& value_at(const bound_value& b, const std::vector<std::size_t>& idx) const {
        return b.axis < 0 ? b.constant : axes_[std::size_t(b.axis)].values[idx[std::size_t(b.axis)]];
    }
    // The values a binding may take anywhere in the grid.
    std::vector<param_value> possible(const bound_value& b) const {
        return b.axis < 0 ? std::vector<param_value>{b.constant} : axes_[std::size_t(b.axis)].values;
    }

    const source& src_;
    const ast::study_file& file_;
    reporter rep_;

    std::vector<axis_rec> axes_;
    std::map<std::string, int> lets_;  // let name -> axis
    // blocks ("train") and statements ("train.loss") already offered as a "did you mean":
    // their absence is not reported again
    std::set<std::string> suggested_heads_;
    int next_seq_ = 0;
    std::map<std::string, block_rec> blocks_;
    std::vector<clause> clauses_;
    target_rec target_;
    std::vector<layer_slot> slots_;

    // grid-point problems, grouped by (node, message)
    struct issue {
        severity level;
        const tag* node;
        std::string message;
        std::string fix;
        std::size_t count = 0;
        std::size_t first_point = 0;
    };
    std::vector<issue> issues_;
    std::map<std::pair<const tag*, std::string>, std::size_t> issue_index_;
    std::size_t current_point_ = 0;
};

// ---------------------------------------------------------------------------------
// Pass 1: lets and value generation
// ---------------------------------------------------------------------------------

void checker::declare_lets() {
    for (const auto& item : file_.items) {
        const auto* let = as<ast::let_axis>(item);
        if (!let) continue;
        const std::string& name = let->name.name;
        if (auto it = lets_.find(name); it != lets_.end()) {
            rep_.error(first_tagged({&let->name, let}),
                       "axis '" + name + "' is declared twice; rename one of them");
            rep_.note(*axes_[std::size_t(it->second)].decl, "first declared here");
            continue;
        }
        if (name == "id" || name == "name" || name == "params") {
            rep_.error(first_tagged({&let->name, let}), "'" + name + "' names a column of the grid listing (id, name, "
                                                        "params); call the axis something else");
            continue;
        }
        axis_rec a;
        a.name = name;
        a.named = true;
        a.decl = &first_tagged({&let->name, let});
        a.let = let;
        if (as<ast::dims>(let->val)) {
            rep_.error(loc(let->val), "let takes a set {a, b}, a range lo..hi step s or lo..hi log n, or one value; "
                                      "found the sizes " + text(let->val));
            a.ok = false;
        } else {
            a.ok = make_values(let->val, a.values, a.value_nodes);
        }
        lets_[name] = int(axes_.size());
        axes_.push_back(std::move(a));
    }
}

bool checker::make_values(const ast::value& v, std::vector<param_value>& values, std::vector<const tag*>& nodes) {
    values.clear();
    nodes.clear();
    if (auto* s = as<ast::scalar>(v)) {
        values.push_back(to_param(*s));
        nodes.push_back(&loc(*s));
        return true;
    }
    if (auto* set = as<ast::value_set>(v)) return check_set(*set, values, nodes);
    bool ok = false;
    if (auto* r = as<ast::linear_range>(v)) ok = linear_range_values(*r, values);
    if (auto* r = as<ast::log_range>(v)) ok = log_range_values(*r, values);
    nodes.assign(values.size(), &loc(v));
    return ok;
}

bool checker::check_set(const ast::value_set& set, std::vector<param_value>& values,
                        std::vector<const tag*>& nodes) {
    if (set.items.empty()) {
        rep_.error(set, "an empty set {} gives no values; list at least one");
        return false;
    }
    bool ok = true;
    for (const auto& item : set.items) {
        param_value p = to_param(item);
        auto dup = std::find_if(values.begin(), values.end(), [&](const param_value& q) { return same_value(p, q); });
        if (dup != values.end()) {
            rep_.error(loc(item), "the set " + text(ast::value(set)) + " lists " + text(item) +
                                      " twice; each value must appear once");
            rep_.note(*nodes[std::size_t(dup - values.begin())], "first listed here");
            ok = false;
            continue;
        }
        values.push_back(std::move(p));
        nodes.push_back(&loc(item));
    }
    if (ok) {
        bool numbers = false, words = false, strings = false;
        for (const auto& p : values) {
            numbers |= p.type == param_value::kind::number;
            words |= p.type == param_value::kind::identifier;
            strings |= p.type == param_value::kind::string;
        }
        if (int(numbers) + int(words) + int(strings) > 1) {
            rep_.error(set, "the set " + text(ast::value(set)) +
                                " mixes numbers, names and strings; an axis holds values of one kind");
            ok = false;
        }
    }
    return ok;
}

bool checker::linear_range_values(const ast::linear_range& r, std::vector<param_value>& values) {
    const double lo = r.lo.value, hi = r.hi.value, step = r.step.value;
    const std::string written = text(r.lo) + ".." + text(r.hi) + " step " + text(r.step);
    if (!(step > 0)) {
        rep_.error(first_tagged({&r.step, &r}), "the step of a range must be > 0; found " + text(r.step));
        return false;
    }
    if (lo > hi) {
        rep_.error(r, "the range " + written + " is empty: it starts above its end; write " + text(r.hi) + ".." +
                          text(r.lo) + " step " + text(r.step));
        return false;
    }
    double n = std::floor((hi - lo) / step + 1e-9);
    if (n + 1 > double(max_range_values)) {
        rep_.error(r, "the range " + written + " gives " + format_significant(n + 1) + " values; hpsgen expands at most " +
                          group_digits(max_range_values) + " values per range");
        return false;
    }
    auto vs = linear_values(lo, hi, step);
    if (!vs) {
        // the steps overshoot hi: say what the range would give, and how to fix it
        std::vector<std::string> seen;
        for (double i = 0; i <= n; ++i) seen.push_back(format_significant(lo + i * step, 12));
        std::string gives;
        if (seen.size() <= 5) {
            gives = sc::join(seen);
        } else {
            gives = seen[0] + ", " + seen[1] + ", " + seen[2] + ", ..., " + seen.back();
        }
        std::string below = format_significant(lo + n * step, 12), above = format_significant(lo + (n + 1) * step, 12);
        rep_.error(r, "the range " + written + " never reaches " + text(r.hi) + ": it gives " + gives + "; end it at " +
                          below + " or " + above + ", or choose a step that divides " +
                          format_significant(hi - lo, 12));
        return false;
    }
    bool integral = r.lo.value == std::floor(r.lo.value) && step == std::floor(step);
    for (std::size_t i = 0; i < vs->size(); ++i) {
        param_value p = number_value((*vs)[i]);
        if (i == 0) p.text = text(r.lo);
        if (i + 1 == vs->size()) p.text = text(r.hi);
        p.is_integer = integral;
        values.push_back(std::move(p));
    }
    return true;
}

bool checker::log_range_values(const ast::log_range& r, std::vector<param_value>& values) {
    const std::string written = text(r.lo) + ".." + text(r.hi) + " log " + text(r.count);
    bool ok = true;
    if (!(r.count.value == std::floor(r.count.value)) || r.count.value < 2) {
        rep_.error(first_tagged({&r.count, &r}), "a log range needs a whole number of points >= 2 after 'log'; found " +
                                                     text(r.count));
        ok = false;
    } else if (r.count.value > double(max_range_values)) {
        rep_.error(first_tagged({&r.count, &r}), "the range " + written + " asks for " + text(r.count) +
                                                     " values; hpsgen expands at most " +
                                                     group_digits(max_range_values) + " values per range");
        ok = false;
    }
    for (const ast::number* end : {&r.lo, &r.hi}) {
        if (!(end->value > 0)) {
            rep_.error(first_tagged({end, &r}), "the ends of a log range must be > 0; found " + text(*end));
            ok = false;
        }
    }
    if (!ok) return false;
    if (r.lo.value > r.hi.value) {
        rep_.error(r, "the range " + written + " is empty: it starts above its end; write " + text(r.hi) + ".." +
                          text(r.lo) + " log " + text(r.count));
        return false;
    }
    if (r.lo.value == r.hi.value) {
        rep_.error(r, "the range " + written + " starts and ends at the same value; write the single value " +
                          text(r.lo));
        return false;
    }
    auto vs = log_values(r.lo.value, r.hi.value, std::size_t(r.count.value));
    for (std::size_t i = 0; i < vs.size(); ++i) {
        param_value p = number_value(vs[i]);
        if (i == 0) p.text = text(r.lo);
        if (i + 1 == vs.size()) p.text = text(r.hi);
        if (i > 0 && vs[i] <= vs[i - 1]) {
            rep_.error(r, "the range " + written + " gives repeated values once rounded to 6 digits (" +
                              format_significant(vs[i]) + "); use fewer points");
            return false;
        }
        values.push_back(std::move(p));
    }
    return true;
}

// ---------------------------------------------------------------------------------
// Pass 2: blocks and statements
// ---------------------------------------------------------------------------------

std::optional<std::string> checker::mismatch(const param_value& v, const sc::value_spec& spec) const {
    using vk = sc::value_kind;
    using pk = param_value::kind;
    auto bound_text = [](double x) { return format_significant(x, 12); };
    switch (spec.kind) {
    case vk::integer:
    case vk::real: {
        bool integer = spec.kind == vk::integer;
        if (v.type != pk::number)
            return std::string(integer ? "expects a whole number" : "expects a number") + "; found " + found(v);
        if (integer && v.number != std::floor(v.number)) return "must be a whole number; found " + v.text;
        bool below = spec.min && (v.number < *spec.min || (spec.min_open && v.number == *spec.min));
        bool above = spec.max && (v.number > *spec.max || (spec.max_open && v.number == *spec.max));
        if ((below || above) && spec.min && spec.max && !integer)
            return "must be in " + std::string(spec.min_open ? "(" : "[") + bound_text(*spec.min) + ", " +
                   bound_text(*spec.max) + (spec.max_open ? ")" : "]") + "; found " + v.text;
        if (below)
            return std::string("must be ") + (spec.min_open ? "> " : ">= ") + bound_text(*spec.min) + "; found " +
                   v.text;
        if (above)
            return std::string("must be ") + (spec.max_open ? "< " : "at most ") + bound_text(*spec.max) +
                   "; found " + v.text;
        return std::nullopt;
    }
    case vk::choice: {
        if (v.type == pk::identifier) {
            if (std::find(spec.choices.begin(), spec.choices.end(), v.text) != spec.choices.end())
                return std::nullopt;
            return "must be " + sc::describe(spec) + "; found " + found(v) + sc::did_you_mean(v.text, spec.choices);
        }
        if (v.type == pk::string &&
            std::find(spec.choices.begin(), spec.choices.end(), v.text) != spec.choices.end())
            return "expects the name " + v.text + " without quotes; found " + found(v);
        return "expects " + sc::describe(spec) + "; found " + found(v);
    }
    case vk::string: {
        if (v.type != pk::string) {
            std::string fix = v.type == pk::identifier || v.type == pk::number ? "; write " + quoted(v.text) : "";
            return "expects a string in double quotes; found " + found(v) + fix;
        }
        std::string why;
        if (!sc::string_ok(spec.format, v.text, why)) return "expects " + why + "; found " + found(v);
        return std::nullopt;
    }
    case vk::name:
        if (v.type != pk::identifier) return "expects a name; found " + found(v);
        return std::nullopt;
    case vk::dims: return "expects sizes like 28 x 28 x 1; found " + found(v);
    }
    return std::nullopt;
}

std::optional<bound_value> checker::bind(const ast::value& v, const sc::value_spec& spec, const std::string& what,
                                         const std::string& axis_name, const std::string& hint) {
    bound_value b;
    b.node = &loc(v);

    // dims: input 28 x 28 x 1, or a single size
    if (spec.kind == sc::value_kind::dims) {
        std::vector<const ast::number*> sizes;
        const ast::scalar* sc_value = as<ast::scalar>(v);
        const ast::identifier* word = sc_value ? as<ast::identifier>(*sc_value) : nullptr;
        if (word && lets_.count(word->name)) {
            axes_[std::size_t(lets_.at(word->name))].used = true;
            rep_.error(loc(v), what + " takes fixed sizes like 28 x 28 x 1, but '" + word->name +
                                   "' is an axis (a let); it cannot vary across the grid");
            return std::nullopt;
        }
        if (auto* d = as<ast::dims>(v)) {
            for (const auto& n : d->sizes) sizes.push_back(&n);
        } else if (auto* s = as<ast::scalar>(v); s && as<ast::number>(*s)) {
            sizes.push_back(as<ast::number>(*s));
        } else {
            rep_.error(loc(v), what + " expects sizes like 28 x 28 x 1 (or one size like 30); found " + text(v));
            return std::nullopt;
        }
        bool ok = true;
        for (const auto* n : sizes) {
            if (n->value != std::floor(n->value) || n->value < 1 || n->value > *spec.max) {
                rep_.error(first_tagged({n, &v}), what + " sizes must be whole numbers in 1.." +
                                                      format_significant(*spec.max) + "; found " + text(*n));
                ok = false;
            } else {
                b.dims.push_back(int(n->value));
            }
        }
        if (!ok) return std::nullopt;
        b.constant.type = param_value::kind::string;
        b.constant.text = dims_text(b.dims);
        return b;
    }
    if (as<ast::dims>(v)) {
        rep_.error(loc(v), what + " expects " + sc::describe(spec) + "; found the sizes " + text(v));
        return std::nullopt;
    }

    // a scalar: a constant, or the name of a `let` axis
    if (auto* s = as<ast::scalar>(v)) {
        auto* id = as<ast::identifier>(*s);
        if (id && spec.kind != sc::value_kind::name) {
            if (auto it = lets_.find(id->name); it != lets_.end()) {
                axis_rec& a = axes_[std::size_t(it->second)];
                a.used = true;
                if (!spec.rangeable) {
                    rep_.error(loc(v), what + " takes a single value, but '" + id->name +
                                           "' is an axis (a let); it cannot vary across the grid");
                    rep_.note(*a.decl, "'" + id->name + "' is declared here");
                    return std::nullopt;
                }
                if (!a.ok) return std::nullopt;
                bool ok = true;
                for (std::size_t i = 0; i < a.values.size(); ++i) {
                    if (auto why = mismatch(a.values[i], spec)) {
                        rep_.error(*a.value_nodes[i], what + " " + *why + " (a value of axis '" + a.name + "')");
                        rep_.note(loc(v), "'" + a.name + "' is used here");
                        ok = false;
                    }
                }
                if (!ok) return std::nullopt;
                b.axis = it->second;
                return b;
            }
        }
        param_value p = to_param(*s);
        if (auto why = mismatch(p, spec)) {
            rep_.error(loc(v), what + " " + *why + hint);
            return std::nullopt;
        }
        b.constant = std::move(p);
        return b;
    }

    // a set or a range: an anonymous axis
    if (!spec.rangeable) {
        const char* form = as<ast::value_set>(v) ? "a set" : "a range";
        rep_.error(loc(v), what + " takes a single value, not " + std::string(form) + " (" + text(v) +
                               "): it cannot vary across the grid");
        return std::nullopt;
    }
    axis_rec a;
    a.name = axis_name;
    a.decl = &loc(v);
    if (!make_values(v, a.values, a.value_nodes)) return std::nullopt;
    bool ok = true;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        if (auto why = mismatch(a.values[i], spec)) {
            std::string at = as<ast::value_set>(v) ? "" : " (a value of " + text(v) + ")";
            rep_.error(*a.value_nodes[i], what + " " + *why + at);
            ok = false;
            if (!as<ast::value_set>(v)) break;  // one message per range is enough
        }
    }
    if (!ok) return std::nullopt;
    a.seq = next_seq_++;
    b.axis = int(axes_.size());
    axes_.push_back(std::move(a));
    return b;
}

std::optional<stmt_rec> checker::read_statement(const sc::block_spec& block, const ast::statement& st,
                                                std::map<std::string, int>& layer_counts) {
    const std::string& head = st.head.name;
    const tag& head_node = first_tagged({&st.head, &st});
    const bool network = block.name == "network";
    const sc::head_spec* spec = sc::find_head(block, head);
    if (!spec) {
        std::string msg = "unknown " + std::string(network ? "layer" : "statement") + " '" + head + "' in " +
                          block.name;
        std::string hint = sc::did_you_mean(head, sc::head_names(block));
        if (!hint.empty()) suggested_heads_.insert(block.name + "." + sc::closest(head, sc::head_names(block)));
        if (hint.empty()) {
            // a statement of another block?
            for (const auto& other : sc::blocks()) {
                if (&other != &block && sc::find_head(other, head) && !sc::find_head(other, head)->unsupported) {
                    hint = "; '" + head + "' belongs in the " + other.name + " block";
                    break;
                }
            }
        }
        if (hint.empty())
            hint = network ? "; the layers are " + sc::join(sc::head_names(block))
                           : "; " + block.name + " takes " + sc::join(sc::head_names(block));
        rep_.error(head_node, msg + hint);
        return std::nullopt;
    }
    if (spec->unsupported) {
        rep_.error(head_node, head + " is not supported yet; the layers are " + sc::join(sc::head_names(block)));
        return std::nullopt;
    }

    stmt_rec rec;
    rec.node = &st;
    rec.spec = spec;
    if (network) {
        rec.name = head + std::to_string(++layer_counts[head]);
    } else {
        rec.name = head;
    }
    const std::string prefix = network ? rec.name : block.name;  // of anonymous axes
    bool ok = true;
    std::set<std::string> suggested_options;  // a typo is not also reported as a missing option

    // the positional value
    const ast::identifier* positional_word = nullptr;
    if (st.positional)
        if (const auto* s = as<ast::scalar>(*st.positional)) positional_word = as<ast::identifier>(*s);
    const sc::option_spec* bare_option = positional_word ? sc::find_option(*spec, positional_word->name) : nullptr;
    if (bare_option && spec->positional && spec->positional->kind == sc::value_kind::choice &&
        std::find(spec->positional->choices.begin(), spec->positional->choices.end(), positional_word->name) !=
            spec->positional->choices.end())
        bare_option = nullptr;
    if (bare_option) {
        // `target regression`, `dense units`: an option without its value
        rep_.error(loc(*st.positional), rec.name + " option '" + bare_option->key + "' needs a value (" +
                                            sc::describe(bare_option->value) + ")" +
                                            (spec->usage.empty() ? "" : ": " + spec->usage));
        ok = false;
    } else if (st.positional) {
        const ast::value& pv = *st.positional;
        if (!spec->positional) {
            if (spec->options.empty()) {
                rep_.error(loc(pv), head + " takes no value; found " + text(pv) + "; write just '" + head + "'");
            } else {
                rep_.error(loc(pv), head + " takes no value after its name, only options (" +
                                        sc::join(sc::option_keys(*spec)) + "); found " + text(pv));
            }
            ok = false;
        } else {
            std::string what = network ? rec.name + " " + spec->positional_name
                               : spec->positional_name == head ? head
                                                               : head + " " + spec->positional_name;
            std::optional<bound_value> b;
            const auto* s = as<ast::scalar>(pv);
            if (!spec->one_of.empty() && spec->positional->kind == sc::value_kind::choice && s &&
                as<ast::number>(*s)) {
                // `target 2`: say which kinds there are
                std::vector<std::string> forms;
                for (const auto& k : spec->one_of)
                    if (!k.empty()) forms.push_back(head + " " + k + " " + text(pv));
                for (const auto& c : spec->positional->choices) forms.push_back(head + " " + c);
                std::string last = forms.back();
                forms.pop_back();
                rep_.error(loc(pv), head + " needs its kind before the number; write " + sc::join(forms) + " or " +
                                        last);
            } else {
                b = bind(pv, *spec->positional, what, prefix + "." + spec->positional_name,
                         spec->one_of.empty() ? "" : "; usage: " + spec->usage);
            }
            if (b) {
                rec.positional = std::move(*b);
                rec.positional_node = &pv;
            } else {
                ok = false;
            }
        }
    } else if (spec->positional && spec->positional_required && spec->positional_default.empty()) {
        std::string usage = spec->usage.empty() ? head + " " + spec->positional_name : spec->usage;
        rep_.error(head_node, head + " needs its " + spec->positional_name + " (" + sc::describe(*spec->positional) +
                                  "): " + usage);
        ok = false;
    }

    // options
    for (const auto& o : st.options) {
        const std::string& key = o.key.name;
        const tag& key_node = first_tagged({&o.key, &o});
        const sc::option_spec* os = sc::find_option(*spec, key);
        if (!os) {
            std::string hint = sc::did_you_mean(key, sc::option_keys(*spec));
            if (!hint.empty()) suggested_options.insert(sc::closest(key, sc::option_keys(*spec)));
            if (hint.empty())
                hint = spec->options.empty() ? "; it takes none" : "; its options are " + sc::join(sc::option_keys(*spec));
            rep_.error(key_node, head + " has no option '" + key + "'" + hint);
            ok = false;
            continue;
        }
        if (auto prev = rec.option_nodes.find(key); prev != rec.option_nodes.end()) {
            rep_.error(key_node, rec.name + " gives option '" + key + "' twice; keep one");
            rep_.note(first_tagged({&prev->second->key, prev->second}), "first given here");
            ok = false;
            continue;
        }
        rec.option_nodes[key] = &o;
        std::string what = network ? rec.name + " " + key : head + " " + key;
        auto b = bind(o.val, os->value, what, prefix + "." + key);
        if (b)
            rec.options[key] = std::move(*b);
        else
            ok = false;
    }

    // exactly one of (target: binary | regression N | classes K; select: max | min)
    if (!spec->one_of.empty()) {
        std::vector<std::string> given;
        for (const auto& k : spec->one_of)
            if (k.empty() ? st.positional.has_value() : rec.option_nodes.count(k) > 0) given.push_back(k);
        if (given.empty() && ok) {
            rep_.error(head_node, head + " needs one of " + [&] {
                std::vector<std::string> names;
                for (const auto& k : spec->one_of) names.push_back(k.empty() ? spec->positional->choices.at(0) : k);
                return sc::join(names, ", ");
            }() + ": " + spec->usage);
            ok = false;
        } else if (given.size() > 1) {
            const std::string& second = given[1];
            rep_.error(second.empty() ? loc(*st.positional) : first_tagged({&rec.option_nodes[second]->key}),
                       head + " takes only one of " + [&] {
                           std::vector<std::string> names;
                           for (const auto& k : spec->one_of)
                               names.push_back(k.empty() ? spec->positional->choices.at(0) : k);
                           return sc::join(names, ", ");
                       }() + ": " + spec->usage);
            ok = false;
        }
    }

    // required options
    for (const auto& os : spec->options) {
        if (os.required && !rec.option_nodes.count(os.key)) {
            ok = false;
            if (suggested_options.count(os.key)) continue;
            rep_.error(head_node, rec.name + " needs option '" + os.key + "' (" + sc::describe(os.value) + "), e.g. " +
                                      head + " " + os.key + (os.key == "kernel" ? " 3" : " 8"));
        }
    }
    if (!ok) return std::nullopt;
    return rec;
}

void checker::read_block(const ast::block& b) {
    const std::string& name = b.name.name;
    const tag& name_node = first_tagged({&b.name, &b});
    const sc::block_spec* spec = sc::find_block(name);
    if (!spec) {
        std::string hint = sc::did_you_mean(name, sc::block_names());
        if (!hint.empty()) suggested_heads_.insert(sc::closest(name, sc::block_names()));
        if (hint.empty()) {
            for (const auto& other : sc::blocks()) {
                if (sc::find_head(other, name) && !sc::find_head(other, name)->unsupported) {
                    hint = "; '" + name + "' is a statement of the " + other.name + " block";
                    break;
                }
            }
        }
        if (hint.empty()) hint = "; the blocks are " + sc::join(sc::block_names());
        rep_.error(name_node, "unknown block '" + name + "'" + hint);
        return;
    }
    if (auto it = blocks_.find(name); it != blocks_.end()) {
        rep_.error(name_node, "a second " + name + " block; merge it into the first");
        rep_.note(first_tagged({&it->second.node->name, it->second.node}), "first " + name + " block here");
        return;
    }
    block_rec rec;
    rec.node = &b;
    rec.spec = spec;
    std::map<std::string, int> layer_counts;
    std::map<std::string, const ast::statement*> seen;
    for (const auto& st : b.statements) {
        const sc::head_spec* hs = sc::find_head(*spec, st.head.name);
        if (hs && !hs->repeatable) {
            if (auto prev = seen.find(hs->name); prev != seen.end()) {
                rep_.error(first_tagged({&st.head, &st}),
                           name + " gives '" + hs->name + "' twice; keep one");
                rep_.note(first_tagged({&prev->second->head, prev->second}), "first given here");
                continue;
            }
            seen[hs->name] = &st;
        }
        if (auto s = read_statement(*spec, st, layer_counts)) {
            rec.stmts.push_back(std::move(*s));
        } else if (hs) {
            // keep a record that the statement exists (for "missing" checks) without values
            stmt_rec placeholder;
            placeholder.node = &st;
            placeholder.spec = hs;
            placeholder.name = "";
            rec.stmts.push_back(std::move(placeholder));
        }
    }
    check_block_heads(rec);
    blocks_[name] = std::move(rec);
}

void checker::check_block_heads(const block_rec& b) {
    const tag& name_node = first_tagged({&b.node->name, b.node});
    for (const auto& h : b.spec->heads) {
        if (h.required && !b.find(h.name) && !suggested_heads_.count(b.spec->name + "." + h.name)) {
            std::string what = !h.usage.empty() ? h.usage
                               : h.positional  ? (h.positional_name == h.name ? "" : h.positional_name + ", ") +
                                                      sc::describe(*h.positional)
                                               : h.name;
            std::string example = h.name == "input"   ? "input 28 x 28 x 1"
                                  : h.name == "train" ? "train \"data/train.npz\""
                                  : h.name == "loss"  ? "loss mse"
                                                      : "";
            rep_.error(name_node, b.spec->name + " needs '" + h.name + "' (" + what + ")" +
                                      (example.empty() ? "" : ", e.g. " + example));
        }
    }
    for (const auto& group : b.spec->one_of) {
        std::vector<const stmt_rec*> given;
        for (const auto& g : group)
            if (auto* s = b.find(g)) given.push_back(s);
        if (given.empty()) {
            rep_.error(name_node, b.spec->name + " needs one of: " + sc::join(group, ", ") + " (e.g. " + group[0] + " " +
                                      (group[0] == "validation" ? "\"data/validation.npz\"" : "1000") + ")");
        } else if (given.size() > 1) {
            rep_.error(first_tagged({&given[1]->node->head, given[1]->node}),
                       b.spec->name + " takes " + sc::join(group, " or ") + ", not both; remove one");
            rep_.note(first_tagged({&given[0]->node->head, given[0]->node}), "'" + given[0]->spec->name +
                                                                                "' is given here");
        }
    }
    if (b.spec->name == "network" && b.node->statements.empty())
        rep_.error(name_node, "network has no layers; add at least one, e.g. dense units 1");
}

// ---------------------------------------------------------------------------------
// Pass 3: checks across blocks, tuples and where
// ---------------------------------------------------------------------------------

int checker::find_axis(const std::string& name) const {
    if (auto it = lets_.find(name); it != lets_.end()) return it->second;
    for (std::size_t i = 0; i < axes_.size(); ++i)
        if (!axes_[i].named && axes_[i].name == name) return int(i);
    return -1;
}

std::vector<std::string> checker::axis_names() const {
    std::vector<std::string> out;
    for (const auto& a : axes_) out.push_back(a.name);
    return out;
}

void checker::read_tuples(const ast::tuples& t) {
    clause c;
    c.node = &t;
    bool ok = true;
    std::vector<const tag*> header_nodes;
    for (const auto& id : t.axes) {
        const tag& n = first_tagged({&id, &t});
        int a = find_axis(id.name);
        if (a < 0) {
            std::string hint = sc::did_you_mean(id.name, axis_names());
            if (hint.empty())
                hint = axes_.empty() ? "; the study has no axes" : "; the axes are " + sc::join(axis_names());
            rep_.error(n, "tuples names '" + id.name + "', which is not an axis" + hint);
            ok = false;
            continue;
        }
        axes_[std::size_t(a)].used = true;
        if (std::find(c.axes.begin(), c.axes.end(), a) != c.axes.end()) {
            rep_.error(n, "tuples names axis '" + id.name + "' twice");
            ok = false;
            continue;
        }
        if (!axes_[std::size_t(a)].ok) ok = false;
        c.axes.push_back(a);
        header_nodes.push_back(&n);
    }
    if (t.rows.empty()) {
        rep_.error(t, "tuples lists no rows; add rows like (3, 8), or remove it");
        ok = false;
    }
    if (!ok) return;
    std::map<std::vector<std::size_t>, const ast::tuple_row*> seen;
    for (const auto& row : t.rows) {
        if (row.items.size() != c.axes.size()) {
            rep_.error(row, "this row has " + std::to_string(row.items.size()) + " values, but tuples names " +
                                std::to_string(c.axes.size()) + " axes (" + [&] {
                                    std::vector<std::string> names;
                                    for (int a : c.axes) names.push_back(axes_[std::size_t(a)].name);
                                    return sc::join(names);
                                }() + ")");
            ok = false;
            continue;
        }
        std::vector<std::size_t> key;
        bool row_ok = true;
        for (std::size_t k = 0; k < row.items.size(); ++k) {
            const axis_rec& a = axes_[std::size_t(c.axes[k])];
            param_value p = to_param(row.items[k]);
            auto it = std::find_if(a.values.begin(), a.values.end(),
                                   [&](const param_value& q) { return same_value(p, q); });
            if (it == a.values.end()) {
                std::vector<std::string> vals;
                for (const auto& q : a.values) vals.push_back(q.text);
                if (vals.size() > 12) vals.erase(vals.begin() + 5, vals.end() - 2), vals.insert(vals.begin() + 5, "...");
                rep_.error(loc(row.items[k]), text(row.items[k]) + " is not a value of axis '" + a.name +
                                                  "' (" + sc::join(vals) + ")");
                row_ok = false;
                continue;
            }
            key.push_back(std::size_t(it - a.values.begin()));
        }
        if (!row_ok) {
            ok = false;
            continue;
        }
        if (auto prev = seen.find(key); prev != seen.end()) {
            rep_.error(row, "this row repeats an earlier one; each combination must appear once");
            rep_.note(*prev->second, "first listed here");
            ok = false;
            continue;
        }
        seen[key] = &row;
        c.rows.insert(key);
    }
    if (ok) clauses_.push_back(std::move(c));
}

std::optional<cexpr> checker::combine(const std::string& op, cexpr lhs, cexpr rhs, const tag& node,
                                      const std::string& lhs_text, const std::string& rhs_text) {
    auto name_of = [&](const cexpr& e, const std::string& t) { return e.is_symbol ? "'" + t + "' is a name" : ""; };
    if (op == "==" || op == "!=") {
        if (lhs.is_symbol != rhs.is_symbol) {
            rep_.error(node, "'" + op + "' compares a number with a name: " + lhs_text + " " + op + " " + rhs_text);
            return std::nullopt;
        }
    } else if (lhs.is_symbol || rhs.is_symbol) {
        const std::string& t = lhs.is_symbol ? lhs_text : rhs_text;
        std::string why = name_of(lhs.is_symbol ? lhs : rhs, t);
        if (op == "and" || op == "or")
            rep_.error(node, "'" + op + "' joins conditions, but " + why + "; compare it, e.g. " + t + " == relu");
        else if (op == "<" || op == "<=" || op == ">" || op == ">=")
            rep_.error(node, "'" + op + "' compares numbers, but " + why + "; names compare only with == and !=");
        else
            rep_.error(node, "'" + op + "' needs numbers, but " + why);
        return std::nullopt;
    }
    cexpr e;
    e.k = cexpr::kind::binary;
    static const std::map<std::string, cexpr::opcode> codes = {
        {"and", cexpr::opcode::and_}, {"or", cexpr::opcode::or_}, {"==", cexpr::opcode::eq},
        {"!=", cexpr::opcode::ne},    {"<", cexpr::opcode::lt},   {"<=", cexpr::opcode::le},
        {">", cexpr::opcode::gt},     {">=", cexpr::opcode::ge},  {"+", cexpr::opcode::add},
        {"-", cexpr::opcode::sub},    {"*", cexpr::opcode::mul},  {"/", cexpr::opcode::div},
        {"%", cexpr::opcode::mod}};
    auto code = codes.find(op);
    if (code == codes.end()) {
        rep_.error(node, "unknown operator '" + op + "'");
        return std::nullopt;
    }
    e.code = code->second;
    e.kids.push_back(std::move(lhs));
    e.kids.push_back(std::move(rhs));
    return e;
}

std::optional<cexpr> checker::compile(const ast::operand& o) {
    if (auto* n = as<ast::number>(o)) {
        cexpr e;
        e.k = cexpr::kind::number;
        e.number = n->value;
        return e;
    }
    if (auto* id = as<ast::identifier>(o)) {
        const tag& node = first_tagged({id, &o});
        int a = find_axis(id->name);
        if (a >= 0) {
            axis_rec& ax = axes_[std::size_t(a)];
            ax.used = true;
            if (!ax.ok) return std::nullopt;
            bool numbers = false, words = false, strings = false;
            for (const auto& v : ax.values) {
                numbers |= v.type == param_value::kind::number;
                words |= v.type == param_value::kind::identifier;
                strings |= v.type == param_value::kind::string;
            }
            if (strings) {
                rep_.error(node, "where cannot use axis '" + id->name +
                                     "': its values are strings; a condition compares numbers and names");
                return std::nullopt;
            }
            cexpr e;
            e.k = cexpr::kind::axis;
            e.axis = a;
            e.is_symbol = words && !numbers;
            return e;
        }
        // not an axis: a name that some axis takes (act == relu)?
        std::vector<std::string> words;
        for (const auto& ax : axes_)
            for (const auto& v : ax.values)
                if (v.type == param_value::kind::identifier) words.push_back(v.text);
        if (std::find(words.begin(), words.end(), id->name) != words.end()) {
            cexpr e;
            e.k = cexpr::kind::symbol;
            e.symbol = id->name;
            e.is_symbol = true;
            return e;
        }
        std::vector<std::string> candidates = axis_names();
        candidates.insert(candidates.end(), words.begin(), words.end());
        std::string hint = sc::did_you_mean(id->name, candidates);
        if (hint.empty())
            hint = axes_.empty() ? "; the study has no axes" : "; the axes are " + sc::join(axis_names());
        rep_.error(node, "where uses '" + id->name + "', which is neither an axis nor a value of one" + hint);
        return std::nullopt;
    }
    if (auto* u = as<x3::forward_ast<ast::unary_op>>(o)) {
        const ast::unary_op& op = u->get();
        auto rhs = compile(op.rhs);
        if (!rhs) return std::nullopt;
        if (rhs->is_symbol) {
            rep_.error(first_tagged({&op, &o}), "'" + op.op + "' needs a number or a condition, but '" +
                                                    text(op.rhs) + "' is a name");
            return std::nullopt;
        }
        cexpr e;
        e.k = cexpr::kind::unary;
        e.code = op.op == "not" ? cexpr::opcode::not_ : cexpr::opcode::neg;
        e.kids.push_back(std::move(*rhs));
        return e;
    }
    if (auto* x = as<x3::forward_ast<ast::expr>>(o)) return compile(x->get());
    return std::nullopt;
}

std::optional<cexpr> checker::compile(const ast::expr& ex) {
    auto acc = compile(ex.first);
    std::string acc_text = text(ex.first);
    bool ok = acc.has_value();
    for (const auto& b : ex.rest) {
        auto rhs = compile(b.rhs);
        if (!rhs || !ok) {
            ok = false;
            continue;
        }
        std::string rhs_text = text(b.rhs);
        acc = combine(b.op, std::move(*acc), std::move(*rhs), first_tagged({&ex, &b}), acc_text, rhs_text);
        if (!acc) ok = false;
        acc_text += " " + b.op + " " + rhs_text;
    }
    if (!ok) return std::nullopt;
    return acc;
}

void checker::read_where(const ast::where_clause& w) {
    auto e = compile(w.condition);
    if (!e) return;
    if (e->is_symbol) {
        rep_.error(first_tagged({&w.condition, &w}),
                   "where needs a condition; '" + text(w.condition) + "' is a name (compare it with ==)");
        return;
    }
    clause c;
    c.node = &first_tagged({&w, &w.condition});
    c.is_where = true;
    c.condition = std::move(*e);
    clauses_.push_back(std::move(c));
}

void checker::check_cross() {
    const tag& study_node = first_tagged({&file_.name, &file_});
    for (const auto& spec : sc::blocks()) {
        if (spec.required && !blocks_.count(spec.name) && !suggested_heads_.count(spec.name)) {
            std::string example = spec.name == "data"      ? "data { train \"data/train.npz\" ... }"
                                  : spec.name == "network" ? "network { dense units 1 }"
                                                           : spec.name + " { ... }";
            rep_.error(study_node, "the study has no " + spec.name + " block (" + spec.help + "); add one: " + example);
        }
    }

    // the target
    if (auto it = blocks_.find("data"); it != blocks_.end()) {
        if (const stmt_rec* t = it->second.find("target"); t && !t->name.empty()) {
            target_.ok = true;
            if (t->positional) {
                target_.kind = hps::target_kind::binary;
                target_.outputs = 1;
                target_.words = "binary";
            } else if (t->has("regression")) {
                target_.kind = hps::target_kind::regression;
                target_.outputs = int(t->options.at("regression").constant.number);
                target_.words = "regression " + std::to_string(target_.outputs);
            } else if (t->has("classes")) {
                target_.kind = hps::target_kind::classes;
                target_.outputs = int(t->options.at("classes").constant.number);
                target_.words = "classes " + std::to_string(target_.outputs);
            } else {
                target_.ok = false;
            }
        }
    }
    const std::string target_kind(hps::name_of(target_.kind));

    // loss against the target
    std::string loss;
    if (auto it = blocks_.find("train"); it != blocks_.end()) {
        const block_rec& train = it->second;
        if (const stmt_rec* l = train.find("loss"); l && l->positional) {
            loss = l->positional->constant.text;
            const hps::loss_info& info = *hps::find_by_name(hps::loss_table, loss);  // a checked choice
            std::string wants(hps::name_of(info.target));
            if (target_.ok && info.target != target_.kind) {
                std::vector<std::string> fits;
                for (const auto& l : hps::loss_table)
                    if (l.target == target_.kind) fits.emplace_back(l.name);
                std::string fix = words(fits, "or");
                rep_.error(*l->positional->node, "loss " + loss + " is for " + wants + " targets, but the target is " +
                                                     target_.words + "; use " + fix);
            }
            if (auto pw = l->option_nodes.find("pos_weight"); pw != l->option_nodes.end() && loss != "bce")
                rep_.error(first_tagged({&pw->second->key, pw->second}),
                           "loss option 'pos_weight' applies to bce only; the loss here is " + loss);
        }
        // optimizer options that no value of the optimizer takes
        if (const stmt_rec* o = train.find("optimizer"); o && !o->name.empty()) {
            std::vector<param_value> choices =
                o->positional ? possible(*o->positional) : std::vector<param_value>{word_value("adam")};
            for (const auto& [key, node] : o->option_nodes) {
                const sc::option_spec* os = sc::find_option(*o->spec, key);
                if (!os || os->only_with.empty()) continue;
                bool applies = std::any_of(choices.begin(), choices.end(), [&](const param_value& c) {
                    return std::find(os->only_with.begin(), os->only_with.end(), c.text) != os->only_with.end();
                });
                if (!applies) {
                    std::vector<std::string> names;
                    for (const auto& c : choices) names.push_back(c.text);
                    rep_.error(first_tagged({&node->key, node}),
                               "optimizer option '" + key + "' applies to " + words(os->only_with, "and") +
                                   " only; the optimizer here is " + sc::join(names, " or "));
                }
            }
        }
        // checkpoints against a constant number of steps
        const stmt_rec* cp = train.find("checkpoints");
        const stmt_rec* steps = train.find("steps");
        if (cp && cp->positional && steps && steps->positional && steps->positional->axis < 0 &&
            cp->positional->constant.number > steps->positional->constant.number)
            rep_.error(*cp->positional->node, "checkpoints " + cp->positional->constant.text +
                                                  " is more than the " + steps->positional->constant.text +
                                                  " steps; at most one checkpoint per step");
    }

    // metrics against the target; names; select
    if (auto it = blocks_.find("metrics"); it != blocks_.end()) {
        const block_rec& m = it->second;
        std::map<std::string, const stmt_rec*> names;
        bool metric_errors = false;
        for (const auto& s : m.stmts) {
            if (s.spec->metric && s.name.empty()) metric_errors = true;
            if (!s.spec->metric || s.name.empty()) continue;
            const std::vector<std::string> targets = sc::metric_targets(*s.spec->metric);
            if (target_.ok && !hps::metric_applies(s.spec->metric->kind, target_.kind))
                rep_.error(first_tagged({&s.node->head, s.node}),
                           "metric " + s.spec->name + " needs a " + sc::join(targets, " or ") +
                               " target; the target is " + target_.words);
            std::string name = s.has("as") ? s.options.at("as").constant.text : s.spec->name;
            if (auto prev = names.find(name); prev != names.end()) {
                const tag& n = s.has("as") ? *s.options.at("as").node : first_tagged({&s.node->head, s.node});
                rep_.error(n, "two metrics are named '" + name + "'; give this one another name with 'as'" +
                                  (s.has("as") ? "" : " (" + s.spec->name + " as " + name + "2)"));
                rep_.note(first_tagged({&prev->second->node->head, prev->second->node}), "the first '" + name + "'");
                continue;
            }
            names[name] = &s;
        }
        if (const stmt_rec* sel = m.find("select"); sel && !sel->name.empty()) {
            bool maximize = sel->has("max");
            const bound_value& b = sel->options.at(maximize ? "max" : "min");
            const std::string& name = b.constant.text;
            auto found_metric = names.find(name);
            if (found_metric == names.end() && metric_errors) {
                // the metric may be one whose statement has an error: say nothing more
            } else if (found_metric == names.end()) {
                std::vector<std::string> known;
                for (const auto& [n, _] : names) known.push_back(n);
                std::string hint = sc::did_you_mean(name, known);
                if (hint.empty())
                    hint = known.empty() ? "; the block defines no metrics" : "; the metrics are " + sc::join(known);
                rep_.error(*b.node, "select names '" + name + "', which is not a metric of this block" + hint);
            } else {
                const hps::metric_info& info = *found_metric->second->spec->metric;
                if (!info.scalar) {
                    rep_.error(*b.node, "select cannot rank by '" + name + "': a " +
                                            found_metric->second->spec->name + " is not a single number");
                } else if (info.higher_is_better != maximize) {
                    rep_.error(*b.node, "select " + std::string(maximize ? "max " : "min ") + name + ": " +
                                            found_metric->second->spec->name + " is better when " +
                                            (info.higher_is_better ? "higher" : "lower") + "; write select " +
                                            (info.higher_is_better ? "max " : "min ") + name);
                }
            }
        } else if (!m.find("select")) {
            bool any_scalar = std::any_of(m.stmts.begin(), m.stmts.end(), [](const stmt_rec& s) {
                return s.spec->metric && s.spec->metric->scalar;
            });
            if (!any_scalar && !m.stmts.empty())
                rep_.error(first_tagged({&m.node->name, m.node}),
                           "metrics has nothing to rank checkpoints by; add a metric such as accuracy or mse");
        }
    }
}

// ---------------------------------------------------------------------------------
// Pass 4: layout, grid, points
// ---------------------------------------------------------------------------------

// Which layers are spatial is static (it depends on layer kinds, not on sizes), so the
// implicit flattens and the layer names are fixed once for every point.
void checker::layout() {
    auto nit = blocks_.find("network");
    auto dit = blocks_.find("data");
    if (nit == blocks_.end() || dit == blocks_.end()) return;
    const stmt_rec* input = dit->second.find("input");
    if (!input || !input->positional) return;
    const auto& dims = input->positional->dims;
    if (dims.size() > 4) {
        rep_.error(*input->positional->node,
                   "input " + dims_text(dims) + " has " + std::to_string(dims.size()) +
                       " sizes; hpsgen supports a vector (30), a sequence (15 x 1: steps x channels), an image "
                       "(28 x 28 x 1) or a volume (32 x 32 x 32 x 1)");
        return;
    }
    // each kind says what rank it makes of its input's (a sequence, an image, a vector)
    const layer_kind& flatten = *find_layer_kind("flatten");
    const std::vector<std::size_t> first_point(axes_.size(), 0);  // ranks do not depend on axes
    int rank = int(dims.size());
    int flattens = 0;  // implicit and written flattens share their numbering
    for (const auto& s : nit->second.stmts) {
        if (s.name.empty()) return;  // a statement with errors
        const layer_kind* kind = find_layer_kind(s.spec->name);
        if (kind->flattens_input && rank > 1) {
            slots_.push_back({nullptr, &flatten, "flatten" + std::to_string(++flattens), &s});
            rank = 1;
        }
        if (kind == &flatten)
            slots_.push_back({&s, kind, "flatten" + std::to_string(++flattens), &s});
        else
            slots_.push_back({&s, kind->on_rank ? kind->on_rank(rank) : kind, s.name, &s});
        if (kind->out_rank) rank = kind->out_rank(rank, point_values(*this, &s, first_point));
    }
}

checker::eval_result checker::eval(const cexpr& e, const std::vector<std::size_t>& idx, bool& zero) const {
    switch (e.k) {
    case cexpr::kind::number: return {e.number, nullptr};
    case cexpr::kind::symbol: return {0, &e.symbol};
    case cexpr::kind::axis: {
        const param_value& v = axes_[std::size_t(e.axis)].values[idx[std::size_t(e.axis)]];
        return v.type == param_value::kind::number ? eval_result{v.number, nullptr} : eval_result{0, &v.text};
    }
    case cexpr::kind::unary: {
        eval_result r = eval(e.kids[0], idx, zero);
        return {e.code == cexpr::opcode::not_ ? double(r.num == 0) : -r.num, nullptr};
    }
    case cexpr::kind::binary: {
        using oc = cexpr::opcode;
        eval_result a = eval(e.kids[0], idx, zero);
        if (e.code == oc::and_ && a.num == 0) return {0, nullptr};
        if (e.code == oc::or_ && a.num != 0) return {1, nullptr};
        eval_result b = eval(e.kids[1], idx, zero);
        if (a.sym || b.sym) {
            bool eq = a.sym && b.sym && *a.sym == *b.sym;
            return {double(e.code == oc::eq ? eq : !eq), nullptr};
        }
        switch (e.code) {
        case oc::and_:
        case oc::or_: return {double(b.num != 0), nullptr};
        case oc::eq: return {double(a.num == b.num), nullptr};
        case oc::ne: return {double(a.num != b.num), nullptr};
        case oc::lt: return {double(a.num < b.num), nullptr};
        case oc::le: return {double(a.num <= b.num), nullptr};
        case oc::gt: return {double(a.num > b.num), nullptr};
        case oc::ge: return {double(a.num >= b.num), nullptr};
        case oc::add: return {a.num + b.num, nullptr};
        case oc::sub: return {a.num - b.num, nullptr};
        case oc::mul: return {a.num * b.num, nullptr};
        case oc::div:
        case oc::mod:
            if (b.num == 0) {
                zero = true;
                return {std::nan(""), nullptr};
            }
            return {e.code == oc::div ? a.num / b.num : std::fmod(a.num, b.num), nullptr};
        default: return {std::nan(""), nullptr};
        }
    }
    }
    return {};
}

void checker::point_issue(severity level, const tag& node, std::string message, std::string fix) {
    auto key = std::make_pair(&node, message + "\n" + fix);
    auto it = issue_index_.find(key);
    if (it == issue_index_.end()) {
        issue_index_[key] = issues_.size();
        issues_.push_back({level, &node, std::move(message), std::move(fix), 1, current_point_});
    } else {
        ++issues_[it->second].count;
    }
}

param_value checker::point_values::value(std::string_view key) const {
    const sc::head_spec* spec = s_ ? s_->spec : nullptr;
    if (s_ && s_->positional && (key.empty() || key == spec->positional_name)) return c_.value_at(*s_->positional, idx_);
    if (s_)
        if (auto it = s_->options.find(std::string(key)); it != s_->options.end()) return c_.value_at(it->second, idx_);
    const sc::option_spec* o = spec ? sc::find_option(*spec, key) : nullptr;
    if (!o) throw std::logic_error("hpsgen: layer option '" + std::string(key) + "' has no value and no default");
    if (o->default_text == spec->positional_name && s_->positional) return c_.value_at(*s_->positional, idx_);
    char* end = nullptr;
    const double v = std::strtod(o->default_text.c_str(), &end);
    return end != o->default_text.c_str() && *end == '\0' ? number_value(v) : word_value(o->default_text);
}

std::pair<std::string, std::string> checker::wrong_input(const grid_point& p, const layer_slot& slot,
                                                         const std::string& name, const std::vector<int>& shape) const {
    const layer_kind& kind = *slot.kind;
    if (kind.accepts == rank_bit(4)) {  // the 3-D layers
        const bool from_data = &slot == &slots_.front() || p.input.size() != 4;
        return {name + " needs a D x H x W x C input, but it gets " + dims_text(shape),
                from_data ? "3-D layers need a volume such as input 32 x 32 x 32 x 1" : "put it before the first dense layer"};
    }
    const bool sequence_ok = kind.accepts & rank_bit(2), image_ok = kind.accepts & rank_bit(3);
    const std::string wants = sequence_ok && image_ok ? "an H x W x C image or an L x C sequence"
                              : image_ok             ? "an H x W x C input"
                                                     : "an L x C sequence (steps x channels)";
    std::string fix;
    if (p.input.size() == 1) {
        fix = image_ok ? "the data's input is a vector: convolutions and pools need an image such as input 28 x 28 x 1"
                       : "the data's input is a vector: write input " + dims_text(p.input) +
                             " x 1 for a sequence of one value per step";
        if (image_ok && sequence_ok) fix += " or a sequence such as input 30 x 1";
    } else if (shape.size() == 1) {
        // the layer before that made a vector of its input, and what it suggests
        const layer* flat = nullptr;
        for (const auto& before : p.layers)
            if (before.in_shape.size() > 1 && before.out_shape.size() == 1) flat = &before;
        const layer_kind* flat_kind = flat ? find_layer_kind(flat->kind) : nullptr;
        fix = flat_kind && !flat_kind->flat_fix.empty() ? std::string(flat_kind->flat_fix)
                                                         : "put it before the first dense layer";
        for (std::size_t at = fix.find("{name}"); at != std::string::npos; at = fix.find("{name}"))
            fix.replace(at, 6, flat->name);
    } else if (shape.size() == 2) {
        fix = &slot == &slots_.front() ? "the data's input is a sequence (steps x channels): write input " +
                                             dims_text(shape) + " x 1 for a one-channel image, or use conv1d"
                                       : "its input is a sequence here: use conv1d";
    } else if (shape.size() == 3) {
        fix = "it takes sequences, not images: " + std::string(kind.image_hint) +
              "give the data a sequence input such as 15 x 1";
    } else {
        fix = "no layer of this kind takes a " + dims_text(shape) + " input";
    }
    return {name + " needs " + wants + ", but it gets " + dims_text(shape), fix};
}

std::pair<std::string, std::string> checker::fault_text(const layer_kind& kind, const layer& l,
                                                        const std::vector<int>& shape, const rules::outcome& r) {
    const std::size_t spatial = shape.size() - 1;  // every dimension but the channels
    const std::vector<int> space(shape.begin(), shape.end() - 1);
    const std::string input = spatial == 1 ? std::to_string(shape[0]) + "-step input" : dims_text(space) + " input";
    switch (r.why) {
    case rules::fault::kernel_too_large:
    case rules::fault::window_too_large: {
        const bool conv = r.why == rules::fault::kernel_too_large;
        const int k = conv ? l.kernel.at(0) : l.pool.at(0);
        const char* than = spatial == 1 ? " is longer than its " : spatial == 2 ? " is wider than its " : " is larger than its ";
        return {l.name + ": " + (conv ? "kernel " : "window ") + std::to_string(k) + than + input,
                conv ? "use a smaller kernel, or fewer or smaller pools before it" : "use a smaller window, or remove the pool"};
    }
    case rules::fault::window_does_not_divide: {
        const int k = l.pool.at(0), stride = l.stride.at(0);
        const char* lost = spatial == 1 ? "steps" : spatial == 2 ? "rows and columns" : "planes";
        return {l.name + ": its " + input + " does not divide into windows of " + std::to_string(k) +
                    (stride == k ? "" : " with stride " + std::to_string(stride)),
                std::string("pools do not pad, so the last ") + lost +
                    " would be lost: change the window, or the sizes before it (padding same keeps them)"};
    }
    case rules::fault::too_large: {
        double n = 1;
        for (int d : shape) n *= d;
        return {l.name + " would give " + format_significant(n, 3) + " values",
                "hpsgen flattens at most 2147483647; reduce the sizes before it"};
    }
    default: return {"internal: " + std::string(kind.name) + " refuses its " + dims_text(shape) + " input", ""};
    }
}

void checker::materialise(grid_point& p, const std::vector<std::size_t>& idx) {
    auto val = [&](const bound_value& b) -> const param_value& { return value_at(b, idx); };
    auto opt_num = [&](const stmt_rec& s, const std::string& key, double fallback) {
        auto it = s.options.find(key);
        return it == s.options.end() ? fallback : val(it->second).number;
    };

    // data
    hps::train_config& c = p.config;
    const block_rec& data = blocks_.at("data");
    for (const auto& s : data.stmts) {
        const std::string& h = s.spec->name;
        if (!s.positional && h != "target") continue;
        if (h == "train") c.train = s.positional->constant.text;
        if (h == "validation") c.validation = s.positional->constant.text;
        if (h == "test") c.test = s.positional->constant.text;
        if (h == "split") c.split = s.positional->constant.number;
        if (h == "input") p.input = s.positional->dims;
        if (h == "scale") c.scale = val(*s.positional).number;
        if (h == "x_array") c.x_name = s.positional->constant.text;
        if (h == "y_array") c.y_name = s.positional->constant.text;
    }
    c.target = target_.kind;
    c.outputs = target_.outputs;

    // layers, with shapes and parameter counts: each kind's descriptor reads its values and
    // applies the runtime's rule (hps/rules.hpp); a refusal is said in the spec's words
    std::vector<int> shape = p.input;
    bool shapes_ok = true;
    for (const auto& slot : slots_) {
        layer l;
        l.kind = std::string(slot.kind->name);
        l.name = slot.name;
        l.in_shape = shape;
        l.implicit = slot.stmt == nullptr;
        const tag& node = first_tagged({&slot.anchor->node->head, slot.anchor->node});
        if (!shapes_ok) {
            p.layers.push_back(std::move(l));
            continue;
        }
        const layer_kind& kind = *slot.kind;
        const point_values values(*this, slot.stmt, idx);
        rules::outcome r;
        if (!(kind.accepts & rank_bit(int(shape.size())))) {
            auto [message, fix] = wrong_input(p, slot, l.name, shape);
            point_issue(severity::error, node, message, fix);
            r = rules::refuse(rules::fault::wrong_rank);
        } else {
            rules::dims in{int(shape.size()), {}};
            for (std::size_t i = 0; i < shape.size(); ++i) in.d[i] = shape[i];
            r = kind.infer(l, values, in);
            if (!r.ok()) {
                auto [message, fix] = fault_text(kind, l, shape, r);
                const stmt_rec* s = slot.stmt;
                const bool blame_size = r.why == rules::fault::kernel_too_large || r.why == rules::fault::window_too_large;
                const tag* size_node = !blame_size || !s ? &node
                                       : kind.size_key.empty() ? s->positional->node
                                                               : s->options.at(std::string(kind.size_key)).node;
                point_issue(severity::error, *size_node, message, fix);
            } else if (double(r.params) > 1e11) {
                point_issue(severity::error, node, l.name + " would have " + format_significant(double(r.params), 3) +
                                                       " parameters; hpsgen trains at most 1e11 per layer");
                r = rules::refuse(rules::fault::too_large);
            }
        }
        if (!r.ok()) {
            shapes_ok = false;
        } else {
            shape.assign(r.out.d.begin(), r.out.d.begin() + r.out.rank);
            l.params = r.params;
        }
        l.out_shape = shape;
        p.params += l.params;
        p.layers.push_back(std::move(l));
    }
    if (shapes_ok && !p.layers.empty() && target_.ok) {
        const layer& last = p.layers.back();
        const stmt_rec* s = slots_.back().stmt;
        const tag& node = first_tagged({&slots_.back().anchor->node->head, slots_.back().anchor->node});
        if (last.out_shape.size() != 1) {
            point_issue(severity::error, node,
                        "the network ends with " + last.name + ", whose output is " + dims_text(last.out_shape),
                        "end it with dense units " + std::to_string(target_.outputs) + " for target " + target_.words);
        } else if (last.out_shape[0] != target_.outputs) {
            const stmt_rec* d = s;
            const tag* n = &node;
            if (d && d->spec->name == "dense") n = d->options.at("units").node;
            point_issue(severity::error, *n,
                        last.name + " gives " + std::to_string(last.out_shape[0]) + " outputs, but target " +
                            target_.words + " needs " + std::to_string(target_.outputs),
                        "write units " + std::to_string(target_.outputs));
        }
    }

    // train
    const block_rec& train = blocks_.at("train");
    auto setting = [&](const std::string& head) { return train.find(head); };
    {
        // the optimizer and the settings the spec gives it; the others take the runtime's
        // defaults (hps/config.hpp's optimizer_table), as in a hand-written trainer
        const stmt_rec* o = setting("optimizer");
        if (o && o->positional) c.optimizer.kind = hps::find_by_name(hps::optimizer_table, val(*o->positional).text)->kind;
        if (o)
            for (const auto& [key, b] : o->options) {
                const hps::optimizer_setting_info& si = *hps::find_by_name(hps::optimizer_setting_table, key);
                if (!c.optimizer.takes(si.key)) continue;  // given for another optimizer of the axis
                const param_value& pv = val(b);
                c.optimizer.set(si.key, pv.type == param_value::kind::number ? pv.number : double(pv.text == "true"));
            }
    }
    if (const stmt_rec* s = setting("loss")) {
        c.loss = hps::find_by_name(hps::loss_table, s->positional->constant.text)->kind;
        c.pos_weight = opt_num(*s, "pos_weight", 1);
    }
    if (const stmt_rec* s = setting("batch")) p.batch = int(val(*s->positional).number);
    if (const stmt_rec* s = setting("steps")) c.steps = long(val(*s->positional).number);
    if (const stmt_rec* s = setting("epochs")) c.epochs = long(val(*s->positional).number);
    if (const stmt_rec* s = setting("checkpoints")) {
        c.checkpoints = int(s->positional->constant.number);
        if (c.steps > 0 && c.checkpoints > c.steps)
            point_issue(severity::error, *s->positional->node,
                        "checkpoints " + s->positional->constant.text + " is more than the " +
                            std::to_string(c.steps) + " steps",
                        "at most one checkpoint per step");
    } else if (c.epochs > 0) {
        c.checkpoints = int(std::min<long>(c.epochs, 1'000'000'000));
    } else if (c.steps > 0 && c.steps < c.checkpoints) {
        c.checkpoints = int(c.steps);
    }
    if (const stmt_rec* s = setting("seed")) c.seed = (unsigned long)val(*s->positional).number;
    if (const stmt_rec* s = setting("patience")) c.patience = int(val(*s->positional).number);

    // batchnorm trains on batch statistics: a flat input needs two samples per batch
    for (std::size_t i = 0; i < p.layers.size() && i < slots_.size(); ++i) {
        const layer& l = p.layers[i];
        if (l.kind == "batchnorm" && l.in_shape.size() == 1 && p.batch < 2)
            point_issue(severity::error, first_tagged({&slots_[i].anchor->node->head, slots_[i].anchor->node}),
                        l.name + " normalises each feature over the batch, but batch is " +
                            std::to_string(p.batch),
                        "use batch 2 or more");
    }

    // augment: transforms of the training samples, checked against the input's shape
    if (auto it = blocks_.find("augment"); it != blocks_.end()) {
        const block_rec& aug = it->second;
        const std::vector<int>& in = p.input;
        const std::size_t spatial = in.size() >= 2 ? in.size() - 1 : 0;  // every dimension but the channels
        if (const stmt_rec* s = aug.find("brightness"); s && s->positional) c.augment.brightness = val(*s->positional).number;
        if (const stmt_rec* s = aug.find("contrast"); s && s->positional) c.augment.contrast = val(*s->positional).number;
        if (const stmt_rec* s = aug.find("flip"); s && s->positional) {
            const std::string& f = val(*s->positional).text;
            c.augment.flip_horizontal = f == "horizontal" || f == "both";
            c.augment.flip_vertical = f == "vertical" || f == "both";
            if (c.augment.flip_vertical && spatial < 2)
                point_issue(severity::error, *s->positional->node,
                            "flip " + f + " mirrors the height, but the input " + dims_text(in) + " has none",
                            spatial == 1 ? "use flip horizontal on a sequence (it reverses the steps)"
                                         : "flips need an image or a volume, such as input 32 x 32 x 1");
            else if (c.augment.flip_horizontal && spatial < 1)
                point_issue(severity::error, *s->positional->node,
                            "flip " + f + " needs spatial dimensions, but the input " + dims_text(in) + " is a vector",
                            "remove it, or give the input its shape, such as input 32 x 32 x 1");
        }
        if (const stmt_rec* s = aug.find("translate"); s && s->positional) {
            c.augment.translate = int(val(*s->positional).number);
            const int smallest = spatial ? *std::min_element(in.begin(), in.end() - 1) : 0;
            if (c.augment.translate > 0 && spatial == 0)
                point_issue(severity::error, *s->positional->node,
                            "translate needs spatial dimensions, but the input " + dims_text(in) + " is a vector",
                            "remove it, or give the input its shape, such as input 32 x 32 x 1");
            else if (c.augment.translate >= smallest && spatial > 0)
                point_issue(severity::error, *s->positional->node,
                            "translate " + std::to_string(c.augment.translate) + " would shift a sample of " +
                                dims_text(in) + " out of itself",
                            "use at most " + std::to_string(smallest - 1));
        }
    }

    // a final activation before a loss that applies its own
    if (!p.layers.empty() && (c.loss == hps::loss_kind::bce || c.loss == hps::loss_kind::softmax_ce)) {
        const layer& last = p.layers.back();
        const stmt_rec* s = slots_.back().stmt;
        if (s && last.activation != "linear" && s->has("activation")) {
            std::string applied = c.loss == hps::loss_kind::bce ? "the sigmoid" : "the softmax";
            point_issue(severity::warning, *s->options.at("activation").node,
                        last.name + " ends with activation " + last.activation + ", but loss " + std::string(hps::name_of(c.loss)) +
                            " works on logits and applies " + applied + " itself",
                        "remove the activation");
        }
    }
}

std::optional<study> checker::expand() {
    study s;
    s.name = file_.name.name;
    if (file_.description) s.description = file_.description->text;
    s.spec_path = src_.path();
    const tag& study_node = first_tagged({&file_.name, &file_});

    // axes in order of declaration; an unused let is no axis
    std::vector<int> order;
    for (std::size_t i = 0; i < axes_.size(); ++i)
        if (!axes_[i].named || axes_[i].used) order.push_back(int(i));
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return axes_[a].seq < axes_[b].seq; });
    std::vector<std::size_t> sizes;
    for (int a : order) {
        axis out;
        out.name = axes_[std::size_t(a)].name;
        out.named = axes_[std::size_t(a)].named;
        out.values = axes_[std::size_t(a)].values;
        s.axes.push_back(std::move(out));
        sizes.push_back(axes_[std::size_t(a)].values.size());
    }
    auto full = grid_size(s.axes);
    if (!full) {
        double n = 1;
        for (auto k : sizes) n *= double(k);
        std::string count = n < 1e18 ? group_digits(std::size_t(n)) : format_significant(n, 3);
        rep_.error(study_node, "the grid has " + count + " points before tuples and where; hpsgen "
                               "expands at most " + group_digits(max_full_grid) + ": use fewer values per axis");
        return std::nullopt;
    }
    s.full_size = *full;

    // prune: a point survives every clause, in file order
    std::vector<std::size_t> kept;
    std::vector<std::size_t> failed_at(clauses_.size(), 0);
    std::vector<std::size_t> idx(axes_.size(), 0);
    std::vector<const tag*> div_zero;
    std::vector<std::size_t> key;
    for (std::size_t id = 0; id < s.full_size; ++id) {
        if (id > 0) {
            // the next point in row-major order: an odometer, the last axis fastest
            for (std::size_t k = order.size(); k-- > 0;) {
                std::size_t& digit = idx[std::size_t(order[k])];
                if (++digit < sizes[k]) break;
                digit = 0;
            }
        }
        bool keep = true;
        for (std::size_t c = 0; c < clauses_.size() && keep; ++c) {
            const clause& cl = clauses_[c];
            if (cl.is_where) {
                bool zero = false;
                eval_result r = eval(cl.condition, idx, zero);
                if (zero) {
                    current_point_ = id;
                    point_issue(severity::error, *cl.node, "where divides by zero",
                                "guard the division, as in: where d != 0 and n / d >= 2");
                }
                keep = !zero && r.num != 0 && !std::isnan(r.num);
            } else {
                key.clear();
                for (int a : cl.axes) key.push_back(idx[std::size_t(a)]);
                keep = cl.rows.count(key) > 0;
            }
            if (!keep) ++failed_at[c];
        }
        if (keep) kept.push_back(id);
    }
    if (!issues_.empty()) {
        // division by zero: name the point in the full grid
        for (auto& is : issues_) {
            auto ord_idx = point_indices(sizes, is.first_point);
            std::vector<param_value> vals;
            for (std::size_t k = 0; k < order.size(); ++k) vals.push_back(s.axes[k].values[ord_idx[k]]);
            rep_.error(*is.node, is.message + " at " +
                                     (is.count > 1 ? std::to_string(is.count) + " of " + group_digits(s.full_size) +
                                                         " grid points, e.g. "
                                                   : "the grid point ") +
                                     "(" + describe_point(s.axes, vals) + ")" + (is.fix.empty() ? "" : "; " + is.fix));
        }
        return std::nullopt;
    }
    if (kept.empty()) {
        std::size_t left = s.full_size;
        for (std::size_t c = 0; c < clauses_.size(); ++c) {
            std::size_t after = left - failed_at[c];
            if (after == 0) {
                const clause& cl = clauses_[c];
                std::string before = c == 0 ? "of the " + group_digits(left) + " grid points"
                                            : "of the " + group_digits(left) + " grid points left by the clauses before it";
                if (cl.is_where)
                    rep_.error(*cl.node, "this where removes every one " + before + "; relax the condition");
                else
                    rep_.error(*cl.node, "no row of this tuples matches any " + before.substr(3) +
                                             "; check the rows against the axes and the where clauses");
                break;
            }
            left = after;
        }
        return std::nullopt;
    }
    if (kept.size() > max_grid_points) {
        rep_.error(study_node, "the grid has " + group_digits(kept.size()) + " points; hpsgen generates at most " +
                                   group_digits(max_grid_points) + " trainers: use fewer values, tuples or where");
        return std::nullopt;
    }

    // materialise
    s.points.resize(kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        grid_point& p = s.points[i];
        p.id = i;
        p.full_id = kept[i];
        p.name = point_name(i, kept.size());
        auto ord_idx = point_indices(sizes, kept[i]);
        for (std::size_t k = 0; k < order.size(); ++k) {
            idx[std::size_t(order[k])] = ord_idx[k];
            p.axis_values.push_back(s.axes[k].values[ord_idx[k]]);
        }
        current_point_ = i;
        materialise(p, idx);
    }

    // grid-point problems, once per (node, message)
    for (const auto& is : issues_) {
        std::string where;
        const grid_point& first = s.points[is.first_point];
        std::string point = first.name + (s.axes.empty() ? "" : " (" + describe_point(s.axes, first.axis_values) + ")");
        if (is.count == s.points.size())
            where = "";
        else if (is.count == 1)
            where = " at grid point " + point;
        else
            where = " at " + std::to_string(is.count) + " of " + std::to_string(s.points.size()) +
                    " grid points, e.g. " + point;
        rep_.add(is.level, *is.node, is.message + where + (is.fix.empty() ? "" : "; " + is.fix));
    }
    bool errors = std::any_of(issues_.begin(), issues_.end(), [](const issue& i) { return i.level == severity::error; });
    if (errors) return std::nullopt;

    // settings that are the same at every point: the metrics and the selection rule
    std::vector<hps::metric_spec> metrics;
    std::optional<std::pair<bool, std::string>> sel;  // maximise?, the metric's name
    if (auto it = blocks_.find("metrics"); it != blocks_.end()) {
        for (const auto& st : it->second.stmts) {
            if (st.spec->metric) {
                const hps::metric_info& info = *st.spec->metric;
                hps::metric_spec m;
                m.kind = info.kind;
                m.name = st.has("as") ? st.options.at("as").constant.text : st.spec->name;
                if (info.param == hps::metric_param::tolerance) m.param = st.positional->constant.number;
                if (info.param == hps::metric_param::threshold)
                    m.param = st.has("threshold") ? st.options.at("threshold").constant.number : 0.5;
                metrics.push_back(m);
                if (!sel && info.scalar) sel = {info.higher_is_better, m.name};  // the first scalar metric
            }
        }
        if (const stmt_rec* st = it->second.find("select"))
            sel = {st->has("max"), st->options.at(st->has("max") ? "max" : "min").constant.text};
    }
    if (metrics.empty()) {
        const hps::metric_kind k = target_.kind == hps::target_kind::regression ? hps::metric_kind::mse
                                                                                : hps::metric_kind::accuracy;
        metrics = {{k, std::string(hps::name_of(k)), 0}};
        sel = {hps::info(k).higher_is_better, metrics[0].name};
    }
    for (auto& p : s.points) {
        p.config.metrics = metrics;
        if (sel) {
            p.config.select_max = sel->first;
            p.config.select_metric = sel->second;
        }
    }
    if (auto it = blocks_.find("slurm"); it != blocks_.end()) {
        for (const auto& st : it->second.stmts) {
            const std::string& h = st.spec->name;
            const param_value& v = st.positional->constant;
            if (h == "partition") s.slurm.partition = v.text;
            if (h == "account") s.slurm.account = v.text;
            if (h == "qos") s.slurm.qos = v.text;
            if (h == "mem") s.slurm.mem = v.text;
            if (h == "time") s.slurm.time = v.text;
            if (h == "cpus") s.slurm.cpus = int(v.number);
            if (h == "throttle") s.slurm.throttle = int(v.number);
            if (h == "extra") s.slurm.extra.push_back(v.text);
            if (h == "chunk") s.slurm.chunk = int(v.number);
            if (h == "packing") s.slurm.packing = v.text;
            if (h == "build") s.slurm.build = v.text;
            if (h == "report") s.slurm.report = v.text != "no";
        }
    }
    return s;
}

std::optional<study> checker::run(diagnostics& diags) {
    declare_lets();
    for (const auto& item : file_.items) {
        if (const auto* let = as<ast::let_axis>(item)) {
            if (auto it = lets_.find(let->name.name); it != lets_.end() && axes_[std::size_t(it->second)].let == let)
                axes_[std::size_t(it->second)].seq = next_seq_++;
        } else if (const auto* b = as<ast::block>(item)) {
            read_block(*b);
        }
    }
    // tuples and where may name any axis, declared before or after them
    for (const auto& item : file_.items) {
        if (const auto* t = as<ast::tuples>(item)) read_tuples(*t);
        if (const auto* w = as<ast::where_clause>(item)) read_where(*w);
    }
    check_cross();
    for (const auto& a : axes_)
        if (a.named && !a.used)
            rep_.warning(*a.decl, "axis '" + a.name + "' is never used; it adds nothing to the grid (use it as a "
                                  "value, or remove the let)");
    if (!rep_.failed()) layout();
    std::optional<study> out;
    if (!rep_.failed()) out = expand();
    if (rep_.failed()) out.reset();
    rep_.flush(diags);
    return out;
}

}  // namespace

std::optional<study> check(const source& src, const ast::study_file& file, diagnostics& diags) {
    checker c(src, file);
    return c.run(diags);
}

}  // namespace hps
