// The .hps grammar (grammar/hps.ebnf is the same language for humans; keep them in step).
//
// Conventions:
//   - `>` commits once a keyword or an opening bracket has matched; `>>` only where
//     backtracking is legal (the alternatives of a value, a block name vs. a keyword).
//   - Whatever follows a `>` is a named rule, and its name is the words a user reads
//     after "expected" ("expected '}' to close the network block, found 'dens'").
//   - Newlines end statements, except inside { } sets, ( ) tuples rows and
//     parenthesised expressions, which parse under multiline[...].
//   - Rule IDs derive annotate_position, so each node's source range lands in
//     source::positions() for the checker to blame.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/ast_adapted.hpp"
#include "grammar/common.hpp"
#include "grammar/error_handler.hpp"
#include "grammar/hps.hpp"

#include <boost/spirit/home/x3.hpp>

#include <string>
#include <type_traits>
#include <vector>

namespace hps::parser {

namespace x3 = boost::spirit::x3;

///////////////////////////////////////////////////////////////////////////////
// Directives
///////////////////////////////////////////////////////////////////////////////

// multiline[p]: p parses with newlines skipped, as inside { } and ( ). An error inside
// is moved past the skipped newlines, so that it points at the offending token on the
// next line rather than at the end of the previous one.
template <typename Subject>
struct multiline_directive : x3::unary_parser<Subject, multiline_directive<Subject>> {
    using base_type = x3::unary_parser<Subject, multiline_directive<Subject>>;
    static bool const is_pass_through_unary = true;
    static bool const handles_container = Subject::handles_container;

    constexpr multiline_directive(Subject const& subject) : base_type(subject) {}

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
               Attribute& attr) const {
        using current_skipper =
            std::remove_cv_t<std::remove_reference_t<decltype(x3::get<x3::skipper_tag>(context))>>;
        try {
            // Already multi-line (parentheses inside parentheses): keep the context type,
            // so that recursion does not instantiate ever longer contexts.
            if constexpr (std::is_same_v<current_skipper, multiline_skipper>) {
                return this->subject.parse(first, last, context, rcontext, attr);
            } else {
                static constexpr multiline_skipper skipper{};
                return this->subject.parse(first, last, x3::make_context<x3::skipper_tag>(skipper, context),
                                           rcontext, attr);
            }
        } catch (x3::expectation_failure<Iterator> const& failure) {
            Iterator where = failure.where();
            while (multiline_skipper{}.parse(where, last, x3::unused, x3::unused, x3::unused)) {
            }
            if (where == failure.where()) throw;
            throw x3::expectation_failure<Iterator>(where, failure.which());
        }
    }
};

struct multiline_gen {
    template <typename Subject>
    constexpr multiline_directive<typename x3::extension::as_parser<Subject>::value_type> operator[](
        Subject const& subject) const {
        return {x3::as_parser(subject)};
    }
};
constexpr multiline_gen multiline{};

// nested[p]: one more level of expression nesting (parentheses, `not`, `-`); past
// error_handler::max_nesting the input is refused instead of overflowing the stack.
template <typename Subject>
struct nested_directive : x3::unary_parser<Subject, nested_directive<Subject>> {
    using base_type = x3::unary_parser<Subject, nested_directive<Subject>>;
    static bool const is_pass_through_unary = true;
    static bool const handles_container = Subject::handles_container;

    constexpr nested_directive(Subject const& subject) : base_type(subject) {}

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
               Attribute& attr) const {
        auto& handler = x3::get<x3::error_handler_tag>(context).get();
        if (handler.nesting >= error_handler::max_nesting) {
            Iterator where = first;
            x3::skip_over(where, last, context);
            throw x3::expectation_failure<Iterator>(
                where, "at most " + std::to_string(error_handler::max_nesting) +
                           " levels of nested parentheses, 'not' and '-' in an expression");
        }
        struct level {
            int& depth;
            explicit level(int& d) : depth(d) { ++depth; }
            ~level() { --depth; }
        } const guard(handler.nesting);
        return this->subject.parse(first, last, context, rcontext, attr);
    }
};

