// The checker's AST access and the text of values in its messages (dsl/check/checker.hpp).
#include "dsl/check/checker.hpp"

#include <cmath>

namespace hps::check_detail {

// ---------------------------------------------------------------------------------
// AST access
// ---------------------------------------------------------------------------------

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
    if (auto* n = as<ast::distribution>(v)) return *n;
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
    if (auto* r = as<ast::distribution>(v)) return r->kind + " " + text(r->lo) + ".." + text(r->hi);
    if (auto* d = as<ast::dims>(v)) {
        std::string out;
        for (std::size_t i = 0; i < d->sizes.size(); ++i) out += (i ? " x " : "") + text(d->sizes[i]);
        return out;
    }
    return "?";
}

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

}  // namespace hps::check_detail
