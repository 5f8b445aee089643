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
// parentheses that re-parsing needs to give back the same tree.
//
// Comments are not in the AST; print(file, src) puts them back from the source text by
// position: a comment on a line of its own goes before the next item or statement (at
// its indentation, with a blank line after it when the source had one before that item),
// a comment after code goes at the end of that code's printed line ("  # ..."), and so
// does a comment inside a multi-line value or expression; a printed line that has one
// already is followed by the others on lines of their own. Trailing comments of
// consecutive lines of one block start in one column (align_trailing). None is dropped
// or merged, whatever the layout, and fmt of fmt's output changes nothing (tests/grammar).
#include "dsl/printer.hpp"

#include "dsl/chars.hpp"

#include <boost/variant/get.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace hps {

namespace {

// Everything appends to one output string (no temporaries, and none of GCC 12's
// -Wrestrict false positives on "literal" + std::string).
// The comments of a source text: [begin, end) of each, from '#' to the end of its line
// (as the grammar's skipper reads them: not inside strings).
struct comment {
    std::size_t begin, end;
    bool own_line;  // nothing but blanks before it on its line
};

using chars::is_blank;
using chars::is_newline;

std::vector<comment> find_comments(const std::string& text) {
    std::vector<comment> out;
    bool code_on_line = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (is_newline(c)) {
            code_on_line = false;
        } else if (c == '"') {
            code_on_line = true;
            for (++i; i < text.size() && text[i] != '"' && !is_newline(text[i]); ++i)
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
            if (i < text.size() && is_newline(text[i])) --i;  // an unterminated string ends at the line
        } else if (c == '#') {
            std::size_t end = i;
            while (end < text.size() && !is_newline(text[end])) ++end;
            std::size_t trimmed = end;
            while (trimmed > i && is_blank(text[trimmed - 1])) --trimmed;
            out.push_back({i, trimmed, !code_on_line});
            i = end - 1;
        } else if (!is_blank(c)) {
            code_on_line = true;
        }
    }
    return out;
}

class printer {
public:
    std::string out;

    explicit printer(const source* src = nullptr) : src_(src) {
        if (src_) comments_ = find_comments(src_->text());
    }

    void file(const ast::study_file& f) {
        flush_before(where(f.name).first, "", true);
        out += "study ";
        out += f.name.name;
        if (f.description) {
            out += ' ';
            quoted(f.description->text);
        }
        trailing(f.description ? where(*f.description).second : where(f.name).second);
        newline("");
        for (const auto& i : f.items) {
            out += '\n';
            item(i);
        }
        flush_before(std::string::npos, "");
    }

private:
    void item(const ast::item& i) {
        if (auto* let = boost::get<ast::let_axis>(&i.get())) {
            flush_before(where(*let).first, "", true);
            out += "let ";
            out += let->name.name;
            out += " = ";
            value(let->val);
            trailing(content_end(where(*let).second));
            newline("");
        } else if (auto* b = boost::get<ast::block>(&i.get())) {
            auto const [first, last] = where(*b);
            flush_before(first, "", true);
            out += b->name.name;
            out += " {";
            trailing(src_ ? src_->text().find('{', where(b->name).second) : npos);
            newline("  ");
            for (const auto& st : b->statements) {
                auto const [sfirst, slast] = where(st);
                flush_before(sfirst, "  ");
                out += "  ";
                statement(st);
                trailing(content_end(slast));
                newline("  ");
            }
            close(last);
        } else if (auto* t = boost::get<ast::tuples>(&i.get())) {
            auto const [first, last] = where(*t);
            flush_before(first, "", true);
            out += "tuples (";
            for (std::size_t k = 0; k < t->axes.size(); ++k) {
                if (k) out += ", ";
                out += t->axes[k].name;
            }
            out += ") {";
            if (src_ && !t->axes.empty())
                trailing(src_->text().find('{', where(t->axes.back()).second),
                         t->rows.empty() ? npos : where(t->rows.front()).first);
            newline("  ");
            for (const auto& row : t->rows) {
                auto const [rfirst, rlast] = where(row);
                flush_before(rfirst, "  ");
                out += "  (";
                scalars(row.items);
                out += ')';
                trailing(rlast);
                newline("  ");
            }
            close(last);
        } else {
            auto const& w = boost::get<ast::where_clause>(i.get());
            flush_before(where(w).first, "", true);
            out += "where ";
            expr(w.condition);
            trailing(content_end(where(w).second));
            newline("");
        }
    }

    ///////////////////////////////////////////////////////////////////////////
    // Comments, by source position (nothing to do without a source).
    ///////////////////////////////////////////////////////////////////////////
    static constexpr std::size_t npos = std::string::npos;

    // [first, last) of a tagged node in the source text; npos when it has no position.
    std::pair<std::size_t, std::size_t> where(const x3::position_tagged& node) const {
        if (!src_ || node.id_first < 0) return {npos, npos};
        auto const range = src_->positions().position_of(node);
        return {std::size_t(range.begin() - src_->begin()), std::size_t(range.end() - src_->begin())};
    }

    bool in_comment(std::size_t pos) const {
        return std::any_of(comments_.begin(), comments_.end(),
                           [&](const comment& c) { return c.begin <= pos && pos < c.end + 1; });
    }

