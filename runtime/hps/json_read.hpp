// A small JSON reader for the files hpsgen writes for trainers (a point's settings,
// hps/settings.hpp): objects, arrays, strings, numbers, true, false, null. Strict: a
// syntax error is a json_error that says where (line and column). Numbers are doubles
// (the writer, hps::json_writer, prints the shortest text that reads back the same).
#pragma once

#include <charconv>
#include <cstddef>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hps::json {

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct value {
    enum class type { null, boolean, number, string, array, object } kind = type::null;
    bool b = false;
    double num = 0;
    std::string str;
    std::vector<value> items;                  // array
    std::vector<std::pair<std::string, value>> members;  // object, in the file's order

    bool is(type t) const { return kind == t; }
    // The member `key` of an object, or null when there is none (or this is no object).
    const value* find(std::string_view key) const {
        for (const auto& [k, v] : members)
            if (k == key) return &v;
        return nullptr;
    }
};

namespace detail {

class parser {
public:
    explicit parser(std::string_view text) : t_(text) {}

    value document() {
        value v = parse_value(0);
        skip_space();
        if (i_ != t_.size()) fail("text after the end of the document");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        std::size_t line = 1, col = 1;
        for (std::size_t k = 0; k < i_ && k < t_.size(); ++k) {
            if (t_[k] == '\n') ++line, col = 1;
            else ++col;
        }
        throw error("line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + what);
    }
    void skip_space() {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t' || t_[i_] == '\r')) ++i_;
    }
    bool take(char c) {
        skip_space();
        if (i_ < t_.size() && t_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(std::string("expected '") + c + "'");
    }
    bool word(std::string_view w) {
        if (t_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }

    value parse_value(int depth) {
        if (depth > 64) fail("nested too deeply");
        skip_space();
        if (i_ >= t_.size()) fail("unexpected end of the document");
        value v;
        const char c = t_[i_];
        if (c == '{') {
            ++i_;
            v.kind = value::type::object;
            if (take('}')) return v;
            do {
                skip_space();
                if (i_ >= t_.size() || t_[i_] != '"') fail("expected a member name in quotes");
                std::string key = parse_string();
                expect(':');
                v.members.emplace_back(std::move(key), parse_value(depth + 1));
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            ++i_;
            v.kind = value::type::array;
            if (take(']')) return v;
            do v.items.push_back(parse_value(depth + 1));
            while (take(','));
            expect(']');
        } else if (c == '"') {
            v.kind = value::type::string;
            v.str = parse_string();
        } else if (word("true")) {
            v.kind = value::type::boolean;
            v.b = true;
        } else if (word("false")) {
            v.kind = value::type::boolean;
        } else if (word("null")) {
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.kind = value::type::number;
            const char* end = t_.data() + t_.size();
            auto [ptr, ec] = std::from_chars(t_.data() + i_, end, v.num);
            if (ec != std::errc()) fail("a number out of range");
            i_ = std::size_t(ptr - t_.data());
        } else {
            fail(std::string("unexpected '") + c + "'");
        }
        return v;
    }

    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) out += char(cp);
        else if (cp < 0x800) out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
        else if (cp < 0x10000)
            out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
        else
            out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F)),
                out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    }
    unsigned hex4() {
        if (i_ + 4 > t_.size()) fail("a \\u escape needs four hex digits");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = t_[i_++];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f') v |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') v |= unsigned(h - 'A' + 10);
            else fail("a \\u escape needs four hex digits");
        }
        return v;
    }
    std::string parse_string() {
        ++i_;  // the opening quote
        std::string out;
        while (true) {
            if (i_ >= t_.size()) fail("a string without its closing quote");
            const char c = t_[i_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("a control character inside a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= t_.size()) fail("a string without its closing quote");
            switch (t_[i_++]) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && t_.substr(i_, 2) == "\\u") {
                        i_ += 2;
                        const unsigned lo = hex4();
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: fail("an unknown escape in a string");
            }
        }
    }

    std::string_view t_;
    std::size_t i_ = 0;
};

}  // namespace detail

// Parses a whole document; throws json::error with the line and column of a mistake.
inline value parse(std::string_view text) { return detail::parser(text).document(); }

}  // namespace hps::json
