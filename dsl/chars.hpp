// Character classes on bytes, shared by the grammar (grammar/common.hpp's skipper and
// tokens) and the readers of raw source text (dsl/printer.cpp's comment finder),
// so that both agree on what a blank, a newline or a word is. No Spirit here.
#pragma once

namespace hps::chars {

constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_word_start(char c) { return is_alpha(c) || c == '_'; }
constexpr bool is_word_char(char c) { return is_word_start(c) || is_digit(c); }
constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_newline(char c) { return c == '\n' || c == '\r'; }

}  // namespace hps::chars
