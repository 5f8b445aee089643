// The tokens of .hps: skippers, keywords, identifiers, numbers and strings.
//
// These are small hand-written X3 parsers rather than compositions of x3::alpha,
// x3::double_ and friends, for three reasons:
//   - a .hps file may hold any byte (UTF-8 in strings and comments, or garbage), and
//     <cctype> on a negative char is undefined; these classes look at bytes only;
//   - a number keeps its text exactly as written (`fmt` prints 1e-5 as 1e-5) and must
//     not swallow the first dot of a range: in Boost 1.74 `x3::double_` reads `128.` out
//     of `128..1024` (STYLE.md, "a trap checked on Boost 1.74");
//   - a string or a ratio can then say precisely what is wrong ("expected '"' to close
//     the string") instead of merely failing.
// Each one pre-skips with the context's skipper, like any X3 primitive, and is wrapped
// in a named, position-tagged rule in hps_def.hpp.
#pragma once

#include "dsl/ast.hpp"
#include "dsl/chars.hpp"

#include <boost/spirit/home/x3.hpp>

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace hps::parser {

namespace x3 = boost::spirit::x3;

using chars::is_blank;
using chars::is_digit;
using chars::is_newline;
using chars::is_word_char;
using chars::is_word_start;

// Reserved words: never identifiers, matched as whole words (`stepsize`, `logits`,
// `xavier` and `notes` are identifiers).
inline constexpr std::string_view keywords[] = {"study", "let", "tuples", "where", "step",
                                                "log",   "x",   "and",    "or",    "not"};

inline bool is_keyword(std::string_view word) {
    for (auto k : keywords)
        if (k == word) return true;
    return false;
}

// Does a word end at `it`? (no letter, digit or '_' follows, nor a '.' that continues
// a dotted identifier such as conv2d1.filters)
template <typename Iterator>
bool at_word_end(Iterator it, Iterator const& last) {
    if (it == last) return true;
    if (is_word_char(*it)) return false;
    if (*it == '.') {
        ++it;
        return it == last || !is_word_char(*it);
    }
    return true;
}

///////////////////////////////////////////////////////////////////////////////
// Skippers: blanks and `#` comments; inside { } sets, ( ) tuples and parenthesised
// expressions newlines too. A skipper returns true only when it consumed something
// (x3::skip_over loops while it succeeds).
///////////////////////////////////////////////////////////////////////////////
template <bool Newlines>
struct skipper_parser : x3::parser<skipper_parser<Newlines>> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const&, RContext&, Attribute&) const {
        Iterator const start = first;
        while (first != last) {
            char const c = *first;
            if (is_blank(c) || (Newlines && is_newline(c))) {
                ++first;
            } else if (c == '#') {
                while (first != last && !is_newline(*first)) ++first;
            } else {
                break;
            }
        }
        return first != start;
    }
};
using line_skipper = skipper_parser<false>;
using multiline_skipper = skipper_parser<true>;

///////////////////////////////////////////////////////////////////////////////
// Keywords: `keyword("step")` matches the whole word and has no attribute;
// `operator_word("and")` also gives the word as its attribute (for ast::binary_op).
///////////////////////////////////////////////////////////////////////////////
template <typename Derived>
struct word_parser_base : x3::parser<Derived> {
    std::string_view word;
    constexpr explicit word_parser_base(std::string_view w) : word(w) {}

    template <typename Iterator, typename Context>
    bool match(Iterator& first, Iterator const& last, Context const& context) const {
        x3::skip_over(first, last, context);
        Iterator it = first;
        for (char c : word) {
            if (it == last || *it != c) return false;
            ++it;
        }
        if (!at_word_end(it, last)) return false;
        first = it;
        return true;
    }
};

struct keyword_parser : word_parser_base<keyword_parser> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;
    using word_parser_base::word_parser_base;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute&) const {
        return this->match(first, last, context);
    }
};

struct operator_word_parser : word_parser_base<operator_word_parser> {
    using attribute_type = std::string;
    static bool const has_attribute = true;
    using word_parser_base::word_parser_base;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
        if (!this->match(first, last, context)) return false;
        x3::traits::move_to(std::string(this->word), attr);
        return true;
    }
};

constexpr keyword_parser keyword(std::string_view w) { return keyword_parser(w); }
constexpr operator_word_parser operator_word(std::string_view w) { return operator_word_parser(w); }

// The `x` of dims: 28 x 28 x 1, and also 28x28x1 (so `x` may be followed by a digit,
// but not by a letter: `xavier` is an identifier).
struct dims_separator_parser : x3::parser<dims_separator_parser> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute&) const {
        x3::skip_over(first, last, context);
        if (first == last || *first != 'x') return false;
        Iterator it = first;
        ++it;
        if (it != last && (is_word_start(*it) || *it == '.')) return false;
        first = it;
        return true;
    }
};
constexpr dims_separator_parser dims_separator{};

