// hps::print: the canonical .hps text of an AST (`hpsgen fmt`, golden tests).
//
//     study NAME "description"
//                                       one blank line between top-level items
//     let act = {relu, elu}
//
//     network {
//       conv2d filters {8, 16} kernel 3   statements indented by two spaces
//     }
//
//     tuples (w1, n1) {
//       (3, 8)
//     }
//
//     where n2 >= 2 * n1 and not (w1 == 5 and w2 == 5)
//
// Numbers print as written, strings re-escaped, where expressions with exactly the
// parentheses that re-parsing needs to give back the same tree. Comments are not in
// the AST, so they are not printed.
#include "dsl/parse.hpp"

#include <boost/variant/get.hpp>

#include <string>

namespace hps {

namespace {

// Everything appends to one output string (no temporaries, and none of GCC 12's
// -Wrestrict false positives on "literal" + std::string).
class printer {
public:
    std::string out;

    void file(const ast::study_file& f) {
        out += "study ";
        out += f.name.name;
        if (f.description) {
            out += ' ';
            quoted(f.description->text);
        }
        out += '\n';
        for (const auto& i : f.items) {
            out += '\n';
            item(i);
        }
    }

private:
    void item(const ast::item& i) {
        if (auto* let = boost::get<ast::let_axis>(&i.get())) {
            out += "let ";
            out += let->name.name;
            out += " = ";
            value(let->val);
            out += '\n';
        } else if (auto* b = boost::get<ast::block>(&i.get())) {
            out += b->name.name;
            out += " {\n";
            for (const auto& st : b->statements) {
                out += "  ";
                statement(st);
                out += '\n';
            }
            out += "}\n";
        } else if (auto* t = boost::get<ast::tuples>(&i.get())) {
            out += "tuples (";
            for (std::size_t k = 0; k < t->axes.size(); ++k) {
                if (k) out += ", ";
                out += t->axes[k].name;
            }
            out += ") {\n";
            for (const auto& row : t->rows) {
                out += "  (";
                scalars(row.items);
                out += ")\n";
            }
            out += "}\n";
        } else {
            out += "where ";
            expr(boost::get<ast::where_clause>(i.get()).condition);
            out += '\n';
        }
    }

    void statement(const ast::statement& st) {
        out += st.head.name;
        if (st.positional) {
            out += ' ';
            value(*st.positional);
        }
        for (const auto& opt : st.options) {
            out += ' ';
            out += opt.key.name;
            out += ' ';
            value(opt.val);
        }
    }

    void quoted(const std::string& text) {
        out += '"';
        for (char c : text) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\t': out += "\\t"; break;
                default: out += c;
            }
        }
        out += '"';
    }

    void scalar(const ast::scalar& s) {
        if (auto* n = boost::get<ast::number>(&s.get()))
            out += n->text;
        else if (auto* id = boost::get<ast::identifier>(&s.get()))
            out += id->name;
        else
            quoted(boost::get<ast::string_lit>(s.get()).text);
    }

    void scalars(const std::vector<ast::scalar>& items) {
        for (std::size_t k = 0; k < items.size(); ++k) {
            if (k) out += ", ";
            scalar(items[k]);
        }
    }

    void value(const ast::value& v) {
        if (auto* s = boost::get<ast::scalar>(&v.get())) {
            scalar(*s);
        } else if (auto* set = boost::get<ast::value_set>(&v.get())) {
            out += '{';
            scalars(set->items);
            out += '}';
        } else if (auto* r = boost::get<ast::linear_range>(&v.get())) {
            range(r->lo, r->hi, " step ", r->step);
        } else if (auto* l = boost::get<ast::log_range>(&v.get())) {
            range(l->lo, l->hi, " log ", l->count);
        } else {
            const auto& d = boost::get<ast::dims>(v.get());
            for (std::size_t k = 0; k < d.sizes.size(); ++k) {
                if (k) out += " x ";
                out += d.sizes[k].text;
            }
        }
    }

    void range(const ast::number& lo, const ast::number& hi, const char* kind, const ast::number& third) {
        out += lo.text;
        out += "..";
        out += hi.text;
        out += kind;
        out += third.text;
    }

    ///////////////////////////////////////////////////////////////////////////
    // Expressions. Binding strength, loosest first, as in the grammar.
    ///////////////////////////////////////////////////////////////////////////
    enum strength : int { p_or = 1, p_and, p_not, p_cmp, p_sum, p_prod, p_neg, p_atom };

    static int strength_of_op(const std::string& op) {
        if (op == "or") return p_or;
        if (op == "and") return p_and;
        if (op == "+" || op == "-") return p_sum;
        if (op == "*" || op == "/" || op == "%") return p_prod;
        return p_cmp;
    }

    static int strength_of(const ast::expr& e) {
        return e.rest.empty() ? strength_of(e.first) : strength_of_op(e.rest.front().op);
    }

    static int strength_of(const ast::operand& o) {
        if (auto* u = boost::get<x3::forward_ast<ast::unary_op>>(&o.get()))
            return u->get().op == "not" ? p_not : p_neg;
        if (auto* e = boost::get<x3::forward_ast<ast::expr>>(&o.get())) return strength_of(e->get());
        return p_atom;
    }

    // `o` where the grammar needs at least `needed`: parenthesised when it binds looser.
    void operand_at(const ast::operand& o, int needed) {
        bool const parens = strength_of(o) < needed;
        if (parens) out += '(';
        operand(o);
        if (parens) out += ')';
    }

    void operand(const ast::operand& o) {
        if (auto* n = boost::get<ast::number>(&o.get())) {
            out += n->text;
        } else if (auto* id = boost::get<ast::identifier>(&o.get())) {
            out += id->name;
        } else if (auto* e = boost::get<x3::forward_ast<ast::expr>>(&o.get())) {
            expr(e->get());
        } else {
            const ast::unary_op& u = boost::get<x3::forward_ast<ast::unary_op>>(o.get()).get();
            if (u.op == "not") {
                out += "not ";
                operand_at(u.rhs, p_not);  // not_expr := "not" not_expr | cmp
            } else {
                out += u.op;
                std::size_t const mark = out.size();
                operand_at(u.rhs, p_neg);  // unary := "-" unary | primary
                if (out.size() > mark && out[mark] == '-') out.insert(mark, 1, ' ');  // - -a, not --a
            }
        }
    }

    void expr(const ast::expr& e) {
        if (e.rest.empty()) {
            operand(e.first);
            return;
        }
        // A chain of one level is a left fold: an operand of the same level (or a looser
        // one) needs parentheses on either side, `(a + b) + c` and `a - (b - c)` alike.
        int const level = strength_of_op(e.rest.front().op);
        operand_at(e.first, level + 1);
        for (const auto& op : e.rest) {
            out += ' ';
            out += op.op;
            out += ' ';
            operand_at(op.rhs, level + 1);
        }
    }
};

}  // namespace

std::string print(const ast::study_file& file) {
    printer p;
    p.file(file);
    return std::move(p.out);
}

}  // namespace hps
