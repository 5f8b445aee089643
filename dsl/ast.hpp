// The .hps abstract syntax tree: plain structs, as parsed, before any check.
//
// Design (docs/language.md has the reasons): the grammar knows the *structure* of a
// study (header, blocks, let, tuples, where) and the *form* of values (sets, ranges,
// dims), but a statement inside a block is generic:
//
//     head [positional] { key value }            e.g.  conv2d filters {8,16} kernel 3
//                                                      optimizer adam lr 1e-5
//                                                      within 0.20 as acc20
//
// What heads and keys exist, and which values they take, is the checker's schema
// (dsl/schema.*), not the grammar's: a new layer or option changes one table, and an
// unknown key is blamed by name ("conv2d has no option 'filtres'; did you mean
// 'filters'?") instead of failing the parse. Nodes a user can get wrong derive
// x3::position_tagged, so the checker can point at them through the same reporter.
#pragma once

#include <boost/optional.hpp>
#include <boost/spirit/home/x3/support/ast/position_tagged.hpp>
#include <boost/spirit/home/x3/support/ast/variant.hpp>

#include <string>
#include <vector>

namespace hps::ast {

namespace x3 = boost::spirit::x3;

// A number as written. `text` is kept so that `fmt` prints 1e-5 as 1e-5, and so that
// an integer option (filters 8) can reject 8.5 by what the user wrote. A ratio such as
// 1/255 is a number whose text is "1/255" and whose value is the quotient.
struct number : x3::position_tagged {
    std::string text;
    double value = 0;
    bool is_integer = false;  // written without '.', exponent or '/'
};

struct identifier : x3::position_tagged {
    std::string name;
};

struct string_lit : x3::position_tagged {
    std::string text;  // unescaped contents
};

// One value: a number, an identifier (relu, same, or the name of a `let` axis) or a string.
struct scalar : x3::variant<number, identifier, string_lit>, x3::position_tagged {
    using base_type::base_type;
    using base_type::operator=;
};

// {8, 16, 32}  or  {relu, elu}
struct value_set : x3::position_tagged {
    std::vector<scalar> items;
};

// 128..1024 step 128  (hi is included when the steps reach it exactly)
struct linear_range : x3::position_tagged {
    number lo, hi, step;
};

// 1e-5..1e-2 log 4  (4 points evenly spaced in log10, both ends included)
struct log_range : x3::position_tagged {
    number lo, hi, count;
};

// uniform 0.1..0.5  or  loguniform 1e-5..1e-2: a value drawn for each point of a random
// sample (search { random N })
struct distribution : x3::position_tagged {
    std::string kind;  // "uniform" or "loguniform"
    number lo, hi;
};

// 28 x 28 x 1
struct dims : x3::position_tagged {
    std::vector<number> sizes;
};

struct value : x3::variant<scalar, value_set, linear_range, log_range, distribution, dims>, x3::position_tagged {
    using base_type::base_type;
    using base_type::operator=;
};

struct option : x3::position_tagged {
    identifier key;
    value val;
};

// head [positional] {key value}, one per line
struct statement : x3::position_tagged {
    identifier head;
    boost::optional<value> positional;
    std::vector<option> options;
};

// data { ... }, network { ... }, train { ... }, metrics { ... }, slurm { ... }
struct block : x3::position_tagged {
    identifier name;
    std::vector<statement> statements;
};

// let act = {relu, elu}
struct let_axis : x3::position_tagged {
    identifier name;
    value val;
};

// tuples (w1, n1) { (3, 8) (5, 16) }: only these combinations of the named axes
struct tuple_row : x3::position_tagged {
    std::vector<scalar> items;
};
struct tuples : x3::position_tagged {
    std::vector<identifier> axes;
    std::vector<tuple_row> rows;
};

// where expressions: n2 >= 2 * n1 and not (w1 == 5 and w2 == 5)
struct expr;
struct unary_op;
struct binary_op;
struct operand : x3::variant<number, identifier, x3::forward_ast<unary_op>, x3::forward_ast<expr>>,
                 x3::position_tagged {
    using base_type::base_type;
    using base_type::operator=;
};
struct unary_op : x3::position_tagged {
    std::string op;  // "-" or "not"
    operand rhs;
};
struct binary_op : x3::position_tagged {
    std::string op;  // or and == != < <= > >= + - * / %
    operand rhs;
};
// A left-associated chain of operators of ONE precedence level: first op1 rhs1 op2 rhs2 ...,
// evaluated as a left fold. Tighter levels nest as operands; a level with no operator is
// dropped, so `a` alone is an expr with an empty `rest` around the identifier.
struct expr : x3::position_tagged {
    operand first;
    std::vector<binary_op> rest;
};
struct where_clause : x3::position_tagged {
    expr condition;
};

struct item : x3::variant<let_axis, block, tuples, where_clause>, x3::position_tagged {
    using base_type::base_type;
    using base_type::operator=;
};

// study cyplam "MWIR melt-pool frames -> laser power and process speed"
struct study_file : x3::position_tagged {
    identifier name;
    boost::optional<string_lit> description;
    std::vector<item> items;
};

}  // namespace hps::ast