///////////////////////////////////////////////////////////////////////////////
// Identifiers: a letter or '_', then letters, digits, '_', and '.' inside
// (conv2d1.filters is one identifier); never a keyword.
///////////////////////////////////////////////////////////////////////////////
struct identifier_parser : x3::parser<identifier_parser> {
    using attribute_type = ast::identifier;
    static bool const has_attribute = true;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
        x3::skip_over(first, last, context);
        if (first == last || !is_word_start(*first)) return false;
        Iterator it = first;
        while (it != last) {
            if (is_word_char(*it)) {
                ++it;
            } else if (*it == '.' && std::next(it) != last && is_word_char(*std::next(it))) {
                it += 2;
            } else {
                break;
            }
        }
        std::string name(first, it);
        if (is_keyword(name)) return false;
        ast::identifier id;
        id.name = std::move(name);
        x3::traits::move_to(std::move(id), attr);
        first = it;
        return true;
    }
};
constexpr identifier_parser identifier_token{};

///////////////////////////////////////////////////////////////////////////////
// Numbers, kept as written:
//   any:     -3  0.25  1e-5  2.5E+3  1/255 (a ratio of two integers)
//   plain:   as `any` without sign or ratio (in where expressions, where '-' and '/'
//            are operators: x/1/2 is (x/1)/2)
//   integer: -3, 28 (dims, log counts)
// A '.' is part of a number only when a digit follows, so 128..1024 is 128, "..", 1024.
// A number must end at a word boundary, except for the `x` of 28x28x1.
///////////////////////////////////////////////////////////////////////////////
enum class number_form { any, plain, integer };

inline constexpr const char* number_range_message = "a number within the range of a double (about 1e-308 to 1e308)";

template <number_form Form>
struct number_parser : x3::parser<number_parser<Form>> {
    using attribute_type = ast::number;
    static bool const has_attribute = true;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
        x3::skip_over(first, last, context);
        Iterator it = first;
        auto digits = [&] {
            Iterator const start = it;
            while (it != last && is_digit(*it)) ++it;
            return it != start;
        };
        if (Form != number_form::plain && it != last && *it == '-') ++it;
        if (!digits()) return false;
        bool integral = true;
        Iterator slash = last;
        if constexpr (Form != number_form::integer) {
            if (it != last && *it == '.' && std::next(it) != last && is_digit(*std::next(it))) {
                ++it;
                digits();
                integral = false;
            }
            if (it != last && (*it == 'e' || *it == 'E')) {
                Iterator save = it;
                ++it;
                if (it != last && (*it == '+' || *it == '-')) ++it;
                if (digits())
                    integral = false;
                else
                    it = save;
            }
            if (Form == number_form::any && integral && it != last && *it == '/' && std::next(it) != last &&
                is_digit(*std::next(it))) {
                slash = it;
                ++it;
                digits();
            }
        }
        if (!at_number_end(it, last)) return false;

        ast::number n;
        n.text.assign(first, it);
        n.is_integer = integral && slash == last;
        if (slash == last) {
            n.value = to_double(first, it, first);
        } else {
            double const num = to_double(first, slash, first);
            double const den = to_double(std::next(slash), it, std::next(slash));
            if (den == 0) throw x3::expectation_failure<Iterator>(std::next(slash), "a non-zero denominator");
            n.value = num / den;
        }
        x3::traits::move_to(std::move(n), attr);
        first = it;
        return true;
    }

private:
    template <typename Iterator>
    static bool at_number_end(Iterator it, Iterator const& last) {
        if (it == last) return true;
        if (*it == 'x') {  // 28x28x1
            ++it;
            return it == last || !(is_word_start(*it) || *it == '.');
        }
        if (*it == '.') {  // only a range may follow: 128..1024
            ++it;
            return it != last && *it == '.';
        }
        return !is_word_char(*it);
    }

    template <typename Iterator>
    static double to_double(Iterator b, Iterator e, Iterator blame) {
        std::string const text(b, e);
        double v = 0;
        auto const r = std::from_chars(text.data(), text.data() + text.size(), v);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size())
            throw x3::expectation_failure<Iterator>(blame, number_range_message);
        return v;
    }
};

///////////////////////////////////////////////////////////////////////////////
// Strings: "..." on one line, with the escapes \" \\ \n \t.
///////////////////////////////////////////////////////////////////////////////
struct string_parser : x3::parser<string_parser> {
    using attribute_type = ast::string_lit;
    static bool const has_attribute = true;

    template <typename Iterator, typename Context, typename RContext, typename Attribute>
    bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
        x3::skip_over(first, last, context);
        if (first == last || *first != '"') return false;
        Iterator it = std::next(first);
        std::string text;
        for (;;) {
            if (it == last || is_newline(*it))
                throw x3::expectation_failure<Iterator>(it, "'\"' to close the string (a string ends on its line)");
            char const c = *it;
            if (c == '"') {
                ++it;
                break;
            }
            if (c != '\\') {
                text += c;
                ++it;
                continue;
            }
            ++it;
            char const e = it == last ? '\0' : *it;
            switch (e) {
                case '"': text += '"'; break;
                case '\\': text += '\\'; break;
                case 'n': text += '\n'; break;
                case 't': text += '\t'; break;
                default:
                    throw x3::expectation_failure<Iterator>(it, "an escape after '\\': \\\" \\\\ \\n or \\t");
            }
            ++it;
        }
        ast::string_lit s;
        s.text = std::move(text);
        x3::traits::move_to(std::move(s), attr);
        first = it;
        return true;
    }
};
constexpr string_parser string_token{};

}  // namespace hps::parser
