// BOOST_FUSION_ADAPT_STRUCT for the AST, and nothing else.
#pragma once

#include "dsl/ast.hpp"

#include <boost/fusion/include/adapt_struct.hpp>

BOOST_FUSION_ADAPT_STRUCT(hps::ast::identifier, name)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::string_lit, text)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::value_set, items)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::linear_range, lo, hi, step)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::log_range, lo, hi, count)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::distribution, kind, lo, hi)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::dims, sizes)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::option, key, val)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::statement, head, positional, options)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::block, name, statements)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::let_axis, name, val)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::tuple_row, items)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::tuples, axes, rows)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::unary_op, op, rhs)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::binary_op, op, rhs)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::expr, first, rest)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::where_clause, condition)
BOOST_FUSION_ADAPT_STRUCT(hps::ast::study_file, name, description, items)
