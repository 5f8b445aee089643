// Helpers shared by the parser tests: parse a string, dump an AST as an S-expression
// (every field but positions, so two dumps are equal exactly when the ASTs are), list
// and read golden files (tests/support/golden.hpp compares them).
#pragma once

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/printer.hpp"
#include "grammar/parse.hpp"

#include <boost/variant/apply_visitor.hpp>
#include <boost/variant/get.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace hps::test {

struct parsed {
    std::unique_ptr<source> src;
    ast::study_file file;
    diagnostics diags;
    bool ok = false;
    std::string errors() const { return format(diags); }
};

inline parsed parse_text(std::string text, std::string path = "test.hps") {
    parsed p;
    p.src = std::make_unique<source>(std::move(path), std::move(text));
    p.ok = parse(*p.src, p.file, p.diags);
    return p;
}

// The comments of a .hps text, '#' to the end of the line, outside strings, trailing
// blanks dropped: a second reading, independent of hps::print's, for "fmt keeps every
// comment, in order".
inline std::vector<std::string> comments_of(const std::string& text) {
    std::vector<std::string> out;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (c == '\n' || c == '\r') {
            in_string = false;
        } else if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '#') {
            std::size_t end = text.find_first_of("\r\n", i);
            if (end == std::string::npos) end = text.size();
            std::string comment = text.substr(i, end - i);
            while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\t')) comment.pop_back();
            out.push_back(comment);
            i = end - 1;
        }
    }
    return out;
}

// S-expression dump
inline std::string dump(const ast::number& n) {
    std::ostringstream out;
    out << "(num " << n.text << " " << n.value << (n.is_integer ? " int" : "") << ")";
    return out.str();
}
inline std::string dump(const ast::identifier& id) { return id.name; }
inline std::string dump(const ast::string_lit& s) { return "(str \"" + s.text + "\")"; }
inline std::string dump(const ast::scalar& s) {
    if (auto* n = boost::get<ast::number>(&s.get())) return dump(*n);
    if (auto* id = boost::get<ast::identifier>(&s.get())) return dump(*id);
    return dump(boost::get<ast::string_lit>(s.get()));
}
inline std::string dump_list(const std::vector<ast::scalar>& items) {
    std::string out;
    for (const auto& i : items) out += " " + dump(i);
    return out;
}
struct value_dumper {
    using result_type = std::string;
    std::string operator()(const ast::scalar& s) const { return dump(s); }
    std::string operator()(const ast::value_set& s) const { return "(set" + dump_list(s.items) + ")"; }
    std::string operator()(const ast::linear_range& r) const {
        return "(range " + dump(r.lo) + " " + dump(r.hi) + " step " + dump(r.step) + ")";
    }
    std::string operator()(const ast::log_range& r) const {
        return "(logrange " + dump(r.lo) + " " + dump(r.hi) + " log " + dump(r.count) + ")";
    }
    std::string operator()(const ast::distribution& d) const {
        return "(" + d.kind + " " + dump(d.lo) + " " + dump(d.hi) + ")";
    }
    std::string operator()(const ast::dims& d) const {
        std::string out = "(dims";
        for (const auto& n : d.sizes) out += " " + dump(n);
        return out + ")";
    }
};
inline std::string dump(const ast::value& v) { return boost::apply_visitor(value_dumper{}, v.get()); }

inline std::string dump(const ast::expr& e);
inline std::string dump(const ast::operand& o) {
    if (auto* n = boost::get<ast::number>(&o.get())) return dump(*n);
    if (auto* id = boost::get<ast::identifier>(&o.get())) return dump(*id);
    if (auto* u = boost::get<x3::forward_ast<ast::unary_op>>(&o.get()))
        return "(" + u->get().op + " " + dump(u->get().rhs) + ")";
    return dump(boost::get<x3::forward_ast<ast::expr>>(o.get()).get());
}
inline std::string dump(const ast::expr& e) {
    std::string out = "[" + dump(e.first);
    for (const auto& op : e.rest) out += " " + op.op + " " + dump(op.rhs);
    return out + "]";
}

struct item_dumper {
    using result_type = std::string;
    std::string operator()(const ast::let_axis& l) const { return "(let " + dump(l.name) + " " + dump(l.val) + ")"; }
    std::string operator()(const ast::block& b) const {
        std::string out = "(block " + dump(b.name);
        for (const auto& st : b.statements) {
            out += " (" + dump(st.head);
            if (st.positional) out += " pos=" + dump(*st.positional);
            for (const auto& o : st.options) out += " " + dump(o.key) + "=" + dump(o.val);
            out += ")";
        }
        return out + ")";
    }
    std::string operator()(const ast::tuples& t) const {
        std::string out = "(tuples (";
        for (const auto& a : t.axes) out += " " + dump(a);
        out += ")";
        for (const auto& r : t.rows) out += " (" + dump_list(r.items) + ")";
        return out + ")";
    }
    std::string operator()(const ast::where_clause& w) const { return "(where " + dump(w.condition) + ")"; }
};

inline std::string dump(const ast::study_file& f) {
    std::string out = "(study " + dump(f.name);
    if (f.description) out += " " + dump(*f.description);
    for (const auto& i : f.items) out += "\n  " + boost::apply_visitor(item_dumper{}, i.get());
    return out + ")";
}

// golden files
inline std::filesystem::path golden_dir() { return std::filesystem::path(HPS_GOLDEN_DIR); }

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// NAME.hps files of a golden folder, sorted.
inline std::vector<std::filesystem::path> golden_specs(const std::string& folder) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(golden_dir() / folder))
        if (e.path().extension() == ".hps") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace hps::test
