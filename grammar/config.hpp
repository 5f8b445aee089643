// The types the grammar is instantiated for (once, in grammar/hps.cpp): the iterator,
// the skipper, and the context that carries the error handler.
#pragma once

#include "grammar/common.hpp"
#include "grammar/error_handler.hpp"

#include <boost/spirit/home/x3.hpp>

#include <functional>
#include <string>

namespace hps::parser {

namespace x3 = boost::spirit::x3;

using iterator_type = std::string::const_iterator;
using skipper_type = line_skipper;  // blanks and comments; newlines end statements
using phrase_context_type = x3::phrase_parse_context<skipper_type>::type;
using context_type = x3::context<x3::error_handler_tag, std::reference_wrapper<error_handler>, phrase_context_type>;

}  // namespace hps::parser
