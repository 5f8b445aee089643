// Helpers for the checker's tests: parse and check .hps text in one call.
#pragma once

#include "dsl/check.hpp"
#include "grammar/parse.hpp"
#include "../support/files.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

namespace hps::test {

struct checked {
    std::unique_ptr<source> src;  // the AST points into it
    ast::study_file file;
    bool parsed = false;
    std::optional<study> result;
    diagnostics diags;
    std::string messages() const { return format(diags); }
};

inline checked check_text(const std::string& text, const std::string& path = "test.hps") {
    checked c;
    c.src = std::make_unique<source>(path, text);
    c.parsed = parse(*c.src, c.file, c.diags);
    if (c.parsed) c.result = check(*c.src, c.file, c.diags);
    return c;
}

using hps_test::read_text;  // the whole file (tests/support/files.hpp)

// A minimal valid spec around a network and extra items: regression with `outputs`.
inline std::string spec_with(const std::string& network, const std::string& input = "8 x 8 x 1",
                             const std::string& extra = "", const std::string& target = "regression 1") {
    return "study t\n"
           "data {\n  train \"t.npz\"\n  validation \"v.npz\"\n  input " + input + "\n  target " + target + "\n}\n"
           "network {\n" + network + "}\n"
           "train {\n  loss " + std::string(target.rfind("classes", 0) == 0 ? "softmax_ce" : target == "binary" ? "bce" : "mse") +
           "\n  steps 100\n}\n" + extra;
}

inline const param_value& value_of(const study& s, const grid_point& p, const std::string& axis) {
    for (std::size_t i = 0; i < s.axes.size(); ++i)
        if (s.axes[i].name == axis) return p.axis_values[i];
    FAIL("no axis " << axis);
    return p.axis_values.at(0);
}

}  // namespace hps::test
