// Files compiled into hpsgen (cmake/embed.cmake): the templates and the runtime headers.
#pragma once

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

}  // namespace hps::embedded
