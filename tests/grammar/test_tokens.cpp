// Tricky tokens and small constructs, one at a time.
#include "grammar/error_handler.hpp"
#include "parser_test_util.hpp"

#include <doctest/doctest.h>

using hps::test::dump;
using hps::test::parse_text;

namespace {

// The dump of a block holding the one statement `line`.
std::string statement(const std::string& line) {
    auto p = parse_text("study s\nb {\n  " + line + "\n}\n");
    REQUIRE_MESSAGE(p.ok, p.errors());
    REQUIRE(p.file.items.size() == 1);
    return boost::apply_visitor(hps::test::item_dumper{}, p.file.items[0].get());
}

// The dump of the value of `let v = text`.
std::string value(const std::string& text) {
    auto p = parse_text("study s\nlet v = " + text + "\n");
    REQUIRE_MESSAGE(p.ok, p.errors());
    REQUIRE(p.file.items.size() == 1);
    return dump(boost::get<hps::ast::let_axis>(p.file.items[0].get()).val);
}

// The dump of the condition of `where text`.
std::string condition(const std::string& text) {
    auto p = parse_text("study s\nwhere " + text + "\n");
    REQUIRE_MESSAGE(p.ok, p.errors());
    REQUIRE(p.file.items.size() == 1);
    return dump(boost::get<hps::ast::where_clause>(p.file.items[0].get()).condition);
}

// The message of the error for `text` (after a header line).
std::string error_of(const std::string& text) {
    auto p = parse_text("study s\n" + text);
    CHECK_FALSE(p.ok);
    REQUIRE(p.diags.items().size() == 1);
    return p.diags.items()[0].message;
}

bool parses(const std::string& text) { return parse_text(text).ok; }

}  // namespace