    // The end of the code of a node whose range runs on over its line's end (and over
    // the comment before it).
    std::size_t content_end(std::size_t last) const {
        if (last == npos) return npos;
        const std::string& text = src_->text();
        while (last > 0) {
            char const c = text[last - 1];
            if (is_blank(c) || is_newline(c) || in_comment(last - 1))
                --last;
            else
                break;
        }
        return last;
    }

    // Before a node at `pos`: the comments before it, each on its own line.
    void flush_before(std::size_t pos, const char* indent, bool top_level = false) {
        if (!src_) return;
        const std::string& text = src_->text();
        std::size_t emitted_end = npos;
        while (next_ < comments_.size() && comments_[next_].begin < pos) {
            const comment& c = comments_[next_++];
            out += indent;
            out.append(text, c.begin, c.end - c.begin);
            out += '\n';
            emitted_end = c.end;
        }
        // a blank line between the last comment and a top-level item stays
        if (top_level && emitted_end != npos && pos != npos && blank_line_between(emitted_end, pos)) out += '\n';
    }

    // After code that ends at `pos` (whose line is being printed): the comments up to the
    // end of pos's line (and before `stop`), joined at the end of the printed line.
    void trailing(std::size_t pos, std::size_t stop = npos) {
        if (!src_ || pos == npos) return;
        const std::string& text = src_->text();
        std::size_t limit = pos;
        while (limit < text.size() && limit < stop && !is_newline(text[limit])) ++limit;
        while (next_ < comments_.size() && comments_[next_].begin < limit) {
            const comment& c = comments_[next_++];
            if (pending_.empty() && !line_has_comment_) {
                trailing_at_.push_back(out.size());
                out += "  ";
                out.append(text, c.begin, c.end - c.begin);
                line_has_comment_ = true;
            } else {
                pending_.push_back(c);  // a comment runs to the end of the line: one per line
            }
        }
    }

    // Ends the printed line; comments that did not fit on it follow on lines of their own.
    void newline(const char* indent) {
        out += '\n';
        line_has_comment_ = false;
        for (const comment& c : pending_) {
            out += indent;
            out.append(src_->text(), c.begin, c.end - c.begin);
            out += '\n';
        }
        pending_.clear();
    }

    // The closing brace of a block or tuples item that ends at `last`.
    void close(std::size_t last) {
        std::size_t const brace = content_end(last) == npos ? npos : content_end(last) - 1;
        flush_before(brace, "  ");
        out += '}';
        trailing(brace);
        newline("");
    }

    bool blank_line_between(std::size_t from, std::size_t to) const {
        const std::string& text = src_->text();
        int newlines = 0;
        for (std::size_t i = from; i < to && i < text.size(); ++i) {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')))
                ++newlines;
            else if (!is_blank(text[i]) && text[i] != '\r')
                newlines = 0;
            if (newlines >= 2) return true;
        }
        return false;
    }

    const source* src_ = nullptr;
    std::vector<comment> comments_;
    std::size_t next_ = 0;  // the first comment not printed yet
    std::vector<comment> pending_;  // trailing comments beyond the first of the line being printed
    bool line_has_comment_ = false;
    std::vector<std::size_t> trailing_at_;  // where in `out` each trailing comment's line's code ends

public:
    // Trailing comments on consecutive lines of one block start in one column, two spaces
    // after the longest code among those lines (as gofmt aligns them); a line without one,
    // a blank line or another indentation (a block's opening line) ends the run. Widths
    // count characters (UTF-8 code points), not bytes.
    void align_trailing() {
        struct mark {
            std::size_t at, line, width, indent;
        };
        std::vector<mark> marks;
        std::size_t line = 0, line_start = 0, scanned = 0;
        for (std::size_t at : trailing_at_) {
            for (; scanned < at; ++scanned)
                if (out[scanned] == '\n') ++line, line_start = scanned + 1;
            std::size_t width = 0, indent = 0;
            for (std::size_t i = line_start; i < at; ++i) width += (static_cast<unsigned char>(out[i]) & 0xC0) != 0x80;
            while (line_start + indent < at && out[line_start + indent] == ' ') ++indent;
            marks.push_back({at, line, width, indent});
        }
        // from the last run backwards, so that the earlier positions stay valid
        for (std::size_t end = marks.size(); end > 0;) {
            std::size_t begin = end - 1;
            while (begin > 0 && marks[begin - 1].line + 1 == marks[begin].line &&
                   marks[begin - 1].indent == marks[begin].indent)
                --begin;
            std::size_t column = 0;
            for (std::size_t i = begin; i < end; ++i) column = std::max(column, marks[i].width);
            for (std::size_t i = end; i-- > begin;) out.insert(marks[i].at, column - marks[i].width, ' ');
            end = begin;
        }
        trailing_at_.clear();
    }

private:

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
        } else if (auto* dist = boost::get<ast::distribution>(&v.get())) {
            out += dist->kind + " " + dist->lo.text + ".." + dist->hi.text;
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

std::string print(const ast::study_file& file, const source& src) {
    printer p(&src);
    p.file(file);
    p.align_trailing();
    return std::move(p.out);
}

}  // namespace hps
