#include "dsl/diagnostics.hpp"

#include <algorithm>

namespace hps {

source::source(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)), positions_(text_.cbegin(), text_.cend()) {}

diagnostic source::locate(severity level, iterator_type first, iterator_type last, std::string message) const {
    diagnostic d;
    d.level = level;
    d.file = path_;
    d.message = std::move(message);
    auto text_begin = text_.cbegin();
    if (first < text_begin || first > text_.cend()) return d;
    auto line_begin = text_begin;
    int line = 1;
    for (auto it = text_begin; it != first; ++it) {
        if (*it == '\n') {
            ++line;
            line_begin = it + 1;
        }
    }
    auto line_end = std::find(first, text_.cend(), '\n');
    if (last > line_end) last = line_end;
    if (last < first) last = first;
    d.line = line;
    d.column = int(first - line_begin) + 1;
    d.length = std::max(1, int(last - first));
    d.source_line.assign(line_begin, line_end);
    if (!d.source_line.empty() && d.source_line.back() == '\r') d.source_line.pop_back();
    return d;
}

diagnostic source::locate(severity level, const x3::position_tagged& node, std::string message) const {
    if (node.id_first < 0) {
        diagnostic d;
        d.level = level;
        d.file = path_;
        d.message = std::move(message);
        return d;
    }
    auto range = positions_.position_of(node);
    return locate(level, range.begin(), range.end(), std::move(message));
}

void diagnostics::error(std::string file, std::string message) {
    diagnostic d;
    d.file = std::move(file);
    d.message = std::move(message);
    items_.push_back(std::move(d));
}

bool diagnostics::has_errors() const { return error_count() > 0; }

std::size_t diagnostics::error_count() const {
    return std::size_t(std::count_if(items_.begin(), items_.end(),
                                     [](const diagnostic& d) { return d.level == severity::error; }));
}

std::string format(const diagnostic& d) {
    static constexpr const char* names[] = {"error", "warning", "note"};
    std::string out = d.file;
    if (d.line > 0) out += ":" + std::to_string(d.line) + ":" + std::to_string(d.column);
    out += ": ";
    out += names[int(d.level)];
    out += ": " + d.message + "\n";
    if (d.line > 0) {
        out += "  " + d.source_line + "\n  ";
        // keep tabs under tabs so the caret lines up in a terminal
        for (int i = 0; i + 1 < d.column && i < int(d.source_line.size()); ++i)
            out += d.source_line[std::size_t(i)] == '\t' ? '\t' : ' ';
        out += '^';
        for (int i = 1; i < d.length; ++i) out += '~';
        out += '\n';
    }
    return out;
}

std::string format(const diagnostics& ds) {
    std::string out;
    for (const auto& d : ds.items()) out += format(d);
    return out;
}

}  // namespace hps
