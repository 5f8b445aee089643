// The checker's internals, shared by the files of dsl/check/: AST -> study, in four passes.
//
//   1. lets        every `let` becomes a named axis (values generated and checked)
//                  (values.cpp)
//   2. blocks      each statement is matched against the schema; each value is bound to
//                  a constant or an axis (a set or range written inline makes an
//                  anonymous axis named <layer><k>.<key>, train.lr, data.scale ...)
//                  (statements.cpp)
//   3. cross       checks between blocks: loss and metrics against the target, the
//                  selected metric, optimizer options (cross.cpp), tuples and where
//                  (constraints.cpp)
//   4. grid        axes ordered by declaration, the grid enumerated and pruned (grid.cpp),
//                  every point materialised: layer shapes and parameter counts, settings
//                  (points.cpp)
//
// Errors of passes 1-3 stop before pass 4. Problems found at grid points are grouped
// by (node, message) and reported once with how many points they hit.
//
// check.cpp runs the passes (checker::run) behind the public hps::check (dsl/check.hpp);
// text.cpp holds the AST access and the text of values in messages. Nothing outside
// dsl/check/ includes this header.
#pragma once

#include "dsl/check.hpp"

#include "dsl/expand.hpp"
#include "dsl/layer_kind.hpp"
#include "dsl/schema.hpp"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hps::check_detail {

namespace sc = schema;
using tag = x3::position_tagged;

// ---------------------------------------------------------------------------------
// AST access and text (dsl/check/text.cpp)
// ---------------------------------------------------------------------------------

template <class T, class V>
const T* as(const V& v) {
    return boost::get<T>(&v.get());
}

const tag& loc(const ast::scalar& s);
const tag& loc(const ast::value& v);

// The first tagged of a few nodes, most specific first (the first one when none is:
// an AST built by hand).
const tag& first_tagged(std::initializer_list<const tag*> nodes);

// "a", "a and b", "a, b and c" ("or" likewise)
std::string words(const std::vector<std::string>& w, const std::string& conjunction);

std::string quoted(const std::string& s);

std::string text(const ast::scalar& s);
std::string text(const ast::number& n);
std::string text(const ast::value& v);
std::string text(const ast::operand& o);
std::string text(const ast::expr& e);

std::string dims_text(const std::vector<int>& d);

// How a found value reads in a message: 8.5, 'rleu', the string "relu", the set {8, 16}
std::string found(const param_value& v);

param_value to_param(const ast::scalar& s);
param_value number_value(double v);
param_value word_value(std::string w);

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
    // a distribution (uniform, loguniform): `values` holds its ends until the sample is
    // drawn (grid.cpp), then the value drawn for each point
    std::string distribution;
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
    void read_repeat(block_rec& train);  // `repeat N`: the axis train.seed
    void read_folds(block_rec& train);   // `folds K`: the axis train.fold
    bool folds_given() const;
    // pass 3
    void check_cross();
    void check_folds();
    void check_metric_options(const stmt_rec& s);
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
    // the search block (dsl/check/grid.cpp): false after an error
    bool read_search();
    bool assign_brackets(const study& s);  // after the points: each one's Hyperband bracket
    // a random sample of the kept grid points, in the order drawn
    std::vector<std::size_t> draw_sample(const std::vector<std::size_t>& kept,
                                         const std::vector<std::pair<double, double>>& ranges,
                                         std::vector<std::vector<double>>& drawn) const;
    // halving: a point's steps and checkpoints (dsl/check/points.cpp)
    void apply_halving(hps::train_config& c, const stmt_rec* steps, const stmt_rec* checkpoints);
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
    search_config search_;
    const stmt_rec* halving_stmt_ = nullptr;

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

}  // namespace hps::check_detail
