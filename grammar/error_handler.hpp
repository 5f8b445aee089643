// The parser's error handler: what the grammar reaches through x3::error_handler_tag.
//
// It tags AST nodes with their source range (in source::positions(), so the checker can
// blame any node later), turns an expectation failure into one located diagnostic
// ("expected a range like 128..1024 step 128, found 'stp'"), and carries the little
// state the grammar needs: how deeply expressions nest, and the block being parsed.
#pragma once

#include "dsl/diagnostics.hpp"

#include <boost/spirit/home/x3.hpp>

#include <string>
#include <string_view>

namespace hps::parser {

namespace x3 = boost::spirit::x3;

class error_handler {
public:
    // Parentheses, `not` and `-` in a where expression; deeper input is an error, not
    // a stack overflow.
    static constexpr int max_nesting = 64;

    error_handler(source& src, diagnostics& diags) : src_(src), diags_(diags) {}

    template <typename AST>
    void tag(AST& node, iterator_type first, iterator_type last) {
        src_.positions().annotate(node, first, last);
    }

    // Adds "expected <what>, found <the token at where>" located at that token.
    void expected(iterator_type where, std::string_view what);
    // Adds a message located at [first, last).
    void error(iterator_type first, iterator_type last, std::string message);

    const source& src() const { return src_; }
    bool reported() const { return reported_; }

    int nesting = 0;
    std::string block;  // name of the block being parsed, for "'}' to close the network block"

private:
    source& src_;
    diagnostics& diags_;
    bool reported_ = false;
};

// A short description of the token at `where` for "found ...": 'kernl', the keyword
// 'step', the end of the line, the end of the file, the byte 0xC3.
std::string describe_token(iterator_type where, iterator_type last, iterator_type* token_end);

// Rule IDs derive from this to have their node's source range recorded.
struct annotate_position {
    template <typename T, typename Iterator, typename Context>
    void on_success(Iterator const& first, Iterator const& last, T& node, Context const& context) const {
        x3::get<x3::error_handler_tag>(context).get().tag(node, first, last);
    }
};

}  // namespace hps::parser
