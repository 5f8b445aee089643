// Files compiled into hpsgen (cmake/embed.cmake): the templates, the runtime headers, the
// pages of docs/ (hpsgen help TOPIC) and
// Chart.js (vendor/chart.min.js, which report.html inlines).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hps::embedded {

struct file {
    const char* path;  // relative to the source tree: "templates/trainer.cpp.in", "runtime/hps/core.hpp"
    std::string_view contents;
};

extern const std::vector<file> files;

// The file at `path`, or nullptr.
inline const file* find(std::string_view path) {
    for (const auto& f : files)
        if (path == f.path) return &f;
    return nullptr;
}

// The contents of the file at `path`; throws std::logic_error when it is not compiled in
// (hpsgen's own paths: a bug, caught by the tests).
inline std::string_view contents(std::string_view path) {
    if (const file* f = find(path)) return f->contents;
    throw std::logic_error("hpsgen: '" + std::string(path) + "' is not compiled in");
}

}  // namespace hps::embedded