TEST_SUITE("tokens") {

TEST_CASE("ranges: an integer before '..' is not swallowed as a real (Boost 1.74 double_ trap)") {
    CHECK(value("128..1024 step 128") == "(range (num 128 128 int) (num 1024 1024 int) step (num 128 128 int))");
    CHECK(value("0.5..2.5 step 0.5") == "(range (num 0.5 0.5) (num 2.5 2.5) step (num 0.5 0.5))");
    CHECK(value("0.1..0.5 step 0.1") == "(range (num 0.1 0.1) (num 0.5 0.5) step (num 0.1 0.1))");
    CHECK(value("1e-5..1e-2 log 4") == "(logrange (num 1e-5 1e-05) (num 1e-2 0.01) log (num 4 4 int))");
    CHECK(value("loguniform 1e-5..1e-2") == "(loguniform (num 1e-5 1e-05) (num 1e-2 0.01))");
    CHECK(value("uniform 0..0.5") == "(uniform (num 0 0 int) (num 0.5 0.5))");
    CHECK(value("uniform") == "uniform");  // a name where no range follows
    CHECK(value("128 .. 1024 step 128") == value("128..1024 step 128"));
    CHECK(value("-3..3 step 1") == "(range (num -3 -3 int) (num 3 3 int) step (num 1 1 int))");
    CHECK(value("1/255..1 step 1/255") ==
          "(range (num 1/255 0.00392157) (num 1 1 int) step (num 1/255 0.00392157))");
}

TEST_CASE("numbers keep their text") {
    CHECK(value("-3") == "(num -3 -3 int)");
    CHECK(value("0.25") == "(num 0.25 0.25)");
    CHECK(value("1e-5") == "(num 1e-5 1e-05)");
    CHECK(value("2.5E+3") == "(num 2.5E+3 2500)");
    CHECK(value("007") == "(num 007 7 int)");
    CHECK(value("1/255") == "(num 1/255 0.00392157)");
    CHECK(value("-1/2") == "(num -1/2 -0.5)");
}

TEST_CASE("ratios") {
    auto p = parse_text("study s\nlet v = 1/255\n");
    REQUIRE(p.ok);
    const auto& n = boost::get<hps::ast::number>(
        boost::get<hps::ast::scalar>(boost::get<hps::ast::let_axis>(p.file.items[0].get()).val.get()).get());
    CHECK(n.text == "1/255");
    CHECK_FALSE(n.is_integer);
    CHECK(n.value == doctest::Approx(1.0 / 255));
    CHECK(error_of("let v = 1/0\n") == "expected a non-zero denominator, found '0'");
}

TEST_CASE("dims with and without blanks") {
    CHECK(value("28x28x1") == "(dims (num 28 28 int) (num 28 28 int) (num 1 1 int))");
    CHECK(value("28 x 28 x 1") == value("28x28x1"));
    CHECK(value("28 x28") == "(dims (num 28 28 int) (num 28 28 int))");
    CHECK(statement("input 28 x 28 x 1") == "(block b (input pos=(dims (num 28 28 int) (num 28 28 int) (num 1 1 int))))");
    CHECK(error_of("let v = 28 x\n") == "expected a size after 'x', a whole number (28 x 28 x 1), found the end of the line");
}

TEST_CASE("identifiers with dots, keywords as prefixes") {
    CHECK(value("conv2d1.filters") == "conv2d1.filters");
    CHECK(value("_private") == "_private");
    CHECK(value("stepsize") == "stepsize");
    CHECK(value("logits") == "logits");
    CHECK(value("xavier") == "xavier");
    CHECK(value("notes") == "notes");
    CHECK(value("order") == "order");
    CHECK(value("andrew") == "andrew");
    CHECK(value("studying") == "studying");
    CHECK(value("letter") == "letter");
    CHECK(value("x1") == "x1");
    CHECK(statement("init xavier stepsize 2 logits 3") == "(block b (init pos=xavier stepsize=(num 2 2 int) logits=(num 3 3 int)))");
    CHECK(error_of("let step = 3\n") ==
          "expected the axis name after 'let' (let act = {relu, elu}), found the keyword 'step'");
    // a block may be named like a keyword prefix
    CHECK(parses("study s\nletters {\n}\n"));
    CHECK(parses("study s\nwherever {\n}\n"));
}

TEST_CASE("strings and escapes") {
    CHECK(value(R"("a \"b\" \\ \n \t c")") == "(str \"a \"b\" \\ \n \t c\")");
    CHECK(value(R"("# not a comment")") == "(str \"# not a comment\")");
    CHECK(value(R"("")") == "(str \"\")");
    CHECK(error_of("let v = \"abc\n") ==
          "expected '\"' to close the string (a string ends on its line), found the end of the line");
    CHECK(error_of("let v = \"a\\qb\"\n") == "expected an escape after '\\': \\\" \\\\ \\n or \\t, found 'qb'");
}

TEST_CASE("statement: the number of values decides the positional value") {
    CHECK(statement("optimizer adam lr 1e-5") == "(block b (optimizer pos=adam lr=(num 1e-5 1e-05)))");
    CHECK(statement("dense units 2") == "(block b (dense units=(num 2 2 int)))");
    CHECK(statement("maxpool 2 stride 2") == "(block b (maxpool pos=(num 2 2 int) stride=(num 2 2 int)))");
    CHECK(statement("within 0.20 as acc20") == "(block b (within pos=(num 0.20 0.2) as=acc20))");
    CHECK(statement("loss mse") == "(block b (loss pos=mse))");
    CHECK(statement("mse") == "(block b (mse))");
    CHECK(statement("conv2d filters {8, 16, 32} kernel {3, 5} padding same") ==
          "(block b (conv2d filters=(set (num 8 8 int) (num 16 16 int) (num 32 32 int)) "
          "kernel=(set (num 3 3 int) (num 5 5 int)) padding=same))");
    CHECK(statement("dense units 128..1024 step 128 activation relu") ==
          "(block b (dense units=(range (num 128 128 int) (num 1024 1024 int) step (num 128 128 int)) "
          "activation=relu))");
    CHECK(statement("train \"data/x.npz\"") == "(block b (train pos=(str \"data/x.npz\")))");
    CHECK(error_of("b {\n  conv2d filters 8 kernel\n}\n") == "expected a value after 'kernel', found the end of the line");
    CHECK(error_of("b {\n  conv2d 8 3 kernel 3\n}\n") ==
          "expected an option name (options are name value pairs, like units 128), found '8'");
}

TEST_CASE("sets span lines and hold comments") {
    CHECK(value("{relu,\n  elu, # the smooth one\n  softplus\n}") == "(set relu elu softplus)");
    CHECK(value("{ \"a\" , 1 , b }") == "(set (str \"a\") (num 1 1 int) b)");
    CHECK(error_of("let v = {}\n") == "expected a number, name or string in the set, found '}'");
    CHECK(error_of("let v = {1, 2,}\n") == "expected a number, name or string in the set, found '}'");
}

TEST_CASE("where: precedence, associativity and parentheses") {
    CHECK(condition("a") == "[a]");
    CHECK(condition("a or b and c") == "[a or [b and c]]");
    CHECK(condition("a and b or c") == "[[a and b] or c]");
    CHECK(condition("not a == b") == "[(not [a == b])]");
    CHECK(condition("n2 >= 2 * n1 and not (w1 == 5 and w2 == 5)") ==
          "[[n2 >= [(num 2 2 int) * n1]] and (not [[w1 == (num 5 5 int)] and [w2 == (num 5 5 int)]])]");
    CHECK(condition("a - b - c") == "[a - b - c]");
    CHECK(condition("a - (b - c)") == "[a - [b - c]]");
    CHECK(condition("(a - b) - c") == "[[a - b] - c]");
    CHECK(condition("-a * -3") == "[(- a) * (- (num 3 3 int))]");
    CHECK(condition("x1 / 1 / 2") == "[x1 / (num 1 1 int) / (num 2 2 int)]");
    CHECK(condition("a % 2 == 0") == "[[a % (num 2 2 int)] == (num 0 0 int)]");
    CHECK(condition("((a))") == "[a]");
    CHECK(condition("(a or\n  b) and c") == "[[a or b] and c]");
    CHECK(condition("a != b or a <= b or a > b or a < b") ==
          "[[a != b] or [a <= b] or [a > b] or [a < b]]");
    CHECK(error_of("where a < b < c\n") ==
          "expected an operator or the end of the line after the condition, found '<'");
    CHECK(error_of("where a >=\n") == "expected an expression after the comparison, found the end of the line");
    CHECK(error_of("where (a > 1\n") == "expected an operator or ')' to close the parenthesis, found the end of the file");
}

TEST_CASE("nesting is capped with a clear error") {
    std::string ok_deep = std::string(hps::parser::error_handler::max_nesting, '(') + "a" +
                          std::string(hps::parser::error_handler::max_nesting, ')');
    CHECK(parses("study s\nwhere " + ok_deep + "\n"));
    std::string deep = std::string(1000, '(') + "a" + std::string(1000, ')');
    CHECK(error_of("where " + deep + "\n").find("at most 64 levels of nested parentheses") != std::string::npos);
    std::string nots;
    for (int i = 0; i < 5000; ++i) nots += "not ";
    CHECK(error_of("where " + nots + "a\n").find("at most 64 levels") != std::string::npos);
    CHECK(error_of("where " + std::string(5000, '-') + "a\n").find("at most 64 levels") != std::string::npos);
}

TEST_CASE("layout: blank lines, comments, CRLF, BOM, no final newline") {
    CHECK(parses("study s"));
    CHECK(parses("\n\n# comment\n  \nstudy s # trailing\n\n"));
    CHECK(parses("study s\r\nb {\r\n  dense units 2\r\n}\r\n"));
    CHECK(parses("\xEF\xBB\xBFstudy s\n"));
    CHECK(parses("study s\nb {\n  dense units 2\n}"));
    CHECK(parses("study s\nb {\n  dense units 2 # comment\n  # comment\n\n}\n"));
    CHECK(parses("study s\nb {\n}\n"));
    CHECK(parses("study s\ntuples (a, b) {\n}\n"));
    CHECK(parses("study s\ntuples (a,\n b) { (1, 2) (3, 4)\n (5,\n 6) }\n"));
}

TEST_CASE("the header") {
    auto empty = parse_text("", "empty.hps");
    CHECK_FALSE(empty.ok);
    CHECK(hps::format(empty.diags) ==
          "empty.hps:1:1: error: expected the header line 'study NAME \"description\"' at the start of the file, "
          "found the end of the file\n  \n  ^\n");
    auto second = parse_text("study a\nstudy b\n");
    CHECK_FALSE(second.ok);
    CHECK(second.diags.items()[0].message ==
          "expected a block (NAME {), a let, tuples or where line, or the end of the file, found the keyword 'study'");
    auto p = parse_text("study cyplam \"MWIR \\\"frames\\\"\"\n");
    REQUIRE(p.ok);
    CHECK(dump(p.file) == "(study cyplam (str \"MWIR \"frames\"\"))");
}

TEST_CASE("parse starts from an empty AST") {
    hps::source src("reuse.hps", "study s\nlet a = 1\n");
    hps::ast::study_file file;
    hps::diagnostics diags;
    REQUIRE(hps::parse(src, file, diags));
    REQUIRE(hps::parse(src, file, diags));
    CHECK(file.items.size() == 1);
}

// Every node of a parsed AST carries a position, so the checker can blame any of them.
// (An operand may instead rely on what it holds: the number, name or expression.)
struct tag_walker {
    std::vector<std::string> missing;
    void need(const boost::spirit::x3::position_tagged& n, const char* what) {
        if (n.id_first < 0) missing.push_back(what);
    }
    void number(const hps::ast::number& n) { need(n, "number"); }
    void scalar(const hps::ast::scalar& s) {
        need(s, "scalar");
        if (auto* n = boost::get<hps::ast::number>(&s.get())) number(*n);
        if (auto* id = boost::get<hps::ast::identifier>(&s.get())) need(*id, "identifier");
        if (auto* str = boost::get<hps::ast::string_lit>(&s.get())) need(*str, "string_lit");
    }
    void value(const hps::ast::value& v) {
        need(v, "value");
        if (auto* s = boost::get<hps::ast::scalar>(&v.get())) scalar(*s);
        if (auto* set = boost::get<hps::ast::value_set>(&v.get())) {
            need(*set, "value_set");
            for (const auto& i : set->items) scalar(i);
        }
        if (auto* r = boost::get<hps::ast::linear_range>(&v.get())) {
            need(*r, "linear_range");
            number(r->lo), number(r->hi), number(r->step);
        }
        if (auto* r = boost::get<hps::ast::log_range>(&v.get())) {
            need(*r, "log_range");
            number(r->lo), number(r->hi), number(r->count);
        }
        if (auto* d = boost::get<hps::ast::dims>(&v.get())) {
            need(*d, "dims");
            for (const auto& n : d->sizes) number(n);
        }
    }
    void operand(const hps::ast::operand& o) {
        namespace x3 = boost::spirit::x3;
        if (auto* n = boost::get<hps::ast::number>(&o.get())) number(*n);
        if (auto* id = boost::get<hps::ast::identifier>(&o.get())) need(*id, "identifier");
        if (auto* u = boost::get<x3::forward_ast<hps::ast::unary_op>>(&o.get())) {
            need(u->get(), "unary_op");
            operand(u->get().rhs);
        }
        if (auto* e = boost::get<x3::forward_ast<hps::ast::expr>>(&o.get())) expr(e->get());
    }
    void expr(const hps::ast::expr& e) {
        need(e, "expr");
        operand(e.first);
        for (const auto& op : e.rest) {
            need(op, "binary_op");
            operand(op.rhs);
        }
    }
    void file(const hps::ast::study_file& f) {
        need(f, "study_file");
        need(f.name, "identifier");
        if (f.description) need(*f.description, "string_lit");
        for (const auto& item : f.items) {
            need(item, "item");
            if (auto* let = boost::get<hps::ast::let_axis>(&item.get())) {
                need(*let, "let_axis"), need(let->name, "identifier"), value(let->val);
            } else if (auto* b = boost::get<hps::ast::block>(&item.get())) {
                need(*b, "block"), need(b->name, "identifier");
                for (const auto& st : b->statements) {
                    need(st, "statement"), need(st.head, "identifier");
                    if (st.positional) value(*st.positional);
                    for (const auto& o : st.options) need(o, "option"), need(o.key, "identifier"), value(o.val);
                }
            } else if (auto* t = boost::get<hps::ast::tuples>(&item.get())) {
                need(*t, "tuples");
                for (const auto& a : t->axes) need(a, "identifier");
                for (const auto& r : t->rows) {
                    need(r, "tuple_row");
                    for (const auto& i : r.items) scalar(i);
                }
            } else {
                const auto& w = boost::get<hps::ast::where_clause>(item.get());
                need(w, "where_clause"), expr(w.condition);
            }
        }
    }
};

TEST_CASE("every node of the golden specs carries a position") {
    for (const auto& path : hps::test::golden_specs("fmt")) {
        CAPTURE(path.string());
        auto p = parse_text(hps::test::read_file(path));
        REQUIRE(p.ok);
        tag_walker w;
        w.file(p.file);
        CHECK(w.missing.empty());
        if (!w.missing.empty()) MESSAGE("untagged: " << w.missing.front());
    }
}

TEST_CASE("positions are recorded for the checker") {
    auto p = parse_text("study s\nnetwork {\n  dense units 128..1024 step 128\n}\nwhere a > 2\n");
    REQUIRE(p.ok);
    const auto& b = boost::get<hps::ast::block>(p.file.items[0].get());
    auto at = [&](const boost::spirit::x3::position_tagged& node) {
        auto d = p.src->locate(hps::severity::error, node, "m");
        return std::to_string(d.line) + ":" + std::to_string(d.column) + "+" + std::to_string(d.length);
    };
    CHECK(at(b) == "2:1+9");  // a located range is cut at the end of its first line
    CHECK(at(b.name) == "2:1+7");
    CHECK(at(b.statements[0]) == "3:3+30");
    CHECK(at(b.statements[0].head) == "3:3+5");
    CHECK(at(b.statements[0].options[0]) == "3:9+24");
    CHECK(at(b.statements[0].options[0].key) == "3:9+5");
    CHECK(at(b.statements[0].options[0].val) == "3:15+18");
    const auto& r = boost::get<hps::ast::linear_range>(b.statements[0].options[0].val.get());
    CHECK(at(r) == "3:15+18");
    CHECK(at(r.hi) == "3:20+4");
    CHECK(at(r.step) == "3:30+3");
    const auto& w = boost::get<hps::ast::where_clause>(p.file.items[1].get());
    CHECK(at(w) == "5:1+11");
    CHECK(at(w.condition) == "5:7+5");
    CHECK(at(p.file.name) == "1:7+1");
}

}  // TEST_SUITE