struct nested_gen {
    template <typename Subject>
    constexpr nested_directive<typename x3::extension::as_parser<Subject>::value_type> operator[](
        Subject const& subject) const {
        return {x3::as_parser(subject)};
    }
};
constexpr nested_gen nested{};

///////////////////////////////////////////////////////////////////////////////
// Rule IDs
///////////////////////////////////////////////////////////////////////////////

// Drops the precedence levels that hold no operator: `a` is an identifier, not an
// expression of an expression of ... an identifier. The where tree then has one expr
// node per operator chain, each chain of one precedence level (a left fold), and the
// printer can parenthesise it minimally.
inline void drop_empty_levels(ast::operand& operand) {
    while (auto* inner = boost::get<x3::forward_ast<ast::expr>>(&operand.get())) {
        if (!inner->get().rest.empty()) return;
        ast::operand first = std::move(inner->get().first);
        operand = std::move(first);
    }
}

inline void drop_empty_levels(ast::expr& e) {
    drop_empty_levels(e.first);
    for (auto& op : e.rest) drop_empty_levels(op.rhs);
    if (!e.rest.empty()) return;
    if (auto* inner = boost::get<x3::forward_ast<ast::expr>>(&e.first.get())) {
        ast::expr only = std::move(inner->get());
        e = std::move(only);
    }
}

inline void drop_empty_levels(ast::unary_op& u) { drop_empty_levels(u.rhs); }
inline void drop_empty_levels(ast::binary_op& b) { drop_empty_levels(b.rhs); }

// Expression rules: drop empty levels, then record the position.
struct expression_class {
    template <typename Node, typename Iterator, typename Context>
    void on_success(Iterator const& first, Iterator const& last, Node& node, Context const& context) const {
        drop_empty_levels(node);
        x3::get<x3::error_handler_tag>(context).get().tag(node, first, last);
    }
};

// The block name is remembered for "expected '}' to close the network block".
struct block_name_class {
    template <typename Iterator, typename Context>
    void on_success(Iterator const& first, Iterator const& last, ast::identifier& node,
                    Context const& context) const {
        auto& handler = x3::get<x3::error_handler_tag>(context).get();
        handler.tag(node, first, last);
        handler.block = node.name;
    }
};

// The top rule turns the first expectation failure into the diagnostic.
struct study_file_class : annotate_position {
    template <typename Iterator, typename Exception, typename Context>
    x3::error_handler_result on_error(Iterator&, Iterator const&, Exception const& failure,
                                      Context const& context) const {
        x3::get<x3::error_handler_tag>(context).get().expected(failure.where(), failure.which());
        return x3::error_handler_result::fail;
    }
};

