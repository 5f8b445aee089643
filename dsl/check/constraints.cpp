// Pass 3 of the checker (dsl/check/checker.hpp): tuples and where, compiled against the
// axes; their evaluation at a grid point, which pass 4 (dsl/check/grid.cpp) prunes by.
#include "dsl/check/checker.hpp"

#include <algorithm>
#include <cmath>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// Pass 3: tuples and where
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

}  // namespace hps::check_detail
