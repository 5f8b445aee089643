// The one place the .hps grammar is instantiated, and the error handler's reporting.
#include "grammar/hps_def.hpp"
#include "grammar/config.hpp"

#include <cstdio>

namespace hps::parser {

BOOST_SPIRIT_INSTANTIATE(study_file_type, iterator_type, context_type)

namespace {

// The extent of a number-like token: digits, letters, '.', '_', and a sign after e/E.
iterator_type number_like_end(iterator_type it, iterator_type last) {
    if (it != last && *it == '-') ++it;
    while (it != last) {
        char const c = *it;
        if (is_word_char(c) || c == '.') {
            ++it;
            if ((c == 'e' || c == 'E') && it != last && (*it == '+' || *it == '-')) ++it;
        } else {
            break;
        }
    }
    return it;
}

std::string quoted(iterator_type first, iterator_type last) {
    constexpr std::ptrdiff_t max_shown = 40;
    if (last - first > max_shown) return "'" + std::string(first, first + (max_shown - 3)) + "...'";
    return "'" + std::string(first, last) + "'";
}

}  // namespace

std::string describe_token(iterator_type where, iterator_type last, iterator_type* token_end) {
    iterator_type end = where;
    std::string what;
    if (where == last) {
        what = "the end of the file";
    } else if (is_newline(*where)) {
        what = "the end of the line";
    } else if (is_word_start(*where)) {
        while (end != last && (is_word_char(*end) || (*end == '.' && std::next(end) != last &&
                                                      is_word_char(*std::next(end)))))
            ++end;
        std::string word(where, end);
        what = is_keyword(word) ? "the keyword '" + word + "'" : quoted(where, end);
    } else if (is_digit(*where) || (*where == '-' && std::next(where) != last && is_digit(*std::next(where)))) {
        end = number_like_end(where, last);
        what = quoted(where, end);
    } else if (*where == '"') {
        what = "a string";
        end = std::next(where);
        while (end != last && !is_newline(*end) && *end != '"') {
            if (*end == '\\' && std::next(end) != last && !is_newline(*std::next(end))) ++end;
            ++end;
        }
        if (end != last && *end == '"') ++end;
    } else if (*where > ' ' && *where < 127) {
        end = std::next(where);
        static constexpr const char* pairs[] = {"..", "==", "!=", "<=", ">="};
        if (end != last) {
            for (const char* p : pairs)
                if (*where == p[0] && *end == p[1]) {
                    ++end;
                    break;
                }
        }
        what = quoted(where, end);
    } else {
        char buf[96];
        unsigned const byte = static_cast<unsigned char>(*where);
        if (byte >= 0x80)
            std::snprintf(buf, sizeof buf, "the non-ASCII byte 0x%02X (names are ASCII letters, digits, '_' and '.')",
                          byte);
        else
            std::snprintf(buf, sizeof buf, "the byte 0x%02X", byte);
        what = buf;
        end = std::next(where);
    }
    if (token_end) *token_end = end;
    return what;
}

void error_handler::expected(iterator_type where, std::string_view what) {
    // Point at the token, not at the blanks or the comment before it.
    iterator_type const last = src_.end();
    if (where < src_.begin() || where > last) where = src_.begin();
    while (line_skipper{}.parse(where, last, x3::unused, x3::unused, x3::unused)) {
    }
    iterator_type token_end = where;
    std::string found = describe_token(where, last, &token_end);
    error(where, token_end, "expected " + std::string(what) + ", found " + found);
}

void error_handler::error(iterator_type first, iterator_type last, std::string message) {
    if (reported_) return;  // the first error is the one to fix; later ones are noise
    diags_.add(src_.locate(severity::error, first, last, std::move(message)));
    reported_ = true;
}

}  // namespace hps::parser