// tokens and values
struct identifier_class : annotate_position {};
struct number_class : annotate_position {};
struct plain_number_class : annotate_position {};
struct integer_class : annotate_position {};
struct string_lit_class : annotate_position {};
struct scalar_class : annotate_position {};
struct step_word_class : annotate_position {};
struct value_set_class : annotate_position {};
struct set_body_class {};
struct set_item_class : annotate_position {};
struct set_close_class {};
struct log_range_class : annotate_position {};
struct log_count_class : annotate_position {};
struct linear_range_class : annotate_position {};
struct range_hi_class : annotate_position {};
struct range_kind_class {};
struct range_step_class : annotate_position {};
struct distribution_class : annotate_position {};
struct dist_hi_class : annotate_position {};
struct dims_class : annotate_position {};
struct dims_sizes_class {};
struct dims_size_class : annotate_position {};
struct value_class : annotate_position {};
// blocks and statements
struct statement_class : annotate_position {};
struct block_class : annotate_position {};
struct block_open_class {};
struct block_open_end_class {};
struct block_close_class {};
struct block_end_class {};
// let
struct let_axis_class : annotate_position {};
struct let_name_class : annotate_position {};
struct let_equals_class {};
struct let_end_class {};
// tuples
struct tuples_class : annotate_position {};
struct tuples_axes_class {};
struct axes_body_class {};
struct axis_name_class : annotate_position {};
struct axes_close_class {};
struct tuples_rows_class {};
struct rows_body_class {};
struct rows_close_class {};
struct tuple_row_class : annotate_position {};
struct row_body_class {};
struct row_item_class : annotate_position {};
struct row_close_class {};
struct tuples_end_class {};
// where
struct where_clause_class : annotate_position {};
struct condition_class : expression_class {};
struct where_end_class {};
struct or_expr_class : expression_class {};
struct or_tail_class : expression_class {};
struct and_expr_class : expression_class {};
struct and_tail_class : expression_class {};
struct not_expr_class : expression_class {};
struct not_op_class : expression_class {};
struct not_operand_class : expression_class {};
struct cmp_expr_class : expression_class {};
struct cmp_tail_class : expression_class {};
struct sum_expr_class : expression_class {};
struct sum_tail_class : expression_class {};
struct prod_expr_class : expression_class {};
struct prod_tail_class : expression_class {};
struct unary_expr_class : expression_class {};
struct neg_op_class : expression_class {};
struct neg_operand_class : expression_class {};
struct primary_class : expression_class {};
struct paren_class : expression_class {};
struct paren_body_class {};
struct close_paren_class {};
struct or_operand_class : expression_class {};
struct and_operand_class : expression_class {};
struct cmp_operand_class : expression_class {};
struct sum_operand_class : expression_class {};
struct prod_operand_class : expression_class {};
// the file
struct item_class : annotate_position {};
struct header_class {};
struct study_name_class : annotate_position {};
struct header_end_class {};
struct end_of_file_class {};

///////////////////////////////////////////////////////////////////////////////
// Rules
///////////////////////////////////////////////////////////////////////////////

// tokens
x3::rule<identifier_class, ast::identifier> const identifier = "a name";
x3::rule<number_class, ast::number> const number = "a number";
x3::rule<plain_number_class, ast::number> const plain_number = "a number";
x3::rule<integer_class, ast::number> const integer = "a whole number";
x3::rule<string_lit_class, ast::string_lit> const string_lit = "a string";

// values
x3::rule<scalar_class, ast::scalar> const scalar = "a number, name or string";
// the keyword `step` as a value (lr_schedule step ...): a range has taken it before
x3::rule<step_word_class, ast::identifier> const step_word = "a name";
x3::rule<value_set_class, ast::value_set> const value_set = "a set like {8, 16, 32}";
x3::rule<set_body_class, std::vector<ast::scalar>> const set_body = "a number, name or string in the set";
x3::rule<set_item_class, ast::scalar> const set_item = "a number, name or string in the set";
x3::rule<set_close_class> const set_close = "',' or '}' to close the set";
x3::rule<log_range_class, ast::log_range> const log_range = "a range like 1e-5..1e-2 log 4";
x3::rule<log_count_class, ast::number> const log_count =
    "the number of points after 'log', a whole number (1e-5..1e-2 log 4)";
x3::rule<linear_range_class, ast::linear_range> const linear_range = "a range like 128..1024 step 128";
x3::rule<range_hi_class, ast::number> const range_hi =
    "the end of the range, a number (128..1024 step 128 or 1e-5..1e-2 log 4)";
x3::rule<range_kind_class> const range_kind =
    "'step' or 'log' after the range (128..1024 step 128 or 1e-5..1e-2 log 4)";
x3::rule<range_step_class, ast::number> const range_step = "the step after 'step', a number (128..1024 step 128)";
x3::rule<distribution_class, ast::distribution> const distribution =
    "a distribution like loguniform 1e-5..1e-2";
x3::rule<dist_hi_class, ast::number> const dist_hi =
    "the end of the distribution's range, a number (uniform 0.1..0.5 or loguniform 1e-5..1e-2)";
x3::rule<dims_class, ast::dims> const dims = "dims like 28 x 28 x 1";
x3::rule<dims_sizes_class, std::vector<ast::number>> const dims_sizes = "dims like 28 x 28 x 1";
x3::rule<dims_size_class, ast::number> const dims_size = "a size after 'x', a whole number (28 x 28 x 1)";
x3::rule<value_class, ast::value> const value = "a value (number, name, string, {set} or range)";

