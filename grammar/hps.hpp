// The .hps grammar as its clients see it: the top rule, declared here, defined in
// grammar/hps_def.hpp and instantiated once in grammar/hps.cpp. Most code wants
// hps::parse (grammar/parse.hpp) instead, which also reports errors.
#pragma once

#include "dsl/ast.hpp"

#include <boost/spirit/home/x3.hpp>

namespace hps::parser {

namespace x3 = boost::spirit::x3;

struct study_file_class;
using study_file_type = x3::rule<study_file_class, ast::study_file>;
BOOST_SPIRIT_DECLARE(study_file_type)

}  // namespace hps::parser

namespace hps {

// The whole-file grammar: study header, then let / block / tuples / where items.
const parser::study_file_type& study_grammar();

}  // namespace hps
