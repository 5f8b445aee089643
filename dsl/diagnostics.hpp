// Diagnostics: located messages about a .hps file, collected, never printed here.
//
// The parser, the checker and the generator add to a `diagnostics`; only a CLI's main
// prints them (STYLE.md: "The parser, checker and generator return diagnostics; only
// main prints and exits"). A message is formatted as compilers do:
//
//     examples/bad.hps:7:18: error: conv2d has no option 'filtres'; did you mean 'filters'?
//       conv2d filtres 8 kernel 3
//              ^~~~~~~
#pragma once

#include "dsl/ast.hpp"

#include <boost/spirit/home/x3/support/utility/error_reporting.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace hps {

namespace x3 = boost::spirit::x3;

using iterator_type = std::string::const_iterator;
using position_cache = x3::position_cache<std::vector<iterator_type>>;

enum class severity { error, warning, note };

struct diagnostic {
    severity level = severity::error;
    std::string file;
    int line = 0;  // 1-based; 0 when the message is about the file as a whole
    int column = 0;  // 1-based, in characters (tabs count as one)
    int length = 0;  // characters under the caret, at least 1 when located
    std::string message;
    std::string source_line;  // the text of `line`, without its newline
};

// A source text and the positions of its AST nodes. The text must outlive the AST.
class source {
public:
    source(std::string path, std::string text);
    source(const source&) = delete;
    source& operator=(const source&) = delete;

    const std::string& path() const { return path_; }
    const std::string& text() const { return text_; }
    iterator_type begin() const { return text_.begin(); }
    iterator_type end() const { return text_.end(); }
    position_cache& positions() { return positions_; }
    const position_cache& positions() const { return positions_; }

    // A diagnostic located at [first, last) of text().
    diagnostic locate(severity level, iterator_type first, iterator_type last, std::string message) const;
    // A diagnostic located at a tagged AST node (falls back to the whole file when the
    // node was built by hand and has no position).
    diagnostic locate(severity level, const x3::position_tagged& node, std::string message) const;

private:
    std::string path_;
    std::string text_;
    position_cache positions_;
};

class diagnostics {
public:
    void add(diagnostic d) { items_.push_back(std::move(d)); }
    void error(const source& src, const x3::position_tagged& node, std::string message) {
        add(src.locate(severity::error, node, std::move(message)));
    }
    void note(const source& src, const x3::position_tagged& node, std::string message) {
        add(src.locate(severity::note, node, std::move(message)));
    }
    void error(std::string file, std::string message);  // not tied to a position

    bool has_errors() const;
    std::size_t error_count() const;
    const std::vector<diagnostic>& items() const { return items_; }
    bool empty() const { return items_.empty(); }

private:
    std::vector<diagnostic> items_;
};

// "file:line:col: error: message\n  <line>\n  ^~~~\n" for one diagnostic, all of them.
std::string format(const diagnostic& d);
std::string format(const diagnostics& ds);

}  // namespace hps