// blocks and statements
x3::rule<statement_class, ast::statement> const statement = "a statement";
x3::rule<block_name_class, ast::identifier> const block_name = "a block name";
x3::rule<block_class, ast::block> const block = "a block";
x3::rule<block_open_class> const block_open =
    "'{' after the block name (a block opens with NAME { on its own line)";
x3::rule<block_open_end_class> const block_open_end =
    "the end of the line after '{' (each statement goes on its own line)";
x3::rule<block_close_class> const block_close = "'}' to close the block";
x3::rule<block_end_class> const block_end = "the end of the line after '}'";

// let
x3::rule<let_axis_class, ast::let_axis> const let_axis = "a let line";
x3::rule<let_name_class, ast::identifier> const let_name = "the axis name after 'let' (let act = {relu, elu})";
x3::rule<let_equals_class> const let_equals = "'=' after the axis name (let act = {relu, elu})";
x3::rule<let_end_class> const let_end = "the end of the line after the value of the let";

// tuples
x3::rule<tuples_class, ast::tuples> const tuples = "a tuples block";
x3::rule<tuples_axes_class, std::vector<ast::identifier>> const tuples_axes =
    "'(' and the axis names after 'tuples', like tuples (w1, n1) {";
x3::rule<axes_body_class, std::vector<ast::identifier>> const axes_body = "an axis name";
x3::rule<axis_name_class, ast::identifier> const axis_name = "an axis name";
x3::rule<axes_close_class> const axes_close = "',' or ')' after the axis name";
x3::rule<tuples_rows_class, std::vector<ast::tuple_row>> const tuples_rows =
    "'{' and the rows after the axis names, like { (3, 8) (5, 16) }";
x3::rule<rows_body_class, std::vector<ast::tuple_row>> const rows_body =
    "a row like (3, 8), or '}' to close the tuples";
x3::rule<rows_close_class> const rows_close = "a row like (3, 8), or '}' to close the tuples";
x3::rule<tuple_row_class, ast::tuple_row> const tuple_row = "a row like (3, 8)";
x3::rule<row_body_class, std::vector<ast::scalar>> const row_body = "a number, name or string in the row";
x3::rule<row_item_class, ast::scalar> const row_item = "a number, name or string in the row";
x3::rule<row_close_class> const row_close = "',' or ')' to close the row";
x3::rule<tuples_end_class> const tuples_end = "the end of the line after the tuples' closing '}'";

// where
x3::rule<where_clause_class, ast::where_clause> const where_clause = "a where line";
x3::rule<condition_class, ast::expr> const condition = "a condition after 'where', like n2 >= 2 * n1";
x3::rule<where_end_class> const where_end = "an operator or the end of the line after the condition";
x3::rule<or_expr_class, ast::expr> const or_expr = "an expression";
x3::rule<or_tail_class, ast::binary_op> const or_tail = "'or' and an expression";
x3::rule<and_expr_class, ast::expr> const and_expr = "an expression";
x3::rule<and_tail_class, ast::binary_op> const and_tail = "'and' and an expression";
x3::rule<not_expr_class, ast::operand> const not_expr = "an expression";
x3::rule<not_op_class, ast::unary_op> const not_op = "'not' and an expression";
x3::rule<not_operand_class, ast::operand> const not_operand = "an expression after 'not'";
x3::rule<cmp_expr_class, ast::expr> const cmp_expr = "an expression";
x3::rule<cmp_tail_class, ast::binary_op> const cmp_tail = "a comparison";
x3::rule<sum_expr_class, ast::expr> const sum_expr = "an expression";
x3::rule<sum_tail_class, ast::binary_op> const sum_tail = "'+' or '-' and an expression";
x3::rule<prod_expr_class, ast::expr> const prod_expr = "an expression";
x3::rule<prod_tail_class, ast::binary_op> const prod_tail = "'*', '/' or '%' and an expression";
x3::rule<unary_expr_class, ast::operand> const unary_expr = "an expression";
x3::rule<neg_op_class, ast::unary_op> const neg_op = "'-' and an expression";
x3::rule<neg_operand_class, ast::operand> const neg_operand = "an expression after '-'";
x3::rule<primary_class, ast::operand> const primary = "a number, a name or '('";
x3::rule<paren_class, ast::expr> const paren = "'(' and an expression";
x3::rule<paren_body_class, ast::expr> const paren_body = "an expression after '('";
x3::rule<close_paren_class> const close_paren = "an operator or ')' to close the parenthesis";
x3::rule<or_operand_class, ast::expr> const or_operand = "an expression after 'or'";
x3::rule<and_operand_class, ast::operand> const and_operand = "an expression after 'and'";
x3::rule<cmp_operand_class, ast::expr> const cmp_operand = "an expression after the comparison";
x3::rule<sum_operand_class, ast::expr> const sum_operand = "an expression after the operator";
x3::rule<prod_operand_class, ast::operand> const prod_operand = "an expression after the operator";

// the file
x3::rule<item_class, ast::item> const item = "a block, let, tuples or where";
x3::rule<header_class> const header = "the header line 'study NAME \"description\"' at the start of the file";
x3::rule<study_name_class, ast::identifier> const study_name = "the study's name after 'study'";
x3::rule<header_end_class> const header_end = "the end of the header line (study NAME \"description\")";
x3::rule<end_of_file_class> const end_of_file =
    "a block (NAME {), a let, tuples or where line, or the end of the file";
study_file_type const study_file = "a study";

///////////////////////////////////////////////////////////////////////////////
// Statements: head [positional] {key value}
//
//     statement := name ( value {name value} | {name value} ) end-of-line
//
// Written by hand rather than as the two X3 alternatives: the values on the line are
// read once, then their number decides (odd: the first is the positional value), which
// is what the alternatives would decide, but a wrong line gets a precise message
// ("expected a value after 'kernel'") instead of a failure at its start.
///////////////////////////////////////////////////////////////////////////////
auto const end_of_line = x3::eol | x3::eoi;

struct statement_parser : x3::parser<statement_parser> {
    using attribute_type = ast::statement;
    static bool const has_attribute = true;

    template <typename Iterator, typename Context, typename RContext>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&,
               ast::statement& st) const {
        Iterator it = first;
        if (!identifier.parse(it, last, context, x3::unused, st.head)) return false;

        struct token {
            ast::value value;
            Iterator begin, end;
        };
        std::vector<token> tokens;
        for (;;) {
            x3::skip_over(it, last, context);
            token t;
            t.begin = it;
            if (!value.parse(it, last, context, x3::unused, t.value)) break;
            t.end = it;
            tokens.push_back(std::move(t));
        }
        Iterator const after_values = it;
        if (!end_of_line.parse(it, last, context, x3::unused, x3::unused))
            throw x3::expectation_failure<Iterator>(after_values, "a value or the end of the line");

        std::size_t const n = tokens.size();
        std::size_t const first_key = n % 2;  // odd: tokens[0] is the positional value
        for (std::size_t k = first_key; k < n; k += 2) {
            if (name_of(tokens[k].value)) continue;
            // The other reading: one value too few, as in `conv2d filters 8 kernel`.
            bool dangling = true;
            for (std::size_t j = 1 - first_key; j < n; j += 2) dangling = dangling && name_of(tokens[j].value);
            if (dangling)
                throw x3::expectation_failure<Iterator>(
                    tokens.back().end, "a value after '" + name_of(tokens.back().value)->name + "'");
            throw x3::expectation_failure<Iterator>(
                tokens[k].begin, "an option name (options are name value pairs, like units 128)");
        }

        auto& handler = x3::get<x3::error_handler_tag>(context).get();
        st.positional.reset();
        st.options.clear();
        if (first_key == 1) st.positional = std::move(tokens[0].value);
        for (std::size_t k = first_key; k < n; k += 2) {
            ast::option opt;
            opt.key = *name_of(tokens[k].value);
            opt.val = std::move(tokens[k + 1].value);
            handler.tag(opt, tokens[k].begin, tokens[k + 1].end);
            st.options.push_back(std::move(opt));
        }
        first = it;
        return true;
    }

private:
    static ast::identifier const* name_of(ast::value const& v) {
        auto const* s = boost::get<ast::scalar>(&v.get());
        return s ? boost::get<ast::identifier>(&s->get()) : nullptr;
    }
};

// '}' at the end of a block, or "expected a statement or '}' to close the network block".
struct block_close_parser : x3::parser<block_close_parser> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute&) const {
        x3::skip_over(first, last, context);
        if (first != last && *first == '}') {
            ++first;
            return true;
        }
        auto const& handler = x3::get<x3::error_handler_tag>(context).get();
        throw x3::expectation_failure<Iterator>(first,
                                                "a statement or '}' to close the " + handler.block + " block");
    }
};

///////////////////////////////////////////////////////////////////////////////
// Grammar
///////////////////////////////////////////////////////////////////////////////

auto const blank_line = x3::eol;  // blank or comment-only (the skipper ate the rest)

// tokens
auto const identifier_def = identifier_token;
auto const number_def = number_parser<number_form::any>{};
auto const plain_number_def = number_parser<number_form::plain>{};
auto const integer_def = number_parser<number_form::integer>{};
auto const string_lit_def = string_token;

// values: value := set | log_range | linear_range | distribution | dims | scalar
auto const scalar_def = number | identifier | string_lit | step_word;
auto const step_word_def = keyword("step")[([](auto& ctx) { x3::_val(ctx).name = "step"; })];
auto const value_set_def = x3::lit('{') > set_body;
auto const set_body_def = multiline[set_item > *(x3::lit(',') > set_item) > set_close];
auto const set_item_def = scalar;
auto const set_close_def = x3::lit('}');
auto const log_range_def = number >> x3::lit("..") >> number >> keyword("log") > log_count;
auto const log_count_def = integer;
auto const linear_range_def = number >> x3::lit("..") > range_hi > range_kind > range_step;
auto const range_hi_def = number;
auto const range_kind_def = keyword("step");
auto const range_step_def = number;
auto const distribution_def =
    (operator_word("loguniform") | operator_word("uniform")) >> number > x3::lit("..") > dist_hi;
auto const dist_hi_def = number;
auto const dims_def = dims_sizes;
auto const dims_sizes_def = integer >> dims_separator > dims_size > *(dims_separator > dims_size);
auto const dims_size_def = integer;
auto const value_def = value_set | log_range | linear_range | distribution | dims | scalar;

// blocks: name { statements }
auto const statement_def = statement_parser{};
auto const block_name_def = identifier;
auto const block_def =
    block_name > block_open > block_open_end > *(statement | blank_line) > block_close > block_end;
auto const block_open_def = x3::lit('{');
auto const block_open_end_def = end_of_line;
auto const block_close_def = block_close_parser{};
auto const block_end_def = end_of_line;

// let name = value
auto const let_axis_def = keyword("let") > let_name > let_equals > value > let_end;
auto const let_name_def = identifier;
auto const let_equals_def = x3::lit('=');
auto const let_end_def = end_of_line;

// tuples (a, b) { (1, 2) (3, 4) }
auto const tuples_def = keyword("tuples") > tuples_axes > tuples_rows > tuples_end;
auto const tuples_axes_def = x3::lit('(') > axes_body;
auto const axes_body_def = multiline[axis_name > *(x3::lit(',') > axis_name) > axes_close];
auto const axis_name_def = identifier;
auto const axes_close_def = x3::lit(')');
auto const tuples_rows_def = x3::lit('{') > rows_body;
auto const rows_body_def = multiline[*tuple_row > rows_close];
auto const rows_close_def = x3::lit('}');
auto const tuple_row_def = x3::lit('(') > row_body;
auto const row_body_def = multiline[row_item > *(x3::lit(',') > row_item) > row_close];
auto const row_item_def = scalar;
auto const row_close_def = x3::lit(')');
auto const tuples_end_def = end_of_line;

// where expr, loosest first: or, and, not, comparison, + -, * / %, unary -, primary
auto const cmp_op = x3::string("==") | x3::string("!=") | x3::string("<=") | x3::string(">=") |
                    x3::string("<") | x3::string(">");
auto const add_op = x3::string("+") | x3::string("-");
auto const mul_op = x3::string("*") | x3::string("/") | x3::string("%");

auto const where_clause_def = keyword("where") > condition > where_end;
auto const condition_def = or_expr;
auto const where_end_def = end_of_line;
auto const or_expr_def = and_expr >> *or_tail;
auto const or_tail_def = operator_word("or") > or_operand;
auto const and_expr_def = not_expr >> *and_tail;
auto const and_tail_def = operator_word("and") > and_operand;
auto const not_expr_def = not_op | cmp_expr;
auto const not_op_def = operator_word("not") > not_operand;
auto const not_operand_def = nested[not_expr];
auto const cmp_expr_def = sum_expr >> -cmp_tail;
auto const cmp_tail_def = cmp_op > cmp_operand;
auto const sum_expr_def = prod_expr >> *sum_tail;
auto const sum_tail_def = add_op > sum_operand;
auto const prod_expr_def = unary_expr >> *prod_tail;
auto const prod_tail_def = mul_op > prod_operand;
auto const unary_expr_def = neg_op | primary;
auto const neg_op_def = x3::string("-") > neg_operand;
auto const neg_operand_def = nested[unary_expr];
auto const primary_def = plain_number | identifier | paren;
auto const paren_def = x3::lit('(') > paren_body;
auto const paren_body_def = multiline[nested[or_expr] > close_paren];
auto const close_paren_def = x3::lit(')');
auto const or_operand_def = and_expr;
auto const and_operand_def = not_expr;
auto const cmp_operand_def = sum_expr;
auto const sum_operand_def = prod_expr;
auto const prod_operand_def = unary_expr;

// the file: header, then items
auto const item_def = let_axis | tuples | where_clause | block;
auto const header_def = keyword("study");
auto const study_name_def = identifier;
auto const header_end_def = end_of_line;
auto const end_of_file_def = x3::eoi;
auto const study_file_def =
    *blank_line > header > study_name > -string_lit > header_end > *(item | blank_line) > end_of_file;

BOOST_SPIRIT_DEFINE(identifier, number, plain_number, integer, string_lit)
BOOST_SPIRIT_DEFINE(step_word)
BOOST_SPIRIT_DEFINE(scalar, value_set, set_body, set_item, set_close, log_range, log_count, linear_range, range_hi,
                    range_kind, range_step, distribution, dist_hi, dims, dims_sizes, dims_size, value)
BOOST_SPIRIT_DEFINE(statement, block_name, block, block_open, block_open_end, block_close, block_end)
BOOST_SPIRIT_DEFINE(let_axis, let_name, let_equals, let_end)
BOOST_SPIRIT_DEFINE(tuples, tuples_axes, axes_body, axis_name, axes_close, tuples_rows, rows_body, rows_close,
                    tuple_row, row_body, row_item, row_close, tuples_end)
BOOST_SPIRIT_DEFINE(where_clause, condition, where_end, or_expr, or_tail, and_expr, and_tail, not_expr, not_op,
                    not_operand, cmp_expr, cmp_tail, sum_expr, sum_tail, prod_expr, prod_tail, unary_expr, neg_op,
                    neg_operand, primary, paren, paren_body, close_paren)
BOOST_SPIRIT_DEFINE(or_operand, and_operand, cmp_operand, sum_operand, prod_operand)
BOOST_SPIRIT_DEFINE(item, header, study_name, header_end, end_of_file, study_file)

///////////////////////////////////////////////////////////////////////////////
// Annotation and Error handling
//
// Annotation: every rule ID above that derives annotate_position (or
// expression_class) records its node's range through the error handler in the context.
// Errors: every `>` throws x3::expectation_failure naming what was expected; the top
// rule's on_error (study_file_class) turns the first one into the diagnostic
// "file:line:col: error: expected WHAT, found TOKEN" with the line and a caret.
///////////////////////////////////////////////////////////////////////////////

}  // namespace hps::parser

namespace hps {

const parser::study_file_type& study_grammar() { return parser::study_file; }

}  // namespace hps
